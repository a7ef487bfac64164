/**
 * Events in the in-memory layer: every state change emits Basiq's event, kept for `GET /events`
 * (filters, 7-day retention on `TestClock`), `GET /events/{id}` and the event types.
 */

import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { List, Reply } from "./helpers.js"
import { BASE, connect, errorOf, send, setup, token } from "./helpers.js"

interface Event {
  readonly type: "event"
  readonly id: string
  readonly createdDate: string
  readonly entity: string
  readonly eventType: string
  readonly userId: string
  readonly dataRef: string
  readonly data: { readonly id: string; readonly type: string; readonly status?: string }
  readonly links: { readonly self: string }
}

const events = (t: string, filter?: string) =>
  Effect.map(
    send("GET", filter === undefined ? "/events" : `/events?filter=${encodeURIComponent(filter)}`, { token: t }),
    (reply: Reply) => {
      expect(reply.status).toBe(200)
      return (reply.body as List<Event>).data
    }
  )

const names = (list: ReadonlyArray<Event>) => list.map((e) => `${e.entity}.${e.eventType}`)

const run = <A, E>(effect: Effect.Effect<A, E, InMemoryBasiq.InMemoryBasiq | HttpClient.HttpClient>) =>
  Effect.provide(effect, InMemoryBasiq.layer())

describe("event emission", () => {
  it.effect("the v3 journey emits Basiq's events in order, with their data", () =>
    run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const { token: t, userId } = yield* setup
        yield* send("POST", `/users/${userId}`, { token: t, json: { firstName: "Max" } })
        const { jobIds } = yield* basiq.completeConsent({ userId, loginId: "ashMann", password: "hooli2024" })
        expect(jobIds).toHaveLength(1)
        expect(names(yield* events(t))).toEqual([
          "user.created",
          "user.updated",
          "consent.created",
          "connection.created"
        ])
        yield* TestClock.adjust("3 seconds")
        const afterJob = yield* events(t)
        expect(names(afterJob).at(-1)).toBe("connection.activated")
        const activated = afterJob.at(-1)
        const connectionId = activated?.data.id ?? ""
        expect(activated).toMatchObject({
          userId,
          dataRef: `${BASE}/users/${userId}/connections/${connectionId}`,
          data: { type: "connection", status: "active", id: connectionId }
        })
        const invalid = yield* basiq.invalidateConnection({ userId, connectionId })
        expect(invalid.status).toBe("invalid")
        // Invalidating an invalid connection emits nothing more.
        yield* basiq.invalidateConnection({ userId, connectionId })
        const connection = yield* send("GET", `/users/${userId}/connections/${connectionId}`, { token: t })
        expect((connection.body as { readonly status: string }).status).toBe("invalid")
        yield* basiq.revokeConsent({ userId })
        yield* send("DELETE", `/users/${userId}`, { token: t })
        const all = yield* events(t)
        expect(names(all)).toEqual([
          "user.created",
          "user.updated",
          "consent.created",
          "connection.created",
          "connection.activated",
          "connection.invalidated",
          "consent.revoked",
          "connection.deleted",
          "user.deleted"
        ])
        expect(all.find((e) => e.eventType === "invalidated")?.data.status).toBe("invalid-connection")
        expect(new Set(all.map((e) => e.id)).size).toBe(all.length)
        for (const e of all) {
          expect(e.id).toMatch(/^[0-9a-f]{64}$/)
          expect(e.userId).toBe(userId)
          expect(e.links.self).toBe(`${BASE}/events/${e.id}`)
        }
      })
    )
  )

  it.effect("a failed first job emits connection.invalidated; a refresh that succeeds, connection.activated", () =>
    run(
      Effect.gen(function* () {
        const { token: t, userId } = yield* setup
        yield* connect(t, userId, "ashMann", "wrong-password")
        yield* TestClock.adjust("1 second")
        const list = yield* events(t, "event.entity.eq(connection)")
        expect(names(list)).toEqual(["connection.created", "connection.invalidated"])
        const connectionId = list[0]?.data.id ?? ""
        const update = yield* send("POST", `/users/${userId}/connections/${connectionId}`, {
          token: t,
          json: { password: "hooli2024" }
        })
        expect(update.status).toBe(202)
        yield* TestClock.adjust("3 seconds")
        expect(names(yield* events(t, "event.entity.eq(connection)"))).toEqual([
          "connection.created",
          "connection.invalidated",
          "connection.activated"
        ])
      })
    )
  )

  it.effect("the controls emit too: createUser, seedConnection, DELETE connection and consent", () =>
    run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const { token: t } = yield* setup
        const user = yield* basiq.createUser({ email: "a@hooli.example" })
        const seeded = yield* basiq.seedConnection({ userId: user.id })
        yield* send("DELETE", `/users/${user.id}/connections/${seeded.id}`, { token: t })
        yield* basiq.completeConsent({ userId: user.id, loginId: "ashMann", password: "hooli2024" })
        const consents = yield* send("GET", `/users/${user.id}/consents`, { token: t })
        const consentId = (consents.body as List<{ readonly id: string }>).data[0]?.id ?? ""
        yield* send("DELETE", `/users/${user.id}/consents/${consentId}`, { token: t })
        expect(names(yield* events(t, `user.id.eq(${user.id})`))).toEqual([
          "user.created",
          "connection.created",
          "connection.deleted",
          "consent.created",
          "connection.created",
          "consent.revoked",
          "connection.deleted"
        ])
      })
    )
  )

  it.effect("invalidateConnection refuses an unknown user or connection", () =>
    run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const user = yield* basiq.createUser({ email: "a@hooli.example" })
        const noUser = yield* Effect.flip(basiq.invalidateConnection({ userId: "nobody", connectionId: "x" }))
        expect(noUser._tag).toBe("UnknownUserError")
        const noConnection = yield* Effect.flip(basiq.invalidateConnection({ userId: user.id, connectionId: "x" }))
        expect(noConnection).toBeInstanceOf(InMemoryBasiq.UnknownConnectionError)
      })
    )
  )
})

