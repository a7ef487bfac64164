/**
 * Node-only entry point (`@basiq-effect/core/node`).
 *
 * @since 0.1.0
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"
