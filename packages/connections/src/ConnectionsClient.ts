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

import { BasiqClient, type BasiqError } from "@basiq-effect/core"
import { PromiseFacade as Facade } from "@basiq-effect/core/facade"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import { defaultTransport } from "#transport"
import type * as ConnectionFilter from "./ConnectionFilter.js"
import * as ConnectionSchemas from "./ConnectionSchemas.js"
import * as Connections from "./Connections.js"
import type * as JobSchemas from "./JobSchemas.js"
import * as Jobs from "./Jobs.js"

/**
 * Options of {@link createConnectionsClient}: those of `BasiqConfig.layer` with exactly one of
 * `apiKey` (server side) and `clientToken` (code that holds no API key, e.g. a browser: a function
 * giving a `CLIENT_ACCESS` token your server minted), plus an optional transport layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Facade.ClientOptions {}

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
export type PostConnectionInput = ConnectionSchemas.PostConnectionInput

/**
 * The body of `updateConnection`, with plain strings accepted for credentials.
 *
 * @since 0.1.0
 * @category models
 */
export type UpdateConnectionInput = ConnectionSchemas.UpdateConnectionInput

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
  /** `POST /users/{userId}/connections/{connectionId}/purge`: deletes its accounts and transactions (204). */
  readonly purgeConnection: (userId: string, connectionId: string, options?: CallOptions) => Promise<void>
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

/**
 * Creates a promise client. Bad options throw `BasiqConfigError` at once. A malformed argument
 * (a non-string id, a body of the wrong shape, options that are not an object, a `signal` that
 * is not an `AbortSignal`) rejects with `BasiqInvalidRequestError` naming it, and nothing is sent.
 *
 * @example
 * ```ts
 * import { BasiqNotFoundError, createConnectionsClient } from "@basiq-effect/connections"
 *
 * const basiq = createConnectionsClient({ apiKey: "your-api-key" })
 *
 * export const activeConnections = async (userId: string) => {
 *   try {
 *     const list = await basiq.getConnections(userId, { filter: "status.eq('active')" })
 *     return list.data
 *   } catch (error) {
 *     if (error instanceof BasiqNotFoundError) return [] // no such user
 *     throw error
 *   }
 * }
 *
 * await basiq.dispose()
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const createConnectionsClient = (options: Options): ConnectionsClient => {
  const { dispose, run } = Facade.makeFacadeRuntime(
    Layer.provideMerge(Layer.merge(Connections.layer, Jobs.layer), Facade.clientLayer(options, defaultTransport))
  )
  return { ...methods(run), dispose }
}

/**
 * The services the methods of {@link createConnectionsClient} run on.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = Connections.Connections | Jobs.Jobs | BasiqClient.BasiqClient

/**
 * The methods of {@link createConnectionsClient} (all but `dispose`) over a facade runtime's
 * `run`: how `createBasiqClient` (package `basiq-effect`) shares them on its own runtime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const methods = (run: Facade.FacadeRuntime<Services>["run"]): Omit<ConnectionsClient, "dispose"> => {
  const connections = <A, E>(
    ids: Readonly<Record<string, unknown>>,
    f: (service: Connections.Service) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | BasiqError.BasiqInvalidRequestError, Connections.Connections> =>
    Effect.zipRight(Facade.requireStrings(ids), Effect.flatMap(Connections.Connections, f))
  const jobs = <A, E>(
    ids: Readonly<Record<string, unknown>>,
    f: (service: Jobs.Service) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | BasiqError.BasiqInvalidRequestError, Jobs.Jobs> =>
    Effect.zipRight(Facade.requireStrings(ids), Effect.flatMap(Jobs.Jobs, f))

  return {
    getConnections: (userId, opts) =>
      run(
        () =>
          connections({ userId }, (c) =>
            c.getConnections(userId, opts?.filter === undefined ? undefined : { filter: opts.filter })
          ),
        opts
      ),
    getConnection: (userId, connectionId, opts) =>
      run(() => connections({ userId, connectionId }, (c) => c.getConnection(userId, connectionId)), opts),
    postConnection: (userId, body, opts) =>
      run(
        () => connections({ userId }, (c) => c.postConnection(userId, ConnectionSchemas.makePostConnectionBody(body))),
        opts
      ),
    updateConnection: (userId, connectionId, body, opts) =>
      run(
        () =>
          connections({ userId, connectionId }, (c) =>
            c.updateConnection(userId, connectionId, ConnectionSchemas.makeUpdateConnectionBody(body))
          ),
        opts
      ),
    deleteConnection: (userId, connectionId, opts) =>
      run(() => connections({ userId, connectionId }, (c) => c.deleteConnection(userId, connectionId)), opts),
    purgeConnection: (userId, connectionId, opts) =>
      run(() => connections({ userId, connectionId }, (c) => c.purgeConnection(userId, connectionId)), opts),
    refreshConnection: (userId, connectionId, opts) =>
      run(() => connections({ userId, connectionId }, (c) => c.refreshConnection(userId, connectionId)), opts),
    refreshConnections: (userId, opts) => run(() => connections({ userId }, (c) => c.refreshConnections(userId)), opts),
    getJob: (jobId, opts) => run(() => jobs({ jobId }, (j) => j.getJob(jobId)), opts),
    postJobMfa: (jobId, answers, opts) =>
      run(() => {
        const userId = opts?.userId
        return jobs(userId === undefined ? { jobId } : { jobId, userId }, (j) =>
          j.postJobMfa(jobId, redactAnswers(answers), userId === undefined ? undefined : { userId })
        )
      }, opts),
    waitForJob: (jobId, opts) =>
      run(() => {
        const onMfa = opts?.onMfa
        const onProgress = opts?.onProgress
        const invalid = Facade.optionalFunction("onMfa", onMfa) ?? Facade.optionalFunction("onProgress", onProgress)
        if (invalid !== undefined) return Effect.fail(invalid)
        return jobs({ jobId }, (j) =>
          j.waitForJob<Facade.CallbackError>(jobId, {
            schedule: opts?.schedule,
            timeout: opts?.timeout,
            onProgress: onProgress === undefined ? undefined : (job) => Facade.callback(() => onProgress(job)),
            onMfa:
              onMfa === undefined
                ? undefined
                : (challenge, job) =>
                    Effect.map(
                      Facade.callback(() => onMfa(challenge, job)),
                      redactAnswers
                    )
          })
        )
      }, opts),
    clientToken: (userId, opts) =>
      run(
        () =>
          Effect.zipRight(
            Facade.requireStrings({ userId }),
            Effect.flatMap(BasiqClient.BasiqClient, (client) => Effect.map(client.clientToken(userId), Redacted.value))
          ),
        opts
      )
  }
}

// Plain strings are wrapped in `Redacted`; anything else (from JavaScript) is passed on for the
// body's encoding to name (`mfa-response`), never a `TypeError` here.
const redactAnswers = (answers: unknown): ReadonlyArray<Redacted.Redacted<string>> =>
  (Array.isArray(answers) ? answers.map(Facade.redactString) : answers) as ReadonlyArray<Redacted.Redacted<string>>
