import { describe, expect, it } from "@effect/vitest"
import { Duration, Either, ParseResult, Schema } from "effect"
import * as JobSchemas from "../src/JobSchemas.js"

const userId = "9e0d4b51-7c2a-4f7e-8b11-3a5c6d7e8f90"
const connectionId = "conn-5e1"
const jobId = "job-7f3a"
const base = "https://au-api.basiq.io"

const step = (title: string, status: string, result: unknown) => ({ title, status, result })

const job = (steps: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  type: "job",
  id: jobId,
  created: "2024-05-06T01:02:03Z",
  updated: "2024-05-06T01:02:09.431Z",
  steps,
  links: { self: `${base}/jobs/${jobId}`, source: `${base}/users/${userId}/connections/${connectionId}` },
  ...extra
})

const decodeJob = Schema.decodeUnknownSync(JobSchemas.Job)

const issuePaths = (error: ParseResult.ParseError): ReadonlyArray<string> => [
  ...new Set(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".")))
]

describe("Job", () => {
  it("decodes a fresh job: pending steps with null or missing results", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "in-progress", null),
        step("retrieve-accounts", "pending", null),
        { title: "retrieve-transactions", status: "pending" }
      ])
    )
    expect(decoded.id).toBe(jobId)
    expect(decoded.created).toBe("2024-05-06T01:02:03Z")
    expect(decoded.updated).toBe("2024-05-06T01:02:09.431Z")
    expect(decoded.steps.map((s) => s.status)).toEqual(["in-progress", "pending", "pending"])
    expect(decoded.steps.map((s) => s.result)).toEqual([null, null, null])
    expect(decoded.links?.source).toBe(`${base}/users/${userId}/connections/${connectionId}`)
  })

  it("decodes link results (relative URLs kept as sent)", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "success", { type: "link", url: `/users/${userId}/connections/${connectionId}` }),
        step("retrieve-accounts", "success", {
          type: "link",
          url: `/users/${userId}/accounts?filter=institution.id.eq('AU00000')`
        }),
        step("retrieve-transactions", "in-progress", null)
      ])
    )
    expect(decoded.steps[0]?.result).toEqual({ _tag: "Link", url: `/users/${userId}/connections/${connectionId}` })
    expect(decoded.steps[1]?.result?._tag).toBe("Link")
  })

  it("decodes an MFA challenge: input becomes prompts, expiryMs a Duration", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "success", { type: "link", url: `/users/${userId}/connections/${connectionId}` }),
        step("mfa-challenge", "in-progress", {
          type: "mfa",
          method: "security-questions",
          description: "Answer the questions your bank asks",
          input: ["Name of your first pet?", "Town you were born in?"],
          expiryMs: 120000,
          links: { response: `/jobs/${jobId}/mfa` }
        }),
        step("retrieve-accounts", "pending", null)
      ])
    )
    const result = decoded.steps[1]?.result
    expect(result?._tag).toBe("Mfa")
    if (result?._tag !== "Mfa") throw new Error("expected an MFA challenge")
    expect(result.method).toBe("security-questions")
    expect(result.description).toBe("Answer the questions your bank asks")
    expect(result.prompts).toEqual(["Name of your first pet?", "Town you were born in?"])
    expect(result.expiresIn && Duration.toMillis(result.expiresIn)).toBe(120000)
    expect(Duration.toSeconds(result.expiresIn ?? Duration.zero)).toBe(120)
    expect(result.responseUrl).toBe(`/jobs/${jobId}/mfa`)
  })

  it("decodes a minimal MFA challenge: no expiry, no description, no inputs", () => {
    const decoded = decodeJob(job([step("mfa-challenge", "in-progress", { type: "mfa", method: "token" })]))
    expect(decoded.steps[0]?.result).toEqual({ _tag: "Mfa", method: "token", prompts: [], expiresIn: undefined })
  })

  it("unwraps a one-element array result", () => {
    const decoded = decodeJob(
      job([
        step("mfa-challenge", "in-progress", [
          { type: "mfa", method: "token", input: ["OTP Password"], expiryMs: 3600, links: { response: "/jobs/x/mfa" } }
        ])
      ])
    )
    const result = decoded.steps[0]?.result
    expect(result?._tag).toBe("Mfa")
    expect(result?._tag === "Mfa" && result.prompts).toEqual(["OTP Password"])
    expect(result?._tag === "Mfa" && result.expiresIn && Duration.toMillis(result.expiresIn)).toBe(3600)
    expect(decodeJob(job([step("retrieve-accounts", "pending", [])])).steps[0]?.result).toBeNull()
  })

  it("decodes a v3 step error with detail", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "failed", {
          code: "invalid-credentials",
          title: "Cannot login to target institution using supplied credentials.",
          detail: "Please check your credentials and try again."
        }),
        step("retrieve-accounts", "pending", null)
      ])
    )
    expect(decoded.steps[0]?.result).toEqual({
      _tag: "StepError",
      code: "invalid-credentials",
      title: "Cannot login to target institution using supplied credentials.",
      detail: "Please check your credentials and try again."
    })
  })

  it("decodes a v2.1 step error with details, and codes outside the enum", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "failed", {
          code: "account-not-accessible-requires-user-action",
          title: "Account needs attention",
          details: "Log in to your bank to accept the new terms."
        }),
        step("retrieve-transactions", "failed", { code: "a-code-nobody-documented" })
      ])
    )
    expect(decoded.steps[0]?.result).toEqual({
      _tag: "StepError",
      code: "account-not-accessible-requires-user-action",
      title: "Account needs attention",
      detail: "Log in to your bank to accept the new terms."
    })
    expect(decoded.steps[1]?.result).toEqual({ _tag: "StepError", code: "a-code-nobody-documented" })
  })

  it("prefers detail over details when both are sent", () => {
    const decoded = decodeJob(
      job([step("verify-credentials", "failed", { code: "maintenance", detail: "v3", details: "v2" })])
    )
    expect(decoded.steps[0]?.result).toEqual({ _tag: "StepError", code: "maintenance", detail: "v3" })
  })

  it("accepts links: null, missing links and a missing source", () => {
    expect(decodeJob(job([], { links: null })).links).toBeUndefined()
    const { links: _, ...noLinks } = job([])
    expect(decodeJob(noLinks).links).toBeUndefined()
    expect(decodeJob(job([], { links: { self: `/jobs/${jobId}` } })).links).toEqual({ self: `/jobs/${jobId}` })
    expect(decodeJob(job([], { links: { self: `/jobs/${jobId}`, source: null } })).links).toEqual({
      self: `/jobs/${jobId}`
    })
  })

  it("decodes a v3 job: createdDate/updatedDate, extra fields ignored, create-report and unknown steps", () => {
    const decoded = decodeJob({
      id: jobId,
      jobType: "connection",
      status: "in-progress",
      partnerId: "partner-1",
      applicationId: "app-1",
      sourceId: connectionId,
      createdDate: "2024-05-06T01:02:03.000Z",
      updatedDate: "2024-05-06T01:02:04Z",
      steps: [
        step("verify-credentials", "success", { type: "link", url: `/users/${userId}/connections/${connectionId}` }),
        step("create-report", "in-progress", null),
        step("something-new", "queued", null)
      ],
      links: null
    })
    expect(decoded).toEqual({
      id: jobId,
      created: "2024-05-06T01:02:03.000Z",
      updated: "2024-05-06T01:02:04Z",
      steps: [
        { title: "verify-credentials", status: "success", result: { _tag: "Link", url: expect.any(String) } },
        { title: "create-report", status: "in-progress", result: null },
        { title: "something-new", status: "queued", result: null }
      ]
    })
  })

  it("decodes a job listed per user, with its institution", () => {
    const decoded = decodeJob(
      job([], { institution: { type: "institution", id: "AU00000", links: { self: `${base}/institutions/AU00000` } } })
    )
    expect(decoded.institution?.id).toBe("AU00000")
  })

  it("fails with the path of a malformed step", () => {
    const result = Schema.decodeUnknownEither(JobSchemas.Job)(
      job([step("verify-credentials", "success", null), { title: "retrieve-accounts", result: null }])
    )
    if (Either.isRight(result)) throw new Error("expected a decode failure")
    expect(issuePaths(result.left)[0]).toBe("steps.1.status")
  })

  it("fails on a result that is neither a link, an MFA challenge nor an error", () => {
    const result = Schema.decodeUnknownEither(JobSchemas.Job)(job([step("retrieve-accounts", "success", { foo: 1 })]))
    if (Either.isRight(result)) throw new Error("expected a decode failure")
    expect(issuePaths(result.left)[0]).toMatch(/^steps\.0\.result/)
  })

  it("encodes back to an approximate wire shape", () => {
    const decoded = decodeJob(
      job([
        step("verify-credentials", "failed", { code: "maintenance", details: "later" }),
        step("mfa-challenge", "in-progress", { type: "mfa", method: "token", input: ["OTP"], expiryMs: 5000 }),
        step("retrieve-accounts", "success", { type: "link", url: "/x" }),
        step("retrieve-transactions", "pending", null)
      ])
    )
    const wire = Schema.encodeSync(JobSchemas.Job)(decoded)
    expect(wire.steps.map((s) => s.result)).toEqual([
      { code: "maintenance", detail: "later" },
      { type: "mfa", method: "token", input: ["OTP"], expiryMs: 5000 },
      { type: "link", url: "/x" },
      null
    ])
    expect(decodeJob(wire)).toEqual(decoded)
  })
})

