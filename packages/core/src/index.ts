/**
 * @since 0.1.0
 */
export * as BasiqAuth from "./BasiqAuth.js"
/**
 * @since 0.1.0
 */
export * as BasiqClient from "./BasiqClient.js"
/**
 * @since 0.1.0
 */
export * as BasiqConfig from "./BasiqConfig.js"
/**
 * @since 0.1.0
 */
export * as BasiqError from "./BasiqError.js"
/**
 * @since 0.1.0
 */
export * as BasiqRateLimiter from "./BasiqRateLimiter.js"
/**
 * @since 0.1.0
 */
export * as BasiqRetry from "./BasiqRetry.js"
/**
 * @since 0.1.0
 */
export * as BasiqTokenStore from "./BasiqTokenStore.js"
/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
/**
 * @since 0.1.0
 */
export * as FetchTransport from "./FetchTransport.js"
