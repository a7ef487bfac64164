import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { Job, JobRef, List } from "./helpers.js"
import { BASE, connect, connectionIdOf, errorOf, getJob, send, setup, statuses } from "./helpers.js"

const connectionStatus = (t: string, job: Job) =>
  Effect.map(
    send("GET", job.links.source.slice(BASE.length), { token: t }),
    (reply) => (reply.body as InMemoryBasiq.Connection).status
  )

const answer = (t: string, jobId: string, answers: unknown) =>
  send("POST", `/jobs/${jobId}/mfa`, { token: t, json: { "mfa-response": answers } })

describe("jobs", () => {
  it.effect("advance one step per stepDuration on the Clock", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "jared", "django")
      const start = yield* getJob(t, jobId)
      const connectionId = connectionIdOf(start)
      expect(start).toEqual({
        type: "job",
        id: jobId,
        created: "1970-01-01T00:00:00.000Z",
        updated: "1970-01-01T00:00:00.000Z",
        steps: [
          { title: "verify-credentials", status: "in-progress", result: null },
          { title: "retrieve-accounts", status: "pending", result: null },
          { title: "retrieve-transactions", status: "pending", result: null }
        ],
        links: { self: `${BASE}/jobs/${jobId}`, source: `${BASE}/users/${userId}/connections/${connectionId}` }
      })
      expect(yield* connectionStatus(t, start)).toBe("pending")
      yield* TestClock.adjust("999 millis")
      expect(statuses(yield* getJob(t, jobId))).toEqual([
        "verify-credentials:in-progress",
        "retrieve-accounts:pending",
        "retrieve-transactions:pending"
      ])
      yield* TestClock.adjust("1 millis")
      const verified = yield* getJob(t, jobId)
      expect(verified.updated).toBe("1970-01-01T00:00:01.000Z")
      expect(verified.steps).toEqual([
        {
          title: "verify-credentials",
          status: "success",
          result: { type: "link", url: `/users/${userId}/connections/${connectionId}` }
        },
        { title: "retrieve-accounts", status: "in-progress", result: null },
        { title: "retrieve-transactions", status: "pending", result: null }
      ])
      yield* TestClock.adjust("1 second")
      expect(statuses(yield* getJob(t, jobId))).toEqual([
        "verify-credentials:success",
        "retrieve-accounts:success",
        "retrieve-transactions:in-progress"
      ])
      expect(yield* connectionStatus(t, verified)).toBe("pending")
      yield* TestClock.adjust("1 second")
      const done = yield* getJob(t, jobId)
      expect(done.updated).toBe("1970-01-01T00:00:03.000Z")
      expect(done.steps.slice(1)).toEqual([
        {
          title: "retrieve-accounts",
          status: "success",
          result: { type: "link", url: `/users/${userId}/accounts?filter=institution.id.eq('AU00000')` }
        },
        {
          title: "retrieve-transactions",
          status: "success",
          result: { type: "link", url: `/users/${userId}/transactions?filter=institution.id.eq('AU00000')` }
        }
      ])
      expect(yield* connectionStatus(t, done)).toBe("active")
      yield* TestClock.adjust("50 minutes")
      expect((yield* getJob(t, jobId)).updated).toBe("1970-01-01T00:00:03.000Z")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("stepDuration sets the pace", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "jared", "django")
      yield* TestClock.adjust("29 millis")
      expect(statuses(yield* getJob(t, jobId))[2]).toBe("retrieve-transactions:in-progress")
      yield* TestClock.adjust("1 millis")
      expect(statuses(yield* getJob(t, jobId))[2]).toBe("retrieve-transactions:success")
    }).pipe(Effect.provide(InMemoryBasiq.layer({ stepDuration: "10 millis" })))
  )

  it.effect("404 resource-not-found for an unknown job", () =>
    Effect.gen(function* () {
      const { token: t } = yield* setup
      for (const reply of [yield* send("GET", "/jobs/nothing", { token: t }), yield* answer(t, "nothing", ["1"])]) {
        expect(reply.status).toBe(404)
        expect(errorOf(reply)?.code).toBe("resource-not-found")
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("GET /users/{id}/jobs lists the user's jobs, newest first, with their institution", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const first = yield* connect(t, userId, "jared", "django")
      yield* TestClock.adjust("1 second")
      const second = yield* connect(t, userId, "richard", "tabsnotspaces", "AU00002")
      const reply = yield* send("GET", `/users/${userId}/jobs`, {
        token: t,
        headers: { "content-type": "application/json" }
      })
      expect(reply.status).toBe(200)
      const list = reply.body as List<Job>
      expect(list.type).toBe("list")
      expect(list.size).toBe(2)
      expect(list.links).toEqual({ self: `${BASE}/users/${userId}/jobs` })
      expect(list.data.map((job) => job.id)).toEqual([second, first])
      expect(list.data[0]).toMatchObject({
        institution: { type: "institution", id: "AU00002", links: { self: `${BASE}/institutions/AU00002` } }
      })
      const firstJob = yield* getJob(t, first)
      expect(firstJob.institution).toBeUndefined()
      const filter = encodeURIComponent(`connection.id.eq('${connectionIdOf(firstJob)}')`)
      const filtered = yield* send("GET", `/users/${userId}/jobs?filter=${filter}`, { token: t })
      expect((filtered.body as List<Job>).data.map((job) => job.id)).toEqual([first])
      const malformed = yield* send("GET", `/users/${userId}/jobs?filter=connection.id.is(1)`, { token: t })
      expect(malformed.status).toBe(400)
      expect(errorOf(malformed)?.source).toEqual({ parameter: "filter" })
      expect((yield* send("GET", "/users/nobody/jobs", { token: t })).status).toBe(404)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("sandbox logins", () => {
  const happy = [
    ["Wentworth-Smith", "whislter"],
    ["gavinBelson", "hooli2016"],
    ["jared", "django"],
    ["richard", "tabsnotspaces"],
    ["Whistler", "ShowBox"],
    ["Gilfoyle", "PiedPiper"],
    ["laurieBream", "business2024"],
    ["ashMann", "hooli2024"]
  ] as const

  for (const [loginId, password] of happy) {
    it.effect(`${loginId}/${password} connects at AU00000 without MFA`, () =>
      Effect.gen(function* () {
        const { token: t, userId } = yield* setup
        const jobId = yield* connect(t, userId, loginId, password)
        yield* TestClock.adjust("3 seconds")
        const job = yield* getJob(t, jobId)
        expect(statuses(job)).toEqual([
          "verify-credentials:success",
          "retrieve-accounts:success",
          "retrieve-transactions:success"
        ])
        const connection = yield* send("GET", job.links.source.slice(BASE.length), { token: t })
        expect(connection.body).toMatchObject({ status: "active", institution: { id: "AU00000" } })
        expect((connection.body as InMemoryBasiq.Connection).accounts.data.length).toBeGreaterThan(0)
      }).pipe(Effect.provide(InMemoryBasiq.layer()))
    )
  }

  const unhappy = [
    ["bighead", "password", "AU00000", "invalid-credentials", "Account is locked"],
    ["erlich", "aviato", "AU00000", "account-not-accessible-requires-user-action", undefined],
    ["jianYang", "nothotdog", "AU00000", "service-unavailable", undefined],
    ["bighead", "password", "AU00002", "invalid-credentials", "Account is locked"],
    ["nobody", "secret", "AU00000", "invalid-credentials", undefined],
    ["jared", "flask", "AU00000", "invalid-credentials", undefined],
    ["jared", "django", "AU99999", "institution-not-found", undefined]
  ] as const

  for (const [loginId, password, institutionId, code, detail] of unhappy) {
    it.effect(`${loginId}/${password} at ${institutionId} fails verify-credentials with ${code}`, () =>
      Effect.gen(function* () {
        const { token: t, userId } = yield* setup
        const jobId = yield* connect(t, userId, loginId, password, institutionId)
        yield* TestClock.adjust("1 second")
        const job = yield* getJob(t, jobId)
        expect(statuses(job)).toEqual([
          "verify-credentials:failed",
          "retrieve-accounts:pending",
          "retrieve-transactions:pending"
        ])
        const result = job.steps[0]?.result
        expect(Object.keys(result ?? {}).sort()).toEqual(["code", "detail", "title"])
        expect(result).toMatchObject({ code, ...(detail === undefined ? {} : { detail }) })
        yield* TestClock.adjust("1 minute")
        expect(statuses(yield* getJob(t, jobId))[1]).toBe("retrieve-accounts:pending")
        expect(yield* connectionStatus(t, job)).toBe("invalid")
        const connection = yield* send("GET", job.links.source.slice(BASE.length), { token: t })
        expect((connection.body as InMemoryBasiq.Connection).accounts.data).toEqual([])
      }).pipe(Effect.provide(InMemoryBasiq.layer()))
    )
  }

  it.effect("laurieBream has no MFA at AU00002", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "laurieBream", "business2024", "AU00002")
      yield* TestClock.adjust("3 seconds")
      expect(statuses(yield* getJob(t, jobId))).toEqual([
        "verify-credentials:success",
        "retrieve-accounts:success",
        "retrieve-transactions:success"
      ])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("MFA at AU00002", () => {
  const logins = [
    ["gavinBelson", "hooli2016", "security-questions", 1, ["Hooli"]],
    ["Gilfoyle", "PiedPiper", "security-questions", 1, ["Hooli"]],
    ["jared", "django", "token", 1, ["1234"]],
    ["richard", "tabsnotspaces", "token", 1, ["1234"]],
    ["Whistler", "ShowBox", "security-questions", 2, ["Basiq", "AU00000"]],
    ["Wentworth-Smith", "whislter", "security-questions", 2, ["Basiq", "AU00000"]]
  ] as const

  for (const [loginId, password, method, prompts, answers] of logins) {
    it.effect(`${loginId} stops at mfa-challenge (${method}) until answered ${JSON.stringify(answers)}`, () =>
      Effect.gen(function* () {
        const { token: t, userId } = yield* setup
        const jobId = yield* connect(t, userId, loginId, password, "AU00002")
        yield* TestClock.adjust("1 second")
        const waiting = yield* getJob(t, jobId)
        expect(statuses(waiting)).toEqual([
          "verify-credentials:success",
          "mfa-challenge:in-progress",
          "retrieve-accounts:pending",
          "retrieve-transactions:pending"
        ])
        const challenge = waiting.steps[1]?.result
        expect(challenge).toMatchObject({
          type: "mfa",
          method,
          expiryMs: 120000,
          links: { response: `/jobs/${jobId}/mfa` }
        })
        expect(challenge?.description).toEqual(expect.any(String))
        expect(challenge?.input).toHaveLength(prompts)
        yield* TestClock.adjust("1 minute")
        expect(statuses(yield* getJob(t, jobId))[1]).toBe("mfa-challenge:in-progress")
        expect(yield* connectionStatus(t, waiting)).toBe("pending")
        const reply = yield* answer(t, jobId, answers)
        expect(reply.status).toBe(202)
        expect(reply.body).toEqual({ type: "job", id: jobId, links: { self: `${BASE}/jobs/${jobId}` } })
        const answered = yield* getJob(t, jobId)
        expect(statuses(answered)).toEqual([
          "verify-credentials:success",
          "mfa-challenge:success",
          "retrieve-accounts:in-progress",
          "retrieve-transactions:pending"
        ])
        expect(answered.updated).toBe("1970-01-01T00:01:01.000Z")
        yield* TestClock.adjust("2 seconds")
        const done = yield* getJob(t, jobId)
        expect(done.steps.every((step) => step.status === "success")).toBe(true)
        expect(yield* connectionStatus(t, done)).toBe("active")
      }).pipe(Effect.provide(InMemoryBasiq.layer()))
    )
  }

  it.effect("a wrong answer fails the step and the later steps stay pending", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "gavinBelson", "hooli2016", "AU00002")
      yield* TestClock.adjust("1 second")
      expect((yield* answer(t, jobId, ["Pied Piper"])).status).toBe(202)
      const job = yield* getJob(t, jobId)
      expect(statuses(job)).toEqual([
        "verify-credentials:success",
        "mfa-challenge:failed",
        "retrieve-accounts:pending",
        "retrieve-transactions:pending"
      ])
      expect(job.steps[1]?.result).toMatchObject({ code: "invalid-credentials" })
      expect(yield* connectionStatus(t, job)).toBe("invalid")
      const late = yield* answer(t, jobId, ["Hooli"])
      expect(late.status).toBe(400)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("400 when no MFA is pending, or the answer is missing or not strings", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "gavinBelson", "hooli2016", "AU00002")
      const early = yield* answer(t, jobId, ["Hooli"])
      expect(early.status).toBe(400)
      expect(errorOf(early)?.code).toBe("parameter-not-valid")
      yield* TestClock.adjust("1 second")
      const missing = yield* send("POST", `/jobs/${jobId}/mfa`, { token: t, json: {} })
      expect(missing.status).toBe(400)
      expect(errorOf(missing)).toMatchObject({ code: "parameter-not-supplied", source: { pointer: "/mfa-response" } })
      const notStrings = yield* answer(t, jobId, [1234])
      expect(notStrings.status).toBe(400)
      expect(errorOf(notStrings)).toMatchObject({ code: "parameter-not-valid", source: { pointer: "/mfa-response" } })
      const text = yield* send("POST", `/jobs/${jobId}/mfa`, { token: t, body: "Hooli", contentType: "text/plain" })
      expect(text.status).toBe(415)
      expect(statuses(yield* getJob(t, jobId))[1]).toBe("mfa-challenge:in-progress")
      const noMfa = yield* connect(t, userId, "jared", "django")
      yield* TestClock.adjust("1 second")
      expect((yield* answer(t, noMfa, ["1234"])).status).toBe(400)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("an unanswered challenge expires after expiryMs", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "jared", "django", "AU00002")
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("120 seconds")
      const job = yield* getJob(t, jobId)
      expect(statuses(job)[1]).toBe("mfa-challenge:failed")
      expect(job.steps[1]?.result).toMatchObject({ code: "job-timed-out" })
      expect((yield* answer(t, jobId, ["1234"])).status).toBe(400)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a refresh meets the challenge again", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const jobId = yield* connect(t, userId, "jared", "django", "AU00002")
      yield* TestClock.adjust("1 second")
      yield* answer(t, jobId, ["1234"])
      yield* TestClock.adjust("2 seconds")
      const connectionId = connectionIdOf(yield* getJob(t, jobId))
      const refresh = yield* send("POST", `/users/${userId}/connections/${connectionId}/refresh`, { token: t })
      yield* TestClock.adjust("1 second")
      const job = yield* getJob(t, (refresh.body as JobRef).id)
      expect(statuses(job)[1]).toBe("mfa-challenge:in-progress")
      expect(yield* connectionStatus(t, job)).toBe("active")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
