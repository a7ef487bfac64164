/**
 * A fleet of worker processes (or serverless cold starts) sharing one Basiq server token and one
 * rate budget, on Redis through ioredis.
 *
 * `BasiqRedis.layer(options)` provides core's `BasiqTokenStore` (the token, sealed by core, and
 * the exchange lock) and, with `rateLimit`, a fleet-wide `BasiqRateLimiter`
 * (`@effect/experimental`'s `RateLimiter` over this package's own `RateLimiterStore`). Give it to
 * the client layers (or as the facades' `fleet` option):
 *
 * ```ts
 * import { BasiqRedis } from "@basiq-effect/redis"
 * import { createConnectionsClient } from "@basiq-effect/connections"
 *
 * const basiq = createConnectionsClient({
 *   apiKey: process.env.BASIQ_API_KEY!,
 *   fleet: BasiqRedis.layer({ url: "redis://cache:6379", rateLimit: { limit: 100, window: "1 second" } })
 * })
 * ```
 *
 * Redis faults (down at start, dying mid-run, slow, answering garbage) never fail a Basiq call:
 * every command is bounded (100 ms by default), the process falls back to its own token cache
 * and exchange (and, for the rate budget, to its own share of it), logs one warning per outage
 * through Effect's logger (never the console), and rejoins when Redis answers again.
 *
 * @since 0.1.0
 */
import { BasiqConfigError, BasiqRateLimiter, BasiqTokenStore, BasiqTokenStoreError } from "@basiq-effect/core"
import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import * as Client from "./internal/client.js"
import * as Scripts from "./internal/scripts.js"

/**
 * Options of {@link layer}.
 *
 * - `url`: `redis://` or `rediss://` (default `redis://127.0.0.1:6379`); or
 * - `client`: an ioredis client of yours: the package uses a `duplicate()` of it with its own
 *   settings (no offline queue, the command timeout, an error listener) and closes that duplicate
 *   with the layer; yours is left as it is.
 * - `prefix`: of every key this package writes (default `"basiq:"`). Use one prefix per Basiq
 *   application sharing a Redis: the rate budget is counted per prefix.
 * - `rateLimit`: a fleet-wide budget of `limit` requests per `window` (every attempt, retries
 *   included); a request waits for a slot up to `maxWait` (default 30 s), then fails with the
 *   local `BasiqRateLimitError` (nothing sent). `/token` exchanges have their own budget, `token`,
 *   default 1,000 per 5 minutes (Basiq allows 1,500).
 * - `commandTimeout`: the bound of each Redis command (default 100 ms).
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  readonly url?: string | undefined
  readonly client?: Redis | undefined
  readonly prefix?: string | undefined
  readonly rateLimit?: BasiqRateLimiter.Options | undefined
  readonly commandTimeout?: Duration.DurationInput | undefined
}

const defaultUrl = "redis://127.0.0.1:6379"

interface Resolved {
  readonly source: { readonly url: string } | { readonly client: Redis }
  readonly prefix: string
  readonly commandTimeout: number
  readonly rateLimit: BasiqRateLimiter.Resolved | undefined
}

const configError = (option: string, reason: string) => Either.left(new BasiqConfigError({ option, reason }))

const resolve = (options: Options): Either.Either<Resolved, BasiqConfigError> => {
  if (typeof options !== "object" || options === null) return configError("options", "must be an object")
  if (options.url !== undefined && options.client !== undefined) {
    return configError("url", "give either url or client, not both")
  }
  let source: Resolved["source"]
  if (options.client !== undefined) {
    const c = options.client as unknown
    if (typeof c !== "object" || c === null || typeof (c as { duplicate?: unknown }).duplicate !== "function") {
      return configError("client", "must be an ioredis client")
    }
    source = { client: options.client }
  } else {
    const url = options.url ?? defaultUrl
    if (typeof url !== "string" || !URL.canParse(url) || !/^rediss?:$/.test(new URL(url).protocol)) {
      return configError("url", "must be a redis:// or rediss:// URL")
    }
    source = { url }
  }
  const prefix = options.prefix ?? "basiq:"
  if (typeof prefix !== "string" || prefix.length > 200) {
    return configError("prefix", "must be a string of at most 200 characters")
  }
  let commandTimeout = 100
  if (options.commandTimeout !== undefined) {
    let d: Duration.Duration | undefined
    try {
      d = Duration.decode(options.commandTimeout)
    } catch {
      d = undefined
    }
    if (d === undefined || !Duration.isFinite(d) || Duration.toMillis(d) < 1) {
      return configError("commandTimeout", "must be a finite duration of at least 1 ms")
    }
    commandTimeout = Math.ceil(Duration.toMillis(d))
  }
  let rateLimit: BasiqRateLimiter.Resolved | undefined
  if (options.rateLimit !== undefined) {
    const r = BasiqRateLimiter.resolve(options.rateLimit)
    if (Either.isLeft(r)) return Either.left(r.left)
    rateLimit = r.right
  }
  return Either.right({ source, prefix, commandTimeout, rateLimit })
}

/** Runs a Redis command as an Effect (interruptible: the answer is then ignored). */
const command = <A>(run: () => Promise<A>): Effect.Effect<A, unknown> =>
  Effect.tryPromise({ try: run, catch: (e) => e })

