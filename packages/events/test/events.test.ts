/**
 * Events and WebhookSubscriptions against core's scripted fake: the requests they send, the
 * documented answers they decode (odd ones included), the errors they map, and the inputs they
 * refuse before sending anything.
 */
import { inspect } from "node:util"
import {
  BasiqBadRequestError,
  BasiqInvalidRequestError,
  BasiqNotFoundError,
  BasiqRateLimitError,
  BasiqUnexpectedStatusError
} from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Schema } from "effect"
import { failureOf, makeFake, reply, runFor, successOf, unsafeCoerce } from "../../core/test/utils/fake.js"
import { EventSchemas, Events, WebhookSubscriptions } from "../src/index.js"

type FakeT = Effect.Effect.Success<ReturnType<typeof makeFake>>

const run = <A, E>(
  fake: FakeT,
  effect: Effect.Effect<A, E, Events.Events | WebhookSubscriptions.WebhookSubscriptions>
) =>
  runFor(
    effect.pipe(
      Effect.provide(
        Layer.mergeAll(Events.layer, WebhookSubscriptions.layer).pipe(
          Layer.provideMerge(fake.layer({ retry: { maxRetries: 1, baseDelay: "1 millis" } }))
        )
      )
    )
  )

const events = <A, E>(f: (s: Events.Service) => Effect.Effect<A, E>) => Effect.flatMap(Events.Events, f)
const subs = <A, E>(f: (s: WebhookSubscriptions.Service) => Effect.Effect<A, E>) =>
  Effect.flatMap(WebhookSubscriptions.WebhookSubscriptions, f)

const api = "https://au-api.basiq.io"
const userId = "feca3fe4-2036-4763-9459-6aaa28791021"
const connectionId = "4133413b-5225-472a-a142-1d90f0b6839e"

// Shapes of CONTRACT-V3 §5 and the v3 OpenAPI examples (values our own).
const connectionData = (status: string, institution = "AU04301") => ({
  createdDate: "2024-04-29T10:52:07Z",
  id: connectionId,
  institution: { id: institution, links: { self: `${api}/institutions/${institution}` }, type: "institution" },
  lastUsed: "2024-04-29T10:52:08Z",
  links: {
    accounts: `${api}/users/${userId}/accounts?filter=institution.id.eq('${institution}')`,
    self: `${api}/users/${userId}/connections/${connectionId}`,
    transactions: `${api}/users/${userId}/transactions?filter=institution.id.eq('${institution}')`
  },
  mfaEnabled: false,
  status,
  type: "connection"
})

const event = (id: string, entity: string, eventType: string, data: unknown, extra: object = {}) => ({
  type: "event",
  id,
  createdDate: "2024-04-29T11:07:28Z",
  entity,
  eventType,
  userId,
  dataRef: `${api}/users/${userId}/connections/${connectionId}`,
  ...(data === undefined ? {} : { data }),
  links: { self: `${api}/events/${id}` },
  ...extra
})

const invalidated = event("1f4e".padEnd(64, "a"), "connection", "invalidated", connectionData("invalid-connection"))
const updated = event("5a47".padEnd(64, "b"), "connection", "updated", connectionData("active", "AU00000"))
// The list schema's example: `data` an array of one user, `links` an array of one object.
const userCreated = {
  ...event("61723", "user", "created", [
    {
      email: "max@hooli.com",
      id: userId,
      links: { self: `${api}/users/${userId}` },
      mobile: "+614xxxxxxxx",
      type: "user"
    }
  ]),
  links: [{ self: `${api}/events/545a` }]
}
const transactionsUpdated = event("7c", "transactions", "updated", {
  connection: {
    id: connectionId,
    links: { self: `${api}/users/${userId}/connections/${connectionId}` },
    type: "connection"
  },
  count: "13",
  links: { self: `${api}/users/${userId}/transactions?filter=connection.id.eq('${connectionId}')` },
  type: "transactions"
})
const accountUpdated = event("8d", "account", "updated", { id: "acc-1", type: "account" })
const consentRevoked = event("9e", "consent", "revoked", undefined)

