/**
 * Webhook subscriptions, messages and deliveries of the fake: Layer mode on `TestClock` (Basiq's
 * retry schedule exactly, signatures checked with node:crypto), served mode in real time with a
 * small scale and a loopback endpoint.
 */
import { createHmac } from "node:crypto"
import { createServer } from "node:http"
import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { List } from "./helpers.js"
import { BASE, errorOf, send, setup, token, tokenHeaders } from "./helpers.js"

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/** The expected signature, computed here independently of the fake. */
const expectedSignature = (secret: string, headers: Readonly<Record<string, string>>, body: string) =>
  `v1,${createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
    .digest("base64")}`

/** One turn of the real event loop (no clock moves). */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Lets forked fibers run for a few turns: enough for synchronous work, not for a promise on the threadpool. */
const settle = turn.pipe(Effect.repeatN(20))

/** How long (wall-clock) a condition may take to hold before the test fails instead of hanging. */
const WALL_BOUND_MS = 20_000

/**
 * Turns the event loop until `check` holds (WebCrypto signing runs on the threadpool, so a loaded
 * machine may need many turns); fails the test when it does not hold within {@link WALL_BOUND_MS}.
 */
const until = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    while (!(yield* check)) {
      if (performance.now() - start > WALL_BOUND_MS) return yield* Effect.dieMessage(`never happened: ${what}`)
      yield* turn
    }
    // Let what the condition's fiber does next (register its next sleep) run too.
    yield* settle
  })

/** The pending TestClock sleeps, as offsets from now. */
const pendingSleeps = Effect.gen(function* () {
  const now = yield* TestClock.currentTimeMillis
  return [...(yield* TestClock.sleeps())].map((at) => at - now)
})

const run = <A, E>(
  effect: Effect.Effect<A, E, InMemoryBasiq.InMemoryBasiq | HttpClient.HttpClient>,
  options: InMemoryBasiq.LayerOptions = {}
) => Effect.provide(effect, InMemoryBasiq.layer(options))

interface Subscription {
  readonly id: string
  readonly url: string
  readonly secret?: string
  readonly name?: string
  readonly subscribedEvents: ReadonlyArray<string>
}

