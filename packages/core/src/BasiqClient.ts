/**
 * The one request pipeline every Basiq operation uses: base URL, JSON accept, user agent, bearer
 * token (re-authenticating once on an expired or rejected token), per-attempt timeout, error
 * mapping, decoding, retries and a span.
 *
 * Endpoint modules *declare* an operation and get a function returning an Effect:
 *
 * ```ts
 * const getConnection = client.operation({
 *   name: "getConnection",
 *   span: "basiq.connections.getConnection",
 *   method: "GET",
 *   path: "/users/{userId}/connections/{connectionId}",
 *   success: BasiqClient.json(Connection),
 *   idempotent: true
 * })
 * getConnection({ params: { userId, connectionId } })
 * ```
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import { layer as authLayer, BasiqAuth } from "./BasiqAuth.js"
import { BasiqConfig, type Resolved } from "./BasiqConfig.js"
import * as BasiqError from "./BasiqError.js"
import * as BasiqRetry from "./BasiqRetry.js"
import * as Direct from "./internal/direct.js"
import * as Engine from "./internal/engine.js"

/**
 * The names of the `{param}`s of a path template.
 *
 * @since 0.1.0
 * @category models
 */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParams<Rest>
  : never

/**
 * How a successful response is read: a JSON body decoded by a schema, or no content.
 *
 * @since 0.1.0
 * @category models
 */
export interface Success<A, E extends BasiqError.BasiqDecodeError> {
  readonly _tag: "Json" | "NoContent"
  /** Decodes the parsed JSON body (not called for `NoContent`). */
  readonly decode: (body: unknown, status: number) => Either.Either<A, ParseResult.ParseIssue>
  /** Phantom: the decode error this success adds to the error channel. */
  readonly _E?: (_: never) => E
}

/**
 * A JSON body decoded with `schema` (compiled once, at declaration).
 *
 * @since 0.1.0
 * @category success
 */
export const json = <A, I>(schema: Schema.Schema<A, I, never>): Success<A, BasiqError.BasiqDecodeError> => {
  const decode = Schema.decodeUnknownEither(schema)
  return {
    _tag: "Json",
    decode: (body) => Either.mapLeft(decode(body), (e) => e.issue)
  }
}

/**
 * A JSON body decoded with `schema`, returned with the response status (e.g. to tell Basiq's
 * 200 "already running" from 202 "started").
 *
 * @since 0.1.0
 * @category success
 */
export const jsonWithStatus = <A, I>(
  schema: Schema.Schema<A, I, never>
): Success<{ readonly status: number; readonly body: A }, BasiqError.BasiqDecodeError> => {
  const decode = Schema.decodeUnknownEither(schema)
  return {
    _tag: "Json",
    decode: (body, status) =>
      Either.match(decode(body), {
        onLeft: (e) => Either.left(e.issue),
        onRight: (a) => Either.right({ status, body: a })
      })
  }
}

/**
 * No body is read (e.g. 204 from a delete).
 *
 * @since 0.1.0
 * @category success
 */
export const noContent: Success<void, never> = {
  _tag: "NoContent",
  decode: () => Either.right(undefined)
}

/**
 * The declaration of an operation.
 *
 * @since 0.1.0
 * @category models
 */
export interface OperationSpec<Path extends string, A, E extends BasiqError.BasiqDecodeError, B, BI> {
  /** The operation's name, e.g. `getConnection`. */
  readonly name: string
  /** The span name, e.g. `basiq.connections.getConnection`. */
  readonly span: string
  readonly method: BasiqError.Method
  /** The path template, e.g. `/users/{userId}/connections/{connectionId}`. */
  readonly path: Path
  /** Idempotent operations retry more failures (see `BasiqRetry`). */
  readonly idempotent: boolean
  readonly success: Success<A, E>
  /** The request body schema: its encoded side is sent as JSON; encode failures name the fields. */
  readonly body?: Schema.Schema<B, BI, never> | undefined
}

/**
 * The input of a declared operation.
 *
 * @since 0.1.0
 * @category models
 */
export interface OperationInput<Path extends string, B> {
  readonly params: { readonly [K in PathParams<Path>]: string }
  readonly query?: Readonly<Record<string, string | undefined>> | undefined
  readonly body?: B | undefined
}

