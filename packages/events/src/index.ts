/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/errors"
/**
 * @since 0.1.0
 */
export * as EventSchemas from "./EventSchemas.js"
/**
 * @since 0.1.0
 */
export * as Events from "./Events.js"
/**
 * @since 0.1.0
 */
export * as EventsTest from "./EventsTest.js"
/**
 * @since 0.1.0
 */
export * as WebhookSubscriptions from "./WebhookSubscriptions.js"
/**
 * @since 0.1.0
 */
export * as Webhooks from "./Webhooks.js"
export {
  /**
   * The error of `Webhooks.verify`, by name.
   *
   * @since 0.1.0
   * @category errors
   */
  WebhookVerificationError
} from "./Webhooks.js"
