/**
 * The package's ioredis client: fails fast when Redis is away (no offline queue, a command
 * timeout), never prints (an error listener), and classifies failures into secret-free reasons.
 *
 * @internal
 */
import { Redis, type RedisOptions } from "ioredis"

/** The settings every client of this package runs with. @internal */
export const settings = (commandTimeout: number): Partial<RedisOptions> => ({
  enableOfflineQueue: false,
  commandTimeout,
  connectTimeout: 1_000,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Reconnect quickly, forever: the fleet rejoins soon after Redis is back.
  retryStrategy: (times) => Math.min(50 * times, 1_000)
})

/**
 * A client from a URL or a duplicate of the user's client (same server and credentials, the
 * package's settings); it has an error listener, so an outage prints nothing.
 *
 * @internal
 */
export const makeClient = (source: { readonly url: string } | { readonly client: Redis }, commandTimeout: number) => {
  const client =
    "client" in source
      ? source.client.duplicate(settings(commandTimeout))
      : new Redis(source.url, settings(commandTimeout))
  client.on("error", () => {
    // Outages are reported once each through Effect's logger by the store and the limiter.
  })
  return client
}

/**
 * A secret-free reason for a failed command.
 *
 * @internal
 */
export const reasonOf = (error: unknown): string => {
  const message = error instanceof Error ? error.message : ""
  if (/timed out/i.test(message)) return "no answer in time"
  if (/WRONGTYPE/.test(message)) return "an answer of the wrong type"
  if (/writeable|closed|ECONNREFUSED|ECONNRESET|connect|EPIPE/i.test(message)) return "not connected"
  if (/NOSCRIPT|ERR/.test(message)) return "the command was refused"
  return "the command failed"
}
