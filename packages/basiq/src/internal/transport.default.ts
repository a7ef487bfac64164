/**
 * The default transport outside Node.js (browsers, edge runtimes, Deno, Bun): `fetch`, through the
 * SDK's own fetch client (`FetchTransport`), which the pipeline calls directly.
 *
 * @internal
 */
import { FetchTransport } from "@basiq-effect/core"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"

/** @internal */
export const defaultTransport: Layer.Layer<HttpClient.HttpClient> = FetchTransport.layer

/** @internal */
export const transportName = "fetch"
