/**
 * One cold worker process of `fleet.ts`: `node worker.mjs <store|none> <calls> <baseUrl> <redisUrl>`
 * makes `calls` concurrent getConnection calls from a cold start (no token) through the Effect
 * API over undici, with `BasiqRedis.layer` (`store`) or without (`none`); prints one JSON line.
 */
import { BasiqConnections, Connections } from "@basiq-effect/connections"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { BasiqRedis } from "@basiq-effect/redis"
import { Effect, Layer, Logger } from "effect"
import { connectionId, userId } from "./fixtures.js"

const [mode, calls, baseUrl, redisUrl] = process.argv.slice(2) as [string, string, string, string]
const services = BasiqConnections.layerWithoutHttpClient({ apiKey: "bench-api-key", baseUrl })
const layer =
  mode === "store"
    ? services.pipe(Layer.provide(Layer.merge(UndiciHttpClient.layer, BasiqRedis.layer({ url: redisUrl }))))
    : services.pipe(Layer.provide(UndiciHttpClient.layer))

const program = Effect.gen(function* () {
  const connections = yield* Connections.Connections
  const results = yield* Effect.all(
    Array.from({ length: Number(calls) }, () => Effect.either(connections.getConnection(userId, connectionId))),
    { concurrency: "unbounded" }
  )
  return results.filter((r) => r._tag === "Right").length
})

// Warnings (a store outage: a late Redis answer counts) are counted, not printed.
const warnings: Array<string> = []
const logger = Logger.make(({ logLevel, message }) => {
  if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
})

Effect.runPromise(
  Effect.provide(program, layer).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
).then(
  (ok) => {
    process.stdout.write(`${JSON.stringify({ ok, warnings })}\n`)
    process.exit(0)
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
