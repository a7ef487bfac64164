/**
 * @since 0.1.0
 */

/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/errors"
/**
 * The fleet layers: `BasiqTokenStore` and `BasiqRateLimiter` on Redis.
 *
 * @since 0.1.0
 */
export * as BasiqRedis from "./BasiqRedis.js"
