/**
 * The app's own `Webhooks.verify` accepts every delivery the fake makes, served over HTTP in real
 * time (a loopback endpoint answering 500 first, then 200), and `Events.getEvents` reads them.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { BasiqConnections } from "@basiq-effect/connections"
import { BasiqConfig } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { Events, WebhookSubscriptions, Webhooks } from "@basiq-effect/events"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { InMemoryBasiq } from "../src/index.js"

interface Received {
  readonly headers: Record<string, string>
  readonly body: string
}

describe("webhooks from the served fake, verified by the SDK", () => {
  it.scopedLive("every delivery verifies; the first answered 500 is retried; the event is fetched", () =>
    Effect.gen(function* () {
      const received: Array<Received> = []
      const endpoint = yield* Effect.acquireRelease(
        Effect.async<{ url: string; close: () => void }>((resume) => {
          const server = createServer((req, res) => {
            let body = ""
            req.on("data", (chunk) => {
              body += chunk
            })
            req.on("end", () => {
              const headers: Record<string, string> = {}
              for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
              received.push({ headers, body })
              res.writeHead(received.length === 1 ? 500 : 200)
              res.end()
            })
          })
          server.listen(0, "127.0.0.1", () =>
            resume(
              Effect.succeed({
                url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
                close: () => {
                  server.closeAllConnections()
                  server.close()
                }
              })
            )
          )
        }),
        (e) => Effect.sync(e.close)
      )
      const served = yield* InMemoryBasiq.serve({ webhookRetryScale: 0.001 })
      const layer = Layer.mergeAll(Events.layer, WebhookSubscriptions.layer).pipe(
        Layer.provideMerge(BasiqConnections.layerFromConfig(BasiqConfig.layer({ apiKey: "k", baseUrl: served.url }))),
        Layer.provide(UndiciHttpClient.layer),
        Layer.orDie
      )
      const result = yield* Effect.gen(function* () {
        const subscriptions = yield* WebhookSubscriptions.WebhookSubscriptions
        const events = yield* Events.Events
        const subscription = yield* subscriptions.createSubscription({
          url: endpoint.url,
          subscribedEvents: ["user.created"]
        })
        const user = yield* served.control.createUser({ email: "hook@hooli.example" })
        for (let i = 0; i < 400 && received.length < 2; i++) yield* Effect.sleep("10 millis")
        expect(received.length).toBeGreaterThanOrEqual(2)
        const secret = subscription.secret ?? Redacted.make("")
        const notifications = yield* Effect.forEach(received, (r) =>
          Webhooks.verify({ secret, payload: r.body, headers: r.headers })
        )
        expect(new Set(notifications.map((n) => n.eventId)).size).toBe(1)
        const event = yield* Events.Events.pipe(Effect.flatMap((e) => e.getEvent(notifications[0]!.eventId)))
        const listed = yield* events.getEvents({ filter: Events.userId.eq(user.id) })
        return { event, listed, userId: user.id }
      }).pipe(Effect.provide(layer))
      expect(result.event.eventType).toBe("created")
      expect(result.listed.length).toBeGreaterThanOrEqual(1)
    })
  )
})