/**
 * The token store over a client: values are raw bytes with a TTL; the lock is `SET NX PX`; both
 * deletions are compare-and-delete scripts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTokenStore = (client: Redis, prefix: string): BasiqTokenStore.Service => {
  const fail =
    (operation: BasiqTokenStoreError["operation"]) =>
    (e: unknown): BasiqTokenStoreError =>
      new BasiqTokenStoreError({ operation, reason: Client.reasonOf(e) })
  return BasiqTokenStore.BasiqTokenStore.of({
    get: (key) =>
      command(() => client.getBuffer(prefix + key)).pipe(
        // A key of another type at this name holds nothing of ours: a miss, replaced by the next set.
        Effect.catchIf(
          (e) => e instanceof Error && /^WRONGTYPE/.test(e.message),
          () => Effect.succeed(null)
        ),
        Effect.mapError(fail("get")),
        Effect.flatMap((value) =>
          value === null
            ? Effect.succeedNone
            : value instanceof Uint8Array
              ? Effect.succeedSome(new Uint8Array(value))
              : Effect.fail(new BasiqTokenStoreError({ operation: "get", reason: "an answer of the wrong type" }))
        )
      ),
    set: (key, sealed, ttl) =>
      command(() =>
        client.set(prefix + key, Buffer.from(sealed), "PX", Math.max(1, Math.ceil(Duration.toMillis(ttl))))
      ).pipe(Effect.mapError(fail("set")), Effect.asVoid),
    deleteIf: (key, sealed) =>
      command(() => client.eval(Scripts.compareAndDelete, 1, prefix + key, Buffer.from(sealed))).pipe(
        Effect.mapError(fail("deleteIf")),
        Effect.asVoid
      ),
    lock: (key, ttl) =>
      Effect.suspend(() => {
        const owner = globalThis.crypto.randomUUID()
        return command(() =>
          client.set(prefix + key, owner, "PX", Math.max(1, Math.ceil(Duration.toMillis(ttl))), "NX")
        ).pipe(
          Effect.mapError(fail("lock")),
          Effect.map((answer) => (answer === "OK" ? Option.some(owner) : Option.none()))
        )
      }),
    unlock: (key, owner) =>
      command(() => client.eval(Scripts.compareAndDelete, 1, prefix + key, owner)).pipe(
        Effect.mapError(fail("unlock")),
        Effect.asVoid
      )
  })
}

const storeError = (e: unknown) => new RateLimiter.RateLimitStoreError({ message: `Redis: ${Client.reasonOf(e)}` })

const numberOf = (u: unknown): number | undefined => {
  const n = typeof u === "number" ? u : typeof u === "string" ? Number(u) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

/**
 * `@effect/experimental`'s `RateLimiterStore` over a client (fixed window and token bucket, as
 * its memory store counts them), with a TTL on every key and windows shorter in ms than their
 * limit handled (the refill rate is kept in fractional ms).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRateLimiterStore = (client: Redis, prefix: string): RateLimiter.RateLimiterStore["Type"] => ({
  fixedWindow: (options) =>
    command(() =>
      client.eval(
        Scripts.fixedWindow,
        1,
        `${prefix}rate:${options.key}`,
        options.tokens,
        Duration.toMillis(options.refillRate),
        options.limit ?? -1
      )
    ).pipe(
      Effect.mapError(storeError),
      Effect.flatMap((answer) => {
        const count = Array.isArray(answer) ? numberOf(answer[0]) : undefined
        const ttl = Array.isArray(answer) ? numberOf(answer[1]) : undefined
        return count === undefined || ttl === undefined
          ? Effect.fail(storeError(new Error("an answer of the wrong type")))
          : Effect.succeed([count, ttl] as const)
      })
    ),
  tokenBucket: (options) =>
    command(() =>
      client.eval(
        Scripts.tokenBucket,
        1,
        `${prefix}rate:${options.key}`,
        options.tokens,
        options.limit,
        Duration.toMillis(options.refillRate),
        options.allowOverflow ? 1 : 0
      )
    ).pipe(
      Effect.mapError(storeError),
      Effect.flatMap((answer) => {
        const n = numberOf(answer)
        return n === undefined ? Effect.fail(storeError(new Error("an answer of the wrong type"))) : Effect.succeed(n)
      })
    )
})

/** How long the limiter uses its own share after a Redis failure before trying Redis again. */
const retryRedisAfter = 1_000
/** How often a process with a rate budget says it is alive (to size its share in an outage). */
const heartbeat = Duration.seconds(5)
const peerTtl = 15_000

