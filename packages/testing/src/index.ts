/**
 * An in-memory Basiq: users, consents, Connections and Jobs as a stateful fake, reachable as an
 * `HttpClient` layer or an HTTP server on 127.0.0.1, with fault injection and a request journal.
 *
 * @since 0.1.0
 */

/**
 * The fake: `layer`, `serve`, `start`, the control service, faults and its models.
 *
 * @since 0.1.0
 */
export * as InMemoryBasiq from "./InMemoryBasiq.js"
