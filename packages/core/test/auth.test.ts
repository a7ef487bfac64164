import { BasiqAuth, BasiqAuthenticationError, BasiqClient, BasiqInvalidRequestError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Redacted, Scheduler, TestClock } from "effect"
import { apiKey, failureOf, makeFake, operations, plain, type Reply, reply, runFor, successOf } from "./utils/fake.js"

const ok = reply.json(200, { id: "t1" })
const params = { userId: "u1", thingId: "t1" }

/** A scheduler that makes the fiber running on it yield once, before its `at`-th operation. */
class YieldAt implements Scheduler.Scheduler {
  count = 0
  yielded = false
  constructor(readonly at: number) {}
  shouldYield(): number | false {
    this.count++
    if (this.count !== this.at) return false
    this.yielded = true
    return 0
  }
  scheduleTask(task: Scheduler.Task, priority: number): void {
    Scheduler.defaultScheduler.scheduleTask(task, priority)
  }
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body))

describe("BasiqAuth /token request", () => {
  it.effect("sends the key as issued, basiq-version 3.0 and scope=SERVER_ACCESS as a form", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer()))
      const [token] = yield* fake.tokenRequests
      expect(token).toBeDefined()
      expect(token!.method).toBe("POST")
      expect(token!.path).toBe("/token")
      expect(token!.url.origin).toBe("https://au-api.basiq.io")
      expect(token!.headers.authorization).toBe(`Basic ${apiKey}`)
      expect(token!.headers.authorization).not.toBe(`Basic ${Buffer.from(`${apiKey}:`).toString("base64")}`)
      expect(token!.headers["basiq-version"]).toBe("3.0")
      expect(token!.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(token!.headers.accept).toBe("application/json")
      expect(token!.body).toBe("scope=SERVER_ACCESS")
      const [api] = yield* fake.apiRequests
      expect(api!.headers.authorization).toBe("Bearer tok_1")
      expect(api!.headers.accept).toBe("application/json")
      expect(api!.headers["user-agent"]).toBe("basiq-effect/0.1.0")
      // The version travels in the token, not on each call.
      expect(api!.headers["basiq-version"]).toBeUndefined()
    })
  )

  it.effect("uses the configured version, a Redacted key and a custom user agent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(fake.layer({ apiKey: Redacted.make("abc.DEF=="), apiVersion: "2.1", userAgent: "my-app/1.2" }))
      )
      const [token] = yield* fake.tokenRequests
      expect(token!.headers.authorization).toBe("Basic abc.DEF==")
      expect(token!.headers["basiq-version"]).toBe("2.1")
      expect(token!.headers["user-agent"]).toBe("my-app/1.2")
      const [api] = yield* fake.apiRequests
      expect(api!.headers["user-agent"]).toBe("my-app/1.2")
    })
  )
})

