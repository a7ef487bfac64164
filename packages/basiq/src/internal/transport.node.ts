/**
 * The default transport on Node.js: undici's keep-alive pool (see `@basiq-effect/core/node`).
 *
 * @internal
 */

import { UndiciHttpClient } from "@basiq-effect/core/node"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"

/** @internal */
export const defaultTransport: Layer.Layer<HttpClient.HttpClient> = UndiciHttpClient.layer

/** @internal */
export const transportName = "undici"
