/**
 * Every Basiq service over one config, one auth (one token cache) and one client:
 * `Users`, `Consents`, `Connections`, `Jobs`, `Events` and `WebhookSubscriptions`, plus the core
 * `BasiqClient`, `BasiqAuth` and `BasiqConfig` (for `ConsentUi.link`, `clientToken` and your own
 * operations).
 *
 * ```ts
 * import { Basiq, Users, ConsentUi } from "basiq-effect"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const users = yield* Users.Users
 *   const user = yield* users.createUser({ email: "max@hooli.example" })
 *   return yield* ConsentUi.link(user.id, { state: "signup-42" })
 * })
 *
 * program.pipe(Effect.provide(Basiq.layerConfig()), Effect.runPromise)
 * ```
 *
 * @since 0.1.0
 */

import { Connections, Jobs } from "@basiq-effect/connections"
import { type BasiqAuth, BasiqClient, BasiqConfig, type BasiqError } from "@basiq-effect/core"
import { Events, WebhookSubscriptions } from "@basiq-effect/events"
import { Consents, Users } from "@basiq-effect/users"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import { defaultTransport } from "#transport"

/**
 * Everything {@link layer} provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Users.Users
  | Consents.Consents
  | Connections.Connections
  | Jobs.Jobs
  | Events.Events
  | WebhookSubscriptions.WebhookSubscriptions
  | BasiqClient.BasiqClient
  | BasiqAuth.BasiqAuth
  | BasiqConfig.BasiqConfig

/**
 * The service layers, each needing only the core `BasiqClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const services: Layer.Layer<
  | Users.Users
  | Consents.Consents
  | Connections.Connections
  | Jobs.Jobs
  | Events.Events
  | WebhookSubscriptions.WebhookSubscriptions,
  never,
  BasiqClient.BasiqClient
> = Layer.mergeAll(Users.layer, Consents.layer, Connections.layer, Jobs.layer, Events.layer, WebhookSubscriptions.layer)

/**
 * Every service from a config layer, leaving `HttpClient.HttpClient` to the caller.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig = <E, R>(
  config: Layer.Layer<BasiqConfig.BasiqConfig, E, R>
): Layer.Layer<Services, E | BasiqError.BasiqConfigError, HttpClient.HttpClient | R> =>
  Layer.provideMerge(services, BasiqClient.layerFrom(config))

/**
 * Every service, leaving `HttpClient.HttpClient` to the caller (e.g. `InMemoryBasiq.layer()` in
 * tests, or a transport of your own).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: BasiqConfig.Options
): Layer.Layer<Services, BasiqError.BasiqConfigError, HttpClient.HttpClient> =>
  layerFromConfig(BasiqConfig.layer(options))

/**
 * Every service over the default transport: undici's keep-alive pool on Node.js
 * (`basiq-effect/node`), `fetch` elsewhere (chosen by the package's `#transport` import condition,
 * so browser bundles never contain undici). Bad options fail the layer with `BasiqConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: BasiqConfig.Options): Layer.Layer<Services, BasiqError.BasiqConfigError> =>
  Layer.provide(layerWithoutHttpClient(options), defaultTransport)

/**
 * Every service over the default transport, configured from Effect `Config` (by default
 * `BASIQ_API_KEY`, `BASIQ_BASE_URL`, `BASIQ_API_VERSION`). A missing `BASIQ_API_KEY` is a
 * `BasiqConfigError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config.Wrap<BasiqConfig.Options>
): Layer.Layer<Services, BasiqError.BasiqConfigError | ConfigError.ConfigError> =>
  Layer.provide(layerFromConfig(BasiqConfig.layerConfig(config)), defaultTransport)