describe("BasiqAuth token cache", () => {
  it.effect("one exchange for 100 concurrent callers", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: (_, n) => Effect.as(Effect.sleep("1 second"), reply.token(`tok_${n}`)),
        api: () => ok
      })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const ops = yield* operations
          const auth = yield* BasiqAuth.BasiqAuth
          const [tokens] = yield* Effect.all(
            [
              Effect.all(
                Array.from({ length: 100 }, () => auth.token),
                { concurrency: "unbounded" }
              ),
              Effect.all(
                Array.from({ length: 100 }, () => ops.getThing({ params })),
                { concurrency: "unbounded" }
              )
            ],
            { concurrency: "unbounded" }
          )
          return { tokens: tokens.map(Redacted.value), exchanges: (yield* fake.tokenRequests).length }
        }).pipe(Effect.provide(fake.layer())),
        "2 seconds"
      )
      const { exchanges, tokens } = successOf(exit)
      expect(exchanges).toBe(1)
      expect(new Set(tokens)).toEqual(new Set(["tok_1"]))
      expect(yield* fake.tokenRequests).toHaveLength(1)
      const api = yield* fake.apiRequests
      expect(api).toHaveLength(100)
      expect(api.every((s) => s.bearer === "tok_1")).toBe(true)
    })
  )

  it.effect("refreshes after expires_in - tokenRefreshMargin of virtual time, not before", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const bearers = yield* Effect.gen(function* () {
        const ops = yield* operations
        yield* BasiqAuth.BasiqAuth
        const call = Effect.zipRight(
          ops.getThing({ params }),
          Effect.map(fake.apiRequests, (all) => all[all.length - 1]!.bearer)
        )
        const first = yield* call
        // Default margin: 5 minutes, so the 3600 s token is used for 3300 s.
        yield* TestClock.adjust(Duration.millis(3_300_000 - 1))
        const justBefore = yield* call
        const exchangesBefore = (yield* fake.tokenRequests).length
        yield* TestClock.adjust(Duration.millis(1))
        const atExpiry = yield* call
        const again = yield* call
        return { first, justBefore, exchangesBefore, atExpiry, again, exchanges: (yield* fake.tokenRequests).length }
      }).pipe(Effect.provide(fake.layer()))
      expect(bearers).toEqual({
        first: "tok_1",
        justBefore: "tok_1",
        exchangesBefore: 1,
        atExpiry: "tok_2",
        again: "tok_2",
        exchanges: 2
      })
    })
  )

  it.effect("honours a custom tokenRefreshMargin and the expires_in of the answer", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: (_, n) => reply.token(`tok_${n}`, 1800) })
      const exchanges = yield* Effect.gen(function* () {
        const auth = yield* BasiqAuth.BasiqAuth
        yield* auth.token
        // 1800 s - 10 min = 1200 s.
        yield* TestClock.adjust("1199 seconds")
        yield* auth.token
        const before = (yield* fake.tokenRequests).length
        yield* TestClock.adjust("1 second")
        const token = yield* auth.token
        return { before, after: (yield* fake.tokenRequests).length, token: Redacted.value(token) }
      }).pipe(Effect.provide(fake.layer({ tokenRefreshMargin: "10 minutes" })))
      expect(exchanges).toEqual({ before: 1, after: 2, token: "tok_2" })
    })
  )

  it.effect("a failed exchange is not cached: the next call exchanges again", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: (_, n) =>
          n === 1 ? reply.envelope(400, "parameter-not-valid", { correlationId: "corr-tok" }) : reply.token("tok_ok"),
        api: () => ok
      })
      const result = yield* Effect.gen(function* () {
        const ops = yield* operations
        const first = yield* Effect.flip(ops.getThing({ params }))
        const apiAfterFailure = (yield* fake.apiRequests).length
        const second = yield* ops.getThing({ params })
        return { first, apiAfterFailure, second }
      }).pipe(Effect.provide(fake.layer()))
      expect(result.first).toBeInstanceOf(BasiqAuthenticationError)
      expect(plain(result.first)).toMatchObject({
        _tag: "BasiqAuthenticationError",
        status: 400,
        code: "parameter-not-valid",
        correlationId: "corr-tok",
        attempts: 1
      })
      expect(result.apiAfterFailure).toBe(0)
      expect(result.second).toEqual({ id: "t1" })
      expect(yield* fake.tokenRequests).toHaveLength(2)
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["tok_ok"])
    })
  )

  it.effect("concurrent callers share one failed exchange, and the failure is not cached", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: (_, n) =>
          n === 1
            ? Effect.as(Effect.sleep("1 second"), reply.envelope(404, "parameter-not-valid"))
            : reply.token(`tok_${n}`)
      })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const auth = yield* BasiqAuth.BasiqAuth
          const failures = yield* Effect.all(
            Array.from({ length: 20 }, () => Effect.flip(auth.token)),
            { concurrency: "unbounded" }
          )
          const afterFailure = (yield* fake.tokenRequests).length
          const token = yield* auth.token
          return { failures, afterFailure, token: Redacted.value(token), exchanges: (yield* fake.tokenRequests).length }
        }).pipe(Effect.provide(fake.layer())),
        "2 seconds"
      )
      const result = successOf(exit)
      expect(result.failures.every((e) => e._tag === "BasiqAuthenticationError" && e.status === 404)).toBe(true)
      expect(result.afterFailure).toBe(1)
      expect(result.token).toBe("tok_2")
      expect(result.exchanges).toBe(2)
    })
  )

  it.effect("an interrupted caller does not cancel the exchange the others wait for", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: (_, n) => Effect.as(Effect.sleep("1 second"), reply.token(`tok_${n}`)) })
      const result = yield* Effect.gen(function* () {
        const auth = yield* BasiqAuth.BasiqAuth
        const first = yield* Effect.fork(auth.token)
        yield* TestClock.adjust("100 millis")
        const second = yield* Effect.fork(auth.token)
        yield* TestClock.adjust("100 millis")
        yield* Fiber.interrupt(first)
        yield* TestClock.adjust("1 second")
        const token = yield* Fiber.join(second)
        return { token: Redacted.value(token), exchanges: (yield* fake.tokenRequests).length }
      }).pipe(Effect.provide(fake.layer()))
      expect(result).toEqual({ token: "tok_1", exchanges: 1 })
      expect(yield* fake.tokenRequests).toHaveLength(1)
    })
  )

  it.effect("a caller interrupted at any point never leaves the cache stuck", () =>
    Effect.gen(function* () {
      // The caller yields once, after its k-th operation, and is interrupted there: this sweeps
      // every point between reading the cache and starting the exchange.
      for (let k = 1; k <= 60; k++) {
        const fake = yield* makeFake()
        const scheduler = new YieldAt(k)
        const exit = yield* Effect.gen(function* () {
          const auth = yield* BasiqAuth.BasiqAuth
          const caller = yield* Effect.fork(Effect.withScheduler(auth.token, scheduler))
          for (let i = 0; i < 1000 && !scheduler.yielded; i++) yield* Effect.yieldNow()
          yield* Fiber.interrupt(caller)
          return yield* runFor(auth.token, "1 minute")
        }).pipe(Effect.provide(fake.layer()))
        expect(Exit.isSuccess(exit), `caller interrupted after operation ${k}`).toBe(true)
      }
    })
  )

  it.effect("closing the layer interrupts a hanging exchange", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.hang })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const auth = yield* BasiqAuth.BasiqAuth
          const caller = yield* Effect.fork(auth.token)
          yield* Effect.repeat(Effect.zipRight(Effect.yieldNow(), fake.tokenRequests), {
            until: (sent) => sent.length === 1
          })
          yield* Fiber.interrupt(caller)
        }).pipe(Effect.provide(fake.layer({ timeout: "1 hour" }))),
        Duration.zero
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(yield* fake.interrupted).toBe(1)
    })
  )
})

