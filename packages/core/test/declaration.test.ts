/**
 * A sample endpoint module declared in a test file, end to end: GET with a JSON body, POST with a
 * request body (non-idempotent), DELETE with no content, and a JSON body returned with its status.
 */
import { BasiqClient, BasiqInvalidRequestError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, Schema, type Tracer } from "effect"
import * as EffectTracer from "effect/Tracer"
import { failureOf, makeFake, plain, reply, runFor } from "./utils/fake.js"

// --- the sample module ------------------------------------------------------------------------

const Widget = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  tags: Schema.optional(Schema.Array(Schema.String))
})

const Credentials = Schema.Struct({
  loginId: Schema.Redacted(Schema.NonEmptyString),
  password: Schema.Redacted(Schema.NonEmptyString),
  securityCode: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  institution: Schema.Struct({ id: Schema.NonEmptyString })
})

const Job = Schema.Struct({ type: Schema.Literal("job"), id: Schema.String })

const Widgets = Effect.map(BasiqClient.BasiqClient, (client) => ({
  getWidget: client.operation({
    name: "getWidget",
    span: "basiq.widgets.getWidget",
    method: "GET",
    path: "/users/{userId}/widgets/{widgetId}",
    idempotent: true,
    success: BasiqClient.json(Widget)
  }),
  createWidget: client.operation({
    name: "createWidget",
    span: "basiq.widgets.createWidget",
    method: "POST",
    path: "/users/{userId}/widgets",
    idempotent: false,
    body: Credentials,
    success: BasiqClient.json(Job)
  }),
  deleteWidget: client.operation({
    name: "deleteWidget",
    span: "basiq.widgets.deleteWidget",
    method: "DELETE",
    path: "/users/{userId}/widgets/{widgetId}",
    idempotent: true,
    success: BasiqClient.noContent
  }),
  refreshWidgets: client.operation({
    name: "refreshWidgets",
    span: "basiq.widgets.refreshWidgets",
    method: "POST",
    path: "/users/{userId}/widgets/refresh",
    idempotent: true,
    success: BasiqClient.jsonWithStatus(Schema.Struct({ data: Schema.Array(Job) }))
  })
}))

const credentials = {
  loginId: Redacted.make("gavinBelson"),
  password: Redacted.make("hooli2016"),
  institution: { id: "AU00000" }
}

// --- the tests --------------------------------------------------------------------------------

describe("a declared module", () => {
  it.effect("GET decodes the JSON body with the success schema", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.json(200, { id: "w1", name: "Widget", tags: ["a"], unknownField: true })
      })
      const widget = yield* Effect.flatMap(Widgets, (w) =>
        w.getWidget({ params: { userId: "u1", widgetId: "w1" } })
      ).pipe(Effect.provide(fake.layer()))
      expect(widget).toEqual({ id: "w1", name: "Widget", tags: ["a"] })
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("GET")
      expect(sent!.path).toBe("/users/u1/widgets/w1")
      expect(sent!.body).toBe("")
      expect(sent!.headers["content-type"]).toBeUndefined()
    })
  )

  it.effect("POST sends the encoded body as JSON, with Redacted fields as plain strings", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(201, { type: "job", id: "j1" }) })
      const job = yield* Effect.flatMap(Widgets, (w) =>
        w.createWidget({
          params: { userId: "u1" },
          body: { ...credentials, securityCode: Redacted.make("1234") }
        })
      ).pipe(Effect.provide(fake.layer()))
      expect(job).toEqual({ type: "job", id: "j1" })
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("POST")
      expect(sent!.path).toBe("/users/u1/widgets")
      expect(sent!.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(sent!.body)).toEqual({
        loginId: "gavinBelson",
        password: "hooli2016",
        securityCode: "1234",
        institution: { id: "AU00000" }
      })
    })
  )

  it.effect("an invalid body names the fields and sends nothing", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const [empty, nested] = yield* Effect.gen(function* () {
        const w = yield* Widgets
        const empty = yield* Effect.flip(
          w.createWidget({ params: { userId: "u1" }, body: { ...credentials, password: Redacted.make("") } })
        )
        const nested = yield* Effect.flip(
          w.createWidget({
            params: { userId: "u1" },
            body: { ...credentials, loginId: Redacted.make(""), institution: { id: "" } }
          })
        )
        return [empty, nested] as const
      }).pipe(Effect.provide(fake.layer()))
      expect(empty).toBeInstanceOf(BasiqInvalidRequestError)
      expect(plain(empty)).toMatchObject({ fields: ["password"], method: "POST", route: "/users/{userId}/widgets" })
      expect(empty.message).toContain("password")
      expect(empty.message).not.toContain("gavinBelson")
      expect([...(nested as BasiqInvalidRequestError).fields].sort()).toEqual(["institution.id", "loginId"])
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect("a non-idempotent POST is not retried after a 500 and may have been applied", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(500, "internal-server-error") })
      const exit = yield* runFor(
        Effect.flatMap(Widgets, (w) => w.createWidget({ params: { userId: "u1" }, body: credentials })).pipe(
          Effect.provide(fake.layer())
        ),
        "1 minute"
      )
      expect(plain(failureOf(exit))).toMatchObject({
        _tag: "BasiqServerError",
        outcomeUnknown: true,
        attempts: 1,
        route: "/users/{userId}/widgets"
      })
      expect(yield* fake.apiRequests).toHaveLength(1)
    })
  )

  it.effect("DELETE with noContent reads no body", () =>
    Effect.gen(function* () {
      const responses: Array<Response> = []
      const fake = yield* makeFake({
        api: (_, n) => {
          // A body that would not even decode: noContent must not read it.
          const response = new Response(n === 1 ? "not json" : null, { status: n === 1 ? 200 : 204 })
          responses.push(response)
          return reply.web(response)
        }
      })
      const results = yield* Effect.gen(function* () {
        const w = yield* Widgets
        const a = yield* w.deleteWidget({ params: { userId: "u1", widgetId: "w1" } })
        const b = yield* w.deleteWidget({ params: { userId: "u1", widgetId: "w2" } })
        return [a, b]
      }).pipe(Effect.provide(fake.layer()))
      expect(results).toEqual([undefined, undefined])
      expect(responses.map((r) => r.bodyUsed)).toEqual([false, false])
      expect((yield* fake.apiRequests).map((s) => `${s.method} ${s.path}`)).toEqual([
        "DELETE /users/u1/widgets/w1",
        "DELETE /users/u1/widgets/w2"
      ])
    })
  )

  it.effect("DELETE still maps an error status (its body is read for the envelope)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(404, "resource-not-found", { correlationId: "c9" }) })
      const error = yield* Effect.flip(
        Effect.flatMap(Widgets, (w) => w.deleteWidget({ params: { userId: "u1", widgetId: "w1" } })).pipe(
          Effect.provide(fake.layer())
        )
      )
      expect(plain(error)).toMatchObject({
        _tag: "BasiqNotFoundError",
        code: "resource-not-found",
        correlationId: "c9",
        method: "DELETE",
        route: "/users/{userId}/widgets/{widgetId}"
      })
    })
  )

  it.effect("jsonWithStatus returns the status with the body", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (_, n) => reply.json(n === 1 ? 202 : 200, { data: [{ type: "job", id: `j${n}` }] })
      })
      const results = yield* Effect.gen(function* () {
        const w = yield* Widgets
        const started = yield* w.refreshWidgets({ params: { userId: "u1" } })
        const running = yield* w.refreshWidgets({ params: { userId: "u1" } })
        return [started, running]
      }).pipe(Effect.provide(fake.layer()))
      expect(results).toEqual([
        { status: 202, body: { data: [{ type: "job", id: "j1" }] } },
        { status: 200, body: { data: [{ type: "job", id: "j2" }] } }
      ])
      expect((yield* fake.apiRequests)[0]!.path).toBe("/users/u1/widgets/refresh")
    })
  )
})

