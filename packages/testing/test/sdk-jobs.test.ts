import {
  BasiqConnections,
  BasiqJobFailedError,
  BasiqJobTimeoutError,
  BasiqMfaRequiredError,
  Connections,
  type JobSchemas,
  Jobs
} from "@basiq-effect/connections"
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Clock,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  Schedule,
  Stream,
  TestClock
} from "effect"
import { InMemoryBasiq } from "../src/index.js"

const apiKey = "jobs-test-key"

/** A fresh in-memory Basiq and the SDK over it, built per test. */
const basiqLayer = (stepDuration: Duration.DurationInput = "1 second") =>
  BasiqConnections.layerWithoutHttpClient({ apiKey }).pipe(Layer.provideMerge(InMemoryBasiq.layer({ stepDuration })))

/**
 * Advances the TestClock by `step` until the fiber is done (each adjust runs every sleep due by
 * then, in order), and returns its exit. Dies if it is still running after `max` steps.
 */
const advanceUntilDone = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  step: Duration.DurationInput = "1 second",
  max = 300
): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.gen(function* () {
    for (let i = 0; i < max; i++) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage(`the fiber was still running after ${max} steps`)
  })

/** The failure of an exit, or a defect saying what it was instead. */
const failureOf = <A, E>(exit: Exit.Exit<A, E>): Effect.Effect<E> =>
  Exit.isSuccess(exit)
    ? Effect.dieMessage(`expected a failure, got a success: ${JSON.stringify(exit.value)}`)
    : Option.match(Cause.failureOption(exit.cause), {
        onNone: () => Effect.dieMessage(`expected a failure, got ${Cause.pretty(exit.cause)}`),
        onSome: Effect.succeed
      })

/** The value of an exit, or a defect saying what it was instead. */
const successOf = <A, E>(exit: Exit.Exit<A, E>): Effect.Effect<A> =>
  Exit.isSuccess(exit)
    ? Effect.succeed(exit.value)
    : Effect.dieMessage(`expected a success, got ${Cause.pretty(exit.cause)}`)

/** A user with a connection job started for these credentials. */
const startConnection = (loginId: string, password: string, institutionId = "AU00000") =>
  Effect.gen(function* () {
    const basiq = yield* InMemoryBasiq.InMemoryBasiq
    const connections = yield* Connections.Connections
    const user = yield* basiq.createUser({ email: "jobs@hooli.example" })
    const ref = yield* connections.postConnection(user.id, {
      loginId: Redacted.make(loginId),
      password: Redacted.make(password),
      institution: { id: institutionId }
    })
    return { userId: user.id, jobId: ref.id }
  })

const statuses = (job: JobSchemas.Job) => job.steps.map((step) => `${step.title}:${step.status}`)

/** `GET /jobs/{jobId}` requests the fake received so far. */
const jobPolls = (jobId: string) =>
  Effect.map(
    Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) => basiq.journal),
    (entries) => entries.filter((e) => e.method === "GET" && e.path === `/jobs/${jobId}`).length
  )