describe("JobStep, JobStepResult, MfaChallenge", () => {
  it("decodes a step alone", () => {
    expect(Schema.decodeUnknownSync(JobSchemas.JobStep)(step("retrieve-statements", "pending", null))).toEqual({
      title: "retrieve-statements",
      status: "pending",
      result: null
    })
  })

  it("decodes each result variant from the wire", () => {
    const decode = Schema.decodeUnknownSync(JobSchemas.JobStepResult)
    expect(decode({ type: "link", url: "/a" })._tag).toBe("Link")
    expect(decode({ type: "mfa", method: "token" })._tag).toBe("Mfa")
    expect(decode({ code: "job-timed-out" })._tag).toBe("StepError")
    expect(decode({ type: "error", code: "job-timed-out" })._tag).toBe("StepError")
  })

  it("checks a normalised MFA challenge", () => {
    const challenge = JobSchemas.MfaChallenge.make({
      method: "token",
      prompts: ["OTP Password"],
      expiresIn: Duration.minutes(2)
    })
    expect(challenge._tag).toBe("Mfa")
    expect(Schema.is(JobSchemas.MfaChallenge)(challenge)).toBe(true)
    expect(Schema.is(JobSchemas.MfaChallenge)({ _tag: "Mfa", method: "token", prompts: [], expiresIn: 5 })).toBe(false)
  })
})

describe("JobList", () => {
  it("decodes a user's job list", () => {
    const list = Schema.decodeUnknownSync(JobSchemas.JobList)({
      type: "list",
      size: 2,
      data: [
        job([step("verify-credentials", "success", { type: "link", url: "/u/c" })]),
        { ...job([]), id: "job-2", created: undefined, createdDate: "2024-05-01T00:00:00Z" }
      ],
      links: { self: `${base}/users/${userId}/jobs` }
    })
    expect(list.size).toBe(2)
    expect(list.data.map((j) => j.id)).toEqual([jobId, "job-2"])
    expect(list.data[1]?.created).toBe("2024-05-01T00:00:00Z")
  })

  it("accepts a list without size or links", () => {
    const list = Schema.decodeUnknownSync(JobSchemas.JobList)({ type: "list", data: [] })
    expect(list).toEqual({ type: "list", data: [] })
  })
})
