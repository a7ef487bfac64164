/**
 * The machinery shared by the promise facades (`createConnectionsClient`, `createBasiqClient`):
 * the client layer built from the facade's options, one `ManagedRuntime`, each call one fiber on
 * it, with `{ signal }` support, tagged errors as rejections and `dispose()`. Every facade method
 * is `run(() => effect, options)`; argument checks happen inside the effect (or in `run` for the
 * trailing options), so a malformed argument from JavaScript is a `BasiqInvalidRequestError`
 * rejection, never a `TypeError`.
 *
 * Exported for the SDK's own packages (`@basiq-effect/core/facade`); applications use the
 * facades, not this module.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as BasiqAuth from "./BasiqAuth.js"
import * as BasiqClient from "./BasiqClient.js"
import * as BasiqConfig from "./BasiqConfig.js"
import type * as BasiqTokenStore from "./BasiqTokenStore.js"
import * as BasiqError from "./errors.js"

/**
 * The options every promise facade takes: those of `BasiqConfig.layer`, exactly one of `apiKey`
 * and `clientToken`, an optional transport and an optional fleet layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions extends BasiqConfig.Options {
  /**
   * For code that holds no API key (a browser): gives a `CLIENT_ACCESS` token your server minted
   * for the user. Called on the first call and again when Basiq refuses the token (see
   * `BasiqAuth.layerClientToken`). Give either this or `apiKey`.
   */
  readonly clientToken?: (() => Promise<string>) | undefined
  /** The transport (default: undici's keep-alive pool on Node.js, `fetch` elsewhere). */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
  /**
   * Share one server token (and optionally one rate budget) with other processes: a layer
   * providing `BasiqTokenStore` and optionally `BasiqRateLimiter`, e.g. `BasiqRedis.layer({ url })`
   * from `@basiq-effect/redis`. Built with the client (a `BasiqRateLimiter` also applies with
   * `clientToken`), closed by `dispose()`.
   */
  readonly fleet?: BasiqTokenStore.Fleet | undefined
}

/**
 * The core services a facade runs on, built from its options. Throws `BasiqConfigError` at once
 * for bad options: invalid config values, both or neither of `apiKey` and `clientToken`, a
 * `clientToken` that is not a function, an `httpClient` or `fleet` that is not a `Layer`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientLayer = (
  options: ClientOptions,
  defaultTransport: Layer.Layer<HttpClient.HttpClient>
): Layer.Layer<
  BasiqClient.BasiqClient | BasiqAuth.BasiqAuth | BasiqConfig.BasiqConfig,
  BasiqError.BasiqConfigError
> => {
  const config = BasiqConfig.validate(options)
  if (Either.isLeft(config)) throw config.left
  const getToken = options.clientToken
  if (getToken !== undefined && typeof getToken !== "function") {
    throw new BasiqError.BasiqConfigError({ option: "clientToken", reason: "must be a function returning a promise" })
  }
  if (getToken !== undefined && options.apiKey !== undefined) {
    throw new BasiqError.BasiqConfigError({
      option: "clientToken",
      reason: "give apiKey or clientToken, not both"
    })
  }
  if (getToken === undefined && options.apiKey === undefined) {
    throw new BasiqError.BasiqConfigError({
      option: "apiKey",
      reason: "is required (or clientToken, for code that holds no API key)"
    })
  }
  if (options.httpClient !== undefined && !Layer.isLayer(options.httpClient)) {
    throw new BasiqError.BasiqConfigError({ option: "httpClient", reason: "must be a Layer providing HttpClient" })
  }
  const fleet = options.fleet
  if (fleet !== undefined && !Layer.isLayer(fleet as unknown)) {
    throw new BasiqError.BasiqConfigError({ option: "fleet", reason: "must be a Layer providing BasiqTokenStore" })
  }
  const auth =
    getToken === undefined
      ? BasiqAuth.layer
      : BasiqAuth.layerClientToken(
          Effect.tryPromise({
            try: async () => getToken(),
            catch: () =>
              new BasiqError.BasiqAuthenticationError({ reason: "the clientToken function failed", attempts: 1 })
          }).pipe(
            Effect.flatMap((token) =>
              typeof token === "string" && token.length > 0
                ? Effect.succeed(Redacted.make(token))
                : Effect.fail(
                    new BasiqError.BasiqAuthenticationError({
                      reason: "the clientToken function must resolve to a non-empty string",
                      attempts: 1
                    })
                  )
            )
          )
        )
  const transport = options.httpClient ?? defaultTransport
  return BasiqClient.layer.pipe(
    Layer.provideMerge(auth),
    Layer.provideMerge(Layer.succeed(BasiqConfig.BasiqConfig, config.right)),
    Layer.provide(fleet === undefined ? transport : Layer.merge(transport, fleet))
  )
}

/**
 * What a user callback (a promise `onProgress`, `onMfa`, ...) threw or rejected with: the facade
 * rejects with that same value, unwrapped.
 *
 * @since 0.1.0
 */
