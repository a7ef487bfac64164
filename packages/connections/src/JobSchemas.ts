/**
 * Models of Basiq's jobs: the asynchronous work behind creating, updating and refreshing a
 * connection.
 *
 * `Job`, `JobStep`, `JobStepResult` and `JobList` decode Basiq's wire JSON (v2.1 and v3) and
 * normalise it: a step's `result` becomes a tagged union (`Link`, `Mfa`, `StepError`) or `null`,
 * a one-element array result is unwrapped, `detail`/`details` become `detail`, `expiryMs` becomes
 * a `Duration`, v3's `createdDate`/`updatedDate` become `created`/`updated`, and v3's extra fields
 * are ignored. Encoding goes back to an approximate wire shape (decoding is what matters).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { Institution } from "./ConnectionSchemas.js"
import { type OpenEnum, openEnum, optionalNullable } from "./internal/schema.js"

// -------------------------------------------------------------------------------------------------
// enums
// -------------------------------------------------------------------------------------------------

/**
 * A step's name, in Basiq's usual order: `verify-credentials`, [`mfa-challenge`],
 * `retrieve-accounts`, `retrieve-transactions`, [`retrieve-statements`]; v3 adds
 * `create-report`; any other string is kept.
 *
 * @since 0.1.0
 * @category enums
 */
export const JobStepTitle: OpenEnum<
  | "verify-credentials"
  | "retrieve-accounts"
  | "retrieve-transactions"
  | "retrieve-statements"
  | "mfa-challenge"
  | "create-report"
> = openEnum(
  "verify-credentials",
  "retrieve-accounts",
  "retrieve-transactions",
  "retrieve-statements",
  "mfa-challenge",
  "create-report"
)

/**
 * @since 0.1.0
 * @category enums
 */
export type JobStepTitle = typeof JobStepTitle.Type

/**
 * A step's status: `pending`, `in-progress`, `success`, `failed`, or any other string.
 *
 * @since 0.1.0
 * @category enums
 */
export const JobStepStatus: OpenEnum<"pending" | "in-progress" | "success" | "failed"> = openEnum(
  "pending",
  "in-progress",
  "success",
  "failed"
)

/**
 * @since 0.1.0
 * @category enums
 */
export type JobStepStatus = typeof JobStepStatus.Type

/**
 * The kind of MFA challenge: a one-time `token` or `security-questions`, or any other string.
 *
 * @since 0.1.0
 * @category enums
 */
export const MfaMethod: OpenEnum<"token" | "security-questions"> = openEnum("token", "security-questions")

/**
 * @since 0.1.0
 * @category enums
 */
export type MfaMethod = typeof MfaMethod.Type

/**
 * A failed step's code. Basiq documents the listed codes, and real jobs also carry others
 * (`invalid-credentials`, `authorization-failed`, `service-unavailable`,
 * `account-not-accessible-requires-user-action`, ...), so any string is accepted.
 *
 * @since 0.1.0
 * @category enums
 */
export const JobStepErrorCode: OpenEnum<
  | "user-action-required"
  | "system-unavailable"
  | "maintenance"
  | "connector-error"
  | "institution-not-found"
  | "institution-not-available"
  | "institution-disabled"
  | "missing-required-field"
  | "missing-required-field-value"
  | "invalid-field-value"
  | "invalid-csv-row"
  | "row-count-exceeded"
  | "account-data-differs"
  | "empty-file"
  | "bank-statement-invalid"
  | "bank-statement-new-product"
  | "bank-statement-parsing-error"
  | "bank-statement-not-supported"
  | "txn-after-last-updated-date"
  | "invalid-connection"
  | "unknown-error"
  | "job-timed-out"
  | "invalid-credentials"
  | "authorization-failed"
  | "account-not-accessible-requires-user-action"
  | "service-unavailable"
> = openEnum(
  "user-action-required",
  "system-unavailable",
  "maintenance",
  "connector-error",
  "institution-not-found",
  "institution-not-available",
  "institution-disabled",
  "missing-required-field",
  "missing-required-field-value",
  "invalid-field-value",
  "invalid-csv-row",
  "row-count-exceeded",
  "account-data-differs",
  "empty-file",
  "bank-statement-invalid",
  "bank-statement-new-product",
  "bank-statement-parsing-error",
  "bank-statement-not-supported",
  "txn-after-last-updated-date",
  "invalid-connection",
  "unknown-error",
  "job-timed-out",
  "invalid-credentials",
  "authorization-failed",
  "account-not-accessible-requires-user-action",
  "service-unavailable"
)

/**
 * @since 0.1.0
 * @category enums
 */
export type JobStepErrorCode = typeof JobStepErrorCode.Type

