/**
 * The default transport outside Node.js (browsers, edge runtimes, Deno, Bun): `fetch`.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"

/** @internal */
export const defaultTransport: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** @internal */
export const transportName = "fetch"
