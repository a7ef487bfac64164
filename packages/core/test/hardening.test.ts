/**
 * Hardening on virtual time: Retry-After on 503, token lifetimes, the token route's 404s, header
 * checks in the config, the response size option, reserved path segments from declared templates.
 */
import { BasiqAuth, BasiqClient, BasiqConfig, type BasiqConfigError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema, TestClock } from "effect"
import { failureOf, makeFake, operations, plain, reply, runFor, successOf } from "./utils/fake.js"

const params = { userId: "u1", thingId: "t1" }
const ok = reply.json(200, { id: "t1" })

/** A JWT (unsigned: the SDK only reads `exp`) expiring at `exp` seconds since the epoch. */
const jwt = (exp: number) =>
  `${btoa(JSON.stringify({ alg: "none" }))}.${btoa(JSON.stringify({ exp })).replace(/=+$/, "")}.sig`

describe("Retry-After on 503", () => {
  it.effect("a 503 with Retry-After waits that long, as a 429 does", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (_, n) => (n === 1 ? reply.text(503, "busy", { "retry-after": "20" }) : ok)
      })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
          Effect.provide(fake.layer({ retry: { maxRetries: 3, baseDelay: "10 millis" } }))
        ),
        "1 minute"
      )
      expect(successOf(exit)).toEqual({ id: "t1" })
      const [first, second] = yield* fake.apiRequests
      expect(second!.at - first!.at).toBe(20_000)
    })
  )

  it.effect("a 503 whose Retry-After is beyond maxRetryAfter fails at once, carrying it", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.text(503, "busy", { "retry-after": "3600" }) })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
          Effect.provide(fake.layer({ retry: { maxRetries: 3, maxRetryAfter: "1 minute" } }))
        )
      )
      const error = failureOf(exit)
      expect(error._tag).toBe("BasiqServerError")
      expect(plain(error)).toMatchObject({ status: 503, attempts: 1 })
      expect(String(error)).toContain("retry after 3600 s")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("a non-idempotent create retried on 503 honours Retry-After too", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (_, n) => (n === 1 ? reply.text(503, "busy", { "retry-after": "7" }) : ok)
      })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.createThing({ params, body: { name: "n" } })).pipe(
          Effect.provide(fake.layer({ retry: { maxRetries: 2, baseDelay: "1 millis" } }))
        )
      )
      expect(successOf(exit)).toEqual({ id: "t1" })
      const [first, second] = yield* fake.apiRequests
      expect(second!.at - first!.at).toBe(7_000)
    })
  )
})

describe("token lifetimes", () => {
  const lifetime = (expiresIn: unknown, token = "tok_plain") =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: () => reply.json(200, { access_token: token, token_type: "Bearer", expires_in: expiresIn })
      })
      // Renewed `tokenRefreshMargin` (1 s here) before the lifetime ends: find when the second exchange happens.
      const program = Effect.gen(function* () {
        const auth = yield* BasiqAuth.BasiqAuth
        yield* auth.token
        for (let s = 0; s < 100_000; s += 60) {
          yield* TestClock.adjust("60 seconds")
          yield* auth.token
          if ((yield* fake.tokenRequests).length > 1) return s + 60
        }
        return -1
      }).pipe(Effect.provide(fake.layer({ tokenRefreshMargin: "1 second" })))
      return yield* program
    })

  it.effect("a positive expires_in up to 24 h is used as given", () =>
    Effect.gen(function* () {
      expect(yield* lifetime(1200)).toBe(1200)
    })
  )

  for (const [label, value] of [
    ["missing", undefined],
    ["zero", 0],
    ["negative", -5],
    ["not a number", "3600"],
    ["above 24 h", 90_000],
    ["infinite-like", 1e308]
  ] as const) {
    it.effect(`an expires_in ${label} is treated as 3,600 s`, () =>
      Effect.gen(function* () {
        expect(yield* lifetime(value)).toBe(3600)
      })
    )
  }

  it.effect("a readable JWT's exp caps the fallback lifetime", () =>
    Effect.gen(function* () {
      // The test clock starts at 0: exp 600 s after the epoch.
      expect(yield* lifetime(undefined, jwt(600))).toBe(600)
    })
  )

  it.effect("a readable JWT's exp caps a given lifetime too", () =>
    Effect.gen(function* () {
      expect(yield* lifetime(3600, jwt(1800))).toBe(1800)
    })
  )
})

