/**
 * Errors of waiting for a Basiq job.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { MfaChallenge } from "./JobSchemas.js"

/**
 * A step of the job failed (e.g. `verify-credentials` with `invalid-credentials`). Later steps
 * stay pending; Basiq does not go on.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqJobFailedError extends Schema.TaggedError<BasiqJobFailedError>()("BasiqJobFailedError", {
  jobId: Schema.String,
  /** The failed step's title, e.g. `verify-credentials`. */
  step: Schema.String,
  code: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const what = [this.code, this.detail ?? this.title].filter((s) => s !== undefined).join(": ")
    return `Basiq job ${this.jobId} failed at ${this.step}${what === "" ? "" : ` (${what})`}`
  }
}

/**
 * The job did not finish before the wait's deadline. The job may still finish later.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqJobTimeoutError extends Schema.TaggedError<BasiqJobTimeoutError>()("BasiqJobTimeoutError", {
  jobId: Schema.String,
  timeout: Schema.DurationFromSelf,
  /** The title of the step that was running or pending last, if any. */
  step: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Basiq job ${this.jobId} did not finish within ${Duration.format(this.timeout)}${
      this.step === undefined ? "" : ` (last step: ${this.step})`
    }`
  }
}

/**
 * The job stopped at an MFA challenge and no `onMfa` handler was given. Answer it with
 * `Jobs.postJobMfa(jobId, answers)` and wait again.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqMfaRequiredError extends Schema.TaggedError<BasiqMfaRequiredError>()("BasiqMfaRequiredError", {
  jobId: Schema.String,
  challenge: MfaChallenge
}) {
  override get message(): string {
    return `Basiq job ${this.jobId} needs an MFA answer (${this.challenge.method}: ${this.challenge.prompts.length} prompt${
      this.challenge.prompts.length === 1 ? "" : "s"
    })`
  }
}

/**
 * Any job error.
 *
 * @since 0.1.0
 * @category models
 */
export type JobError = BasiqJobFailedError | BasiqJobTimeoutError | BasiqMfaRequiredError
