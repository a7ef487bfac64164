/**
 * Basiq authentication: the `POST /token` exchange and the server-token cache.
 *
 * The server token (`SERVER_ACCESS`) is cached for `expires_in - tokenRefreshMargin` on the
 * Effect `Clock`. However many fibers ask at once, one exchange is in flight; a failed exchange is
 * never cached. The exchange is retried like an idempotent call (transport errors, 429, 5xx);
 * when that gives up, or on any other failure, it fails with `BasiqAuthenticationError`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { BasiqConfig } from "./BasiqConfig.js"
import * as BasiqError from "./BasiqError.js"
import * as BasiqRetry from "./BasiqRetry.js"
import * as Engine from "./internal/engine.js"

/**
 * The authentication service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The cached `SERVER_ACCESS` token, exchanging a new one when needed (single flight). */
  readonly token: Effect.Effect<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>
  /** Drops `token` from the cache if it is still the cached one (a newer token is kept). */
  readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  /**
   * Mints a `CLIENT_ACCESS` token bound to a user, for Basiq's consent UI and MFA answers. Not
   * cached.
   */
  readonly clientToken: (
    userId: string
  ) => Effect.Effect<
    Redacted.Redacted<string>,
    BasiqError.BasiqAuthenticationError | BasiqError.BasiqInvalidRequestError
  >
  /** How many `/token` exchanges this service has started (for diagnostics and tests). */
  readonly exchanges: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BasiqAuth extends Context.Tag("@basiq-effect/core/BasiqAuth")<BasiqAuth, Service>() {}

type State =
  | { readonly _tag: "Empty" }
  | {
      readonly _tag: "Valid"
      readonly token: Redacted.Redacted<string>
      readonly expiresAt: number
      /** `Effect.succeed(token)`, built once. */
      readonly effect: Effect.Effect<Redacted.Redacted<string>>
    }
  | {
      readonly _tag: "Pending"
      readonly deferred: Deferred.Deferred<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>
    }

const empty: State = { _tag: "Empty" }

const tokenContext: Engine.RequestContext = { method: "POST", route: "/token", idempotent: true }

interface Exchanged {
  readonly token: Redacted.Redacted<string>
  readonly expiresIn: number
}

const readToken = (
  response: HttpClientResponse.HttpClientResponse,
  attempts: number
): Effect.Effect<Exchanged, BasiqError.RequestFailure | BasiqError.BasiqAuthenticationError> =>
  Effect.flatMap(
    Effect.mapError(response.text, (cause) => Engine.bodyError(tokenContext, attempts, cause)),
    (text) =>
      Effect.suspend((): Effect.Effect<Exchanged, BasiqError.RequestFailure | BasiqError.BasiqAuthenticationError> => {
        if (response.status >= 200 && response.status < 300) {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          const body = (typeof json === "object" && json !== null ? json : {}) as {
            readonly access_token?: unknown
            readonly expires_in?: unknown
          }
          if (typeof body.access_token !== "string" || body.access_token.length === 0) {
            return Effect.fail(
              new BasiqError.BasiqAuthenticationError({
                reason: "the token response has no access_token",
                status: response.status,
                attempts
              })
            )
          }
          const expiresIn =
            typeof body.expires_in === "number" && Number.isFinite(body.expires_in) && body.expires_in > 0
              ? body.expires_in
              : 3600
          return Effect.succeed({ token: Redacted.make(body.access_token), expiresIn })
        }
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(
            Engine.statusError(
              tokenContext,
              attempts,
              response.status,
              Engine.parseEnvelope(text),
              Engine.parseRetryAfter(response.headers["retry-after"], now)
            )
          )
        )
      })
  )

const reasonOf = (e: BasiqError.RequestFailure): string => {
  switch (e._tag) {
    case "BasiqNotFoundError":
      return "Basiq did not recognise the API key (or it belongs to another environment)"
    case "BasiqBadRequestError":
      return "Basiq rejected the token request"
    case "BasiqForbiddenError":
      return "Basiq refused the token request (account disabled or rate limited)"
    case "BasiqRateLimitError":
      return "rate limited"
    case "BasiqServerError":
      return "Basiq server error"
    case "BasiqTransportError":
      return `${e.reason}${e.detail === undefined ? "" : ` (${e.detail})`}`
    default:
      return "the token request failed"
  }
}

const toAuthError = (e: BasiqError.RequestFailure): BasiqError.BasiqAuthenticationError => {
  if (e._tag === "BasiqAuthenticationError") return e
  if (e._tag === "BasiqTransportError" || e._tag === "BasiqInvalidRequestError") {
    return new BasiqError.BasiqAuthenticationError({
      reason: e._tag === "BasiqTransportError" ? reasonOf(e) : e.reason,
      attempts: e._tag === "BasiqTransportError" ? e.attempts : 0
    })
  }
  return new BasiqError.BasiqAuthenticationError({
    reason: reasonOf(e),
    status: e.status,
    errors: e.errors,
    attempts: e.attempts,
    ...(e.code === undefined ? {} : { code: e.code }),
    ...(e.correlationId === undefined ? {} : { correlationId: e.correlationId })
  })
}

