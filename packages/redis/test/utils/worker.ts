/**
 * A worker process of a fleet, for the multi-process tests (run with
 * `tsx --conditions=@basiq-effect/source`). Its settings come as JSON in `FLEET_WORKER`; it makes
 * `calls` cold calls (`GET /users/{userId}`) through the SDK with `BasiqRedis.layer`, then writes
 * one JSON line to stdout: successes, failures by tag, and the log lines it would have printed
 * (its logger collects them; anything on stderr would come from elsewhere).
 */
import { BasiqRedis } from "@basiq-effect/redis"
import { type Duration, Effect, Logger, LogLevel } from "effect"
import { clientLayer, getUser as declareGetUser } from "./client.js"

interface Settings {
  readonly baseUrl: string
  readonly apiKey: string
  readonly redisUrl: string
  readonly userId: string
  readonly calls: number
  readonly concurrency: number
  readonly prefix?: string
  readonly timeout?: Duration.DurationInput
  readonly commandTimeout?: Duration.DurationInput
  readonly rateLimit?: {
    readonly limit: number
    readonly window: Duration.DurationInput
    readonly maxWait?: Duration.DurationInput
  }
}

const settings = JSON.parse(process.env.FLEET_WORKER ?? "{}") as Settings
const logs: Array<{ readonly level: string; readonly message: string }> = []
const collect = Logger.make(({ logLevel, message }) => {
  logs.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
})

const fleet = BasiqRedis.layer({
  url: settings.redisUrl,
  ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
  ...(settings.commandTimeout === undefined ? {} : { commandTimeout: settings.commandTimeout }),
  ...(settings.rateLimit === undefined ? {} : { rateLimit: settings.rateLimit })
})

const client = clientLayer({
  apiKey: settings.apiKey,
  baseUrl: settings.baseUrl,
  ...(settings.timeout === undefined ? {} : { timeout: settings.timeout }),
  fleet
})

const program = Effect.gen(function* () {
  const getUser = yield* declareGetUser
  const results = yield* Effect.forEach(
    Array.from({ length: settings.calls }, (_, i) => i),
    () => Effect.either(getUser({ params: { userId: settings.userId } })),
    { concurrency: settings.concurrency }
  )
  const failures: Record<string, number> = {}
  let ok = 0
  for (const r of results) {
    if (r._tag === "Right") ok++
    else failures[r.left._tag] = (failures[r.left._tag] ?? 0) + 1
  }
  return { ok, failures }
})

Effect.runPromise(
  program.pipe(
    Effect.provide(client),
    Effect.provide(Logger.replace(Logger.defaultLogger, collect)),
    Logger.withMinimumLogLevel(LogLevel.All)
  )
).then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ ...result, logs })}\n`)
    process.exit(0)
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ ok: 0, failures: { defect: 1 }, logs, defect: String(error) })}\n`)
    process.exit(1)
  }
)
