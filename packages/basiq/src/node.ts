/**
 * Node-only entry point (`basiq-effect/node`): undici's keep-alive pool as the transport.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/node"
