/**
 * Decoded values carry only plain prototypes. `JSON.parse` turns a `"__proto__"` key into an own
 * data property; a schema that copies it by assignment (as `Schema.Record` decoding does) would
 * replace the result's prototype. These tests call the package's schemas directly on
 * `JSON.parse` output (not through core's JSON parsing), with `__proto__` at several depths.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Schema } from "effect"
import * as ConnectionSchemas from "../src/ConnectionSchemas.js"
import { withoutProtoKeys } from "../src/internal/schema.js"
import * as JobSchemas from "../src/JobSchemas.js"

const POLLUTION = `"__proto__": { "polluted": true, "type": "x", "id": "x", "self": "x" }`

/** Every object reachable from `value` has `Object.prototype` or `Array.prototype`, and no own `__proto__`. */
const expectPlain = (value: unknown, path = "$"): number => {
  if (typeof value !== "object" || value === null) return 0
  if (Duration.isDuration(value)) return 0
  const proto: unknown = Object.getPrototypeOf(value)
  if (Array.isArray(value)) {
    expect(proto, path).toBe(Array.prototype)
    return 1 + value.reduce((n: number, item: unknown, i) => n + expectPlain(item, `${path}[${i}]`), 0)
  }
  expect(proto, path).toBe(Object.prototype)
  expect(Object.hasOwn(value, "__proto__"), `${path} has an own __proto__`).toBe(false)
  expect("polluted" in value, `${path}.polluted`).toBe(false)
  let n = 1
  for (const [key, item] of Object.entries(value)) n += expectPlain(item, `${path}.${key}`)
  return n
}

const expectNoGlobalPollution = () => {
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false)
}

const account = `{
  ${POLLUTION},
  "type": "account", "id": "acc-1", "accountNo": "4", "name": "Saver", "currency": "AUD",
  "class": {
    ${POLLUTION},
    "type": "savings", "product": "Saver",
    "meta": {
      ${POLLUTION},
      "constructor": { "name": "kept" },
      "prototype": "kept too",
      "nested": { ${POLLUTION}, "deeper": [ { ${POLLUTION}, "leaf": 1 }, [ { ${POLLUTION} } ] ] },
      "list": [ { ${POLLUTION}, "x": 1 } ]
    }
  },
  "balance": "1.00", "availableFunds": null,
  "links": { ${POLLUTION}, "self": "/accounts/acc-1" }
}`

const connection = `{
  ${POLLUTION},
  "type": "connection", "id": "c1", "status": "active",
  "institution": { ${POLLUTION}, "id": "AU00000", "links": { ${POLLUTION}, "self": "/institutions/AU00000" } },
  "accounts": { ${POLLUTION}, "type": "list", "data": [ ${account} ] },
  "profile": {
    ${POLLUTION},
    "fullName": "A B", "firstName": "A", "lastName": "B", "middleName": "",
    "phoneNumbers": [], "emailAddresses": [],
    "physicalAddresses": [ { ${POLLUTION}, "addressLine1": "1 St" } ]
  },
  "links": { ${POLLUTION}, "self": "/users/u/connections/c1" }
}`

const job = `{
  ${POLLUTION},
  "type": "job", "id": "j1",
  "institution": { ${POLLUTION}, "id": "AU00000" },
  "steps": [
    { ${POLLUTION}, "title": "verify-credentials", "status": "success",
      "result": { ${POLLUTION}, "type": "link", "url": "/users/u/connections/c1" } },
    { ${POLLUTION}, "title": "mfa-challenge", "status": "in-progress",
      "result": [ { ${POLLUTION}, "type": "mfa", "method": "token", "input": ["OTP"], "expiryMs": 1000,
        "links": { ${POLLUTION}, "response": "/jobs/j1/mfa" } } ] },
    { ${POLLUTION}, "title": "retrieve-accounts", "status": "failed",
      "result": { ${POLLUTION}, "code": "invalid-credentials", "details": "d" } }
  ],
  "links": { ${POLLUTION}, "self": "/jobs/j1", "source": "/users/u/connections/c1" }
}`

