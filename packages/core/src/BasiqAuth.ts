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
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { BasiqConfig } from "./BasiqConfig.js"
import * as BasiqError from "./BasiqError.js"
import * as BasiqRetry from "./BasiqRetry.js"
import { BasiqTokenStore } from "./BasiqTokenStore.js"
import type { RequestContext } from "./internal/failures.js"
import { EngineId } from "./internal/fleetEngine.js"
import type * as FleetToken from "./internal/fleetToken.js"
import * as Paths from "./internal/paths.js"
import * as Pipeline from "./internal/pipeline.js"
import * as RateLimiter from "./internal/rateLimiter.js"
import * as RetryRules from "./internal/retryRules.js"

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
      /** The token's sealed value in the `BasiqTokenStore`, when it is shared there. */
      readonly sealed: Uint8Array | undefined
    }
  | {
      readonly _tag: "Pending"
      readonly deferred: Deferred.Deferred<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>
    }

const empty: State = { _tag: "Empty" }

const tokenContext: RequestContext = { method: "POST", route: "/token", idempotent: true }

interface Exchanged {
  readonly token: Redacted.Redacted<string>
  /** Seconds, as Basiq sent it (possibly missing or nonsense: see {@link lifetimeMillis}). */
  readonly expiresIn: unknown
}

/** A token that a header can carry (visible ASCII): anything else is not a token Basiq issues. */
const TokenText = Schema.String.pipe(
  Schema.pattern(/^[\x21-\x7e]{1,8192}$/),
  Schema.annotations({ identifier: "a token (visible ASCII, at most 8192 characters)" })
)

const TokenBody = Schema.Struct({ access_token: TokenText, expires_in: Schema.optional(Schema.Unknown) })
const decodeTokenBody = Schema.decodeUnknownEither(TokenBody)

/** The `/token` answer, read by the same pipeline as every operation. */
const tokenDecoder: Pipeline.Decoder<Exchanged> = {
  _tag: "Json",
  decode: (body) =>
    Either.match(decodeTokenBody(body), {
      onLeft: (e): Either.Either<Exchanged, ParseResult.ParseIssue> => Either.left(e.issue),
      onRight: (b) => Either.right({ token: Redacted.make(b.access_token), expiresIn: b.expires_in })
    })
}

const documentedLifetimeSeconds = 3600
const maxLifetimeSeconds = 24 * 3600

/** The `exp` claim (seconds since the epoch) of a readable JWT, if any. */
const jwtExpiry = (token: string): number | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  try {
    const base64 = parts[1]!.replace(/-/g, "+").replace(/_/g, "/")
    const claims: unknown = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "=")))
    const exp = typeof claims === "object" && claims !== null ? (claims as { readonly exp?: unknown }).exp : undefined
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined
  } catch {
    return undefined
  }
}

/**
 * How long a token lives: `expires_in` when it is a positive finite number of seconds up to 24 h,
 * else the documented 3,600 s; never past the token's JWT `exp` when the token is a readable JWT.
 *
 * @internal
 */
export const lifetimeMillis = (token: string, expiresIn: unknown, now: number): number => {
  const given =
    typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 && expiresIn <= maxLifetimeSeconds
      ? expiresIn
      : documentedLifetimeSeconds
  const exp = jwtExpiry(token)
  const untilExp = exp === undefined ? undefined : exp * 1000 - now
  return untilExp !== undefined && untilExp > 0 ? Math.min(given * 1000, untilExp) : given * 1000
}

const reasonOf = (e: BasiqError.RequestFailure | BasiqError.BasiqDecodeError): string => {
  switch (e._tag) {
    case "BasiqNotFoundError":
      return e.code === "parameter-not-valid"
        ? "Basiq did not recognise the API key (or it belongs to another environment)"
        : "the token route was not found at the configured baseUrl (check its host and path)"
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
    case "BasiqDecodeError":
      return e.at === "access_token" || e.at === ""
        ? "the token response has no valid access_token"
        : "the token response could not be read"
    default:
      return "the token request failed"
  }
}

