import { BasiqAuth, type BasiqClient, BasiqConfigError, BasiqRateLimitError } from "@basiq-effect/core"
import { BasiqRedis } from "@basiq-effect/redis"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Exit, Fiber, Layer, Logger, LogLevel, Redacted, Runtime } from "effect"
import { Redis } from "ioredis"
import { clientLayer, getUser } from "./utils/client.js"
import { waitFor } from "./utils/fleet.js"
import { type RedisServer, startRedis } from "./utils/redisServer.js"

const apiKey = "sk_store_TEST_1234567890"
const otherKey = "sk_other_TEST_0987654321"

/** Log lines, collected instead of printed. */
const captureLogs = () => {
  const lines: Array<{ level: string; message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
  })
  return {
    lines,
    warnings: () => lines.filter((l) => l.level === "WARN"),
    provide: <A, E, R>(self: Effect.Effect<A, E, R>) =>
      self.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.All))
  }
}

const consoleMethods = ["log", "error", "warn", "info", "debug", "trace"] as const
let consoleSpies: Array<ReturnType<typeof vi.spyOn>> = []
beforeEach(() => {
  consoleSpies = consoleMethods.map((m) => vi.spyOn(console, m))
})
afterEach(() => {
  for (const spy of consoleSpies) spy.mockRestore()
})
const nothingPrinted = () => {
  for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled()
}

/** Every key under the prefix with its raw value (as latin1 text) and TTL. */
const dump = (redis: RedisServer, prefix = "basiq:") =>
  Effect.promise(async () => {
    const keys: Array<string> = []
    let cursor = "0"
    do {
      const [next, batch] = await redis.admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== "0")
    return Promise.all(
      keys.map(async (key) => {
        const type = await redis.admin.type(key)
        const raw =
          type === "string"
            ? ((await redis.admin.getBuffer(key)) ?? Buffer.alloc(0)).toString("latin1")
            : type === "hash"
              ? JSON.stringify(await redis.admin.hgetall(key))
              : type === "zset"
                ? JSON.stringify(await redis.admin.zrange(key, 0, -1, "WITHSCORES"))
                : type
        return { key, type, raw, pttl: await redis.admin.pttl(key) }
      })
    )
  })

