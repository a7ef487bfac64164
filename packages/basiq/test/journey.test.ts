/**
 * The v3 journey through `createBasiqClient` against the served fake in real time (millisecond
 * job steps, a small webhook retry scale), with a loopback webhook endpoint whose deliveries are
 * verified with `webhooks.verify`. One runtime, one token cache: a single `/token` exchange.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { BasiqNotFoundError, createBasiqClient, Jobs, WebhookVerificationError } from "basiq-effect"
import { Effect, Redacted } from "effect"

interface Received {
  readonly headers: Record<string, string>
  readonly body: string
}

/** A loopback endpoint recording what it receives. */
const endpoint = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<Received>; readonly close: () => void }>((resume) => {
    const received: Array<Received> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
        received.push({ headers, body: Buffer.concat(chunks).toString("utf8") })
        res.writeHead(204)
        res.end()
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(
        Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/basiq/webhooks`,
          received,
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

/** Polls `check` every few milliseconds until it gives a value; fails after `ms` of real time. */
const eventually = async <A>(what: string, check: () => A | undefined, ms = 5_000): Promise<A> => {
  const start = Date.now()
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe("the v3 journey through createBasiqClient (served fake, real time)", () => {
  it.scopedLive("user, link, consent, verified webhook, event, job, accounts, refresh, purge, delete", () =>
    Effect.gen(function* () {
      const hook = yield* endpoint
      const served = yield* InMemoryBasiq.serve({ stepDuration: "5 millis", webhookRetryScale: 0.001 })
      const fake = served.control
      const basiq = createBasiqClient({ apiKey: "journey-key", baseUrl: served.url, consentUiUrl: served.consentUrl })
      yield* Effect.addFinalizer(() => Effect.promise(() => basiq.dispose()))

      const subscription = yield* Effect.promise(() =>
        basiq.webhooks.subscriptions.createSubscription({
          url: hook.url,
          subscribedEvents: ["connection.created", "consent.created", "user.deleted"]
        })
      )
      expect(Redacted.isRedacted(subscription.secret)).toBe(true)
      const secret = Redacted.value(subscription.secret ?? Redacted.make(""))

      const user = yield* Effect.promise(() => basiq.users.createUser({ email: "max@hooli.example" }))
      const link = new URL(yield* Effect.promise(() => basiq.consentUi.link(user.id, { state: "s-1" })))
      expect(`${link.origin}${link.pathname}`).toBe(served.consentUrl)
      expect(link.searchParams.get("state")).toBe("s-1")
      expect(link.searchParams.get("token")).toMatch(/.+/)

      // The customer in Basiq's consent UI (the fake's control plays it).
      const { jobIds } = yield* fake.completeConsent({
        userId: user.id,
        loginId: "Wentworth-Smith",
        password: "whislter"
      })
      const redirect = basiq.consentUi.parseRedirect(`https://app.example/back?jobIds=${jobIds.join(",")}&state=s-1`)
      expect(redirect).toEqual({ jobIds, state: "s-1" })

      const delivery = yield* Effect.promise(() =>
        eventually("the connection.created webhook", () =>
          hook.received.find((r) => r.body.includes('"connection.created"'))
        )
      )
      const notification = yield* Effect.promise(() =>
        basiq.webhooks.verify(delivery.body, delivery.headers, { secret })
      )
      expect(notification.eventTypeId).toBe("connection.created")
      const tampered = yield* Effect.promise(() =>
        basiq.webhooks.verify(`${delivery.body} `, delivery.headers, { secret }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      expect(tampered).toBeInstanceOf(WebhookVerificationError)
      expect((tampered as WebhookVerificationError).reason).toBe("NoMatchingSignature")

      const event = yield* Effect.promise(() => basiq.events.getEvent(notification.eventId))
      expect([event.entity, event.eventType, event.userId]).toEqual(["connection", "created", user.id])

      const jobId = redirect.jobIds[0] ?? ""
      const steps: Array<string> = []
      const job = yield* Effect.promise(() =>
        basiq.jobs.waitForJob(jobId, {
          onProgress: (j) => {
            steps.push(j.steps.map((s) => s.status).join(","))
          }
        })
      )
      expect(job.steps.every((s) => s.status === "success")).toBe(true)
      expect(steps.length).toBeGreaterThan(0)
      const connectionId = Jobs.connectionIdFromJob(job) ?? ""
      const connection = yield* Effect.promise(() => basiq.connections.getConnection(user.id, connectionId))
      expect(connection.status).toBe("active")
      expect(connection.accounts?.data?.length).toBeGreaterThan(0)

      const refresh = yield* Effect.promise(() => basiq.connections.refreshConnection(user.id, connectionId))
      const refreshed = yield* Effect.promise(() => basiq.jobs.waitForJob(refresh.id))
      expect(refreshed.steps.at(-1)?.status).toBe("success")

      yield* Effect.promise(() => basiq.connections.purgeConnection(user.id, connectionId))
      const purged = yield* Effect.promise(() => basiq.connections.getConnection(user.id, connectionId))
      expect(purged.accounts?.data ?? []).toHaveLength(0)

      const consents = yield* Effect.promise(() => basiq.consents.getConsents(user.id))
      expect(consents.data.map((c) => c.status)).toEqual(["active"])
      const events = yield* Effect.promise(() => basiq.events.getEvents({ filter: `user.id.eq(${user.id})` }))
      expect(events.map((e) => `${e.entity}.${e.eventType}`)).toEqual(
        expect.arrayContaining(["user.created", "consent.created", "connection.created"])
      )
      const token = yield* Effect.promise(() => basiq.clientToken(user.id))
      expect(typeof token).toBe("string")

      yield* Effect.promise(() => basiq.users.deleteUser(user.id))
      const gone = yield* Effect.promise(() =>
        basiq.users.getUser(user.id).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      expect(gone).toBeInstanceOf(BasiqNotFoundError)

      // Every delivery the endpoint received verifies.
      yield* Effect.promise(() =>
        eventually("the user.deleted webhook", () => hook.received.find((r) => r.body.includes('"user.deleted"')))
      )
      for (const r of hook.received) {
        const n = yield* Effect.promise(() => basiq.webhooks.verify(r.body, r.headers, { secret }))
        expect(n.eventTypeId).toMatch(/^(connection\.created|consent\.created|user\.deleted)$/)
      }

      // One runtime, one token cache: one server-token exchange for the whole journey.
      const journal = yield* fake.journal
      const exchanges = journal.filter((e) => e.path === "/token" && JSON.stringify(e.body).includes("SERVER_ACCESS"))
      expect(exchanges).toHaveLength(1)
    })
  )
})
