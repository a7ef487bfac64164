/**
 * The pure job helpers of `Jobs`: `connectionIdFromJob`, `userIdFromJob`, `jobState`,
 * `isTerminal`, on jobs decoded from wire fixtures.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Schema } from "effect"
import * as JobSchemas from "../src/JobSchemas.js"
import * as Jobs from "../src/Jobs.js"

const BASE = "https://au-api.basiq.io"
const decodeJob = Schema.decodeUnknownSync(JobSchemas.Job)

type WireStep = { readonly title: string; readonly status: string; readonly result?: unknown }

const job = (steps: ReadonlyArray<WireStep>, links: unknown = { self: `${BASE}/jobs/j1` }) =>
  decodeJob({
    type: "job",
    id: "j1",
    created: "2024-05-07T02:11:44Z",
    updated: "2024-05-07T02:11:50.000Z",
    steps,
    links
  })

const link = (url: string) => ({ type: "link", url })
const mfa = {
  type: "mfa",
  method: "token",
  description: "Enter the code sent to your phone",
  input: ["OTP"],
  expiryMs: 120000,
  links: { response: "/jobs/j1/mfa" }
}
const stepError = { code: "invalid-credentials", title: "Cannot login", detail: "Wrong password" }

const verified = (url = "/users/u-1/connections/c-1"): WireStep => ({
  title: "verify-credentials",
  status: "success",
  result: link(url)
})
const accounts = (status: string, result: unknown = null): WireStep => ({ title: "retrieve-accounts", status, result })
const transactions = (status: string, result: unknown = null): WireStep => ({
  title: "retrieve-transactions",
  status,
  result
})

describe("connectionIdFromJob", () => {
  it("reads the last segment of the verify-credentials link (relative, as Basiq sends it)", () => {
    expect(Jobs.connectionIdFromJob(job([verified(), accounts("pending")]))).toBe("c-1")
  })

  it("reads an absolute link, ignoring a query or fragment", () => {
    expect(Jobs.connectionIdFromJob(job([verified(`${BASE}/users/u-1/connections/c-2?x=1#top`)]))).toBe("c-2")
  })

  it("decodes a percent-encoded segment", () => {
    expect(Jobs.connectionIdFromJob(job([verified("/users/u-1/connections/c%2D3")]))).toBe("c-3")
  })

  it("falls back to links.source while verify-credentials has no link yet, or failed", () => {
    const source = { self: `${BASE}/jobs/j1`, source: `${BASE}/users/u-1/connections/c-src` }
    expect(
      Jobs.connectionIdFromJob(job([{ title: "verify-credentials", status: "in-progress", result: null }], source))
    ).toBe("c-src")
    expect(
      Jobs.connectionIdFromJob(job([{ title: "verify-credentials", status: "failed", result: stepError }], source))
    ).toBe("c-src")
  })

  it("prefers the verify-credentials link over links.source", () => {
    const source = { self: `${BASE}/jobs/j1`, source: `${BASE}/users/u-1/connections/c-src` }
    expect(Jobs.connectionIdFromJob(job([verified("/users/u-1/connections/c-link")], source))).toBe("c-link")
  })

  it("uses only a link of the verify-credentials step (later steps link accounts)", () => {
    const later = accounts("success", link("/users/u-1/accounts?filter=connection.id.eq('c-x')"))
    expect(Jobs.connectionIdFromJob(job([{ title: "verify-credentials", status: "pending" }, later]))).toBeUndefined()
  })

  it("is undefined without a link or source, with links: null, or with an empty last segment", () => {
    expect(Jobs.connectionIdFromJob(job([accounts("pending")]))).toBeUndefined()
    expect(Jobs.connectionIdFromJob(job([accounts("pending")], null))).toBeUndefined()
    expect(Jobs.connectionIdFromJob(job([verified("/users/u-1/connections/")]))).toBeUndefined()
    expect(Jobs.connectionIdFromJob(job([verified("/users/u-1")]))).toBeUndefined()
  })
})

describe("userIdFromJob", () => {
  it("reads the user from links.source", () => {
    const source = { self: `${BASE}/jobs/j1`, source: `${BASE}/users/u-src/connections/c-1` }
    expect(Jobs.userIdFromJob(job([accounts("pending")], source))).toBe("u-src")
  })

  it("falls back to the verify-credentials link", () => {
    expect(Jobs.userIdFromJob(job([verified("/users/u-link/connections/c-1")]))).toBe("u-link")
  })

  it("prefers links.source over the link", () => {
    const source = { self: `${BASE}/jobs/j1`, source: `${BASE}/users/u-src/connections/c-1` }
    expect(Jobs.userIdFromJob(job([verified("/users/u-link/connections/c-1")], source))).toBe("u-src")
  })

  it("is undefined when neither names a user", () => {
    expect(
      Jobs.userIdFromJob(job([accounts("in-progress")], { self: `${BASE}/jobs/j1`, source: null }))
    ).toBeUndefined()
  })
})

describe("jobState and isTerminal", () => {
  it("every step succeeded: Succeeded, terminal", () => {
    const done = job([
      verified(),
      accounts("success", link("/users/u-1/accounts")),
      transactions("success", link("/users/u-1/transactions"))
    ])
    expect(Jobs.jobState(done)).toEqual({ _tag: "Succeeded" })
    expect(Jobs.isTerminal(done)).toBe(true)
  })

  it("a failed step: Failed with that step (later steps stay pending), terminal", () => {
    const failed = job([verified(), accounts("failed", stepError), transactions("pending")])
    const state = Jobs.jobState(failed)
    expect(state._tag).toBe("Failed")
    if (state._tag !== "Failed") return
    expect(state.step.title).toBe("retrieve-accounts")
    expect(state.step.result).toEqual({
      _tag: "StepError",
      code: "invalid-credentials",
      title: "Cannot login",
      detail: "Wrong password"
    })
    expect(Jobs.isTerminal(failed)).toBe(true)
  })

  it("a failed step with no result is still Failed", () => {
    const failed = job([{ title: "verify-credentials", status: "failed", result: null }, accounts("pending")])
    expect(Jobs.jobState(failed)._tag).toBe("Failed")
    expect(Jobs.isTerminal(failed)).toBe(true)
  })

  it("an in-progress MFA challenge: AwaitingMfa with the challenge, not terminal", () => {
    const waiting = job([
      verified(),
      { title: "mfa-challenge", status: "in-progress", result: mfa },
      accounts("pending")
    ])
    const state = Jobs.jobState(waiting)
    expect(state._tag).toBe("AwaitingMfa")
    if (state._tag !== "AwaitingMfa") return
    expect(state.challenge.method).toBe("token")
    expect(state.challenge.prompts).toEqual(["OTP"])
    expect(state.challenge.expiresIn && Duration.toMillis(state.challenge.expiresIn)).toBe(120000)
    expect(Jobs.isTerminal(waiting)).toBe(false)
  })

  it("an answered MFA step (success) does not hold the job", () => {
    const answered = job([
      verified(),
      { title: "mfa-challenge", status: "success", result: mfa },
      accounts("in-progress"),
      transactions("pending")
    ])
    expect(Jobs.jobState(answered)).toEqual({ _tag: "Running", step: "retrieve-accounts" })
    expect(Jobs.isTerminal(answered)).toBe(false)
  })

  it("a pending MFA step without a challenge yet is Running on it", () => {
    const pending = job([verified(), { title: "mfa-challenge", status: "pending" }, accounts("pending")])
    expect(Jobs.jobState(pending)).toEqual({ _tag: "Running", step: "mfa-challenge" })
  })

  it("a fresh job: Running on its first step, not terminal", () => {
    const fresh = job([
      { title: "verify-credentials", status: "in-progress", result: null },
      accounts("pending"),
      transactions("pending")
    ])
    expect(Jobs.jobState(fresh)).toEqual({ _tag: "Running", step: "verify-credentials" })
    expect(Jobs.isTerminal(fresh)).toBe(false)
  })

  it("a job with no steps yet is Running, not Succeeded", () => {
    const empty = job([])
    expect(Jobs.jobState(empty)).toEqual({ _tag: "Running", step: undefined })
    expect(Jobs.isTerminal(empty)).toBe(false)
  })

  it("v3 step titles and an array result are classified the same way", () => {
    const v3 = decodeJob({
      id: "j3",
      jobType: "connection",
      createdDate: "2024-05-07T02:11:44Z",
      updatedDate: "2024-05-07T02:11:45Z",
      steps: [
        { title: "verify-credentials", status: "success", result: [link("/users/u-3/connections/c-3")] },
        { title: "create-report", status: "in-progress", result: null }
      ],
      links: null
    })
    expect(Jobs.jobState(v3)).toEqual({ _tag: "Running", step: "create-report" })
    expect(Jobs.connectionIdFromJob(v3)).toBe("c-3")
    expect(Jobs.userIdFromJob(v3)).toBe("u-3")
  })
})
