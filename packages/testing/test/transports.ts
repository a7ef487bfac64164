/**
 * The transport matrix, defined once: the clients users run the SDK on, each over the fake.
 *
 * - `FetchTransport`: the SDK's fetch transport (the default outside Node), over the fake's
 *   in-process `fetch` (`InMemoryBasiq.layer()` itself);
 * - `FetchHttpClient`: platform's fetch client (the bring-your-own case), over the same in-process
 *   `fetch`, given through its `FetchHttpClient.Fetch` tag;
 * - `UndiciHttpClient`: the SDK's Node transport (Node's default), against `InMemoryBasiq.serve()`
 *   over loopback.
 *
 * The in-memory fakes run on the test's `Clock` (the `TestClock` under `it.effect`); the served one
 * runs on the live clock (as `serve` always does) while the SDK's own sleeps (retry delays,
 * `Retry-After`, the per-attempt deadline) stay on the test's clock. {@link drive} runs a call to
 * the end either way: it lets real I/O happen between `TestClock` steps, bounded in wall-clock time.
 */
import { BasiqConnections } from "@basiq-effect/connections"
import type { BasiqConfig } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Context, Duration, Effect, Fiber, Layer, Option, type Scope, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { BASE, inMemoryFetch } from "./helpers.js"

export type ClientName = "FetchTransport" | "FetchHttpClient" | "UndiciHttpClient"

/** A fake and a client to it. */
export interface Fake {
  /** The base URL to give the SDK (and to read state back through `http`). */
  readonly url: string
  readonly control: InMemoryBasiq.InMemoryBasiq.Service
  /** The client to the fake (its connection pool, if any, closed with the fake's scope). */
  readonly http: HttpClient.HttpClient
  /** Another client to the same fake, as a layer: its pool, if any, is closed with the layer. */
  readonly layer: Layer.Layer<HttpClient.HttpClient>
}

export interface MatrixClient {
  readonly name: ClientName
  /** Over a socket on loopback, the fake on the live clock (else in process, on the test's clock). */
  readonly served: boolean
  /** A transport the SDK ships (never follows a redirect), as opposed to a brought client. */
  readonly shipped: boolean
  /** A fresh fake, and this client to it, for the scope. */
  readonly fake: (options?: InMemoryBasiq.LayerOptions) => Effect.Effect<Fake, never, Scope.Scope>
}

const fetchTransport: MatrixClient = {
  name: "FetchTransport",
  served: false,
  shipped: true,
  fake: (options = {}) =>
    Effect.map(Layer.build(InMemoryBasiq.layer(options)), (context) => {
      const http = Context.get(context, HttpClient.HttpClient)
      return {
        url: BASE,
        control: Context.get(context, InMemoryBasiq.InMemoryBasiq),
        http,
        layer: Layer.succeed(HttpClient.HttpClient, http)
      }
    })
}

const fetchHttpClient: MatrixClient = {
  name: "FetchHttpClient",
  served: false,
  shipped: false,
  fake: (options = {}) =>
    Effect.gen(function* () {
      const { basiq, fetch } = yield* inMemoryFetch(options)
      const layer = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)))
      const http = yield* Effect.provide(HttpClient.HttpClient, layer)
      return { url: BASE, control: basiq, http, layer }
    })
}

const undiciHttpClient: MatrixClient = {
  name: "UndiciHttpClient",
  served: true,
  shipped: true,
  fake: (options = {}) =>
    Effect.gen(function* () {
      const served = yield* InMemoryBasiq.serve(options)
      // Built after the server, so closed before it.
      const http = yield* UndiciHttpClient.make()
      return { url: served.url, control: served.control, http, layer: UndiciHttpClient.layer }
    })
}

/** Every client, in the order the suites run. */
export const clients: ReadonlyArray<MatrixClient> = [fetchTransport, fetchHttpClient, undiciHttpClient]

/** The base URL of the fake the SDK under test talks to. */
export class FakeUrl extends Context.Tag("test/FakeUrl")<FakeUrl, string>() {}

/**
 * The Connections SDK over a fresh fake reached by `client`: the SDK's services, the fake's
 * controls, the client itself (to read state back) and the fake's URL.
 */
export const sdkLayer = (
  client: MatrixClient,
  config: Omit<BasiqConfig.Options, "baseUrl">,
  options: {
    readonly fake?: InMemoryBasiq.LayerOptions
    /** What the SDK is given instead of the client itself (e.g. the client with a wrapper). */
    readonly wrap?: (http: HttpClient.HttpClient) => HttpClient.HttpClient
  } = {}
) =>
  Layer.unwrapScoped(
    Effect.map(client.fake(options.fake), (fake) =>
      BasiqConnections.layerWithoutHttpClient({ ...config, baseUrl: fake.url }).pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Layer.succeed(InMemoryBasiq.InMemoryBasiq, fake.control),
            Layer.succeed(HttpClient.HttpClient, options.wrap === undefined ? fake.http : options.wrap(fake.http)),
            Layer.succeed(FakeUrl, fake.url)
          )
        )
      )
    )
  )

// -------------------------------------------------------------------------------------------------
// driving the clock
// -------------------------------------------------------------------------------------------------

/** One turn of the real event loop, so in-flight requests (in memory or on a socket) make progress. */
export const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** How long (wall-clock) a driven call may take before the test fails instead of hanging. */
const WALL_BOUND_MS = 20_000

/**
 * Runs `effect` in a fiber and drives the TestClock until it is done: it lets the event loop turn
 * (requests complete in promise callbacks or on sockets), and when the fiber waits for a sleep
 * shorter than the per-attempt `timeout` (a retry delay or a `Retry-After`), advances the clock
 * exactly to it. It never advances to a per-attempt timeout while a request is in flight, except
 * once when `held` says the fake holds the request (a `Fault.delay`). Returns the exit and the
 * TestClock time the call took. Fails (as a defect) when the call is not done after
 * {@link WALL_BOUND_MS} of real time.
 */
export const drive = <A, E, R, R2 = never>(
  effect: Effect.Effect<A, E, R>,
  options: { readonly timeout: Duration.Duration; readonly held?: Effect.Effect<boolean, never, R2> }
) =>
  Effect.gen(function* () {
    const timeoutMs = Duration.toMillis(options.timeout)
    let held = options.held
    const start = yield* TestClock.currentTimeMillis
    const wallStart = performance.now()
    const fiber = yield* Effect.fork(effect)
    while (performance.now() - wallStart < WALL_BOUND_MS) {
      yield* settle
      const exit = yield* Fiber.poll(fiber)
      const now = yield* TestClock.currentTimeMillis
      if (Option.isSome(exit)) return { exit: exit.value, elapsed: now - start }
      const pending = [...(yield* TestClock.sleeps())].map((at) => at - now).filter((d) => d > 0)
      const next = Math.min(...pending)
      if (next < timeoutMs) yield* TestClock.adjust(Duration.millis(next))
      else if (next === timeoutMs && held !== undefined && (yield* held)) {
        held = undefined
        yield* TestClock.adjust(Duration.millis(next))
      }
    }
    yield* Fiber.interrupt(fiber)
    return yield* Effect.dieMessage(`the call was not done after ${WALL_BOUND_MS} ms of real time`)
  })

/** Polls `condition` every event-loop turn until it holds, for at most `ms` of real time. */
export const eventually = <E, R>(condition: Effect.Effect<boolean, E, R>, ms = 5_000) =>
  Effect.gen(function* () {
    const wallStart = performance.now()
    for (;;) {
      if (yield* condition) return true
      if (performance.now() - wallStart > ms) return false
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))
    }
  })