describe("BasiqAuth exchange retries", () => {
  const transient: ReadonlyArray<readonly [string, Reply]> = [
    ["500", reply.envelope(500, "internal-server-error")],
    ["502", reply.text(502, "<html>Bad gateway</html>", { "content-type": "text/html" })],
    ["503", reply.envelope(503, "service-unavailable")],
    ["504", reply.noBody(504)],
    ["429", reply.envelope(429, "too-many-requests")],
    ["ECONNRESET", reply.network("ECONNRESET")],
    ["ECONNREFUSED", reply.network("ECONNREFUSED")]
  ]

  for (const [label, failure] of transient) {
    it.effect(`retries the exchange after ${label}`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ token: (_, n) => (n === 1 ? failure : reply.token("tok_retry")) })
        const exit = yield* runFor(
          Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token).pipe(Effect.provide(fake.layer())),
          "1 minute"
        )
        expect(Redacted.value(successOf(exit))).toBe("tok_retry")
        expect(yield* fake.tokenRequests).toHaveLength(2)
      })
    )
  }

  it.effect("gives up with BasiqAuthenticationError carrying the last status and code", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: () => reply.envelope(500, "internal-server-error", { correlationId: "corr-500" })
      })
      const exit = yield* runFor(
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token).pipe(Effect.provide(fake.layer())),
        "1 minute"
      )
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(BasiqAuthenticationError)
      expect(plain(error)).toMatchObject({
        status: 500,
        code: "internal-server-error",
        correlationId: "corr-500",
        attempts: 4
      })
      expect(yield* fake.tokenRequests).toHaveLength(4)
    })
  )

  it.effect("gives up on transport errors with the transport reason", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.network("ECONNRESET") })
      const exit = yield* runFor(
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token).pipe(Effect.provide(fake.layer())),
        "1 minute"
      )
      const error = failureOf(exit)
      expect(error._tag).toBe("BasiqAuthenticationError")
      expect(error.status).toBeUndefined()
      expect(error.reason).toContain("ConnectionReset")
      expect(error.reason).toContain("ECONNRESET")
      expect(error.attempts).toBe(4)
      expect(yield* fake.tokenRequests).toHaveLength(4)
    })
  )

  it.effect("times out a hanging exchange per attempt", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.hang })
      const exit = yield* runFor(
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token).pipe(
          Effect.provide(fake.layer({ timeout: "2 seconds", retry: false }))
        ),
        "2 seconds"
      )
      const error = failureOf(exit)
      expect(error._tag).toBe("BasiqAuthenticationError")
      expect(error.reason).toContain("Timeout")
      expect(yield* fake.interrupted).toBe(1)
    })
  )

  const final: ReadonlyArray<readonly [number, string]> = [
    [400, "parameter-not-valid"],
    [401, "invalid-authorization-request"],
    [403, "forbidden-access"],
    [404, "parameter-not-valid"]
  ]
  for (const [status, code] of final) {
    it.effect(`${status} on /token is final: BasiqAuthenticationError, not retried`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ token: () => reply.envelope(status, code) })
        const exit = yield* runFor(
          Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer())),
          Duration.zero
        )
        const error = failureOf(exit)
        expect(error).toBeInstanceOf(BasiqAuthenticationError)
        expect(plain(error)).toMatchObject({ status, code, attempts: 1 })
        expect(yield* fake.tokenRequests).toHaveLength(1)
        expect(yield* fake.apiRequests).toHaveLength(0)
      })
    )
  }

  it.effect("a 2xx without access_token is a BasiqAuthenticationError", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.json(200, { token_type: "Bearer" }) })
      const error = yield* Effect.flip(
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token).pipe(Effect.provide(fake.layer()))
      )
      expect(plain(error)).toMatchObject({ _tag: "BasiqAuthenticationError", status: 200 })
      expect(error.reason).toContain("access_token")
    })
  )
})

