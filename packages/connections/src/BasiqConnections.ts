/**
 * All-in-one layers: `Connections` and `Jobs` with config, auth and the client pipeline wired.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const connections = yield* Connections.Connections
 *   return yield* connections.getConnections(userId)
 * }).pipe(Effect.provide(BasiqConnections.layer({ apiKey })))
 * ```
 *
 * @since 0.1.0
 */

import { type BasiqAuth, BasiqClient, BasiqConfig, type BasiqError } from "@basiq-effect/core"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Config from "effect/Config"
import type { ConfigError } from "effect/ConfigError"
import * as Layer from "effect/Layer"
import { defaultTransport } from "#transport"
import * as Connections from "./Connections.js"
import * as Jobs from "./Jobs.js"

/**
 * What the all-in-one layers provide: the two services, and the core client, auth and config
 * (for `clientToken` and custom operations).
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Connections.Connections
  | Jobs.Jobs
  | BasiqClient.BasiqClient
  | BasiqAuth.BasiqAuth
  | BasiqConfig.BasiqConfig

const apis = Layer.merge(Connections.layer, Jobs.layer)

/**
 * `Connections` and `Jobs` (and the core services) from a config layer, leaving
 * `HttpClient.HttpClient` to the caller.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig = <E, R>(
  config: Layer.Layer<BasiqConfig.BasiqConfig, E, R>
): Layer.Layer<Services, E | BasiqError.BasiqConfigError, HttpClient.HttpClient | R> =>
  Layer.provideMerge(apis, BasiqClient.layerFrom(config))

/**
 * The same as {@link layer}, leaving `HttpClient.HttpClient` to the caller (e.g.
 * `InMemoryBasiq.layer()` in tests, or another transport).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: BasiqConfig.Options
): Layer.Layer<Services, BasiqError.BasiqConfigError, HttpClient.HttpClient> =>
  layerFromConfig(BasiqConfig.layer(options))

/**
 * `Connections` and `Jobs` over the default transport: undici's keep-alive pool on Node.js
 * (`@basiq-effect/core/node`), `fetch` elsewhere (chosen by the package's `#transport` import
 * condition, so browser bundles never contain undici).
 *
 * @example
 * ```ts
 * import { BasiqConnections, Connections } from "@basiq-effect/connections"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const connections = yield* Connections.Connections
 *   const list = yield* connections.getConnections("user-id")
 *   return list.data.map((connection) => connection.institution.id)
 * })
 *
 * // Run with Effect.runPromise once the key is real; `layerConfig()` reads BASIQ_API_KEY instead.
 * export const runnable = program.pipe(Effect.provide(BasiqConnections.layer({ apiKey: "your-api-key" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: BasiqConfig.Options): Layer.Layer<Services, BasiqError.BasiqConfigError> =>
  Layer.provide(layerWithoutHttpClient(options), defaultTransport)

/**
 * `Connections` and `Jobs` over the default transport, configured from Effect `Config` (by default
 * `BASIQ_API_KEY`, `BASIQ_BASE_URL`, `BASIQ_API_VERSION`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config.Wrap<BasiqConfig.Options>
): Layer.Layer<Services, BasiqError.BasiqConfigError | ConfigError> =>
  Layer.provide(layerFromConfig(BasiqConfig.layerConfig(config)), defaultTransport)
