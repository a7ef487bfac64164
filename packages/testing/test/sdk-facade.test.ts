/**
 * The promise facade over the in-memory Basiq, in real time: the fake steps every 5 ms and waits
 * poll every 5 ms. Nothing waits a fixed wall-clock time for something to happen: conditions are
 * polled (`vi.waitFor`) or awaited.
 */
import {
  BasiqConfigError,
  BasiqInvalidRequestError,
  BasiqJobFailedError,
  BasiqMfaRequiredError,
  BasiqNotFoundError,
  ConnectionFilter,
  type ConnectionsClient,
  createConnectionsClient,
  type JobSchemas,
  Jobs
} from "@basiq-effect/connections"
import { HttpClient } from "@effect/platform"
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted, Runtime, Schedule, Scope } from "effect"
import { InMemoryBasiq } from "../src/index.js"

interface Harness {
  readonly basiq: ConnectionsClient.ConnectionsClient
  readonly control: InMemoryBasiq.InMemoryBasiq.Service
  readonly close: () => Promise<void>
}

/** A fresh in-memory Basiq (on the real clock) and a promise client over its HttpClient. */
const makeHarness = async (): Promise<Harness> => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(InMemoryBasiq.layer({ stepDuration: "5 millis" }), scope)
  )
  const basiq = createConnectionsClient({
    apiKey: "facade-test-key",
    httpClient: Layer.succeed(HttpClient.HttpClient, Context.get(context, HttpClient.HttpClient))
  })
  return {
    basiq,
    control: Context.get(context, InMemoryBasiq.InMemoryBasiq),
    close: async () => {
      await basiq.dispose()
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
}

let h: Harness
beforeEach(async () => {
  h = await makeHarness()
})
afterEach(async () => {
  await h.close()
})

const fast = Schedule.spaced("5 millis")
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const createUser = () => Effect.runPromise(h.control.createUser({ email: "facade@hooli.example" }))
const journal = () => Effect.runPromise(h.control.journal)
const statuses = (job: JobSchemas.Job) => job.steps.map((step) => `${step.title}:${step.status}`)

/** The rejection of a promise (fails the test if it resolves). */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected the promise to reject")
}

/** A user with a finished Hooli connection. */
const connected = async () => {
  const user = await createUser()
  const ref = await h.basiq.postConnection(user.id, {
    loginId: "Wentworth-Smith",
    password: "whislter",
    institution: { id: "AU00000" }
  })
  const job = await h.basiq.waitForJob(ref.id, { schedule: fast })
  const connectionId = Jobs.connectionIdFromJob(job)
  if (connectionId === undefined) throw new Error("the finished job names no connection")
  return { userId: user.id, connectionId, jobId: ref.id }
}

