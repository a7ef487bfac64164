/**
 * The SDK's `fetch` transport, for browsers, edge runtimes, Deno and Bun (the default transport
 * outside Node.js). As an `HttpClient` it behaves as `@effect/platform`'s `FetchHttpClient`
 * (same request, `HttpClientResponse.fromWeb` responses), and the Basiq pipeline also calls it
 * directly: one `fetch` and one timer per attempt, without the generic `HttpClient` steps and
 * without racing fibers for the per-attempt timeout.
 *
 * It calls the global `fetch` as found at each request (or the one given to {@link make}).
 * Stream request bodies are not supported (the SDK never sends one).
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Direct from "./internal/direct.js"

/**
 * A `fetch` function (the global one by default).
 *
 * @since 0.1.0
 * @category models
 */
export type Fetch = (input: string | URL, init: RequestInit) => Promise<Response>

const globalFetch: Fetch = (input, init) => globalThis.fetch(input, init)

/** The `RequestInit` of a request, as `FetchHttpClient` builds it (no `content-length`: fetch sets it). */
const requestInit = (request: HttpClientRequest.HttpClientRequest, signal: AbortSignal): RequestInit | undefined => {
  const headers =
    request.headers["content-length"] === undefined
      ? request.headers
      : Headers.remove(request.headers, "content-length")
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return { method: request.method, headers, signal }
    case "Raw":
    case "Uint8Array":
      return { method: request.method, headers, body: body.body as BodyInit, signal }
    case "FormData":
      return { method: request.method, headers, body: body.formData, signal }
    case "Stream":
      return undefined
  }
}

const streamBodyError = (request: HttpClientRequest.HttpClientRequest): HttpClientError.RequestError =>
  new HttpClientError.RequestError({
    request,
    reason: "Encode",
    description: "stream request bodies are not supported by this transport"
  })

/**
 * Builds the client over a `fetch` function (default: the global one, looked up per request).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fetch: Fetch = globalFetch): HttpClient.HttpClient => {
  const send: Direct.Direct["send"] = (request, url, onResponse, onError) => {
    const controller = new AbortController()
    let settled = false
    const init = requestInit(request, controller.signal)
    if (init === undefined) {
      settled = true
      onError(streamBodyError(request))
      return () => {}
    }
    // The body is read here; if that fails, the response is still reported, with the error, as
    // `HttpClientResponse.text` would fail (a status error reads it leniently, a success does not).
    fetch(url, init).then(
      (response) =>
        response.text().then(
          (body) => {
            if (settled) return
            settled = true
            onResponse({ status: response.status, header: (name) => response.headers.get(name) ?? undefined, body })
          },
          (bodyError: unknown) => {
            if (settled) return
            settled = true
            onResponse({
              status: response.status,
              header: (name) => response.headers.get(name) ?? undefined,
              body: null,
              bodyError
            })
          }
        ),
      (error: unknown) => {
        if (settled) return
        settled = true
        onError(error)
      }
    )
    return () => {
      if (settled) return
      settled = true
      controller.abort()
    }
  }
  const client = HttpClient.make((request, url, signal) => {
    const init = requestInit(request, signal)
    if (init === undefined) return Effect.fail(streamBodyError(request))
    return Effect.map(
      Effect.tryPromise({
        try: () => fetch(url, init),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      }),
      (response) => HttpClientResponse.fromWeb(request, response)
    )
  })
  return Direct.withDirect(client, { send })
}

/**
 * The client as a layer, over the global `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.sync(HttpClient.HttpClient, () => make())
