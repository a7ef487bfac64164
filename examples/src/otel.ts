/**
 * Tracing with OpenTelemetry: with `@effect/opentelemetry`'s tracer installed, every Basiq call
 * is a client span `basiq.<module>.<operation>` (attributes `basiq.operation`, `basiq.route`,
 * `http.request.method`, `basiq.attempts`, `http.response.status_code`, and `basiq.correlation_id`
 * on a failure), token exchanges are `basiq.auth.token`, job polling is `basiq.jobs.waitForJob`
 * and webhook checks `basiq.webhooks.verify`. Spans never carry the API key, tokens, credentials
 * or webhook secrets. Here the spans go to an in-memory exporter and are printed; in production
 * give `NodeSdk.layer` an OTLP exporter (e.g. `@opentelemetry/exporter-trace-otlp-http`) in a
 * `BatchSpanProcessor`.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/otel.ts`
 */
import { InMemoryBasiq } from "@basiq-effect/testing"
import { NodeSdk } from "@effect/opentelemetry"
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter
} from "@opentelemetry/sdk-trace-base"
import { Basiq, Connections, ConsentUi, Jobs, Users, WebhookSubscriptions, Webhooks } from "basiq-effect"
import { Console, type Duration, Effect, Layer, Queue, Redacted, Schedule } from "effect"
import { isMain, runMain } from "./runMain.js"

/** The tracer: `@effect/opentelemetry` over the OpenTelemetry SDK, exporting to `exporter`. */
export const tracing = (exporter: SpanExporter) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "basiq-example" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))

/** The API key of this example (a secret: it must appear in no span). */
export const apiKey = "example-api-key"

/** The sandbox login this example connects with (secrets: they must appear in no span). */
export const login = { loginId: "ashMann", password: "hooli2024" } as const

/** A webhook inbox: the in-memory Basiq delivers here instead of your HTTP endpoint. */
export const makeInbox = Queue.unbounded<{ readonly headers: Record<string, string>; readonly body: string }>()

/** The example's services over the in-memory Basiq (webhooks delivered to `inbox`). */
export const layer = (
  inbox: Queue.Queue<{ readonly headers: Record<string, string>; readonly body: string }>,
  stepDuration: Duration.DurationInput = "200 millis"
) =>
  Basiq.layerWithoutHttpClient({ apiKey }).pipe(
    Layer.provideMerge(
      InMemoryBasiq.layer({
        stepDuration,
        webhookHandler: (delivery) =>
          Effect.as(Queue.offer(inbox, { headers: { ...delivery.headers }, body: delivery.body }), { status: 200 })
      })
    )
  )

/** A sign-up, traced: user, webhook subscription, consent link, connection, job, a 404, webhooks. */
export const program = (inbox: Queue.Dequeue<{ readonly headers: Record<string, string>; readonly body: string }>) =>
  Effect.gen(function* () {
    const users = yield* Users.Users
    const subscriptions = yield* WebhookSubscriptions.WebhookSubscriptions
    const connections = yield* Connections.Connections
    const jobs = yield* Jobs.Jobs

    const user = yield* users.createUser({ email: "ada@hooli.example" })
    const subscription = yield* subscriptions.createSubscription({
      url: "https://app.example/basiq/webhooks",
      subscribedEvents: ["connection.created"]
    })
    const link = yield* ConsentUi.link(user.id, { state: "otel-1" })
    const ref = yield* connections.postConnection(user.id, {
      loginId: Redacted.make(login.loginId),
      password: Redacted.make(login.password),
      institution: { id: "AU00000" }
    })
    const job = yield* jobs.waitForJob(ref.id, { schedule: Schedule.spaced("50 millis") })
    const missing = yield* Effect.flip(connections.getConnection(user.id, "no-such-connection"))

    const delivery = yield* Queue.take(inbox)
    const secret = subscription.secret ?? Redacted.make("")
    const notification = yield* Webhooks.verify({ secret, payload: delivery.body, headers: delivery.headers })
    const forged = yield* Effect.flip(
      Webhooks.verify({ secret, payload: `${delivery.body} `, headers: delivery.headers })
    )
    return {
      userId: user.id,
      jobId: job.id,
      missing: missing._tag,
      event: notification.eventTypeId,
      forged: forged.reason,
      // What the test checks no span contains (never log these).
      secrets: { clientToken: link.searchParams.get("token") ?? "", webhookSecret: Redacted.value(secret) }
    }
  }).pipe(Effect.withSpan("example.signup"))

/** One line per span: name, duration and attributes, indented under its parent. */
export const describeSpans = (spans: ReadonlyArray<ReadableSpan>): ReadonlyArray<string> => {
  const byParent = new Map<string | undefined, Array<ReadableSpan>>()
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    byParent.set(key, [...(byParent.get(key) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of byParent.get(parent) ?? []) {
      const attributes = Object.entries(span.attributes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ")
      lines.push(`${"  ".repeat(depth)}${span.name} ${attributes}`.trimEnd())
      walk(span.spanContext().spanId, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines
}

if (isMain(import.meta.url)) {
  // Read the exporter before the tracing layer closes: shutting down clears it.
  const exporter = new InMemorySpanExporter()
  runMain(
    Effect.gen(function* () {
      const inbox = yield* makeInbox
      const result = yield* program(inbox).pipe(Effect.provide(layer(inbox)))
      yield* Console.log(`job ${result.jobId} done; webhook ${result.event} verified; forged: ${result.forged}`)
      for (const line of describeSpans(exporter.getFinishedSpans())) yield* Console.log(line)
    }).pipe(Effect.provide(tracing(exporter)))
  )
}
