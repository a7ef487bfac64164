/**
 * The promise facade: no Effect in sight. Runs against the in-memory Basiq served over HTTP on
 * 127.0.0.1 (`InMemoryBasiq.serve`), so the facade uses its default transport as it would with
 * the real Basiq.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/facade.ts`
 */
import {
  BasiqJobFailedError,
  BasiqNotFoundError,
  ConnectionFilter,
  createConnectionsClient,
  Jobs
} from "@basiq-effect/connections"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Effect, Schedule } from "effect"
import { isMain, runMain } from "./runMain.js"

/** The facade's lifecycle, given a base URL and a user id. Returns what it saw. */
export const lifecycle = async (baseUrl: string, userId: string): Promise<ReadonlyArray<string>> => {
  const seen: Array<string> = []
  const basiq = createConnectionsClient({ apiKey: "example-api-key", baseUrl })
  try {
    const ref = await basiq.postConnection(userId, {
      loginId: "Wentworth-Smith", // plain strings are fine: they are wrapped in Redacted at once
      password: "whislter",
      institution: { id: "AU00000" }
    })
    const job = await basiq.waitForJob(ref.id, {
      schedule: Schedule.spaced("20 millis"),
      onProgress: (job) => {
        seen.push(job.steps.map((s) => `${s.title}:${s.status}`).join(" "))
      }
    })
    const connectionId = Jobs.connectionIdFromJob(job)!
    const connection = await basiq.getConnection(userId, connectionId)
    seen.push(`accounts: ${connection.accounts?.data.length}`)
    const list = await basiq.getConnections(userId, { filter: ConnectionFilter.status.eq("active") })
    seen.push(`active connections: ${list.data.length}`)
    await basiq.deleteConnection(userId, connectionId)
    try {
      await basiq.getConnection(userId, connectionId)
    } catch (error) {
      if (error instanceof BasiqNotFoundError) seen.push(`after delete: ${error.status} ${error.code}`)
      else throw error
    }
    const locked = await basiq.postConnection(userId, {
      loginId: "bighead",
      password: "password",
      institution: { id: "AU00000" }
    })
    try {
      await basiq.waitForJob(locked.id, { schedule: Schedule.spaced("20 millis") })
    } catch (error) {
      if (error instanceof BasiqJobFailedError) seen.push(`locked login: ${error.code}`)
      else throw error
    }
    return seen
  } finally {
    await basiq.dispose()
  }
}

if (isMain(import.meta.url)) {
  runMain(
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* InMemoryBasiq.serve({ stepDuration: "50 millis" })
        const user = yield* fake.control.createUser()
        const seen = yield* Effect.promise(() => lifecycle(fake.url, user.id))
        for (const line of seen) console.log(line)
      })
    )
  )
}