describe("Events.getEvents", () => {
  it.effect("GET /events without a filter decodes every documented example into its known event", () =>
    Effect.gen(function* () {
      const page = [invalidated, updated, userCreated, transactionsUpdated, accountUpdated, consentRevoked]
      const fake = yield* makeFake({
        api: () => reply.json(200, { type: "list", data: page, links: { self: `${api}/events` } })
      })
      const list = successOf(
        yield* run(
          fake,
          events((s) => s.getEvents())
        )
      )
      expect(list.map((e) => e._tag)).toEqual([
        "ConnectionEvent",
        "ConnectionEvent",
        "UserEvent",
        "TransactionsEvent",
        "AccountEvent",
        "ConsentEvent"
      ])
      const [first, , user, transactions] = list
      expect(first?._tag === "ConnectionEvent" && first.eventType).toBe("invalidated")
      expect(first?._tag === "ConnectionEvent" && first.data.status).toBe("invalid-connection")
      expect(first?._tag === "ConnectionEvent" && first.data.institution.id).toBe("AU04301")
      expect(user?._tag === "UserEvent" && user.data?.email).toBe("max@hooli.com")
      expect(user?._tag === "UserEvent" && user.links?.self).toBe(`${api}/events/545a`)
      expect(transactions?._tag === "TransactionsEvent" && transactions.data?.count).toBe("13")
      expect(EventSchemas.eventTypeId(first!)).toBe("connection.invalidated")
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("GET")
      expect(sent!.path).toBe("/events")
      expect(sent!.url.search).toBe("")
    })
  )

  it.effect("odd events become UnknownEvent with a short issue; the page never fails", () =>
    Effect.gen(function* () {
      const odd = [
        event("u1", "connection", "exploded", { id: "c" }),
        event("u2", "connection", "invalidated", { id: "c", status: "active" }),
        event("u3", "connection", "created", undefined),
        event("u4", "connection", "activated", [connectionData("active"), connectionData("active")]),
        { type: "event", id: "u5" },
        null,
        "event",
        event("u6", "user", "created", { email: "secret@example.com" }),
        invalidated
      ]
      const fake = yield* makeFake({ api: () => reply.json(200, { type: "list", data: odd }) })
      const list = successOf(
        yield* run(
          fake,
          events((s) => s.getEvents())
        )
      )
      expect(list).toHaveLength(9)
      expect(list.slice(0, 8).every((e) => e._tag === "UnknownEvent")).toBe(true)
      expect(list[8]!._tag).toBe("ConnectionEvent")
      const issues = list.map((e) => (e._tag === "UnknownEvent" ? e.issue : ""))
      expect(issues[0]).toBe("unknown event type connection.exploded")
      expect(issues[1]).toMatch(/^connection\.invalidated does not decode: missing at data\./)
      expect(issues[2]).toMatch(/connection\.created does not decode: missing at data/)
      expect(issues[4]).toBe("the event has no entity or eventType")
      expect(issues[5]).toBe("the event is not an object")
      // Issues name paths, never values.
      expect(issues.join(" ")).not.toContain("secret@example.com")
      const second = list[1]!
      expect(second._tag === "UnknownEvent" && second).toMatchObject({
        entity: "connection",
        eventType: "invalidated",
        id: "u2",
        userId,
        data: { id: "c", status: "active" }
      })
    })
  )

  it.effect("a built filter is rendered unquoted, joined with commas; a raw string is sent as is", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { type: "list", data: [] }) })
      const exit = yield* run(
        fake,
        events((s) =>
          Effect.zip(
            s.getEvents({
              filter: Events.and(
                Events.userId.eq(userId),
                Events.entity.eq("connection"),
                Events.type.eq("connection.created")
              )
            }),
            s.getEvents({ filter: "user.id.eq(u1) OR event.entity.eq(consent)" })
          )
        )
      )
      expect(successOf(exit)).toEqual([[], []])
      const sent = yield* fake.apiRequests
      expect(sent[0]!.url.searchParams.get("filter")).toBe(
        `user.id.eq(${userId}),event.entity.eq(connection),event.type.eq(connection.created)`
      )
      expect(sent[1]!.url.searchParams.get("filter")).toBe("user.id.eq(u1) OR event.entity.eq(consent)")
    })
  )

  const badFilters: ReadonlyArray<readonly [string, Events.FilterInput]> = [
    ["an empty value", Events.userId.eq("")],
    ["a value with a comma", Events.userId.eq("a,b")],
    ["a value with parentheses", Events.type.eq("x)")],
    ["a value with a space", Events.entity.eq("a OR b")],
    ["a value with a quote", Events.userId.eq("a'b")],
    ["no clauses", Events.and()],
    ["an empty raw string", "  "],
    ["an overlong raw string", "x".repeat(Events.maxFilterLength + 1)],
    ["a forged clause", unsafeCoerce({ _tag: "EventFilter", clauses: [{ property: "institution.id", value: "x" }] })]
  ]
  for (const [label, filter] of badFilters) {
    it.effect(`a filter with ${label}: BasiqInvalidRequestError naming filter, nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const error = failureOf(
          yield* run(
            fake,
            events((s) => s.getEvents({ filter }))
          )
        )
        expect(error).toBeInstanceOf(BasiqInvalidRequestError)
        expect((error as BasiqInvalidRequestError).fields).toEqual(["filter"])
        expect(String(error)).not.toContain("a OR b")
        expect(yield* fake.sent).toHaveLength(0)
      })
    )
  }

  it.effect("follows links.next across pages, and stops on a repeated link", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (_sent, n) =>
          n === 1
            ? reply.json(200, { type: "list", data: [invalidated], links: { next: `${api}/events?filter=x&page=2` } })
            : n === 2
              ? reply.json(200, { type: "list", data: [updated], links: { next: `${api}/events?filter=x&page=3` } })
              : reply.json(200, { type: "list", data: [userCreated], links: { next: `${api}/events?filter=x&page=3` } })
      })
      const list = successOf(
        yield* run(
          fake,
          events((s) => s.getEvents({ filter: "x" }))
        )
      )
      expect(list.map((e) => e.id)).toEqual([invalidated.id, updated.id, "61723"])
      const sent = yield* fake.apiRequests
      expect(sent).toHaveLength(3)
      expect(sent[1]!.url.searchParams.get("page")).toBe("2")
      expect(sent[2]!.url.searchParams.get("page")).toBe("3")
    })
  )

  it.effect("400 invalid filter is BasiqBadRequestError", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.envelope(400, "parameter-not-valid", { source: { parameter: "filter" } })
      })
      expect(
        failureOf(
          yield* run(
            fake,
            events((s) => s.getEvents({ filter: "bad" }))
          )
        )
      ).toBeInstanceOf(BasiqBadRequestError)
    })
  )
})

describe("Events.getEvent and getEventTypes", () => {
  it.effect("GET /events/{id} decodes the spec example (connection.updated, AU00000)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, updated) })
      const got = successOf(
        yield* run(
          fake,
          events((s) => s.getEvent(updated.id))
        )
      )
      expect(got._tag).toBe("ConnectionEvent")
      expect(got._tag === "ConnectionEvent" && got.data.institution.id).toBe("AU00000")
      const [sent] = yield* fake.apiRequests
      expect(sent!.path).toBe(`/events/${updated.id}`)
    })
  )

  it.effect("getEvent's documented errors: 400, 404, 429", () =>
    Effect.gen(function* () {
      const cases = [
        [reply.envelope(400, "path-parameter-not-valid"), BasiqBadRequestError],
        [reply.envelope(404, "resource-not-found"), BasiqNotFoundError],
        [reply.envelope(429, "too-many-requests"), BasiqRateLimitError]
      ] as const
      for (const [answer, errorClass] of cases) {
        const fake = yield* makeFake({ api: () => answer })
        expect(
          failureOf(
            yield* run(
              fake,
              events((s) => s.getEvent("e1"))
            )
          )
        ).toBeInstanceOf(errorClass)
      }
    })
  )

  it.effect("GET /events/types decodes the type list", () =>
    Effect.gen(function* () {
      const ids = ["account.updated", "connection.created", "consent.warning", "user.deleted"]
      const fake = yield* makeFake({
        api: () =>
          reply.json(200, {
            type: "list",
            size: ids.length,
            count: ids.length,
            data: ids.map((id) => ({
              type: "eventType",
              id,
              description: `when ${id}`,
              links: { self: `${api}/events/types/${id}` }
            })),
            links: { self: `${api}/events/types` }
          })
      })
      const types = successOf(
        yield* run(
          fake,
          events((s) => s.getEventTypes())
        )
      )
      expect(types.map((t) => t.id)).toEqual(ids)
      const [sent] = yield* fake.apiRequests
      expect(sent!.path).toBe("/events/types")
    })
  )
})

describe("EventSchemas.Event", () => {
  it("decodes through the schema and encodes back to Basiq's shape", () => {
    const decode = Schema.decodeUnknownSync(EventSchemas.Event)
    const encode = Schema.encodeSync(EventSchemas.Event)
    const known = decode(invalidated)
    expect(known._tag).toBe("ConnectionEvent")
    expect(encode(known)).toEqual(invalidated)
    const odd = decode(event("z", "widget", "spun", { a: 1 }))
    expect(odd._tag).toBe("UnknownEvent")
    expect(encode(odd)).toMatchObject({ type: "event", id: "z", entity: "widget", eventType: "spun", data: { a: 1 } })
    expect(EventSchemas.knownEventTypeIds).toContain("connection.invalidated")
  })
})

const subscriptionId = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
const created = {
  type: "webhook",
  id: subscriptionId,
  name: "General",
  description: "All events",
  url: "https://example.test/basiq/",
  status: "active",
  secret: "rfiuheo43934",
  subscribedEvents: ["user.created"],
  links: { self: `${api}/notifications/webhooks/${subscriptionId}` }
}
const { secret: _omitted, ...listed } = created
const message = {
  id: "11a85f64-5717-4562-b3fc-2c963f66af11",
  webhookId: subscriptionId,
  eventTypeId: "user.created",
  eventId: "44a8",
  payload: { eventTypeId: "user.created", eventId: "44a8", links: { event: `${api}/events/44a8` } },
  attempts: [
    {
      id: "a1",
      url: created.url,
      response: "OK",
      responseStatusCode: 200,
      timestamp: "2019-08-24T14:15:22Z",
      status: "Success"
    },
    {
      id: "a2",
      url: created.url,
      response: "",
      responseStatusCode: "500",
      timestamp: "2019-08-24T14:15:27Z",
      status: "Failed"
    }
  ],
  links: {
    self: `${api}/notifications/webhooks/${subscriptionId}/messages/11a8`,
    webhook: `${api}/notifications/webhooks/${subscriptionId}`
  }
}

describe("WebhookSubscriptions", () => {
  it.effect("createSubscription posts the body and decodes 201; the secret is Redacted and never printed", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(201, created) })
      const body = { name: "General", url: created.url, subscribedEvents: ["user.created"] }
      const subscription = successOf(
        yield* run(
          fake,
          subs((s) => s.createSubscription(body))
        )
      )
      expect(Redacted.isRedacted(subscription.secret)).toBe(true)
      expect(Redacted.value(subscription.secret!)).toBe("rfiuheo43934")
      const printed = `${String(subscription.secret)} ${JSON.stringify(subscription)} ${inspect(subscription, { depth: 5 })}`
      expect(printed).not.toContain("rfiuheo43934")
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("POST")
      expect(sent!.path).toBe("/notifications/webhooks")
      expect(JSON.parse(sent!.body)).toEqual(body)
    })
  )

  it.effect("createSubscription: 409 for an existing URL; a missing url is refused before sending", () =>
    Effect.gen(function* () {
      const conflict = yield* makeFake({ api: () => reply.envelope(409, "resource-already-exists") })
      const error = failureOf(
        yield* run(
          conflict,
          subs((s) => s.createSubscription({ url: created.url }))
        )
      )
      expect(error).toBeInstanceOf(BasiqUnexpectedStatusError)
      expect((yield* conflict.apiRequests).length).toBe(1)
      const fake = yield* makeFake()
      const refused = failureOf(
        yield* run(
          fake,
          subs((s) => s.createSubscription(unsafeCoerce({ name: "x" })))
        )
      )
      expect(refused).toBeInstanceOf(BasiqInvalidRequestError)
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect("getSubscriptions decodes a list whose data is one object and subscribedEvents a string", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () =>
          reply.json(200, {
            type: "list",
            size: 1,
            count: 1,
            data: { ...listed, type: "Webhook", subscribedEvents: "user.created" }
          })
      })
      const list = successOf(
        yield* run(
          fake,
          subs((s) => s.getSubscriptions())
        )
      )
      expect(list.data).toHaveLength(1)
      expect(list.data[0]!.subscribedEvents).toEqual(["user.created"])
      expect(list.data[0]!.secret).toBeUndefined()
      const [sent] = yield* fake.apiRequests
      expect(sent!.path).toBe("/notifications/webhooks")
    })
  )

  it.effect("get, update (POST), delete (204) route to /notifications/webhooks/{id}", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (sent) => (sent.method === "DELETE" ? reply.noBody(204) : reply.json(200, listed))
      })
      const exit = yield* run(
        fake,
        subs((s) =>
          Effect.all([
            s.getSubscription(subscriptionId),
            s.updateSubscription(subscriptionId, { url: created.url, description: "changed" }),
            s.deleteSubscription(subscriptionId)
          ])
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const sent = yield* fake.apiRequests
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /notifications/webhooks/${subscriptionId}`,
        `POST /notifications/webhooks/${subscriptionId}`,
        `DELETE /notifications/webhooks/${subscriptionId}`
      ])
      expect(JSON.parse(sent[1]!.body)).toEqual({ url: created.url, description: "changed" })
    })
  )

  it.effect("getSubscription 404 is BasiqNotFoundError; 400 is BasiqBadRequestError", () =>
    Effect.gen(function* () {
      const notFound = yield* makeFake({ api: () => reply.envelope(404, "resource-not-found") })
      expect(
        failureOf(
          yield* run(
            notFound,
            subs((s) => s.getSubscription("x"))
          )
        )
      ).toBeInstanceOf(BasiqNotFoundError)
      const bad = yield* makeFake({ api: () => reply.envelope(400, "path-parameter-not-valid") })
      expect(
        failureOf(
          yield* run(
            bad,
            subs((s) => s.deleteSubscription("x"))
          )
        )
      ).toBeInstanceOf(BasiqBadRequestError)
    })
  )

  it.effect("getMessages (with limit) and getMessage decode attempts with numeric and string status codes", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (sent) =>
          sent.path.endsWith("/messages")
            ? reply.json(200, { type: "list", size: 1, count: 1, data: [message] })
            : reply.json(200, message)
      })
      const exit = yield* run(
        fake,
        subs((s) => Effect.zip(s.getMessages(subscriptionId, { limit: 50 }), s.getMessage(subscriptionId, message.id)))
      )
      const [list, one] = successOf(exit)
      expect(list.data[0]!.payload?.eventId).toBe("44a8")
      expect(one.attempts?.map((a) => (typeof a === "string" ? a : a.responseStatusCode))).toEqual([200, "500"])
      const sent = yield* fake.apiRequests
      expect(sent[0]!.path).toBe(`/notifications/webhooks/${subscriptionId}/messages`)
      expect(sent[0]!.url.searchParams.get("limit")).toBe("50")
      expect(sent[1]!.path).toBe(`/notifications/webhooks/${subscriptionId}/messages/${message.id}`)
    })
  )

  it.effect("getMessages refuses a limit outside 1..500 before sending", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      for (const limit of [0, 501, 1.5]) {
        const error = failureOf(
          yield* run(
            fake,
            subs((s) => s.getMessages(subscriptionId, { limit }))
          )
        )
        expect(error).toBeInstanceOf(BasiqInvalidRequestError)
      }
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect(
    "sendTestMessage posts {eventTypeId, Text} to /notifications/messages/test (201); 400 no-webhooks-found",
    () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: () => reply.noBody(201) })
        const exit = yield* run(
          fake,
          subs((s) => s.sendTestMessage({ eventTypeId: "user.created", Text: "hello" }))
        )
        expect(Exit.isSuccess(exit)).toBe(true)
        const [sent] = yield* fake.apiRequests
        expect(sent!.method).toBe("POST")
        expect(sent!.path).toBe("/notifications/messages/test")
        expect(JSON.parse(sent!.body)).toEqual({ eventTypeId: "user.created", Text: "hello" })
        const none = yield* makeFake({ api: () => reply.envelope(400, "no-webhooks-found") })
        expect(
          failureOf(
            yield* run(
              none,
              subs((s) => s.sendTestMessage({ eventTypeId: "user.created" }))
            )
          )
        ).toBeInstanceOf(BasiqBadRequestError)
      })
  )
})
