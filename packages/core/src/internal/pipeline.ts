/**
 * The request pipeline, one small function per step:
 *
 *   build (pure, validated) -> token -> send (`HttpClient.execute`, per-attempt deadline)
 *   -> read the response once (size limit) -> decide (value, status error, decode error)
 *   -> retry by the policy -> span
 *
 * Operations (`BasiqClient.operation`) and the `/token` exchange (`BasiqAuth`) both run their
 * attempts through {@link attempt} and {@link retry}.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as ParseResult from "effect/ParseResult"
import type * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import * as BasiqError from "../BasiqError.js"
import * as Deadline from "./deadline.js"
import * as Failures from "./failures.js"
import * as Issues from "./issues.js"
import * as Json from "./json.js"
import * as Paths from "./paths.js"
import * as RateLimiter from "./rateLimiter.js"
import * as Response from "./response.js"

/**
 * How a successful response is read (`BasiqClient.Success` is this, with a phantom error type).
 *
 * @internal
 */
export interface Decoder<A> {
  readonly _tag: "Json" | "NoContent"
  readonly decode: (body: unknown, status: number) => Either.Either<A, ParseResult.ParseIssue>
}

/**
 * What every attempt needs from the config.
 *
 * @internal
 */
export interface Limits {
  readonly timeout: Duration.Duration
  readonly maxResponseBytes: number
  /**
   * The rate budget every attempt takes a slot of before it is sent (the `BasiqRateLimiter` found
   * when the layer was built), and the key it takes from. Absent: nothing is done per attempt.
   */
  readonly limiter?: RateLimiter.Service | undefined
  readonly limiterKey?: string | undefined
}

// ---------------------------------------------------------------------------------------------
// 1. build

/**
 * A request template prepared once per declared operation.
 *
 * @internal
 */
export interface Template {
  readonly ctx: Failures.RequestContext
  readonly segments: ReadonlyArray<Paths.Segment>
  readonly prefix: string
  readonly request: HttpClientRequest.HttpClientRequest
}

/**
 * Builds and validates a request (pure): path parameters, query, JSON body. A refused input is a
 * `BasiqInvalidRequestError` naming the fields; nothing is sent.
 *
 * @internal
 */
export const build = (
  template: Template,
  reserved: ReadonlySet<string>,
  params: Readonly<Record<string, unknown>>,
  query: Readonly<Record<string, string | undefined>> | undefined,
  body: Either.Either<unknown, ParseResult.ParseIssue> | undefined
): Either.Either<HttpClientRequest.HttpClientRequest, BasiqError.BasiqInvalidRequestError> => {
  const { ctx } = template
  const invalid = (reason: string, fields: ReadonlyArray<string>) =>
    Either.left(new BasiqError.BasiqInvalidRequestError({ reason, fields, method: ctx.method, route: ctx.route }))
  let url = template.prefix
  const badFields: Array<string> = []
  let reason = ""
  for (const segment of template.segments) {
    if ("literal" in segment) {
      url += segment.literal
      continue
    }
    const value = params[segment.param]
    const problem = Paths.checkPathParam(value, reserved)
    if (problem !== undefined) {
      badFields.push(segment.param)
      reason = reason === "" ? `${segment.param} ${problem}` : `${reason}; ${segment.param} ${problem}`
      continue
    }
    url += encodeURIComponent(value as string)
  }
  if (badFields.length > 0) return invalid(reason, badFields)
  let request = HttpClientRequest.setUrl(template.request, url)
  if (query !== undefined) {
    for (const key in query) {
      const value = query[key]
      if (value === undefined) continue
      if (typeof value !== "string") return invalid(`${key} must be a string`, [key])
      request = HttpClientRequest.setUrlParam(request, key, value)
    }
  }
  if (body !== undefined) {
    if (Either.isLeft(body)) return invalid("the request body is invalid", Issues.issuePaths(body.left))
    request = HttpClientRequest.bodyUnsafeJson(request, body.right)
  }
  return Either.right(request)
}

// ---------------------------------------------------------------------------------------------
// 2. token

/**
 * Runs `send` with a token; when Basiq rejects the token (401, or 403 `access-denied`), drops it
 * and sends once more with a fresh one.
 *
 * @internal
 */
export const withToken = <T, A, E2>(
  token: Effect.Effect<T, E2>,
  renew: (rejected: T) => Effect.Effect<T, E2>,
  send: (token: T) => Effect.Effect<A, Failures.Failure>
): Effect.Effect<A, E2 | Failures.Failure> =>
  Effect.flatMap(token, (t) => Effect.catchIf(send(t), Failures.isTokenRejected, () => Effect.flatMap(renew(t), send)))

// ---------------------------------------------------------------------------------------------
// 3. send

