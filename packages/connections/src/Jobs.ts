/**
 * Basiq jobs: read them, answer MFA challenges, wait for them to finish, or watch them.
 *
 * @since 0.1.0
 */
import { BasiqClient, BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ConnectionSchemas from "./ConnectionSchemas.js"
import { BasiqJobFailedError, BasiqJobTimeoutError, BasiqMfaRequiredError, type JobError } from "./JobError.js"
import * as JobSchemas from "./JobSchemas.js"

/**
 * The error channel of job reads.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/**
 * Options of `waitForJob`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions<E = never, R = never> {
  /** The polling schedule (default: about 1 s, growing to 5 s). */
  readonly schedule?: Schedule.Schedule<unknown, JobSchemas.Job> | undefined
  /** The overall deadline (default 120 s): then `BasiqJobTimeoutError`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Called with each new snapshot of the job. */
  readonly onProgress?: ((job: JobSchemas.Job) => Effect.Effect<void, E, R>) | undefined
  /**
   * Answers an MFA challenge; the answers are posted (with a `CLIENT_ACCESS` token for the job's
   * user) and the wait goes on. Without it, a challenge fails the wait with
   * `BasiqMfaRequiredError`.
   */
  readonly onMfa?:
    | ((
        challenge: JobSchemas.MfaChallenge,
        job: JobSchemas.Job
      ) => Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>, E, R>)
    | undefined
}

/**
 * Options of `watch`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WatchOptions {
  /** The polling schedule (default: about 1 s, growing to 5 s). */
  readonly schedule?: Schedule.Schedule<unknown, JobSchemas.Job> | undefined
}

/**
 * The Jobs service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `GET /jobs/{jobId}`. */
  readonly getJob: (jobId: string) => Effect.Effect<JobSchemas.Job, Failure>
  /**
   * `POST /jobs/{jobId}/mfa` with `{ "mfa-response": answers }`. With `userId`, it is sent with a
   * `CLIENT_ACCESS` token for that user (as Basiq asks); otherwise with the server token.
   */
  readonly postJobMfa: (
    jobId: string,
    answers: ReadonlyArray<Redacted.Redacted<string>>,
    options?: { readonly userId?: string | undefined }
  ) => Effect.Effect<ConnectionSchemas.JobRef, Failure>
  /**
   * Polls the job until every step succeeded (the finished job) or one failed (an error).
   * Malformed options (a `timeout` that is not a duration, a callback that is not a function, ...)
   * fail with `BasiqInvalidRequestError` naming the option, before any request.
   */
  readonly waitForJob: <E = never, R = never>(
    jobId: string,
    options?: WaitOptions<E, R>
  ) => Effect.Effect<JobSchemas.Job, Failure | JobError | E, R>
  /** Each new snapshot of the job; ends after the terminal one, never fails on its outcome. */
  readonly watch: (jobId: string, options?: WatchOptions) => Stream.Stream<JobSchemas.Job, Failure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Jobs extends Context.Tag("@basiq-effect/connections/Jobs")<Jobs, Service>() {}

/**
 * The default polling schedule: 1 s, growing by 1.5x, at most 5 s between polls.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSchedule: Schedule.Schedule<unknown, JobSchemas.Job> = Schedule.exponential(
  Duration.seconds(1),
  1.5
).pipe(Schedule.union(Schedule.spaced(Duration.seconds(5))))

/**
 * The default overall deadline of `waitForJob`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(120)

const MfaBody = Schema.Struct({
  "mfa-response": Schema.NonEmptyArray(ConnectionSchemas.Credential)
})

const lastSegmentAfter = (url: string | null | undefined, segment: string): string | undefined => {
  if (url === undefined || url === null) return undefined
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, "").split(/[?#]/)[0] ?? ""
  const parts = path.split("/")
  const i = parts.lastIndexOf(segment)
  const value = i >= 0 ? parts[i + 1] : undefined
  if (value === undefined || value === "") return undefined
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

const verifyLink = (job: JobSchemas.Job): string | undefined => {
  for (const step of job.steps) {
    if (step.title === "verify-credentials" && step.result !== null && step.result._tag === "Link") {
      return step.result.url
    }
  }
  return undefined
}

/**
 * The id of the connection a job works on: the last segment of the `verify-credentials` step's
 * link, or of `links.source`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const connectionIdFromJob = (job: JobSchemas.Job): string | undefined =>
  lastSegmentAfter(verifyLink(job), "connections") ?? lastSegmentAfter(job.links?.source, "connections")

/**
 * The id of the user a job belongs to, from `links.source` or the `verify-credentials` link.
 *
 * @since 0.1.0
 * @category accessors
 */
