/**
 * The per-attempt deadline on virtual time: fires exactly at the deadline, in order, never early,
 * never for an attempt that already ended, and interrupting the caller interrupts the attempt.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, TestClock } from "effect"
import { withDeadline } from "../src/internal/deadline.js"

const timeout = Duration.seconds(10)
const onTimeout = () => "timeout" as const

describe("withDeadline", () => {
  it.effect("an attempt that ends in time keeps its value; many of them leave nothing to fire", () =>
    Effect.gen(function* () {
      const values = yield* Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        (i) => withDeadline(Effect.succeed(i), timeout, onTimeout)
      )
      expect(values).toHaveLength(1000)
      // A slow attempt registered after them still gets its whole timeout.
      const slow = yield* Effect.fork(withDeadline(Effect.sleep("9 seconds"), timeout, onTimeout))
      yield* TestClock.adjust("9 seconds")
      expect(Exit.isSuccess(yield* Fiber.join(slow).pipe(Effect.exit))).toBe(true)
    })
  )

  it.effect("fires at the deadline, not a millisecond before, and interrupts the attempt", () =>
    Effect.gen(function* () {
      const interrupted = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        withDeadline(
          Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))),
          timeout,
          onTimeout
        )
      )
      yield* TestClock.adjust(Duration.millis(9_999))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      const exit = yield* Fiber.await(fiber)
      expect(exit).toEqual(Exit.fail("timeout"))
      expect(yield* Deferred.isDone(interrupted)).toBe(true)
    })
  )

  it.effect("deadlines registered one after another fire in order, each at its own time", () =>
    Effect.gen(function* () {
      const first = yield* Effect.fork(withDeadline(Effect.never, timeout, onTimeout))
      yield* TestClock.adjust("3 seconds")
      const second = yield* Effect.fork(withDeadline(Effect.never, timeout, onTimeout))
      yield* TestClock.adjust("7 seconds")
      expect(Option.isSome(yield* Fiber.poll(first))).toBe(true)
      expect(Option.isNone(yield* Fiber.poll(second))).toBe(true)
      yield* TestClock.adjust("3 seconds")
      expect(yield* Fiber.await(second)).toEqual(Exit.fail("timeout"))
    })
  )

  it.effect("interrupting the caller interrupts the attempt; its deadline never fires", () =>
    Effect.gen(function* () {
      const interrupted = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        withDeadline(
          Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))),
          timeout,
          onTimeout
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      expect(yield* Deferred.isDone(interrupted)).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Exit.isInterrupted(yield* Fiber.await(fiber))).toBe(true)
    })
  )

  it.effect("a failure of the attempt is kept as it is", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(withDeadline(Effect.fail("boom" as const), timeout, onTimeout))
      expect(exit).toEqual(Exit.fail("boom"))
    })
  )
})
