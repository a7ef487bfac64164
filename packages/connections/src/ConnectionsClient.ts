/**
 * The promise facade: every operation as a plain `async` method, for code that does not use
 * Effect. Backed by one `ManagedRuntime`, built once per client.
 *
 * ```ts
 * import { createConnectionsClient, BasiqNotFoundError } from "@basiq-effect/connections"
 *
 * const basiq = createConnectionsClient({ apiKey: process.env.BASIQ_API_KEY! })
 * const job = await basiq.postConnection(userId, { loginId, password, institution: { id: "AU00000" } })
 * const done = await basiq.waitForJob(job.id, { onProgress: (job) => console.log(job.steps) })
 * await basiq.dispose()
 * ```
 *
 * Rejections are the SDK's tagged error instances (`instanceof BasiqNotFoundError`, `_tag`,
 * `status`, `code`, `correlationId`); an aborted call rejects with `signal.reason`, as `fetch`
 * does.
 *
 * @since 0.1.0
 */

import { BasiqClient, BasiqConfig } from "@basiq-effect/core"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import { defaultTransport } from "#transport"
import * as BasiqConnections from "./BasiqConnections.js"
import type * as ConnectionFilter from "./ConnectionFilter.js"
import * as ConnectionSchemas from "./ConnectionSchemas.js"
import * as Connections from "./Connections.js"
import type * as JobSchemas from "./JobSchemas.js"
import * as Jobs from "./Jobs.js"

/**
 * Options of {@link createConnectionsClient}: those of `BasiqConfig.layer`, plus an optional
 * transport layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends BasiqConfig.Options {
  /** The transport (default: undici's keep-alive pool on Node.js, `fetch` elsewhere). */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
}

/**
 * The trailing options of every method.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Aborting rejects the call with `signal.reason` and cancels the request. */
  readonly signal?: AbortSignal | undefined
}

/**
 * `waitForJob` options with promise callbacks.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions extends CallOptions {
  /** The polling schedule (default: about 1 s, growing to 5 s). */
  readonly schedule?: Schedule.Schedule<unknown, JobSchemas.Job> | undefined
  /** The overall deadline (default 120 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Called with each new snapshot of the job. */
  readonly onProgress?: ((job: JobSchemas.Job) => void | Promise<void>) | undefined
  /** Answers an MFA challenge (plain strings or `Redacted`). */
  readonly onMfa?:
    | ((
        challenge: JobSchemas.MfaChallenge,
        job: JobSchemas.Job
      ) => ReadonlyArray<ConnectionSchemas.CredentialInput> | Promise<ReadonlyArray<ConnectionSchemas.CredentialInput>>)
    | undefined
}

/**
 * The body of `postConnection`, with plain strings accepted for credentials.
 *
 * @since 0.1.0
 * @category models
 */
export type PostConnectionInput = Parameters<typeof ConnectionSchemas.makePostConnectionBody>[0]

/**
 * The body of `updateConnection`, with plain strings accepted for credentials.
 *
 * @since 0.1.0
 * @category models
 */
export type UpdateConnectionInput = Parameters<typeof ConnectionSchemas.makeUpdateConnectionBody>[0]

/**
 * The promise client.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionsClient {
  readonly getConnections: (
    userId: string,
    options?: CallOptions & { readonly filter?: ConnectionFilter.Input | undefined }
  ) => Promise<ConnectionSchemas.ConnectionList>
  readonly getConnection: (
    userId: string,
    connectionId: string,
    options?: CallOptions
  ) => Promise<ConnectionSchemas.Connection>
  readonly postConnection: (
    userId: string,
    body: PostConnectionInput,
    options?: CallOptions
  ) => Promise<ConnectionSchemas.JobRef>
  readonly updateConnection: (
    userId: string,
    connectionId: string,
    body: UpdateConnectionInput,
    options?: CallOptions
  ) => Promise<ConnectionSchemas.JobRef>
  readonly deleteConnection: (userId: string, connectionId: string, options?: CallOptions) => Promise<void>
  readonly refreshConnection: (
    userId: string,
    connectionId: string,
    options?: CallOptions
  ) => Promise<Connections.RefreshedJob>
  readonly refreshConnections: (userId: string, options?: CallOptions) => Promise<ConnectionSchemas.JobRefList>
  readonly getJob: (jobId: string, options?: CallOptions) => Promise<JobSchemas.Job>
  readonly postJobMfa: (
    jobId: string,
    answers: ReadonlyArray<ConnectionSchemas.CredentialInput>,
    options?: CallOptions & { readonly userId?: string | undefined }
  ) => Promise<ConnectionSchemas.JobRef>
  readonly waitForJob: (jobId: string, options?: WaitOptions) => Promise<JobSchemas.Job>
  /** A `CLIENT_ACCESS` token for a user, as a plain string (to hand to Basiq's consent UI). */
  readonly clientToken: (userId: string, options?: CallOptions) => Promise<string>
  /** Releases the runtime; calls still in flight and later calls reject. */
  readonly dispose: () => Promise<void>
}

const redact = (value: ConnectionSchemas.CredentialInput): Redacted.Redacted<string> =>
  Redacted.isRedacted(value) ? value : Redacted.make(value)

/** Rethrows what a user callback threw, unchanged. */
class CallbackError {
  readonly _tag = "CallbackError"
  constructor(readonly error: unknown) {}
}