/**
 * The per-attempt deadline (see `deadline.ts`): on the Effect `Clock`, so `TestClock` drives it;
 * the attempt is interrupted, which aborts the request on every transport. The one deadline
 * mechanism of the SDK: operations and `/token` alike.
 *
 * @internal
 */
export const withDeadline: <A, E>(
  self: Effect.Effect<A, E>,
  duration: Duration.Duration,
  onTimeout: () => BasiqError.BasiqTransportError
) => Effect.Effect<A, E | BasiqError.BasiqTransportError> = Deadline.withDeadline

/** Whether a `DeadlineExceeded` from a transport is found along an error's `cause` chain. */
const isDeadline = (u: unknown): boolean => {
  let current: unknown = u
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof Deadline.DeadlineExceeded) return true
    current = (current as { readonly cause?: unknown }).cause
  }
  return false
}

/**
 * Sends one attempt and maps a transport failure (a transport that ended the attempt at its
 * deadline reports a timeout).
 *
 * @internal
 */
export const send = (
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  ctx: Failures.RequestContext,
  attempts: number,
  timeout: Duration.Duration
): Effect.Effect<HttpClientResponse.HttpClientResponse, BasiqError.BasiqTransportError> =>
  Effect.mapError(
    // The SDK's own span covers the call: a client built with `HttpClient.make` adds no span (nor
    // tracing headers). The SDK's transports make none, so nothing is set for them per attempt.
    honoring.has(http) ? http.execute(request) : Effect.locally(http.execute(request), untraced, always),
    (e) =>
      isDeadline(e.cause) ? Failures.timeoutError(ctx, attempts, timeout) : Failures.transportError(ctx, attempts, e)
  )

const untraced = HttpClient.currentTracerDisabledWhen
const always = () => true

// ---------------------------------------------------------------------------------------------
// 4. read

/** @internal */
export const read: (response: HttpClientResponse.HttpClientResponse, limit: number) => Effect.Effect<Response.Body> =
  Response.readBody

// ---------------------------------------------------------------------------------------------
// 5. decide

const decodeError = (
  ctx: Failures.RequestContext,
  attempts: number,
  status: number,
  at: string,
  expected: string
): BasiqError.BasiqDecodeError =>
  new BasiqError.BasiqDecodeError({ method: ctx.method, route: ctx.route, attempts, status, at, expected })

/**
 * The outcome of an answered attempt: the decoded value, a status error, a decode error, or a
 * transport error for a body that could not be read.
 *
 * @internal
 */
export const decide = <A>(
  ctx: Failures.RequestContext,
  attempts: number,
  response: HttpClientResponse.HttpClientResponse,
  body: Response.Body,
  decoder: Decoder<A>,
  now: number
): Either.Either<A, Failures.Failure> => {
  const status = response.status
  if (body._tag === "TooLarge") return Either.left(Failures.tooLargeError(ctx, attempts))
  if (status >= 200 && status < 300) {
    if (decoder._tag === "NoContent") return Either.right(undefined as A)
    if (body._tag === "Broken") return Either.left(Failures.bodyError(ctx, attempts, body.cause))
    let json: unknown
    try {
      json = Json.parse(Response.utf8(body.bytes))
    } catch {
      return Either.left(decodeError(ctx, attempts, status, "", "a JSON body"))
    }
    const decoded = decoder.decode(json, status)
    if (Either.isRight(decoded)) return Either.right(decoded.right)
    const { at, expected } = Issues.issueLocation(decoded.left)
    return Either.left(decodeError(ctx, attempts, status, at, expected))
  }
  // An error body is read leniently: a broken or non-JSON one gives an empty envelope.
  let json: unknown
  if (body._tag === "Bytes" && body.bytes !== null && body.bytes.length > 0) {
    try {
      json = Json.parse(Response.utf8(body.bytes))
    } catch {
      json = undefined
    }
  }
  return Either.left(
    Failures.statusError(
      ctx,
      attempts,
      status,
      Failures.readEnvelope(json),
      Failures.parseRetryAfter(Response.responseHeader(response, "retry-after"), now)
    )
  )
}

/**
 * One attempt: send under the deadline, read once, decide. `onStatus` sees the status of an
 * answered attempt (for the span).
 *
 * @internal
 */