/**
 * Builds the service. The exchange of a pending server token runs in a fiber of the given scope,
 * so a caller that is interrupted does not cancel it for the others.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqConfig | HttpClient.HttpClient | Scope.Scope> = Effect.gen(
  function* () {
    const config = yield* BasiqConfig
    const scope = yield* Effect.scope
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.withTracerPropagation(false),
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const tokenRequest = HttpClientRequest.post(`${config.baseUrl}/token`).pipe(
      HttpClientRequest.setHeaders({
        authorization: `Basic ${Redacted.value(config.apiKey)}`,
        accept: "application/json",
        "basiq-version": config.apiVersion,
        "user-agent": config.userAgent
      })
    )
    const counter = yield* Ref.make(0)

    const exchange = (form: Record<string, string>): Effect.Effect<Exchanged, BasiqError.BasiqAuthenticationError> =>
      Effect.suspend(() => {
        let attempts = 0
        const request = HttpClientRequest.bodyUrlParams(tokenRequest, form)
        const once = Effect.suspend(() => {
          attempts++
          const n = attempts
          return http.execute(request).pipe(
            Effect.mapError((e) => Engine.transportError(tokenContext, n, e)),
            Effect.flatMap((response) => readToken(response, n)),
            Effect.timeoutFail({
              duration: config.timeout,
              onTimeout: () => Engine.timeoutError(tokenContext, n, config.timeout)
            })
          )
        })
        return Effect.flatMap(BasiqRetry.currentPolicy, (override) =>
          Ref.update(counter, (n) => n + 1).pipe(
            Effect.zipRight(once),
            Effect.retry(Engine.retrySchedule(Engine.getOption(override, config.retry), true)),
            Effect.mapError(toAuthError)
          )
        )
      }).pipe(Effect.withSpan("basiq.auth.token", { kind: "client", captureStackTrace: false }))

    const ttlMillis = (expiresIn: number): number => {
      const ttl = expiresIn * 1000 - Duration.toMillis(config.tokenRefreshMargin)
      return ttl > 0 ? ttl : (expiresIn * 1000) / 2
    }

    // The cache is a plain variable: every read-modify-write below is synchronous (one JS turn),
    // so it is as atomic as a `Ref`, and a valid token is served without any allocation.
    let state: State = empty

    const refresh = (deferred: Deferred.Deferred<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>) =>
      Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
        exchange({ scope: "SERVER_ACCESS" }).pipe(
          Effect.tap(({ expiresIn, token }) =>
            Effect.sync(() => {
              state = {
                _tag: "Valid",
                token,
                expiresAt: startedAt + ttlMillis(expiresIn),
                effect: Effect.succeed(token)
              }
            })
          ),
          Effect.map(({ token }) => token),
          Effect.tapError(() =>
            Effect.sync(() => {
              if (state._tag === "Pending" && state.deferred === deferred) state = empty
            })
          ),
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(deferred, exit))
        )
      ).pipe(Effect.interruptible, Effect.forkIn(scope))

    // Claiming the refresh and starting it is not interruptible: a caller interrupted in between
    // would leave the cache `Pending` on a deferred nobody completes, and every later call hanging.
    const acquire: Service["token"] = Effect.uninterruptibleMask((restore) =>
      Effect.clockWith((clock) => {
        const s = state
        if (s._tag === "Valid" && clock.unsafeCurrentTimeMillis() < s.expiresAt) return s.effect
        if (s._tag === "Pending") return restore(Deferred.await(s.deferred))
        const deferred = Deferred.unsafeMake<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>(
          FiberId.none
        )
        state = { _tag: "Pending", deferred }
        return Effect.zipRight(refresh(deferred), restore(Deferred.await(deferred)))
      })
    )

    // The common case, a valid cached token, is answered without the mask.
    const token: Service["token"] = Effect.clockWith((clock) => {
      const s = state
      return s._tag === "Valid" && clock.unsafeCurrentTimeMillis() < s.expiresAt ? s.effect : acquire
    })

    const invalidate = (used: Redacted.Redacted<string>): Effect.Effect<void> =>
      Effect.sync(() => {
        if (state._tag === "Valid" && state.token === used) state = empty
      })

    const clientToken = (userId: string) => {
      const problem = Engine.checkPathParam(userId)
      if (problem !== undefined) {
        return Effect.fail(new BasiqError.BasiqInvalidRequestError({ reason: `userId ${problem}`, fields: ["userId"] }))
      }
      return Effect.map(exchange({ scope: "CLIENT_ACCESS", userId }), ({ token }) => token)
    }

    return BasiqAuth.of({ token, invalidate, clientToken, exchanges: Ref.get(counter) })
  }
)

/**
 * The authentication layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BasiqAuth, never, BasiqConfig | HttpClient.HttpClient> = Layer.scoped(BasiqAuth, make)
