/**
 * The `BasiqRateLimiter` tag, kept apart from `BasiqRateLimiter.ts` so that the client can look it
 * up without bundling `@effect/experimental` (only `BasiqRateLimiter.layerMemory` needs it).
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { BasiqRateLimitError } from "../errors.js"
import * as Errors from "../errors.js"
import type * as Failures from "./failures.js"

/** @internal */
export interface Service {
  /** Takes one slot of `key`'s budget, waiting for it up to the limiter's `maxWait`. */
  readonly take: (key: string) => Effect.Effect<void, BasiqRateLimitError>
}

/** @internal */
export class BasiqRateLimiter extends Context.Tag("@basiq-effect/core/BasiqRateLimiter")<BasiqRateLimiter, Service>() {}

/**
 * The keys the SDK takes slots of: every attempt of an operation, and every `/token` exchange
 * attempt (their own budget).
 *
 * @internal
 */
export const keys = { requests: "requests", token: "token" } as const

/**
 * The local budget's refusal, stamped with the request it stopped (`attempts`: those sent before).
 *
 * @internal
 */
export const stamp = (
  e: BasiqRateLimitError,
  ctx: Failures.RequestContext,
  attempts: number
): Either.Either<never, BasiqRateLimitError> =>
  Either.left(
    new Errors.BasiqRateLimitError({
      method: ctx.method,
      route: ctx.route,
      attempts: attempts - 1,
      status: 0,
      errors: [],
      source: "local",
      ...(e.retryAfter === undefined ? {} : { retryAfter: e.retryAfter })
    })
  )