describe("webhook deliveries (Layer mode, TestClock)", () => {
  it.effect("follows Basiq's retry schedule exactly and signs each attempt", () => {
    const received: Array<{
      readonly at: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string
    }> = []
    const handler: InMemoryBasiq.WebhookHandler = (delivery) =>
      Effect.map(TestClock.currentTimeMillis, (at) => {
        received.push({ at, headers: delivery.headers, body: delivery.body })
        return { status: received.length < 4 ? 500 : 204 }
      })
    return run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const { token: t } = yield* setup
        const created = yield* send("POST", "/notifications/webhooks", {
          token: t,
          json: { url: "https://app.example/hooks", subscribedEvents: ["user.created"] }
        })
        expect(created.status).toBe(201)
        const subscription = created.body as Subscription
        expect(subscription.secret).toBe(SECRET)
        yield* TestClock.adjust("1 minute")
        const t0 = yield* TestClock.currentTimeMillis
        const user = yield* basiq.createUser({ email: "hook@hooli.example" })
        const attempts = (n: number) =>
          until(
            `attempt ${n}`,
            Effect.sync(() => received.length >= n)
          )
        yield* attempts(1)
        expect(received.map((r) => r.at - t0)).toEqual([0])
        yield* until(
          "the wait before attempt 2",
          Effect.map(pendingSleeps, (s) => s.includes(5000))
        )
        yield* TestClock.adjust("4999 millis")
        yield* settle
        expect(received).toHaveLength(1)
        yield* TestClock.adjust("1 millis")
        yield* attempts(2)
        yield* until(
          "the wait before attempt 3",
          Effect.map(pendingSleeps, (s) => s.includes(300_000))
        )
        yield* TestClock.adjust("5 minutes")
        yield* attempts(3)
        yield* until(
          "the wait before attempt 4",
          Effect.map(pendingSleeps, (s) => s.includes(1_800_000))
        )
        yield* TestClock.adjust("30 minutes")
        yield* attempts(4)
        yield* TestClock.adjust("30 hours")
        yield* settle
        const second = 1000
        // The first token has expired by now.
        const fresh = yield* token
        expect(received.map((r) => r.at - t0)).toEqual([0, 5 * second, 305 * second, 2105 * second])
        const users = (yield* send("GET", `/events?filter=user.id.eq(${user.id})`, { token: fresh })).body as List<{
          readonly id: string
        }>
        const eventId = users.data[0]?.id
        expect(eventId).toMatch(/^[0-9a-f]{64}$/)
        for (const r of received) {
          expect(r.headers["webhook-signature"]).toBe(expectedSignature(SECRET, r.headers, r.body))
          expect(Number(r.headers["webhook-timestamp"])).toBe(Math.floor(r.at / 1000))
          expect(r.headers["webhook-id"]).toBe(received[0]?.headers["webhook-id"])
          expect(JSON.parse(r.body)).toEqual({
            eventTypeId: "user.created",
            eventId,
            links: { event: `${BASE}/events/${eventId}`, eventEntity: `${BASE}/users/${user.id}` }
          })
        }
        const deliveries = yield* basiq.deliveries
        expect(deliveries.map((d) => [d.attempt, d.status, d.ok])).toEqual([
          [1, 500, false],
          [2, 500, false],
          [3, 500, false],
          [4, 204, true]
        ])
        expect(JSON.stringify(deliveries)).not.toContain(SECRET.slice(6))
        const messages = yield* send("GET", `/notifications/webhooks/${subscription.id}/messages`, { token: fresh })
        const [message] = (
          messages.body as List<{ readonly id: string; readonly attempts: ReadonlyArray<{ readonly status: string }> }>
        ).data
        expect(message?.id).toBe(received[0]?.headers["webhook-id"])
        expect(message?.attempts.map((a) => a.status)).toEqual(["Failed", "Failed", "Failed", "Success"])
        const one = yield* send("GET", `/notifications/webhooks/${subscription.id}/messages/${message?.id}`, {
          token: fresh
        })
        expect(one.status).toBe(200)
        expect(
          (yield* send("GET", `/notifications/webhooks/${subscription.id}/messages/nope`, { token: fresh })).status
        ).toBe(404)
      }),
      { webhookSecret: SECRET, webhookHandler: handler }
    )
  })

  it.effect("scales the schedule; a handler that never answers times out; 8 attempts at most", () => {
    const times: Array<number> = []
    const handler: InMemoryBasiq.WebhookHandler = () =>
      Effect.flatMap(TestClock.currentTimeMillis, (at) => {
        times.push(at)
        return Effect.never
      })
    return run(
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const { token: t } = yield* setup
        const created = yield* send("POST", "/notifications/webhooks", {
          token: t,
          json: { url: "https://app.example/hooks", subscribedEvents: ["user.created", "user.deleted"] }
        })
        expect((created.body as Subscription).secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
        const t0 = yield* TestClock.currentTimeMillis
        yield* basiq.createUser({ email: "slow@hooli.example" })
        // Scale 0.5: timeout 7.5 s, then waits of 2.5 s, 150 s, 900 s, 1 h, 2.5 h, 5 h, 5 h.
        const waits = [0, 2_500, 150_000, 900_000, 3_600_000, 9_000_000, 18_000_000, 18_000_000]
        for (let i = 0; i < waits.length; i++) {
          yield* until(
            `attempt ${i + 1}`,
            Effect.sync(() => times.length > i)
          )
          // The attempt is in flight: only its 7.5 s timeout is pending.
          yield* until(
            `attempt ${i + 1}'s timeout`,
            Effect.map(pendingSleeps, (s) => s.includes(7_500))
          )
          yield* TestClock.adjust("7500 millis")
          const wait = waits[i + 1]
          if (wait !== undefined) {
            yield* until(
              `the wait before attempt ${i + 2}`,
              Effect.map(pendingSleeps, (s) => s.includes(wait))
            )
            yield* TestClock.adjust(wait)
          }
        }
        yield* until(
          "8 recorded attempts",
          Effect.map(basiq.deliveries, (d) => d.length === 8)
        )
        // No ninth attempt however long we wait.
        yield* TestClock.adjust("2 days")
        yield* settle
        let at = 0
        const expected = waits.map((w, i) => {
          at += w + (i === 0 ? 0 : 7_500)
          return at
        })
        expect(times.map((x) => x - t0)).toEqual(expected)
        const deliveries = yield* basiq.deliveries
        expect(deliveries).toHaveLength(8)
        expect(deliveries.every((d) => d.error === "timeout" && !d.ok)).toBe(true)
      }),
      { webhookHandler: handler, webhookRetryScale: 0.5 }
    )
  })
})

