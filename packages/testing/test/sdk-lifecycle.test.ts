/**
 * An application-style test: the SDK's all-in-one layer over the in-memory Basiq, driving a
 * connection's whole life on virtual time.
 */
import {
  BasiqConnections,
  BasiqNotFoundError,
  ConnectionFilter,
  Connections,
  type JobSchemas,
  Jobs
} from "@basiq-effect/connections"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const layer = () =>
  BasiqConnections.layerWithoutHttpClient({ apiKey: "lifecycle-test-key" }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer())
  )

/** Waits for a job on virtual time: forks the wait and advances the clock until it is done. */
const waitOnVirtualTime = (jobId: string) =>
  Effect.gen(function* () {
    const jobs = yield* Jobs.Jobs
    const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
    for (let i = 0; i < 120; i++) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) break
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.join(fiber)
  })

const journal = Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) => basiq.journal)

const tokenExchanges = Effect.map(journal, (entries) => entries.filter((e) => e.path === "/token").length)

const allSucceeded = (job: JobSchemas.Job) => job.steps.every((step) => step.status === "success")

describe("a connection's life over the in-memory Basiq", () => {
  it.effect("create, wait, get, list, refresh, update, delete", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const user = yield* basiq.createUser({ email: "ada@hooli.example" })
      // another connection at another institution, to be filtered out
      const other = yield* basiq.seedConnection({ userId: user.id, institutionId: "AU00004" })

      // create -> wait
      const created = yield* connections.postConnection(user.id, {
        loginId: Redacted.make("Wentworth-Smith"),
        password: Redacted.make("whislter"),
        institution: { id: "AU00000" }
      })
      expect(created.type).toBe("job")
      const pending = yield* connections.getConnections(user.id, {
        filter: ConnectionFilter.status.eq("pending")
      })
      expect(pending.data).toHaveLength(1)
      const job = yield* waitOnVirtualTime(created.id)
      expect(allSucceeded(job)).toBe(true)
      const connectionId = Jobs.connectionIdFromJob(job)
      if (connectionId === undefined) return yield* Effect.dieMessage("the finished job names no connection")
      expect(pending.data[0]?.id).toBe(connectionId)

      // get
      const connection = yield* connections.getConnection(user.id, connectionId)
      expect(connection).toMatchObject({ id: connectionId, status: "active", institution: { id: "AU00000" } })
      expect(connection.accounts?.data.map((a) => a.name)).toEqual([
        "Hooli Everyday",
        "Hooli Savings",
        "Hooli Platinum",
        "Hooli Home Loan"
      ])
      expect(connection.profile?.fullName).toBe("Wentworth Smith")

      // list with a typed filter
      const filter = ConnectionFilter.and(
        ConnectionFilter.institutionId.eq("AU00000"),
        ConnectionFilter.status.eq("active")
      )
      const active = yield* connections.getConnections(user.id, { filter })
      expect(active.data.map((c) => c.id)).toEqual([connectionId])
      const all = yield* connections.getConnections(user.id)
      expect(new Set(all.data.map((c) => c.id))).toEqual(new Set([connectionId, other.id]))
      const lists = (yield* journal).filter((e) => e.method === "GET" && e.path === `/users/${user.id}/connections`)
      expect(lists.map((e) => e.query.filter)).toContain("institution.id.eq('AU00000'),status.eq('active')")

      // refresh, then an immediate second refresh answers with the running job
      const refresh = yield* connections.refreshConnection(user.id, connectionId)
      expect(refresh.alreadyRunning).toBe(false)
      expect(refresh.id).not.toBe(created.id)
      const again = yield* connections.refreshConnection(user.id, connectionId)
      expect(again).toMatchObject({ id: refresh.id, alreadyRunning: true })
      const refreshed = yield* waitOnVirtualTime(refresh.id)
      expect(allSucceeded(refreshed)).toBe(true)
      expect(Jobs.connectionIdFromJob(refreshed)).toBe(connectionId)
      // once it finished, a refresh starts a new job again
      const third = yield* connections.refreshConnection(user.id, connectionId)
      expect(third.alreadyRunning).toBe(false)
      expect(third.id).not.toBe(refresh.id)
      yield* waitOnVirtualTime(third.id)

      // update with a wrong password: the job fails and the connection is invalid
      const wrong = yield* connections.updateConnection(user.id, connectionId, {
        password: Redacted.make("not-whislter")
      })
      const failed = yield* Effect.flip(waitOnVirtualTime(wrong.id))
      expect(failed).toMatchObject({
        _tag: "BasiqJobFailedError",
        step: "verify-credentials",
        code: "invalid-credentials"
      })
      expect((yield* connections.getConnection(user.id, connectionId)).status).toBe("invalid")
      // update with the right one: active again
      const update = yield* connections.updateConnection(user.id, connectionId, {
        password: Redacted.make("whislter")
      })
      const updated = yield* waitOnVirtualTime(update.id)
      expect(Jobs.connectionIdFromJob(updated)).toBe(connectionId)
      expect((yield* connections.getConnection(user.id, connectionId)).status).toBe("active")

      // delete, then get fails with BasiqNotFoundError
      yield* connections.deleteConnection(user.id, connectionId)
      const gone = yield* Effect.flip(connections.getConnection(user.id, connectionId))
      expect(gone).toBeInstanceOf(BasiqNotFoundError)
      if (!(gone instanceof BasiqNotFoundError)) return
      expect(gone.status).toBe(404)
      expect(gone.code).toBe("resource-not-found")
      expect(gone.route).toBe("/users/{userId}/connections/{connectionId}")
      expect(gone.correlationId).toBeTypeOf("string")
      const remaining = yield* connections.getConnections(user.id)
      expect(remaining.data.map((c) => c.id)).toEqual([other.id])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("refreshConnections starts one job per connection, reusing a running one", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const user = yield* basiq.createUser({ mobile: "+61410888666" })
      const seeded = yield* basiq.seedConnection({ userId: user.id })
      const created = yield* connections.postConnection(user.id, {
        loginId: Redacted.make("Wentworth-Smith"),
        password: Redacted.make("whislter"),
        institution: { id: "AU00000" }
      })
      const someoneElse = yield* basiq.createUser({ email: "other@hooli.example" })
      yield* basiq.seedConnection({ userId: someoneElse.id })

      const refs = yield* connections.refreshConnections(user.id)
      expect(refs.type).toBe("list")
      expect(refs.data).toHaveLength(2)
      // the new connection's first job is still running: it is that job
      expect(refs.data.map((r) => r.id)).toContain(created.id)
      const jobs = yield* Effect.forEach(refs.data, (ref) => waitOnVirtualTime(ref.id))
      expect(jobs.every(allSucceeded)).toBe(true)
      const createdJob = jobs.find((j) => j.id === created.id)
      const createdConnection = createdJob === undefined ? undefined : Jobs.connectionIdFromJob(createdJob)
      expect(createdConnection).toBeDefined()
      expect(createdConnection).not.toBe(seeded.id)
      expect(new Set(jobs.map(Jobs.connectionIdFromJob))).toEqual(new Set([seeded.id, createdConnection]))
    }).pipe(Effect.provide(layer()))
  )

  it.effect("after the tokens expire mid-lifecycle, a call still succeeds with one more token exchange", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const user = yield* basiq.createUser({ email: "expiry@hooli.example" })
      const created = yield* connections.postConnection(user.id, {
        loginId: Redacted.make("Wentworth-Smith"),
        password: Redacted.make("whislter"),
        institution: { id: "AU00000" }
      })
      const job = yield* waitOnVirtualTime(created.id)
      const connectionId = Jobs.connectionIdFromJob(job) ?? ""
      yield* connections.getConnection(user.id, connectionId)
      const before = yield* tokenExchanges
      expect(before).toBe(1)

      yield* basiq.expireTokens()
      const path = `/users/${user.id}/connections/${connectionId}`
      const getsBefore = (yield* journal).filter((e) => e.path === path).length
      const connection = yield* connections.getConnection(user.id, connectionId)
      expect(connection.id).toBe(connectionId)
      expect(yield* tokenExchanges).toBe(before + 1)
      // the call was sent twice: refused with the expired token, then answered with the new one
      expect((yield* journal).filter((e) => e.path === path).length).toBe(getsBefore + 2)

      // the new token is cached: the lifecycle goes on without another exchange
      const refresh = yield* connections.refreshConnection(user.id, connectionId)
      yield* waitOnVirtualTime(refresh.id)
      yield* connections.deleteConnection(user.id, connectionId)
      expect(yield* tokenExchanges).toBe(before + 1)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a wait interrupted by its caller leaves the SDK usable", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const jobs = yield* Jobs.Jobs
      const user = yield* basiq.createUser({ email: "timeout@hooli.example" })
      const created = yield* connections.postConnection(user.id, {
        loginId: Redacted.make("Wentworth-Smith"),
        password: Redacted.make("whislter"),
        institution: { id: "AU00000" }
      })
      const fiber = yield* Effect.fork(jobs.waitForJob(created.id))
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
      const job = yield* waitOnVirtualTime(created.id)
      expect(allSucceeded(job)).toBe(true)
    }).pipe(Effect.provide(layer()))
  )
})
