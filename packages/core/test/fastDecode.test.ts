/**
 * The fast decoding path of response bodies (`BasiqClient.json`): wherever it gives a value,
 * Schema's decoder gives the same one (same keys, same order, `undefined` kept or left out the
 * same way, fresh objects and arrays); wherever the input is invalid, the failure is Schema's own
 * issue. Checked by property tests on generated and arbitrary JSON, per AST node kind.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, Schema } from "effect"
import fc from "fast-check"
import * as BasiqClient from "../src/BasiqClient.js"
import * as FastDecode from "../src/internal/fastDecode.js"
import { bodies, expectSameAsSchema as expectSameAsSchemaDecoder } from "./utils/schemaEquivalence.js"

const Enum = Schema.Union(Schema.Literal("pending", "active"), Schema.String)

const Account = Schema.Struct({
  id: Schema.String,
  balance: Schema.NullOr(Schema.String),
  amount: Schema.Number,
  open: Schema.Boolean,
  status: Schema.optional(Enum),
  kind: Schema.Literal("account"),
  note: Schema.UndefinedOr(Schema.String),
  extra: Schema.optional(Schema.Unknown),
  tags: Schema.Array(Schema.String)
})

const Connection = Schema.Struct({
  type: Schema.Literal("connection"),
  id: Schema.String,
  accounts: Schema.optional(Schema.Struct({ data: Schema.Array(Account) })),
  links: Schema.NullOr(Schema.Struct({ self: Schema.String, next: Schema.optional(Schema.String) })),
  matrix: Schema.optional(Schema.Array(Schema.Array(Schema.Number)))
})

/** Nodes the fast path leaves to Schema, inside otherwise plain structs. */
const Mixed = Schema.Struct({
  id: Schema.NonEmptyString,
  count: Schema.NumberFromString,
  meta: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  either: Schema.Union(Schema.Struct({ a: Schema.String }), Schema.Struct({ b: Schema.Number })),
  tuple: Schema.optional(Schema.Tuple(Schema.String, Schema.Number)),
  strict: Schema.optional(
    Schema.Struct({ x: Schema.String }).annotations({ parseOptions: { onExcessProperty: "preserve" } })
  )
})

/** Each schema with its own property check (so the schema's types stay precise). */
const property = <A, I>(schema: Schema.Schema<A, I, never>) =>
  fc.property(inputs(schema), (input) => expectSameAsSchema(schema, input))

/** The combined decoder users run gives Schema's value or issue, and a fresh object. */
const expectSameAsSchema = <A, I>(schema: Schema.Schema<A, I, never>, input: unknown) => {
  const ours = expectSameAsSchemaDecoder(schema, input)
  if (Either.isRight(ours) && typeof input === "object" && input !== null) expect(ours.right).not.toBe(input)
}

/** A valid encoded value of `schema`, then sometimes a field broken or an extra key added. */
const inputs = <A, I>(schema: Schema.Schema<A, I, never>): fc.Arbitrary<unknown> =>
  fc.oneof(...bodies(Arbitrary.make(Schema.encodedSchema(schema))), fc.anything())

describe("the fast decoding path", () => {
  const properties = {
    Enum: property(Enum),
    Account: property(Account),
    Connection: property(Connection),
    Mixed: property(Mixed)
  }
  for (const [name, check] of Object.entries(properties)) {
    it(`${name}: the same value or the same issue as Schema's decoder, for any input`, () => {
      fc.assert(check, { numRuns: 400 })
    })
  }

  it("covers plain structs, arrays and unions of primitives: a valid body is decoded without Schema's parser", () => {
    const fast = FastDecode.compile(Connection.ast)
    expect(fast).toBeDefined()
    const body = {
      type: "connection",
      id: "c1",
      unknownKey: { deep: true },
      accounts: {
        data: [
          { id: "a", balance: null, amount: 1.5, open: true, status: "closed", kind: "account", tags: ["x"] },
          { id: "b", balance: "2", amount: 0, open: false, kind: "account", note: undefined, tags: [] }
        ]
      },
      links: { self: "/c1" }
    }
    const value = fast!(body)
    expect(value).not.toBe(FastDecode.Miss)
    expect(value).toStrictEqual(Schema.decodeUnknownSync(Connection)(body))
    // Required keys read as undefined are kept as Schema keeps them; extra keys are dropped.
    const account = (value as { accounts: { data: Array<Record<string, unknown>> } }).accounts.data[0]!
    expect(Object.keys(account)).toEqual(["id", "balance", "amount", "open", "status", "kind", "note", "tags"])
    expect("unknownKey" in (value as object)).toBe(false)
  })

  it("misses on invalid input (Schema then decides), at any depth", () => {
    const fast = FastDecode.compile(Connection.ast)!
    expect(fast({ type: "connection", id: 1, links: null })).toBe(FastDecode.Miss)
    expect(
      fast({
        type: "connection",
        id: "c",
        links: null,
        accounts: { data: [{ id: "a", balance: 3, amount: 1, open: true, kind: "account", tags: [] }] }
      })
    ).toBe(FastDecode.Miss)
    expect(fast([])).toBe(FastDecode.Miss)
    expect(fast(null)).toBe(FastDecode.Miss)
  })

  it("leaves transformations, refinements and records to Schema (their output is Schema's)", () => {
    expect(FastDecode.compile(Schema.NumberFromString.ast)).toBeUndefined()
    expect(FastDecode.compile(Schema.Record({ key: Schema.String, value: Schema.Number }).ast)).toBeUndefined()
    const decoded = BasiqClient.json(Mixed).decode(
      { id: "x", count: "12", either: { b: 2 }, strict: { x: "s", kept: 1 } },
      200
    )
    expect(decoded).toStrictEqual(Either.right({ id: "x", count: 12, either: { b: 2 }, strict: { x: "s", kept: 1 } }))
  })
})
