import { BasiqAuth, BasiqClient, BasiqConfig, BasiqTokenStore } from "@basiq-effect/core"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Option, Redacted, TestClock } from "effect"
import { apiKey, makeFake, operations, reply } from "./utils/fake.js"
import { type MemoryStore, makeMemoryStore } from "./utils/memoryStore.js"

const ok = reply.json(200, { id: "t1" })
const params = { userId: "u1", thingId: "t1" }

/** One "process": its own config, auth (token cache) and client, over the shared fake and store. */
const processLayer = (client: HttpClient.HttpClient, store: MemoryStore, options: Partial<BasiqConfig.Options> = {}) =>
  BasiqClient.layerFrom(BasiqConfig.layer({ apiKey, ...options })).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
    Layer.provide(Layer.succeed(BasiqTokenStore.BasiqTokenStore, store.service)),
    Layer.orDie
  )

const callThing = Effect.flatMap(operations, (ops) => ops.getThing({ params }))

/** Lets WebCrypto's promises settle while virtual time moves in `step`s; fails after `bound` steps. */
const settle = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, step: Duration.DurationInput = "10 millis", bound = 2_000) =>
  Effect.gen(function* () {
    for (let i = 0; i < bound; i++) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage("the fiber did not end")
  })

/** Moves virtual time `steps` × 10 ms, letting promises settle in between. */
const advance = (steps: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < steps; i++) {
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("10 millis")
    }
  })

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1")

