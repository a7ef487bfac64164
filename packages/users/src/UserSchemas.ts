/**
 * Schemas of Basiq users: what `GET /users/{userId}` and the create/update answers give, and the
 * bodies `createUser` and `updateUser` send (checked before sending).
 *
 * Where Basiq's sources disagree the decoding is lenient and the encoding strict:
 *
 * - `mobile` is declared a string but the spec's examples show a number: both decode to a string;
 *   the SDK sends the international format `+<country code><number>`.
 * - the create body needs `email` or `mobile` (or both: every example sends both, although one
 *   page says "only one").
 * - `name`, `firstName`, ... are required in the v3 `GET` answer but "or empty": they decode when
 *   missing, `null` or empty.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

/** A string, or a number Basiq sent for it (the spec's `mobile` examples), as a string. */
const StringOrNumber = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Number, Schema.String, { strict: true, decode: (n) => String(n), encode: Number })
)

/**
 * An entry of a user's `connections` or `accounts` list.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserLink = Schema.Struct({
  type: Schema.String,
  id: Schema.String,
  links: optionalNullable(Schema.Struct({ self: optionalNullable(Schema.String) }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type UserLink = typeof UserLink.Type

/**
 * A user's `connections` or `accounts` list.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserLinkList = Schema.Struct({
  type: optionalNullable(Schema.String),
  count: optionalNullable(Schema.Number),
  data: optionalNullable(Schema.Array(UserLink))
})

/**
 * @since 0.1.0
 * @category models
 */
export type UserLinkList = typeof UserLinkList.Type

/**
 * A business address.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BusinessAddress = Schema.Struct({
  addressLine1: Schema.optional(Schema.String),
  addressLine2: Schema.optional(Schema.String),
  suburb: Schema.optional(Schema.String),
  state: Schema.optional(Schema.String),
  postcode: Schema.optional(Schema.String),
  countryCode: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type BusinessAddress = typeof BusinessAddress.Type

/**
 * A Basiq user, as `GET /users/{userId}`, `createUser` and `updateUser` answer (the create and
 * update answers carry fewer fields: the others are then absent).
 *
 * @since 0.1.0
 * @category schemas
 */
export const User = Schema.Struct({
  type: Schema.optional(Schema.String),
  id: Schema.String,
  email: optionalNullable(Schema.String),
  mobile: optionalNullable(StringOrNumber),
  name: optionalNullable(Schema.String),
  firstName: optionalNullable(Schema.String),
  middleName: optionalNullable(Schema.String),
  lastName: optionalNullable(Schema.String),
  businessName: optionalNullable(Schema.String),
  businessIdNo: optionalNullable(Schema.String),
  businessIdNoType: optionalNullable(Schema.String),
  businessAddress: optionalNullable(BusinessAddress),
  verificationStatus: optionalNullable(Schema.Boolean),
  verificationDate: optionalNullable(Schema.String),
  connections: optionalNullable(UserLinkList),
  accounts: optionalNullable(UserLinkList),
  links: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type User = typeof User.Type

/** Emails as Basiq checks them ("bad format"): one `@`, a dot in the domain, no spaces. */
const Email = Schema.String.pipe(
  Schema.maxLength(254),
  Schema.pattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/),
  Schema.annotations({ identifier: "an email address" })
)

/** A mobile number in international format: `+`, the country code and the number. */
const Mobile = Schema.String.pipe(
  Schema.pattern(/^\+[1-9][0-9]{6,14}$/),
  Schema.annotations({ identifier: "a mobile number in international format (+61410888999)" })
)

const Name = Schema.String.pipe(Schema.maxLength(255))

/**
 * The kind of business number.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BusinessIdNoType = Schema.Literal("ABN", "ACN")

/**
 * The body of `createUser`: `email` and/or `mobile` (at least one), optional names and business
 * details; `businessName` is required when `businessIdNo` is given. Checked before sending: a bad
 * body is `BasiqInvalidRequestError` naming the fields, and nothing is sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateUserBody = Schema.Struct({
  email: Schema.optional(Email),
  mobile: Schema.optional(Mobile),
  firstName: Schema.optional(Name),
  middleName: Schema.optional(Name),
  lastName: Schema.optional(Name),
  businessName: Schema.optional(Name),
  businessIdNo: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  businessIdNoType: Schema.optional(BusinessIdNoType),
  businessAddress: Schema.optional(BusinessAddress),
  verificationStatus: Schema.optional(Schema.Boolean),
  verificationDate: Schema.optional(Schema.String)
}).pipe(
  Schema.filter((body) => {
    const issues: Array<Schema.FilterIssue> = []
    if (body.email === undefined && body.mobile === undefined) {
      issues.push({ path: ["email"], message: "one of email or mobile is required" })
      issues.push({ path: ["mobile"], message: "one of email or mobile is required" })
    }
    if (body.businessIdNo !== undefined && body.businessName === undefined) {
      issues.push({ path: ["businessName"], message: "businessName is required with businessIdNo" })
    }
    return issues
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type CreateUserBody = typeof CreateUserBody.Type

/**
 * The body of `updateUser`: the fields to change (any others stay as they are); at least one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UpdateUserBody = Schema.Struct({
  email: Schema.optional(Email),
  mobile: Schema.optional(Mobile),
  firstName: Schema.optional(Name),
  middleName: Schema.optional(Name),
  lastName: Schema.optional(Name)
}).pipe(
  Schema.filter((body) =>
    Object.values(body).some((v) => v !== undefined)
      ? true
      : { path: ["body"], message: "at least one field to update is required" }
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type UpdateUserBody = typeof UpdateUserBody.Type
