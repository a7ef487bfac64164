/**
 * An in-memory Basiq: a stateful fake of Basiq's token, user, Connections and Jobs endpoints,
 * reachable as an `HttpClient` layer or as a local HTTP server, with fault injection.
 *
 * @since 0.1.0
 */

import { FetchTransport } from "@basiq-effect/core"
import { HttpClient } from "@effect/platform"
import type { Scope } from "effect"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import * as Engine from "./internal/engine.js"
import * as Transport from "./internal/transport.js"
import type * as Types from "./internal/types.js"

/**
 * A Basiq user, as `POST /users` answers.
 *
 * @since 0.1.0
 * @category models
 */
export type User = Types.User

/**
 * A connection's status: `pending` while its first job runs, `active` after a job succeeds,
 * `invalid` after a job fails.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionStatus = Types.ConnectionStatus

/**
 * An account embedded in a connection. Money is a decimal string; `balance` and
 * `availableFunds` may be `null`.
 *
 * @since 0.1.0
 * @category models
 */
export type Account = Types.Account

/**
 * The account holder's details, as the bank reports them.
 *
 * @since 0.1.0
 * @category models
 */
export type Profile = Types.Profile

/**
 * A connection as `GET /users/{userId}/connections/{connectionId}` answers it.
 *
 * @since 0.1.0
 * @category models
 */
export type Connection = Types.Connection

/**
 * An account to seed; every field has a default.
 *
 * @since 0.1.0
 * @category models
 */
export type AccountSeed = Types.AccountSeed

/**
 * One request the fake received. The `authorization` header and credentials in bodies
 * (`loginId`, `password`, `securityCode`, `secondaryLoginId`, `mfa-response`) read
 * `"<redacted>"`; JSON and form bodies are parsed, any other body is `"<redacted>"`.
 *
 * @since 0.1.0
 * @category models
 */
export type JournalEntry = Types.JournalEntry

/**
 * What an injected fault does to a matching request.
 *
 * @since 0.1.0
 * @category faults
 */
export type Fault = Types.Fault

/**
 * Constructors for {@link Fault}.
 *
 * - `status`: answer with this status (200-599) instead of running the routes. A string `body`
 *   is sent as is (`text/plain` unless `contentType` says otherwise, e.g. HTML for a 502), any
 *   other body as JSON; without a body, a status from 400 up gets Basiq's error envelope.
 *   `retryAfter` sets `Retry-After` (seconds, or an HTTP date string).
 * - `delay`: wait `duration` on the fake's `Clock`, then run the routes and answer normally. An
 *   aborted request stops waiting and is never applied.
 * - `resetBeforeApply`: the connection is refused; the routes never run. In memory, `fetch`
 *   rejects with `TypeError("fetch failed")` whose `cause.code` is `ECONNREFUSED`; served, the
 *   socket is destroyed unanswered.
 * - `resetAfterApply`: the routes run and their changes stay, then the connection resets. In
 *   memory, `TypeError("fetch failed")` with `cause.code` `ECONNRESET`; served, the socket is
 *   destroyed unanswered.
 * - `truncate`: the routes run; status and headers arrive, then the body breaks half-way
 *   (in memory, reading it fails with `TypeError("terminated")`, `code` `UND_ERR_SOCKET`;
 *   served, the full `content-length` is announced and the socket is destroyed after half).
 *
 * @since 0.1.0
 * @category faults
 */
export const Fault = {
  status: (options: {
    readonly status: number
    readonly body?: unknown
    readonly contentType?: string
    readonly retryAfter?: number | string
  }): Fault => ({ _tag: "Status", ...options }),
  delay: (duration: Duration.DurationInput): Fault => ({ _tag: "Delay", duration: Duration.decode(duration) }),
  resetBeforeApply: (): Fault => ({ _tag: "ResetBeforeApply" }),
  resetAfterApply: (): Fault => ({ _tag: "ResetAfterApply" }),
  truncate: (): Fault => ({ _tag: "Truncate" })
} as const

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category options
 */
export type LayerOptions = Types.LayerOptions

/**
 * Options of {@link serve}: those of {@link layer} plus the port (default 0: a free one).
 *
 * @since 0.1.0
 * @category options
 */
export interface ServeOptions extends LayerOptions {
  readonly port?: number
}

/**
 * A running served fake.
 *
 * @since 0.1.0
 * @category models
 */
export interface Served {
  /** `http://127.0.0.1:<port>`, the base URL to give a client. */
  readonly url: string
  readonly port: number
  /** The controls of this fake. */
  readonly control: InMemoryBasiq.Service
}

/**
 * Controls of the in-memory Basiq: seed state, read the journal, expire tokens, inject faults.
 *
 * @since 0.1.0
 * @category tags
 */
export class InMemoryBasiq extends Context.Tag("@basiq-effect/testing/InMemoryBasiq")<
  InMemoryBasiq,
  InMemoryBasiq.Service
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace InMemoryBasiq {
  /**
   * What the tag holds: `createUser`, `seedConnection`, `journal`, `expireTokens`, `injectFault`.
   *
   * @since 0.1.0
   * @category models
   */
  export type Service = Types.Service
}

const defaultOrigin = "https://au-api.basiq.io"

/**
 * A fresh in-memory Basiq each time the layer is built: an `HttpClient` it answers (whatever the
 * base URL, only the path matters) and its controls. The client is the SDK's own `FetchTransport`
 * over an in-process `fetch` (no socket), so tests run the production client. The fake runs on the
 * runtime that builds the layer, so `TestClock.adjust` advances jobs, token expiry and delays.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<HttpClient.HttpClient | InMemoryBasiq> =>
  Layer.unwrapEffect(
    Effect.map(Engine.make(options, defaultOrigin), (engine) =>
      Layer.merge(
        Layer.succeed(InMemoryBasiq, engine.control),
        Layer.succeed(HttpClient.HttpClient, FetchTransport.make(Transport.makeFetch(engine)))
      )
    )
  )

/**
 * Serves a fresh in-memory Basiq over HTTP on 127.0.0.1 (Node only) until the scope closes.
 * It runs on the real clock. Links in responses point at the served URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (options: ServeOptions = {}): Effect.Effect<Served, never, Scope.Scope> =>
  Effect.gen(function* () {
    const http = yield* Effect.promise(() => import("node:http"))
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof http.createServer>>((resume) => {
        const server = http.createServer()
        server.once("error", (error) => resume(Effect.die(error)))
        server.listen(options.port ?? 0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0)
    const url = `http://127.0.0.1:${port}`
    const engine = yield* Effect.withClock(Engine.make(options, url), Clock.make())
    Transport.attach(server, engine, url)
    return { url, port, control: engine.control }
  })
