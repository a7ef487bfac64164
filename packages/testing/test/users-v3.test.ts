/**
 * The v3 journey's routes over the in-memory layer: users (create, get, update, delete), purge,
 * consents, client tokens bound to a user, and the `completeConsent`/`revokeConsent` controls.
 * Job steps advance on `TestClock`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { Connection, List, Reply } from "./helpers.js"
import { BASE, errorOf, getJob, send, setup, statuses, token, tokenHeaders } from "./helpers.js"

interface UserGet {
  readonly type: "user"
  readonly id: string
  readonly email: string
  readonly mobile: string
  readonly name: string
  readonly firstName: string
  readonly middleName: string
  readonly lastName: string
  readonly connections: List<{ readonly type: "connection"; readonly id: string }> & { readonly count: number }
  readonly accounts: List<{ readonly type: "account"; readonly id: string }> & { readonly count: number }
  readonly links: Readonly<Record<string, string | null>>
}

const bodyOf = <A>(reply: Reply) => reply.body as A

/** A user with one active Hooli connection made through `completeConsent`, its jobs finished. */
const connected = Effect.gen(function* () {
  const { token: t, userId } = yield* setup
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const { jobIds } = yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
  yield* TestClock.adjust("3 seconds")
  const job = yield* getJob(t, jobIds[0] ?? "")
  expect(statuses(job)).toEqual([
    "verify-credentials:success",
    "retrieve-accounts:success",
    "retrieve-transactions:success"
  ])
  const connectionId = job.links.source.split("/").pop() ?? ""
  return { t, userId, basiq, jobId: job.id, connectionId }
})

