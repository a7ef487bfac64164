/**
 * A fleet: several workers sharing one Basiq token and one rate budget through Redis. Each worker
 * here is its own client (its own token cache, as a separate process would have); with the
 * `fleet` option they make one `/token` exchange between them, and together they stay within the
 * rate budget. The Effect way is the same layer given to the client layers.
 *
 * Needs a Redis: `BASIQ_REDIS_URL` (default `redis://127.0.0.1:6379`), e.g.
 * `redis-server --port 6379 --save "" --appendonly no`. Runs against the in-memory Basiq served on
 * 127.0.0.1.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/fleet.ts`
 */
import { BasiqConnections, Connections, createConnectionsClient } from "@basiq-effect/connections"
import { BasiqRedis } from "@basiq-effect/redis"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Effect, Layer } from "effect"
import { isMain, runMain } from "./runMain.js"

/**
 * Four promise-facade workers, each listing a user's connections `calls` times, sharing a token
 * and a budget of 20 requests per second on Redis. Resolves to how many calls succeeded.
 */
export const promiseWorkers = async (options: {
  readonly baseUrl: string
  readonly redisUrl: string
  readonly userId: string
  readonly calls: number
}): Promise<number> => {
  const workers = Array.from({ length: 4 }, () =>
    createConnectionsClient({
      apiKey: "example-api-key",
      baseUrl: options.baseUrl,
      fleet: BasiqRedis.layer({ url: options.redisUrl, rateLimit: { limit: 20, window: "1 second" } })
    })
  )
  try {
    const results = await Promise.all(
      workers.map(async (basiq) => {
        let ok = 0
        for (let i = 0; i < options.calls; i++) {
          await basiq.getConnections(options.userId)
          ok++
        }
        return ok
      })
    )
    return results.reduce((a, b) => a + b, 0)
  } finally {
    await Promise.all(workers.map((w) => w.dispose()))
  }
}

/** The Effect way: the fleet layer under the services' layer. */
export const effectWorker = (options: {
  readonly baseUrl: string
  readonly redisUrl: string
  readonly userId: string
}) =>
  Effect.gen(function* () {
    const connections = yield* Connections.Connections
    const list = yield* connections.getConnections(options.userId)
    return list.data.length
  }).pipe(
    Effect.provide(
      BasiqConnections.layer({ apiKey: "example-api-key", baseUrl: options.baseUrl }).pipe(
        Layer.provide(BasiqRedis.layer({ url: options.redisUrl }))
      )
    )
  )

/** Serves the fake, runs both, and says how many `/token` exchanges the fake saw. */
export const program = (redisUrl: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const fake = yield* InMemoryBasiq.serve({ apiKeys: ["example-api-key"] })
      const user = yield* fake.control.createUser()
      const ok = yield* Effect.promise(() =>
        promiseWorkers({ baseUrl: fake.url, redisUrl, userId: user.id, calls: 10 })
      )
      const connections = yield* effectWorker({ baseUrl: fake.url, redisUrl, userId: user.id })
      const exchanges = (yield* fake.control.journal).filter((e) => e.path === "/token").length
      return { ok, connections, exchanges }
    })
  )

if (isMain(import.meta.url)) {
  runMain(
    Effect.flatMap(program(process.env.BASIQ_REDIS_URL ?? "redis://127.0.0.1:6379"), (result) =>
      Effect.sync(() => {
        console.log(`calls that succeeded: ${result.ok}`)
        console.log(`/token exchanges for 5 workers: ${result.exchanges}`)
      })
    )
  )
}
