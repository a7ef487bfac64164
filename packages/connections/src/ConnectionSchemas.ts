/**
 * Request and response models of Basiq's Connections API, v2.1 and v3 fields together.
 *
 * Response schemas decode Basiq's JSON as lenient as real responses need: unknown fields are
 * ignored, documented `null`s are accepted, "required" fields that real responses omit are
 * optional, open enums accept any future string, and timestamps stay strings (Basiq sends them
 * with and without milliseconds). They are `Schema.Struct`s, not classes, because decoding speed
 * matters for large connections.
 *
 * Request bodies hold credentials as `Redacted` values: encoding them gives the wire JSON with
 * plain strings, and a decoded or constructed body never prints a credential.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { type OpenEnum, openEnum, UnknownRecord } from "./internal/schema.js"

// -------------------------------------------------------------------------------------------------
// enums
// -------------------------------------------------------------------------------------------------

/**
 * A connection's status: `pending` until credentials are verified, `active`, `invalid` (the
 * password must be updated before a refresh), v3's `pre-init`, or any status Basiq adds later.
 *
 * @since 0.1.0
 * @category enums
 */
export const ConnectionStatus: OpenEnum<"pending" | "active" | "invalid" | "pre-init"> = openEnum(
  "pending",
  "active",
  "invalid",
  "pre-init"
)

/**
 * @since 0.1.0
 * @category enums
 */
export type ConnectionStatus = typeof ConnectionStatus.Type

/**
 * How a connection reaches the institution (v3): `web` (credentials) or open banking (Basiq's
 * examples spell it both `openbanking` and `open-banking`), or any other string.
 *
 * @since 0.1.0
 * @category enums
 */
export const ConnectionMethod: OpenEnum<"web" | "openbanking" | "open-banking"> = openEnum(
  "web",
  "openbanking",
  "open-banking"
)

/**
 * @since 0.1.0
 * @category enums
 */
export type ConnectionMethod = typeof ConnectionMethod.Type

/**
 * An account's status: `available`, `unavailable`, or any other string.
 *
 * @since 0.1.0
 * @category enums
 */
export const AccountStatus: OpenEnum<"available" | "unavailable"> = openEnum("available", "unavailable")

/**
 * @since 0.1.0
 * @category enums
 */
export type AccountStatus = typeof AccountStatus.Type

// -------------------------------------------------------------------------------------------------
// shared pieces
// -------------------------------------------------------------------------------------------------

/**
 * A `links` object holding only the resource's own URL.
 *
 * @since 0.1.0
 * @category models
 */