/**
 * The fleet-wide limiter: Redis first; in an outage, this process's share of the budget
 * (`limit / processes seen in the last 15 s`) on an in-process limiter, one warning per outage.
 */
const makeFleetLimiter = (client: Redis, prefix: string, options: BasiqRateLimiter.Resolved) =>
  Effect.gen(function* () {
    const shared = yield* Effect.provideService(
      RateLimiter.make,
      RateLimiter.RateLimiterStore,
      makeRateLimiterStore(client, prefix)
    )
    const local = yield* Effect.provide(RateLimiter.make, RateLimiter.layerStoreMemory)
    let peers = 1
    const id = globalThis.crypto.randomUUID()
    const peersKey = `${prefix}peers`
    yield* Effect.forkScoped(
      Effect.ignore(
        command(async () => {
          const now = Date.now()
          const answers = await client
            .multi()
            .zadd(peersKey, now, id)
            .zremrangebyscore(peersKey, "-inf", now - peerTtl)
            .zcard(peersKey)
            .pexpire(peersKey, peerTtl)
            .exec()
          const count = numberOf(answers?.[2]?.[1])
          if (count !== undefined && count >= 1) peers = count
        })
      ).pipe(Effect.repeat(Schedule.spaced(heartbeat)))
    )
    const shares = new Map<number, BasiqRateLimiter.Service>()
    const share = (): BasiqRateLimiter.Service => {
      let s = shares.get(peers)
      if (s === undefined) {
        const n = peers
        s = BasiqRateLimiter.fromRateLimiter(local, {
          ...options,
          limit: Math.max(1, Math.floor(options.limit / n)),
          token: { ...options.token, limit: Math.max(1, Math.floor(options.token.limit / n)) }
        })
        shares.set(n, s)
      }
      return s
    }
    let downUntil = 0
    let down = false
    const onStoreError = (key: string, error: RateLimiter.RateLimiterError) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        downUntil = now + retryRedisAfter
        const fallback = share().take(key)
        if (down) return fallback
        down = true
        return Effect.zipRight(
          Effect.logWarning(
            `Basiq rate budget on Redis unavailable (${
              error.reason === "StoreError" ? error.message : "unexpected answer"
            }): using this process's share of the budget until Redis answers again`
          ),
          fallback
        )
      })
    const viaRedis = BasiqRateLimiter.fromRateLimiter(shared, options, onStoreError)
    const take = (key: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (down && now < downUntil) return share().take(key)
        if (!down) return viaRedis.take(key)
        // Trying Redis again: an answer ends the outage (a failure renews it, without a warning).
        return Effect.tap(viaRedis.take(key), () =>
          Effect.suspend(() => {
            if (!down || downUntil > now) return Effect.void
            down = false
            return Effect.logInfo("Basiq rate budget on Redis answers again")
          })
        )
      })
    return BasiqRateLimiter.BasiqRateLimiter.of({ take })
  })