export const attempt = <A>(
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  ctx: Failures.RequestContext,
  attempts: number,
  decoder: Decoder<A>,
  limits: Limits,
  onStatus?: (status: number) => void
): Effect.Effect<A, Failures.Failure> => {
  const once = Effect.flatMap(send(http, request, ctx, attempts, limits.timeout), (response) => {
    onStatus?.(response.status)
    // A success without content needs no body.
    if (decoder._tag === "NoContent" && response.status >= 200 && response.status < 300) {
      return Effect.succeed(undefined as A)
    }
    return Effect.flatMap(read(response, limits.maxResponseBytes), (body) =>
      Effect.clockWith((clock) => decide(ctx, attempts, response, body, decoder, clock.unsafeCurrentTimeMillis()))
    )
  })
  const millis = Duration.toMillis(limits.timeout)
  const deadline: Deadline.AttemptDeadline = { millis, honored: false }
  let bounded: Effect.Effect<A, Failures.Failure> = Effect.withFiberRuntime((fiber) => {
    Deadline.setAttemptDeadline(fiber, deadline)
    return once
  })
  if (limits.maxResponseBytes !== Response.defaultMaxResponseBytes) {
    bounded = Effect.locally(bounded, Response.currentMaxResponseBytes, limits.maxResponseBytes)
  }
  // A client that took part in the deadline before (the SDK's transports, wrapped or not) ends the
  // attempt itself at the deadline; any other one gets its attempt forked, so that the deadline can
  // interrupt it.
  const limiter = limits.limiter
  if (honoring.has(http)) return limiter === undefined ? bounded : limited(bounded, limiter, limits, ctx, attempts)
  const deadlined = withDeadline(
    Effect.ensuring(
      bounded,
      Effect.sync(() => {
        if (deadline.honored) honoring.add(http)
      })
    ),
    limits.timeout,
    () => Failures.timeoutError(ctx, attempts, limits.timeout)
  )
  return limiter === undefined ? deadlined : limited(deadlined, limiter, limits, ctx, attempts)
}

/** Takes a slot of the rate budget (outside the attempt's deadline), then runs the attempt. */
const limited = <A>(
  self: Effect.Effect<A, Failures.Failure>,
  limiter: RateLimiter.Service,
  limits: Limits,
  ctx: Failures.RequestContext,
  attempts: number
): Effect.Effect<A, Failures.Failure> =>
  Effect.zipRight(
    Effect.catchAll(limiter.take(limits.limiterKey ?? RateLimiter.keys.requests), (e) =>
      RateLimiter.stamp(e, ctx, attempts)
    ),
    self
  )

/** Clients seen taking part in the attempt deadline. */
const honoring = new WeakSet<HttpClient.HttpClient>()

// ---------------------------------------------------------------------------------------------
// 6. retry

/**
 * Retries `attempt` by `schedule`. The retry machinery starts only after a first failure, which
 * the schedule then sees first, exactly as `Effect.retry` would have. A DELETE retried after an
 * attempt that may have been applied, answered 404: that attempt deleted it, the delete
 * succeeded.
 *
 * @internal
 */
export const retry = <A, E extends Failures.Failure>(
  attempt: Effect.Effect<A, E>,
  schedule: Schedule.Schedule<unknown, Failures.Failure>,
  method: BasiqError.Method
): Effect.Effect<A, E> =>
  Effect.catchAll(attempt, (first) => {
    let replay = true
    let maybeApplied = Failures.mayHaveApplied(first)
    const retrying = Effect.retry(
      Effect.suspend(() => {
        if (!replay) {
          return Effect.tapError(attempt, (e) => {
            if (Failures.mayHaveApplied(e)) maybeApplied = true
            return Effect.void
          })
        }
        replay = false
        return Effect.fail(first)
      }),
      schedule as Schedule.Schedule<unknown, E>
    )
    return method === "DELETE"
      ? Effect.catchIf(
          retrying,
          (e) => e._tag === "BasiqNotFoundError" && maybeApplied,
          () => Effect.succeed(undefined as A)
        )
      : retrying
  })

// ---------------------------------------------------------------------------------------------
// 7. span

/** Effect's default tracer: when it is the current one, no tracer was installed. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Runs `self` in a client span with the operation, route, method, attempts, last status and the
 * correlation id of a failure. With no tracer installed nobody can see a span, so none is made.
 *
 * @internal
 */
export const span = <A, E>(
  self: Effect.Effect<A, E>,
  name: string,
  attributes: Readonly<Record<string, string>>,
  progress: () => { readonly attempts: number; readonly status: number | undefined }
): Effect.Effect<A, E> =>
  Effect.withFiberRuntime<A, E>((fiber) => {
    if (fiber.currentTracer === nativeTracer) return self
    return Effect.useSpan(name, { kind: "client", captureStackTrace: false, attributes }, (span) =>
      Effect.onExit(
        Effect.withParentSpan(Effect.locally(self, HttpClient.currentTracerDisabledWhen, always), span),
        (exit) => {
          const { attempts, status } = progress()
          span.attribute("basiq.attempts", attempts)
          if (status !== undefined) span.attribute("http.response.status_code", status)
          if (Exit.isFailure(exit)) {
            const failure = Cause.failureOption(exit.cause)
            const correlationId =
              failure._tag === "Some"
                ? (failure.value as { readonly correlationId?: unknown }).correlationId
                : undefined
            if (typeof correlationId === "string") span.attribute("basiq.correlation_id", correlationId)
          }
          return Effect.void
        }
      )
    )
  })
