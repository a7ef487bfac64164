import { type BasiqClient, BasiqRateLimitError, BasiqRetry, BasiqTransportError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Random, Schedule, TestClock } from "effect"
import {
  attemptsOf,
  failureOf,
  makeFake,
  operations,
  plain,
  type Reply,
  reply,
  runFor,
  type Sent,
  successOf
} from "./utils/fake.js"

const ok = reply.json(200, { id: "t1" })
const params = { userId: "u1", thingId: "t1" }
const getThing = Effect.flatMap(operations, (ops) => ops.getThing({ params }))
const createThing = Effect.flatMap(operations, (ops) =>
  ops.createThing({ params: { userId: "u1" }, body: { name: "n" } })
)

/** The virtual time between consecutive sends, in ms (rounded: jittered delays are fractional). */
const gaps = (sent: ReadonlyArray<Sent>): ReadonlyArray<number> =>
  sent.slice(1).map((s, i) => Math.round((s.at - sent[i]!.at) * 1000) / 1000)

const failures: Record<string, Reply> = {
  ECONNRESET: reply.network("ECONNRESET"),
  ECONNREFUSED: reply.network("ECONNREFUSED"),
  "408": reply.text(408, ""),
  "429": reply.envelope(429, "too-many-requests"),
  "500": reply.envelope(500, "internal-server-error"),
  "502": reply.text(502, "<html>bad gateway</html>", { "content-type": "text/html" }),
  "503": reply.envelope(503, "service-unavailable"),
  "504": reply.noBody(504),
  "400": reply.envelope(400, "parameter-not-valid"),
  "404": reply.envelope(404, "resource-not-found"),
  "409": reply.envelope(409, "resource-already-exists"),
  "415": reply.envelope(415, "unsupported-content-type"),
  "418": reply.text(418, "teapot")
}

describe("which failures are retried", () => {
  const cases: ReadonlyArray<readonly [string, boolean, boolean]> = [
    // [failure, retried when idempotent, retried when not]
    ["ECONNRESET", true, false],
    ["ECONNREFUSED", true, true],
    ["408", true, false],
    ["429", true, true],
    ["500", true, false],
    ["502", true, false],
    ["503", true, true],
    ["504", true, false],
    ["400", false, false],
    ["404", false, false],
    ["409", false, false],
    ["415", false, false],
    ["418", false, false]
  ]
  for (const [label, idempotent, nonIdempotent] of cases) {
    it.effect(`${label}: ${idempotent ? "retried" : "final"} for GET`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: (_, n) => (n === 1 ? failures[label]! : ok) })
        const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
        expect(yield* fake.apiRequests).toHaveLength(idempotent ? 2 : 1)
        if (idempotent) expect(successOf(exit)).toEqual({ id: "t1" })
        else expect(attemptsOf(failureOf(exit))).toBe(1)
      })
    )
    it.effect(`${label}: ${nonIdempotent ? "retried" : "final"} for a non-idempotent POST`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: (_, n) => (n === 1 ? failures[label]! : ok) })
        const exit = yield* runFor(createThing.pipe(Effect.provide(fake.layer())), "1 minute")
        expect(yield* fake.apiRequests).toHaveLength(nonIdempotent ? 2 : 1)
        if (nonIdempotent) expect(successOf(exit)).toEqual({ id: "t1" })
        else expect(attemptsOf(failureOf(exit))).toBe(1)
      })
    )
  }

  it.effect("a connection refused before sending is retried for POST and is not an unknown outcome", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.network("ECONNREFUSED") })
      const exit = yield* runFor(createThing.pipe(Effect.provide(fake.layer())), "1 minute")
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(BasiqTransportError)
      expect(plain(error)).toMatchObject({
        reason: "NotSent",
        detail: "ECONNREFUSED",
        outcomeUnknown: false,
        attempts: 4,
        method: "POST",
        route: "/users/{userId}/things"
      })
      expect(yield* fake.apiRequests).toHaveLength(4)
    })
  )

  it.effect("a connection reset after sending is final for POST with outcomeUnknown", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.network("ECONNRESET") })
      const exit = yield* runFor(createThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(plain(failureOf(exit))).toMatchObject({
        _tag: "BasiqTransportError",
        reason: "ConnectionReset",
        detail: "ECONNRESET",
        outcomeUnknown: true,
        attempts: 1
      })
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("attempts on the final error equals the number of sends", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqServerError", status: 503, attempts: 4 })
      expect(yield* fake.apiRequests).toHaveLength(4)
    })
  )

  it.effect("attempts counts the re-authentication retry too", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (_, n) =>
          n === 1 ? reply.envelope(503, "service-unavailable") : reply.envelope(401, "unauthorized-access")
      })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqUnauthorizedError", attempts: 3 })
      expect(yield* fake.apiRequests).toHaveLength(3)
      expect(yield* fake.tokenRequests).toHaveLength(2)
    })
  )

  it.effect("decode errors are not retried", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { id: 1 }) })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqDecodeError", attempts: 1 })
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )
})