const build = (
  options: Options
): Effect.Effect<Context.Context<BasiqTokenStore.BasiqTokenStore>, BasiqConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const resolved = yield* resolve(options)
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => Client.makeClient(resolved.source, resolved.commandTimeout)),
      (client) => Effect.sync(() => client.disconnect())
    )
    // The first commands should find the connection open: wait (about a second at most) for it,
    // or for the first connection error (Redis down at start is an outage, not a failure).
    yield* Effect.async<void>((resume) => {
      if (client.status === "ready") return resume(Effect.void)
      const done = () => {
        clearTimeout(timer)
        client.off("ready", done)
        client.off("error", done)
        resume(Effect.void)
      }
      const timer = setTimeout(done, 1_000)
      client.once("ready", done)
      client.once("error", done)
      return Effect.sync(() => {
        clearTimeout(timer)
        client.off("ready", done)
        client.off("error", done)
      })
    })
    const store = makeTokenStore(client, resolved.prefix)
    const context = Context.make(BasiqTokenStore.BasiqTokenStore, store)
    if (resolved.rateLimit === undefined) return context
    const limiter = yield* makeFleetLimiter(client, resolved.prefix, resolved.rateLimit)
    return Context.add(context, BasiqRateLimiter.BasiqRateLimiter, limiter)
  })

/**
 * The fleet layer: a `BasiqTokenStore` on Redis and, with `rateLimit`, a fleet-wide
 * `BasiqRateLimiter`. The Redis connection is opened when the layer is built (a Redis that is
 * down then is an outage like any other, not a failure) and closed with it. A bad option is a
 * `BasiqConfigError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export function layer(
  options: Options & { readonly rateLimit: BasiqRateLimiter.Options }
): Layer.Layer<BasiqTokenStore.BasiqTokenStore | BasiqRateLimiter.BasiqRateLimiter, BasiqConfigError>
export function layer(options?: Options): Layer.Layer<BasiqTokenStore.BasiqTokenStore, BasiqConfigError>
export function layer(options: Options = {}): Layer.Layer<BasiqTokenStore.BasiqTokenStore, BasiqConfigError> {
  return Layer.scopedContext(build(options))
}

/**
 * {@link layer} with the URL from `BASIQ_REDIS_URL` (through Effect's `Config`, so a
 * `ConfigProvider` can supply it). A missing or bad variable is a `BasiqConfigError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export function layerConfig(
  options: Omit<Options, "url" | "client"> & { readonly rateLimit: BasiqRateLimiter.Options }
): Layer.Layer<BasiqTokenStore.BasiqTokenStore | BasiqRateLimiter.BasiqRateLimiter, BasiqConfigError>
export function layerConfig(
  options?: Omit<Options, "url" | "client">
): Layer.Layer<BasiqTokenStore.BasiqTokenStore, BasiqConfigError>
export function layerConfig(
  options: Omit<Options, "url" | "client"> = {}
): Layer.Layer<BasiqTokenStore.BasiqTokenStore, BasiqConfigError> {
  return Layer.scopedContext(
    Effect.flatMap(
      Effect.mapError(
        Config.string("BASIQ_REDIS_URL"),
        () => new BasiqConfigError({ option: "BASIQ_REDIS_URL", reason: "is not set" })
      ),
      (url) =>
        Effect.mapError(build({ ...options, url }), (e) =>
          e.option === "url" ? new BasiqConfigError({ option: "BASIQ_REDIS_URL", reason: e.reason }) : e
        )
    )
  )
}