describe("re-authentication on a rejected token", () => {
  const rejections: ReadonlyArray<readonly [string, Reply]> = [
    ["401 invalid-authorization-token", reply.envelope(401, "invalid-authorization-token")],
    ["401 unauthorized-access", reply.envelope(401, "unauthorized-access")],
    ["403 access-denied", reply.envelope(403, "access-denied", { detail: "Token has expired" })]
  ]
  for (const [label, rejection] of rejections) {
    it.effect(`${label}: exactly one re-auth and one retry, even with retries disabled`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: (s) => (s.bearer === "tok_1" ? rejection : ok) })
        const result = yield* Effect.gen(function* () {
          const ops = yield* operations
          yield* BasiqAuth.BasiqAuth
          const value = yield* ops.getThing({ params })
          return { value, exchanges: (yield* fake.tokenRequests).length }
        }).pipe(Effect.provide(fake.layer({ retry: false })))
        expect(result).toEqual({ value: { id: "t1" }, exchanges: 2 })
        expect((yield* fake.tokenRequests).map((s) => s.body)).toEqual(["scope=SERVER_ACCESS", "scope=SERVER_ACCESS"])
        expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["tok_1", "tok_2"])
      })
    )
  }

  it.effect("a second 401 is BasiqUnauthorizedError after two attempts", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (s) => reply.envelope(401, "unauthorized-access", { correlationId: `corr-${s.bearer}` })
      })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer())),
        "1 minute"
      )
      const error = failureOf(exit)
      expect(plain(error)).toMatchObject({
        _tag: "BasiqUnauthorizedError",
        status: 401,
        code: "unauthorized-access",
        correlationId: "corr-tok_2",
        attempts: 2
      })
      expect(yield* fake.tokenRequests).toHaveLength(2)
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["tok_1", "tok_2"])
    })
  )

  it.effect("a second 403 access-denied is BasiqForbiddenError after two attempts", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(403, "access-denied") })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer())),
        "1 minute"
      )
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqForbiddenError", code: "access-denied", attempts: 2 })
      expect(yield* fake.tokenRequests).toHaveLength(2)
      expect(yield* fake.apiRequests).toHaveLength(2)
    })
  )

  it.effect("403 forbidden-access is final: no re-auth, no retry", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(403, "forbidden-access") })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(fake.layer())),
        "1 minute"
      )
      expect(plain(failureOf(exit))).toMatchObject({
        _tag: "BasiqForbiddenError",
        code: "forbidden-access",
        attempts: 1
      })
      expect(yield* fake.tokenRequests).toHaveLength(1)
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("a late 401 for an old token does not discard the fresh one", () =>
    Effect.gen(function* () {
      const slowSent = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const fake = yield* makeFake({
        api: (s) => {
          if (s.bearer !== "tok_1") return reply.json(200, { id: s.path })
          if (s.path.startsWith("/users/slow/")) {
            return Effect.zipRight(
              Deferred.succeed(slowSent, undefined),
              Effect.as(Deferred.await(release), reply.envelope(401, "invalid-authorization-token"))
            )
          }
          return reply.envelope(401, "invalid-authorization-token")
        }
      })
      const result = yield* Effect.gen(function* () {
        const ops = yield* operations
        yield* BasiqAuth.BasiqAuth
        const slow = yield* Effect.fork(ops.getThing({ params: { userId: "slow", thingId: "t" } }))
        yield* Deferred.await(slowSent)
        // The quick call sees 401 first, re-authenticates (tok_2) and succeeds.
        const quick = yield* ops.getThing({ params: { userId: "quick", thingId: "t" } })
        // Only now does the slow call get its 401 for tok_1: tok_2 must survive.
        yield* Deferred.succeed(release, undefined)
        const late = yield* Fiber.join(slow)
        const after = yield* ops.getThing({ params: { userId: "after", thingId: "t" } })
        return { quick, late, after, exchanges: (yield* fake.tokenRequests).length }
      }).pipe(Effect.provide(fake.layer()))
      expect(result.exchanges).toBe(2)
      expect(result.late).toEqual({ id: "/users/slow/things/t" })
      expect((yield* fake.apiRequests).map((s) => `${s.path} ${s.bearer}`)).toEqual([
        "/users/slow/things/t tok_1",
        "/users/quick/things/t tok_1",
        "/users/quick/things/t tok_2",
        "/users/slow/things/t tok_2",
        "/users/after/things/t tok_2"
      ])
    })
  )

  it.effect("twenty concurrent 401s for one token cause a single re-auth", () =>
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      const fake = yield* makeFake({
        api: (s) =>
          s.bearer === "tok_1"
            ? Effect.as(Deferred.await(release), reply.envelope(401, "invalid-authorization-token"))
            : ok
      })
      const result = yield* Effect.gen(function* () {
        const ops = yield* operations
        yield* BasiqAuth.BasiqAuth
        const calls = yield* Effect.fork(
          Effect.all(
            Array.from({ length: 20 }, () => ops.getThing({ params })),
            { concurrency: "unbounded" }
          )
        )
        // Wait until all twenty were sent with tok_1, then answer them all at once.
        yield* Effect.repeat(Effect.zipRight(Effect.yieldNow(), fake.apiRequests), {
          until: (all) => all.length === 20
        })
        yield* Deferred.succeed(release, undefined)
        const values = yield* Fiber.join(calls)
        return { count: values.length, exchanges: (yield* fake.tokenRequests).length }
      }).pipe(Effect.provide(fake.layer()))
      expect(result).toEqual({ count: 20, exchanges: 2 })
      const bearers = (yield* fake.apiRequests).map((s) => s.bearer)
      expect(bearers.filter((b) => b === "tok_1")).toHaveLength(20)
      expect(bearers.filter((b) => b === "tok_2")).toHaveLength(20)
    })
  )
})

