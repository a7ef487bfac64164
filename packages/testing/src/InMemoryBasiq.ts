/**
 * An in-memory Basiq: a stateful fake of Basiq's token, users, consents, Connections and Jobs
 * endpoints, reachable as an `HttpClient` layer or as a local HTTP server (with a stand-in for the
 * consent UI), with fault injection.
 *
 * @since 0.1.0
 */

import { FetchTransport } from "@basiq-effect/core"
import { HttpClient } from "@effect/platform"
import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Scope } from "effect"
import * as Bodies from "./internal/bodies.js"
import * as Engine from "./internal/engine.js"
import * as Errors from "./internal/errors.js"
import * as Transport from "./internal/transport.js"
import type * as Types from "./internal/types.js"

/**
 * A Basiq user, as `POST /users` and `POST /users/{userId}` answer: `email` and `mobile` always
 * (`""` when not given), the name fields when set, the business fields when given at creation.
 *
 * @since 0.1.0
 * @category models
 */
export type User = Types.User

/**
 * A business user's address.
 *
 * @since 0.2.0
 * @category models
 */
export type BusinessAddress = Types.BusinessAddress

/**
 * A consent's status: `active` until it is revoked or its `expiryDate` passes.
 *
 * @since 0.2.0
 * @category models
 */
export type ConsentStatus = Types.ConsentStatus

/**
 * One permission of a consent's data (e.g. scope `account.basic`, entity `account`).
 *
 * @since 0.2.0
 * @category models
 */
export type ConsentPermission = Types.ConsentPermission

/**
 * A consent as `GET /users/{userId}/consents` lists it; `revoked` is set once it is revoked.
 *
 * @since 0.2.0
 * @category models
 */
export type Consent = Types.Consent

/**
 * A control was given a user the fake does not have.
 *
 * @since 0.2.0
 * @category errors
 */
export const UnknownUserError = Errors.UnknownUserError

/**
 * @since 0.2.0
 * @category errors
 */
export type UnknownUserError = Errors.UnknownUserError

/**
 * `revokeConsent` was given a consent the user does not have (`consentId` undefined: the user has
 * no active consent).
 *
 * @since 0.2.0
 * @category errors
 */
export const UnknownConsentError = Errors.UnknownConsentError

/**
 * @since 0.2.0
 * @category errors
 */
export type UnknownConsentError = Errors.UnknownConsentError

/**
 * `invalidateConnection` was given a connection the user does not have.
 *
 * @since 0.3.0
 * @category errors
 */
export const UnknownConnectionError = Errors.UnknownConnectionError

/**
 * @since 0.3.0
 * @category errors
 */
export type UnknownConnectionError = Errors.UnknownConnectionError

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
 * One webhook delivery attempt, as the `deliveries` control lists it: the subscription, the
 * message (its id is the `webhook-id` header, the same on every retry), the attempt number (1-8),
 * when it ended, the exact headers and body sent, and the outcome (`status`, or `error`:
 * `"timeout"`, `"request failed"`, `"no webhookHandler option"`). The secret is never in it.
 *
 * @since 0.3.0
 * @category models
 */
export type WebhookDelivery = Types.WebhookDelivery

/**
 * Receives the fake's webhook deliveries (option `webhookHandler`): `{ url, headers, body }` in,
 * `{ status }` out. A 2xx is a success; another status, a failure, a defect, or no answer within
 * the timeout (15 s × `webhookRetryScale`, at least 1 s) is a failed attempt, retried on Basiq's
 * schedule.
 *
 * @since 0.3.0
 * @category models
 */
export type WebhookHandler = Types.WebhookHandler

/**
 * What an injected fault does to a matching request.
 *
 * @since 0.1.0
 * @category faults
 */
export type Fault = Types.Fault