/** Captures log lines (level and message). */
const captureLogs = () => {
  const lines: Array<{ level: string; message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("BasiqAuth with a BasiqTokenStore", () => {
  it.effect("two processes make one exchange; a cached call makes no store round trip", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      expect(yield* fake.tokenRequests).toHaveLength(1)
      expect(store.calls.map((c) => c.op)).toEqual(["get", "lock", "get", "set", "unlock"])
      // Process B finds the token in the store: no exchange.
      const before = store.calls.length
      yield* Effect.gen(function* () {
        yield* callThing
        expect(store.calls.slice(before).map((c) => c.op)).toEqual(["get"])
        // Cached in process: 100 calls, zero store operations.
        const cached = store.calls.length
        for (let i = 0; i < 100; i++) yield* callThing
        expect(store.calls.length).toBe(cached)
      }).pipe(Effect.provide(processLayer(fake.client, store)))
      expect(yield* fake.tokenRequests).toHaveLength(1)
      expect((yield* fake.apiRequests).every((s) => s.bearer === "tok_1")).toBe(true)
    })
  )

  it.effect("stores only sealed bytes under opaque names; another API key neither finds nor reads them", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      const keys = [...store.entries.keys(), ...store.calls.map((c) => c.key)]
      for (const key of keys) {
        expect(key).not.toContain(apiKey)
        expect(key).toMatch(/^(token|lock):[0-9a-f]{32}$/)
      }
      const [tokenKey, entry] = [...store.entries][0]!
      expect(text(entry!.value)).not.toContain("tok_1")
      expect(text(entry!.value)).not.toContain(apiKey)
      // Another key: other names, its own exchange.
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store, { apiKey: "sk_other_KEY" })))
      expect(yield* fake.tokenRequests).toHaveLength(2)
      expect(store.entries.size).toBe(2)
      // Another key's sealed value copied under our name does not open: ignored, replaced.
      const [otherKey] = [...store.entries.keys()].filter((k) => k !== tokenKey)
      store.entries.set(tokenKey!, { ...store.entries.get(otherKey!)! })
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      expect(yield* fake.tokenRequests).toHaveLength(3)
      expect(text(store.entries.get(tokenKey!)!.value)).not.toBe(text(store.entries.get(otherKey!)!.value))
    })
  )

  it.effect("a tampered, truncated or foreign value is ignored and replaced by a fresh exchange", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      const [tokenKey] = [...store.entries.keys()]
      const original = store.entries.get(tokenKey!)!.value
      const variants = [
        (() => {
          const v = new Uint8Array(original)
          v[v.length - 3]! ^= 1
          return v
        })(),
        original.subarray(0, 20),
        new TextEncoder().encode('{"t":"tok_forged","e":99999999999999}'),
        new Uint8Array(0)
      ]
      let exchanges = 1
      for (const value of variants) {
        store.entries.set(tokenKey!, { value, expiresAt: Number.MAX_SAFE_INTEGER })
        yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
        exchanges++
        expect(yield* fake.tokenRequests).toHaveLength(exchanges)
        const api = yield* fake.apiRequests
        expect(api[api.length - 1]!.bearer).toBe(`tok_${exchanges}`)
        expect(text(store.entries.get(tokenKey!)!.value)).not.toBe(text(value))
      }
    })
  )

  it.effect("a 401 removes the stored token only while it is still the stored one", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (sent) => (sent.bearer === "tok_1" ? reply.envelope(401, "unauthorized-access") : ok)
      })
      const store = makeMemoryStore()
      // tok_1 is stored, rejected with 401: deleted (compare-and-delete), tok_2 exchanged and stored.
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      expect(store.calls.filter((c) => c.op === "deleteIf")).toHaveLength(1)
      expect(yield* fake.tokenRequests).toHaveLength(2)
      expect(store.entries.size).toBe(1)
      const [tokenKey, entry] = [...store.entries][0]!
      yield* Effect.gen(function* () {
        const auth = yield* BasiqAuth.BasiqAuth
        const token = yield* auth.token
        expect(Redacted.value(token)).toBe("tok_2")
        // Meanwhile another process stored another value: this process's invalidation keeps it.
        const newer = new Uint8Array(entry!.value)
        newer[newer.length - 1]! ^= 1
        store.entries.set(tokenKey!, { value: newer, expiresAt: Number.MAX_SAFE_INTEGER })
        yield* auth.invalidate(token)
        expect(store.entries.get(tokenKey!)?.value).toEqual(newer)
        // The stored value is the one that failed: removed.
        store.entries.set(tokenKey!, { value: entry!.value, expiresAt: Number.MAX_SAFE_INTEGER })
        const again = yield* auth.token
        yield* auth.invalidate(again)
        expect(store.entries.has(tokenKey!)).toBe(false)
      }).pipe(Effect.provide(processLayer(fake.client, store)))
    })
  )

  it.effect("waits for the lock holder's token: no exchange of its own", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      // Process A exchanges first (fills the store), then we clear the value and hold the lock
      // as if another process were exchanging, and put the token back after 300 ms.
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      const [tokenKey, entry] = [...store.entries][0]!
      store.entries.clear()
      store.locks.set(tokenKey!.replace("token:", "lock:"), { owner: "other", expiresAt: Number.MAX_SAFE_INTEGER })
      const fiber = yield* Effect.fork(callThing.pipe(Effect.provide(processLayer(fake.client, store))))
      yield* advance(25)
      expect(yield* fake.tokenRequests).toHaveLength(1)
      store.entries.set(tokenKey!, entry!)
      const exit = yield* settle(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(yield* fake.tokenRequests).toHaveLength(1)
    })
  )

  it.effect("takes over when the holder's lock expires: one exchange", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      // timeout 2 s: the lock lives 2 s.
      const layer = processLayer(fake.client, store, { timeout: "2 seconds" })
      yield* callThing.pipe(Effect.provide(layer))
      const [tokenKey] = [...store.entries][0]!
      store.entries.clear()
      // A crashed holder: the lock is held until t = 2 s, no token ever comes.
      store.locks.set(tokenKey!.replace("token:", "lock:"), { owner: "crashed", expiresAt: 2_000 })
      const fiber = yield* Effect.fork(
        callThing.pipe(Effect.provide(processLayer(fake.client, store, { timeout: "2 seconds" })))
      )
      yield* advance(150)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect(yield* fake.tokenRequests).toHaveLength(1)
      const exit = yield* settle(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(yield* fake.tokenRequests).toHaveLength(2)
    })
  )

  it.effect("interrupting a caller waiting on the lock ends its wait at once", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      yield* callThing.pipe(Effect.provide(processLayer(fake.client, store)))
      const [tokenKey] = [...store.entries][0]!
      store.entries.clear()
      store.locks.set(tokenKey!.replace("token:", "lock:"), { owner: "other", expiresAt: Number.MAX_SAFE_INTEGER })
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.fork(callThing)
        yield* advance(20)
        const before = yield* TestClock.currentTimeMillis
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(yield* TestClock.currentTimeMillis).toBe(before)
      }).pipe(Effect.provide(processLayer(fake.client, store)))
    })
  )

  it.effect("store faults never fail a call: own exchange, one warning per outage, rejoins", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      const logs = captureLogs()
      store.down = true
      yield* Effect.gen(function* () {
        // Down at start: the call succeeds with this process's own exchange.
        yield* callThing
        expect(yield* fake.tokenRequests).toHaveLength(1)
        // Token expires (3300 s): still down, one more exchange, no second warning.
        yield* TestClock.adjust("3300 seconds")
        yield* callThing
        expect(yield* fake.tokenRequests).toHaveLength(2)
        expect(logs.lines.filter((l) => l.level === "WARN")).toHaveLength(1)
        // Back: the next refresh uses the store again (writes the token).
        store.down = false
        yield* TestClock.adjust("3300 seconds")
        yield* callThing
        expect(store.entries.size).toBe(1)
        // Down again: a second outage, a second warning.
        store.down = true
        yield* TestClock.adjust("3300 seconds")
        yield* callThing
      }).pipe(
        Effect.provide(processLayer(fake.client, store)),
        Effect.provide(logs.layer),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      const warnings = logs.lines.filter((l) => l.level === "WARN")
      expect(warnings).toHaveLength(2)
      expect(warnings[0]!.message).toContain("token store unavailable")
      expect(logs.lines.map((l) => l.message).join("\n")).not.toContain(apiKey)
      expect(logs.lines.map((l) => l.message).join("\n")).not.toContain("tok_")
      expect(yield* fake.tokenRequests).toHaveLength(4)
    })
  )

  it.effect("client tokens are never stored", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => ok })
      const store = makeMemoryStore()
      yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.clientToken("user-1")).pipe(
        Effect.provide(processLayer(fake.client, store))
      )
      expect(store.calls).toEqual([])
      expect(store.entries.size).toBe(0)
    })
  )
})