describe("createConnectionsClient over the in-memory Basiq", () => {
  it("runs the seven operations, getJob and waitForJob, with plain-string credentials", async () => {
    const { basiq } = h
    const user = await createUser()
    // an MFA login: each of its jobs stays running at the challenge until it is answered
    const ref = await basiq.postConnection(user.id, {
      loginId: "gavinBelson",
      password: "hooli2016",
      institution: "AU00002"
    })
    expect(ref.type).toBe("job")
    const posted = (await journal()).find((e) => e.method === "POST" && e.path === `/users/${user.id}/connections`)
    expect(posted?.body).toEqual({ loginId: "<redacted>", password: "<redacted>", institution: { id: "AU00002" } })
    const answer = async () => ["Hooli"]

    const progress: Array<JobSchemas.Job> = []
    const job = await basiq.waitForJob(ref.id, {
      schedule: fast,
      onMfa: answer,
      onProgress: async (snapshot) => {
        await Promise.resolve()
        progress.push(snapshot)
      }
    })
    expect(statuses(job)).toEqual([
      "verify-credentials:success",
      "mfa-challenge:success",
      "retrieve-accounts:success",
      "retrieve-transactions:success"
    ])
    expect(progress.some((p) => statuses(p).includes("mfa-challenge:in-progress"))).toBe(true)
    expect(progress.at(-1)).toEqual(job)
    const keys = progress.map((p) => statuses(p).join())
    expect(new Set(keys).size).toBe(keys.length)

    const connectionId = Jobs.connectionIdFromJob(job) ?? ""
    const connection = await basiq.getConnection(user.id, connectionId)
    expect(connection).toMatchObject({ id: connectionId, status: "active", institution: { id: "AU00002" } })
    expect(connection.accounts?.data).toHaveLength(4)

    const active = await basiq.getConnections(user.id, { filter: ConnectionFilter.status.eq("active") })
    expect(active.data.map((c) => c.id)).toEqual([connectionId])
    const elsewhere = await basiq.getConnections(user.id, { filter: "institution.id.eq('AU00004')" })
    expect(elsewhere.data).toEqual([])
    expect((await basiq.getConnections(user.id)).data).toHaveLength(1)

    const refresh = await basiq.refreshConnection(user.id, connectionId)
    expect(refresh.alreadyRunning).toBe(false)
    expect(refresh.id).not.toBe(ref.id)
    const again = await basiq.refreshConnection(user.id, connectionId)
    expect(again).toMatchObject({ id: refresh.id, alreadyRunning: true })
    // refreshConnections answers with the job still running for the connection
    const all = await basiq.refreshConnections(user.id)
    expect(all.data.map((r) => r.id)).toEqual([refresh.id])
    const refreshed = await basiq.waitForJob(refresh.id, { schedule: fast, onMfa: answer })
    expect(Jobs.connectionIdFromJob(refreshed)).toBe(connectionId)

    const update = await basiq.updateConnection(user.id, connectionId, { password: "hooli2016" })
    const read = await basiq.getJob(update.id)
    expect(read.id).toBe(update.id)
    expect(Jobs.isTerminal(read)).toBe(false)
    const updated = await basiq.waitForJob(update.id, { schedule: fast, onMfa: answer })
    expect(Jobs.jobState(updated)).toEqual({ _tag: "Succeeded" })
    expect(Jobs.isTerminal(await basiq.getJob(update.id))).toBe(true)
    const updatePost = (await journal()).find(
      (e) => e.method === "POST" && e.path === `/users/${user.id}/connections/${connectionId}`
    )
    expect(updatePost?.body).toEqual({ password: "<redacted>" })

    await expect(basiq.deleteConnection(user.id, connectionId)).resolves.toBeUndefined()
    await expect(basiq.getConnection(user.id, connectionId)).rejects.toBeInstanceOf(BasiqNotFoundError)
    expect((await basiq.getConnections(user.id)).data).toEqual([])
  })

  it("postJobMfa takes plain strings and answers with a CLIENT_ACCESS token for the user", async () => {
    const { basiq } = h
    const user = await createUser()
    const ref = await basiq.postConnection(user.id, {
      loginId: "gavinBelson",
      password: "hooli2016",
      institution: { id: "AU00002" }
    })
    const mfa = await rejectionOf(basiq.waitForJob(ref.id, { schedule: fast }))
    expect(mfa).toBeInstanceOf(BasiqMfaRequiredError)
    expect(mfa).toBeInstanceOf(Error)
    expect(mfa).toMatchObject({
      _tag: "BasiqMfaRequiredError",
      jobId: ref.id,
      challenge: { method: "security-questions", prompts: ["What is the name of your employer?"] }
    })

    const answered = await basiq.postJobMfa(ref.id, ["Hooli"], { userId: user.id })
    expect(answered.id).toBe(ref.id)
    const job = await basiq.waitForJob(ref.id, { schedule: fast })
    expect(statuses(job)).toContain("mfa-challenge:success")

    const entries = await journal()
    const mfaAt = entries.findIndex((e) => e.method === "POST" && e.path === `/jobs/${ref.id}/mfa`)
    expect(mfaAt).toBeGreaterThan(0)
    expect(entries[mfaAt - 1]).toMatchObject({ path: "/token", body: { scope: "CLIENT_ACCESS", userId: user.id } })
  })

  it("waitForJob answers MFA through a promise onMfa", async () => {
    const { basiq } = h
    const user = await createUser()
    const ref = await basiq.postConnection(user.id, {
      loginId: "gavinBelson",
      password: Redacted.make("hooli2016"),
      institution: { id: "AU00002" }
    })
    const challenges: Array<JobSchemas.MfaChallenge> = []
    const job = await basiq.waitForJob(ref.id, {
      schedule: fast,
      onMfa: async (challenge, snapshot) => {
        expect(snapshot.id).toBe(ref.id)
        challenges.push(challenge)
        await Promise.resolve()
        return ["Hooli"]
      }
    })
    expect(statuses(job)).toEqual([
      "verify-credentials:success",
      "mfa-challenge:success",
      "retrieve-accounts:success",
      "retrieve-transactions:success"
    ])
    expect(challenges.map((c) => c.prompts)).toEqual([["What is the name of your employer?"]])
    const tokens = (await journal()).filter((e) => e.path === "/token").map((e) => e.body)
    expect(tokens).toContainEqual({ scope: "CLIENT_ACCESS", userId: user.id })
  })

  it("clientToken resolves to a plain token string, minted for the user each time", async () => {
    const user = await createUser()
    const token = await h.basiq.clientToken(user.id)
    expect(typeof token).toBe("string")
    expect(Redacted.isRedacted(token)).toBe(false)
    expect(token.split(".")).toHaveLength(3)
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      readonly scope: string
      readonly userid: string
    }
    expect(claims).toMatchObject({ scope: "CLIENT_ACCESS", userid: user.id })
    const second = await h.basiq.clientToken(user.id)
    expect(second).not.toBe(token)
    const exchanges = (await journal()).filter((e) => e.path === "/token")
    expect(exchanges.map((e) => e.body)).toEqual([
      { scope: "CLIENT_ACCESS", userId: user.id },
      { scope: "CLIENT_ACCESS", userId: user.id }
    ])
  })

  it("rejects with the tagged error instance itself, not a FiberFailure", async () => {
    const user = await createUser()
    const error = await rejectionOf(h.basiq.getConnection(user.id, "no-such-connection"))
    expect(Runtime.isFiberFailure(error)).toBe(false)
    expect(error).toBeInstanceOf(BasiqNotFoundError)
    expect(error).toBeInstanceOf(Error)
    if (!(error instanceof BasiqNotFoundError)) return
    expect(error.constructor).toBe(BasiqNotFoundError)
    expect(error._tag).toBe("BasiqNotFoundError")
    expect(error.status).toBe(404)
    expect(error.code).toBe("resource-not-found")
    expect(error.correlationId).toMatch(uuid)
    expect(error.message).toContain("404")
    expect(error.message).toContain("resource-not-found")
    expect(error.message).toContain(error.correlationId ?? "")
    expect(error.message).not.toContain("facade-test-key")

    const invalid = await rejectionOf(h.basiq.getConnection(user.id, "../admin"))
    expect(invalid).toBeInstanceOf(BasiqInvalidRequestError)
    const sent = (await journal()).filter((e) => e.path.includes("admin"))
    expect(sent).toEqual([])
  })

  it("a failed job rejects with BasiqJobFailedError", async () => {
    const user = await createUser()
    const ref = await h.basiq.postConnection(user.id, {
      loginId: "bighead",
      password: "password",
      institution: { id: "AU00000" }
    })
    const error = await rejectionOf(h.basiq.waitForJob(ref.id, { schedule: fast }))
    expect(Runtime.isFiberFailure(error)).toBe(false)
    expect(error).toBeInstanceOf(BasiqJobFailedError)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      _tag: "BasiqJobFailedError",
      jobId: ref.id,
      step: "verify-credentials",
      code: "invalid-credentials",
      detail: "Account is locked"
    })
  })

  it("a callback that throws rejects the wait with that same error", async () => {
    const { basiq } = h
    const { userId, connectionId } = await connected()
    const boom = new Error("onProgress failed")
    const refresh = await basiq.refreshConnection(userId, connectionId)
    const thrown = await rejectionOf(
      basiq.waitForJob(refresh.id, {
        schedule: fast,
        onProgress: () => {
          throw boom
        }
      })
    )
    expect(thrown).toBe(boom)

    const user = await createUser()
    const mfa = await basiq.postConnection(user.id, {
      loginId: "gavinBelson",
      password: "hooli2016",
      institution: { id: "AU00002" }
    })
    const refused = { reason: "not an Error" }
    const rejected = await rejectionOf(
      basiq.waitForJob(mfa.id, { schedule: fast, onMfa: () => Promise.reject(refused) })
    )
    expect(rejected).toBe(refused)
    expect((await journal()).some((e) => e.path === `/jobs/${mfa.id}/mfa`)).toBe(false)
  })

  it("bad options throw BasiqConfigError synchronously", () => {
    const thrown = (f: () => unknown): unknown => {
      try {
        f()
      } catch (error) {
        return error
      }
      return undefined
    }
    const noKey = thrown(() => createConnectionsClient({ apiKey: "" }))
    expect(noKey).toBeInstanceOf(BasiqConfigError)
    expect(noKey).toBeInstanceOf(Error)
    expect(noKey).toMatchObject({ _tag: "BasiqConfigError", option: "apiKey" })
    expect(thrown(() => createConnectionsClient({ apiKey: "k", baseUrl: "http://basiq.example" }))).toMatchObject({
      _tag: "BasiqConfigError",
      option: "baseUrl"
    })
    expect(thrown(() => createConnectionsClient({ apiKey: "k", timeout: "0 millis" }))).toMatchObject({
      _tag: "BasiqConfigError",
      option: "timeout"
    })
    expect(thrown(() => createConnectionsClient({ apiKey: "k", retry: { maxRetries: -1 } }))).toMatchObject({
      _tag: "BasiqConfigError",
      option: "retry.maxRetries"
    })
  })

  it("aborting a slow request rejects promptly with signal.reason, and the request is not applied", async () => {
    const user = await createUser()
    const path = `/users/${user.id}/connections`
    await Effect.runPromise(
      h.control.injectFault({ method: "POST", path, fault: InMemoryBasiq.Fault.delay("10 seconds") })
    )
    const controller = new AbortController()
    const pending = h.basiq.postConnection(
      user.id,
      { loginId: "Wentworth-Smith", password: "whislter", institution: "AU00000" },
      { signal: controller.signal }
    )
    await vi.waitFor(async () => {
      expect((await journal()).filter((e) => e.method === "POST" && e.path === path)).toHaveLength(1)
    })
    const reason = new Error("the user went away")
    const abortedAt = performance.now()
    controller.abort(reason)
    const error = await rejectionOf(pending)
    expect(error).toBe(reason)
    expect(performance.now() - abortedAt).toBeLessThan(1000)

    expect((await h.basiq.getConnections(user.id)).data).toEqual([])
    expect((await journal()).filter((e) => e.method === "POST" && e.path === path)).toHaveLength(1)
  })

  it("aborting a wait stops it with signal.reason", async () => {
    const user = await createUser()
    const ref = await h.basiq.postConnection(user.id, {
      loginId: "gavinBelson",
      password: "hooli2016",
      institution: { id: "AU00002" }
    })
    const controller = new AbortController()
    let asked = false
    const pending = h.basiq.waitForJob(ref.id, {
      schedule: fast,
      signal: controller.signal,
      onMfa: () => {
        asked = true
        return new Promise<ReadonlyArray<string>>(() => {})
      }
    })
    await vi.waitFor(() => {
      expect(asked).toBe(true)
    })
    controller.abort("stop waiting")
    await expect(pending).rejects.toBe("stop waiting")
  })

  it("an already-aborted signal rejects at once, without a request", async () => {
    const user = await createUser()
    const before = (await journal()).length
    const reason = new Error("too late")
    await expect(h.basiq.getConnections(user.id, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    await expect(h.basiq.clientToken(user.id, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    await expect(h.basiq.waitForJob("some-job", { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect((await journal()).length).toBe(before)
  })

  it("dispose() interrupts calls in flight: they reject saying the client was disposed", async () => {
    const user = await createUser()
    // a job that never finishes (every poll sees it running), and a request that hangs
    const jobId = "forever-running-job"
    const running = {
      type: "job",
      id: jobId,
      steps: [{ title: "verify-credentials", status: "in-progress", result: null }],
      links: null
    }
    await Effect.runPromise(
      h.control.injectFault({
        method: "GET",
        path: `/jobs/${jobId}`,
        times: 1_000_000,
        fault: InMemoryBasiq.Fault.status({ status: 200, body: running })
      })
    )
    const path = `/users/${user.id}/connections`
    await Effect.runPromise(
      h.control.injectFault({ method: "GET", path, fault: InMemoryBasiq.Fault.delay("10 seconds") })
    )
    const waiting = rejectionOf(h.basiq.waitForJob(jobId, { schedule: fast }))
    const listing = rejectionOf(h.basiq.getConnections(user.id))
    await vi.waitFor(async () => {
      const entries = await journal()
      expect(entries.filter((e) => e.path === `/jobs/${jobId}`).length).toBeGreaterThan(1)
      expect(entries.filter((e) => e.path === path)).toHaveLength(1)
    })
    const disposedAt = performance.now()
    await h.basiq.dispose()
    for (const error of [await waiting, await listing]) {
      expect(error).toBeInstanceOf(Error)
      expect(error instanceof Error ? error.message : "").toMatch(/disposed/)
    }
    // both rejected well before the hanging request's 10 s, and the wait's fiber (the poller) has ended
    expect(performance.now() - disposedAt).toBeLessThan(1000)
  })

  it("after dispose(), calls reject with an Error saying the client was disposed", async () => {
    const { userId, connectionId, jobId } = await connected()
    await h.basiq.dispose()
    await expect(h.basiq.dispose()).resolves.toBeUndefined()
    const before = (await journal()).length
    const calls: ReadonlyArray<Promise<unknown>> = [
      h.basiq.getConnections(userId),
      h.basiq.getConnection(userId, connectionId),
      h.basiq.postConnection(userId, { loginId: "a", password: "b", institution: "AU00000" }),
      h.basiq.updateConnection(userId, connectionId, { password: "b" }),
      h.basiq.deleteConnection(userId, connectionId),
      h.basiq.refreshConnection(userId, connectionId),
      h.basiq.refreshConnections(userId),
      h.basiq.getJob(jobId),
      h.basiq.postJobMfa(jobId, ["x"]),
      h.basiq.waitForJob(jobId),
      h.basiq.clientToken(userId)
    ]
    for (const call of calls) {
      const error = await rejectionOf(call)
      expect(error).toBeInstanceOf(Error)
      expect(error instanceof Error ? error.message : "").toMatch(/disposed/)
    }
    expect((await journal()).length).toBe(before)
  })
})
