/**
 * A connection's whole life with `Connections` and `Jobs` (the v3 journey is the main demo,
 * `demo.ts`).
 *
 * Without `BASIQ_API_KEY` it runs against the embedded in-memory Basiq: a new user, a sandbox
 * login at Hooli (`AU00000`), the job's steps as they run, the accounts, a filtered list, a
 * refresh, an MFA login at `AU00002` answered through `onMfa`, a locked login handled through its
 * typed error, and the delete.
 *
 * With `BASIQ_API_KEY` and `BASIQ_USER_ID` (and optionally `BASIQ_BASE_URL`) it runs the read and
 * refresh steps against real Basiq for that user instead.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/connections.ts`
 */
import {
  BasiqConnections,
  ConnectionFilter,
  type ConnectionSchemas,
  Connections,
  type JobSchemas,
  Jobs
} from "@basiq-effect/connections"
import { BasiqConfig } from "@basiq-effect/core"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Console, Effect, Either, Layer, Redacted, Schedule } from "effect"
import { isMain, runMain } from "./runMain.js"

const stepIcon = (status: string): string =>
  status === "success" ? "✔" : status === "failed" ? "✘" : status === "in-progress" ? "…" : "·"

const printJob = (job: JobSchemas.Job): Effect.Effect<void> =>
  Console.log(`    job ${job.id}: ${job.steps.map((s) => `${stepIcon(s.status)} ${s.title}`).join("   ")}`)

const money = (value: string | null | undefined): string => (value === null || value === undefined ? "—" : value)

const printAccounts = (connection: ConnectionSchemas.Connection) =>
  Effect.gen(function* () {
    const accounts = connection.accounts?.data ?? []
    yield* Console.log(
      `    ${"account".padEnd(26)} ${"number".padEnd(20)} ${"balance".padStart(12)} ${"available".padStart(12)}`
    )
    for (const a of accounts) {
      yield* Console.log(
        `    ${a.name.padEnd(26)} ${a.accountNo.padEnd(20)} ${money(a.balance).padStart(12)} ${money(a.availableFunds).padStart(12)}`
      )
    }
  })

/** Poll often so each step shows up (Basiq's default wait polls every 1-5 s). */
const poll = Schedule.spaced("100 millis")

const step = (n: number, title: string) => Console.log(`\n${n}. ${title}`)

/** The whole lifecycle against the embedded in-memory Basiq. */
export const inMemoryLifecycle = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const connections = yield* Connections.Connections
  const jobs = yield* Jobs.Jobs

  yield* Console.log("Running against the embedded in-memory Basiq (set BASIQ_API_KEY to use the real one).")

  yield* step(1, "A new user (the SDK exchanges its API key for a server token on the first call)")
  const user = yield* basiq.createUser({ email: "ada@example.com" })
  yield* Console.log(`    user ${user.id}`)

  yield* step(2, "postConnection with a sandbox login at Hooli (AU00000), then waitForJob")
  const ref = yield* connections.postConnection(user.id, {
    loginId: Redacted.make("Wentworth-Smith"),
    password: Redacted.make("whislter"),
    institution: { id: "AU00000" }
  })
  yield* Console.log(`    Basiq accepted the request: job ${ref.id}`)
  const job = yield* jobs.waitForJob(ref.id, { schedule: poll, onProgress: printJob })
  const connectionId = Jobs.connectionIdFromJob(job)
  if (connectionId === undefined) return yield* Effect.dieMessage("the finished job names no connection")
  yield* Console.log(`    connected: connection ${connectionId}`)

  yield* step(3, "getConnection: the accounts and balances")
  const connection = yield* connections.getConnection(user.id, connectionId)
  yield* Console.log(`    ${connection.institution.id}, status ${connection.status}`)
  yield* printAccounts(connection)

  yield* step(4, "getConnections with a typed filter")
  const filter = ConnectionFilter.and(
    ConnectionFilter.institutionId.eq("AU00000"),
    ConnectionFilter.status.eq("active")
  )
  const list = yield* connections.getConnections(user.id, { filter })
  yield* Console.log(`    filter=${Either.getOrElse(ConnectionFilter.render(filter), () => "")}`)
  yield* Console.log(`    ${list.data?.length ?? 0} connection(s): ${(list.data ?? []).map((c) => c.id).join(", ")}`)

  yield* step(5, "refreshConnection, and a second refresh while the first job still runs")
  const refresh = yield* connections.refreshConnection(user.id, connectionId)
  const again = yield* connections.refreshConnection(user.id, connectionId)
  yield* Console.log(`    job ${refresh.id} started (alreadyRunning: ${refresh.alreadyRunning})`)
  yield* Console.log(`    second refresh answered with job ${again.id} (alreadyRunning: ${again.alreadyRunning})`)
  yield* jobs.waitForJob(refresh.id, { schedule: poll, onProgress: printJob })

  yield* step(6, "An MFA login at AU00002, answered through onMfa")
  const mfaRef = yield* connections.postConnection(user.id, {
    loginId: Redacted.make("gavinBelson"),
    password: Redacted.make("hooli2016"),
    institution: { id: "AU00002" }
  })
  const mfaJob = yield* jobs.waitForJob(mfaRef.id, {
    schedule: poll,
    onProgress: printJob,
    onMfa: (challenge) =>
      Console.log(`    Basiq asks (${challenge.method}): ${challenge.prompts.join(", ")} → answering`).pipe(
        Effect.as([Redacted.make("Hooli")])
      )
  })
  yield* Console.log(`    connected after MFA: connection ${Jobs.connectionIdFromJob(mfaJob)}`)

  yield* step(7, "A locked login (bighead/password): the job fails with a typed error")
  const lockedRef = yield* connections.postConnection(user.id, {
    loginId: Redacted.make("bighead"),
    password: Redacted.make("password"),
    institution: { id: "AU00000" }
  })
  yield* jobs.waitForJob(lockedRef.id, { schedule: poll, onProgress: printJob }).pipe(
    Effect.flatMap(() => Effect.dieMessage("the locked login unexpectedly connected")),
    Effect.catchTag("BasiqJobFailedError", (e) =>
      Console.log(`    BasiqJobFailedError: step ${e.step}, code ${e.code}, "${e.detail ?? e.title}"`)
    )
  )

  yield* step(8, "deleteConnection, then getConnection says it is gone")
  yield* connections.deleteConnection(user.id, connectionId)
  yield* connections.getConnection(user.id, connectionId).pipe(
    Effect.flatMap(() => Effect.dieMessage("the deleted connection is still there")),
    Effect.catchTag("BasiqNotFoundError", (e) =>
      Console.log(`    BasiqNotFoundError: ${e.status} ${e.code} (correlationId ${e.correlationId})`)
    )
  )
  yield* Console.log("\nDone: a connection's life, from login to delete.")
})

