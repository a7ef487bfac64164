import * as Predicate from "effect/Predicate"
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

/**
 * A copy of a JSON value without any own `__proto__` key, at any depth: `JSON.parse` creates such
 * keys as plain data, but assigning one (as a copy or `Schema.Record` decoding does) replaces the
 * target's prototype. `constructor` and `prototype` keys are kept as plain data. Objects that are
 * not plain (a `Date`, a class instance) are kept as they are, and a cycle is not followed.
 *
 * @since 0.1.0
 * @category internal
 */
export const withoutProtoKeys = (value: unknown): unknown => copyJson(value, new Set())

const copyJson = (value: unknown, ancestors: Set<object>): unknown => {
  if (typeof value !== "object" || value === null || ancestors.has(value)) return value
  if (Array.isArray(value)) {
    ancestors.add(value)
    const out = value.map((item: unknown) => copyJson(item, ancestors))
    ancestors.delete(value)
    return out
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  ancestors.add(value)
  const record = value as { readonly [key: string]: unknown }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(record)) {
    if (key !== "__proto__") out[key] = copyJson(record[key], ancestors)
  }
  ancestors.delete(value)
  return out
}

const PlainObject = Schema.declare((u: unknown): u is { readonly [key: string]: unknown } => Predicate.isRecord(u), {
  identifier: "object",
  description: "a JSON object",
  arbitrary: () => (fc) => fc.dictionary(fc.string(), fc.jsonValue())
})

/**
 * An open JSON object (`{ [key: string]: unknown }`) that is safe to decode from `JSON.parse`
 * output: every `__proto__` key is dropped, at any depth, before `Schema.Record` rebuilds the
 * object (which would otherwise assign it and change the result's prototype). Encoding is the
 * identity.
 *
 * @since 0.1.0
 * @category internal
 */
export const UnknownRecord: Schema.Schema<{ readonly [key: string]: unknown }> = Schema.transform(
  PlainObject,
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  {
    strict: true,
    decode: (record) => withoutProtoKeys(record) as { readonly [key: string]: unknown },
    encode: (record) => record
  }
)
