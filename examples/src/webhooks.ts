/**
 * The outcome of the v3 journey: subscribe to Basiq's events, receive a signed webhook, verify it
 * with `Webhooks.verify` (no token or API key needed), then fetch the full event. Here the
 * in-memory Basiq delivers to a handler instead of your HTTP endpoint.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/webhooks.ts`
 */
import { BasiqConnections } from "@basiq-effect/connections"
import { Events, WebhookSubscriptions, Webhooks } from "@basiq-effect/events"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Console, Effect, Layer, Queue, Redacted } from "effect"
import { isMain, runMain } from "./runMain.js"

/** What the app's webhook endpoint received (the in-memory Basiq posts here). */
export const makeInbox = Effect.map(
  Queue.unbounded<{ readonly headers: Record<string, string>; readonly body: string }>(),
  (queue) => ({
    queue,
    handler: (delivery: { readonly headers: Readonly<Record<string, string>>; readonly body: string }) =>
      Effect.as(Queue.offer(queue, { headers: { ...delivery.headers }, body: delivery.body }), { status: 200 })
  })
)

/** The example's services over the in-memory Basiq, delivering webhooks to `handler`. */
export const layer = (handler: InMemoryBasiq.WebhookHandler) =>
  Layer.mergeAll(Events.layer, WebhookSubscriptions.layer).pipe(
    Layer.provideMerge(BasiqConnections.layerWithoutHttpClient({ apiKey: "example-api-key" })),
    Layer.provideMerge(InMemoryBasiq.layer({ webhookHandler: handler, stepDuration: "200 millis" }))
  )

export const program = (inbox: Effect.Effect.Success<typeof makeInbox>) =>
  Effect.gen(function* () {
    const basiq = yield* InMemoryBasiq.InMemoryBasiq
    const subscriptions = yield* WebhookSubscriptions.WebhookSubscriptions
    const subscription = yield* subscriptions.createSubscription({
      url: "https://app.example/basiq/webhooks",
      subscribedEvents: ["user.created"]
    })
    yield* Console.log(`1. subscribed ${subscription.id} (secret kept Redacted)`)

    const user = yield* basiq.createUser({ email: "ada@hooli.example" })
    yield* Console.log(`2. a user was created: ${user.id}`)

    // Your endpoint: verify the raw body and headers before trusting anything in them.
    const delivery = yield* Queue.take(inbox.queue)
    const notification = yield* Webhooks.verify({
      secret: subscription.secret ?? Redacted.make(""),
      payload: delivery.body,
      headers: delivery.headers
    })
    yield* Console.log(`3. verified webhook: ${notification.eventTypeId} (event ${notification.eventId})`)

    // A forged delivery is refused with a reason.
    const forged = yield* Effect.flip(
      Webhooks.verify({ secret: subscription.secret ?? "", payload: `${delivery.body} `, headers: delivery.headers })
    )
    yield* Console.log(`4. a tampered body is refused: ${forged.reason}`)

    const event = yield* Webhooks.fetchEvent(notification)
    yield* Console.log(`5. fetched the event: ${event.eventType} on ${event.entity}`)
    return { eventType: event.eventType, userId: user.id, forged: forged.reason }
  })

if (isMain(import.meta.url)) {
  runMain(
    Effect.flatMap(makeInbox, (inbox) => program(inbox).pipe(Effect.asVoid, Effect.provide(layer(inbox.handler))))
  )
}
