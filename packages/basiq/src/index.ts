/**
 * The one import: every module of core, connections, users and events, the all-in-one layers
 * and the promise client.
 *
 * @since 0.1.0
 */

export {
  /**
   * `BasiqConnections` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqConnections,
  /**
   * `BasiqJobFailedError` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqJobFailedError,
  /**
   * `BasiqJobTimeoutError` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqJobTimeoutError,
  /**
   * `BasiqMfaRequiredError` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqMfaRequiredError,
  /**
   * `ConnectionFilter` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  ConnectionFilter,
  /**
   * `ConnectionSchemas` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  ConnectionSchemas,
  /**
   * `Connections` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  Connections,
  /**
   * `ConnectionsClient` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  ConnectionsClient,
  /**
   * `ConnectionsTest` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  ConnectionsTest,
  /**
   * `createConnectionsClient` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  createConnectionsClient,
  /**
   * `JobError` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  JobError,
  /**
   * `JobSchemas` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  JobSchemas,
  /**
   * `Jobs` of `@basiq-effect/connections`, re-exported.
   *
   * @since 0.1.0
   */
  Jobs
} from "@basiq-effect/connections"
export {
  /**
   * `BasiqAuth` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqAuth,
  /**
   * `BasiqClient` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqClient,
  /**
   * `BasiqConfig` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqConfig,
  /**
   * `BasiqError` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqError,
  /**
   * `BasiqRateLimiter` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqRateLimiter,
  /**
   * `BasiqRetry` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqRetry,
  /**
   * `BasiqTokenStore` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  BasiqTokenStore,
  /**
   * `FetchTransport` of `@basiq-effect/core`, re-exported.
   *
   * @since 0.1.0
   */
  FetchTransport
} from "@basiq-effect/core"
/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/errors"
export {
  /**
   * `EventSchemas` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  EventSchemas,
  /**
   * `Events` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  Events,
  /**
   * `EventsTest` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  EventsTest,
  /**
   * `WebhookSubscriptions` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  WebhookSubscriptions,
  /**
   * `Webhooks` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  Webhooks,
  /**
   * `WebhookVerificationError` of `@basiq-effect/events`, re-exported.
   *
   * @since 0.1.0
   */
  WebhookVerificationError
} from "@basiq-effect/events"
export {
  /**
   * `ConsentSchemas` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  ConsentSchemas,
  /**
   * `Consents` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  Consents,
  /**
   * `ConsentUi` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  ConsentUi,
  /**
   * `UserSchemas` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  UserSchemas,
  /**
   * `Users` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  Users,
  /**
   * `UsersTest` of `@basiq-effect/users`, re-exported.
   *
   * @since 0.1.0
   */
  UsersTest
} from "@basiq-effect/users"
/**
 * The all-in-one layers.
 *
 * @since 0.1.0
 */
export * as Basiq from "./Basiq.js"
/**
 * @since 0.1.0
 */
export * as BasiqPromiseClient from "./BasiqPromiseClient.js"
export {
  /**
   * The promise client of the whole journey.
   *
   * @since 0.1.0
   */
  createBasiqClient
} from "./BasiqPromiseClient.js"