/** A size in bytes: a non-negative safe integer, else a `RangeError` naming the constructor's option. */
const byteCount = (fault: string, option: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Fault.${fault}: ${option} must be a non-negative integer`)
  }
  return value
}

/** A status a `Response` can carry (200-599, default 200), else a `RangeError`. */
const statusOf = (fault: string, status = 200): number => {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`Fault.${fault}: status must be an integer from 200 to 599`)
  }
  return status
}

/** Headers that can be sent, else a `TypeError` naming the header (never its value). */
const headers = (fault: string, given: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
  for (const [name, value] of Object.entries(given)) {
    try {
      new Headers([[name, value]])
    } catch {
      throw new TypeError(`Fault.${fault}: header ${JSON.stringify(name)} cannot be sent`)
    }
  }
  return given
}

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
 *   socket is destroyed unanswered (the request did reach the server, so a client sees a reset
 *   that may have been applied, not a refusal).
 * - `resetAfterApply`: the routes run and their changes stay, then the connection resets. In
 *   memory, `TypeError("fetch failed")` with `cause.code` `ECONNRESET`; served, the socket is
 *   destroyed unanswered.
 * - `truncate`: the routes run; status and headers arrive, then the body breaks half-way
 *   (in memory, reading it fails with `TypeError("terminated")`, `code` `UND_ERR_SOCKET`;
 *   served, the full `content-length` is announced and the socket is destroyed after half). An
 *   answer without a body (a 204, or to a HEAD) has nothing to cut off and arrives whole.
 *
 * Hostile answers, for testing a client's hardening; the routes never run. Each is rendered by the
 * in-memory `fetch` the way Node's `fetch` would present it, and sent over the wire as is when
 * served:
 *
 * - `redirect`: a 3xx (default 302) with `Location: location` and an empty body. In memory,
 *   `fetch` follows `init.redirect`: `"manual"` returns the 3xx response as is (as Node's `fetch`
 *   does); `"error"` rejects with `TypeError("fetch failed")`; `"follow"` (the default) requests
 *   the `Location` again from the fake when it is on the origin of the redirected request (with
 *   the same headers; a 303, or a 301/302 after a POST, becomes a body-less GET), at most 20
 *   times, and rejects with `TypeError("fetch failed")` (`cause.code` `ENOTFOUND`) for any other
 *   origin, which it cannot reach. Served, a client's own `fetch` decides; a redirect to another
 *   served fake reaches it. The journal keeps each request the fake received, so whether an
 *   `authorization` header reached the redirect target shows there (as `"<redacted>"`).
 * - `body`: exactly these bytes (a string is sent as UTF-8) and headers, with `status` (default
 *   200). `content-length` is the body's unless `headers` gives one. In memory, a
 *   `content-encoding` of `gzip`, `x-gzip` or `deflate` is decoded while the body is read, as
 *   `fetch` does (a `br` body arrives as sent).
 * - `hugeBody`: `status` (default 200), then `bytes` bytes of JSON-looking text
 *   (`{"data":"xxx...x"}`), with `content-type: application/json` and `content-length: bytes`
 *   announced, produced in 64 KiB chunks as they are read (never held whole).
 * - `endlessBody`: `status` (default 200) and `content-type: application/json`, then
 *   `{"data":"xxx...` that never ends and has no `content-length` (served: chunked). Chunks are
 *   produced only as they are read; the production stops when the reader cancels or the request is
 *   aborted (in memory) or the connection closes (served). Bounded so a client that never stops
 *   cannot hang a test run: after 1 GiB or 60 s of real time, whichever comes first, the
 *   connection drops (in memory, reading fails with `TypeError("terminated")` as for `truncate`;
 *   served, the socket is destroyed).
 * - `gzipBomb`: a 200 with `content-type: application/json` and `content-encoding: gzip` (or
 *   `deflate`) whose small body inflates to `inflatedBytes` bytes of `{"data":"000...0"}` (64 MiB
 *   is about 64 KiB compressed). The compressed bytes are built, streaming, when the fault is
 *   created. In memory, the body is decompressed lazily while it is read, as `fetch` does, so a
 *   reader sees the inflated bytes (while `content-length` is the compressed size); served, the
 *   compressed bytes are sent as is.
 *
 * These constructors check their arguments: a size that is not a non-negative integer, or a status
 * outside 200-599, throws a `RangeError`; a header (or `location`) that cannot be sent throws a
 * `TypeError` naming the header, never its value.
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
  truncate: (): Fault => ({ _tag: "Truncate" }),
  redirect: (options: { readonly status?: 301 | 302 | 303 | 307 | 308; readonly location: string }): Fault => {
    headers("redirect", { location: options.location })
    return { _tag: "Redirect", status: options.status ?? 302, location: options.location }
  },
  body: (options: {
    readonly status?: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body: string | Uint8Array
  }): Fault => ({
    _tag: "Body",
    status: statusOf("body", options.status),
    headers: headers("body", options.headers ?? {}),
    body: options.body
  }),
  hugeBody: (options: { readonly bytes: number; readonly status?: number }): Fault => ({
    _tag: "HugeBody",
    bytes: byteCount("hugeBody", "bytes", options.bytes),
    status: statusOf("hugeBody", options.status)
  }),
  endlessBody: (options: { readonly status?: number } = {}): Fault => ({
    _tag: "EndlessBody",
    status: statusOf("endlessBody", options.status)
  }),
  gzipBomb: (options: { readonly inflatedBytes: number; readonly encoding?: "gzip" | "deflate" }): Fault => {
    const fault = {
      _tag: "GzipBomb",
      inflatedBytes: byteCount("gzipBomb", "inflatedBytes", options.inflatedBytes),
      encoding: options.encoding ?? "gzip"
    } as const
    // Built now, streaming, so a request meeting the fault does not wait for it.
    Bodies.bombBytes(fault)
    return fault
  }
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
  /**
   * `<url>/consent/home`: the consent page, Basiq's consent UI in miniature (give it as the SDK's
   * `consentUiUrl`). It takes `?token=<CLIENT_ACCESS token>&action=&state=&institutionId=&connectionId=`.
   */
  readonly consentUrl: string
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
   * What the tag holds: `createUser`, `seedConnection`, `journal`, `expireTokens`, `injectFault`,
   * `completeConsent`, `revokeConsent`.
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
 * @example
 * ```ts
 * import { BasiqConnections, Connections } from "@basiq-effect/connections"
 * import { InMemoryBasiq } from "@basiq-effect/testing"
 * import { Effect, Layer } from "effect"
 *
 * const TestLayer = BasiqConnections.layerWithoutHttpClient({ apiKey: "any-key" }).pipe(
 *   Layer.provideMerge(InMemoryBasiq.layer())
 * )
 *
 * const program = Effect.gen(function* () {
 *   const fake = yield* InMemoryBasiq.InMemoryBasiq
 *   const connections = yield* Connections.Connections
 *   const user = yield* fake.createUser({ email: "max@example.com" })
 *   yield* fake.seedConnection({ userId: user.id })
 *   const list = yield* connections.getConnections(user.id)
 *   if (list.data.length !== 1) throw new Error("expected one connection")
 * })
 *
 * await Effect.runPromise(program.pipe(Effect.provide(TestLayer)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<HttpClient.HttpClient | InMemoryBasiq> =>
  Layer.unwrapScoped(
    Effect.map(
      // Not `acquireRelease`: the engine captures its runtime, which must stay interruptible.
      Effect.tap(Engine.make(options, defaultOrigin), (engine) => Effect.addFinalizer(() => engine.close)),
      (engine) =>
        Layer.merge(
          Layer.succeed(InMemoryBasiq, engine.control),
          Layer.succeed(HttpClient.HttpClient, FetchTransport.make(Transport.makeFetch(engine)))
        )
    )
  )

/**
 * Serves a fresh in-memory Basiq over HTTP on 127.0.0.1 (Node only) until the scope closes.
 * It runs on the real clock. Links in responses point at the served URL. It also serves the
 * consent page at `consentUrl`, which redirects to `consentRedirectUrl` (default
 * `<url>/consent/done`); a `consentRedirectUrl` that is not an absolute http(s) URL is a defect.
 * Browsers on this machine may call it: it answers CORS preflights from loopback origins
 * (`http(s)://127.x.x.x`, `localhost`, `[::1]`, any port) and gives their requests
 * `Access-Control-Allow-Origin`, exposing `Retry-After`; other origins get no CORS headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (options: ServeOptions = {}): Effect.Effect<Served, never, Scope.Scope> =>
  Effect.gen(function* () {
    const redirect = options.consentRedirectUrl
    if (redirect !== undefined && !(URL.canParse(redirect) && /^https?:$/.test(new URL(redirect).protocol))) {
      return yield* Effect.dieMessage("InMemoryBasiq.serve: consentRedirectUrl must be an absolute http(s) URL")
    }
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
    const redirectUrl = options.consentRedirectUrl ?? `${url}/consent/done`
    const engine = yield* Effect.withClock(Engine.make(options, url, { redirectUrl }), Clock.make())
    yield* Effect.addFinalizer(() => engine.close)
    Transport.attach(server, engine, url)
    return { url, port, consentUrl: `${url}/consent/home`, control: engine.control }
  })

/**
 * A served fake for code that does not use Effect (see {@link start}): its URLs, each control of
 * {@link InMemoryBasiq.Service} as a function returning a promise (a control that fails rejects
 * with its error, e.g. `UnknownUserError`), and `close()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Started {
  /** `http://127.0.0.1:<port>`, the base URL to give a client. */
  readonly url: string
  readonly port: number
  /** `<url>/consent/home`: the consent page (give it as the SDK's `consentUiUrl`). */
  readonly consentUrl: string
  /** Creates a user, as `POST /users` would (no format checks). */
  readonly createUser: (options?: Parameters<Types.Service["createUser"]>[0]) => Promise<User>
  /** What the consent UI does when a person consents and logs in: `{ jobIds }`. */
  readonly completeConsent: (
    options: Parameters<Types.Service["completeConsent"]>[0]
  ) => Promise<{ readonly jobIds: ReadonlyArray<string> }>
  /** Adds a connection with no job behind it. */
  readonly seedConnection: (options: Parameters<Types.Service["seedConnection"]>[0]) => Promise<Connection>
  /** Revokes a consent (by id, else the user's active one); the user's connections go. */
  readonly revokeConsent: (options: Parameters<Types.Service["revokeConsent"]>[0]) => Promise<Consent>
  /** Makes a connection `invalid`, as the bank does when a login stops working. */
  readonly invalidateConnection: (options: Parameters<Types.Service["invalidateConnection"]>[0]) => Promise<Connection>
  /** Every webhook delivery attempt, oldest first. */
  readonly deliveries: () => Promise<ReadonlyArray<WebhookDelivery>>
  /** The last requests received, oldest first. */
  readonly journal: () => Promise<ReadonlyArray<JournalEntry>>
  /** Makes every token issued so far expired. */
  readonly expireTokens: () => Promise<void>
  /** Applies a fault to the next matching requests. */
  readonly injectFault: (options: Parameters<Types.Service["injectFault"]>[0]) => Promise<void>
  /** Stops the server and the fake (pending webhook retries included). Calling it again does nothing. */
  readonly close: () => Promise<void>
}

/** Runs a control; a failure rejects with the error itself (not Effect's `FiberFailure`). */
const promise = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })

