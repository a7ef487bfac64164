import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { connect, send, setup, tokenHeaders } from "./helpers.js"

describe("journal", () => {
  it.effect("records method, path, query, headers and body, oldest first", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* send("GET", `/users/${userId}/connections?filter=${encodeURIComponent("status.eq('active')")}`, {
        token: t,
        headers: { accept: "application/json" }
      })
      const journal = yield* basiq.journal
      expect(journal.map((entry) => `${entry.method} ${entry.path}`)).toEqual([
        "POST /token",
        "POST /users",
        `GET /users/${userId}/connections`
      ])
      expect(journal[0]).toMatchObject({
        query: {},
        headers: { authorization: "<redacted>", "basiq-version": "3.0" },
        body: { scope: "SERVER_ACCESS" }
      })
      expect(journal[1]?.body).toEqual({ email: "max@hooli.example" })
      expect(journal[2]).toMatchObject({
        query: { filter: "status.eq('active')" },
        headers: { authorization: "<redacted>", accept: "application/json" },
        body: undefined
      })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("redacts credentials in bodies and every authorization header", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* send("POST", "/token", {
        headers: tokenHeaders,
        body: `scope=CLIENT_ACCESS&userId=${userId}`,
        contentType: "application/x-www-form-urlencoded"
      })
      yield* send("POST", `/users/${userId}/connections`, {
        token: t,
        json: {
          loginId: "gavinBelson",
          password: "hooli2016",
          securityCode: "4321",
          secondaryLoginId: "gb",
          institution: { id: "AU00002" }
        }
      })
      const jobId = yield* connect(t, userId, "jared", "django", "AU00002")
      yield* TestClock.adjust("1 second")
      yield* send("POST", `/jobs/${jobId}/mfa`, { token: t, json: { "mfa-response": ["1234"] } })
      yield* send("POST", "/users", { token: t, body: "password=hunter2", contentType: "text/plain" })
      const journal = yield* basiq.journal
      const text = JSON.stringify(journal)
      for (const secret of ["hooli2016", "gavinBelson", "4321", '"gb"', "django", "1234", "hunter2", t, "test-key"]) {
        expect(text).not.toContain(secret)
      }
      expect(journal.every((entry) => entry.headers.authorization === "<redacted>")).toBe(true)
      const byPath = (suffix: string) => journal.filter((entry) => entry.path.endsWith(suffix))
      expect(byPath("/token")[1]?.body).toEqual({ scope: "CLIENT_ACCESS", userId })
      expect(byPath("/connections")[0]?.body).toEqual({
        loginId: "<redacted>",
        password: "<redacted>",
        securityCode: "<redacted>",
        secondaryLoginId: "<redacted>",
        institution: { id: "AU00002" }
      })
      expect(byPath("/mfa")[0]?.body).toEqual({ "mfa-response": "<redacted>" })
      expect(byPath("/users").at(-1)?.body).toBe("<redacted>")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("keeps only the last N requests", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      for (let i = 0; i < 5; i++) yield* send("GET", `/users/${userId}?n=${i}`, { token: t })
      const journal = yield* basiq.journal
      expect(journal.map((entry) => entry.query.n)).toEqual(["2", "3", "4"])
    }).pipe(Effect.provide(InMemoryBasiq.layer({ journal: 3 })))
  )

  it.effect("keeps 1000 requests by default", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      for (let i = 0; i < 1005; i++) yield* send("GET", `/users/${userId}?n=${i}`, { token: t })
      const journal = yield* basiq.journal
      expect(journal).toHaveLength(1000)
      expect(journal[0]?.query.n).toBe("5")
      expect(journal[999]?.query.n).toBe("1004")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("journal: false keeps nothing", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      yield* setup
      expect(yield* basiq.journal).toEqual([])
    }).pipe(Effect.provide(InMemoryBasiq.layer({ journal: false })))
  )
})