describe("Retry-After", () => {
  /** Asserts that the second attempt is sent exactly `wait` after the first, not before. */
  const waits = (
    call: Effect.Effect<unknown, unknown, BasiqClient.BasiqClient>,
    first: Reply,
    wait: Duration.Duration
  ) =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: (_, n) => (n === 1 ? first : ok) })
      const fiber = yield* Effect.fork(call.pipe(Effect.provide(fake.layer())))
      yield* TestClock.adjust(Duration.subtract(wait, Duration.millis(1)))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect(yield* fake.apiRequests).toHaveLength(1)
      yield* TestClock.adjust(Duration.millis(1))
      const exit = yield* Fiber.poll(fiber)
      expect(Option.isSome(exit) && Exit.isSuccess(exit.value)).toBe(true)
      const sent = yield* fake.apiRequests
      expect(sent).toHaveLength(2)
      expect(sent[1]!.at - sent[0]!.at).toBe(Duration.toMillis(wait))
    })

  it.effect("in seconds, under the cap: waited", () =>
    waits(
      getThing,
      reply.envelope(429, "too-many-requests", { headers: { "retry-after": "30" } }),
      Duration.seconds(30)
    )
  )

  it.effect("in seconds, exactly the 60 s cap: waited", () =>
    waits(
      getThing,
      reply.envelope(429, "too-many-requests", { headers: { "retry-after": "60" } }),
      Duration.seconds(60)
    )
  )

  it.effect("replaces a shorter policy delay for a non-idempotent call", () =>
    waits(
      createThing,
      reply.envelope(429, "too-many-requests", { headers: { "retry-after": "12" } }),
      Duration.seconds(12)
    )
  )

  it.effect("as an HTTP date, under the cap: waited", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2025, 0, 15, 9, 30, 0))
      const now = yield* TestClock.currentTimeMillis
      const date = new Date(now + 45_000).toUTCString()
      yield* waits(
        getThing,
        reply.envelope(429, "too-many-requests", { headers: { "retry-after": date } }),
        Duration.seconds(45)
      )
    })
  )

  it.effect("in seconds, over the cap: fails at once with retryAfter", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.envelope(429, "too-many-requests", { headers: { "retry-after": "120" } })
      })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), Duration.zero)
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(BasiqRateLimitError)
      if (error._tag !== "BasiqRateLimitError") throw new Error("unreachable")
      expect(error.retryAfter).toEqual(Duration.seconds(120))
      expect(error.attempts).toBe(1)
      expect(error.message).toContain("retry after 120 s")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("as an HTTP date, over the cap: fails at once with retryAfter", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2025, 0, 15, 9, 30, 0))
      const now = yield* TestClock.currentTimeMillis
      const fake = yield* makeFake({
        api: () =>
          reply.envelope(429, "too-many-requests", {
            headers: { "retry-after": new Date(now + 300_000).toUTCString() }
          })
      })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), Duration.zero)
      const error = failureOf(exit)
      if (error._tag !== "BasiqRateLimitError") throw new Error(`unexpected ${error._tag}`)
      expect(error.retryAfter).toEqual(Duration.seconds(300))
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("the cap is configurable (maxRetryAfter)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.envelope(429, "too-many-requests", { headers: { "retry-after": "30" } })
      })
      const exit = yield* runFor(
        getThing.pipe(Effect.provide(fake.layer({ retry: { maxRetryAfter: "10 seconds" } }))),
        Duration.zero
      )
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqRateLimitError", retryAfter: Duration.seconds(30) })
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("a 429 without Retry-After follows the policy delays", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: (_, n) => (n === 1 ? reply.envelope(429, "too-many-requests") : ok) })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(successOf(exit)).toEqual({ id: "t1" })
      const [gap] = gaps(yield* fake.apiRequests)
      expect(gap).toBeGreaterThanOrEqual(200)
      expect(gap).toBeLessThanOrEqual(300)
    })
  )
})