describe("Jobs.waitForJob", () => {
  it.effect("ends with the finished job, whose connection getConnection then finds", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const connections = yield* Connections.Connections
      const { userId, jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
      // three steps of one second each: not finished after two seconds
      yield* TestClock.adjust("2 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("5 seconds")
      const job = yield* Fiber.join(fiber)
      expect(job.id).toBe(jobId)
      expect(statuses(job)).toEqual([
        "verify-credentials:success",
        "retrieve-accounts:success",
        "retrieve-transactions:success"
      ])
      expect(Jobs.jobState(job)).toEqual({ _tag: "Succeeded" })
      const connectionId = Jobs.connectionIdFromJob(job)
      expect(connectionId).toBeDefined()
      expect(Jobs.userIdFromJob(job)).toBe(userId)
      const connection = yield* connections.getConnection(userId, connectionId ?? "")
      expect(connection.id).toBe(connectionId)
      expect(connection.status).toBe("active")
      expect(connection.accounts?.data.length).toBe(4)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("polls on the default schedule: 1 s, then growing by 1.5x", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
      // polls at 0, 1, 2.5 and 4.75 s; the job finishes at 3 s
      yield* TestClock.adjust("10 millis")
      expect(yield* jobPolls(jobId)).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* jobPolls(jobId)).toBe(2)
      yield* TestClock.adjust("1500 millis")
      expect(yield* jobPolls(jobId)).toBe(3)
      yield* TestClock.adjust("2 seconds")
      expect(yield* jobPolls(jobId)).toBe(3)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("500 millis")
      const job = yield* Fiber.join(fiber)
      expect(Jobs.isTerminal(job)).toBe(true)
      expect(yield* jobPolls(jobId)).toBe(4)
    }).pipe(Effect.provide(basiqLayer()))
  )

  const failureCases: ReadonlyArray<{
    readonly name: string
    readonly loginId: string
    readonly password: string
    readonly institutionId?: string
    readonly code: string
    readonly detail: string
  }> = [
    {
      name: "a locked login",
      loginId: "bighead",
      password: "password",
      code: "invalid-credentials",
      detail: "Account is locked"
    },
    {
      name: "wrong credentials",
      loginId: "Wentworth-Smith",
      password: "not-the-password",
      code: "invalid-credentials",
      detail: "Invalid username or password."
    },
    {
      name: "an account that needs user action",
      loginId: "erlich",
      password: "aviato",
      code: "account-not-accessible-requires-user-action",
      detail: "Log in to the institution's website and complete the action it asks for, then retry."
    },
    {
      name: "an unavailable institution service",
      loginId: "jianYang",
      password: "nothotdog",
      code: "service-unavailable",
      detail: "The institution is temporarily unavailable. Please try again later."
    },
    {
      name: "an unknown institution",
      loginId: "Wentworth-Smith",
      password: "whislter",
      institutionId: "AU99999",
      code: "institution-not-found",
      detail: "Institution with id 'AU99999' does not exist."
    }
  ]

  for (const c of failureCases) {
    it.effect(`fails with BasiqJobFailedError at verify-credentials for ${c.name} (${c.code})`, () =>
      Effect.gen(function* () {
        const jobs = yield* Jobs.Jobs
        const { jobId } = yield* startConnection(c.loginId, c.password, c.institutionId)
        const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
        const error = yield* failureOf(yield* advanceUntilDone(fiber))
        expect(error).toBeInstanceOf(BasiqJobFailedError)
        if (!(error instanceof BasiqJobFailedError)) return
        expect(error._tag).toBe("BasiqJobFailedError")
        expect(error.jobId).toBe(jobId)
        expect(error.step).toBe("verify-credentials")
        expect(error.code).toBe(c.code)
        expect(error.detail).toBe(c.detail)
        expect(error.title).toBeTypeOf("string")
        expect(error.message).toContain(c.code)
        expect(error.message).toContain(jobId)
        // the verify step takes one second; the second poll (at 1 s) sees the failure
        expect(yield* jobPolls(jobId)).toBe(2)
      }).pipe(Effect.provide(basiqLayer()))
    )
  }

  it.effect("fails with BasiqJobTimeoutError after the deadline on a slow job", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId, { timeout: "3 seconds" }))
      yield* TestClock.adjust("2900 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("100 millis")
      const error = yield* failureOf(yield* advanceUntilDone(fiber, "1 millis", 10))
      expect(error).toBeInstanceOf(BasiqJobTimeoutError)
      if (!(error instanceof BasiqJobTimeoutError)) return
      expect(error.jobId).toBe(jobId)
      expect(Duration.toMillis(error.timeout)).toBe(3000)
      expect(error.step).toBe("verify-credentials")
      expect(error.message).toContain("3s")
      // no poll after the deadline
      const polls = yield* jobPolls(jobId)
      yield* TestClock.adjust("1 minute")
      expect(yield* jobPolls(jobId)).toBe(polls)
    }).pipe(Effect.provide(basiqLayer("10 seconds")))
  )

  it.effect("times out while onMfa is still thinking, naming the mfa-challenge step", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("gavinBelson", "hooli2016", "AU00002")
      const fiber = yield* Effect.fork(
        jobs.waitForJob(jobId, {
          timeout: "3 seconds",
          onMfa: () => Effect.as(Effect.sleep("1 minute"), [Redacted.make("Hooli")])
        })
      )
      const error = yield* failureOf(yield* advanceUntilDone(fiber, "500 millis"))
      expect(error).toBeInstanceOf(BasiqJobTimeoutError)
      if (!(error instanceof BasiqJobTimeoutError)) return
      expect(error.step).toBe("mfa-challenge")
      // at the deadline, not when onMfa would have answered
      expect(yield* Clock.currentTimeMillis).toBe(3000)
      // the answer was never posted
      const journal = yield* Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (b) => b.journal)
      expect(journal.some((e) => e.path === `/jobs/${jobId}/mfa`)).toBe(false)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("fails with BasiqMfaRequiredError at a challenge when there is no onMfa", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("gavinBelson", "hooli2016", "AU00002")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
      const error = yield* failureOf(yield* advanceUntilDone(fiber))
      expect(error).toBeInstanceOf(BasiqMfaRequiredError)
      if (!(error instanceof BasiqMfaRequiredError)) return
      expect(error.jobId).toBe(jobId)
      expect(error.challenge.method).toBe("security-questions")
      expect(error.challenge.prompts).toEqual(["What is the name of your employer?"])
      expect(error.challenge.description).toBe("Please answer the security question")
      expect(error.challenge.expiresIn).toBeDefined()
      expect(Duration.toMillis(error.challenge.expiresIn ?? Duration.zero)).toBe(120_000)
      expect(error.challenge.responseUrl).toBe(`/jobs/${jobId}/mfa`)
      expect(error.message).toContain("security-questions")
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("answers the challenge through onMfa with a CLIENT_ACCESS token for the job's user", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { userId, jobId } = yield* startConnection("gavinBelson", "hooli2016", "AU00002")
      const seen = yield* Ref.make<ReadonlyArray<JobSchemas.MfaChallenge>>([])
      const fiber = yield* Effect.fork(
        jobs.waitForJob(jobId, {
          onMfa: (challenge, job) => {
            expect(job.id).toBe(jobId)
            return Effect.as(
              Ref.update(seen, (all) => [...all, challenge]),
              [Redacted.make("Hooli")]
            )
          }
        })
      )
      const job = yield* successOf(yield* advanceUntilDone(fiber))
      expect(statuses(job)).toEqual([
        "verify-credentials:success",
        "mfa-challenge:success",
        "retrieve-accounts:success",
        "retrieve-transactions:success"
      ])
      const challenges = yield* Ref.get(seen)
      expect(challenges).toHaveLength(1)
      expect(challenges[0]?.prompts).toEqual(["What is the name of your employer?"])

      const journal = yield* basiq.journal
      const mfaPosts = journal.flatMap((e, i) => (e.method === "POST" && e.path === `/jobs/${jobId}/mfa` ? [i] : []))
      expect(mfaPosts).toHaveLength(1)
      const mfaAt = mfaPosts[0] ?? -1
      expect(journal[mfaAt]?.body).toEqual({ "mfa-response": "<redacted>" })
      const clientTokens = journal.flatMap((e, i) =>
        e.method === "POST" && e.path === "/token" && (e.body as { readonly scope?: string }).scope === "CLIENT_ACCESS"
          ? [i]
          : []
      )
      expect(clientTokens).toHaveLength(1)
      expect(journal[clientTokens[0] ?? -1]?.body).toEqual({ scope: "CLIENT_ACCESS", userId })
      // the client token is minted for this answer, right before it
      expect(clientTokens[0]).toBeLessThan(mfaAt)
      expect(journal.slice((clientTokens[0] ?? 0) + 1, mfaAt).some((e) => e.path === "/token")).toBe(false)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("a wrong MFA answer fails the wait with BasiqJobFailedError at mfa-challenge", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("gavinBelson", "hooli2016", "AU00002")
      const fiber = yield* Effect.fork(
        jobs.waitForJob(jobId, { onMfa: () => Effect.succeed([Redacted.make("Pied Piper")]) })
      )
      const error = yield* failureOf(yield* advanceUntilDone(fiber))
      expect(error).toBeInstanceOf(BasiqJobFailedError)
      if (!(error instanceof BasiqJobFailedError)) return
      expect(error.step).toBe("mfa-challenge")
      expect(error.code).toBe("invalid-credentials")
      expect(error.detail).toBe("The MFA response was not correct.")
    }).pipe(Effect.provide(basiqLayer()))
  )

  describe("array-wrapped step results", () => {
    const jobId = "array-job-1"
    const userId = "array-user-1"
    const connectionId = "array-connection-1"
    const wire = (steps: ReadonlyArray<unknown>) => ({
      type: "job",
      id: jobId,
      createdDate: "2024-01-01T00:00:00Z",
      updatedDate: "2024-01-01T00:00:01Z",
      steps,
      links: null
    })
    const inject = (body: unknown) =>
      Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) =>
        basiq.injectFault({
          method: "GET",
          path: `/jobs/${jobId}`,
          fault: InMemoryBasiq.Fault.status({ status: 200, body })
        })
      )
    const verified = {
      title: "verify-credentials",
      status: "success",
      result: [{ type: "link", url: `/users/${userId}/connections/${connectionId}` }]
    }

    it.effect("a one-element array link is unwrapped: the finished job names its connection", () =>
      Effect.gen(function* () {
        const jobs = yield* Jobs.Jobs
        yield* inject(
          wire([
            verified,
            { title: "retrieve-accounts", status: "success", result: [{ type: "link", url: "/accounts" }] },
            { title: "retrieve-transactions", status: "success", result: [] }
          ])
        )
        const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
        const job = yield* successOf(yield* advanceUntilDone(fiber))
        expect(job.steps[0]?.result).toEqual({ _tag: "Link", url: `/users/${userId}/connections/${connectionId}` })
        expect(job.steps[2]?.result).toBeNull()
        expect(job.links).toBeUndefined()
        expect(job.updated).toBe("2024-01-01T00:00:01Z")
        expect(Jobs.connectionIdFromJob(job)).toBe(connectionId)
        expect(Jobs.userIdFromJob(job)).toBe(userId)
      }).pipe(Effect.provide(basiqLayer()))
    )

    it.effect("a one-element array MFA challenge is the challenge of BasiqMfaRequiredError", () =>
      Effect.gen(function* () {
        const jobs = yield* Jobs.Jobs
        yield* inject(
          wire([
            verified,
            {
              title: "mfa-challenge",
              status: "in-progress",
              result: [
                {
                  type: "mfa",
                  method: "token",
                  description: "Enter the code",
                  input: ["OTP Password"],
                  expiryMs: 60_000,
                  links: { response: `/jobs/${jobId}/mfa` }
                }
              ]
            },
            { title: "retrieve-accounts", status: "pending", result: null }
          ])
        )
        const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
        const error = yield* failureOf(yield* advanceUntilDone(fiber))
        expect(error).toBeInstanceOf(BasiqMfaRequiredError)
        if (!(error instanceof BasiqMfaRequiredError)) return
        expect(error.challenge.method).toBe("token")
        expect(error.challenge.prompts).toEqual(["OTP Password"])
        expect(Duration.toMillis(error.challenge.expiresIn ?? Duration.zero)).toBe(60_000)
      }).pipe(Effect.provide(basiqLayer()))
    )

    it.effect("a one-element array error (v2.1 `details`) is the failure of BasiqJobFailedError", () =>
      Effect.gen(function* () {
        const jobs = yield* Jobs.Jobs
        yield* inject(
          wire([
            {
              title: "verify-credentials",
              status: "failed",
              result: [{ code: "maintenance", title: "Down for maintenance.", details: "Back soon." }]
            },
            { title: "retrieve-accounts", status: "pending" }
          ])
        )
        const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
        const error = yield* failureOf(yield* advanceUntilDone(fiber))
        expect(error).toBeInstanceOf(BasiqJobFailedError)
        if (!(error instanceof BasiqJobFailedError)) return
        expect(error).toMatchObject({
          jobId,
          step: "verify-credentials",
          code: "maintenance",
          title: "Down for maintenance.",
          detail: "Back soon."
        })
      }).pipe(Effect.provide(basiqLayer()))
    )
  })

  it.effect("onProgress sees each new snapshot once, in order, however often the job is polled", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const seen = yield* Ref.make<ReadonlyArray<JobSchemas.Job>>([])
      const fiber = yield* Effect.fork(
        jobs.waitForJob(jobId, {
          schedule: Schedule.spaced("250 millis"),
          onProgress: (job) => Ref.update(seen, (all) => [...all, job])
        })
      )
      const exit = yield* advanceUntilDone(fiber, "250 millis")
      expect(Exit.isSuccess(exit)).toBe(true)
      const snapshots = yield* Ref.get(seen)
      expect(snapshots.map(statuses)).toEqual([
        ["verify-credentials:in-progress", "retrieve-accounts:pending", "retrieve-transactions:pending"],
        ["verify-credentials:success", "retrieve-accounts:in-progress", "retrieve-transactions:pending"],
        ["verify-credentials:success", "retrieve-accounts:success", "retrieve-transactions:in-progress"],
        ["verify-credentials:success", "retrieve-accounts:success", "retrieve-transactions:success"]
      ])
      // polled every 250 ms for 3 s: many identical snapshots were not reported again
      expect(yield* jobPolls(jobId)).toBe(13)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("a failing onProgress fails the wait with its error and stops polling", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(
        jobs.waitForJob(jobId, {
          onProgress: (job) => (job.steps[0]?.status === "success" ? Effect.fail("stop here" as const) : Effect.void)
        })
      )
      const error = yield* failureOf(yield* advanceUntilDone(fiber))
      expect(error).toBe("stop here")
      const polls = yield* jobPolls(jobId)
      yield* TestClock.adjust("1 minute")
      expect(yield* jobPolls(jobId)).toBe(polls)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("interrupting between polls stops polling", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
      yield* TestClock.adjust("1500 millis")
      expect(yield* jobPolls(jobId)).toBe(2)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("5 minutes")
      expect(yield* jobPolls(jobId)).toBe(2)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("interrupting while a poll is in flight returns at once and stops polling", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
      yield* TestClock.adjust("10 millis")
      expect(yield* jobPolls(jobId)).toBe(1)
      // the second poll hangs for a minute: interrupting must not wait for it (the clock stands still)
      yield* basiq.injectFault({ method: "GET", path: `/jobs/${jobId}`, fault: InMemoryBasiq.Fault.delay("1 minute") })
      yield* TestClock.adjust("1 second")
      expect(yield* jobPolls(jobId)).toBe(2)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("5 minutes")
      expect(yield* jobPolls(jobId)).toBe(2)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("a custom schedule sets the polls; when it ends first, the wait times out", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(jobs.waitForJob(jobId, { schedule: Schedule.spaced("2 seconds") }))
      yield* TestClock.adjust("3900 millis")
      expect(yield* jobPolls(jobId)).toBe(2)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("100 millis")
      const job = yield* Fiber.join(fiber)
      expect(Jobs.isTerminal(job)).toBe(true)
      expect(yield* jobPolls(jobId)).toBe(3)

      const second = yield* startConnection("Wentworth-Smith", "whislter")
      const limited = yield* Effect.fork(
        jobs.waitForJob(second.jobId, {
          schedule: Schedule.spaced("500 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
        })
      )
      const error = yield* failureOf(yield* advanceUntilDone(limited, "500 millis"))
      expect(error).toBeInstanceOf(BasiqJobTimeoutError)
      expect(yield* jobPolls(second.jobId)).toBe(3)
    }).pipe(Effect.provide(basiqLayer()))
  )
})

describe("Jobs.watch", () => {
  it.effect("emits each distinct snapshot and ends after the successful one", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("Wentworth-Smith", "whislter")
      const fiber = yield* Effect.fork(
        Stream.runCollect(jobs.watch(jobId, { schedule: Schedule.spaced("250 millis") }))
      )
      const exit = yield* advanceUntilDone(fiber, "250 millis")
      const snapshots = Chunk.toReadonlyArray(yield* successOf(exit))
      expect(snapshots.map(statuses)).toEqual([
        ["verify-credentials:in-progress", "retrieve-accounts:pending", "retrieve-transactions:pending"],
        ["verify-credentials:success", "retrieve-accounts:in-progress", "retrieve-transactions:pending"],
        ["verify-credentials:success", "retrieve-accounts:success", "retrieve-transactions:in-progress"],
        ["verify-credentials:success", "retrieve-accounts:success", "retrieve-transactions:success"]
      ])
      expect(yield* jobPolls(jobId)).toBe(13)
      yield* TestClock.adjust("1 minute")
      expect(yield* jobPolls(jobId)).toBe(13)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("ends after the failed snapshot without failing", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("bighead", "password")
      const fiber = yield* Effect.fork(Stream.runCollect(jobs.watch(jobId)))
      const exit = yield* advanceUntilDone(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      const snapshots = Exit.isSuccess(exit) ? Chunk.toReadonlyArray(exit.value) : []
      expect(snapshots.map(statuses)).toEqual([
        ["verify-credentials:in-progress", "retrieve-accounts:pending", "retrieve-transactions:pending"],
        ["verify-credentials:failed", "retrieve-accounts:pending", "retrieve-transactions:pending"]
      ])
      expect(snapshots[1]?.steps[0]?.result).toMatchObject({ _tag: "StepError", code: "invalid-credentials" })
      const polls = yield* jobPolls(jobId)
      yield* TestClock.adjust("1 minute")
      expect(yield* jobPolls(jobId)).toBe(polls)
    }).pipe(Effect.provide(basiqLayer()))
  )

  it.effect("keeps watching through an MFA challenge (it is not terminal)", () =>
    Effect.gen(function* () {
      const jobs = yield* Jobs.Jobs
      const { jobId } = yield* startConnection("gavinBelson", "hooli2016", "AU00002")
      const fiber = yield* Effect.fork(
        Stream.runCollect(jobs.watch(jobId, { schedule: Schedule.spaced("1 second") }).pipe(Stream.take(3)))
      )
      // verify (1 s), then the challenge; nothing changes until it is answered or expires at 121 s
      yield* TestClock.adjust("30 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      const snapshots = yield* successOf(yield* advanceUntilDone(fiber, "10 seconds"))
      expect(snapshots.pipe(Chunk.map(statuses), Chunk.toReadonlyArray)).toEqual([
        [
          "verify-credentials:in-progress",
          "mfa-challenge:pending",
          "retrieve-accounts:pending",
          "retrieve-transactions:pending"
        ],
        [
          "verify-credentials:success",
          "mfa-challenge:in-progress",
          "retrieve-accounts:pending",
          "retrieve-transactions:pending"
        ],
        [
          "verify-credentials:success",
          "mfa-challenge:failed",
          "retrieve-accounts:pending",
          "retrieve-transactions:pending"
        ]
      ])
    }).pipe(Effect.provide(basiqLayer()))
  )
})
