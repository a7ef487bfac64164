/**
 * The start of Basiq's v3 journey: create a user, build the consent UI link, read the redirect
 * back, wait for the job, list the user's consents, purge the connection's data, delete the user.
 * Here the in-memory Basiq stands in for the consent UI (`completeConsent` does what the customer
 * does there).
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/users.ts`
 */
import { Connections, Jobs } from "@basiq-effect/connections"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Consents, ConsentUi, Users } from "@basiq-effect/users"
import { Console, type Duration, Effect, Layer } from "effect"
import { inMemory, isMain, runMain } from "./runMain.js"

/** The users example's services over the in-memory Basiq. */
export const layer = (stepDuration: Duration.DurationInput = "200 millis") =>
  Layer.mergeAll(Users.layer, Consents.layer).pipe(Layer.provideMerge(inMemory(stepDuration)))

export const program = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const users = yield* Users.Users
  const consents = yield* Consents.Consents
  const connections = yield* Connections.Connections
  const jobs = yield* Jobs.Jobs

  const user = yield* users.createUser({ email: "ada@hooli.example", mobile: "+61410888999", firstName: "Ada" })
  yield* Console.log(`1. createUser: ${user.id}`)

  const url = yield* ConsentUi.link(user.id, { state: "signup-42" })
  yield* Console.log(`2. consent link: ${url.origin}${url.pathname}?token=<hidden>&state=signup-42`)

  // In a real app the customer's browser goes to `url`; Basiq sends it back to your redirect URL.
  const { jobIds } = yield* basiq.completeConsent({ userId: user.id, loginId: "Wentworth-Smith", password: "whislter" })
  const back = ConsentUi.parseRedirect(`https://app.example/back?jobIds=${jobIds.join(",")}&state=signup-42`)
  yield* Console.log(`3. redirect back: jobIds ${back.jobIds.join(",")}, state ${back.state}`)

  const job = yield* jobs.waitForJob(back.jobIds[0]!)
  const connectionId = Jobs.connectionIdFromJob(job)!
  const connection = yield* connections.getConnection(user.id, connectionId)
  yield* Console.log(`4. job done: connection ${connectionId} with ${connection.accounts?.data?.length ?? 0} accounts`)

  const list = yield* consents.getConsents(user.id)
  yield* Console.log(`5. consents: ${list.data.map((c) => `${c.id} ${c.status}`).join(", ")}`)

  yield* connections.purgeConnection(user.id, connectionId)
  const purged = yield* connections.getConnection(user.id, connectionId)
  yield* Console.log(`6. purged: ${purged.accounts?.data?.length ?? 0} accounts left, the connection stays`)

  yield* users.deleteUser(user.id)
  yield* Console.log("7. deleteUser: done")
  return {
    accountsBefore: connection.accounts?.data?.length ?? 0,
    accountsAfter: purged.accounts?.data?.length ?? 0,
    consents: list.data.map((c) => c.status),
    state: back.state
  }
})

if (isMain(import.meta.url)) {
  runMain(program.pipe(Effect.asVoid, Effect.provide(layer())))
}
