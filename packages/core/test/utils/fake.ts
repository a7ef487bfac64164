/**
 * Test helpers: a scripted, recording `HttpClient` standing in for Basiq, the layers over it, and
 * virtual-time runners. Every test builds its own fake (state lives in `Ref`s created per test).
 */
import { type BasiqAuth, BasiqClient, BasiqConfig } from "@basiq-effect/core"
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Layer, Option, Ref, Schema, TestClock } from "effect"

/** One request the fake received. */
export interface Sent {
  readonly method: string
  readonly url: URL
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** The request body as text ("" when there is none). */
  readonly body: string
  /** The virtual time (ms) at which it was sent. */
  readonly at: number
  /** The bearer token, if the request carried one. */
  readonly bearer: string | undefined
  readonly signal: AbortSignal
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
  | { readonly _tag: "BrokenBody"; readonly status: number }
  | { readonly _tag: "Web"; readonly response: Response }

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
  noBody: (status: number, headers: Readonly<Record<string, string>> = {}): Reply => ({
    _tag: "Status",
    status,
    body: null,
    headers
  }),
  /** Basiq's error envelope. */
  envelope: (
    status: number,
    code: string,
    options: {
      readonly detail?: string
      readonly title?: string
      readonly correlationId?: string
      readonly headers?: Readonly<Record<string, string>>
      readonly source?: { readonly parameter?: string; readonly pointer?: string }
    } = {}
  ): Reply =>
    reply.json(
      status,
      {
        type: "list",
        correlationId: options.correlationId ?? "corr-1",
        data: [
          {
            type: "error",
            code,
            title: options.title ?? "Title",
            detail: options.detail ?? `Detail of ${code}`,
            ...(options.source === undefined ? {} : { source: options.source })
          }
        ]
      },
      options.headers
    ),
  /** A socket error such as `ECONNREFUSED` (nothing sent) or `ECONNRESET` (maybe sent). */
  network: (code: string): Reply => ({ _tag: "Network", code }),
  hang: { _tag: "Hang" } as Reply,
  /** A response whose body fails while being read. */
  brokenBody: (status: number): Reply => ({ _tag: "BrokenBody", status }),
  web: (response: Response): Reply => ({ _tag: "Web", response }),
  /** A successful `/token` answer. */
  token: (accessToken: string, expiresIn = 3600): Reply =>
    reply.json(200, { access_token: accessToken, token_type: "Bearer", expires_in: expiresIn })
} as const

/** Answers a request; `n` is 1-based among requests of the same kind (`/token` or API). */
export type Handler = (sent: Sent, n: number) => Reply | Effect.Effect<Reply>

export interface FakeOptions {
  /** `/token` answers (default `tok_<n>`, 3600 s). */
  readonly token?: Handler
  /** Every other request (default 200 `{}`). */
  readonly api?: Handler
}

export interface Fake {
  readonly client: HttpClient.HttpClient
  readonly sent: Effect.Effect<ReadonlyArray<Sent>>
  readonly tokenRequests: Effect.Effect<ReadonlyArray<Sent>>
  readonly apiRequests: Effect.Effect<ReadonlyArray<Sent>>
  /** How many in-flight replies were interrupted. */
  readonly interrupted: Effect.Effect<number>
  /** Config, auth and client over this fake, with `apiKey` defaulting to {@link apiKey}. */
  readonly layer: (
    options?: Partial<BasiqConfig.Options>
  ) => Layer.Layer<BasiqClient.BasiqClient | BasiqConfig.BasiqConfig | BasiqAuth.BasiqAuth>
}

export const apiKey = "sk_test_KEY"

const decoder = new TextDecoder()

const bodyText = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body
  if (body._tag === "Uint8Array") return decoder.decode(body.body)
  return ""
}

const toResponse = (
  request: HttpClientRequest.HttpClientRequest,
  r: Reply
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  switch (r._tag) {
    case "Status":
      return Effect.succeed(
        HttpClientResponse.fromWeb(request, new Response(r.body, { status: r.status, headers: { ...r.headers } }))
      )
    case "Web":
      return Effect.succeed(HttpClientResponse.fromWeb(request, r.response))
    case "BrokenBody":
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(
            new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('{"partial":'))
                controller.error(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))
              }
            }),
            { status: r.status, headers: { "content-type": "application/json" } }
          )
        )
      )
    case "Hang":
      return Effect.never
    case "Network":
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new TypeError("fetch failed", {
            cause: Object.assign(new Error(`connect ${r.code}`), { code: r.code })
          })
        })
      )
  }
}

