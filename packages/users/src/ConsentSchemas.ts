/**
 * Schemas of a user's consents (`GET /users/{userId}/consents`), decoded leniently: Basiq's spec
 * marks the consent as closed (`additionalProperties: false`) but new fields must not break an
 * app, so unknown fields are ignored and optional parts may be missing or `null`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

const TitleAndDescription = Schema.Struct({
  title: optionalNullable(Schema.String),
  description: optionalNullable(Schema.String)
})

/**
 * One permission of a consent (`scope`, e.g. `account.basic`, and what it covers).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Permission = Schema.Struct({
  scope: Schema.String,
  required: optionalNullable(Schema.Boolean),
  consented: optionalNullable(Schema.Boolean),
  entity: optionalNullable(Schema.String),
  information: optionalNullable(
    Schema.Struct({
      name: optionalNullable(Schema.String),
      description: optionalNullable(Schema.String),
      attributeList: optionalNullable(Schema.Array(Schema.String))
    })
  ),
  purpose: optionalNullable(TitleAndDescription)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Permission = typeof Permission.Type

/**
 * A consent's status: `active`, `revoked` or `expired` (any other string Basiq may add decodes too).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConsentStatus = Schema.Union(Schema.Literal("active", "revoked", "expired"), Schema.String)

/**
 * @since 0.1.0
 * @category models
 */
export type ConsentStatus = typeof ConsentStatus.Type

/**
 * A consent a user gave in Basiq's consent UI.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Consent = Schema.Struct({
  type: optionalNullable(Schema.String),
  id: Schema.String,
  created: optionalNullable(Schema.String),
  updated: optionalNullable(Schema.String),
  expiryDate: optionalNullable(Schema.String),
  origin: optionalNullable(Schema.String),
  status: ConsentStatus,
  /** When it was revoked (a timestamp), for a revoked consent. */
  revoked: optionalNullable(Schema.String),
  purpose: optionalNullable(
    Schema.Struct({
      primary: optionalNullable(TitleAndDescription),
      other: optionalNullable(Schema.Unknown)
    })
  ),
  data: optionalNullable(
    Schema.Struct({
      retainData: optionalNullable(Schema.Boolean),
      initialRetrievalDays: optionalNullable(Schema.Number),
      organisation: optionalNullable(Schema.Unknown),
      permissions: optionalNullable(Schema.Array(Permission))
    })
  ),
  links: optionalNullable(
    Schema.Struct({
      self: optionalNullable(Schema.String),
      consentPolicy: optionalNullable(Schema.String),
      latestConsentPolicy: optionalNullable(Schema.String)
    })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type Consent = typeof Consent.Type

/**
 * The list `getConsents` returns (`data` is empty when the user has none).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConsentList = Schema.Struct({
  type: optionalNullable(Schema.String),
  size: optionalNullable(Schema.Number),
  data: Schema.optionalWith(Schema.Array(Consent), { nullable: true, default: () => [] }),
  links: optionalNullable(Schema.Struct({ self: optionalNullable(Schema.String) }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ConsentList = typeof ConsentList.Type