describe("GET /events", () => {
  it.effect("filters on user.id, event.entity and event.type, with OR and comma (AND)", () =>
    run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const { token: t, userId: a } = yield* setup
        const b = (yield* basiq.createUser({ email: "b@hooli.example" })).id
        yield* basiq.seedConnection({ userId: b })
        expect((yield* events(t, `user.id.eq(${a})`)).map((e) => e.userId)).toEqual([a])
        expect(names(yield* events(t, `user.id.eq('${b}')`))).toEqual(["user.created", "connection.created"])
        expect(names(yield* events(t, "event.entity.eq(connection)"))).toEqual(["connection.created"])
        expect(yield* events(t, "event.type.eq(created)")).toHaveLength(3)
        expect(yield* events(t, "event.type.eq(user.created)")).toHaveLength(2)
        expect(yield* events(t, `user.id.eq(${a}) OR event.entity.eq(connection)`)).toHaveLength(2)
        expect(
          names(yield* events(t, `user.id.eq(${a}) OR event.entity.eq(connection), event.type.eq(created)`))
        ).toEqual(["user.created", "connection.created"])
        expect(yield* events(t, `user.id.eq(${b}), event.entity.eq(user)`)).toHaveLength(1)
        for (const bad of ["user.id.ne(x)", "status.eq(x)", "user.id.eq()", "user.id.eq(x) AND y", "user.id.eq(x),"]) {
          const reply = yield* send("GET", `/events?filter=${encodeURIComponent(bad)}`, { token: t })
          expect(reply.status, bad).toBe(400)
          expect(errorOf(reply)).toMatchObject({ code: "parameter-not-valid", source: { parameter: "filter" } })
        }
      })
    )
  )

  it.effect("keeps events 7 days on the fake's clock; GET /events/{id} answers one until then", () =>
    run(
      Effect.gen(function* () {
        const { token: firstToken, userId } = yield* setup
        const [first] = yield* events(firstToken)
        const id = first?.id ?? ""
        const one = yield* send("GET", `/events/${id}`, { token: firstToken })
        expect(one.status).toBe(200)
        expect(one.body).toEqual(first)
        expect(first).toMatchObject({ entity: "user", eventType: "created", dataRef: `${BASE}/users/${userId}` })
        yield* TestClock.adjust("6 days")
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        yield* basiq.createUser({ email: "later@hooli.example" })
        // Tokens last an hour: a fresh one.
        const t = yield* token
        expect(yield* events(t)).toHaveLength(2)
        yield* TestClock.adjust("1 day")
        const fresh = yield* token
        const left = yield* events(fresh)
        expect(names(left)).toEqual(["user.created"])
        expect(left[0]?.id).not.toBe(id)
        const gone = yield* send("GET", `/events/${id}`, { token: fresh })
        expect(gone.status).toBe(404)
        expect(errorOf(gone)?.code).toBe("resource-not-found")
      })
    )
  )

  it.effect("needs a token; lists the 15 event types and answers one", () =>
    run(
      Effect.gen(function* () {
        const { token: t } = yield* setup
        expect((yield* send("GET", "/events")).status).toBe(401)
        const types = yield* send("GET", "/events/types", { token: t })
        expect(types.status).toBe(200)
        const list = types.body as List<{ readonly id: string; readonly type: string }> & { readonly count: number }
        expect(list.count).toBe(15)
        expect(list.data.map((d) => d.id)).toContain("connection.invalidated")
        const one = yield* send("GET", "/events/types/user.created", { token: t })
        expect(one.body).toMatchObject({
          type: "eventType",
          id: "user.created",
          links: { self: `${BASE}/events/types/user.created` }
        })
        expect((yield* send("GET", "/events/types/user.exploded", { token: t })).status).toBe(404)
      })
    )
  )
})
