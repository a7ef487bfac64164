import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnWorker } from "./utils/fleet.js"
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