describe("spans", () => {
  const recording = Effect.map(Effect.tracer, (base) => {
    const spans: Array<Tracer.Span> = []
    const tracer = EffectTracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = base.span(name, parent, context, links, startTime, kind, options)
        spans.push(span)
        return span
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    return { spans, tracer }
  })

  it.effect("each call runs in basiq.<module>.<operation> with route, attempts and status", () =>
    Effect.gen(function* () {
      const { spans, tracer } = yield* recording
      const fake = yield* makeFake({
        api: (s, n) =>
          s.method === "GET"
            ? n === 1
              ? reply.envelope(503, "service-unavailable")
              : reply.json(200, { id: "w1", name: "W" })
            : reply.envelope(404, "resource-not-found", { correlationId: "corr-404" })
      })
      const exit = yield* runFor(
        Effect.gen(function* () {
          const w = yield* Widgets
          yield* w.getWidget({ params: { userId: "u1", widgetId: "w1" } })
          yield* Effect.flip(w.deleteWidget({ params: { userId: "u1", widgetId: "w1" } }))
        }).pipe(Effect.provide(fake.layer()), Effect.withTracer(tracer)),
        "1 minute"
      )
      expect(exit._tag).toBe("Success")
      const get = spans.find((s) => s.name === "basiq.widgets.getWidget")
      expect(get).toBeDefined()
      expect(get!.kind).toBe("client")
      expect(Object.fromEntries(get!.attributes)).toMatchObject({
        "basiq.operation": "getWidget",
        "basiq.route": "/users/{userId}/widgets/{widgetId}",
        "http.request.method": "GET",
        "basiq.attempts": 2,
        "http.response.status_code": 200
      })
      expect(get!.status._tag).toBe("Ended")

      const del = spans.find((s) => s.name === "basiq.widgets.deleteWidget")
      expect(Object.fromEntries(del!.attributes)).toMatchObject({
        "basiq.route": "/users/{userId}/widgets/{widgetId}",
        "basiq.attempts": 1,
        "http.response.status_code": 404,
        "basiq.correlation_id": "corr-404"
      })

      // The token exchange has its own span, inside the first call's.
      const token = spans.find((s) => s.name === "basiq.auth.token")
      expect(token).toBeDefined()
      // Platform HTTP spans are disabled (the operation span is the client span).
      expect(spans.map((s) => s.name).filter((n) => !n.startsWith("basiq."))).toEqual([])
    })
  )

  it.effect("a transport failure records attempts and no status", () =>
    Effect.gen(function* () {
      const { spans, tracer } = yield* recording
      const fake = yield* makeFake({ api: () => reply.network("ECONNRESET") })
      yield* runFor(
        Effect.flatMap(Widgets, (w) => w.createWidget({ params: { userId: "u1" }, body: credentials })).pipe(
          Effect.provide(fake.layer()),
          Effect.withTracer(tracer)
        ),
        Duration.zero
      )
      const span = spans.find((s) => s.name === "basiq.widgets.createWidget")
      const attributes = Object.fromEntries(span!.attributes)
      expect(attributes["basiq.attempts"]).toBe(1)
      expect(attributes["http.response.status_code"]).toBeUndefined()
    })
  )
})