const defaultToken: Handler = (_, n) => reply.token(`tok_${n}`)
const defaultApi: Handler = () => reply.json(200, {})

/** A recording, scripted fake of Basiq. */
export const makeFake = (options: FakeOptions = {}): Effect.Effect<Fake> =>
  Effect.gen(function* () {
    const log = yield* Ref.make<ReadonlyArray<Sent>>([])
    const interrupted = yield* Ref.make(0)
    const tokenHandler = options.token ?? defaultToken
    const apiHandler = options.api ?? defaultApi
    const client = HttpClient.make((request, url, signal) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const headers: Record<string, string> = { ...request.headers }
        const authorization = headers.authorization
        const sent: Sent = {
          method: request.method,
          url,
          path: url.pathname,
          headers,
          body: bodyText(request),
          at: now,
          bearer: authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined,
          signal
        }
        const isToken = url.pathname.endsWith("/token")
        const n = yield* Ref.modify(log, (all) => {
          const next = [...all, sent]
          return [next.filter((s) => s.path.endsWith("/token") === isToken).length, next] as const
        })
        const answer = (isToken ? tokenHandler : apiHandler)(sent, n)
        const r = Effect.isEffect(answer) ? yield* answer : answer
        return yield* toResponse(request, r)
      }).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (n) => n + 1)))
    )
    const sent = Ref.get(log)
    return {
      client,
      sent,
      tokenRequests: Effect.map(sent, (all) => all.filter((s) => s.path.endsWith("/token"))),
      apiRequests: Effect.map(sent, (all) => all.filter((s) => !s.path.endsWith("/token"))),
      interrupted: Ref.get(interrupted),
      layer: (config = {}) =>
        BasiqClient.layerFrom(BasiqConfig.layer({ apiKey, ...config })).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
          Layer.orDie
        )
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
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got success ${JSON.stringify(exit.value)}`)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** The value of an exit (throws when it failed). */
export const successOf = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected a success, got ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** The body of the sample operations. */
export const Thing = Schema.Struct({ id: Schema.String })

/** Sample operations declared over the client, used across the test files. */
export const operations = Effect.map(BasiqClient.BasiqClient, (client) => ({
  getThing: client.operation({
    name: "getThing",
    span: "basiq.test.getThing",
    method: "GET",
    path: "/users/{userId}/things/{thingId}",
    idempotent: true,
    success: BasiqClient.json(Thing)
  }),
  listThings: client.operation({
    name: "listThings",
    span: "basiq.test.listThings",
    method: "GET",
    path: "/users/{userId}/things",
    idempotent: true,
    success: BasiqClient.json(Schema.Struct({ items: Schema.Array(Thing) }))
  }),
  createThing: client.operation({
    name: "createThing",
    span: "basiq.test.createThing",
    method: "POST",
    path: "/users/{userId}/things",
    idempotent: false,
    body: Schema.Struct({ name: Schema.String }),
    success: BasiqClient.json(Thing)
  }),
  deleteThing: client.operation({
    name: "deleteThing",
    span: "basiq.test.deleteThing",
    method: "DELETE",
    path: "/users/{userId}/things/{thingId}",
    idempotent: true,
    success: BasiqClient.noContent
  })
}))

/** A value of the wrong type for a typed parameter (the SDK must still refuse it at runtime). */
export const unsafeCoerce = <A>(u: unknown): A => u as A

/**
 * A plain copy of an error's own fields, for `toMatchObject`: vitest's diff of an Effect error
 * recurses through its iterator and overflows the stack when an assertion fails.
 */
export const plain = <A extends object>(a: A): A => ({ ...a })

/** The `attempts` of an error (`BasiqInvalidRequestError` has none: nothing was sent). */
export const attemptsOf = (e: object): number | undefined =>
  "attempts" in e && typeof e.attempts === "number" ? e.attempts : undefined
