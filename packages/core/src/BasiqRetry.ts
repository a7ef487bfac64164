/**
 * Retry policies for Basiq requests.
 *
 * A policy decides *how long* to wait between attempts and *how many* retries there are (a
 * `Schedule`). *Which* failures are retried is fixed by the SDK from the operation's idempotency:
 *
 * - idempotent operations (GET, DELETE, refresh, the token exchange) retry transport errors,
 *   timeouts, 408, 429, 500, 502, 503 and 504;
 * - non-idempotent ones (create, update, MFA answer) retry only 429, 503 and a connection refused
 *   before anything was sent.
 *
 * A `Retry-After` header (seconds or HTTP date) replaces the computed delay when it is at most
 * `maxRetryAfter`; beyond that the call fails at once with `BasiqRateLimitError` carrying
 * `retryAfter`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { RequestFailure } from "./BasiqError.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@basiq-effect/core/BasiqRetry")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A retry policy: the delays and count of retries, and the longest `Retry-After` worth waiting.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly [TypeId]: TypeId
  readonly schedule: Schedule.Schedule<unknown, RequestFailure>
  readonly maxRetryAfter: Duration.Duration
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number | undefined
  /** First delay, doubled on each retry, with jitter (default 250 ms). */
  readonly baseDelay?: Duration.DurationInput | undefined
  /** Cap of a single delay (default 8 s). */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** The longest `Retry-After` that is waited; longer ones fail at once (default 60 s). */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * Whether a value is a {@link Policy}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isPolicy = (u: unknown): u is Policy => typeof u === "object" && u !== null && TypeId in u

const defaultMaxRetryAfter = Duration.seconds(60)

/**
 * Builds the default kind of policy: exponential delays from `baseDelay` with jitter (from
 * Effect's `Random`), each capped at `maxDelay`, at most `maxRetries` retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Policy => {
  const maxRetries = options.maxRetries ?? 3
  const maxDelay = Duration.decode(options.maxDelay ?? Duration.seconds(8))
  const schedule = Schedule.exponential(options.baseDelay ?? Duration.millis(250), 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
    Schedule.intersect(Schedule.recurs(maxRetries))
  )
  return {
    [TypeId]: TypeId,
    schedule,
    maxRetryAfter: Duration.decode(options.maxRetryAfter ?? defaultMaxRetryAfter)
  }
}

/**
 * A policy whose delays and count come from a `Schedule` (which failures are retried and the
 * `Retry-After` rule still come from the SDK).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSchedule = (
  schedule: Schedule.Schedule<unknown, RequestFailure>,
  options?: { readonly maxRetryAfter?: Duration.DurationInput | undefined }
): Policy => ({
  [TypeId]: TypeId,
  schedule,
  maxRetryAfter: Duration.decode(options?.maxRetryAfter ?? defaultMaxRetryAfter)
})

/**
 * The default policy: `make()` (3 retries, 250 ms doubling with jitter, 8 s cap, 60 s
 * `Retry-After` cap).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPolicy: Policy = make()

/**
 * A policy that never retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: Policy = fromSchedule(Schedule.stop)

/**
 * The policy overriding the configured one for the current fiber (see {@link withPolicy}).
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentPolicy: FiberRef.FiberRef<Option.Option<Policy>> = FiberRef.unsafeMake<Option.Option<Policy>>(
  Option.none()
)

/**
 * Runs an effect (one call, or a whole program) with another retry policy.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPolicy: {
  (policy: Policy): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentPolicy, Option.some(policy))
)
