/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export {
  BasiqConnections,
  BasiqJobFailedError,
  BasiqJobTimeoutError,
  BasiqMfaRequiredError,
  ConnectionFilter,
  ConnectionSchemas,
  Connections,
  ConnectionsClient,
  ConnectionsTest,
  createConnectionsClient,
  JobError,
  JobSchemas,
  Jobs
} from "@basiq-effect/connections"
/**
 * @since 0.1.0
 */
export {
  BasiqAuth,
  BasiqClient,
  BasiqConfig,
  BasiqError,
  BasiqRateLimiter,
  BasiqRetry,
  BasiqTokenStore,
  FetchTransport
} from "@basiq-effect/core"
export * from "@basiq-effect/core/errors"
/**
 * @since 0.1.0
 */
export {
  EventSchemas,
  Events,
  EventsTest,
  WebhookSubscriptions,
  Webhooks,
  WebhookVerificationError
} from "@basiq-effect/events"
/**
 * @since 0.1.0
 */
export {
  ConsentSchemas,
  Consents,
  ConsentUi,
  UserSchemas,
  Users,
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
/**
 * The promise client of the whole journey.
 *
 * @since 0.1.0
 */
export { createBasiqClient } from "./BasiqPromiseClient.js"