const setup = (options: { readonly apiKeys?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function* () {
    const redis = yield* startRedis
    const fake = yield* InMemoryBasiq.serve({ apiKeys: options.apiKeys ?? [apiKey], journal: 5_000 })
    const user = yield* fake.control.createUser({ email: "store@example.com" })
    const exchanges = Effect.map(
      fake.control.journal,
      (entries) => entries.filter((e) => e.method === "POST" && e.path === "/token").length
    )
    const apiRequests = Effect.map(fake.control.journal, (entries) => entries.filter((e) => e.path !== "/token").length)
    const layer = (fleet: Parameters<typeof clientLayer>[0]["fleet"], key = apiKey) =>
      clientLayer({ apiKey: key, baseUrl: fake.url, fleet })
    const call = Effect.flatMap(getUser, (op) => op({ params: { userId: user.id } }))
    return { redis, fake, user, exchanges, apiRequests, layer, call }
  })

describe("BasiqRedis.layer token store", () => {
  it.scopedLive("shares the token between processes and stores nothing readable", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup({ apiKeys: [apiKey, otherKey] })
      const fleet = BasiqRedis.layer({ url: redis.url })
      const token = yield* Effect.gen(function* () {
        yield* call
        return Redacted.value(yield* Effect.flatMap(BasiqAuth.BasiqAuth, (a) => a.token))
      }).pipe(Effect.provide(layer(fleet)))
      // A second process: no exchange.
      yield* call.pipe(Effect.provide(layer(fleet)))
      expect(yield* exchanges).toBe(1)
      const entries = yield* dump(redis)
      expect(entries.map((e) => e.key)).toEqual([expect.stringMatching(/^basiq:token:[0-9a-f]{32}$/)])
      const base64Key = Buffer.from(apiKey).toString("base64")
      for (const e of entries) {
        for (const secret of [apiKey, token, base64Key, Buffer.from(token).toString("base64")]) {
          expect(e.key).not.toContain(secret)
          expect(e.raw).not.toContain(secret)
        }
        expect(e.pttl).toBeGreaterThan(0)
      }
      // Another API key neither finds nor reads it: its own names, its own exchange.
      yield* call.pipe(Effect.provide(layer(fleet, otherKey)))
      expect(yield* exchanges).toBe(2)
      const both = yield* dump(redis)
      expect(both).toHaveLength(2)
      // Our sealed value copied under the other key's name does not open there: ignored, replaced.
      const ours = entries[0]!
      const theirs = both.find((e) => e.key !== ours.key)!
      yield* Effect.promise(() => redis.admin.set(theirs.key, Buffer.from(ours.raw, "latin1"), "PX", 600_000))
      yield* call.pipe(Effect.provide(layer(fleet, otherKey)))
      expect(yield* exchanges).toBe(3)
      const after = yield* Effect.promise(() => redis.admin.getBuffer(theirs.key))
      expect(after?.toString("latin1")).not.toBe(ours.raw)
      nothingPrinted()
    })
  )

  it.scopedLive("a tampered value, garbage or a key of the wrong type: ignored, a fresh exchange", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup()
      const logs = captureLogs()
      const fleet = BasiqRedis.layer({ url: redis.url })
      yield* call.pipe(Effect.provide(layer(fleet)))
      const [entry] = yield* dump(redis)
      const key = entry!.key
      const tampered = Buffer.from(entry!.raw, "latin1")
      tampered[tampered.length - 5]! ^= 0x01
      const corruptions: ReadonlyArray<Effect.Effect<unknown>> = [
        Effect.promise(() => redis.admin.set(key, tampered, "PX", 600_000)),
        Effect.promise(() => redis.admin.set(key, "not a sealed value", "PX", 600_000)),
        Effect.promise(() => redis.admin.del(key).then(() => redis.admin.lpush(key, "x"))),
        Effect.promise(() => redis.admin.del(key).then(() => redis.admin.hset(key, "t", "tok")))
      ]
      let expected = 1
      for (const corrupt of corruptions) {
        yield* corrupt
        yield* logs.provide(call.pipe(Effect.provide(layer(fleet))))
        expected++
        expect(yield* exchanges).toBe(expected)
        // Replaced by a good value that the next process uses.
        yield* call.pipe(Effect.provide(layer(fleet)))
        expect(yield* exchanges).toBe(expected)
      }
      expect(logs.lines.map((l) => l.message).join("\n")).not.toContain(apiKey)
      nothingPrinted()
    })
  )

  it.scopedLive("Redis stopped mid-run and restarted: no call fails, one warning per outage, nothing printed", () =>
    Effect.gen(function* () {
      const { call, exchanges, fake, layer, redis } = yield* setup()
      const logs = captureLogs()
      let failures = 0
      let calls = 0
      yield* logs.provide(
        Effect.gen(function* () {
          // Calls keep running through the whole scenario.
          const background = yield* Effect.fork(
            Effect.forever(
              Effect.zipRight(
                Effect.tap(Effect.either(call), (r) =>
                  Effect.sync(() => {
                    calls++
                    if (Either.isLeft(r)) failures++
                  })
                ),
                Effect.sleep("5 millis")
              )
            )
          )
          yield* call
          // Outage 1: Redis dies; tokens expire meanwhile, so a new one is needed.
          yield* redis.stop
          yield* fake.control.expireTokens()
          for (let i = 0; i < 5; i++) yield* call
          expect(logs.warnings()).toHaveLength(1)
          // Back: the process rejoins (a fresh token is stored in Redis again).
          yield* redis.start
          const runtime = yield* Effect.runtime<BasiqClient.BasiqClient>()
          yield* waitFor(async () => {
            await Effect.runPromise(fake.control.expireTokens())
            await Runtime.runPromise(runtime)(Effect.either(call))
            return (await redis.admin.dbsize()) > 0
          })
          expect(logs.lines.some((l) => l.message.includes("answers again"))).toBe(true)
          expect(logs.warnings()).toHaveLength(1)
          // Outage 2: a second warning.
          yield* redis.stop
          yield* fake.control.expireTokens()
          for (let i = 0; i < 5; i++) yield* call
          yield* redis.start
          yield* Fiber.interrupt(background)
        }).pipe(Effect.provide(layer(BasiqRedis.layer({ url: redis.url }))))
      )
      expect(calls).toBeGreaterThan(0)
      expect(failures).toBe(0)
      expect(logs.warnings()).toHaveLength(2)
      expect(logs.warnings()[0]!.message).toContain("token store unavailable")
      expect(yield* exchanges).toBeGreaterThanOrEqual(3)
      nothingPrinted()
    })
  )

  it.scopedLive("Redis down at start: calls succeed on the process's own token, nothing printed", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup()
      yield* redis.stop
      const logs = captureLogs()
      yield* logs.provide(
        Effect.gen(function* () {
          for (let i = 0; i < 10; i++) yield* call
        }).pipe(Effect.provide(layer(BasiqRedis.layer({ url: redis.url }))))
      )
      expect(yield* exchanges).toBe(1)
      expect(logs.warnings()).toHaveLength(1)
      nothingPrinted()
    })
  )

  it.scopedLive("a slow Redis (CLIENT PAUSE): each command gives up after its timeout, the call goes on", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup()
      const logs = captureLogs()
      yield* logs.provide(
        Effect.gen(function* () {
          yield* Effect.promise(() => redis.admin.call("CLIENT", "PAUSE", "3000", "ALL"))
          const started = Date.now()
          yield* call
          const elapsed = Date.now() - started
          // A few bounded commands (100 ms each), far less than the 3 s pause.
          expect(elapsed).toBeLessThan(2_000)
          expect(yield* exchanges).toBe(1)
          yield* Effect.promise(() => redis.admin.call("CLIENT", "UNPAUSE"))
        }).pipe(Effect.provide(layer(BasiqRedis.layer({ url: redis.url }))))
      )
      expect(logs.warnings()).toHaveLength(1)
      expect(logs.warnings()[0]!.message).toContain("no answer in time")
      nothingPrinted()
    })
  )

  it.scopedLive("interrupting a caller waiting on another process's lock ends the wait at once", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup()
      const fleet = BasiqRedis.layer({ url: redis.url })
      yield* call.pipe(Effect.provide(layer(fleet)))
      const [entry] = yield* dump(redis)
      const lockKey = entry!.key.replace(":token:", ":lock:")
      yield* Effect.promise(() => redis.admin.del(entry!.key))
      yield* Effect.promise(() => redis.admin.set(lockKey, "another-process", "PX", 60_000))
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.fork(call)
        // It is waiting: polling the store.
        yield* redis.resetStats
        yield* waitFor(() => Effect.runPromise(redis.commandStats).then((s) => (s.get ?? 0) >= 2))
        const started = Date.now()
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(Date.now() - started).toBeLessThan(200)
      }).pipe(Effect.provide(layer(fleet)))
      expect(yield* exchanges).toBe(1)
    })
  )

  it.scopedLive("a client of yours is duplicated with the package's settings and left open", () =>
    Effect.gen(function* () {
      const { call, exchanges, layer, redis } = yield* setup()
      const mine = new Redis(redis.port, "127.0.0.1")
      mine.on("error", () => {})
      yield* Effect.addFinalizer(() => Effect.sync(() => mine.disconnect()))
      yield* call.pipe(Effect.provide(layer(BasiqRedis.layer({ client: mine, prefix: "app1:" }))))
      yield* call.pipe(Effect.provide(layer(BasiqRedis.layer({ client: mine, prefix: "app1:" }))))
      expect(yield* exchanges).toBe(1)
      expect((yield* dump(redis, "app1:")).map((e) => e.key)).toEqual([expect.stringMatching(/^app1:token:/)])
      expect(mine.options.enableOfflineQueue).toBe(true)
      expect(yield* Effect.promise(() => mine.ping())).toBe("PONG")
    })
  )
})