export const userIdFromJob = (job: JobSchemas.Job): string | undefined =>
  lastSegmentAfter(job.links?.source, "users") ?? lastSegmentAfter(verifyLink(job), "users")

/**
 * Where a job stands.
 *
 * @since 0.1.0
 * @category models
 */
export type JobState =
  | { readonly _tag: "Succeeded" }
  | { readonly _tag: "Failed"; readonly step: JobSchemas.JobStep }
  | { readonly _tag: "AwaitingMfa"; readonly challenge: JobSchemas.MfaChallenge }
  | { readonly _tag: "Running"; readonly step: string | undefined }

/**
 * Classifies a job snapshot: finished, failed (the first failed step), waiting for an MFA answer,
 * or running.
 *
 * @since 0.1.0
 * @category accessors
 */
export const jobState = (job: JobSchemas.Job): JobState => {
  let allSucceeded = job.steps.length > 0
  let current: string | undefined
  for (const step of job.steps) {
    if (step.status === "failed") return { _tag: "Failed", step }
    if (step.status !== "success") {
      allSucceeded = false
      if (step.result !== null && step.result._tag === "Mfa" && step.status === "in-progress") {
        return { _tag: "AwaitingMfa", challenge: step.result }
      }
      if (current === undefined || step.status === "in-progress") current ??= step.title
    }
  }
  return allSucceeded ? { _tag: "Succeeded" } : { _tag: "Running", step: current }
}

/**
 * Whether a job is finished (every step succeeded, or one failed).
 *
 * @since 0.1.0
 * @category accessors
 */
export const isTerminal = (job: JobSchemas.Job): boolean => {
  const state = jobState(job)
  return state._tag === "Succeeded" || state._tag === "Failed"
}

const snapshotKey = (job: JobSchemas.Job): string => {
  let key = job.updated ?? ""
  for (const step of job.steps) key += `|${step.title}:${step.status}:${step.result === null ? "" : step.result._tag}`
  return key
}

const challengeKey = (challenge: JobSchemas.MfaChallenge): string =>
  `${challenge.method}|${challenge.description ?? ""}|${challenge.prompts.join("\u0000")}`

const failedError = (jobId: string, step: JobSchemas.JobStep): BasiqJobFailedError => {
  const result = step.result
  const error = result !== null && result._tag === "StepError" ? result : undefined
  return new BasiqJobFailedError({
    jobId,
    step: step.title,
    ...(error?.code === undefined ? {} : { code: error.code }),
    ...(error?.title === undefined ? {} : { title: error.title }),
    ...(error?.detail === undefined ? {} : { detail: error.detail })
  })
}

const invalidOption = (name: string, expected: string) =>
  new BasiqError.BasiqInvalidRequestError({ reason: `${name} must be ${expected}`, fields: [name] })

/** Checks options a JavaScript caller may get wrong; returns the deadline. */
const checkWaitOptions = (options: unknown): Duration.Duration | BasiqError.BasiqInvalidRequestError => {
  if (!Predicate.isRecord(options)) return invalidOption("options", "an object")
  const { onMfa, onProgress, schedule, timeout } = options
  if (schedule !== undefined && !Schedule.isSchedule(schedule)) return invalidOption("schedule", "a Schedule")
  if (onProgress !== undefined && typeof onProgress !== "function") return invalidOption("onProgress", "a function")
  if (onMfa !== undefined && typeof onMfa !== "function") return invalidOption("onMfa", "a function")
  if (timeout === undefined) return defaultTimeout
  const decoded = Duration.decodeUnknown(timeout)
  return Option.isSome(decoded) ? decoded.value : invalidOption("timeout", "a duration")
}

