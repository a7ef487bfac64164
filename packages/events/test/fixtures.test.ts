import { describe, expect, it } from "@effect/vitest"
import { Effect, ParseResult, Redacted, Schema } from "effect"
import { EventSchemas, Events, EventsTest, WebhookSubscriptions } from "../src/index.js"

const { fixtures } = EventsTest

describe("EventsTest.fixtures", () => {
  it("events decode from their own wire form to the same typed event", () => {
    for (const event of [
      fixtures.connectionEvent(),
      fixtures.userEvent(),
      fixtures.connectionEvent({ eventType: "invalidated" })
    ]) {
      const wire = Schema.encodeSync(EventSchemas.Event)(event)
      expect(Schema.decodeUnknownSync(EventSchemas.Event)(wire)).toEqual(event)
    }
    const event = fixtures.connectionEvent({ id: "e9" })
    expect(event._tag).toBe("ConnectionEvent")
    expect(event.links?.self).toMatch(/\/events\/e9$/)
    expect(event.data.institution.id).toBe("AU00000")
  })

  it("a subscription keeps its secret redacted and round-trips", () => {
    const subscription = fixtures.subscription({ url: "https://example.com/hook" })
    expect(subscription.secret !== undefined && Redacted.isRedacted(subscription.secret)).toBe(true)
    expect(String(subscription.secret)).not.toContain("whsec_")
    const wire = Schema.encodeSync(WebhookSubscriptions.Subscription)(subscription)
    expect(Schema.decodeUnknownSync(WebhookSubscriptions.Subscription)(wire)).toEqual(subscription)
  })

  it("an override that breaks the schema throws a ParseError", () => {
    const bad: Partial<EventSchemas.ConnectionEvent> = JSON.parse('{"eventType": "exploded"}')
    expect(() => fixtures.connectionEvent(bad)).toThrow(ParseResult.ParseError)
  })

  it.effect("stub layers return them without casts", () =>
    Effect.gen(function* () {
      const events = yield* Events.Events
      const list = yield* events.getEvents()
      expect(list.map((event) => event._tag)).toEqual(["UserEvent", "ConnectionEvent"])
      const subscriptions = yield* WebhookSubscriptions.WebhookSubscriptions
      expect((yield* subscriptions.getSubscription("s1")).id).toBe("s1")
    }).pipe(
      Effect.provide(
        EventsTest.layer({ getEvents: () => Effect.succeed([fixtures.userEvent(), fixtures.connectionEvent()]) })
      ),
      Effect.provide(
        EventsTest.layerSubscriptions({ getSubscription: (id) => Effect.succeed(fixtures.subscription({ id })) })
      )
    )
  )
})