// -------------------------------------------------------------------------------------------------
// step results (normalised)
// -------------------------------------------------------------------------------------------------

/**
 * A step's link result: on `verify-credentials` the (usually relative) URL of the connection,
 * `/users/{userId}/connections/{connectionId}`; later steps link to filtered accounts or
 * transactions.
 *
 * @since 0.1.0
 * @category models
 */
export const JobStepLink = Schema.TaggedStruct("Link", {
  url: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobStepLink = typeof JobStepLink.Type

/**
 * An MFA challenge (the `mfa-challenge` step's result, normalised): show `description` and one
 * input per `prompts` entry to the user, then answer with `postJobMfa` before `expiresIn` runs
 * out. `responseUrl` is where Basiq takes the answers (`/jobs/{jobId}/mfa`).
 *
 * This is the normalised model (its encoded form is itself); `JobStepResult` decodes it from
 * Basiq's wire shape.
 *
 * @since 0.1.0
 * @category models
 */
export const MfaChallenge = Schema.TaggedStruct("Mfa", {
  method: MfaMethod,
  description: Schema.optional(Schema.String),
  /** The wire `input`: one prompt per answer expected (e.g. `["OTP Password"]`). */
  prompts: Schema.Array(Schema.String),
  /** The wire `expiryMs`, when Basiq gives it. */
  expiresIn: Schema.UndefinedOr(Schema.DurationFromSelf),
  responseUrl: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type MfaChallenge = typeof MfaChallenge.Type

/**
 * A failed step's error: `code` (an open enum), `title` and `detail` (Basiq's wire field is
 * `detail` in v3 and `details` in v2.1).
 *
 * @since 0.1.0
 * @category models
 */
export const JobStepError = Schema.TaggedStruct("StepError", {
  code: JobStepErrorCode,
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobStepError = typeof JobStepError.Type

// -------------------------------------------------------------------------------------------------
// step results (wire)
// -------------------------------------------------------------------------------------------------

const LinkWire = Schema.Struct({
  type: Schema.Literal("link"),
  url: Schema.String
})

const MfaWire = Schema.Struct({
  type: Schema.Literal("mfa"),
  method: MfaMethod,
  description: optionalNullable(Schema.String),
  input: optionalNullable(Schema.Array(Schema.String)),
  expiryMs: optionalNullable(Schema.Number),
  links: optionalNullable(
    Schema.Struct({
      response: optionalNullable(Schema.String)
    })
  )
})

const ErrorWire = Schema.Struct({
  code: JobStepErrorCode,
  title: optionalNullable(Schema.String),
  detail: optionalNullable(Schema.String),
  details: optionalNullable(Schema.String)
})

const LinkFromWire = Schema.transform(LinkWire, JobStepLink, {
  strict: true,
  decode: (wire) => JobStepLink.make({ url: wire.url }),
  encode: (link) => ({ type: "link" as const, url: link.url })
})

const MfaFromWire = Schema.transform(MfaWire, MfaChallenge, {
  strict: true,
  decode: (wire) => {
    const challenge: {
      _tag: "Mfa"
      method: MfaMethod
      prompts: ReadonlyArray<string>
      expiresIn: Duration.Duration | undefined
      description?: string
      responseUrl?: string
    } = {
      _tag: "Mfa",
      method: wire.method,
      prompts: wire.input ?? [],
      expiresIn: wire.expiryMs === undefined ? undefined : Duration.millis(wire.expiryMs)
    }
    if (wire.description !== undefined) challenge.description = wire.description
    const responseUrl = wire.links?.response
    if (responseUrl !== undefined) challenge.responseUrl = responseUrl
    return challenge
  },
  encode: (challenge) => {
    const wire: {
      type: "mfa"
      method: MfaMethod
      input: ReadonlyArray<string>
      description?: string
      expiryMs?: number
      links?: { readonly response?: string }
    } = { type: "mfa", method: challenge.method, input: challenge.prompts }
    if (challenge.description !== undefined) wire.description = challenge.description
    if (challenge.expiresIn !== undefined) wire.expiryMs = Duration.toMillis(challenge.expiresIn)
    if (challenge.responseUrl !== undefined) wire.links = { response: challenge.responseUrl }
    return wire
  }
})

const ErrorFromWire = Schema.transform(ErrorWire, JobStepError, {
  strict: true,
  decode: (wire) => {
    const error: { _tag: "StepError"; code: JobStepErrorCode; title?: string; detail?: string } = {
      _tag: "StepError",
      code: wire.code
    }
    if (wire.title !== undefined) error.title = wire.title
    const detail = wire.detail ?? wire.details
    if (detail !== undefined) error.detail = detail
    return error
  },
  encode: (error) => {
    const wire: { code: JobStepErrorCode; title?: string; detail?: string } = { code: error.code }
    if (error.title !== undefined) wire.title = error.title
    if (error.detail !== undefined) wire.detail = error.detail
    return wire
  }
})

/**
 * A step's result, decoded from Basiq's wire shape (`{ type: "link", url }`,
 * `{ type: "mfa", method, description, input, expiryMs, links: { response } }`, or an error
 * `{ code, title, detail | details }`) into the tagged union `JobStepLink | MfaChallenge |
 * JobStepError`.
 *
 * @since 0.1.0
 * @category models
 */
export const JobStepResult = Schema.Union(LinkFromWire, MfaFromWire, ErrorFromWire)

/**
 * @since 0.1.0
 * @category models
 */
export type JobStepResult = typeof JobStepResult.Type

/** A one-element array result (seen in a v3 MFA example) is unwrapped; an empty one is `null`. */
const JobStepResultFromArray = Schema.transform(
  Schema.Array(JobStepResult),
  Schema.NullOr(Schema.typeSchema(JobStepResult)),
  {
    strict: true,
    decode: (results) => results[0] ?? null,
    encode: (result) => (result === null ? [] : [result])
  }
)

// -------------------------------------------------------------------------------------------------
// steps and jobs
// -------------------------------------------------------------------------------------------------

/**
 * One step of a job. `result` is `null` while the step is pending or in progress (Basiq sends
 * `null`, or nothing), then a link on success, an `MfaChallenge` on `mfa-challenge`, or a
 * `StepError` when the step failed.
 *
 * @since 0.1.0
 * @category models
 */
export const JobStep = Schema.Struct({
  title: JobStepTitle,
  status: JobStepStatus,
  result: Schema.optionalWith(Schema.Union(Schema.Null, JobStepResult, JobStepResultFromArray), {
    default: () => null
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobStep = typeof JobStep.Type

/**
 * A job's links. Basiq may send `links: null` or omit it; `source` (the URL of the connection the
 * job works on) is only present on connection jobs. URLs may be relative or absolute.
 *
 * @since 0.1.0
 * @category models
 */
export const JobLinks = Schema.Struct({
  self: optionalNullable(Schema.String),
  source: optionalNullable(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobLinks = typeof JobLinks.Type

const JobWire = Schema.Struct({
  type: optionalNullable(Schema.String),
  id: Schema.String,
  created: optionalNullable(Schema.String),
  updated: optionalNullable(Schema.String),
  createdDate: optionalNullable(Schema.String),
  updatedDate: optionalNullable(Schema.String),
  institution: optionalNullable(Institution),
  steps: Schema.Array(JobStep),
  links: optionalNullable(JobLinks)
})

const JobModel = Schema.Struct({
  type: Schema.optional(Schema.String),
  id: Schema.String,
  /** When the job was created (v2.1 `created`, v3 `createdDate`), as Basiq formats it. */
  created: Schema.optional(Schema.String),
  /** When the job last changed (v2.1 `updated`, v3 `updatedDate`), as Basiq formats it. */
  updated: Schema.optional(Schema.String),
  /** Present on jobs listed per user. */
  institution: Schema.optional(Schema.typeSchema(Institution)),
  steps: Schema.Array(Schema.typeSchema(JobStep)),
  links: Schema.optional(Schema.typeSchema(JobLinks))
})

/**
 * A job, as `GET /jobs/{jobId}` returns it. Poll it until every step is `success` or one is
 * `failed` (later steps then stay `pending`).
 *
 * @since 0.1.0
 * @category models
 */
export const Job = Schema.transform(JobWire, JobModel, {
  strict: true,
  decode: (wire) => {
    const job: {
      type?: string
      id: string
      created?: string
      updated?: string
      institution?: Institution
      steps: ReadonlyArray<JobStep>
      links?: JobLinks
    } = { id: wire.id, steps: wire.steps }
    if (wire.type !== undefined) job.type = wire.type
    const created = wire.created ?? wire.createdDate
    if (created !== undefined) job.created = created
    const updated = wire.updated ?? wire.updatedDate
    if (updated !== undefined) job.updated = updated
    if (wire.institution !== undefined) job.institution = wire.institution
    if (wire.links !== undefined) job.links = wire.links
    return job
  },
  encode: (job) => job
})

/**
 * @since 0.1.0
 * @category models
 */
export type Job = typeof Job.Type

/**
 * A list of jobs (`GET /users/{userId}/jobs`; v3 lists only jobs less than 7 days old).
 *
 * @since 0.1.0
 * @category models
 */
export const JobList = Schema.Struct({
  type: Schema.String,
  size: optionalNullable(Schema.Number),
  data: Schema.Array(Job),
  links: optionalNullable(
    Schema.Struct({
      self: Schema.String
    })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobList = typeof JobList.Type