describe("retry delays", () => {
  it.effect("the default policy: 3 retries, 250 ms doubling with ±20% jitter", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer())), "1 minute")
      expect(attemptsOf(failureOf(exit))).toBe(4)
      const [g1, g2, g3, ...rest] = gaps(yield* fake.apiRequests)
      expect(rest).toEqual([])
      expect(g1).toBeGreaterThanOrEqual(200)
      expect(g1).toBeLessThanOrEqual(300)
      expect(g2).toBeGreaterThanOrEqual(400)
      expect(g2).toBeLessThanOrEqual(600)
      expect(g3).toBeGreaterThanOrEqual(800)
      expect(g3).toBeLessThanOrEqual(1200)
    })
  )

  it.effect("delays grow and are capped at maxDelay", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(
        getThing.pipe(
          Effect.provide(fake.layer({ retry: { maxRetries: 6, baseDelay: "1 second", maxDelay: "3 seconds" } }))
        ),
        "1 minute"
      )
      expect(attemptsOf(failureOf(exit))).toBe(7)
      const [g1, g2, ...capped] = gaps(yield* fake.apiRequests)
      expect(g1).toBeGreaterThanOrEqual(800)
      expect(g1).toBeLessThanOrEqual(1200)
      expect(g2).toBeGreaterThanOrEqual(1600)
      expect(g2).toBeLessThanOrEqual(2400)
      // 4 s, 8 s, 16 s, 32 s (±20%) are all capped to 3 s.
      expect(capped).toEqual([3000, 3000, 3000, 3000])
    })
  )

  it.effect("jitter comes from Effect's Random", () =>
    Effect.gen(function* () {
      const run = (seed: number) =>
        Effect.gen(function* () {
          const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
          yield* runFor(getThing.pipe(Effect.provide(fake.layer()), Effect.withRandom(Random.make(seed))), "1 minute")
          return gaps(yield* fake.apiRequests)
        })
      const a = yield* run(1)
      const again = yield* run(1)
      const b = yield* run(2)
      expect(a).toHaveLength(3)
      expect(again).toEqual(a)
      expect(b).not.toEqual(a)
    })
  )

  it.effect("retry: false gives one attempt (for calls and for the token exchange)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer({ retry: false }))), Duration.zero)
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqServerError", attempts: 1 })
      expect(yield* fake.apiRequests).toHaveLength(1)

      const tokenFake = yield* makeFake({ token: () => reply.envelope(500, "internal-server-error") })
      const tokenExit = yield* runFor(getThing.pipe(Effect.provide(tokenFake.layer({ retry: false }))), Duration.zero)
      expect(plain(failureOf(tokenExit))).toMatchObject({ _tag: "BasiqAuthenticationError", status: 500, attempts: 1 })
      expect(yield* tokenFake.tokenRequests).toHaveLength(1)
    })
  )

  it.effect("a policy in the config replaces the default", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const policy = BasiqRetry.fromSchedule(Schedule.intersect(Schedule.spaced("5 seconds"), Schedule.recurs(2)))
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer({ retry: policy }))), "1 minute")
      expect(attemptsOf(failureOf(exit))).toBe(3)
      expect(gaps(yield* fake.apiRequests)).toEqual([5000, 5000])
    })
  )
})

