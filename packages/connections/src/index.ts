/**
 * @since 0.1.0
 */

/**
 * Every error class, by name, so `instanceof` works without importing core.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/errors"
/**
 * @since 0.1.0
 */
export * as BasiqConnections from "./BasiqConnections.js"
/**
 * @since 0.1.0
 */
export * as ConnectionFilter from "./ConnectionFilter.js"
/**
 * @since 0.1.0
 */
export * as ConnectionSchemas from "./ConnectionSchemas.js"
/**
 * @since 0.1.0
 */
export * as Connections from "./Connections.js"
/**
 * @since 0.1.0
 */
export * as ConnectionsClient from "./ConnectionsClient.js"
export {
  /**
   * The promise facade, by name (promise users never touch namespaces).
   *
   * @since 0.1.0
   */
  createConnectionsClient
} from "./ConnectionsClient.js"
/**
 * @since 0.1.0
 */
export * as ConnectionsTest from "./ConnectionsTest.js"
/**
 * @since 0.1.0
 */
export * as JobError from "./JobError.js"
export {
  /**
   * A job step failed (by name, for `instanceof` and `catchTag` users).
   *
   * @since 0.1.0
   */
  BasiqJobFailedError,
  /**
   * A wait for a job reached its deadline (by name).
   *
   * @since 0.1.0
   */
  BasiqJobTimeoutError,
  /**
   * A job stopped at an MFA challenge with no `onMfa` handler (by name).
   *
   * @since 0.1.0
   */
  BasiqMfaRequiredError
} from "./JobError.js"
/**
 * @since 0.1.0
 */
export * as JobSchemas from "./JobSchemas.js"
/**
 * @since 0.1.0
 */
export * as Jobs from "./Jobs.js"
