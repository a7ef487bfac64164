/**
 * The promise-facade machinery (`@basiq-effect/core/facade`) on its own, over a tiny service: what a call
 * resolves or rejects with, signals, callbacks, disposal, and option checks before any work.
 */
import { BasiqError } from "@basiq-effect/core"
import { PromiseFacade as Facade } from "@basiq-effect/core/facade"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Layer } from "effect"
import { settle, unsafeCoerce } from "./utils/fake.js"

class Counter extends Context.Tag("test/Counter")<Counter, { readonly next: Effect.Effect<number> }>() {}

/** A runtime over a `Counter`, counting how often its layer is built. */
const makeRuntime = () => {
  let builds = 0
  let count = 0
  const layer = Layer.sync(Counter, () => {
    builds++
    return { next: Effect.sync(() => ++count) }
  })
  return { runtime: Facade.makeFacadeRuntime(layer), builds: () => builds }
}

describe("makeFacadeRuntime", () => {
  it.effect("resolves with the value; the layer is built once for every call", () =>
    Effect.gen(function* () {
      const { builds, runtime } = makeRuntime()
      const values = yield* Effect.promise(() =>
        Promise.all([
          runtime.run(() => Effect.flatMap(Counter, (c) => c.next)),
          runtime.run(() => Effect.flatMap(Counter, (c) => c.next))
        ])
      )
      expect([...values].sort()).toEqual([1, 2])
      expect(builds()).toBe(1)
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it.effect("invalid trailing options reject with BasiqInvalidRequestError before the effect is even built", () =>
    Effect.gen(function* () {
      const { builds, runtime } = makeRuntime()
      let made = 0
      const make = () => {
        made++
        return Effect.void
      }
      for (const [options, field] of [
        [null, "options"],
        [0, "options"],
        [{ signal: 1 }, "signal"],
        [{ signal: { aborted: false, addEventListener: () => {} } }, "signal"]
      ] as const) {
        const settled = yield* settle(runtime.run(make, options))
        expect("error" in settled && settled.error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
        expect("error" in settled && unsafeCoerce<BasiqError.BasiqInvalidRequestError>(settled.error).fields).toEqual([
          field
        ])
      }
      expect(made).toBe(0)
      expect(builds()).toBe(0)
      yield* Effect.promise(() => runtime.run(make, { signal: undefined, other: "kept for the method" }))
      expect(made).toBe(1)
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it("requireStrings names every argument that is not a string", () => {
    const result = Effect.runSync(Effect.flip(Facade.requireStrings({ a: "x", b: 1, c: null })))
    expect(result.fields).toEqual(["b", "c"])
    expect(Effect.runSync(Effect.either(Facade.requireStrings({ a: "x" })))._tag).toBe("Right")
  })
})

/** A runtime whose layer is built and whose pool has run a call (later calls run on the pool). */
const warmRuntime = Effect.gen(function* () {
  const made = makeRuntime()
  yield* Effect.promise(() => made.runtime.run(() => Effect.flatMap(Counter, (c) => c.next)))
  // The layer's build is observed after the first call settles: one more turn makes it visible.
  yield* Effect.promise(() => made.runtime.run(() => Effect.void))
  return made
})

describe("makeFacadeRuntime: calls on the pool of fibers (after the first)", () => {
  it.effect("sequential calls reuse one fiber; concurrent calls run on distinct fibers", () =>
    Effect.gen(function* () {
      const { runtime } = yield* warmRuntime
      const id = () => runtime.run(() => Effect.map(Effect.fiberId, (fiberId) => JSON.stringify(fiberId)))
      const first = yield* Effect.promise(id)
      const second = yield* Effect.promise(id)
      expect(second).toBe(first)
      const gate = yield* Deferred.make<void>()
      const concurrent = yield* Effect.promise(() =>
        Promise.all(
          Array.from({ length: 20 }, () =>
            runtime.run(() =>
              Effect.zipRight(
                Deferred.await(gate),
                Effect.map(Effect.fiberId, (fiberId) => JSON.stringify(fiberId))
              )
            )
          ).concat(runtime.run(() => Effect.as(Deferred.succeed(gate, undefined), "opener")))
        )
      )
      expect(new Set(concurrent).size).toBe(21)
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it.effect("more calls at once than fibers kept parked: all settle, twice over", () =>
    Effect.gen(function* () {
      const { runtime } = yield* warmRuntime
      const n = Facade.maxIdleFibers + 100
      for (let round = 0; round < 2; round++) {
        const values = yield* Effect.promise(() =>
          Promise.all(
            Array.from({ length: n }, () =>
              runtime.run(() =>
                Effect.zipRight(
                  Effect.yieldNow(),
                  Effect.flatMap(Counter, (c) => c.next)
                )
              )
            )
          )
        )
        expect(new Set(values).size).toBe(n)
      }
      yield* Effect.promise(() => runtime.dispose())
    })
  )
})

/** The two ways a call starts: while the layer is built, or on the pool once it is. */
const starts: Record<string, Effect.Effect<ReturnType<typeof makeRuntime>>> = {
  "the first call": Effect.sync(makeRuntime),
  "a pooled call": warmRuntime
}

describe("makeFacadeRuntime: aborts and dispose, on the first call and on the pool", () => {
  for (const [name, start] of Object.entries(starts)) {
    it.effect(`${name}: a value, a typed failure, a callback's throw and a defect settle as themselves`, () =>
      Effect.gen(function* () {
        const { runtime } = yield* start
        const error = new BasiqError.BasiqInvalidRequestError({ reason: "r", fields: ["f"] })
        const failed = yield* settle(runtime.run(() => Effect.fail(error)))
        expect("error" in failed && failed.error).toBe(error)
        const thrown = { not: "an Error" }
        const fromCallback = yield* settle(
          runtime.run(() =>
            Facade.callback(() => {
              throw thrown
            })
          )
        )
        expect("error" in fromCallback && fromCallback.error).toBe(thrown)
        const rejected = new SyntaxError("from an async callback")
        const fromAsync = yield* settle(runtime.run(() => Facade.callback(() => Promise.reject(rejected))))
        expect("error" in fromAsync && fromAsync.error).toBe(rejected)
        const defect = new RangeError("bug")
        const died = yield* settle(runtime.run(() => Effect.die(defect)))
        expect("error" in died && died.error).toBe(defect)
        // The runtime (on the pool: the fiber that ran them) goes on serving calls.
        expect(yield* Effect.promise(() => runtime.run(() => Effect.succeed("next")))).toBe("next")
        yield* Effect.promise(() => runtime.dispose())
      })
    )

    it.effect(`${name}: aborting interrupts it (its finalizer runs) and rejects with signal.reason`, () =>
      Effect.gen(function* () {
        const { runtime } = yield* start
        const started = yield* Deferred.make<void>()
        let finalized = false
        const controller = new AbortController()
        const call = runtime.run(
          () =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.never),
              Effect.onInterrupt(() =>
                Effect.sync(() => {
                  finalized = true
                })
              )
            ),
          { signal: controller.signal }
        )
        yield* Deferred.await(started)
        const reason = new Error("user cancelled")
        controller.abort(reason)
        const settled = yield* settle(call)
        expect("error" in settled && settled.error).toBe(reason)
        expect(finalized).toBe(true)
        // The runtime goes on serving calls.
        expect(yield* Effect.promise(() => runtime.run(() => Effect.succeed("next")))).toBe("next")
        yield* Effect.promise(() => runtime.dispose())
      })
    )

    it.effect(`${name}: dispose() interrupts it (it rejects saying so); later calls reject too`, () =>
      Effect.gen(function* () {
        const { runtime } = yield* start
        const started = yield* Deferred.make<void>()
        let finalized = false
        const call = runtime.run(() =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                finalized = true
              })
            )
          )
        )
        yield* Deferred.await(started)
        yield* Effect.promise(() => runtime.dispose())
        const inFlight = yield* settle(call)
        expect("error" in inFlight && String(inFlight.error)).toContain("disposed")
        expect(finalized).toBe(true)
        const later = yield* settle(runtime.run(() => Effect.succeed(1)))
        expect("error" in later && String(later.error)).toContain("disposed")
        yield* Effect.promise(() => runtime.dispose())
      })
    )
  }

  it.effect("a pooled call aborted before a parked fiber picks it up: rejected, its effect never completes", () =>
    Effect.gen(function* () {
      const { runtime } = yield* warmRuntime
      const early = new AbortController()
      let ran = false
      const aborted = runtime.run(
        () =>
          Effect.sync(() => {
            ran = true
          }),
        { signal: early.signal }
      )
      early.abort("stop")
      const settled = yield* settle(aborted)
      expect("error" in settled && settled.error).toBe("stop")
      expect(ran).toBe(false)
      expect(yield* Effect.promise(() => runtime.run(() => Effect.flatMap(Counter, (c) => c.next)))).toBe(2)
      yield* Effect.promise(() => runtime.dispose())
    })
  )
})