const callback = <A>(f: () => A | Promise<A>): Effect.Effect<A, CallbackError> =>
  Effect.tryPromise({ try: async () => f(), catch: (error) => new CallbackError(error) })

/**
 * Creates a promise client. Bad options throw `BasiqConfigError` at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createConnectionsClient = (options: Options): ConnectionsClient => {
  const config = BasiqConfig.validate(options)
  if (Either.isLeft(config)) throw config.left
  const transport = options.httpClient ?? defaultTransport
  const runtime = ManagedRuntime.make(
    Layer.provide(BasiqConnections.layerFromConfig(Layer.succeed(BasiqConfig.BasiqConfig, config.right)), transport)
  )
  let disposed = false
  /** Calls in flight: `dispose()` interrupts them, so no fiber outlives the runtime it runs on. */
  const inFlight = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  const disposedError = () => new Error("basiq-effect: this client has been disposed")

  // Each call is one fiber on the runtime, observed directly: no abort controller or promise chain
  // per call (a signal, when given, interrupts the fiber as `runPromiseExit` would).
  const run = <A, E>(
    effect: Effect.Effect<A, E, BasiqConnections.Services>,
    signal: AbortSignal | undefined
  ): Promise<A> => {
    if (disposed) return Promise.reject(disposedError())
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<A>((resolve, reject) => {
      const fiber = runtime.runFork(effect)
      const onAbort = () => fiber.unsafeInterruptAsFork(fiber.id())
      signal?.addEventListener("abort", onAbort, { once: true })
      inFlight.add(fiber)
      fiber.addObserver((exit) => {
        inFlight.delete(fiber)
        signal?.removeEventListener("abort", onAbort)
        if (Exit.isSuccess(exit)) return resolve(exit.value)
        if (Cause.isInterruptedOnly(exit.cause)) {
          if (signal?.aborted) return reject(signal.reason)
          if (disposed) return reject(disposedError())
        }
        const failure = Cause.failureOption(exit.cause)
        if (failure._tag === "Some") {
          return reject(failure.value instanceof CallbackError ? failure.value.error : failure.value)
        }
        reject(Cause.squash(exit.cause))
      })
    })
  }

  const withConnections = <A, E>(f: (service: Connections.Service) => Effect.Effect<A, E>) =>
    Effect.flatMap(Connections.Connections, f)
  const withJobs = <A, E>(f: (service: Jobs.Service) => Effect.Effect<A, E>) => Effect.flatMap(Jobs.Jobs, f)

  return {
    getConnections: (userId, opts) =>
      run(
        withConnections((c) =>
          c.getConnections(userId, opts?.filter === undefined ? undefined : { filter: opts.filter })
        ),
        opts?.signal
      ),
    getConnection: (userId, connectionId, opts) =>
      run(
        withConnections((c) => c.getConnection(userId, connectionId)),
        opts?.signal
      ),
    postConnection: (userId, body, opts) =>
      run(
        withConnections((c) => c.postConnection(userId, ConnectionSchemas.makePostConnectionBody(body))),
        opts?.signal
      ),
    updateConnection: (userId, connectionId, body, opts) =>
      run(
        withConnections((c) =>
          c.updateConnection(userId, connectionId, ConnectionSchemas.makeUpdateConnectionBody(body))
        ),
        opts?.signal
      ),
    deleteConnection: (userId, connectionId, opts) =>
      run(
        withConnections((c) => c.deleteConnection(userId, connectionId)),
        opts?.signal
      ),
    refreshConnection: (userId, connectionId, opts) =>
      run(
        withConnections((c) => c.refreshConnection(userId, connectionId)),
        opts?.signal
      ),
    refreshConnections: (userId, opts) =>
      run(
        withConnections((c) => c.refreshConnections(userId)),
        opts?.signal
      ),
    getJob: (jobId, opts) =>
      run(
        withJobs((j) => j.getJob(jobId)),
        opts?.signal
      ),
    postJobMfa: (jobId, answers, opts) =>
      run(
        withJobs((j) =>
          j.postJobMfa(jobId, answers.map(redact), opts?.userId === undefined ? undefined : { userId: opts.userId })
        ),
        opts?.signal
      ),
    waitForJob: (jobId, opts = {}) => {
      const { onMfa, onProgress } = opts
      return run(
        withJobs((j) =>
          j.waitForJob<CallbackError>(jobId, {
            schedule: opts.schedule,
            timeout: opts.timeout,
            onProgress: onProgress === undefined ? undefined : (job) => callback(() => onProgress(job)),
            onMfa:
              onMfa === undefined
                ? undefined
                : (challenge, job) =>
                    Effect.map(
                      callback(() => onMfa(challenge, job)),
                      (answers) => answers.map(redact)
                    )
          })
        ),
        opts.signal
      )
    },
    clientToken: (userId, opts) =>
      run(
        Effect.flatMap(BasiqClient.BasiqClient, (client) => Effect.map(client.clientToken(userId), Redacted.value)),
        opts?.signal
      ),
    dispose: () => {
      if (disposed) return Promise.resolve()
      disposed = true
      for (const fiber of inFlight) fiber.unsafeInterruptAsFork(fiber.id())
      return runtime.dispose()
    }
  }
}
