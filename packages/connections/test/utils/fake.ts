/**
 * The package's shared test helpers: a scripted, recording `HttpClient` standing in for Basiq
 * (the approach of core's `test/utils/fake.ts`), the layers and promise facade over it, and
 * virtual-time runners. Every test builds its own fake (its state lives in `Ref`s created by the
 * test). `@basiq-effect/testing` is not used here: it depends on this package.
 */
import type { BasiqConfig } from "@basiq-effect/core"
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Layer, Option, Ref, TestClock } from "effect"
import * as BasiqConnections from "../../src/BasiqConnections.js"
import * as Connections from "../../src/Connections.js"
import * as ConnectionsClient from "../../src/ConnectionsClient.js"
import * as Jobs from "../../src/Jobs.js"

export const API_KEY = "sk_test_connections"
export const BASE = "https://au-api.basiq.io"

/** One request the fake received. */
export interface Sent {
  readonly method: string
  readonly url: URL
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** The body as text, `undefined` when the request had none. */
  readonly body: string | undefined
  /** The clock time (ms) at which it was sent. */
  readonly at: number
  /** The bearer token, if the request carried one. */
  readonly bearer: string | undefined
}

/** What the fake answers. */
export type Reply =
  | {
      readonly _tag: "Status"
      readonly status: number
      readonly body: string | null
      readonly headers: Readonly<Record<string, string>>
    }
  | { readonly _tag: "Network"; readonly code: string }
  | { readonly _tag: "Hang" }
  /** A web `Response` built afresh for each request (a body can be read once). */
  | { readonly _tag: "Web"; readonly make: () => Response }

/** Builders of replies. */
export const reply = {
  json: (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Reply => ({
    _tag: "Status",
    status,
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers }
  }),
  text: (status: number, body: string, headers: Readonly<Record<string, string>> = {}): Reply => ({
    _tag: "Status",
    status,
    body,
    headers
  }),
  empty: (status: number, headers: Readonly<Record<string, string>> = {}): Reply => ({
    _tag: "Status",
    status,
    body: null,
    headers
  }),
  /** Basiq's error envelope (correlation id `corr-<status>` unless given). */
  envelope: (
    status: number,
    code: string,
    options: {
      readonly detail?: string
      readonly title?: string
      readonly correlationId?: string
      readonly headers?: Readonly<Record<string, string>>
    } = {}
  ): Reply =>
    reply.json(
      status,
      {
        type: "list",
        correlationId: options.correlationId ?? `corr-${status}`,
        data: [
          {
            type: "error",
            code,
            title: options.title ?? `Title ${status}`,
            detail: options.detail ?? `Detail ${status}`
          }
        ]
      },
      options.headers
    ),
  /** A socket failure (`ECONNREFUSED`: nothing was sent; `ECONNRESET`: maybe sent). */
  network: (code: string): Reply => ({ _tag: "Network", code }),
  /** No answer, ever. */
  hang: { _tag: "Hang" } as Reply,
  web: (make: () => Response): Reply => ({ _tag: "Web", make }),
  /** A successful `/token` answer with the token `tok_<n>`. */
  token: (n: number, expiresIn = 3600): Reply =>
    reply.json(200, { access_token: `tok_${n}`, token_type: "Bearer", expires_in: expiresIn })
} as const

/** Answers a request; `n` is 1-based among requests of the same kind (`/token` or API). */
export type Handler = (sent: Sent, n: number) => Reply | Effect.Effect<Reply>

/** Answers the n-th API request (1-based) with the n-th reply, repeating the last one. */
export const sequence =
  (...replies: ReadonlyArray<Reply>): Handler =>
  (_, n) =>
    replies[Math.min(n, replies.length) - 1] ?? reply.empty(500)

export interface FakeOptions {
  /** Every request but `/token` (default: 200 `{}`). */
  readonly api?: Handler
  /** `/token` (default: `tok_<n>`, 3600 s). */
  readonly token?: Handler
}

/** Config options without the API key (the fake's layers use {@link API_KEY}). */
export type ConfigOptions = Omit<BasiqConfig.Options, "apiKey">

export interface Fake {
  readonly client: HttpClient.HttpClient
  /** The fake as a transport layer (e.g. the facade's `httpClient` option). */
  readonly httpClient: Layer.Layer<HttpClient.HttpClient>
  /** Every request, in order. */
  readonly sent: Effect.Effect<ReadonlyArray<Sent>>
  /** Every request but `/token`. */
  readonly api: Effect.Effect<ReadonlyArray<Sent>>
  /** The `/token` requests. */
  readonly tokens: Effect.Effect<ReadonlyArray<Sent>>
  /** How many replies in flight were interrupted. */
  readonly interrupted: Effect.Effect<number>
  /** `Connections`, `Jobs` and the core services over this fake (a fresh auth cache each build). */
  readonly layer: (config?: ConfigOptions) => Layer.Layer<BasiqConnections.Services>
  /** Runs `f` with a `Connections` over this fake. */
  readonly use: <A, E>(
    f: (connections: Connections.Service) => Effect.Effect<A, E>,
    config?: ConfigOptions
  ) => Effect.Effect<A, E>
  /** Runs `f` with a `Jobs` over this fake. */
  readonly useJobs: <A, E>(
    f: (jobs: Jobs.Service) => Effect.Effect<A, E>,
    config?: ConfigOptions
  ) => Effect.Effect<A, E>
  /** A promise client over this fake (dispose it at the end of the test). */
  readonly facade: (config?: ConfigOptions) => ConnectionsClient.ConnectionsClient
}

