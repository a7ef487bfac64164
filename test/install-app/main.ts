/**
 * A small outside app, type-checked with strict settings and run by `test/install.test.ts` after
 * installing the packed tarballs: the Effect style (layers over the in-memory fake), the promise
 * style (`createConnectionsClient` against `InMemoryBasiq.start()`), webhooks and the consent UI
 * redirect, and the umbrella `basiq-effect`'s promise client. Prints one JSON line with what it saw.
 */
import { BasiqConnections, BasiqNotFoundError, Connections, createConnectionsClient } from "@basiq-effect/connections"
import { Webhooks } from "@basiq-effect/events"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { ConsentUi } from "@basiq-effect/users"
import { createBasiqClient } from "basiq-effect"
import { Effect, Layer } from "effect"

/** Effect style: the service from its layer, the HTTP client answered by the in-memory fake. */
const effectStyle = Effect.gen(function* () {
  const fake = yield* InMemoryBasiq.InMemoryBasiq
  const connections = yield* Connections.Connections
  const user = yield* fake.createUser({ email: "effect@example.com" })
  yield* fake.seedConnection({ userId: user.id })
  const list = yield* connections.getConnections(user.id)
  const missing = yield* connections.getConnection(user.id, "no-such-connection").pipe(Effect.flip)
  return { connections: list.data.length, missing: missing._tag }
}).pipe(
  Effect.provide(
    BasiqConnections.layerWithoutHttpClient({ apiKey: "app-key" }).pipe(Layer.provideMerge(InMemoryBasiq.layer()))
  )
)

/** Promise style: the facade against a served fake started without Effect. */
const promiseStyle = async () => {
  const fake = await InMemoryBasiq.start({ apiKeys: ["app-key"], stepDuration: 5 })
  const basiq = createConnectionsClient({ apiKey: "app-key", baseUrl: fake.url })
  const umbrella = createBasiqClient({ apiKey: "app-key", baseUrl: fake.url })
  try {
    const user = await fake.createUser({ email: "promise@example.com" })
    const { jobIds } = await fake.completeConsent({ userId: user.id, loginId: "laurieBream", password: "business2024" })
    const jobId = jobIds[0]
    if (jobId === undefined) throw new Error("completeConsent gave no job")
    const job = await basiq.waitForJob(jobId)
    const notFound = await basiq.getConnection(user.id, "no-such-connection").then(
      () => false,
      (error: unknown) => error instanceof BasiqNotFoundError
    )
    const created = await umbrella.users.createUser({ email: "umbrella@example.com" })
    const read = await umbrella.users.getUser(created.id)
    return { steps: job.steps.map((step) => step.status), notFound, umbrellaUser: read.email }
  } finally {
    await umbrella.dispose()
    await basiq.dispose()
    await fake.close()
  }
}

/** Webhooks: what `sign` makes, `verify` accepts. */
const webhooks = Effect.gen(function* () {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  const payload = JSON.stringify({ eventTypeId: "connection.created", eventId: "e1", links: { event: "https://x/e1" } })
  const headers = yield* Webhooks.sign({ secret, id: "msg_1", timestamp: new Date(), payload })
  const notification = yield* Webhooks.verify({ secret, payload, headers })
  return notification.eventTypeId
})

const main = async () => {
  const effect = await Effect.runPromise(effectStyle)
  const promise = await promiseStyle()
  const webhook = await Effect.runPromise(webhooks)
  const redirect = ConsentUi.parseRedirect("https://app.example/back?jobIds=j1,j2&state=s")
  console.log(JSON.stringify({ effect, promise, webhook, redirect }))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