describe("clientToken", () => {
  it.effect("sends scope=CLIENT_ACCESS&userId=... and is not cached", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: (_, n) => reply.token(`client_${n}`) })
      const result = yield* Effect.gen(function* () {
        const auth = yield* BasiqAuth.BasiqAuth
        const a = yield* auth.clientToken("user-1")
        const b = yield* auth.clientToken("user-1")
        return { a, b }
      }).pipe(Effect.provide(fake.layer()))
      expect(Redacted.isRedacted(result.a)).toBe(true)
      expect([Redacted.value(result.a), Redacted.value(result.b)]).toEqual(["client_1", "client_2"])
      const tokens = yield* fake.tokenRequests
      expect(tokens).toHaveLength(2)
      for (const t of tokens) {
        expect(t.body).toBe("scope=CLIENT_ACCESS&userId=user-1")
        expect(form(t.body)).toEqual({ scope: "CLIENT_ACCESS", userId: "user-1" })
        expect(t.headers.authorization).toBe(`Basic ${apiKey}`)
        expect(t.headers["basiq-version"]).toBe("3.0")
      }
    })
  )

  it.effect("does not replace the cached server token", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: (s, n) => reply.token(`${form(s.body).scope}_${n}`), api: () => ok })
      yield* Effect.gen(function* () {
        const ops = yield* operations
        const client = yield* BasiqClient.BasiqClient
        yield* ops.getThing({ params })
        yield* client.clientToken("user-1")
        yield* ops.getThing({ params })
      }).pipe(Effect.provide(fake.layer()))
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["SERVER_ACCESS_1", "SERVER_ACCESS_1"])
      expect(yield* fake.tokenRequests).toHaveLength(2)
    })
  )

  it.effect("withClientToken runs a call with the user's CLIENT_ACCESS token", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: (s, n) => reply.token(`${form(s.body).scope}_${n}`), api: () => ok })
      yield* Effect.gen(function* () {
        const ops = yield* operations
        const client = yield* BasiqClient.BasiqClient
        yield* ops.getThing({ params }).pipe(client.withClientToken("u1"))
      }).pipe(Effect.provide(fake.layer()))
      expect((yield* fake.tokenRequests).map((s) => s.body)).toEqual(["scope=CLIENT_ACCESS&userId=u1"])
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["CLIENT_ACCESS_1"])
    })
  )

  it.effect("refuses a bad userId before any I/O", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => Effect.flip(auth.clientToken("a/b"))).pipe(
        Effect.provide(fake.layer())
      )
      expect(error).toBeInstanceOf(BasiqInvalidRequestError)
      expect(plain(error)).toMatchObject({ fields: ["userId"] })
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect("a failing CLIENT_ACCESS exchange is a BasiqAuthenticationError", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.envelope(400, "parameter-not-supplied") })
      const error = yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => Effect.flip(auth.clientToken("u1"))).pipe(
        Effect.provide(fake.layer())
      )
      expect(plain(error)).toMatchObject({
        _tag: "BasiqAuthenticationError",
        status: 400,
        code: "parameter-not-supplied"
      })
      expect(error.message).toBe(
        "Basiq token exchange failed: Basiq rejected the token request (400 parameter-not-supplied) correlationId corr-1"
      )
    })
  )
})