/**
 * A declared operation.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation<Path extends string, A, E extends BasiqError.BasiqDecodeError, B> = (
  input: OperationInput<Path, B>
) => Effect.Effect<A, E | BasiqError.RequestFailure>

/**
 * The client service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly config: Resolved
  /** Declares an operation; the work of preparing it (path, headers, decoders) is done here, once. */
  readonly operation: <Path extends string, A, E extends BasiqError.BasiqDecodeError, B = never, BI = never>(
    spec: OperationSpec<Path, A, E, B, BI>
  ) => Operation<Path, A, E, B>
  /** A `CLIENT_ACCESS` token bound to a user (for the consent UI and MFA answers). */
  readonly clientToken: (
    userId: string
  ) => Effect.Effect<
    Redacted.Redacted<string>,
    BasiqError.BasiqAuthenticationError | BasiqError.BasiqInvalidRequestError
  >
  /** Runs an effect with the `CLIENT_ACCESS` token of a user instead of the server token. */
  readonly withClientToken: (
    userId: string
  ) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | BasiqError.BasiqAuthenticationError | BasiqError.BasiqInvalidRequestError, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BasiqClient extends Context.Tag("@basiq-effect/core/BasiqClient")<BasiqClient, Service>() {}

type Segment = { readonly literal: string } | { readonly param: string }

const parseTemplate = (path: string): ReadonlyArray<Segment> => {
  const segments: Array<Segment> = []
  const re = /\{([^}]+)\}/g
  let last = 0
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m.index > last) segments.push({ literal: path.slice(last, m.index) })
    segments.push({ param: m[1]! })
    last = m.index + m[0].length
  }
  if (last < path.length) segments.push({ literal: path.slice(last) })
  return segments
}

/**
 * A token overriding the server token for one call (the MFA answer's `CLIENT_ACCESS`), and how to
 * mint a fresh one when Basiq rejects it (the call then re-authenticates once, as with the server
 * token).
 */
interface TokenOverride {
  token: Redacted.Redacted<string>
  readonly renew: Effect.Effect<
    Redacted.Redacted<string>,
    BasiqError.BasiqAuthenticationError | BasiqError.BasiqInvalidRequestError
  >
}

const clientTokenOverride = Context.GenericTag<"@basiq-effect/core/BasiqClient/TokenOverride", TokenOverride>(
  "@basiq-effect/core/BasiqClient/TokenOverride"
)

