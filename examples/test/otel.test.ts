import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { BasiqAuth } from "basiq-effect"
import { Effect, Fiber, Redacted, TestClock } from "effect"
import * as Otel from "../src/otel.js"

/** Everything a span exposes: name, attributes, events (with theirs), status, links. */
const exposed = (span: ReadableSpan) =>
  JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    status: span.status,
    links: span.links.map((l) => l.attributes),
    resource: span.resource.attributes
  })

/** The example on virtual time, with its spans (read before the tracing layer closes). */
const run = Effect.gen(function* () {
  const exporter = new InMemorySpanExporter()
  return yield* Effect.gen(function* () {
    const inbox = yield* Otel.makeInbox
    const fiber = yield* Effect.fork(
      Effect.gen(function* () {
        const result = yield* Otel.program(inbox)
        const auth = yield* BasiqAuth.BasiqAuth
        return { ...result, serverToken: Redacted.value(yield* auth.token) }
      }).pipe(Effect.provide(Otel.layer(inbox)))
    )
    yield* TestClock.adjust("1 minute")
    const result = yield* Fiber.join(fiber)
    return { result, spans: exporter.getFinishedSpans() }
  }).pipe(Effect.provide(Otel.tracing(exporter)))
})

const SPAN_KIND_CLIENT = 2
const STATUS_ERROR = 2

describe("otel example", () => {
  it.effect("every Basiq call is a basiq.* span with its attributes, under the caller's span", () =>
    Effect.gen(function* () {
      const { result, spans } = yield* run
      const byName = (name: string) => spans.filter((s) => s.name === name)
      const one = (name: string) => {
        const found = byName(name)
        expect(found, name).toHaveLength(1)
        return found[0]!
      }

      const root = one("example.signup")
      const names = new Set(spans.map((s) => s.name))
      expect([...names].sort()).toEqual([
        "basiq.auth.token",
        "basiq.connections.getConnection",
        "basiq.connections.postConnection",
        "basiq.jobs.getJob",
        "basiq.jobs.waitForJob",
        "basiq.users.createUser",
        "basiq.webhookSubscriptions.createSubscription",
        "basiq.webhooks.verify",
        "example.signup"
      ])
      // One trace, rooted at the caller's span.
      for (const span of spans) expect(span.spanContext().traceId).toBe(root.spanContext().traceId)

      const createUser = one("basiq.users.createUser")
      expect(createUser.kind).toBe(SPAN_KIND_CLIENT)
      expect(createUser.parentSpanContext?.spanId).toBe(root.spanContext().spanId)
      expect(createUser.attributes).toEqual({
        "basiq.operation": "createUser",
        "basiq.route": "/users",
        "http.request.method": "POST",
        "basiq.attempts": 1,
        "http.response.status_code": 201
      })
      expect(one("basiq.connections.postConnection").attributes).toMatchObject({
        "basiq.route": "/users/{userId}/connections",
        "http.request.method": "POST",
        "http.response.status_code": 202
      })

      // The job poll: its id on the span, each poll a child getJob span.
      const wait = one("basiq.jobs.waitForJob")
      expect(wait.attributes).toEqual({ "basiq.job_id": result.jobId })
      const polls = byName("basiq.jobs.getJob")
      expect(polls.length).toBeGreaterThan(0)
      for (const poll of polls) {
        expect(poll.parentSpanContext?.spanId).toBe(wait.spanContext().spanId)
        expect(poll.attributes).toMatchObject({ "basiq.route": "/jobs/{jobId}", "http.response.status_code": 200 })
      }

      // A failure: the status, Basiq's correlation id, and an error status on the span.
      const missing = one("basiq.connections.getConnection")
      expect(result.missing).toBe("BasiqNotFoundError")
      expect(missing.attributes).toMatchObject({
        "basiq.route": "/users/{userId}/connections/{connectionId}",
        "http.response.status_code": 404,
        "basiq.attempts": 1
      })
      expect(missing.attributes["basiq.correlation_id"]).toMatch(/\S/)
      expect(missing.status.code).toBe(STATUS_ERROR)

      // Two token exchanges: the server token and the user's client token (for the consent link).
      expect(byName("basiq.auth.token")).toHaveLength(2)
      // Webhook checks: the genuine one and the forged one (an error).
      const verifies = byName("basiq.webhooks.verify")
      expect(verifies.map((s) => s.status.code === STATUS_ERROR).sort()).toEqual([false, true])
      expect(result.event).toBe("connection.created")
      expect(result.forged).toBe("NoMatchingSignature")
    })
  )

  it.effect("no span carries a secret: API key, server or client token, login id, password, webhook secret", () =>
    Effect.gen(function* () {
      const { result, spans } = yield* run
      const secrets = {
        apiKey: Otel.apiKey,
        serverToken: result.serverToken,
        clientToken: result.secrets.clientToken,
        loginId: Otel.login.loginId,
        password: Otel.login.password,
        webhookSecret: result.secrets.webhookSecret,
        // the webhook secret's key bytes as base64 without the prefix
        webhookKey: result.secrets.webhookSecret.replace(/^whsec_/, "")
      }
      for (const [name, value] of Object.entries(secrets)) expect(value.length, name).toBeGreaterThan(5)
      expect(spans.length).toBeGreaterThan(10)
      for (const span of spans) {
        const text = exposed(span)
        for (const [name, value] of Object.entries(secrets)) {
          expect(text.includes(value), `${name} in span ${span.name}`).toBe(false)
        }
      }
      // The failures' spans carry their errors (so the check above saw them), without secrets.
      const failed = spans.filter((s) => s.status.code === STATUS_ERROR)
      expect(failed.length).toBeGreaterThanOrEqual(2)
      expect(failed.some((s) => s.events.length > 0 || (s.status.message ?? "") !== "")).toBe(true)
    })
  )
})
