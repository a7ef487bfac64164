import * as Schema from "effect/Schema"

/**
 * An open enum: the known literals, or any other string Basiq may add later. The type stays
 * `Known | (string & {})`, so editors still suggest the known values.
 *
 * @since 0.1.0
 * @category internal
 */
export interface OpenEnum<Known extends string> extends Schema.Schema<Known | (string & {}), string> {}

/**
 * Builds an `OpenEnum` as a union of the known literals and `String` (the literals document the
 * known values, e.g. for arbitraries and JSON Schema; decoding costs little more than `String`).
 *
 * @since 0.1.0
 * @category internal
 */
export const openEnum = <const Known extends ReadonlyArray<string>>(...known: Known): OpenEnum<Known[number]> =>
  Schema.Union(Schema.Literal(...known), Schema.String)

/**
 * An optional field Basiq may send as `null`: `null` and a missing key both decode to a missing
 * key (encoded back as a missing key). It is a transformation, noticeably slower to decode than
 * `Schema.optional`: keep it off hot paths such as accounts.
 *
 * @since 0.1.0
 * @category internal
 */
export const optionalNullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(schema, { nullable: true })