describe("POST /users (v3)", () => {
  it.effect("checks email, mobile and the business fields as Basiq's errors page says", () =>
    Effect.gen(function* () {
      const t = yield* token
      const neither = yield* send("POST", "/users", { token: t, json: { firstName: "Gavin" } })
      expect(neither.status).toBe(400)
      expect(errorOf(neither)).toEqual({
        type: "error",
        code: "parameter-not-supplied",
        title: "Required parameter not supplied",
        detail: "One of 'email' or 'mobile' is required.",
        source: {}
      })
      const email = yield* send("POST", "/users", { token: t, json: { email: "gavin.hooli.com" } })
      expect(email.status).toBe(400)
      expect(errorOf(email)).toMatchObject({
        code: "parameter-not-valid",
        detail: "Provided email is in bad format.",
        source: { pointer: "/email" }
      })
      const mobile = yield* send("POST", "/users", { token: t, json: { email: "g@hooli.com", mobile: "0410888999" } })
      expect(mobile.status).toBe(400)
      expect(errorOf(mobile)).toMatchObject({
        code: "parameter-not-valid",
        detail: "Provided mobile is in bad format."
      })
      const noName = yield* send("POST", "/users", {
        token: t,
        json: { email: "g@hooli.com", businessIdNo: "16 7645 892" }
      })
      expect(noName.status).toBe(400)
      expect(errorOf(noName)).toMatchObject({
        code: "parameter-not-valid",
        detail: "Business name is required when business number is provided."
      })
      const badType = yield* send("POST", "/users", {
        token: t,
        json: { email: "g@hooli.com", businessName: "Hooli", businessIdNoType: "TFN" }
      })
      expect(badType.status).toBe(400)
      expect(errorOf(badType)?.source).toEqual({ parameter: "businessIdNoType", pointer: "/businessIdNoType" })
      const users = yield* send("GET", "/users/anything", { token: t })
      expect(users.status).toBe(404)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a business user keeps its name and business fields", () =>
    Effect.gen(function* () {
      const t = yield* token
      const business = {
        businessName: "Hooli",
        businessIdNo: "16 7645 892",
        businessIdNoType: "ABN",
        businessAddress: { addressLine1: "1 Hooli Way", suburb: "Palo Alto", countryCode: "AUS" },
        verificationStatus: true,
        verificationDate: "12/01/2024"
      }
      const created = yield* send("POST", "/users", {
        token: t,
        json: { mobile: "+61410888999", firstName: "Laurie", lastName: "Bream", ...business }
      })
      expect(created.status).toBe(201)
      const id = bodyOf<{ id: string }>(created).id
      expect(created.body).toEqual({
        type: "user",
        id,
        email: "",
        mobile: "+61410888999",
        firstName: "Laurie",
        lastName: "Bream",
        ...business,
        links: { self: `${BASE}/users/${id}` }
      })
      const read = bodyOf<UserGet>(yield* send("GET", `/users/${id}`, { token: t }))
      expect(read).toMatchObject({ name: "Laurie Bream", middleName: "", ...business })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("GET /users/{userId} (v3)", () => {
  it.effect("answers UserGetResponse: names, connection and account lists, links with auth_link null", () =>
    Effect.gen(function* () {
      const { t, userId, connectionId } = yield* connected
      const reply = yield* send("GET", `/users/${userId}`, { token: t })
      expect(reply.status).toBe(200)
      const user = bodyOf<UserGet>(reply)
      const self = `${BASE}/users/${userId}`
      expect(user).toMatchObject({
        type: "user",
        id: userId,
        email: "max@hooli.example",
        mobile: "",
        name: "",
        firstName: "",
        middleName: "",
        lastName: "",
        connections: {
          type: "list",
          count: 1,
          data: [{ type: "connection", id: connectionId, links: { self: `${self}/connections/${connectionId}` } }]
        },
        links: {
          accounts: `${self}/accounts`,
          auth_link: null,
          connections: `${self}/connections`,
          self,
          transactions: `${self}/transactions`
        }
      })
      const connection = bodyOf<Connection>(
        yield* send("GET", `/users/${userId}/connections/${connectionId}`, { token: t })
      )
      expect(user.accounts.count).toBe(4)
      expect(user.accounts.data).toEqual(
        connection.accounts.data.map((a) => ({
          type: "account",
          id: a.id,
          links: { self: `${self}/accounts/${a.id}` }
        }))
      )
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("lists no accounts while the first job runs", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
      const user = bodyOf<UserGet>(yield* send("GET", `/users/${userId}`, { token: t }))
      expect(user.connections.count).toBe(1)
      expect(user.accounts).toEqual({ type: "list", count: 0, data: [] })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("POST /users/{userId} (update)", () => {
  it.effect("changes the fields given and leaves the others", () =>
    Effect.gen(function* () {
      const t = yield* token
      const created = yield* send("POST", "/users", {
        token: t,
        json: { email: "gavin@hooli.com", mobile: "+61410888666", firstName: "Gavin", lastName: "Belson" }
      })
      const id = bodyOf<{ id: string }>(created).id
      const updated = yield* send("POST", `/users/${id}`, {
        token: t,
        json: { email: "gavin@hooli.xyz", middleName: "G", businessName: "ignored" }
      })
      expect(updated.status).toBe(200)
      expect(updated.body).toEqual({
        type: "user",
        id,
        email: "gavin@hooli.xyz",
        mobile: "+61410888666",
        firstName: "Gavin",
        middleName: "G",
        lastName: "Belson",
        links: { self: `${BASE}/users/${id}` }
      })
      const read = bodyOf<UserGet>(yield* send("GET", `/users/${id}`, { token: t }))
      expect(read).toMatchObject({ email: "gavin@hooli.xyz", mobile: "+61410888666", name: "Gavin G Belson" })
      expect(read).not.toHaveProperty("businessName")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("refuses bad formats, a user left with neither email nor mobile, and unknown users", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const bad = yield* send("POST", `/users/${userId}`, { token: t, json: { mobile: "call me" } })
      expect(bad.status).toBe(400)
      expect(errorOf(bad)).toMatchObject({ code: "parameter-not-valid", detail: "Provided mobile is in bad format." })
      const cleared = yield* send("POST", `/users/${userId}`, { token: t, json: { email: "" } })
      expect(cleared.status).toBe(400)
      expect(errorOf(cleared)?.detail).toBe("One of 'email' or 'mobile' is required.")
      const read = bodyOf<UserGet>(yield* send("GET", `/users/${userId}`, { token: t }))
      expect(read.email).toBe("max@hooli.example")
      const swapped = yield* send("POST", `/users/${userId}`, { token: t, json: { email: "", mobile: "+61410000001" } })
      expect(swapped.status).toBe(200)
      expect(swapped.body).toMatchObject({ email: "", mobile: "+61410000001" })
      const unknown = yield* send("POST", "/users/nobody", { token: t, json: { email: "a@b.co" } })
      expect(unknown.status).toBe(404)
      expect(errorOf(unknown)?.code).toBe("resource-not-found")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("DELETE /users/{userId}", () => {
  it.effect("204, then the user, its connections, jobs and consents are gone", () =>
    Effect.gen(function* () {
      const { t, userId, connectionId, jobId } = yield* connected
      const other = yield* setup
      const deleted = yield* send("DELETE", `/users/${userId}`, { token: t })
      expect(deleted.status).toBe(204)
      expect(deleted.text).toBe("")
      for (const path of [
        `/users/${userId}`,
        `/users/${userId}/connections`,
        `/users/${userId}/connections/${connectionId}`,
        `/users/${userId}/consents`,
        `/jobs/${jobId}`
      ]) {
        const reply = yield* send("GET", path, { token: t })
        expect(reply.status, path).toBe(404)
        expect(errorOf(reply)?.code).toBe("resource-not-found")
      }
      expect((yield* send("DELETE", `/users/${userId}`, { token: t })).status).toBe(404)
      expect((yield* send("GET", `/users/${other.userId}`, { token: t })).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("POST /users/{userId}/connections/{connectionId}/purge", () => {
  it.effect("204, idempotent: the accounts go, the connection stays, a refresh brings them back", () =>
    Effect.gen(function* () {
      const { t, userId, connectionId } = yield* connected
      const path = `/users/${userId}/connections/${connectionId}`
      const purged = yield* send("POST", `${path}/purge`, { token: t })
      expect(purged.status).toBe(204)
      expect(purged.text).toBe("")
      const after = bodyOf<Connection>(yield* send("GET", path, { token: t }))
      expect(after).toMatchObject({ id: connectionId, status: "active", accounts: { type: "list", data: [] } })
      expect(after).not.toHaveProperty("profile")
      expect(bodyOf<UserGet>(yield* send("GET", `/users/${userId}`, { token: t })).accounts.count).toBe(0)
      expect((yield* send("POST", `${path}/purge`, { token: t })).status).toBe(204)

      const refresh = yield* send("POST", `${path}/refresh`, { token: t })
      expect(refresh.status).toBe(202)
      yield* TestClock.adjust("3 seconds")
      const back = bodyOf<Connection>(yield* send("GET", path, { token: t }))
      expect(back.accounts.data).toHaveLength(4)
      expect(bodyOf<UserGet>(yield* send("GET", `/users/${userId}`, { token: t })).accounts.count).toBe(4)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("400 for a connection that is not active; 404 for an unknown or deleted one", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const pending = yield* basiq.seedConnection({ userId, status: "pending" })
      const invalid = yield* basiq.seedConnection({ userId, status: "invalid" })
      for (const c of [pending, invalid]) {
        const reply = yield* send("POST", `/users/${userId}/connections/${c.id}/purge`, { token: t })
        expect(reply.status).toBe(400)
        expect(errorOf(reply)).toMatchObject({
          code: "parameter-not-valid",
          detail: "Only active connections can be purged.",
          source: { parameter: "connectionId" }
        })
      }
      const active = yield* basiq.seedConnection({ userId })
      expect((yield* send("DELETE", `/users/${userId}/connections/${active.id}`, { token: t })).status).toBe(204)
      for (const id of [active.id, "nothing"]) {
        const reply = yield* send("POST", `/users/${userId}/connections/${id}/purge`, { token: t })
        expect(reply.status).toBe(404)
        expect(errorOf(reply)?.code).toBe("resource-not-found")
      }
      const other = yield* setup
      const seeded = yield* basiq.seedConnection({ userId })
      const foreign = yield* send("POST", `/users/${other.userId}/connections/${seeded.id}/purge`, { token: t })
      expect(foreign.status).toBe(404)
      expect((yield* send("POST", `/users/${userId}/connections/${seeded.id}/purge`)).status).toBe(401)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("consents", () => {
  it.effect("an empty list, then the consent completeConsent gave, in Basiq's shape", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const empty = yield* send("GET", `/users/${userId}/consents`, { token: t })
      expect(empty.status).toBe(200)
      expect(empty.body).toEqual({
        type: "list",
        size: 0,
        data: [],
        links: { self: `${BASE}/users/${userId}/consents` }
      })

      yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
      yield* TestClock.adjust("1 minute")
      yield* basiq.completeConsent({ userId, loginId: "richard", password: "tabsnotspaces" })
      const list = bodyOf<List<InMemoryBasiq.Consent>>(yield* send("GET", `/users/${userId}/consents`, { token: t }))
      expect(list.size).toBe(1)
      const consent = list.data[0]
      expect(consent).toMatchObject({
        type: "consent",
        created: "1970-01-01T00:00:00.000Z",
        updated: "1970-01-01T00:00:00.000Z",
        expiryDate: "1971-01-01T00:00:00.000Z",
        origin: "user",
        status: "active",
        purpose: { primary: { title: expect.any(String), description: expect.any(String) }, other: null },
        data: { retainData: true, organisation: null },
        links: { self: `${BASE}/users/${userId}/consents/${consent?.id}` }
      })
      expect(consent).not.toHaveProperty("revoked")
      expect(consent?.data.permissions.map((p) => [p.scope, p.entity, p.required])).toContainEqual([
        "account.basic",
        "account",
        true
      ])
      for (const p of consent?.data.permissions ?? []) {
        expect(p.information.attributeList.length).toBeGreaterThan(0)
        expect(p.purpose.title).not.toBe("")
      }
      const connections = bodyOf<List<unknown>>(yield* send("GET", `/users/${userId}/connections`, { token: t }))
      expect(connections.data).toHaveLength(2)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a consent expires after a year and the next completeConsent gives a new one", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
      yield* TestClock.adjust("366 days")
      const fresh = yield* token
      const listed = bodyOf<List<InMemoryBasiq.Consent>>(
        yield* send("GET", `/users/${userId}/consents`, { token: fresh })
      )
      expect(listed.data.map((c) => c.status)).toEqual(["expired"])
      yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
      const again = bodyOf<List<InMemoryBasiq.Consent>>(
        yield* send("GET", `/users/${userId}/consents`, { token: fresh })
      )
      expect(again.data.map((c) => c.status)).toEqual(["expired", "active"])
      expect((yield* send("GET", `/users/${userId}/consents`, { token: t })).status).toBe(403)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("revokeConsent marks it revoked and removes the user's connections only", () =>
    Effect.gen(function* () {
      const { t, userId, basiq, jobId } = yield* connected
      const other = yield* setup
      yield* basiq.completeConsent({ userId: other.userId, loginId: "jared", password: "django" })
      yield* TestClock.adjust("1 minute")
      const revoked = yield* basiq.revokeConsent({ userId })
      expect(revoked).toMatchObject({ status: "revoked", revoked: "1970-01-01T00:01:03.000Z" })
      const listed = bodyOf<List<InMemoryBasiq.Consent>>(yield* send("GET", `/users/${userId}/consents`, { token: t }))
      expect(listed.data).toEqual([revoked])
      expect(bodyOf<List<unknown>>(yield* send("GET", `/users/${userId}/connections`, { token: t })).data).toEqual([])
      expect((yield* send("GET", `/jobs/${jobId}`, { token: t })).status).toBe(200)
      const others = bodyOf<List<unknown>>(yield* send("GET", `/users/${other.userId}/connections`, { token: t }))
      expect(others.data).toHaveLength(1)
      // Revoking again changes nothing; with no active consent left, the default target is missing.
      expect(yield* basiq.revokeConsent({ userId, consentId: revoked.id })).toEqual(revoked)
      const none = yield* Effect.flip(basiq.revokeConsent({ userId }))
      expect(none).toBeInstanceOf(InMemoryBasiq.UnknownConsentError)
      expect(none).toMatchObject({ _tag: "UnknownConsentError", userId, consentId: undefined })
      // A new submission gives a new active consent beside the revoked one.
      yield* basiq.completeConsent({ userId, loginId: "jared", password: "django" })
      const after = bodyOf<List<InMemoryBasiq.Consent>>(yield* send("GET", `/users/${userId}/consents`, { token: t }))
      expect(after.data.map((c) => c.status)).toEqual(["revoked", "active"])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("DELETE a consent: 204, gone from the list with the user's connections; 404 when unknown", () =>
    Effect.gen(function* () {
      const { t, userId } = yield* connected
      const other = yield* setup
      const list = bodyOf<List<InMemoryBasiq.Consent>>(yield* send("GET", `/users/${userId}/consents`, { token: t }))
      const consentId = list.data[0]?.id ?? ""
      const foreign = yield* send("DELETE", `/users/${other.userId}/consents/${consentId}`, { token: t })
      expect(foreign.status).toBe(404)
      expect(errorOf(foreign)).toMatchObject({
        code: "resource-not-found",
        detail: "Requested consent does not exist."
      })
      const deleted = yield* send("DELETE", `/users/${userId}/consents/${consentId}`, { token: t })
      expect(deleted.status).toBe(204)
      expect(deleted.text).toBe("")
      expect(bodyOf<List<unknown>>(yield* send("GET", `/users/${userId}/consents`, { token: t })).data).toEqual([])
      expect(bodyOf<List<unknown>>(yield* send("GET", `/users/${userId}/connections`, { token: t })).data).toEqual([])
      const again = yield* send("DELETE", `/users/${userId}/consents/${consentId}`, { token: t })
      expect(again.status).toBe(404)
      expect((yield* send("GET", "/users/nobody/consents", { token: t })).status).toBe(404)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("completeConsent", () => {
  it.effect("runs the sandbox job as the API would, MFA included", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { jobIds } = yield* basiq.completeConsent({
        userId,
        institutionId: "AU00002",
        loginId: "gavinBelson",
        password: "hooli2016"
      })
      expect(jobIds).toHaveLength(1)
      const jobId = jobIds[0] ?? ""
      yield* TestClock.adjust("1 second")
      const waiting = yield* getJob(t, jobId)
      expect(statuses(waiting)).toEqual([
        "verify-credentials:success",
        "mfa-challenge:in-progress",
        "retrieve-accounts:pending",
        "retrieve-transactions:pending"
      ])
      const answered = yield* send("POST", `/jobs/${jobId}/mfa`, { token: t, json: { "mfa-response": ["Hooli"] } })
      expect(answered.status).toBe(202)
      yield* TestClock.adjust("2 seconds")
      expect((yield* getJob(t, jobId)).steps.every((s) => s.status === "success")).toBe(true)

      const locked = yield* basiq.completeConsent({ userId, loginId: "bighead", password: "password" })
      yield* TestClock.adjust("1 second")
      const failed = yield* getJob(t, locked.jobIds[0] ?? "")
      expect(failed.steps[0]).toMatchObject({ status: "failed", result: { code: "invalid-credentials" } })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("fails with UnknownUserError for a user the fake does not have (and revokeConsent too)", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const error = yield* Effect.flip(
        basiq.completeConsent({ userId: "nobody", loginId: "jared", password: "django" })
      )
      expect(error).toBeInstanceOf(InMemoryBasiq.UnknownUserError)
      expect(error.userId).toBe("nobody")
      expect(error.message).toContain("nobody")
      const revoke = yield* Effect.flip(basiq.revokeConsent({ userId: "nobody" }))
      expect(revoke._tag).toBe("UnknownUserError")
      const user = yield* basiq.createUser()
      const wrong = yield* Effect.flip(basiq.revokeConsent({ userId: user.id, consentId: "nope" }))
      expect(wrong).toMatchObject({ _tag: "UnknownConsentError", consentId: "nope" })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("client tokens", () => {
  it.effect("CLIENT_ACCESS is minted for an existing user only", () =>
    Effect.gen(function* () {
      const { userId } = yield* setup
      const form = (body: string) =>
        send("POST", "/token", { headers: tokenHeaders, body, contentType: "application/x-www-form-urlencoded" })
      const ok = yield* form(`scope=CLIENT_ACCESS&userId=${userId}`)
      expect(ok.status).toBe(200)
      const claims = JSON.parse(
        atob(
          (bodyOf<{ access_token: string }>(ok).access_token.split(".")[1] ?? "")
            .replaceAll("-", "+")
            .replaceAll("_", "/")
        )
      )
      expect(claims).toMatchObject({ scope: "CLIENT_ACCESS", userid: userId })
      const unknown = yield* form("scope=CLIENT_ACCESS&userId=nobody")
      expect(unknown.status).toBe(400)
      expect(errorOf(unknown)).toMatchObject({ code: "parameter-not-valid", source: { parameter: "userId" } })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("the layer has no consent page: it is served only", () =>
    Effect.gen(function* () {
      const reply = yield* send("GET", "/consent/home?token=x")
      expect(reply.status).toBe(404)
      expect(errorOf(reply)?.code).toBe("resource-not-found")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
