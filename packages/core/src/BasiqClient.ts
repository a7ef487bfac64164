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
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { layer as authLayer, BasiqAuth } from "./BasiqAuth.js"
import { BasiqConfig, type Resolved } from "./BasiqConfig.js"
import type * as BasiqError from "./BasiqError.js"
import * as BasiqRetry from "./BasiqRetry.js"
import * as BasiqErrorClasses from "./errors.js"
import * as FastDecode from "./internal/fastDecode.js"
import * as Paths from "./internal/paths.js"
import * as Pipeline from "./internal/pipeline.js"
import * as RateLimiter from "./internal/rateLimiter.js"
import * as RetryRules from "./internal/retryRules.js"

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
export const json = <A, I>(schema: Schema.Schema<A, I, never>): Success<A, BasiqError.BasiqDecodeError> => ({
  _tag: "Json",
  decode: decoder(schema)
})

/**
 * The decoder of a response schema: the fast path compiled from its AST (on first use), and
 * Schema's own decoder whenever that path cannot give the value, so every failure is Schema's.
 */
const decoder = <A, I>(
  schema: Schema.Schema<A, I, never>
): ((body: unknown) => Either.Either<A, ParseResult.ParseIssue>) => {
  const decode = Schema.decodeUnknownEither(schema)
  const slow = (body: unknown) => Either.mapLeft(decode(body), (e) => e.issue)
  let fast: FastDecode.Decode | undefined | null = null
  return (body) => {
    if (fast === null) fast = FastDecode.compile(schema.ast)
    if (fast === undefined) return slow(body)
    const value = fast(body)
    return value === FastDecode.Miss ? slow(body) : Either.right(value as A)
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
  const decode = decoder(schema)
  return {
    _tag: "Json",
    decode: (body, status) => Either.map(decode(body), (a) => ({ status, body: a }))
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
    // A client built with `HttpClient.make` adds no span of its own (see `Pipeline.send`).
    const http = yield* HttpClient.HttpClient
    // A rate budget in the context the layer is built in: every attempt takes a slot of it.
    const limiter = Option.getOrUndefined(yield* Effect.serviceOption(RateLimiter.BasiqRateLimiter))
    const limits: Pipeline.Limits =
      limiter === undefined
        ? { timeout: config.timeout, maxResponseBytes: config.maxResponseBytes }
        : {
            timeout: config.timeout,
            maxResponseBytes: config.maxResponseBytes,
            limiter,
            limiterKey: RateLimiter.keys.requests
          }
    const schedules = {
      idempotent: RetryRules.retrySchedule(config.retry, true),
      nonIdempotent: RetryRules.retrySchedule(config.retry, false)
    }
    // The fixed segments of every route declared on this client: an id equal to one is refused.
    const reserved = new Set<string>(["token"])
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
    // `accept-encoding` is set once here, not per request by the transports (browsers drop it: their
    // fetch asks for gzip by itself).
    const baseHeaders = {
      accept: "application/json",
      "accept-encoding": "gzip, deflate",
      "user-agent": config.userAgent
    }

    const operation = <Path extends string, A, E extends BasiqError.BasiqDecodeError, B = never, BI = never>(
      spec: OperationSpec<Path, A, E, B, BI>
    ): Operation<Path, A, E, B> => {
      for (const segment of Paths.fixedSegments(spec.path)) reserved.add(segment)
      const template: Pipeline.Template = {
        ctx: { method: spec.method, route: spec.path, idempotent: spec.idempotent },
        segments: Paths.parseTemplate(spec.path),
        prefix: config.baseUrl,
        request: HttpClientRequest.make(spec.method)(config.baseUrl).pipe(HttpClientRequest.setHeaders(baseHeaders))
      }
      const ctx = template.ctx
      const encodeBody = spec.body === undefined ? undefined : Schema.encodeEither(spec.body, { errors: "all" })
      const defaultSchedule = spec.idempotent ? schedules.idempotent : schedules.nonIdempotent
      const decoder = spec.success
      const attributes = { "basiq.operation": spec.name, "basiq.route": spec.path, "http.request.method": spec.method }
      return (input) => {
        let body: Either.Either<unknown, ParseResult.ParseIssue> | undefined
        if (encodeBody !== undefined) {
          if (input.body === undefined) {
            return Effect.fail(
              new BasiqErrorClasses.BasiqInvalidRequestError({
                reason: "a request body is required",
                fields: ["body"],
                method: spec.method,
                route: spec.path
              })
            )
          }
          body = Either.mapLeft(encodeBody(input.body), (e) => e.issue)
        }
        const built = Pipeline.build(
          template,
          reserved,
          input.params as Readonly<Record<string, unknown>>,
          input.query,
          body
        )
        if (Either.isLeft(built)) return Effect.fail(built.left)
        const request = built.right

        return Effect.withFiberRuntime<A, E | BasiqError.RequestFailure>((fiber) => {
          let attempts = 0
          let lastStatus: number | undefined
          const onStatus = (status: number) => {
            lastStatus = status
          }
          const send = (token: Redacted.Redacted<string>) => {
            attempts++
            return Pipeline.attempt(
              http,
              HttpClientRequest.setHeader(request, "authorization", bearer(token)),
              ctx,
              attempts,
              decoder,
              limits,
              onStatus
            ) as Effect.Effect<A, E | BasiqError.RequestFailure>
          }
          const override = Context.getOption(fiber.currentContext, clientTokenOverride)
          const once = Option.isSome(override)
            ? Pipeline.withToken(
                Effect.sync(() => override.value.token),
                () =>
                  Effect.map(override.value.renew, (fresh) => {
                    override.value.token = fresh
                    return fresh
                  }),
                send
              )
            : Pipeline.withToken(auth.token, (rejected) => Effect.zipRight(auth.invalidate(rejected), auth.token), send)
          const policy = fiber.getFiberRef(BasiqRetry.currentPolicy)
          const retried = Pipeline.retry(
            once as Effect.Effect<A, E | BasiqError.RequestFailure>,
            Option.isSome(policy) ? RetryRules.retrySchedule(policy.value, spec.idempotent) : defaultSchedule,
            spec.method
          )
          return Pipeline.span(retried, spec.span, attributes, () => ({ attempts, status: lastStatus }))
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
): Layer.Layer<BasiqClient | BasiqAuth | BasiqConfig, E | BasiqError.BasiqConfigError, HttpClient.HttpClient | R> =>
  layer.pipe(Layer.provideMerge(authLayer), Layer.provideMerge(config))
