/**
 * The machinery shared by the promise facades (`@basiq-effect/core/facade`).
 *
 * @since 0.1.0
 */
export * as PromiseFacade from "./PromiseFacade.js"
