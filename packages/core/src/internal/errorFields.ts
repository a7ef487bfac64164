/**
 * Schemas and helpers shared by the error classes.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/**
 * One entry of Basiq's error envelope `data[]`.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorItem = Schema.Struct({
  code: Schema.String,
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String),
  source: Schema.optional(
    Schema.Struct({
      parameter: Schema.optional(Schema.String),
      pointer: Schema.optional(Schema.String)
    })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorItem = typeof ErrorItem.Type

/**
 * HTTP methods the SDK sends.
 *
 * @since 0.1.0
 * @category models
 */
export const Method = Schema.Literal("GET", "POST", "PUT", "PATCH", "DELETE")

/**
 * @since 0.1.0
 * @category models
 */
export type Method = typeof Method.Type

/** @internal */
export const requestFields = {
  /** The HTTP method of the request. */
  method: Method,
  /** The route template, e.g. `/users/{userId}/connections/{connectionId}`. */
  route: Schema.String,
  /** How many times the request was sent (retries and the re-authentication retry included). */
  attempts: Schema.Number
}

/** @internal */
export const responseFields = {
  ...requestFields,
  status: Schema.Number,
  /** The first error's code from Basiq's envelope, when there was one. */
  code: Schema.optional(Schema.String),
  /** Basiq's `data[]` errors (empty when the body was not Basiq's envelope, e.g. HTML). */
  errors: Schema.Array(ErrorItem),
  correlationId: Schema.optional(Schema.String)
}

/** @internal */
export const describe = (self: {
  readonly status?: number | undefined
  readonly code?: string | undefined
  readonly errors?: ReadonlyArray<ErrorItem> | undefined
  readonly correlationId?: string | undefined
  readonly method?: string | undefined
  readonly route?: string | undefined
  readonly attempts?: number | undefined
}): string => {
  const parts: Array<string> = []
  if (self.status !== undefined) parts.push(String(self.status))
  if (self.code !== undefined) parts.push(self.code)
  let text = parts.join(" ")
  if (self.method !== undefined && self.route !== undefined) {
    text += `${text.length > 0 ? " on " : ""}${self.method} ${self.route}`
  }
  const first = self.errors?.[0]
  const detail = first?.detail ?? first?.title
  if (detail !== undefined) text += `: ${detail}`
  const extra: Array<string> = []
  if (self.correlationId !== undefined) extra.push(`correlationId ${self.correlationId}`)
  if (self.attempts !== undefined && self.attempts > 1) extra.push(`${self.attempts} attempts`)
  if (extra.length > 0) text += ` (${extra.join(", ")})`
  return text
}

/**
 * Why a request failed below HTTP.
 *
 * - `NotSent`: refused before any byte left (DNS failure, connection refused, a request the
 *   transport rejects locally). Nothing reached Basiq; retried for every operation.
 * - `ConnectionReset`: the connection broke after the request was (maybe) sent. A browser's
 *   opaque "Failed to fetch" is this one.
 * - `ResponseBody`: the status and headers arrived, the body could not be read to the end.
 * - `ResponseTooLarge`: the body (counted after decompression) went beyond `maxResponseBytes`;
 *   the read was cancelled. Not retried.
 * - `Timeout`: the per-attempt timeout elapsed.
 *
 * @since 0.1.0
 * @category models
 */
export const TransportReason = Schema.Literal(
  "NotSent",
  "ConnectionReset",
  "ResponseBody",
  "ResponseTooLarge",
  "Timeout"
)

/**
 * @since 0.1.0
 * @category models
 */
export type TransportReason = typeof TransportReason.Type
