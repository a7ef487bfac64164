/**
 * The SDK's retry rules: which failures are retried (the policy decides when and how often).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import type * as BasiqRetry from "../BasiqRetry.js"
import type { Failure } from "./failures.js"

const idempotentStatuses = new Set([408, 429, 500, 502, 503, 504])

/** The `Retry-After` a failure carries (429, and 503 since Basiq sends it there too). */
const retryAfterOf = (e: Failure): Duration.Duration | undefined =>
  e._tag === "BasiqRateLimitError" || e._tag === "BasiqServerError" ? e.retryAfter : undefined

/**
 * Whether a failure is retried.
 *
 * @internal
 */
export const isRetryable = (e: Failure, idempotent: boolean, maxRetryAfter: Duration.Duration): boolean => {
  const retryAfter = retryAfterOf(e)
  if (retryAfter !== undefined && Duration.greaterThan(retryAfter, maxRetryAfter)) return false
  switch (e._tag) {
    case "BasiqRateLimitError":
      // The local budget's refusal sent nothing and waiting more is what it refused.
      return e.source !== "local"
    case "BasiqTransportError":
      return e.reason === "NotSent" || (idempotent && e.reason !== "ResponseTooLarge")
    case "BasiqServerError":
      return idempotent ? idempotentStatuses.has(e.status) : e.status === 503
    case "BasiqUnexpectedStatusError":
      return idempotent && e.status === 408
    default:
      return false
  }
}

/**
 * The retry schedule of a policy for idempotent or non-idempotent requests: the policy's delays,
 * replaced by `Retry-After` where Basiq sent one, and only for retryable failures.
 *
 * @internal
 */
export const retrySchedule = (policy: BasiqRetry.Policy, idempotent: boolean): Schedule.Schedule<unknown, Failure> =>
  // Decode errors are never retried: `whileInput` stops before the policy could act on one.
  (policy.schedule as Schedule.Schedule<unknown, Failure>).pipe(
    Schedule.whileInput((e: Failure) => isRetryable(e, idempotent, policy.maxRetryAfter)),
    Schedule.intersect(Schedule.identity<Failure>()),
    Schedule.modifyDelay(([, e], delay) => retryAfterOf(e) ?? delay)
  )