const cases: ReadonlyArray<readonly [string, (u: unknown) => unknown, string]> = [
  ["Connection", Schema.decodeUnknownSync(ConnectionSchemas.Connection), connection],
  [
    "ConnectionList",
    Schema.decodeUnknownSync(ConnectionSchemas.ConnectionList),
    `{ ${POLLUTION}, "type": "list", "data": [ ${connection} ], "links": { ${POLLUTION}, "self": "/c" } }`
  ],
  ["ConnectionSummary", Schema.decodeUnknownSync(ConnectionSchemas.ConnectionSummary), connection],
  ["Account", Schema.decodeUnknownSync(ConnectionSchemas.Account), account],
  [
    "AccountClass",
    Schema.decodeUnknownSync(ConnectionSchemas.AccountClass),
    `{ ${POLLUTION}, "type": "savings", "meta": { ${POLLUTION}, "a": { ${POLLUTION}, "b": [ { ${POLLUTION} } ] } } }`
  ],
  [
    "JobRef",
    Schema.decodeUnknownSync(ConnectionSchemas.JobRef),
    `{ ${POLLUTION}, "id": "j1", "links": { ${POLLUTION}, "self": "/jobs/j1" } }`
  ],
  [
    "JobRefList",
    Schema.decodeUnknownSync(ConnectionSchemas.JobRefList),
    `{ ${POLLUTION}, "type": "list", "data": [ { ${POLLUTION}, "type": "job", "id": "j1" } ] }`
  ],
  ["Job", Schema.decodeUnknownSync(JobSchemas.Job), job],
  [
    "JobList",
    Schema.decodeUnknownSync(JobSchemas.JobList),
    `{ ${POLLUTION}, "type": "list", "data": [ ${job} ], "links": { ${POLLUTION}, "self": "/jobs" } }`
  ]
]

describe("__proto__ keys in JSON.parse output", () => {
  for (const [name, decode, text] of cases) {
    it(`${name}: every decoded object has a plain prototype and no __proto__ key`, () => {
      const parsed: unknown = JSON.parse(text)
      // the input really has own "__proto__" keys (as JSON.parse makes them), not a changed prototype
      expect(Object.hasOwn(parsed as object, "__proto__")).toBe(true)
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
      const decoded = decode(parsed)
      expect(expectPlain(decoded)).toBeGreaterThan(1)
      expectNoGlobalPollution()
    })
  }

  it("an account's class.meta drops __proto__ at every depth and keeps constructor and prototype as data", () => {
    const decoded = Schema.decodeUnknownSync(ConnectionSchemas.Account)(JSON.parse(account))
    const meta = decoded.class.meta
    expect(meta).toEqual({
      constructor: { name: "kept" },
      prototype: "kept too",
      nested: { deeper: [{ leaf: 1 }, [{}]] },
      list: [{ x: 1 }]
    })
    expect(Object.keys(meta ?? {})).toEqual(["constructor", "prototype", "nested", "list"])
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype)
    expectNoGlobalPollution()
  })

  it("class.meta still refuses what is not an object", () => {
    for (const meta of [null, "x", 1, []]) {
      expect(() => Schema.decodeUnknownSync(ConnectionSchemas.AccountClass)({ type: "savings", meta })).toThrow()
    }
  })

  it("the request bodies decode to plain objects too", () => {
    const body = Schema.decodeUnknownSync(ConnectionSchemas.PostConnectionBody)(
      JSON.parse(`{ ${POLLUTION}, "loginId": "l", "password": "p", "institution": { ${POLLUTION}, "id": "AU00000" } }`)
    )
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(body.institution)).toBe(Object.prototype)
    expect(Object.hasOwn(body, "__proto__")).toBe(false)
    expectNoGlobalPollution()
  })

  // Why `class.meta` is not a plain `Schema.Record`: its decoding assigns every key of the input to
  // a fresh object, and assigning `__proto__` replaces that object's prototype.
  it("a plain Schema.Record would change the prototype (the finding behind UnknownRecord)", () => {
    const plain = Schema.decodeUnknownSync(Schema.Record({ key: Schema.String, value: Schema.Unknown }))(
      JSON.parse(`{ ${POLLUTION}, "a": 1 }`)
    )
    expect(Object.getPrototypeOf(plain)).not.toBe(Object.prototype)
    expect((plain as { polluted?: unknown }).polluted).toBe(true)
    expectNoGlobalPollution()
  })

  it("withoutProtoKeys copies plain JSON without __proto__ keys, keeps other objects, and stops at cycles", () => {
    const date = new Date(0)
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const copied = withoutProtoKeys({ date, cyclic, list: [JSON.parse(`{ ${POLLUTION}, "k": 2 }`)] }) as {
      readonly date: unknown
      readonly cyclic: { readonly self: unknown }
      readonly list: ReadonlyArray<object>
    }
    expect(copied.date).toBe(date)
    expect(copied.cyclic.self).toBe(cyclic)
    expect(copied.list).toEqual([{ k: 2 }])
    expect(Object.hasOwn(copied.list[0] ?? {}, "__proto__")).toBe(false)
    expect(withoutProtoKeys("s")).toBe("s")
    expect(withoutProtoKeys(null)).toBe(null)
  })
})
