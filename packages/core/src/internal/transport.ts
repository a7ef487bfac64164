/**
 * What the SDK's two transports share: an ordinary `HttpClient` built with `HttpClient.makeWith`
 * around a function that sends one request to its final URL under the current size limit.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Deadline from "./deadline.js"
import { currentMaxResponseBytes } from "./response.js"

/** @internal */
export type Send = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  maxResponseBytes: number,
  /** Takes part in the attempt's deadline: `onFire` aborts the request; returns the disarm function. */
  arm: (onFire: () => void) => (() => void) | undefined
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * An `HttpClient` over `send`: the URL is built by the platform (`UrlParams.makeUrl`), only
 * `http:` and `https:` are sent, the size limit is read from the calling fiber, and the request
 * takes part in the attempt's deadline (see `deadline.ts`).
 *
 * @internal
 */
export const make = (send: Send): HttpClient.HttpClient => {
  const execute = (
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
    Effect.withFiberRuntime((fiber) => {
      const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
      if (url._tag === "Left") {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
      }
      if (url.right.protocol !== "http:" && url.right.protocol !== "https:") {
        return Effect.fail(
          new HttpClientError.RequestError({ request, reason: "InvalidUrl", description: "not an http(s) URL" })
        )
      }
      return send(request, url.right, fiber.getFiberRef(currentMaxResponseBytes), (onFire) =>
        Deadline.arm(fiber, onFire)
      )
    })
  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (request) => Effect.flatMap(request, execute),
    Effect.succeed
  )
}
