import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { Connection, JobRef, List, Summary } from "./helpers.js"
import { BASE, connect, connectionIdOf, errorOf, getJob, send, setup } from "./helpers.js"

const json = { "content-type": "application/json" }

/** Connects `loginId` and lets its job finish (default step duration: 1 s, three steps). */
const connected = (t: string, userId: string, loginId = "jared", password = "django") =>
  Effect.gen(function* () {
    const jobId = yield* connect(t, userId, loginId, password)
    yield* TestClock.adjust("3 seconds")
    return connectionIdOf(yield* getJob(t, jobId))
  })

describe("connections", () => {
  it.effect("POST creates a pending connection and answers 202 with a job ref", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const reply = yield* send("POST", `/users/${userId}/connections`, {
        token: t,
        json: { loginId: "jared", password: "django", institution: { id: "AU00000" } }
      })
      expect(reply.status).toBe(202)
      const ref = reply.body as JobRef
      expect(ref).toEqual({ type: "job", id: ref.id, links: { self: `${BASE}/jobs/${ref.id}` } })
      const job = yield* getJob(t, ref.id)
      expect(job.links.source).toMatch(new RegExp(`^${BASE}/users/${userId}/connections/[^/]+$`))
      const connection = yield* send("GET", job.links.source.slice(BASE.length), { token: t })
      expect(connection.status).toBe(200)
      expect(connection.body).toMatchObject({ type: "connection", status: "pending", accounts: { data: [] } })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("GET answers the connection with accounts, institution and absolute links once active", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const reply = yield* send("GET", `/users/${userId}/connections/${connectionId}`, { token: t, headers: json })
      expect(reply.status).toBe(200)
      const connection = reply.body as Connection
      const user = `${BASE}/users/${userId}`
      expect(connection).toMatchObject({
        type: "connection",
        id: connectionId,
        status: "active",
        method: "web",
        createdDate: "1970-01-01T00:00:00.000Z",
        lastUsed: "1970-01-01T00:00:03.000Z",
        institution: { type: "institution", id: "AU00000", links: { self: `${BASE}/institutions/AU00000` } },
        profile: { fullName: "Jared Dunn", middleName: "" },
        links: {
          self: `${user}/connections/${connectionId}`,
          user,
          accounts: `${user}/accounts?filter=institution.id.eq('AU00000')`,
          transactions: `${user}/transactions?filter=institution.id.eq('AU00000')`
        }
      })
      expect(connection.accounts.type).toBe("list")
      expect(connection.accounts.data.length).toBeGreaterThanOrEqual(3)
      for (const account of connection.accounts.data) {
        expect(account).toMatchObject({
          type: "account",
          currency: "AUD",
          status: "available",
          lastUpdated: "1970-01-01T00:00:03.000Z",
          links: { self: `${user}/accounts/${account.id}` }
        })
        expect(account.balance).toMatch(/^-?\d+\.\d\d$/)
        expect(account.availableFunds === null || /^-?\d+\.\d\d$/.test(account.availableFunds)).toBe(true)
      }
      expect(connection.accounts.data.some((a) => a.availableFunds === null)).toBe(true)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("GET lists the user's connections as summaries", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const other = yield* setup
      yield* connected(t, other.userId)
      const reply = yield* send("GET", `/users/${userId}/connections`, { token: t, headers: json })
      expect(reply.status).toBe(200)
      const list = reply.body as List<Summary>
      expect(list).toEqual({
        type: "list",
        data: [
          {
            type: "connection",
            id: connectionId,
            status: "active",
            createdDate: "1970-01-01T00:00:00.000Z",
            lastUsed: "1970-01-01T00:00:03.000Z",
            method: "web",
            institution: { type: "institution", id: "AU00000", links: { self: `${BASE}/institutions/AU00000` } },
            links: {
              self: `${BASE}/users/${userId}/connections/${connectionId}`,
              institution: `${BASE}/institutions/AU00000`,
              accounts: `${BASE}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`,
              transactions: `${BASE}/users/${userId}/transactions?filter=institution.id.eq('AU00000')`
            }
          }
        ],
        links: { self: `${BASE}/users/${userId}/connections` }
      })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("update starts a job with the new password: a wrong one invalidates, the right one restores", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const path = `/users/${userId}/connections/${connectionId}`
      const wrong = yield* send("POST", path, { token: t, json: { password: "flask" } })
      expect(wrong.status).toBe(202)
      const wrongJob = (wrong.body as JobRef).id
      expect((yield* send("GET", path, { token: t })).body).toMatchObject({ status: "active" })
      yield* TestClock.adjust("1 second")
      const failed = yield* getJob(t, wrongJob)
      expect(failed.steps[0]).toMatchObject({ status: "failed", result: { code: "invalid-credentials" } })
      expect((yield* send("GET", path, { token: t })).body).toMatchObject({ status: "invalid" })
      const right = yield* send("POST", path, {
        token: t,
        json: { password: "django", securityCode: "1234", secondaryLoginId: "x" }
      })
      expect(right.status).toBe(202)
      yield* TestClock.adjust("3 seconds")
      expect((yield* send("GET", path, { token: t })).body).toMatchObject({ status: "active" })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("DELETE answers 204 with no body; the connection is gone", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const path = `/users/${userId}/connections/${connectionId}`
      const reply = yield* send("DELETE", path, { token: t, headers: json })
      expect(reply.status).toBe(204)
      expect(reply.text).toBe("")
      expect((yield* send("GET", path, { token: t })).status).toBe(404)
      expect((yield* send("DELETE", path, { token: t })).status).toBe(404)
      expect(((yield* send("GET", `/users/${userId}/connections`, { token: t })).body as List<Summary>).data).toEqual(
        []
      )
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("refresh answers 202 with a new job, or 200 with the job still running", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const path = `/users/${userId}/connections/${connectionId}/refresh`
      const first = yield* send("POST", path, { token: t, headers: json, body: "" })
      expect(first.status).toBe(202)
      const jobId = (first.body as JobRef).id
      expect(first.body).toEqual({ type: "job", id: jobId, links: { self: `${BASE}/jobs/${jobId}` } })
      yield* TestClock.adjust("1 second")
      const again = yield* send("POST", path, { token: t })
      expect(again.status).toBe(200)
      expect((again.body as JobRef).id).toBe(jobId)
      expect((yield* send("GET", `/users/${userId}/connections/${connectionId}`, { token: t })).body).toMatchObject({
        status: "active"
      })
      yield* TestClock.adjust("2 seconds")
      const later = yield* send("POST", path, { token: t, headers: json, body: "{}" })
      expect(later.status).toBe(202)
      expect((later.body as JobRef).id).not.toBe(jobId)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("refresh of all connections answers 202 with one job ref each", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      yield* connected(t, userId)
      const runningJob = yield* connect(t, userId, "richard", "tabsnotspaces")
      const reply = yield* send("POST", `/users/${userId}/connections/refresh`, { token: t, headers: json })
      expect(reply.status).toBe(202)
      const list = reply.body as List<JobRef>
      expect(Object.keys(list)).toEqual(["type", "data"])
      expect(list.type).toBe("list")
      expect(list.data).toHaveLength(2)
      expect(list.data.map((ref) => ref.id)).toContain(runningJob)
      for (const ref of list.data)
        expect(ref).toEqual({ type: "job", id: ref.id, links: { self: `${BASE}/jobs/${ref.id}` } })
      const empty = yield* setup
      const none = yield* send("POST", `/users/${empty.userId}/connections/refresh`, { token: t })
      expect(none.body).toEqual({ type: "list", data: [] })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("404 resource-not-found for unknown users and connections, and another user's connection", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const other = yield* setup
      const cases = [
        ["GET", `/users/nobody/connections`],
        ["POST", `/users/nobody/connections`],
        ["POST", `/users/nobody/connections/refresh`],
        ["GET", `/users/${userId}/connections/nothing`],
        ["POST", `/users/${userId}/connections/nothing`],
        ["DELETE", `/users/${userId}/connections/nothing`],
        ["POST", `/users/${userId}/connections/nothing/refresh`],
        ["GET", `/users/${other.userId}/connections/${connectionId}`],
        ["DELETE", `/users/${other.userId}/connections/${connectionId}`]
      ] as const
      for (const [method, path] of cases) {
        const body = method === "POST" ? { json: { password: "django" } } : {}
        const reply = yield* send(method, path, { token: t, ...body })
        expect(reply.status, `${method} ${path}`).toBe(404)
        expect(errorOf(reply)?.code).toBe("resource-not-found")
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("POST refuses invalid bodies with 400 and the field's pointer, and other content types with 415", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const path = `/users/${userId}/connections`
      const missing = yield* send("POST", path, { token: t, json: {} })
      expect(missing.status).toBe(400)
      expect((missing.body as { data: Array<unknown> }).data).toEqual([
        expect.objectContaining({
          code: "parameter-not-supplied",
          source: { parameter: "loginId", pointer: "/loginId" }
        }),
        expect.objectContaining({
          code: "parameter-not-supplied",
          source: { parameter: "password", pointer: "/password" }
        }),
        expect.objectContaining({
          code: "parameter-not-supplied",
          source: { parameter: "institution.id", pointer: "/institution/id" }
        })
      ])
      const emptyStrings = yield* send("POST", path, {
        token: t,
        json: { loginId: "", password: "django", institution: { id: "" } }
      })
      expect(
        (emptyStrings.body as { data: Array<{ source: { pointer: string } }> }).data.map((e) => e.source.pointer)
      ).toEqual(["/loginId", "/institution/id"])
      const wrongTypes = yield* send("POST", path, {
        token: t,
        json: { loginId: 7, password: "django", institution: "AU00000", securityCode: 1234 }
      })
      expect(wrongTypes.status).toBe(400)
      expect((wrongTypes.body as { data: Array<unknown> }).data).toEqual([
        expect.objectContaining({ code: "parameter-not-valid", source: { parameter: "loginId", pointer: "/loginId" } }),
        expect.objectContaining({
          code: "parameter-not-valid",
          source: { parameter: "institution", pointer: "/institution" }
        }),
        expect.objectContaining({
          code: "parameter-not-valid",
          source: { parameter: "securityCode", pointer: "/securityCode" }
        })
      ])
      const empty = yield* send("POST", path, { token: t, body: "" })
      expect(empty.status).toBe(400)
      expect(errorOf(empty)?.code).toBe("parameter-not-supplied")
      const form = yield* send("POST", path, {
        token: t,
        body: "loginId=jared&password=django",
        contentType: "application/x-www-form-urlencoded"
      })
      expect(form.status).toBe(415)
      expect(errorOf(form)?.code).toBe("unsupported-content-type")
      expect(((yield* send("GET", path, { token: t })).body as List<Summary>).data).toEqual([])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("update refuses a missing password and other content types", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const connectionId = yield* connected(t, userId)
      const path = `/users/${userId}/connections/${connectionId}`
      const missing = yield* send("POST", path, { token: t, json: { securityCode: "1" } })
      expect(missing.status).toBe(400)
      expect(errorOf(missing)).toMatchObject({ code: "parameter-not-supplied", source: { pointer: "/password" } })
      const text = yield* send("POST", path, { token: t, body: "django", contentType: "text/plain" })
      expect(text.status).toBe(415)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("seedConnection() adds a connection with accounts; its refreshes succeed", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      const seeded = yield* basiq.seedConnection({
        userId,
        institutionId: "AU00004",
        accounts: [{ name: "Offset", balance: "10.50", availableFunds: null }, { balance: null }]
      })
      expect(seeded).toMatchObject({
        type: "connection",
        status: "active",
        institution: { id: "AU00004" },
        accounts: {
          type: "list",
          data: [
            { type: "account", name: "Offset", balance: "10.50", availableFunds: null, currency: "AUD" },
            { type: "account", balance: null }
          ]
        }
      })
      const read = yield* send("GET", `/users/${userId}/connections/${seeded.id}`, { token: t })
      expect(read.body).toEqual(seeded)
      const pending = yield* basiq.seedConnection({ userId, status: "invalid" })
      expect(pending.status).toBe("invalid")
      expect(pending.institution.id).toBe("AU00000")
      expect(pending.accounts.data.length).toBeGreaterThan(0)
      const refresh = yield* send("POST", `/users/${userId}/connections/${pending.id}/refresh`, { token: t })
      yield* TestClock.adjust("3 seconds")
      const job = yield* getJob(t, (refresh.body as JobRef).id)
      expect(job.steps.every((s) => s.status === "success")).toBe(true)
      const after = yield* send("GET", `/users/${userId}/connections/${pending.id}`, { token: t })
      expect(after.body).toMatchObject({ status: "active" })
      const missingUser = yield* Effect.exit(basiq.seedConnection({ userId: "nobody" }))
      expect(missingUser._tag).toBe("Failure")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
