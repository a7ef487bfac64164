/**
 * Retries: the default policy, a custom `BasiqRetry` policy from a `Schedule`, and `withPolicy`
 * for one call. Two injected 503s are retried away; a 429 with a `Retry-After` over the cap fails
 * at once with its `retryAfter`.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/retries.ts`
 */

import { Connections } from "@basiq-effect/connections"
import { BasiqRetry } from "@basiq-effect/core"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Duration, Effect, Schedule } from "effect"
import { inMemory, isMain, runMain } from "./runMain.js"

/** A policy: at most 5 retries, 100 ms apart, honouring `Retry-After` up to 10 s. */
export const steady = BasiqRetry.fromSchedule(
  Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(5))),
  {
    maxRetryAfter: "10 seconds"
  }
)

export const program = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const connections = yield* Connections.Connections
  const user = yield* basiq.createUser()
  const seeded = yield* basiq.seedConnection({ userId: user.id })
  const path = `/users/${user.id}/connections/${seeded.id}`

  // Two 503s, then success: the call succeeds after two retries under the custom policy.
  yield* basiq.injectFault({ path, times: 2, fault: InMemoryBasiq.Fault.status({ status: 503 }) })
  const connection = yield* connections.getConnection(user.id, seeded.id).pipe(BasiqRetry.withPolicy(steady))
  const journal = yield* basiq.journal
  const attempts = journal.filter((entry) => entry.path === path).length

  // A 429 asking to wait an hour: longer than maxRetryAfter, so it fails at once with retryAfter.
  yield* basiq.injectFault({ path, fault: InMemoryBasiq.Fault.status({ status: 429, retryAfter: 3600 }) })
  const limited = yield* Effect.flip(connections.getConnection(user.id, seeded.id).pipe(BasiqRetry.withPolicy(steady)))
  return {
    connectionId: connection.id,
    attempts,
    rateLimited: limited._tag === "BasiqRateLimitError" ? Duration.toSeconds(limited.retryAfter ?? Duration.zero) : -1
  }
})

if (isMain(import.meta.url)) {
  runMain(
    program.pipe(
      Effect.tap((r) => Effect.sync(() => console.log(r))),
      Effect.asVoid,
      Effect.provide(inMemory())
    )
  )
}
