/**
 * Core's fast decoding path (`BasiqClient.json`) on every schema of the SDK's packages: for
 * generated bodies (valid, with extra keys, or arbitrary JSON), the decoded value or the issue is
 * exactly Schema's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Schema } from "effect"
import fc from "fast-check"
import { bodies, expectSameAsSchema } from "../../core/test/utils/schemaEquivalence.js"
import { ConnectionSchemas, ConsentSchemas, EventSchemas, JobSchemas, UserSchemas } from "../src/index.js"

const modules = { ConnectionSchemas, JobSchemas, UserSchemas, ConsentSchemas, EventSchemas }

const candidates = Object.entries(modules).flatMap(([module, exports]) =>
  Object.entries(exports)
    .filter((entry): entry is [string, Schema.Schema<unknown, unknown, never>] => Schema.isSchema(entry[1]))
    .map(([name, schema]) => [`${module}.${name}`, schema] as const)
)

/** The schemas whose encoded side fast-check can generate (a declaration without an arbitrary cannot). */
const generated = candidates.flatMap(([name, schema]) => {
  try {
    return [{ name, schema, arbitrary: Arbitrary.make(Schema.encodedSchema(schema)) }]
  } catch {
    return []
  }
})

describe("the fast decoding path on the SDK's schemas", () => {
  it("generates bodies for most schemas", () => {
    expect(generated.map((g) => g.name)).toEqual(
      expect.arrayContaining(["ConnectionSchemas.Connection", "ConnectionSchemas.AccountList", "UserSchemas.User"])
    )
    expect(generated.length).toBeGreaterThanOrEqual(30)
  })

  for (const { name, schema, arbitrary } of generated) {
    it(`${name}: the same value or the same issue as Schema's decoder`, () => {
      fc.assert(
        fc.property(fc.oneof(...bodies(arbitrary)), (body) => {
          expectSameAsSchema(schema, body)
        }),
        { numRuns: 150 }
      )
    })
  }
})
