/**
 * @since 0.1.0
 */
export * as BasiqError from "./BasiqError.js"