/** Read and refresh steps against the Basiq at `BASIQ_BASE_URL` (default: Basiq's API) for an existing user. */
const realLifecycle = (userId: string) =>
  Effect.gen(function* () {
    const connections = yield* Connections.Connections
    const jobs = yield* Jobs.Jobs
    const { baseUrl } = yield* BasiqConfig.BasiqConfig
    const where = baseUrl === BasiqConfig.defaultBaseUrl ? `Basiq's API at ${baseUrl}` : `the Basiq API at ${baseUrl}`
    yield* Console.log(`Running against ${where} for user ${userId}.`)
    yield* Console.log(
      "Connections are not created here: Basiq's v3 API creates them through its consent UI (use clientToken)."
    )
    yield* step(1, "getConnections")
    const list = yield* connections.getConnections(userId)
    const first = list.data?.[0]
    yield* Console.log(`    ${list.data?.length ?? 0} connection(s)`)
    if (first === undefined) return yield* Console.log("    no connection to read or refresh: link one first.")
    yield* step(2, `getConnection ${first.id}`)
    yield* printAccounts(yield* connections.getConnection(userId, first.id))
    yield* step(3, "refreshConnection, then waitForJob")
    const ref = yield* connections.refreshConnection(userId, first.id)
    yield* jobs.waitForJob(ref.id, { schedule: poll, onProgress: printJob })
    yield* Console.log("\nDone.")
  })

/** `Connections`, `Jobs` and the fake's controls over the in-memory Basiq. */
export const layer = (stepDuration = "300 millis" as const) =>
  BasiqConnections.layerWithoutHttpClient({ apiKey: "demo-api-key" }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer({ stepDuration }))
  )

const apiKey = process.env.BASIQ_API_KEY
const program =
  apiKey === undefined || apiKey === ""
    ? inMemoryLifecycle.pipe(Effect.provide(layer()))
    : Effect.suspend(() => {
        const userId = process.env.BASIQ_USER_ID
        if (userId === undefined || userId === "") {
          return Effect.fail(
            new Error("BASIQ_USER_ID is required with BASIQ_API_KEY (the user whose connections to read)")
          )
        }
        return realLifecycle(userId).pipe(
          Effect.provide(BasiqConnections.layer({ apiKey, baseUrl: process.env.BASIQ_BASE_URL }))
        )
      })

if (isMain(import.meta.url)) runMain(program)
