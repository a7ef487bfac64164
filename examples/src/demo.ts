/**
 * The main demo (`pnpm start`): Basiq's v3 journey, step by step.
 *
 * Without `BASIQ_API_KEY` it plays the whole journey against the embedded in-memory Basiq: your
 * app subscribes to webhooks, creates a Basiq user, builds the consent link, the customer
 * consents with a sandbox login (the fake plays the consent UI), your endpoint receives a signed
 * webhook and verifies it, fetches the event, waits for the job, reads the connection and its
 * accounts, refreshes it, purges its data and deletes the user.
 *
 * With `BASIQ_API_KEY` (and optionally `BASIQ_BASE_URL`) it runs only what is safe on a real
 * account: create a user, build a consent link, list the user's connections and your events,
 * delete that user.
 */
import { InMemoryBasiq } from "@basiq-effect/testing"
import {
  Basiq,
  BasiqConfig,
  type ConnectionSchemas,
  Connections,
  ConsentUi,
  Events,
  type JobSchemas,
  Jobs,
  Users,
  WebhookSubscriptions,
  Webhooks
} from "basiq-effect"
import { Console, type Duration, Effect, Layer, Queue, Redacted, Schedule } from "effect"
import { isMain, runMain } from "./runMain.js"

const say = (n: number | string, title: string, detail?: string) =>
  Console.log(`\n${n}. ${title}${detail === undefined ? "" : `\n   ${detail}`}`)
const detail = (line: string) => Console.log(`   ${line}`)

const stepIcon = (status: string): string =>
  status === "success" ? "✔" : status === "failed" ? "✘" : status === "in-progress" ? "…" : "·"
const printJob = (job: JobSchemas.Job): Effect.Effect<void> =>
  detail(`job ${job.id.slice(0, 8)}: ${job.steps.map((s) => `${stepIcon(s.status)} ${s.title}`).join("   ")}`)
const printAccounts = (connection: ConnectionSchemas.Connection) =>
  Effect.forEach(connection.accounts?.data ?? [], (a) =>
    detail(`${a.name.padEnd(24)} ${a.accountNo.padEnd(20)} balance ${(a.balance ?? "—").padStart(10)}`)
  )

/** Poll often so each step of the job shows (Basiq's default wait polls every 1-5 s). */
const poll = Schedule.spaced("100 millis")

/** A webhook as your endpoint receives it: the raw body and the headers. */
export interface Delivery {
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Your app's webhook endpoint: the fake posts its signed deliveries here (an HTTP server in production). */
export const makeInbox = Effect.map(Queue.unbounded<Delivery>(), (queue) => ({
  queue,
  handler: (delivery: Delivery) => Effect.as(Queue.offer(queue, delivery), { status: 204 })
}))

/** Every Basiq service over the embedded in-memory Basiq, delivering webhooks to `handler`. */
export const layer = (handler: InMemoryBasiq.WebhookHandler, stepDuration: Duration.DurationInput = "300 millis") =>
  Basiq.layerWithoutHttpClient({ apiKey: "demo-api-key" }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer({ stepDuration, webhookHandler: handler }))
  )

