import { BasiqConfigError, BasiqRateLimitError, BasiqRateLimiter } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Layer, TestClock } from "effect"
import { failureOf, makeFake, operations, plain, reply, runFor, successOf } from "./utils/fake.js"

const ok = reply.json(200, { id: "t1" })
const params = { userId: "u1", thingId: "t1" }
const callThing = Effect.flatMap(operations, (ops) => ops.getThing({ params }))

const limited = (options: BasiqRateLimiter.Options) => Layer.orDie(BasiqRateLimiter.layerMemory(options))

describe("BasiqRateLimiter.layerMemory", () => {
  it.effect("every attempt takes a slot: at most `limit` requests per window, the others wait", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const exit = yield* runFor(
        Effect.all(
          Array.from({ length: 5 }, () => callThing),
          { concurrency: "unbounded" }
        ).pipe(Effect.provide(fake.layer()), Effect.provide(limited({ limit: 2, window: "1 second" })))
      )
      expect(successOf(exit)).toHaveLength(5)
      expect((yield* fake.apiRequests).map((s) => s.at).sort((a, b) => a - b)).toEqual([0, 0, 1000, 1000, 2000])
      // `/token` has its own key: the exchange did not wait for a slot of the requests' budget.
      expect((yield* fake.tokenRequests).map((s) => s.at)).toEqual([0])
    })
  )

  it.effect("retries take slots too", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: (_, n) => (n === 1 ? reply.envelope(503, "service-unavailable") : ok) })
      const exit = yield* runFor(
        callThing.pipe(Effect.provide(fake.layer()), Effect.provide(limited({ limit: 1, window: "10 seconds" })))
      )
      expect(successOf(exit)).toEqual({ id: "t1" })
      const api = yield* fake.apiRequests
      expect(api).toHaveLength(2)
      // The retry waited for the next window.
      expect(api[1]!.at).toBe(10_000)
    })
  )

  it.effect("/token exchanges take slots of their own budget", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const exit = yield* runFor(
        Effect.gen(function* () {
          yield* callThing
          // Each exchange (forced by expiry after 1 s) takes a slot of the token budget: 1 per hour.
          yield* TestClock.adjust("2 seconds")
          yield* callThing
        }).pipe(
          Effect.provide(fake.layer({ tokenRefreshMargin: Duration.seconds(3599) })),
          Effect.provide(
            limited({ limit: 100, window: "1 second", maxWait: "2 hours", token: { limit: 1, window: "1 hour" } })
          )
        ),
        "3 hours"
      )
      successOf(exit)
      const tokens = (yield* fake.tokenRequests).map((s) => s.at)
      expect(tokens).toEqual([0, 3_600_000])
    })
  )

  it.effect("a wait beyond maxWait is the local BasiqRateLimitError, nothing sent, not retried", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const exit = yield* Effect.gen(function* () {
        yield* callThing
        const before = yield* TestClock.currentTimeMillis
        const second = yield* Effect.exit(callThing)
        expect(yield* TestClock.currentTimeMillis).toBe(before)
        return second
      }).pipe(
        Effect.provide(fake.layer()),
        Effect.provide(limited({ limit: 1, window: "1 minute", maxWait: "1 second" }))
      )
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(BasiqRateLimitError)
      expect(plain(error)).toMatchObject({
        _tag: "BasiqRateLimitError",
        source: "local",
        status: 0,
        method: "GET",
        route: "/users/{userId}/things/{thingId}",
        attempts: 0
      })
      expect(error.message).toContain("Local rate budget")
      expect(error.message).toContain("not a 429 from Basiq")
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("Basiq's own 429 is marked as Basiq's", () =>
    Effect.sync(() => {
      const e = new BasiqRateLimitError({ method: "GET", route: "/x", attempts: 1, status: 429, errors: [] })
      expect(e.source).toBe("basiq")
      expect(e.message).not.toContain("Local")
    })
  )

  it.effect("interrupting a caller waiting for a slot ends the wait at once", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      yield* Effect.gen(function* () {
        yield* callThing
        const fiber = yield* Effect.fork(callThing)
        yield* TestClock.adjust("1 second")
        const before = yield* TestClock.currentTimeMillis
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(yield* TestClock.currentTimeMillis).toBe(before)
        expect(yield* fake.apiRequests).toHaveLength(1)
      }).pipe(Effect.provide(fake.layer()), Effect.provide(limited({ limit: 1, window: "1 hour", maxWait: "2 hours" })))
    })
  )

  it("checks its options: a BasiqConfigError naming the option", () => {
    const cases: ReadonlyArray<[BasiqRateLimiter.Options, string]> = [
      [{ limit: 0, window: "1 second" }, "rateLimit.limit"],
      [{ limit: 1.5, window: "1 second" }, "rateLimit.limit"],
      [{ limit: 1, window: "0 millis" }, "rateLimit.window"],
      [{ limit: 1, window: Duration.infinity }, "rateLimit.window"],
      [{ limit: 1, window: "1 second", maxWait: Duration.infinity }, "rateLimit.maxWait"],
      [{ limit: 1, window: "1 second", token: { limit: -1, window: "1 second" } }, "rateLimit.token.limit"]
    ]
    for (const [options, option] of cases) {
      const result = BasiqRateLimiter.resolve(options)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left).toBeInstanceOf(BasiqConfigError)
        expect(result.left.option).toBe(option)
      }
    }
    const resolved = BasiqRateLimiter.resolve({ limit: 5, window: "1 second" })
    expect(Either.isRight(resolved) && Duration.toMillis(resolved.right.maxWait)).toBe(30_000)
    expect(Either.isRight(resolved) && resolved.right.token.limit).toBe(1000)
  })
})
