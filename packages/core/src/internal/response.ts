/**
 * Responses whose body the SDK's transports read in full (under the size limit) before
 * answering, the size limit itself, and the pipeline's one body reader.
 *
 * @internal
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ResponseTooLarge } from "./failures.js"

/**
 * The default response size limit: 32 MiB.
 *
 * @internal
 */
export const defaultMaxResponseBytes = 32 * 1024 * 1024

/**
 * The response size limit the SDK's transports apply (the pipeline sets it from the config when
 * the config differs from the default).
 *
 * @internal
 */
export const currentMaxResponseBytes: FiberRef.FiberRef<number> = globalValue(
  Symbol.for("@basiq-effect/core/currentMaxResponseBytes"),
  () => FiberRef.unsafeMake(defaultMaxResponseBytes)
)

/**
 * Response headers as they come from a transport: Node's raw record or a web `Headers`.
 *
 * @internal
 */
export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>> | globalThis.Headers

const header = (headers: RawHeaders, name: string): string | undefined => {
  if (headers instanceof globalThis.Headers) return headers.get(name) ?? undefined
  const value = (headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>)[name]
  return value === undefined ? undefined : typeof value === "string" ? value : value.join(", ")
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/**
 * UTF-8 text of a body (a leading BOM skipped, as `Response.text()` does).
 *
 * @internal
 */
export const utf8 = (bytes: Uint8Array | null): string => (bytes === null ? "" : decoder.decode(bytes))

/**
 * A response whose body was read in full by the transport: `body` (`null` for statuses without
 * one), or `bodyError` when the body broke or went beyond the size limit after the status and
 * headers arrived.
 *
 * @internal
 */
export class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedHeaders: Headers.Headers | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: RawHeaders,
    readonly body: Uint8Array | null,
    readonly bodyError: unknown = undefined
  ) {
    super()
  }

  /** One header by lower-case name, repeated values joined with ", " (no copy of the others). */
  header(name: string): string | undefined {
    return header(this.rawHeaders, name)
  }

  private fail(reason: "Decode" | "EmptyBody", cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason, cause })
  }

  get headers(): Headers.Headers {
    if (this.cachedHeaders === undefined) {
      this.cachedHeaders = Headers.fromInput(
        this.rawHeaders as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
      )
    }
    return this.cachedHeaders
  }

  get cookies(): Cookies.Cookies {
    const raw =
      this.rawHeaders instanceof globalThis.Headers
        ? this.rawHeaders.getSetCookie()
        : (this.rawHeaders as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>)["set-cookie"]
    return raw === undefined || raw.length === 0 ? Cookies.empty : Cookies.fromSetCookie(raw)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.bodyError === undefined
      ? Effect.succeed(utf8(this.body))
      : Effect.fail(this.fail("Decode", this.bodyError))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.fail("Decode", cause)
      })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    if (this.bodyError !== undefined) return Effect.fail(this.fail("Decode", this.bodyError))
    const bytes = this.body ?? new Uint8Array(0)
    return Effect.succeed(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.tryPromise({
        try: () => new Response(text, { status: this.status, headers: this.headers }).formData(),
        catch: (cause) => this.fail("Decode", cause)
      })
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    if (this.bodyError !== undefined) return Stream.fail(this.fail("Decode", this.bodyError))
    if (this.body === null) return Stream.fail(this.fail("EmptyBody", "can not create stream from empty body"))
    return this.body.length === 0 ? Stream.empty : Stream.succeed(this.body)
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * What reading a body gave: the bytes (`null`: no body), or why it could not be read.
 *
 * @internal
 */
export type Body =
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array | null }
  | { readonly _tag: "Broken"; readonly cause: unknown }
  | { readonly _tag: "TooLarge" }

const brokenOrTooLarge = (cause: unknown): Body =>
  cause instanceof ResponseTooLarge ? { _tag: "TooLarge" } : { _tag: "Broken", cause }

/** @internal */
export const concat = (chunks: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/**
 * Reads a response's body once, at most `limit` bytes. The SDK's transports have already read
 * it (under the same limit); any other client's body is read as a stream, counted, and cancelled
 * as soon as it goes beyond the limit.
 *
 * @internal
 */
export const readBody = (response: HttpClientResponse.HttpClientResponse, limit: number): Effect.Effect<Body> => {
  if (response instanceof BufferedResponse) {
    return Effect.succeed(
      response.bodyError === undefined ? { _tag: "Bytes", bytes: response.body } : brokenOrTooLarge(response.bodyError)
    )
  }
  const chunks: Array<Uint8Array> = []
  let length = 0
  return response.stream.pipe(
    Stream.runForEach((chunk) => {
      length += chunk.length
      if (length > limit) return Effect.fail(new ResponseTooLarge(limit))
      chunks.push(chunk)
      return Effect.void
    }),
    // The whole cause is read here (a failed stream's release rejects again, as a defect next to
    // the failure), so no part of it reaches a log: the platform's error holds the request and its
    // headers. Interruption stays interruption.
    Effect.matchCauseEffect({
      onSuccess: () => Effect.succeed<Body>({ _tag: "Bytes", bytes: concat(chunks, length) }),
      onFailure: (cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
        const failure = Cause.failureOption(cause)
        if (Option.isNone(failure)) return Effect.succeed<Body>({ _tag: "Broken", cause: undefined })
        if (failure.value instanceof ResponseTooLarge) return Effect.succeed<Body>({ _tag: "TooLarge" })
        if (failure.value.reason === "EmptyBody") return Effect.succeed<Body>({ _tag: "Bytes", bytes: null })
        return Effect.succeed(brokenOrTooLarge(failure.value.cause))
      }
    }),
    // The stream's internal fiber ends with the failure read just above: it is handled, not to be
    // logged as "unhandled" (that log line would print the request headers).
    Effect.withUnhandledErrorLogLevel(Option.none())
  )
}

/**
 * A header of any response, by lower-case name (without copying the others when the SDK's
 * transport answered).
 *
 * @internal
 */
export const responseHeader = (response: HttpClientResponse.HttpClientResponse, name: string): string | undefined =>
  response instanceof BufferedResponse ? response.header(name) : response.headers[name]

/** @internal */
export const textBytes = (text: string): Uint8Array => encoder.encode(text)