/** The whole v3 journey on the in-memory Basiq; returns what a test checks. */
export const journey = (inbox: Effect.Effect.Success<typeof makeInbox>) =>
  Effect.gen(function* () {
    const fake = yield* InMemoryBasiq.InMemoryBasiq
    const users = yield* Users.Users
    const connections = yield* Connections.Connections
    const jobs = yield* Jobs.Jobs
    const subscriptions = yield* WebhookSubscriptions.WebhookSubscriptions

    yield* Console.log("Basiq's v3 journey against the embedded in-memory Basiq (set BASIQ_API_KEY for the real one).")
    yield* say(
      0,
      "Your app subscribes to Basiq's events (once, at setup)",
      "Basiq will POST signed notifications to your endpoint; keep the secret it returns."
    )
    const subscription = yield* subscriptions.createSubscription({
      url: "https://app.example/basiq/webhooks",
      subscribedEvents: ["connection.created", "consent.created"]
    })
    const secret = subscription.secret ?? Redacted.make("")
    yield* detail(`subscription ${subscription.id} (secret ${String(secret)})`)

    yield* say(
      1,
      "Create a Basiq user for your customer",
      "The SDK exchanges your API key for a token on this first call."
    )
    const user = yield* users.createUser({ email: "ada@hooli.example", mobile: "+61410888999", firstName: "Ada" })
    yield* detail(`user ${user.id}`)

    yield* say(
      2,
      "Build the consent link",
      "Send the customer there: Basiq's consent UI, with a token bound to this user."
    )
    const link = yield* ConsentUi.link(user.id, { state: "signup-42" })
    yield* detail(`${link.origin}${link.pathname}?token=<hidden>&state=${link.searchParams.get("state")}`)

    yield* say(
      3,
      "The customer consents and logs in to their bank",
      "Here with Hooli's sandbox login; Basiq then redirects back to your app with the job ids."
    )
    const { jobIds } = yield* fake.completeConsent({
      userId: user.id,
      loginId: "Wentworth-Smith",
      password: "whislter"
    })
    const redirect = ConsentUi.parseRedirect(
      `https://app.example/basiq/done?jobIds=${jobIds.join(",")}&state=signup-42`
    )
    yield* detail(`redirect back: jobIds ${redirect.jobIds.join(", ")}, state ${redirect.state}`)

    yield* say(
      4,
      "Your webhook endpoint receives a notification and verifies it",
      "Never trust a body before verifying."
    )
    let notification: Webhooks.Notification | undefined
    while (notification?.eventTypeId !== "connection.created") {
      const delivery = yield* Queue.take(inbox.queue)
      notification = yield* Webhooks.verify({ secret, payload: delivery.body, headers: delivery.headers })
      yield* detail(`verified ${notification.eventTypeId} (event ${notification.eventId.slice(0, 12)}…)`)
    }

    yield* say(5, "Fetch the event it announces")
    const event = yield* Webhooks.fetchEvent(notification)
    yield* detail(`${event.eventType} on ${event.entity} for user ${event.userId}`)

    yield* say(6, "Wait for the job: verify the login, then retrieve accounts and transactions")
    const jobId = redirect.jobIds[0]
    if (jobId === undefined) return yield* Effect.dieMessage("the redirect carried no job id")
    const job = yield* jobs.waitForJob(jobId, { schedule: poll, onProgress: printJob })
    const connectionId = Jobs.connectionIdFromJob(job)
    if (connectionId === undefined) return yield* Effect.dieMessage("the finished job names no connection")

    yield* say(7, "Read the connection and its accounts")
    const connection = yield* connections.getConnection(user.id, connectionId)
    yield* detail(`connection ${connectionId} at ${connection.institution.id}, status ${connection.status}`)
    yield* printAccounts(connection)

    yield* say(8, "Refresh it (new transactions) and wait for that job")
    const refresh = yield* connections.refreshConnection(user.id, connectionId)
    yield* jobs.waitForJob(refresh.id, { schedule: poll, onProgress: printJob })

    yield* say(9, "Purge its data", "Accounts and transactions go; the connection stays.")
    yield* connections.purgeConnection(user.id, connectionId)
    const purged = yield* connections.getConnection(user.id, connectionId)
    yield* detail(`${purged.accounts?.data?.length ?? 0} accounts left`)

    yield* say(10, "Delete the user", "Basiq deletes the user's connections and data with it.")
    yield* users.deleteUser(user.id)
    yield* detail("done")
    yield* Console.log("\nThat is the whole journey. Next: README.md, examples/src/*.ts")
    return {
      verified: notification.eventTypeId,
      event: `${event.entity}.${event.eventType}`,
      state: redirect.state,
      accountsBefore: connection.accounts?.data?.length ?? 0,
      accountsAfter: purged.accounts?.data?.length ?? 0
    }
  })

/** What is safe on a real account: a user, a consent link, reads, and deleting that user. */
export const real = Effect.gen(function* () {
  const { baseUrl } = yield* BasiqConfig.BasiqConfig
  const users = yield* Users.Users
  const connections = yield* Connections.Connections
  const events = yield* Events.Events
  yield* Console.log(`Running against the Basiq API at ${baseUrl} (only safe steps: nothing is connected).`)
  yield* say(1, "Create a Basiq user")
  const user = yield* users.createUser({ email: `basiq-effect-demo+${Date.now()}@example.com` })
  yield* detail(`user ${user.id}`)
  yield* Effect.gen(function* () {
    yield* say(2, "Build the consent link (open it to try the consent UI)")
    const link = yield* ConsentUi.link(user.id, { state: "demo" })
    yield* detail(`${link.origin}${link.pathname}?token=<hidden>&state=demo`)
    yield* say(3, "List the user's connections")
    const list = yield* connections.getConnections(user.id)
    yield* detail(`${list.data?.length ?? 0} connection(s)`)
    yield* say(4, "List this user's events")
    const userEvents = yield* events.getEvents({ filter: Events.userId.eq(user.id) })
    yield* detail(`${userEvents.length} event(s): ${userEvents.map((e) => `${e.entity}.${e.eventType}`).join(", ")}`)
  }).pipe(
    // The user is deleted even when a step in between fails.
    Effect.ensuring(
      say(5, "Delete that user").pipe(
        Effect.zipRight(users.deleteUser(user.id)),
        Effect.zipRight(detail("done")),
        Effect.orElse(() => detail(`could not delete user ${user.id}: delete it in the dashboard`))
      )
    )
  )
})

if (isMain(import.meta.url)) {
  const apiKey = process.env.BASIQ_API_KEY
  runMain(
    apiKey === undefined || apiKey === ""
      ? Effect.flatMap(makeInbox, (inbox) => journey(inbox).pipe(Effect.provide(layer(inbox.handler)))).pipe(
          Effect.asVoid
        )
      : real.pipe(Effect.provide(Basiq.layer({ apiKey, baseUrl: process.env.BASIQ_BASE_URL })))
  )
}