describe("subscription routes", () => {
  it.effect("create, list, get, update, delete, and Basiq's refusals", () =>
    run(
      Effect.gen(function* () {
        const { token: t } = yield* setup
        const create = (json: unknown) => send("POST", "/notifications/webhooks", { token: t, json })
        const first = yield* create({ name: "one", url: "https://a.example/h", subscribedEvents: ["user.created"] })
        expect(first.status).toBe(201)
        const a = first.body as Subscription
        expect(a).toMatchObject({ type: "webhook", status: "active", name: "one", subscribedEvents: ["user.created"] })
        expect(errorOf(yield* create({ url: "https://a.example/h", subscribedEvents: ["user.deleted"] }))?.code).toBe(
          "resource-already-exists"
        )
        const again = yield* create({ url: "https://b.example/h", subscribedEvents: ["user.created"] })
        expect([again.status, errorOf(again)?.code]).toEqual([400, "event-already-subscribed"])
        const unknown = yield* create({ url: "https://b.example/h", subscribedEvents: ["user.exploded"] })
        expect([unknown.status, errorOf(unknown)?.code]).toEqual([400, "invalid-content"])
        expect((yield* create({ url: "not a url" })).status).toBe(400)
        const b = (yield* create({ url: "https://b.example/h", subscribedEvents: ["consent.revoked"] }))
          .body as Subscription
        const list = yield* send("GET", "/notifications/webhooks", { token: t })
        const data = (list.body as List<Subscription>).data
        expect(data.map((w) => w.id)).toEqual([a.id, b.id])
        expect(data.every((w) => w.secret === undefined)).toBe(true)
        const updated = yield* send("POST", `/notifications/webhooks/${a.id}`, { token: t, json: { name: "renamed" } })
        expect([updated.status, (updated.body as Subscription).name]).toEqual([200, "renamed"])
        const got = yield* send("GET", `/notifications/webhooks/${a.id}`, { token: t })
        expect(got.body).toMatchObject({ id: a.id, name: "renamed", url: "https://a.example/h" })
        expect((yield* send("DELETE", `/notifications/webhooks/${a.id}`, { token: t })).status).toBe(204)
        expect((yield* send("GET", `/notifications/webhooks/${a.id}`, { token: t })).status).toBe(404)
        expect((yield* send("GET", "/notifications/webhooks")).status).toBe(401)
      })
    )
  )

  it.effect("test messages: 400 without subscriptions or with an unknown type, else 201 and delivered", () => {
    const bodies: Array<string> = []
    return run(
      Effect.gen(function* () {
        const { token: t } = yield* setup
        const test = (json: unknown) => send("POST", "/notifications/messages/test", { token: t, json })
        expect(errorOf(yield* test({ eventTypeId: "user.created" }))?.code).toBe("no-webhooks-found")
        yield* send("POST", "/notifications/webhooks", { token: t, json: { url: "http://127.0.0.1:9/h" } })
        expect(errorOf(yield* test({ eventTypeId: "user.exploded" }))?.code).toBe("invalid-content")
        const sent = yield* test({ eventTypeId: "connection.created", Text: "hello" })
        expect(sent.status).toBe(201)
        yield* until(
          "the test message's delivery",
          Effect.sync(() => bodies.length > 0)
        )
        expect(bodies.map((b) => JSON.parse(b))).toMatchObject([{ eventTypeId: "connection.created", Text: "hello" }])
      }),
      {
        webhookHandler: (d) =>
          Effect.sync(() => {
            bodies.push(d.body)
            return { status: 200 }
          })
      }
    )
  })
})

describe("served mode", () => {
  it.live("delivers over HTTP to a loopback endpoint, retrying a 500 on the scaled schedule", () =>
    Effect.gen(function* () {
      const hits: Array<{ readonly headers: Record<string, string>; readonly body: string }> = []
      const endpoint = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
          hits.push({ headers, body: Buffer.concat(chunks).toString("utf8") })
          res.statusCode = hits.length === 1 ? 500 : 200
          res.end()
        })
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          endpoint.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () =>
          Effect.async<void>((resume) => {
            endpoint.closeAllConnections()
            endpoint.close(() => resume(Effect.void))
          })
      )
      const address = endpoint.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const served = yield* InMemoryBasiq.serve({ webhookRetryScale: 0.001 })
      const call = (path: string, init: RequestInit) =>
        Effect.promise(async () => {
          const response = await fetch(`${served.url}${path}`, init)
          const text = await response.text()
          return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
        })
      const tokenReply = yield* call("/token", {
        method: "POST",
        headers: { ...tokenHeaders, "content-type": "application/x-www-form-urlencoded" },
        body: "scope=SERVER_ACCESS"
      })
      const t = (tokenReply.body as { readonly access_token: string }).access_token
      const post = (json: unknown) =>
        call("/notifications/webhooks", {
          method: "POST",
          headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
          body: JSON.stringify(json)
        })
      const refused = yield* post({ url: "https://example.com/hook", subscribedEvents: ["user.created"] })
      expect(refused.status).toBe(400)
      const created = yield* post({ url: `http://127.0.0.1:${port}/hook`, subscribedEvents: ["user.created"] })
      expect(created.status).toBe(201)
      const secret = (created.body as Subscription).secret ?? ""
      yield* served.control.createUser({ email: "served@hooli.example" })
      for (let i = 0; i < 500 && (yield* served.control.deliveries).length < 2; i++) yield* Effect.sleep("10 millis")
      const deliveries = yield* served.control.deliveries
      expect(deliveries.map((d) => [d.attempt, d.status, d.ok])).toEqual([
        [1, 500, false],
        [2, 200, true]
      ])
      expect(hits).toHaveLength(2)
      for (const hit of hits) {
        expect(hit.headers["webhook-signature"]).toBe(expectedSignature(secret, hit.headers, hit.body))
        expect(JSON.parse(hit.body)).toMatchObject({ eventTypeId: "user.created" })
      }
    }).pipe(Effect.scoped)
  )
})