export class CallbackError {
  /**
   * @since 0.1.0
   */
  readonly _tag = "CallbackError"
  constructor(readonly error: unknown) {}
}

/**
 * Runs a user callback (sync or async) as an Effect; what it throws fails with `CallbackError`.
 *
 * @since 0.1.0
 */
export const callback = <A>(f: () => A | Promise<A>): Effect.Effect<A, CallbackError> =>
  Effect.tryPromise({ try: async () => f(), catch: (error) => new CallbackError(error) })

/**
 * A `BasiqInvalidRequestError` for a malformed facade argument (nothing was sent).
 *
 * @since 0.1.0
 */
export const invalidArgument = (reason: string, fields: ReadonlyArray<string>): BasiqError.BasiqInvalidRequestError =>
  new BasiqError.BasiqInvalidRequestError({ reason, fields })

/**
 * Checks that each given argument is a string (only the type: the pipeline checks the content of
 * ids). Fails with one `BasiqInvalidRequestError` naming every argument that is not.
 *
 * @since 0.1.0
 */
export const requireStrings = (
  args: Readonly<Record<string, unknown>>
): Effect.Effect<void, BasiqError.BasiqInvalidRequestError> => {
  const bad = Object.keys(args).filter((name) => typeof args[name] !== "string")
  return bad.length === 0 ? Effect.void : Effect.fail(invalidArgument(`${bad.join(", ")} must be a string`, bad))
}

/**
 * Checks that an optional argument is a function (or `undefined`).
 *
 * @since 0.1.0
 */
export const optionalFunction = (name: string, value: unknown): BasiqError.BasiqInvalidRequestError | undefined =>
  value === undefined || typeof value === "function" ? undefined : invalidArgument(`${name} must be a function`, [name])

/**
 * A credential given as a plain string is wrapped in `Redacted`; anything else is passed on as it
 * is, so that encoding the body names it (a facade never throws on a malformed credential).
 *
 * @since 0.1.0
 */
export const redactString = (value: unknown): unknown => (typeof value === "string" ? Redacted.make(value) : value)

const isAbortSignal = (u: unknown): u is AbortSignal =>
  Predicate.isObject(u) &&
  Predicate.hasProperty(u, "aborted") &&
  typeof u.aborted === "boolean" &&
  Predicate.hasProperty(u, "addEventListener") &&
  typeof u.addEventListener === "function" &&
  Predicate.hasProperty(u, "removeEventListener") &&
  typeof u.removeEventListener === "function"

/**
 * Reads the trailing options of a call: `undefined`, or an object whose `signal`, when present,
 * is an `AbortSignal`.
 *
 * @since 0.1.0
 */
export const readCallOptions = (
  options: unknown
): { readonly signal: AbortSignal | undefined } | BasiqError.BasiqInvalidRequestError => {
  if (options === undefined) return { signal: undefined }
  if (!Predicate.isRecord(options)) return invalidArgument("the options must be an object", ["options"])
  const signal = options.signal
  if (signal === undefined) return { signal: undefined }
  if (!isAbortSignal(signal)) return invalidArgument("signal must be an AbortSignal", ["signal"])
  return { signal }
}

/**
 * A runtime for a promise facade.
 *
 * @since 0.1.0
 */
export interface FacadeRuntime<R> {
  /**
   * Runs the effect `make` builds as one fiber and settles with its outcome: the value; a typed
   * failure as the rejection itself (a `CallbackError` unwrapped); `signal.reason` when the
   * options' signal aborts (the fiber is interrupted); an `Error` saying the client was disposed.
   * `options` are the call's trailing options, checked first (`BasiqInvalidRequestError` when
   * they are not an object or `signal` is not an `AbortSignal`); `make` is only called once they
   * are valid, so it may read them.
   */
  readonly run: <A, E>(make: () => Effect.Effect<A, E, R>, options?: unknown) => Promise<A>
  /** Interrupts calls in flight (they reject saying the client was disposed), then disposes. */
  readonly dispose: () => Promise<void>
}

/**
 * Builds the runtime of a promise facade over `layer` (built once, on the first call).
 *
 * Calls run on a pool of long-lived fibers: one per call in flight, parked between calls, at
 * most {@link maxIdleFibers} kept parked. A new fiber per call would cost its creation and, more,
 * its garbage (a third of the facade's overhead over the Effect API at 50 calls in flight). An
 * aborted signal or `dispose()` interrupts the fiber running the call, which then ends.
 *
 * @since 0.1.0
 */
