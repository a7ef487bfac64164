/**
 * From what happened on the wire to the SDK's typed errors: transport failures, Basiq's error
 * envelope, `Retry-After`, the status table, and the questions the retry rules ask of a failure.
 *
 * @internal
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Duration from "effect/Duration"
import * as BasiqError from "../BasiqError.js"

/** @internal */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/** @internal */
export interface RequestContext {
  readonly method: BasiqError.Method
  readonly route: string
  readonly idempotent: boolean
}

/**
 * The body went beyond the response size limit (raised by the SDK's transports and readers).
 *
 * @internal
 */
export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the response body is larger than ${limit} bytes`)
    this.name = "ResponseTooLarge"
  }
}

/** Error codes of failures before any byte of the request left. */
const notSentCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EAI_FAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_INVALID_ARG",
  "ERR_INVALID_URL",
  "ERR_INVALID_ARG_VALUE",
  "ERR_INVALID_CHAR",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL"
])

/**
 * The first `code` found along an error's `cause` chain (e.g. `ECONNRESET`).
 *
 * @internal
 */
export const causeCode = (u: unknown): string | undefined => {
  let current: unknown = u
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code)) return code
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

/** Whether a `ResponseTooLarge` is found along an error's `cause` chain. */
const isTooLarge = (u: unknown): boolean => {
  let current: unknown = u
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof ResponseTooLarge) return true
    current = (current as { readonly cause?: unknown }).cause
  }
  return false
}

const transport = (
  ctx: RequestContext,
  attempts: number,
  reason: BasiqError.TransportReason,
  detail: string
): BasiqError.BasiqTransportError =>
  new BasiqError.BasiqTransportError({
    method: ctx.method,
    route: ctx.route,
    attempts,
    reason,
    detail,
    // Nothing left: nothing can have been applied. A body too large was answered: the request was
    // applied or not as the status says, and the SDK does not retry it.
    outcomeUnknown: reason === "NotSent" || reason === "ResponseTooLarge" ? false : !ctx.idempotent
  })

/**
 * Maps a platform error of `HttpClient.execute` to a transport error, keeping only a secret-free
 * code (the platform error itself prints the request headers, so it is never kept).
 *
 * @internal
 */
export const transportError = (
  ctx: RequestContext,
  attempts: number,
  error: HttpClientError.HttpClientError
): BasiqError.BasiqTransportError => {
  if (isTooLarge(error.cause)) return tooLargeError(ctx, attempts)
  if (error._tag === "ResponseError") return bodyError(ctx, attempts, error.cause)
  const code = causeCode(error.cause)
  if (error.reason !== "Transport") {
    return transport(ctx, attempts, "NotSent", code ?? `request ${error.reason.toLowerCase()} error`)
  }
  if (code !== undefined && notSentCodes.has(code)) return transport(ctx, attempts, "NotSent", code)
  return transport(ctx, attempts, "ConnectionReset", code ?? "network error")
}

/** @internal */
export const bodyError = (ctx: RequestContext, attempts: number, cause: unknown): BasiqError.BasiqTransportError =>
  isTooLarge(cause)
    ? tooLargeError(ctx, attempts)
    : transport(ctx, attempts, "ResponseBody", causeCode(cause) ?? "the response body could not be read")

/** @internal */
export const tooLargeError = (ctx: RequestContext, attempts: number): BasiqError.BasiqTransportError =>
  transport(ctx, attempts, "ResponseTooLarge", "the response body is larger than maxResponseBytes")

/** @internal */
export const timeoutError = (
  ctx: RequestContext,
  attempts: number,
  timeout: Duration.Duration
): BasiqError.BasiqTransportError =>
  transport(ctx, attempts, "Timeout", `no response within ${Duration.format(timeout)}`)

/** @internal */
export interface Envelope {
  readonly code: string | undefined
  readonly errors: ReadonlyArray<BasiqError.ErrorItem>
  readonly correlationId: string | undefined
}

const noEnvelope: Envelope = { code: undefined, errors: [], correlationId: undefined }

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

/**
 * Reads Basiq's error envelope leniently from an already parsed body: anything that is not one
 * (HTML, empty) gives no errors.
 *
 * @internal
 */
export const readEnvelope = (json: unknown): Envelope => {
  if (typeof json !== "object" || json === null) return noEnvelope
  const record = json as { readonly correlationId?: unknown; readonly data?: unknown }
  const errors: Array<BasiqError.ErrorItem> = []
  if (Array.isArray(record.data)) {
    for (const item of record.data as ReadonlyArray<unknown>) {
      if (typeof item !== "object" || item === null) continue
      const e = item as Record<string, unknown>
      const code = str(e.code)
      if (code === undefined) continue
      const title = str(e.title)
      const detail = str(e.detail)
      const rawSource = e.source
      let source: BasiqError.ErrorItem["source"]
      if (typeof rawSource === "object" && rawSource !== null) {
        const s = rawSource as Record<string, unknown>
        const parameter = str(s.parameter)
        const pointer = str(s.pointer)
        source = {
          ...(parameter === undefined ? {} : { parameter }),
          ...(pointer === undefined ? {} : { pointer })
        }
      }
      errors.push({
        code,
        ...(title === undefined ? {} : { title }),
        ...(detail === undefined ? {} : { detail }),
        ...(source === undefined ? {} : { source })
      })
      if (errors.length >= 20) break
    }
  }
  return { code: errors[0]?.code, errors, correlationId: str(record.correlationId) }
}

/**
 * `Retry-After` in seconds or as an HTTP date, relative to `now`.
 *
 * @internal
 */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d{1,9}$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Duration.millis(Math.max(0, date - now))
}

/**
 * The typed error for a non-2xx status (the decision table).
 *
 * @internal
 */
export const statusError = (
  ctx: RequestContext,
  attempts: number,
  status: number,
  envelope: Envelope,
  retryAfter: Duration.Duration | undefined
): BasiqError.StatusError => {
  const fields = {
    method: ctx.method,
    route: ctx.route,
    attempts,
    status,
    errors: envelope.errors,
    ...(envelope.code === undefined ? {} : { code: envelope.code }),
    ...(envelope.correlationId === undefined ? {} : { correlationId: envelope.correlationId })
  }
  switch (status) {
    case 400:
      return new BasiqError.BasiqBadRequestError(fields)
    case 401:
      return new BasiqError.BasiqUnauthorizedError(fields)
    case 403:
      return new BasiqError.BasiqForbiddenError(fields)
    case 404:
      return new BasiqError.BasiqNotFoundError(fields)
    case 415:
      return new BasiqError.BasiqUnsupportedMediaTypeError(fields)
    case 429:
      return new BasiqError.BasiqRateLimitError(retryAfter === undefined ? fields : { ...fields, retryAfter })
  }
  if (status >= 500 && status <= 599) {
    const outcomeUnknown = !ctx.idempotent && status !== 503
    return new BasiqError.BasiqServerError(
      status === 503 && retryAfter !== undefined
        ? { ...fields, outcomeUnknown, retryAfter }
        : { ...fields, outcomeUnknown }
    )
  }
  return new BasiqError.BasiqUnexpectedStatusError(fields)
}

/**
 * Whether the token a request used was rejected (expired or invalid): the call re-authenticates
 * once.
 *
 * @internal
 */
export const isTokenRejected = (e: Failure): boolean =>
  e._tag === "BasiqUnauthorizedError" || (e._tag === "BasiqForbiddenError" && e.code === "access-denied")

/**
 * Whether a failed attempt may have been applied by Basiq (the request may have reached it): a
 * broken connection after sending, a timeout, a cut-off body, or a 5xx other than 503.
 *
 * @internal
 */
export const mayHaveApplied = (e: Failure): boolean =>
  (e._tag === "BasiqTransportError" && e.reason !== "NotSent" && e.reason !== "ResponseTooLarge") ||
  (e._tag === "BasiqServerError" && e.status !== 503)
