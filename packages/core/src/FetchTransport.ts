/**
 * The SDK's `fetch` transport, for browsers, edge runtimes, Deno and Bun (the default transport
 * outside Node.js).
 *
 * An ordinary `HttpClient` built with `HttpClient.makeWith`: `HttpClient.mapRequest`,
 * `transform`, `tap*` and the other combinators keep its speed. It emits no `http.client` span
 * and no `traceparent` (the SDK's own span covers each call). What it guarantees:
 *
 * - `redirect: "manual"`: a redirect is never followed (a 3xx, or a browser's opaque redirect
 *   with status 0, is returned as it is), so nothing is ever sent to another place;
 * - the body is read in full before the response is returned, at most `maxResponseBytes`
 *   (32 MiB unless the Basiq config says otherwise), counted after the decompression `fetch`
 *   does by itself (it asks for gzip); a larger body is cancelled while arriving;
 * - a request with a header `fetch` would refuse is refused before calling it (`NotSent`).
 *
 * It calls the `fetch` given to {@link make}, else the one of `FetchHttpClient.Fetch` in the
 * context ({@link layer}), else the global `fetch` as found at each request. Stream request
 * bodies are not supported (the SDK never sends one).
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { DeadlineExceeded } from "./internal/deadline.js"
import { ResponseTooLarge } from "./internal/failures.js"
import { BufferedResponse, concat } from "./internal/response.js"
import * as Transport from "./internal/transport.js"

/**
 * A `fetch` function (the global one by default).
 *
 * @since 0.1.0
 * @category models
 */
export type Fetch = (input: string | URL, init: RequestInit) => Promise<Response>

const globalFetch: Fetch = (input, init) => globalThis.fetch(input, init)

/** Whether a header value is one `fetch` accepts (no NUL, CR, LF; nothing above U+00FF). */
const badHeader = (headers: Headers.Headers): string | undefined => {
  for (const name in headers) {
    const value = headers[name]!
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      if (c === 0 || c === 0x0a || c === 0x0d || c > 0xff) return name
    }
  }
  return undefined
}

const requestBody = (request: HttpClientRequest.HttpClientRequest): BodyInit | null | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return null
    case "Raw":
    case "Uint8Array":
      return body.body as BodyInit
    case "FormData":
      return body.formData
    case "Stream":
      return undefined
  }
}

/** Reads a body to the end, at most `limit` bytes; beyond, the stream is cancelled. */
const readAll = async (body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> => {
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return concat(chunks, length)
    length += value.length
    if (length > limit) {
      reader.cancel().catch(() => {})
      throw new ResponseTooLarge(limit)
    }
    chunks.push(value)
  }
}

const nullBodyStatuses = new Set([0, 101, 204, 205, 304])

/**
 * Builds the client over a `fetch` function (default: the global one, looked up per request).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fetch: Fetch = globalFetch): HttpClient.HttpClient =>
  Transport.make((request, url, limit, arm) => {
    const body = requestBody(request)
    if (body === undefined) {
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Encode",
          description: "stream request bodies are not supported by this transport"
        })
      )
    }
    const invalid = badHeader(request.headers)
    if (invalid !== undefined) {
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Encode",
          description: `the header ${invalid} has a value fetch refuses`
        })
      )
    }
    const headers =
      request.headers["content-length"] === undefined
        ? request.headers
        : Headers.remove(request.headers, "content-length")
    return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const controller = new AbortController()
      let settled = false
      const init: RequestInit = {
        method: request.method,
        headers,
        body,
        signal: controller.signal,
        redirect: "manual"
      }
      let disarm: (() => void) | undefined
      let called: Promise<Response>
      try {
        called = fetch(url, init)
      } catch (cause) {
        settled = true
        resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Encode", cause })))
        return
      }
      called.then(
        (response) => {
          if (settled) return
          const answer = (bytes: Uint8Array | null, bodyError?: unknown) => {
            if (settled) return
            settled = true
            disarm?.()
            resume(Effect.succeed(new BufferedResponse(request, response.status, response.headers, bytes, bodyError)))
          }
          if (response.body === null || nullBodyStatuses.has(response.status)) {
            response.body?.cancel().catch(() => {})
            answer(response.body === null && !nullBodyStatuses.has(response.status) ? new Uint8Array(0) : null)
            return
          }
          readAll(response.body, limit).then(
            (bytes) => answer(bytes),
            (bodyError: unknown) => {
              if (bodyError instanceof ResponseTooLarge) controller.abort(bodyError)
              answer(null, bodyError)
            }
          )
        },
        (cause: unknown) => {
          if (settled) return
          settled = true
          disarm?.()
          resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
        }
      )
      disarm = arm(() => {
        if (settled) return
        settled = true
        controller.abort()
        resume(
          Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new DeadlineExceeded() }))
        )
      })
      return Effect.sync(() => {
        disarm?.()
        if (settled) return
        settled = true
        controller.abort()
      })
    })
  })

/**
 * The client as a layer: over `FetchHttpClient.Fetch` when the context has one, else over the
 * global `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Effect.serviceOption(FetchHttpClient.Fetch), (fetch) =>
    Option.isSome(fetch) ? make((input, init) => fetch.value(input, init)) : make()
  )
)