/**
 * Builds the service on the core client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient

  const get = client.operation({
    name: "getJob",
    span: "basiq.jobs.getJob",
    method: "GET",
    path: "/jobs/{jobId}",
    success: BasiqClient.json(JobSchemas.Job),
    idempotent: true
  })
  const mfa = client.operation({
    name: "postJobMfa",
    span: "basiq.jobs.postJobMfa",
    method: "POST",
    path: "/jobs/{jobId}/mfa",
    body: MfaBody,
    success: BasiqClient.json(ConnectionSchemas.JobRef),
    idempotent: false
  })

  const getJob: Service["getJob"] = (jobId) => get({ params: { jobId } })

  const postJobMfa: Service["postJobMfa"] = (jobId, answers, options) => {
    const call = mfa({
      params: { jobId },
      body: { "mfa-response": answers as readonly [Redacted.Redacted<string>, ...Array<Redacted.Redacted<string>>] }
    })
    return options?.userId === undefined ? call : client.withClientToken(options.userId)(call)
  }

  const waitForJob = <E = never, R = never>(
    jobId: string,
    options: WaitOptions<E, R> = {}
  ): Effect.Effect<JobSchemas.Job, Failure | JobError | E, R> => {
    const checked = checkWaitOptions(options)
    if (checked instanceof BasiqError.BasiqInvalidRequestError) return Effect.fail(checked)
    const timeout = checked
    let lastStep: string | undefined
    const loop = Effect.gen(function* () {
      const driver = yield* Schedule.driver(options.schedule ?? defaultSchedule)
      const answered = new Set<string>()
      let lastKey: string | undefined
      while (true) {
        const job = yield* getJob(jobId)
        const key = snapshotKey(job)
        if (key !== lastKey) {
          lastKey = key
          if (options.onProgress !== undefined) yield* options.onProgress(job)
        }
        const state = jobState(job)
        switch (state._tag) {
          case "Succeeded":
            return job
          case "Failed":
            return yield* Effect.fail(failedError(jobId, state.step))
          case "AwaitingMfa": {
            lastStep = "mfa-challenge"
            const challenge = challengeKey(state.challenge)
            if (answered.has(challenge)) break
            if (options.onMfa === undefined) {
              return yield* Effect.fail(new BasiqMfaRequiredError({ jobId, challenge: state.challenge }))
            }
            const answers = yield* options.onMfa(state.challenge, job)
            const userId = userIdFromJob(job)
            yield* postJobMfa(jobId, answers, userId === undefined ? undefined : { userId })
            answered.add(challenge)
            break
          }
          case "Running":
            lastStep = state.step
        }
        const next = yield* Effect.option(driver.next(job))
        if (Option.isNone(next)) {
          return yield* Effect.fail(
            new BasiqJobTimeoutError({ jobId, timeout, ...(lastStep === undefined ? {} : { step: lastStep }) })
          )
        }
      }
    })
    return loop.pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new BasiqJobTimeoutError({ jobId, timeout, ...(lastStep === undefined ? {} : { step: lastStep }) })
      }),
      Effect.withSpan("basiq.jobs.waitForJob", { attributes: { "basiq.job_id": jobId }, captureStackTrace: false })
    )
  }

  const watch: Service["watch"] = (jobId, options) =>
    Stream.repeatEffectWithSchedule(getJob(jobId), options?.schedule ?? defaultSchedule).pipe(
      Stream.changesWith((a, b) => snapshotKey(a) === snapshotKey(b)),
      Stream.takeUntil(isTerminal)
    )

  return Jobs.of({ getJob, postJobMfa, waitForJob, watch })
})

/**
 * The Jobs layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Jobs, never, BasiqClient.BasiqClient> = Layer.effect(Jobs, make)
