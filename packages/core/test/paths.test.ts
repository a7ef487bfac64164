import { BasiqClient, BasiqInvalidRequestError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeFake, operations, plain, reply, unsafeCoerce } from "./utils/fake.js"

const rejected: ReadonlyArray<readonly [string, unknown]> = [
  ["a slash", "a/b"],
  ["a lone slash", "/"],
  ["a question mark", "a?b=1"],
  ["a hash", "a#b"],
  ["a percent", "a%2Fb"],
  ["a space", "a b"],
  ["a tab", "a\tb"],
  ["a newline", "a\nb"],
  ["unicode", "caf\u00e9"],
  ["an emoji", "a\u{1F600}"],
  ["a fullwidth slash", "a\uFF0Fb"],
  ["a backslash", "a\\b"],
  ["a colon", "a:b"],
  ["an at sign", "a@b"],
  ["a dot", "."],
  ["two dots", ".."],
  ["empty", ""],
  ["257 characters", "a".repeat(257)],
  ["the segment users", "users"],
  ["the segment things", "things"],
  ["the segment THINGS", "THINGS"],
  ["the segment token", "token"],
  ["a number", 42],
  ["undefined", undefined],
  ["null", null],
  ["an object", { toString: () => "abc" }]
]

describe("rejected path params", () => {
  for (const [label, value] of rejected) {
    it.effect(`${label}: BasiqInvalidRequestError naming the param, nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const [first, second] = yield* Effect.gen(function* () {
          const ops = yield* operations
          const first = yield* Effect.flip(ops.getThing({ params: { userId: unsafeCoerce(value), thingId: "t1" } }))
          const second = yield* Effect.flip(ops.getThing({ params: { userId: "u1", thingId: unsafeCoerce(value) } }))
          return [first, second] as const
        }).pipe(Effect.provide(fake.layer()))
        expect(first).toBeInstanceOf(BasiqInvalidRequestError)
        expect(plain(first)).toMatchObject({
          fields: ["userId"],
          method: "GET",
          route: "/users/{userId}/things/{thingId}"
        })
        expect(first.message).toContain("userId")
        expect(plain(second)).toMatchObject({ _tag: "BasiqInvalidRequestError", fields: ["thingId"] })
        // Not even a token exchange.
        expect(yield* fake.sent).toHaveLength(0)
        // The error names the field, never its value (reserved words occur in any message's route).
        if (typeof value === "string" && value.length > 2 && !/^[a-z]+$/i.test(value)) {
          expect(first.message).not.toContain(value)
          expect(JSON.stringify(first)).not.toContain(value)
        }
      })
    )
  }

  it.effect("every bad param is named", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flatMap(operations, (ops) =>
        Effect.flip(ops.getThing({ params: { userId: "..", thingId: "a/b" } }))
      ).pipe(Effect.provide(fake.layer()))
      expect(plain(error)).toMatchObject({ _tag: "BasiqInvalidRequestError", fields: ["userId", "thingId"] })
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect("a missing body is refused before any I/O", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flatMap(operations, (ops) =>
        Effect.flip(ops.createThing({ params: { userId: "u1" } }))
      ).pipe(Effect.provide(fake.layer()))
      expect(plain(error)).toMatchObject({ _tag: "BasiqInvalidRequestError", fields: ["body"] })
      expect(yield* fake.sent).toHaveLength(0)
    })
  )
})

describe("accepted path params", () => {
  const accepted = [
    "u1",
    "abcXYZ019",
    "a-b_c.d~e",
    "~",
    "_",
    "-",
    "...",
    "a..b",
    ".hidden",
    "refreshes",
    "my-users",
    "0b3c9a2e-5f6d-4e1b-9a8c-7d6e5f4a3b2c",
    "a".repeat(256)
  ]
  for (const id of accepted) {
    it.effect(
      `${id.length > 40 ? `${id.length} characters` : JSON.stringify(id)} reaches exactly /users/<id>/things/<id>`,
      () =>
        Effect.gen(function* () {
          const fake = yield* makeFake({ api: () => reply.json(200, { id: "x" }) })
          yield* Effect.flatMap(operations, (ops) => ops.getThing({ params: { userId: id, thingId: id } })).pipe(
            Effect.provide(fake.layer())
          )
          const [sent] = yield* fake.apiRequests
          expect(sent!.path).toBe(`/users/${id}/things/${id}`)
          expect(sent!.url.href).toBe(`https://au-api.basiq.io/users/${id}/things/${id}`)
        })
    )
  }

  it.effect("a base URL with a path prefix is kept", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      yield* Effect.flatMap(operations, (ops) => ops.deleteThing({ params: { userId: "u1", thingId: "t1" } })).pipe(
        Effect.provide(fake.layer({ baseUrl: "http://127.0.0.1:8080/basiq/" }))
      )
      expect((yield* fake.sent).map((s) => s.url.href)).toEqual([
        "http://127.0.0.1:8080/basiq/token",
        "http://127.0.0.1:8080/basiq/users/u1/things/t1"
      ])
    })
  )
})

describe("query parameters", () => {
  const search = Effect.flatMap(BasiqClient.BasiqClient, (client) =>
    Effect.succeed(
      client.operation({
        name: "searchThings",
        span: "basiq.test.searchThings",
        method: "GET",
        path: "/users/{userId}/things",
        idempotent: true,
        success: BasiqClient.noContent
      })
    )
  )

  it.effect("are encoded exactly once", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const query = {
        filter: "status.eq('active'),institution.id.eq('AU00000')",
        odd: "a b&c=d%20e+f/g?h#i",
        unicode: "caf\u00e9 \u{1F600}"
      }
      yield* Effect.flatMap(search, (op) => op({ params: { userId: "u1" }, query })).pipe(Effect.provide(fake.layer()))
      const [sent] = yield* fake.apiRequests
      expect(Object.fromEntries(sent!.url.searchParams)).toEqual(query)
      // Encoded once: no `%25` from a double encoding of `%`, except the literal `%` of `odd`.
      expect(sent!.url.search.match(/%25/g)).toHaveLength(1)
      expect(sent!.path).toBe("/users/u1/things")
    })
  )

  it.effect("undefined values are left out", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      yield* Effect.flatMap(search, (op) =>
        op({ params: { userId: "u1" }, query: { filter: "status.eq('active')", limit: undefined } })
      ).pipe(Effect.provide(fake.layer()))
      const [sent] = yield* fake.apiRequests
      expect([...sent!.url.searchParams.keys()]).toEqual(["filter"])
      expect(sent!.url.searchParams.get("filter")).toBe("status.eq('active')")
    })
  )

  it.effect("no query gives no search string", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      yield* Effect.flatMap(search, (op) => op({ params: { userId: "u1" } })).pipe(Effect.provide(fake.layer()))
      const [sent] = yield* fake.apiRequests
      expect(sent!.url.search).toBe("")
    })
  )
})
