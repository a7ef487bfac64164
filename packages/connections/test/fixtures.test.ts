import { describe, expect, it } from "@effect/vitest"
import { Effect, ParseResult, Redacted, Schema } from "effect"
import {
  BasiqJobFailedError,
  BasiqNotFoundError,
  BasiqServerError,
  ConnectionSchemas,
  Connections,
  ConnectionsTest,
  JobSchemas,
  Jobs
} from "../src/index.js"

const { fixtures } = ConnectionsTest

/** A value is valid when its wire form decodes back to it. */
const roundTrips = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  expect(Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(value))).toEqual(value)

describe("ConnectionsTest.fixtures", () => {
  it("connection: a valid active connection at Hooli whose links follow its id", () => {
    const connection = fixtures.connection()
    roundTrips(ConnectionSchemas.Connection, connection)
    expect(connection).toMatchObject({ type: "connection", status: "active", institution: { id: "AU00000" } })
    expect(connection.accounts?.data).toHaveLength(1)

    const other = fixtures.connection({ id: "c9", status: "invalid" })
    roundTrips(ConnectionSchemas.Connection, other)
    expect(other.id).toBe("c9")
    expect(other.status).toBe("invalid")
    expect(other.links.self).toMatch(/\/connections\/c9$/)
  })

  it("an override that breaks the schema throws a ParseError naming the field", () => {
    const bad: Partial<ConnectionSchemas.Connection> = JSON.parse('{"id": 42}')
    let caught: unknown
    try {
      fixtures.connection(bad)
    } catch (error) {
      caught = error
    }
    expect(ParseResult.isParseError(caught)).toBe(true)
    expect(String(caught)).toContain("id")
  })

  it("connectionList: the list's shape (no accounts, no profile, an institution link)", () => {
    const list = fixtures.connectionList([fixtures.connection(), fixtures.connection({ id: "c2" })])
    roundTrips(ConnectionSchemas.ConnectionList, list)
    expect(list.data.map((item) => item.id)).toEqual(["connection-1", "c2"])
    for (const item of list.data) {
      expect(item).not.toHaveProperty("accounts")
      expect(item.links).not.toHaveProperty("user")
      expect(item.links.institution).toMatch(/\/institutions\/AU00000$/)
    }
    expect(fixtures.connectionList([]).data).toEqual([])
  })

  it("jobRef and job: valid, the job finished and pointing at its connection", () => {
    const ref = fixtures.jobRef({ id: "j7" })
    roundTrips(ConnectionSchemas.JobRef, ref)
    expect(ref.links?.self).toMatch(/\/jobs\/j7$/)

    const job = fixtures.job()
    roundTrips(JobSchemas.Job, job)
    expect(Jobs.isTerminal(job)).toBe(true)
    expect(Jobs.jobState(job)._tag).toBe("Succeeded")
    expect(Jobs.connectionIdFromJob(job)).toBe("connection-1")

    const failed = fixtures.job({
      id: "j8",
      steps: [{ title: "verify-credentials", status: "failed", result: null }]
    })
    expect(failed.id).toBe("j8")
    expect(Jobs.jobState(failed)._tag).toBe("Failed")
  })

  it("error: every tag gives that error, with overrides applied", () => {
    const tags: ReadonlyArray<ConnectionsTest.ErrorTag> = [
      "BasiqBadRequestError",
      "BasiqUnauthorizedError",
      "BasiqForbiddenError",
      "BasiqNotFoundError",
      "BasiqUnsupportedMediaTypeError",
      "BasiqRateLimitError",
      "BasiqServerError",
      "BasiqUnexpectedStatusError",
      "BasiqTransportError",
      "BasiqAuthenticationError",
      "BasiqInvalidRequestError",
      "BasiqDecodeError",
      "BasiqJobFailedError",
      "BasiqJobTimeoutError",
      "BasiqMfaRequiredError"
    ]
    for (const tag of tags) {
      const error = fixtures.error(tag)
      expect(error._tag).toBe(tag)
      expect(error.message.length).toBeGreaterThan(0)
    }
    const notFound = fixtures.error("BasiqNotFoundError", { code: "connection-not-found" })
    expect(notFound).toBeInstanceOf(BasiqNotFoundError)
    expect(notFound.status).toBe(404)
    expect(notFound.code).toBe("connection-not-found")
    expect(fixtures.error("BasiqServerError", { outcomeUnknown: true })).toBeInstanceOf(BasiqServerError)
    expect(fixtures.error("BasiqJobFailedError", { step: "retrieve-accounts" }).step).toBe("retrieve-accounts")
  })

  it.effect("stub layers built from fixtures type-check and run without casts", () =>
    Effect.gen(function* () {
      const connections = yield* Connections.Connections
      const found = yield* connections.getConnection("u1", "c1")
      expect(found.id).toBe("c1")
      const missing = yield* connections.getConnection("u1", "gone").pipe(Effect.flip)
      expect(missing._tag).toBe("BasiqNotFoundError")
      const list = yield* connections.getConnections("u1")
      expect(list.data).toHaveLength(1)
      const ref = yield* connections.postConnection("u1", {
        loginId: Redacted.make("jared"),
        password: Redacted.make("django"),
        institution: { id: "AU00000" }
      })
      expect(ref.id).toBe("job-1")
      const refreshed = yield* connections.refreshConnection("u1", "c1")
      expect(refreshed.alreadyRunning).toBe(true)
    }).pipe(
      Effect.provide(
        ConnectionsTest.layer({
          getConnection: (_userId, connectionId) =>
            connectionId === "gone"
              ? Effect.fail(fixtures.error("BasiqNotFoundError"))
              : Effect.succeed(fixtures.connection({ id: connectionId })),
          getConnections: () => Effect.succeed(fixtures.connectionList([fixtures.connection()])),
          postConnection: () => Effect.succeed(fixtures.jobRef()),
          refreshConnection: () => Effect.succeed({ ...fixtures.jobRef(), alreadyRunning: true })
        })
      )
    )
  )

  it("a job failure error fixture carries what waitForJob would report", () => {
    const error = fixtures.error("BasiqJobFailedError")
    expect(error).toBeInstanceOf(BasiqJobFailedError)
    expect(error.message).toContain("verify-credentials")
  })
})
