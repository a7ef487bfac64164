import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { recordingProxy, spawnWorker, waitFor } from "./utils/fleet.js"
import { startRedis } from "./utils/redisServer.js"

const apiKey = "sk_fleet_TEST"

const tokenExchanges = (control: InMemoryBasiq.InMemoryBasiq.Service) =>
  Effect.map(control.journal, (entries) => entries.filter((e) => e.method === "POST" && e.path === "/token").length)

describe("a fleet of processes on a real Redis", () => {
  it.scopedLive(
    "8 processes x 500 cold calls: exactly one /token exchange; after expireTokens(), one more",
    () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const fake = yield* InMemoryBasiq.serve({ journal: 20_000, apiKeys: [apiKey] })
        const user = yield* fake.control.createUser({ email: "fleet@example.com" })
        // A generous command timeout: on a loaded 2-CPU machine 8 starting processes can make Redis
        // answers late (a late answer is an outage: the timeout behaviour has its own test).
        const settings = {
          baseUrl: fake.url,
          apiKey,
          redisUrl: redis.url,
          userId: user.id,
          concurrency: 50,
          commandTimeout: "1 second"
        }
        const round = Effect.gen(function* () {
          const workers = yield* Effect.forEach(Array.from({ length: 8 }), () =>
            spawnWorker({ ...settings, calls: 500 })
          )
          return yield* Effect.promise(() => Promise.all(workers.map((w) => w.result)))
        })
        const first = yield* round
        for (const r of first) {
          expect(r).toMatchObject({ ok: 500, failures: {}, code: 0, stderr: "" })
          expect(r.logs.filter((l) => l.level === "WARN")).toEqual([])
        }
        expect(yield* tokenExchanges(fake.control)).toBe(1)
        yield* fake.control.expireTokens()
        const second = yield* round
        for (const r of second) expect(r).toMatchObject({ ok: 500, failures: {}, code: 0, stderr: "" })
        expect(yield* tokenExchanges(fake.control)).toBe(2)
      }),
    120_000
  )
})

describe("a fleet of processes on a real Redis: faults and budget", () => {
  it.scopedLive(
    "the lock holder killed mid-exchange: the others finish, one extra exchange after the lock's TTL",
    () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const fake = yield* InMemoryBasiq.serve({ journal: 5_000, apiKeys: [apiKey] })
        const proxy = yield* recordingProxy(fake.url)
        const user = yield* fake.control.createUser({ email: "fleet@example.com" })
        // The first /token hangs (the holder is killed while it waits); the next is answered.
        yield* fake.control.injectFault({
          method: "POST",
          path: "/token",
          times: 1,
          fault: InMemoryBasiq.Fault.delay("1 minute")
        })
        // timeout 3 s: the exchange lock lives 3 s.
        const settings = {
          baseUrl: proxy.url,
          apiKey,
          redisUrl: redis.url,
          userId: user.id,
          concurrency: 10,
          calls: 20,
          timeout: "3 seconds",
          commandTimeout: "1 second"
        }
        const holder = yield* spawnWorker(settings)
        yield* waitFor(() => Effect.runPromise(tokenExchanges(fake.control)).then((n) => n === 1))
        // The holder has the lock and is mid-exchange. The others start and find the lock taken.
        const others = yield* Effect.forEach(Array.from({ length: 3 }), () => spawnWorker(settings))
        yield* waitFor(() => redis.admin.client("LIST").then((list) => String(list).trim().split("\n").length >= 5))
        process.kill(holder.child.pid!, "SIGKILL")
        const killed = yield* Effect.promise(() => holder.result)
        expect(killed.signal).toBe("SIGKILL")
        const results = yield* Effect.promise(() => Promise.all(others.map((w) => w.result)))
        for (const r of results) expect(r).toMatchObject({ ok: 20, failures: {}, code: 0, stderr: "" })
        // The killed holder's exchange and exactly one more.
        expect(yield* tokenExchanges(fake.control)).toBe(2)
        // The takeover waited for the lock to expire: 3 s after the holder took it (just before its
        // /token reached the fake).
        const tokens = proxy.seen.filter((r) => r.path === "/token").map((r) => r.at)
        expect(tokens).toHaveLength(2)
        expect(tokens[1]! - tokens[0]!).toBeGreaterThanOrEqual(3_000 - 100)
      }),
    60_000
  )

  it.scopedLive(
    "a rate budget of L per window across 4 processes: the fake sees at most L per window, no call fails",
    () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const fake = yield* InMemoryBasiq.serve({ journal: 5_000, apiKeys: [apiKey] })
        const proxy = yield* recordingProxy(fake.url)
        const user = yield* fake.control.createUser({ email: "fleet@example.com" })
        const limit = 20
        const window = 1_000
        const settings = {
          baseUrl: proxy.url,
          apiKey,
          redisUrl: redis.url,
          userId: user.id,
          concurrency: 15,
          calls: 15,
          commandTimeout: "1 second",
          rateLimit: { limit, window: `${window} millis`, maxWait: "30 seconds" }
        }
        const workers = yield* Effect.forEach(Array.from({ length: 4 }), () => spawnWorker(settings))
        const results = yield* Effect.promise(() => Promise.all(workers.map((w) => w.result)))
        for (const r of results) expect(r).toMatchObject({ ok: 15, failures: {}, code: 0, stderr: "" })
        const api = proxy.seen
          .filter((s) => s.path !== "/token")
          .map((s) => s.at)
          .sort((a, b) => a - b)
        expect(api).toHaveLength(60)
        // Fixed windows counted from the first slot: request k·L+1 cannot come before k windows
        // after the first (less a little for the request's own travel).
        const slack = 100
        for (let k = 1; k * limit < api.length; k++) {
          expect(api[k * limit]! - api[0]!).toBeGreaterThanOrEqual(k * window - slack)
        }
        // The window-edge allowance: any sliding window of the same length sees at most 2·L.
        for (let i = 0; i < api.length; i++) {
          const inWindow = api.filter((t) => t >= api[i]! && t < api[i]! + window).length
          expect(inWindow).toBeLessThanOrEqual(2 * limit)
        }
        // The token exchange has its own budget: one.
        expect(proxy.seen.filter((s) => s.path === "/token")).toHaveLength(1)
      }),
    60_000
  )
})
