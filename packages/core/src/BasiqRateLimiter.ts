/**
 * A rate budget for the requests the SDK sends. When a `BasiqRateLimiter` is in the context the
 * client and auth layers are built in, every attempt (retries and the re-authentication retry
 * included) takes one slot before it is sent; `/token` exchanges take slots of their own key
 * (`keys.token`). A wait beyond `maxWait` (default 30 s) fails with `BasiqRateLimitError` whose
 * `source` is `"local"` (not Basiq's 429), and nothing is sent. Interrupting the caller ends the
 * wait at once; a slot taken by a caller that is then interrupted (or refused for `maxWait`) is
 * not returned.
 *
 * `layerMemory` budgets one process, on `@effect/experimental`'s `RateLimiter` and its memory
 * store (this module is the only one of core that imports `@effect/experimental`: a program that
 * does not use it does not bundle it). A fleet-wide budget is `BasiqRedis.layer({ rateLimit })`
 * from `@basiq-effect/redis`.
 *
 * The budget is `@effect/experimental`'s fixed window: a window starts at the first slot taken
 * and holds `limit` slots; callers beyond them wait for a later window (the count is kept for
 * `slots × window / limit`, so sparse traffic starts fresh windows sooner). A burst gets at most
 * `limit` per `window`; at a window edge, requests of the end of one window and of the start of the
 * next can fall within one `window`-long stretch: any sliding window sees at most `2 × limit`.
 *
 * @since 0.1.0
 */
import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { BasiqConfigError, BasiqRateLimitError } from "./errors.js"
import * as Internal from "./internal/rateLimiter.js"

/**
 * The limiter's interface: `take(key)` takes one slot of `key`'s budget, waiting up to `maxWait`.
 *
 * @since 0.1.0
 * @category models
 */
export type Service = Internal.Service

/**
 * @since 0.1.0
 * @category tags
 */
export const BasiqRateLimiter: typeof Internal.BasiqRateLimiter = Internal.BasiqRateLimiter

/**
 * @since 0.1.0
 * @category tags
 */
export type BasiqRateLimiter = Internal.BasiqRateLimiter

/**
 * The keys the SDK takes slots of: `requests` (every attempt of an operation) and `token` (every
 * `/token` exchange attempt).
 *
 * @since 0.1.0
 * @category constants
 */
export const keys: typeof Internal.keys = Internal.keys

/**
 * A budget: `limit` slots per `window`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Budget {
  readonly limit: number
  readonly window: Duration.DurationInput
}

/**
 * Options of the limiters: the budget of the requests (`limit` per `window`), how long a request
 * may wait for a slot (`maxWait`, default 30 s), and the budget of the `/token` exchanges (`token`,
 * default 1,000 per 5 minutes: Basiq allows 1,500).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Budget {
  readonly maxWait?: Duration.DurationInput | undefined
  readonly token?: Budget | undefined
}

/**
 * The budget of `/token` exchanges when none is given: 1,000 per 5 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTokenBudget: Budget = { limit: 1000, window: Duration.minutes(5) }

/**
 * Options checked, with their defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly limit: number
  readonly window: Duration.Duration
  readonly maxWait: Duration.Duration
  readonly token: { readonly limit: number; readonly window: Duration.Duration }
}

const decodeDuration = (input: unknown): Duration.Duration | undefined => {
  try {
    return Duration.decode(input as Duration.DurationInput)
  } catch {
    return undefined
  }
}

/**
 * Checks the options: a limit must be a positive integer, a window a positive finite duration,
 * `maxWait` a finite duration (zero: never wait). A bad option is a `BasiqConfigError` naming it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options, prefix = "rateLimit"): Either.Either<Resolved, BasiqConfigError> => {
  const fail = (option: string, reason: string) =>
    Either.left(new BasiqConfigError({ option: `${prefix}.${option}`, reason }))
  if (typeof options !== "object" || options === null) {
    return Either.left(new BasiqConfigError({ option: prefix, reason: "must be an object" }))
  }
  const budget = (given: Budget, name: string) => {
    if (typeof given !== "object" || given === null) return fail(name, "must be an object")
    const at = name === "" ? "" : `${name}.`
    if (!Number.isSafeInteger(given.limit) || given.limit < 1) return fail(`${at}limit`, "must be a positive integer")
    const window = decodeDuration(given.window)
    if (window === undefined || !Duration.isFinite(window) || Duration.toMillis(window) <= 0) {
      return fail(`${at}window`, "must be a positive, finite duration")
    }
    return Either.right({ limit: given.limit, window })
  }
  const main = budget(options, "")
  if (Either.isLeft(main)) return Either.left(main.left)
  const token = budget(options.token ?? defaultTokenBudget, "token")
  if (Either.isLeft(token)) return Either.left(token.left)
  const maxWait = options.maxWait === undefined ? Duration.seconds(30) : decodeDuration(options.maxWait)
  if (maxWait === undefined || !Duration.isFinite(maxWait)) {
    return fail("maxWait", "must be a finite duration")
  }
  return Either.right({ ...main.right, maxWait, token: token.right })
}

const refusal = (retryAfter: Duration.Duration) =>
  new BasiqRateLimitError({
    method: "POST",
    route: "",
    attempts: 0,
    status: 0,
    errors: [],
    source: "local",
    retryAfter
  })

/**
 * A limiter over `@effect/experimental`'s `RateLimiter` (any `RateLimiterStore`): fixed windows,
 * waiting for a slot up to `maxWait`. A failure of the store goes to `onStoreError` (default: a
 * defect; the memory store never fails).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRateLimiter = (
  limiter: RateLimiter.RateLimiter,
  options: Resolved,
  onStoreError?: (key: string, error: RateLimiter.RateLimiterError) => Effect.Effect<void, BasiqRateLimitError>
): Service => {
  const maxWaitMillis = Duration.toMillis(options.maxWait)
  const take = (key: string): Effect.Effect<void, BasiqRateLimitError> => {
    const budget = key === Internal.keys.token ? options.token : options
    return limiter
      .consume({ key, limit: budget.limit, window: budget.window, onExceeded: "delay", algorithm: "fixed-window" })
      .pipe(
        Effect.matchEffect({
          onFailure: (error) => (onStoreError === undefined ? Effect.die(error) : onStoreError(key, error)),
          onSuccess: ({ delay }) => {
            const millis = Duration.toMillis(delay)
            if (millis <= 0) return Effect.void
            if (millis > maxWaitMillis) return Effect.fail(refusal(delay))
            return Effect.sleep(delay)
          }
        })
      )
  }
  return { take }
}

/**
 * A limiter for one process, on `@effect/experimental`'s `RateLimiter` with its memory store. The
 * windows run on the Effect `Clock` (so `TestClock` drives them).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: Options): Layer.Layer<BasiqRateLimiter, BasiqConfigError> =>
  Layer.effect(
    BasiqRateLimiter,
    Effect.flatMap(resolve(options), (resolved) =>
      Effect.map(RateLimiter.make, (limiter) => fromRateLimiter(limiter, resolved))
    )
  ).pipe(Layer.provide(RateLimiter.layerStoreMemory))