/**
 * {@link serve} for promise users: serves a fresh in-memory Basiq on 127.0.0.1 (Node only, real
 * clock) with no Effect `Scope` to manage. It runs until `close()`.
 *
 * @example
 * ```ts
 * import { createConnectionsClient } from "@basiq-effect/connections"
 * import { InMemoryBasiq } from "@basiq-effect/testing"
 *
 * const fake = await InMemoryBasiq.start({ stepDuration: 5 })
 * const basiq = createConnectionsClient({ apiKey: "any-key", baseUrl: fake.url })
 * const user = await fake.createUser({ email: "max@example.com" })
 * const { jobIds } = await fake.completeConsent({ userId: user.id, loginId: "laurieBream", password: "business2024" })
 * const job = await basiq.waitForJob(jobIds[0] ?? "")
 * if (!job.steps.every((step) => step.status === "success")) throw new Error("the job did not succeed")
 * await basiq.dispose()
 * await fake.close()
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options: ServeOptions = {}): Promise<Started> => {
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(Scope.extend(serve(options), scope))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    throw Cause.squash(exit.cause)
  }
  const { url, port, consentUrl, control } = exit.value
  let closing: Promise<void> | undefined
  return {
    url,
    port,
    consentUrl,
    createUser: (options) => promise(control.createUser(options)),
    completeConsent: (options) => promise(control.completeConsent(options)),
    seedConnection: (options) => promise(control.seedConnection(options)),
    revokeConsent: (options) => promise(control.revokeConsent(options)),
    invalidateConnection: (options) => promise(control.invalidateConnection(options)),
    deliveries: () => promise(control.deliveries),
    journal: () => promise(control.journal),
    expireTokens: () => promise(control.expireTokens()),
    injectFault: (options) => promise(control.injectFault(options)),
    close: () => {
      closing ??= Effect.runPromise(Scope.close(scope, Exit.void))
      return closing
    }
  }
}
