/**
 * A slice of an application: the code under test in `examples/test/app.test.ts`, which shows the
 * two ways to test code that uses the SDK — a stub service (`ConnectionsTest.layer`) and the
 * in-memory Basiq (`InMemoryBasiq.layer`) on virtual time.
 */
import { Connections, Jobs } from "@basiq-effect/connections"
import { Effect, Redacted } from "effect"

/** The total balance of a connection's accounts, in cents (accounts without a balance count 0). */
export const totalBalanceCents = (userId: string, connectionId: string) =>
  Effect.gen(function* () {
    const connections = yield* Connections.Connections
    const connection = yield* connections.getConnection(userId, connectionId)
    let cents = 0
    for (const account of connection.accounts?.data ?? []) {
      if (account.balance !== null) cents += Math.round(Number(account.balance) * 100)
    }
    return cents
  })

/** Links a bank with a login and waits for Basiq to finish; the new connection's id. */
export const linkBank = (
  userId: string,
  login: { readonly loginId: string; readonly password: string },
  institutionId: string
) =>
  Effect.gen(function* () {
    const connections = yield* Connections.Connections
    const jobs = yield* Jobs.Jobs
    const ref = yield* connections.postConnection(userId, {
      loginId: Redacted.make(login.loginId),
      password: Redacted.make(login.password),
      institution: { id: institutionId }
    })
    const job = yield* jobs.waitForJob(ref.id)
    const connectionId = Jobs.connectionIdFromJob(job)
    return connectionId === undefined ? yield* Effect.dieMessage("the finished job names no connection") : connectionId
  })