const decoder = new TextDecoder()

const toResponse = (
  request: HttpClientRequest.HttpClientRequest,
  r: Reply
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  switch (r._tag) {
    case "Status":
      return Effect.sync(() =>
        HttpClientResponse.fromWeb(request, new Response(r.body, { status: r.status, headers: { ...r.headers } }))
      )
    case "Web":
      return Effect.sync(() => HttpClientResponse.fromWeb(request, r.make()))
    case "Hang":
      return Effect.never
    case "Network":
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new TypeError("fetch failed", {
            cause: Object.assign(new Error(`socket ${r.code}`), { code: r.code })
          })
        })
      )
  }
}

const defaultToken: Handler = (_, n) => reply.token(n)
const defaultApi: Handler = () => reply.json(200, {})

/** A recording, scripted fake of Basiq. */
export const makeFake = (options: FakeOptions = {}): Effect.Effect<Fake> =>
  Effect.gen(function* () {
    const log = yield* Ref.make<ReadonlyArray<Sent>>([])
    const interrupted = yield* Ref.make(0)
    const tokenHandler = options.token ?? defaultToken
    const apiHandler = options.api ?? defaultApi
    const client = HttpClient.make((request, url) =>
      Effect.gen(function* () {
        const headers: Record<string, string> = { ...request.headers }
        const authorization = headers.authorization
        const sent: Sent = {
          method: request.method,
          url,
          path: url.pathname,
          headers,
          body: request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : undefined,
          at: yield* Clock.currentTimeMillis,
          bearer: authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined
        }
        const isToken = url.pathname.endsWith("/token")
        const n = yield* Ref.modify(log, (all) => {
          const next = [...all, sent]
          return [next.filter((s) => s.path.endsWith("/token") === isToken).length, next] as const
        })
        const answer = (isToken ? tokenHandler : apiHandler)(sent, n)
        const r = Effect.isEffect(answer) ? yield* answer : answer
        return yield* toResponse(request, r)
      }).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (k) => k + 1)))
    )
    const httpClient = Layer.succeed(HttpClient.HttpClient, client)
    const layer = (config: ConfigOptions = {}): Layer.Layer<BasiqConnections.Services> =>
      BasiqConnections.layerWithoutHttpClient({ apiKey: API_KEY, ...config }).pipe(
        Layer.provide(httpClient),
        Layer.orDie
      )
    const sent = Ref.get(log)
    return {
      client,
      httpClient,
      sent,
      api: Effect.map(sent, (all) => all.filter((s) => !s.path.endsWith("/token"))),
      tokens: Effect.map(sent, (all) => all.filter((s) => s.path.endsWith("/token"))),
      interrupted: Ref.get(interrupted),
      layer,
      use: (f, config) => Effect.flatMap(Connections.Connections, f).pipe(Effect.provide(layer(config))),
      useJobs: (f, config) => Effect.flatMap(Jobs.Jobs, f).pipe(Effect.provide(layer(config))),
      facade: (config = {}) => ConnectionsClient.createConnectionsClient({ apiKey: API_KEY, ...config, httpClient })
    }
  })

/**
 * Forks `effect`, advances the virtual clock by `duration` and returns its exit. A call still
 * running by then is interrupted and the test fails (no hang until vitest's timeout).
 */
export const runFor = <A, E>(
  effect: Effect.Effect<A, E>,
  duration: Duration.DurationInput = "10 minutes"
): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(duration)
    const exit = yield* Fiber.poll(fiber)
    if (Option.isNone(exit)) {
      yield* Fiber.interrupt(fiber)
      return yield* Effect.dieMessage(`still running after ${Duration.format(Duration.decode(duration))}`)
    }
    return exit.value
  })

/** The typed failure of an exit (throws when the exit succeeded or died). */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** A value of the wrong type, as a JavaScript caller could pass it (the SDK must still refuse it). */
export const unsafeCoerce = <A>(u: unknown): A => u as A

/** What a promise settled with: `{ ok: value }` or `{ error }` (never throws). */
export const settle = <A>(promise: Promise<A>): Effect.Effect<{ readonly ok: A } | { readonly error: unknown }> =>
  Effect.promise(() =>
    promise.then(
      (ok) => ({ ok }),
      (error: unknown) => ({ error })
    )
  )