const toAuthError = (
  e: BasiqError.RequestFailure | BasiqError.BasiqDecodeError
): BasiqError.BasiqAuthenticationError => {
  if (e._tag === "BasiqAuthenticationError") return e
  if (e._tag === "BasiqTransportError" || e._tag === "BasiqInvalidRequestError") {
    return new BasiqError.BasiqAuthenticationError({
      reason: e._tag === "BasiqTransportError" ? reasonOf(e) : e.reason,
      attempts: e._tag === "BasiqTransportError" ? e.attempts : 0
    })
  }
  if (e._tag === "BasiqDecodeError") {
    return new BasiqError.BasiqAuthenticationError({ reason: reasonOf(e), status: e.status, attempts: e.attempts })
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

const noReserved: ReadonlySet<string> = new Set()

/**
 * The token cache both auth layers use: a plain variable (every read-modify-write is synchronous,
 * one JS turn, so as atomic as a `Ref`; a valid token is served without any allocation), one
 * `obtain` in flight however many fibers ask (run in `scope`, so an interrupted caller does not
 * cancel it for the others), a failure never kept. `invalidate` drops the token only if it is
 * still the cached one, and passes its sealed value to `forget` (the fleet's compare-and-delete).
 */
const makeTokenCache = (
  obtain: Effect.Effect<FleetToken.Obtained, BasiqError.BasiqAuthenticationError>,
  scope: Scope.Scope,
  forget: ((sealed: Uint8Array) => Effect.Effect<void>) | undefined
): Pick<Service, "token" | "invalidate"> => {
  let state: State = empty

  const refresh = (deferred: Deferred.Deferred<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>) =>
    obtain.pipe(
      Effect.tap(({ expiresAt, sealed, token }) =>
        Effect.sync(() => {
          state = { _tag: "Valid", token, expiresAt, effect: Effect.succeed(token), sealed }
        })
      ),
      Effect.map(({ token }) => token),
      Effect.tapError(() =>
        Effect.sync(() => {
          if (state._tag === "Pending" && state.deferred === deferred) state = empty
        })
      ),
      Effect.exit,
      Effect.flatMap((exit) => Deferred.done(deferred, exit)),
      Effect.interruptible,
      Effect.forkIn(scope)
    )

  // Claiming the refresh and starting it is not interruptible: a caller interrupted in between
  // would leave the cache `Pending` on a deferred nobody completes, and every later call hanging.
  const acquire: Service["token"] = Effect.uninterruptibleMask((restore) =>
    Effect.clockWith((clock) => {
      const s = state
      if (s._tag === "Valid" && clock.unsafeCurrentTimeMillis() < s.expiresAt) return s.effect
      if (s._tag === "Pending") return restore(Deferred.await(s.deferred))
      const deferred = Deferred.unsafeMake<Redacted.Redacted<string>, BasiqError.BasiqAuthenticationError>(FiberId.none)
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
    Effect.suspend(() => {
      const s = state
      if (s._tag !== "Valid" || s.token !== used) return Effect.void
      state = empty
      return forget === undefined || s.sealed === undefined ? Effect.void : forget(s.sealed)
    })

  return { token, invalidate }
}

/**
 * Builds the service. The exchange of a pending server token runs in a fiber of the given scope,
 * so a caller that is interrupted does not cancel it for the others.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Service,
  BasiqError.BasiqConfigError,
  BasiqConfig | HttpClient.HttpClient | Scope.Scope
> = Effect.gen(function* () {
  const config = yield* BasiqConfig
  const apiKey = config.apiKey
  if (apiKey === undefined) {
    return yield* new BasiqError.BasiqConfigError({
      option: "apiKey",
      reason: "is required to exchange tokens (code that holds no API key uses BasiqAuth.layerClientToken)"
    })
  }
  const scope = yield* Effect.scope
  const http = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
  // A rate budget in the context: `/token` exchange attempts take slots of their own key.
  const limiter = Option.getOrUndefined(yield* Effect.serviceOption(RateLimiter.BasiqRateLimiter))
  const limits: Pipeline.Limits = {
    timeout: config.timeout,
    maxResponseBytes: config.maxResponseBytes,
    limiter,
    limiterKey: RateLimiter.keys.token
  }
  // A token store in the context: the server token is shared with the fleet (client tokens never).
  // Its fleet logic comes with the store (`BasiqTokenStore.make`), so it is bundled only with one.
  const store = Option.getOrUndefined(yield* Effect.serviceOption(BasiqTokenStore))
  const engine: unknown = store?.[EngineId]
  if (store !== undefined && typeof engine !== "function") {
    return yield* new BasiqError.BasiqConfigError({
      option: "fleet",
      reason: "the BasiqTokenStore service must be built with BasiqTokenStore.make"
    })
  }
  const fleet =
    store === undefined
      ? undefined
      : yield* store[EngineId](store, {
          apiKey,
          baseUrl: config.baseUrl,
          apiVersion: config.apiVersion,
          timeout: config.timeout
        })
  const tokenRequest = HttpClientRequest.post(`${config.baseUrl}/token`).pipe(
    HttpClientRequest.setHeaders({
      authorization: `Basic ${Redacted.value(apiKey)}`,
      accept: "application/json",
      "basiq-version": config.apiVersion,
      "user-agent": config.userAgent
    })
  )
  const defaultSchedule = RetryRules.retrySchedule(config.retry, true)

  const exchange = (form: Record<string, string>): Effect.Effect<Exchanged, BasiqError.BasiqAuthenticationError> =>
    Effect.suspend(() => {
      let attempts = 0
      const request = HttpClientRequest.bodyUrlParams(tokenRequest, form)
      const once = Effect.suspend(() => {
        attempts++
        return Pipeline.attempt(http, request, tokenContext, attempts, tokenDecoder, limits)
      })
      return Effect.flatMap(BasiqRetry.currentPolicy, (override) =>
        Pipeline.retry(
          once,
          Option.isSome(override) ? RetryRules.retrySchedule(override.value, true) : defaultSchedule,
          "POST"
        ).pipe(Effect.mapError(toAuthError))
      )
    }).pipe(Effect.withSpan("basiq.auth.token", { kind: "client", captureStackTrace: false }))

  const ttlMillis = (token: Redacted.Redacted<string>, expiresIn: unknown, now: number): number => {
    const lifetime = lifetimeMillis(Redacted.value(token), expiresIn, now)
    const ttl = lifetime - Duration.toMillis(config.tokenRefreshMargin)
    return ttl > 0 ? ttl : lifetime / 2
  }

  /** A server token from Basiq, with when this process stops using it. */
  const exchangeServer = Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
    Effect.map(exchange({ scope: "SERVER_ACCESS" }), ({ expiresIn, token }) => ({
      token,
      expiresAt: startedAt + ttlMillis(token, expiresIn, startedAt)
    }))
  )
  const obtain: Effect.Effect<FleetToken.Obtained, BasiqError.BasiqAuthenticationError> =
    fleet === undefined
      ? Effect.map(exchangeServer, (fresh) => ({ ...fresh, sealed: undefined }))
      : fleet.obtain(exchangeServer)
  // In a fleet, the stored token is removed too, only if it is still the one that failed.
  const { invalidate, token } = makeTokenCache(obtain, scope, fleet?.invalidate)

  const clientToken = (userId: string) => {
    const problem = Paths.checkPathParam(userId, noReserved)
    if (problem !== undefined) {
      return Effect.fail(new BasiqError.BasiqInvalidRequestError({ reason: `userId ${problem}`, fields: ["userId"] }))
    }
    return Effect.map(exchange({ scope: "CLIENT_ACCESS", userId }), ({ token }) => token)
  }

  return BasiqAuth.of({ token, invalidate, clientToken })
})

/**
 * The authentication layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BasiqAuth, BasiqError.BasiqConfigError, BasiqConfig | HttpClient.HttpClient> =
  Layer.scoped(BasiqAuth, make)

/**
 * Authentication for code that holds no API key (a browser, a mobile app): every call sends the
 * token `get` gives (a `CLIENT_ACCESS` token your server minted for the user), which is kept until
 * Basiq refuses it. On a 401 or a 403 `access-denied` the client asks `get` once more and retries
 * once. `/token` is never called. `get` runs once however many calls need a token at the same
 * time; a failure is not kept (the next call asks again) and reaches the call as
 * `BasiqAuthenticationError` (its message never contains the token). `clientToken(userId)` is not
 * available here (it needs the API key) and fails with `BasiqAuthenticationError`.
 *
 * @example
 * ```ts
 * import { BasiqAuth } from "@basiq-effect/core"
 * import { Effect, Redacted } from "effect"
 *
 * const auth = BasiqAuth.layerClientToken(
 *   Effect.promise(() => fetch("/api/basiq-token").then((r) => r.text())).pipe(Effect.map(Redacted.make))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClientToken = <E, R>(
  get: Effect.Effect<Redacted.Redacted<string>, E, R>
): Layer.Layer<BasiqAuth, never, R> =>
  Layer.scoped(
    BasiqAuth,
    Effect.gen(function* () {
      const context = yield* Effect.context<R>()
      const scope = yield* Effect.scope
      const obtain = Effect.provide(get, context).pipe(
        Effect.map((token) => ({ token, expiresAt: Number.POSITIVE_INFINITY, sealed: undefined })),
        Effect.catchAllCause((cause) =>
          Effect.fail(
            cause._tag === "Fail" && cause.error instanceof BasiqError.BasiqAuthenticationError
              ? cause.error
              : new BasiqError.BasiqAuthenticationError({
                  reason: "the client token getter failed",
                  attempts: 1
                })
          )
        )
      )
      // Kept until Basiq refuses it (no expiry of its own).
      const { invalidate, token } = makeTokenCache(obtain, scope, undefined)
      const clientToken: Service["clientToken"] = () =>
        Effect.fail(
          new BasiqError.BasiqAuthenticationError({
            reason: "clientToken(userId) needs the API key (this client holds only a client token)",
            attempts: 0
          })
        )
      return BasiqAuth.of({ token, invalidate, clientToken })
    })
  )