describe("BasiqRedis.layer rate budget", () => {
  it.scopedLive("a wait beyond maxWait is the local BasiqRateLimitError; nothing is sent", () =>
    Effect.gen(function* () {
      const { apiRequests, call, layer, redis } = yield* setup()
      const fleet = BasiqRedis.layer({
        url: redis.url,
        rateLimit: { limit: 2, window: "1 minute", maxWait: "100 millis" }
      })
      const results = yield* Effect.gen(function* () {
        const out = []
        for (let i = 0; i < 3; i++) out.push(yield* Effect.either(call))
        return out
      }).pipe(Effect.provide(layer(fleet)))
      expect(results.map((r) => r._tag)).toEqual(["Right", "Right", "Left"])
      const error = (results[2] as Either.Left<unknown, unknown>).left
      expect(error).toBeInstanceOf(BasiqRateLimitError)
      expect(error).toMatchObject({ source: "local", status: 0, attempts: 0 })
      expect(yield* apiRequests).toBe(2)
    })
  )

  it.scopedLive("Redis down mid-run: the budget falls back to this process's share, one warning, rejoins", () =>
    Effect.gen(function* () {
      const { apiRequests, call, layer, redis } = yield* setup()
      const logs = captureLogs()
      const fleet = BasiqRedis.layer({ url: redis.url, rateLimit: { limit: 1000, window: "1 hour" } })
      yield* logs.provide(
        Effect.gen(function* () {
          for (let i = 0; i < 5; i++) yield* call
          const counted = Number(yield* Effect.promise(() => redis.admin.hget("basiq:rate:requests", "c")))
          expect(counted).toBe(5)
          yield* redis.stop
          for (let i = 0; i < 20; i++) yield* call
          yield* redis.start
          // Back: slots are counted in Redis again (a fresh window: the restarted Redis is empty).
          const runtime = yield* Effect.runtime<BasiqClient.BasiqClient>()
          yield* waitFor(async () => {
            await Runtime.runPromise(runtime)(call)
            return (await redis.admin.exists("basiq:rate:requests")) === 1
          })
        }).pipe(Effect.provide(layer(fleet)))
      )
      expect(yield* apiRequests).toBeGreaterThanOrEqual(26)
      const warnings = logs.warnings().map((l) => l.message)
      expect(warnings.filter((m) => m.includes("rate budget"))).toHaveLength(1)
      expect(logs.lines.some((l) => l.message.includes("rate budget on Redis answers again"))).toBe(true)
      nothingPrinted()
    })
  )

  it.scopedLive("interrupting a caller waiting for a slot ends the wait at once", () =>
    Effect.gen(function* () {
      const { call, layer, redis } = yield* setup()
      const fleet = BasiqRedis.layer({
        url: redis.url,
        rateLimit: { limit: 1, window: "1 minute", maxWait: "1 minute" }
      })
      yield* Effect.gen(function* () {
        yield* call
        const fiber = yield* Effect.fork(call)
        yield* redis.resetStats
        yield* waitFor(() => Effect.runPromise(redis.commandStats).then((s) => (s.eval ?? 0) + (s.evalsha ?? 0) >= 1))
        const started = Date.now()
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(Date.now() - started).toBeLessThan(200)
      }).pipe(Effect.provide(layer(fleet)))
    })
  )

  it.scopedLive("a window shorter in ms than its limit works (the shipped Redis store's script fails there)", () =>
    Effect.gen(function* () {
      const { call, layer, redis } = yield* setup()
      const logs = captureLogs()
      // A generous command timeout: a late answer on a loaded machine is not what this test is about.
      const fleet = BasiqRedis.layer({
        url: redis.url,
        commandTimeout: "1 second",
        rateLimit: { limit: 1000, window: "100 millis" }
      })
      yield* logs.provide(
        Effect.all(
          Array.from({ length: 50 }, () => call),
          { concurrency: 10 }
        ).pipe(Effect.provide(layer(fleet)))
      )
      expect(logs.warnings().map((l) => l.message)).toEqual([])
      nothingPrinted()
    })
  )

  it.scopedLive("every key has a TTL", () =>
    Effect.gen(function* () {
      const { call, layer, redis } = yield* setup()
      const fleet = BasiqRedis.layer({ url: redis.url, rateLimit: { limit: 100, window: "1 minute" } })
      yield* call.pipe(Effect.provide(layer(fleet)))
      const entries = yield* dump(redis)
      expect(entries.map((e) => e.key).sort()).toEqual([
        "basiq:peers",
        "basiq:rate:requests",
        "basiq:rate:token",
        expect.stringMatching(/^basiq:token:/)
      ])
      for (const e of entries) expect(e.pttl).toBeGreaterThan(0)
      nothingPrinted()
    })
  )
})