export const makeFacadeRuntime = <R, E>(layer: Layer.Layer<R, E>): FacadeRuntime<R> => {
  const runtime = ManagedRuntime.make(layer)
  let disposed = false
  /** The runtime once the layer is built, and the build the first calls wait for. */
  let built: Runtime.Runtime<R> | undefined
  let building: Promise<Exit.Exit<Runtime.Runtime<R>, E>> | undefined
  /** The pool's fibers (busy or parked) and the parked ones. */
  const workers = new Set<Worker<R>>()
  const parked: Array<Worker<R>> = []
  const disposedError = () => new Error("basiq-effect: this client has been disposed")

  const settle = <A>(call: Call<A, R>, exit: Exit.Exit<unknown, unknown>) => {
    call.signal?.removeEventListener("abort", call.onAbort)
    if (Exit.isSuccess(exit)) return call.resolve(exit.value as A)
    if (Cause.isInterruptedOnly(exit.cause)) {
      if (call.signal?.aborted) return call.reject(call.signal.reason)
      if (disposed) return call.reject(disposedError())
    }
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") {
      return call.reject(failure.value instanceof CallbackError ? failure.value.error : failure.value)
    }
    call.reject(Cause.squash(exit.cause))
  }

  /** Runs `call`, then parks for the next one (or ends when enough are parked). */
  const work = (worker: Worker<R>, call: Call<unknown, R>): Effect.Effect<void, never, R> =>
    Effect.flatMap(Effect.exit(call.effect), (exit) => {
      worker.call = undefined
      settle(call, exit)
      if (disposed || parked.length >= maxIdleFibers) return Effect.void
      return Effect.flatMap(
        Effect.async<Call<unknown, R>>((resume) => {
          worker.wake = (next) => resume(Effect.succeed(next))
          parked.push(worker)
        }),
        (next) => work(worker, next)
      )
    })

  /** Runs a call on a parked fiber of the pool, or on a new one. */
  const dispatch = <A>(rt: Runtime.Runtime<R>, call: Call<A, R>) => {
    if (disposed || call.signal?.aborted) return settle(call, Exit.interrupt(FiberId.none))
    const parkedWorker = parked.pop()
    const worker: Worker<R> = parkedWorker ?? { fiber: undefined, call: undefined, wake: undefined }
    worker.call = call as Call<unknown, R>
    call.interrupt = () => worker.fiber?.unsafeInterruptAsFork(worker.fiber.id())
    if (parkedWorker !== undefined) {
      const wake = parkedWorker.wake!
      parkedWorker.wake = undefined
      return wake(call as Call<unknown, R>)
    }
    // Started by the scheduler, not here: its fiber is known before the call's code runs.
    const fiber = Runtime.runFork(rt, work(worker, call as Call<unknown, R>), { immediate: false })
    worker.fiber = fiber
    workers.add(worker)
    fiber.addObserver((exit) => {
      workers.delete(worker)
      const index = parked.indexOf(worker)
      if (index >= 0) parked.splice(index, 1)
      const interrupted = worker.call
      worker.call = undefined
      if (interrupted !== undefined) settle(interrupted, exit)
    })
  }

  const run = <A, E2>(make: () => Effect.Effect<A, E2, R>, options?: unknown): Promise<A> => {
    if (disposed) return Promise.reject(disposedError())
    const read = readCallOptions(options)
    if (read instanceof BasiqError.BasiqInvalidRequestError) return Promise.reject(read)
    const { signal } = read
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<A>((resolve, reject) => {
      const call: Call<A, R> = {
        effect: Effect.suspend(make),
        signal,
        resolve,
        reject,
        interrupt: undefined,
        onAbort: () => call.interrupt?.()
      }
      signal?.addEventListener("abort", call.onAbort, { once: true })
      if (built !== undefined) return dispatch(built, call)
      // The first calls wait for the layer (built once); a failed build is each waiting call's
      // rejection, and the next call tries again.
      building ??= Effect.runPromiseExit(runtime.runtimeEffect)
      building.then((exit) => {
        if (Exit.isFailure(exit)) {
          building = undefined
          return settle(call, exit)
        }
        if (!disposed) built = exit.value
        dispatch(exit.value, call)
      })
    })
  }

  const dispose = (): Promise<void> => {
    if (disposed) return Promise.resolve()
    disposed = true
    built = undefined
    for (const worker of workers) worker.fiber?.unsafeInterruptAsFork(worker.fiber.id())
    return runtime.dispose()
  }

  return { run, dispose }
}

/**
 * How many fibers of a facade's pool stay parked between calls (the others end after their call).
 *
 * @since 0.1.0
 */
export const maxIdleFibers = 256

/** A call of the facade: its effect and how it settles. */
interface Call<A, R> {
  readonly effect: Effect.Effect<unknown, unknown, R>
  readonly signal: AbortSignal | undefined
  readonly resolve: (value: A) => void
  readonly reject: (reason: unknown) => void
  /** Interrupts the fiber running the call (set once it has one). */
  interrupt: (() => void) | undefined
  readonly onAbort: () => void
}

/** A fiber of the pool: the call it runs, or how to give it the next one while parked. */
interface Worker<R> {
  fiber: Fiber.RuntimeFiber<void, never> | undefined
  call: Call<unknown, R> | undefined
  wake: ((call: Call<unknown, R>) => void) | undefined
}