describe("the token route's 404", () => {
  const exchange404 = (code: string) =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.envelope(404, code) })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer()))
      )
      return failureOf(exit)
    })

  it.effect("parameter-not-valid blames the API key", () =>
    Effect.gen(function* () {
      const error = yield* exchange404("parameter-not-valid")
      expect(error._tag).toBe("BasiqAuthenticationError")
      expect(String(error)).toContain("did not recognise the API key")
    })
  )

  it.effect("any other 404 says the token route was not found at the base URL", () =>
    Effect.gen(function* () {
      const error = yield* exchange404("resource-not-found")
      expect(error._tag).toBe("BasiqAuthenticationError")
      expect(String(error)).toContain("token route was not found")
      expect(String(error)).not.toContain("API key")
    })
  )

  it.effect("a token Basiq would never issue (not visible ASCII) is refused, never sent as a header", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.token("tok\r\nx-injected: 1") })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer()))
      )
      expect(failureOf(exit)._tag).toBe("BasiqAuthenticationError")
      expect(yield* fake.apiRequests).toHaveLength(0)
    })
  )
})

describe("config values that end up in headers", () => {
  const bad = ["key\u0000x", "key\u007f", "key\u0100", "k\u2028", "key\r\nx: y", "key\u0001"]
  for (const [i, value] of bad.entries()) {
    it(`apiKey #${i} is refused naming the option, never echoing it`, () => {
      const result = BasiqConfig.validate({ apiKey: value })
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result)
      expect(error._tag).toBe("Some")
      const e = (error as { readonly value: BasiqConfigError }).value
      expect(e.option).toBe("apiKey")
      expect(String(e)).not.toContain(value)
      expect(JSON.stringify(e)).not.toContain("key")
    })
    it(`userAgent #${i} is refused naming the option`, () => {
      const result = BasiqConfig.validate({ apiKey: "k", userAgent: value })
      expect(Either.isLeft(result)).toBe(true)
      const error = (Either.getLeft(result) as { readonly value: BasiqConfigError }).value
      expect(error.option).toBe("userAgent")
      expect(String(error)).not.toContain(value)
    })
  }

  it("Latin-1 text is a valid user agent; the key is still a token without spaces", () => {
    expect(Either.isRight(BasiqConfig.validate({ apiKey: "k", userAgent: "café/1.0 (test)" }))).toBe(true)
    expect(Either.isLeft(BasiqConfig.validate({ apiKey: "a key" }))).toBe(true)
  })

  it("maxResponseBytes must be a positive integer; consentUiUrl a full https URL", () => {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = BasiqConfig.validate({ apiKey: "k", maxResponseBytes: value })
      expect(Either.isLeft(result) && result.left.option).toBe("maxResponseBytes")
    }
    const resolved = Either.getOrThrow(BasiqConfig.validate({ apiKey: "k" }))
    expect(resolved.maxResponseBytes).toBe(32 * 1024 * 1024)
    expect(resolved.consentUiUrl).toBe("https://consent.basiq.io/home")
    for (const value of ["consent.basiq.io/home", "http://example.com/home", "https://u:p@x.io/home"]) {
      const result = BasiqConfig.validate({ apiKey: "k", consentUiUrl: value })
      expect(Either.isLeft(result) && result.left.option).toBe("consentUiUrl")
    }
    const local = Either.getOrThrow(
      BasiqConfig.validate({ apiKey: "k", consentUiUrl: "http://127.0.0.1:4000/consent/home" })
    )
    expect(local.consentUiUrl).toBe("http://127.0.0.1:4000/consent/home")
  })
})

describe("reserved path segments come from the declared templates", () => {
  it.effect("an id equal to a declared route's fixed segment is refused; others are not", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const result = yield* Effect.gen(function* () {
        const ops = yield* operations
        const client = yield* BasiqClient.BasiqClient
        // Not a segment of any declared route yet: a valid id.
        const before = yield* Effect.either(ops.getThing({ params: { userId: "u1", thingId: "widgets" } }))
        client.operation({
          name: "getWidget",
          span: "basiq.test.getWidget",
          method: "GET",
          path: "/users/{userId}/widgets/{widgetId}",
          idempotent: true,
          success: BasiqClient.json(Schema.Struct({ id: Schema.String }))
        })
        const after = yield* Effect.either(ops.getThing({ params: { userId: "u1", thingId: "Widgets" } }))
        return { before, after }
      }).pipe(Effect.provide(fake.layer()))
      expect(Either.isRight(result.before)).toBe(true)
      expect(Either.isLeft(result.after) && result.after.left._tag).toBe("BasiqInvalidRequestError")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("clientToken refuses a malformed user id and sends nothing", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.clientToken("a/b")).pipe(Effect.provide(fake.layer()))
      )
      expect(error._tag).toBe("BasiqInvalidRequestError")
      expect(yield* fake.sent).toHaveLength(0)
    })
  )
})