describe("BasiqRedis options", () => {
  it.live("a bad option is a BasiqConfigError naming it, never echoing it", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<[BasiqRedis.Options, string]> = [
        [{ url: "http://secret-host:6379" }, "url"],
        [{ url: "not a url" }, "url"],
        [{ url: "redis://h", client: new Redis({ lazyConnect: true }) }, "url"],
        [{ rateLimit: { limit: 0, window: "1 second" } }, "rateLimit.limit"],
        [{ commandTimeout: "0 millis" }, "commandTimeout"]
      ]
      for (const [options, option] of cases) {
        const error = yield* Effect.flip(Layer.build(BasiqRedis.layer(options)).pipe(Effect.scoped))
        expect(error).toBeInstanceOf(BasiqConfigError)
        expect(error.option).toBe(option)
        expect(error.message).not.toContain("secret-host")
      }
      const missing = yield* Effect.flip(
        Layer.build(BasiqRedis.layerConfig()).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      const badUrl = yield* Effect.flip(
        Layer.build(BasiqRedis.layerConfig()).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["BASIQ_REDIS_URL", "ftp://x"]])))
        )
      )
      expect(badUrl.option).toBe("BASIQ_REDIS_URL")
      expect(missing.option).toBe("BASIQ_REDIS_URL")
    })
  )
})