/** Effect's default tracer: when it is the current one, no tracer was installed. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Builds the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqConfig | BasiqAuth | HttpClient.HttpClient> = Effect.gen(
  function* () {
    const config = yield* BasiqConfig
    const auth = yield* BasiqAuth
    const base = yield* HttpClient.HttpClient
    const timeoutMillis = Duration.toMillis(config.timeout)
    // A transport of this package is called directly (see `internal/direct.ts`); its per-attempt
    // timeout is a plain timer, so it must fit one.
    const direct = timeoutMillis <= Engine.maxTimerMillis ? Direct.getDirect(base) : undefined
    const http = base.pipe(
      HttpClient.withTracerPropagation(false),
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const schedules = {
      idempotent: Engine.retrySchedule(config.retry, true),
      nonIdempotent: Engine.retrySchedule(config.retry, false)
    }
    // The authorization header of the last token used (built once per token, not per request).
    let bearerToken: Redacted.Redacted<string> | undefined
    let bearerHeader = ""
    const bearer = (token: Redacted.Redacted<string>): string => {
      if (token !== bearerToken) {
        bearerToken = token
        bearerHeader = `Bearer ${Redacted.value(token)}`
      }
      return bearerHeader
    }
    const baseHeaders = {
      accept: "application/json",
      "user-agent": config.userAgent
    }

    const operation = <Path extends string, A, E extends BasiqError.BasiqDecodeError, B = never, BI = never>(
      spec: OperationSpec<Path, A, E, B, BI>
    ): Operation<Path, A, E, B> => {
      const ctx: Engine.RequestContext = { method: spec.method, route: spec.path, idempotent: spec.idempotent }
      const segments = parseTemplate(spec.path)
      const prefix = config.baseUrl
      const template = HttpClientRequest.make(spec.method)(prefix).pipe(HttpClientRequest.setHeaders(baseHeaders))
      const encodeBody = spec.body === undefined ? undefined : Schema.encodeEither(spec.body, { errors: "all" })
      const defaultSchedule = spec.idempotent ? schedules.idempotent : schedules.nonIdempotent
      const success = spec.success
      const spanOptions = {
        kind: "client" as const,
        captureStackTrace: false,
        attributes: { "basiq.operation": spec.name, "basiq.route": spec.path, "http.request.method": spec.method }
      }

      const invalid = (reason: string, fields: ReadonlyArray<string>) =>
        Effect.fail(new BasiqError.BasiqInvalidRequestError({ reason, fields, method: spec.method, route: spec.path }))

      const decodeError = (status: number, attempts: number, at: string, expected: string) =>
        Effect.fail(
          new BasiqError.BasiqDecodeError({
            method: spec.method,
            route: spec.path,
            attempts,
            status,
            at,
            expected
          }) as E
        )

      const decodeText = (text: string, status: number, attempts: number): Effect.Effect<A, E> => {
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          return decodeError(status, attempts, "", "a JSON body")
        }
        const decoded = success.decode(body, status)
        if (Either.isRight(decoded)) return Effect.succeed(decoded.right)
        const { at, expected } = Engine.issueLocation(decoded.left)
        return decodeError(status, attempts, at, expected)
      }

      const failStatus = (
        status: number,
        text: string,
        retryAfter: string | undefined,
        attempts: number
      ): Effect.Effect<never, BasiqError.RequestFailure> =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(
            Engine.statusError(
              ctx,
              attempts,
              status,
              Engine.parseEnvelope(text),
              Engine.parseRetryAfter(retryAfter, now)
            )
          )
        )

      const readResponse = (
        response: HttpClientResponse.HttpClientResponse,
        attempts: number
      ): Effect.Effect<A, E | BasiqError.RequestFailure> => {
        const status = response.status
        if (status >= 200 && status < 300) {
          if (success._tag === "NoContent") return Effect.succeed(undefined as A)
          return Effect.flatMap(
            Effect.mapError(response.text, (cause) => Engine.bodyError(ctx, attempts, cause)),
            (text) => decodeText(text, status, attempts)
          )
        }
        return Effect.flatMap(
          Effect.orElseSucceed(response.text, () => ""),
          (text) => failStatus(status, text, response.headers["retry-after"], attempts)
        )
      }

      const readDirect = (
        response: Direct.DirectResponse,
        attempts: number
      ): Effect.Effect<A, E | BasiqError.RequestFailure> => {
        const status = response.status
        if (status >= 200 && status < 300) {
          if (success._tag === "NoContent") return Effect.succeed(undefined as A)
          if (response.bodyError !== undefined) return Effect.fail(Engine.bodyError(ctx, attempts, response.bodyError))
          return decodeText(response.body ?? "", status, attempts)
        }
        return failStatus(status, response.body ?? "", response.header("retry-after"), attempts)
      }

      return (input) => {
        // Validate and build the request before any I/O.
        let url = prefix
        const params = input.params as Readonly<Record<string, unknown>>
        const badFields: Array<string> = []
        let reason = ""
        for (const segment of segments) {
          if ("literal" in segment) {
            url += segment.literal
            continue
          }
          const value = params[segment.param]
          const problem = Engine.checkPathParam(value)
          if (problem !== undefined) {
            badFields.push(segment.param)
            reason = reason === "" ? `${segment.param} ${problem}` : `${reason}; ${segment.param} ${problem}`
            continue
          }
          url += encodeURIComponent(value as string)
        }
        if (badFields.length > 0) return invalid(reason, badFields)
        let request = HttpClientRequest.setUrl(template, url)
        if (input.query !== undefined) {
          for (const key in input.query) {
            const value = input.query[key]
            if (value !== undefined) request = HttpClientRequest.setUrlParam(request, key, value)
          }
        }
        if (encodeBody !== undefined) {
          if (input.body === undefined) return invalid("a request body is required", ["body"])
          const encoded = encodeBody(input.body)
          if (Either.isLeft(encoded)) {
            return invalid("the request body is invalid", Engine.issuePaths(encoded.left.issue))
          }
          request = HttpClientRequest.bodyUnsafeJson(request, encoded.right)
        }
        const finalRequest = request

        return Effect.withFiberRuntime<A, E | BasiqError.RequestFailure>((fiber) => {
          let attempts = 0
          let lastStatus: number | undefined
          // The direct path (a transport of this package, on the live clock) times out with a plain
          // timer; anything else goes through `HttpClient.execute` and an Effect timeout.
          const useDirect =
            direct !== undefined && Context.get(fiber.currentDefaultServices, Clock.Clock) === Engine.liveClock
          const send = (token: Redacted.Redacted<string>): Effect.Effect<A, E | BasiqError.RequestFailure> => {
            attempts++
            const n = attempts
            const request = HttpClientRequest.setHeader(finalRequest, "authorization", bearer(token))
            if (useDirect) {
              return Effect.async<A, E | BasiqError.RequestFailure>((resume) => {
                // The URL the platform would build (only re-parsed when there is a query).
                const url =
                  request.urlParams.length === 0 && Option.isNone(request.hash)
                    ? request.url
                    : UrlParams.makeUrl(request.url, request.urlParams, request.hash)
                if (typeof url !== "string" && Either.isLeft(url)) {
                  resume(
                    Effect.fail(
                      Engine.transportError(
                        ctx,
                        n,
                        new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left })
                      )
                    )
                  )
                  return
                }
                let settled = false
                const timer = setTimeout(() => {
                  settled = true
                  abort()
                  resume(Effect.fail(Engine.timeoutError(ctx, n, config.timeout)))
                }, timeoutMillis)
                const abort = direct.send(
                  request,
                  typeof url === "string" ? url : url.right,
                  (response) => {
                    if (settled) return
                    settled = true
                    clearTimeout(timer)
                    lastStatus = response.status
                    resume(readDirect(response, n))
                  },
                  (cause) => {
                    if (settled) return
                    settled = true
                    clearTimeout(timer)
                    resume(
                      Effect.fail(
                        Engine.transportError(
                          ctx,
                          n,
                          new HttpClientError.RequestError({ request, reason: "Transport", cause })
                        )
                      )
                    )
                  }
                )
                return Effect.sync(() => {
                  if (settled) return
                  settled = true
                  clearTimeout(timer)
                  abort()
                })
              })
            }
            return Engine.timeoutFail(
              Effect.flatMap(
                Effect.mapError(http.execute(request), (e) => Engine.transportError(ctx, n, e)),
                (response) => {
                  lastStatus = response.status
                  return readResponse(response, n)
                }
              ),
              config.timeout,
              () => Engine.timeoutError(ctx, n, config.timeout)
            )
          }
          const override = Context.getOption(fiber.currentContext, clientTokenOverride)
          const attempt: Effect.Effect<A, E | BasiqError.RequestFailure> = Option.isSome(override)
            ? Effect.suspend(() => {
                const o = override.value
                return Effect.catchIf(send(o.token), Engine.isTokenRejected, () =>
                  Effect.flatMap(o.renew, (fresh) => {
                    o.token = fresh
                    return send(fresh)
                  })
                )
              })
            : Effect.flatMap(auth.token, (token) =>
                Effect.catchIf(send(token), Engine.isTokenRejected, () =>
                  auth.invalidate(token).pipe(Effect.zipRight(auth.token), Effect.flatMap(send))
                )
              )
          // The retry machinery starts only after a first failure (which the schedule then sees
          // first, exactly as `Effect.retry` would have).
          const policy = fiber.getFiberRef(BasiqRetry.currentPolicy)
          const retried = Effect.catchAll(attempt, (first) => {
            let replay = true
            // Whether an attempt that failed may still have been applied by Basiq.
            let maybeApplied = Engine.mayHaveApplied(first)
            const retrying = Effect.retry(
              Effect.suspend(() => {
                if (!replay) {
                  return Effect.tapError(attempt, (e) => {
                    if (Engine.mayHaveApplied(e)) maybeApplied = true
                    return Effect.void
                  })
                }
                replay = false
                return Effect.fail(first)
              }),
              Option.isSome(policy) ? Engine.retrySchedule(policy.value, spec.idempotent) : defaultSchedule
            )
            // A DELETE retried after an attempt that may have been applied, answered 404: that
            // attempt deleted it. The delete succeeded.
            return spec.method === "DELETE"
              ? Effect.catchIf(
                  retrying,
                  (e) => e._tag === "BasiqNotFoundError" && maybeApplied,
                  () => Effect.succeed(undefined as A)
                )
              : retrying
          })
          // With no tracer installed (Effect's native one) nobody can see a span: skip it.
          if (fiber.currentTracer === nativeTracer) return retried
          return Effect.useSpan(spec.span, spanOptions, (span) =>
            Effect.onExit(Effect.withParentSpan(retried, span), (exit) => {
              span.attribute("basiq.attempts", attempts)
              if (lastStatus !== undefined) span.attribute("http.response.status_code", lastStatus)
              if (Exit.isFailure(exit)) {
                const failure = Cause.failureOption(exit.cause)
                const correlationId =
                  failure._tag === "Some"
                    ? (failure.value as { readonly correlationId?: unknown }).correlationId
                    : undefined
                if (typeof correlationId === "string") span.attribute("basiq.correlation_id", correlationId)
              }
              return Effect.void
            })
          )
        })
      }
    }

    const withClientToken =
      (userId: string) =>
      <A2, E2, R2>(self: Effect.Effect<A2, E2, R2>) =>
        Effect.flatMap(auth.clientToken(userId), (token) =>
          Effect.provideService(self, clientTokenOverride, { token, renew: auth.clientToken(userId) })
        )

    return BasiqClient.of({ config, operation, clientToken: auth.clientToken, withClientToken })
  }
)

/**
 * The client layer (requires the config, the auth service and an `HttpClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BasiqClient, never, BasiqConfig | BasiqAuth | HttpClient.HttpClient> = Layer.effect(
  BasiqClient,
  make
)

/**
 * Config, auth and client over a caller-provided `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFrom = <E, R>(
  config: Layer.Layer<BasiqConfig, E, R>
): Layer.Layer<BasiqClient | BasiqAuth | BasiqConfig, E, HttpClient.HttpClient | R> =>
  layer.pipe(Layer.provideMerge(authLayer), Layer.provideMerge(config))