describe("BasiqRetry.withPolicy", () => {
  it.effect("data-first: fromSchedule(Schedule.recurs(1)) gives two attempts with no delay", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) =>
          BasiqRetry.withPolicy(ops.getThing({ params }), BasiqRetry.fromSchedule(Schedule.recurs(1)))
        ).pipe(Effect.provide(fake.layer())),
        Duration.zero
      )
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqServerError", attempts: 2 })
      expect(gaps(yield* fake.apiRequests)).toEqual([0])
    })
  )

  it.effect("data-last: overrides retry: false from the config for one call only", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const ops = yield* operations
          const overridden = yield* Effect.flip(
            ops.getThing({ params }).pipe(BasiqRetry.withPolicy(BasiqRetry.fromSchedule(Schedule.recurs(2))))
          )
          const plain = yield* Effect.flip(ops.getThing({ params }))
          return [attemptsOf(overridden), attemptsOf(plain)]
        }).pipe(Effect.provide(fake.layer({ retry: false }))),
        Duration.zero
      )
      expect(successOf(exit)).toEqual([3, 1])
      expect(yield* fake.apiRequests).toHaveLength(4)
    })
  )

  it.effect("withPolicy(none) disables retries; the SDK still decides what is retryable", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(500, "internal-server-error") })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const ops = yield* operations
          const none = yield* Effect.flip(BasiqRetry.withPolicy(ops.getThing({ params }), BasiqRetry.none))
          // A generous schedule does not make a non-idempotent 500 retryable.
          const post = yield* Effect.flip(
            BasiqRetry.withPolicy(
              ops.createThing({ params: { userId: "u1" }, body: { name: "n" } }),
              BasiqRetry.fromSchedule(Schedule.recurs(5))
            )
          )
          return [attemptsOf(none), attemptsOf(post)]
        }).pipe(Effect.provide(fake.layer())),
        Duration.zero
      )
      expect(successOf(exit)).toEqual([1, 1])
      expect(yield* fake.apiRequests).toHaveLength(2)
    })
  )

  it.effect("applies to the token exchange of the call", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.envelope(503, "service-unavailable") })
      const exit = yield* runFor(
        Effect.flatMap(operations, (ops) =>
          BasiqRetry.withPolicy(ops.getThing({ params }), BasiqRetry.fromSchedule(Schedule.recurs(1)))
        ).pipe(Effect.provide(fake.layer())),
        Duration.zero
      )
      expect(plain(failureOf(exit))).toMatchObject({ _tag: "BasiqAuthenticationError", status: 503, attempts: 2 })
      expect(yield* fake.tokenRequests).toHaveLength(2)
    })
  )
})

describe("per-attempt timeout and interruption", () => {
  it.effect("a hanging request fails with BasiqTransportError Timeout after `timeout`, not before", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.hang })
      const fiber = yield* Effect.fork(
        getThing.pipe(Effect.provide(fake.layer({ timeout: "5 seconds", retry: false })))
      )
      yield* TestClock.adjust("4999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.poll(fiber)
      if (Option.isNone(exit)) throw new Error("still running after the timeout")
      const error = failureOf(exit.value)
      expect(error).toBeInstanceOf(BasiqTransportError)
      expect(plain(error)).toMatchObject({ reason: "Timeout", outcomeUnknown: false, attempts: 1, method: "GET" })
      expect(error.message).toBe("Timeout on GET /users/{userId}/things/{thingId}: no response within 5s")
      // The timed-out request was aborted.
      expect(yield* fake.interrupted).toBe(1)
      expect((yield* fake.apiRequests)[0]!.signal.aborted).toBe(true)
    })
  )

  it.effect("timeouts are retried for idempotent calls, each attempt with its own timeout", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: (_, n) => (n < 3 ? reply.hang : ok) })
      const exit = yield* runFor(getThing.pipe(Effect.provide(fake.layer({ timeout: "2 seconds" }))), "1 minute")
      expect(successOf(exit)).toEqual({ id: "t1" })
      const sent = yield* fake.apiRequests
      expect(sent).toHaveLength(3)
      const [g1, g2] = gaps(sent)
      expect(g1! - 2000).toBeGreaterThanOrEqual(200)
      expect(g1! - 2000).toBeLessThanOrEqual(300)
      expect(g2! - 2000).toBeGreaterThanOrEqual(400)
      expect(g2! - 2000).toBeLessThanOrEqual(600)
    })
  )

  it.effect("a timeout of a non-idempotent call is final with outcomeUnknown", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.hang })
      const exit = yield* runFor(createThing.pipe(Effect.provide(fake.layer({ timeout: "2 seconds" }))), "1 minute")
      expect(plain(failureOf(exit))).toMatchObject({
        _tag: "BasiqTransportError",
        reason: "Timeout",
        outcomeUnknown: true
      })
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("interruption during a retry sleep stops further attempts", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(503, "service-unavailable") })
      const fiber = yield* Effect.fork(getThing.pipe(Effect.provide(fake.layer())))
      // The first attempt failed; the first retry is at least 200 ms away.
      yield* TestClock.adjust("100 millis")
      expect(yield* fake.apiRequests).toHaveLength(1)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("interruption aborts the in-flight request", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.hang })
      const fiber = yield* Effect.fork(getThing.pipe(Effect.provide(fake.layer())))
      yield* TestClock.adjust("1 second")
      expect(yield* fake.apiRequests).toHaveLength(1)
      yield* Fiber.interrupt(fiber)
      expect(yield* fake.interrupted).toBe(1)
      expect((yield* fake.apiRequests)[0]!.signal.aborted).toBe(true)
      yield* TestClock.adjust("10 minutes")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )
})