export const SelfLink = Schema.Struct({
  self: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type SelfLink = typeof SelfLink.Type

/**
 * The institution a connection belongs to (`AU00000` is Basiq's sandbox bank "Hooli").
 *
 * @since 0.1.0
 * @category models
 */
export const Institution = Schema.Struct({
  type: Schema.optional(Schema.String),
  id: Schema.String,
  links: Schema.optional(SelfLink)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Institution = typeof Institution.Type

// -------------------------------------------------------------------------------------------------
// accounts and profile
// -------------------------------------------------------------------------------------------------

/**
 * An account's class: `type` (`savings`, `transaction`, `credit-card`, `mortgage`, ... with no
 * fixed list) and the institution's product name. `meta` is absent in v3.
 *
 * @since 0.1.0
 * @category models
 */
export const AccountClass = Schema.Struct({
  type: Schema.String,
  product: Schema.optional(Schema.String),
  /** Open data; any `__proto__` key in it is dropped, at any depth. */
  meta: Schema.optional(UnknownRecord)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AccountClass = typeof AccountClass.Type

/**
 * An account embedded in a connection. Money is a decimal string (`"-299292.25"`); `balance` and
 * `availableFunds` are `null` when the institution does not report them.
 *
 * @since 0.1.0
 * @category models
 */
export const Account = Schema.Struct({
  type: Schema.String,
  id: Schema.String,
  accountNo: Schema.String,
  name: Schema.String,
  currency: Schema.String,
  class: AccountClass,
  balance: Schema.NullOr(Schema.String),
  availableFunds: Schema.NullOr(Schema.String),
  lastUpdated: Schema.optional(Schema.String),
  status: Schema.optional(AccountStatus),
  links: Schema.optional(
    Schema.Struct({
      self: Schema.String,
      transactions: Schema.optional(Schema.String)
    })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type Account = typeof Account.Type

/**
 * The accounts embedded in a connection (`{ type: "list", data }`).
 *
 * @since 0.1.0
 * @category models
 */
export const AccountList = Schema.Struct({
  type: Schema.String,
  data: Schema.Array(Account)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AccountList = typeof AccountList.Type

/**
 * A postal address from the institution's profile. `addressLine2` and `addressLine3` are
 * documented as always `null`; `formattedAddress` is the institution's own formatting and may
 * differ from `addressLine1`.
 *
 * @since 0.1.0
 * @category models
 */
export const PhysicalAddress = Schema.Struct({
  addressLine1: Schema.NullOr(Schema.String),
  addressLine2: Schema.optional(Schema.NullOr(Schema.String)),
  addressLine3: Schema.optional(Schema.NullOr(Schema.String)),
  postcode: Schema.optional(Schema.NullOr(Schema.String)),
  city: Schema.optional(Schema.NullOr(Schema.String)),
  state: Schema.optional(Schema.NullOr(Schema.String)),
  country: Schema.optional(Schema.NullOr(Schema.String)),
  countryCode: Schema.optional(Schema.NullOr(Schema.String)),
  formattedAddress: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type PhysicalAddress = typeof PhysicalAddress.Type

/**
 * The account holder's profile as the institution reports it (v2.1; v3 may omit it). Values are
 * as the bank sends them: `middleName` is often `""`, phone numbers and emails may be masked.
 *
 * @since 0.1.0
 * @category models
 */
export const Profile = Schema.Struct({
  fullName: Schema.String,
  firstName: Schema.String,
  lastName: Schema.String,
  middleName: Schema.String,
  phoneNumbers: Schema.Array(Schema.String),
  emailAddresses: Schema.Array(Schema.String),
  physicalAddresses: Schema.Array(PhysicalAddress)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Profile = typeof Profile.Type

// -------------------------------------------------------------------------------------------------
// connections
// -------------------------------------------------------------------------------------------------

const connectionFields = {
  type: Schema.String,
  id: Schema.String,
  /** Server scope only. */
  status: Schema.optional(ConnectionStatus),
  /** RFC 3339, with or without milliseconds; server scope only, so client-token answers omit it. */
  createdDate: Schema.optional(Schema.String),
  /** Server scope only; on a new connection it can be earlier than `createdDate`. */
  lastUsed: Schema.optional(Schema.String),
  /** v3. */
  method: Schema.optional(ConnectionMethod),
  /** v3, open-banking connections only. */
  expiryDate: Schema.optional(Schema.String),
  /** v2.1 only. */
  mfaEnabled: Schema.optional(Schema.Boolean),
  institution: Institution
}

/**
 * The links of a single connection. `accounts` and `transactions` carry an
 * `institution.id.eq(...)` filter.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionLinks = Schema.Struct({
  self: Schema.String,
  user: Schema.optional(Schema.String),
  accounts: Schema.optional(Schema.String),
  transactions: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionLinks = typeof ConnectionLinks.Type

/**
 * A connection as `getConnection` returns it, with its accounts and (v2.1) profile when Basiq
 * includes them.
 *
 * @since 0.1.0
 * @category models
 */
export const Connection = Schema.Struct({
  ...connectionFields,
  accounts: Schema.optional(AccountList),
  profile: Schema.optional(Profile),
  links: ConnectionLinks
})

/**
 * @since 0.1.0
 * @category models
 */
export type Connection = typeof Connection.Type

/**
 * The links of a connection in a list: `institution` instead of `user`.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionSummaryLinks = Schema.Struct({
  self: Schema.String,
  institution: Schema.optional(Schema.String),
  accounts: Schema.optional(Schema.String),
  transactions: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionSummaryLinks = typeof ConnectionSummaryLinks.Type

/**
 * A connection as `getConnections` lists it: no accounts or profile.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionSummary = Schema.Struct({
  ...connectionFields,
  links: ConnectionSummaryLinks
})

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionSummary = typeof ConnectionSummary.Type

/**
 * The answer of `getConnections`. Basiq documents `data` as optional: a missing or `null`
 * `data` decodes to an empty array.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionList = Schema.Struct({
  type: Schema.String,
  data: Schema.optionalWith(Schema.Array(ConnectionSummary), { nullable: true, default: () => [] }),
  links: Schema.optional(SelfLink)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionList = typeof ConnectionList.Type

// -------------------------------------------------------------------------------------------------
// job references
// -------------------------------------------------------------------------------------------------

/**
 * A reference to the job Basiq started (create, update, refresh, MFA answer): `links.self` is the
 * job's absolute URL (a missing or `null` `links` decodes as missing). A refresh of a connection whose job is still running answers with that job
 * instead, which this schema also accepts (`type` then defaults to `"job"`).
 *
 * @since 0.1.0
 * @category models
 */
export const JobRef = Schema.Struct({
  type: Schema.optionalWith(Schema.String, { default: () => "job" }),
  id: Schema.String,
  links: Schema.optionalWith(
    Schema.Struct({
      self: Schema.String
    }),
    { nullable: true }
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobRef = typeof JobRef.Type

/**
 * The answer of `refreshConnections`: one job per refreshed connection.
 *
 * @since 0.1.0
 * @category models
 */
export const JobRefList = Schema.Struct({
  type: Schema.String,
  data: Schema.Array(JobRef)
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobRefList = typeof JobRefList.Type

// -------------------------------------------------------------------------------------------------
// request bodies
// -------------------------------------------------------------------------------------------------

// Failure messages name what was expected, never the value: the defaults print `actual <value>`,
// which for a credential given as a plain string (or a number) would be the secret itself.
const CredentialString = Schema.String.annotations({
  message: () => "Expected a string (the value is not shown)"
}).pipe(Schema.minLength(1, { message: () => "Expected a non-empty string" }))

/**
 * A credential: a non-empty string on the wire, `Redacted` in the program. The emptiness check
 * runs on decoding and on encoding (after unwrapping), so an empty credential fails with a
 * `ParseIssue` whose path names the field; failure messages never contain the value.
 *
 * @since 0.1.0
 * @category bodies
 */
export const Credential: Schema.Schema<Redacted.Redacted<string>, string> = Schema.transform(
  CredentialString,
  Schema.RedactedFromSelf(CredentialString).annotations({
    message: () => "Expected a Redacted string (the value is not shown)"
  }),
  {
    strict: true,
    decode: (value) => Redacted.make(value),
    encode: (redacted) => Redacted.value(redacted)
  }
).annotations({ identifier: "Credential" })

/**
 * @since 0.1.0
 * @category bodies
 */
export type Credential = typeof Credential.Type

/**
 * The body of `postConnection` (`POST /users/{userId}/connections`): the user's institution
 * login. `securityCode` and `secondaryLoginId` are needed only by institutions that ask for them.
 *
 * @since 0.1.0
 * @category bodies
 */
export const PostConnectionBody = Schema.Struct({
  loginId: Credential,
  password: Credential,
  securityCode: Schema.optional(Credential),
  secondaryLoginId: Schema.optional(Credential),
  institution: Schema.Struct({
    id: Schema.NonEmptyString
  })
})

/**
 * @since 0.1.0
 * @category bodies
 */
export type PostConnectionBody = typeof PostConnectionBody.Type

/**
 * The body of `updateConnection` (`POST /users/{userId}/connections/{connectionId}`): the new
 * (or old) password and, where the institution needs them, security code and secondary login.
 *
 * @since 0.1.0
 * @category bodies
 */
export const UpdateConnectionBody = Schema.Struct({
  password: Credential,
  securityCode: Schema.optional(Credential),
  secondaryLoginId: Schema.optional(Credential)
})

/**
 * @since 0.1.0
 * @category bodies
 */
export type UpdateConnectionBody = typeof UpdateConnectionBody.Type

/**
 * A credential given as a plain string or already `Redacted`.
 *
 * @since 0.1.0
 * @category bodies
 */
export type CredentialInput = string | Redacted.Redacted<string>

// The builders never throw: they may be called with anything from JavaScript (the promise facade
// passes its caller's body through). A plain string is wrapped in `Redacted`; any other value is
// passed on as it is, so that encoding the body (before anything is sent) fails with a
// `ParseIssue` naming the field instead of the builder throwing a `TypeError`.
const redact = (value: unknown): unknown => (typeof value === "string" ? Redacted.make(value) : value)

const institutionRef = (institution: unknown): unknown => {
  if (typeof institution === "string") return { id: institution }
  if (Predicate.isRecord(institution)) return { id: institution.id }
  return institution
}

const copyCredentials = (
  input: Readonly<Record<string, unknown>>,
  required: ReadonlyArray<string>,
  optional: ReadonlyArray<string>
): Record<string, unknown> => {
  const body: Record<string, unknown> = {}
  for (const key of required) body[key] = redact(input[key])
  for (const key of optional) {
    if (input[key] !== undefined) body[key] = redact(input[key])
  }
  return body
}

/**
 * The input of {@link makePostConnectionBody}: credentials as plain strings or `Redacted`, the
 * institution as its id or `{ id }`.
 *
 * @since 0.1.0
 * @category bodies
 */
export interface PostConnectionInput {
  readonly loginId: CredentialInput
  readonly password: CredentialInput
  readonly institution: { readonly id: string } | string
  readonly securityCode?: CredentialInput | undefined
  readonly secondaryLoginId?: CredentialInput | undefined
}

/**
 * The input of {@link makeUpdateConnectionBody}: credentials as plain strings or `Redacted`.
 *
 * @since 0.1.0
 * @category bodies
 */
export interface UpdateConnectionInput {
  readonly password: CredentialInput
  readonly securityCode?: CredentialInput | undefined
  readonly secondaryLoginId?: CredentialInput | undefined
}

/**
 * Builds a `PostConnectionBody`, wrapping plain-string credentials in `Redacted`. Nothing is
 * validated here and it never throws: a malformed input (from JavaScript: `null`, a missing
 * `institution`, a number for `loginId`, ...) is passed on as it is, and encoding the body (as
 * the client does before sending) fails with `BasiqInvalidRequestError` naming the fields.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePostConnectionBody = (input: PostConnectionInput): PostConnectionBody => {
  const raw: unknown = input
  if (!Predicate.isRecord(raw)) return raw as PostConnectionBody
  const body = copyCredentials(raw, ["loginId", "password"], ["securityCode", "secondaryLoginId"])
  body.institution = institutionRef(raw.institution)
  return body as PostConnectionBody
}

/**
 * Builds an `UpdateConnectionBody`, wrapping plain-string credentials in `Redacted`. Like
 * {@link makePostConnectionBody}, it never throws: encoding names what is malformed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeUpdateConnectionBody = (input: UpdateConnectionInput): UpdateConnectionBody => {
  const raw: unknown = input
  if (!Predicate.isRecord(raw)) return raw as UpdateConnectionBody
  return copyCredentials(raw, ["password"], ["securityCode", "secondaryLoginId"]) as UpdateConnectionBody
}
