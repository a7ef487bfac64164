/**
 * Stub `Events` and `WebhookSubscriptions` for application unit tests: give the operations the
 * test needs; any other operation dies with a defect naming it.
 *
 * ```ts
 * const TestEvents = EventsTest.layer({ getEvent: () => Effect.succeed(event) })
 * ```
 *
 * @since 0.1.0
 */
import { ConnectionsTest } from "@basiq-effect/connections"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as EventSchemas from "./EventSchemas.js"
import * as Events from "./Events.js"
import * as WebhookSubscriptions from "./WebhookSubscriptions.js"

const missing = (service: string, name: string) => (): Effect.Effect<never> =>
  Effect.dieMessage(`${service}: ${name} was called but the test layer does not implement it`)

/**
 * A stub `Events` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (partial: Partial<Events.Service>): Events.Service =>
  Events.Events.of({
    getEvents: partial.getEvents ?? missing("EventsTest", "getEvents"),
    getEvent: partial.getEvent ?? missing("EventsTest", "getEvent"),
    getEventTypes: partial.getEventTypes ?? missing("EventsTest", "getEventTypes")
  })

/**
 * A layer with a stub `Events` service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (partial: Partial<Events.Service>): Layer.Layer<Events.Events> =>
  Layer.succeed(Events.Events, make(partial))

/**
 * A stub `WebhookSubscriptions` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSubscriptions = (partial: Partial<WebhookSubscriptions.Service>): WebhookSubscriptions.Service =>
  WebhookSubscriptions.WebhookSubscriptions.of({
    createSubscription: partial.createSubscription ?? missing("WebhookSubscriptionsTest", "createSubscription"),
    getSubscriptions: partial.getSubscriptions ?? missing("WebhookSubscriptionsTest", "getSubscriptions"),
    getSubscription: partial.getSubscription ?? missing("WebhookSubscriptionsTest", "getSubscription"),
    updateSubscription: partial.updateSubscription ?? missing("WebhookSubscriptionsTest", "updateSubscription"),
    deleteSubscription: partial.deleteSubscription ?? missing("WebhookSubscriptionsTest", "deleteSubscription"),
    getMessages: partial.getMessages ?? missing("WebhookSubscriptionsTest", "getMessages"),
    getMessage: partial.getMessage ?? missing("WebhookSubscriptionsTest", "getMessage"),
    sendTestMessage: partial.sendTestMessage ?? missing("WebhookSubscriptionsTest", "sendTestMessage")
  })

/**
 * A layer with a stub `WebhookSubscriptions` service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSubscriptions = (
  partial: Partial<WebhookSubscriptions.Service>
): Layer.Layer<WebhookSubscriptions.WebhookSubscriptions> =>
  Layer.succeed(WebhookSubscriptions.WebhookSubscriptions, makeSubscriptions(partial))

const origin = "https://au-api.basiq.io"
const timestamp = "2026-01-01T00:00:00Z"
const validConnectionEvent = Schema.validateSync(Schema.typeSchema(EventSchemas.ConnectionEvent))
const validUserEvent = Schema.validateSync(Schema.typeSchema(EventSchemas.UserEvent))
const validSubscription = Schema.validateSync(Schema.typeSchema(WebhookSubscriptions.Subscription))

/**
 * Valid values for the stub layers, so tests need no casts. Each builder takes overrides for any
 * field and checks the result against the schema (an invalid override throws a `ParseError`).
 *
 * - `connectionEvent(overrides?)`: `connection.created` for `user-1`, its `data` a connection
 *   (`ConnectionsTest.fixtures.connection()`).
 * - `userEvent(overrides?)`: `user.created` with the user's snapshot.
 * - `subscription(overrides?)`: an active webhook subscription (its `secret` `Redacted`).
 *
 * @example
 * ```ts
 * import { EventsTest } from "@basiq-effect/events"
 * import { Effect } from "effect"
 *
 * const { fixtures } = EventsTest
 * export const TestEvents = EventsTest.layer({
 *   getEvents: () => Effect.succeed([fixtures.userEvent(), fixtures.connectionEvent({ eventType: "activated" })]),
 *   getEvent: (eventId) => Effect.succeed(fixtures.connectionEvent({ id: eventId }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category fixtures
 */
export const fixtures = {
  connectionEvent: (overrides: Partial<EventSchemas.ConnectionEvent> = {}): EventSchemas.ConnectionEvent => {
    const id = overrides.id ?? "event-1"
    const data = ConnectionsTest.fixtures.connection()
    return validConnectionEvent({
      _tag: "ConnectionEvent",
      type: "event",
      id,
      createdDate: timestamp,
      userId: "user-1",
      dataRef: data.links.self,
      links: { self: `${origin}/events/${id}` },
      entity: "connection",
      eventType: "created",
      data,
      ...overrides
    })
  },
  userEvent: (overrides: Partial<EventSchemas.UserEvent> = {}): EventSchemas.UserEvent => {
    const id = overrides.id ?? "event-2"
    return validUserEvent({
      _tag: "UserEvent",
      type: "event",
      id,
      createdDate: timestamp,
      userId: "user-1",
      dataRef: `${origin}/users/user-1`,
      links: { self: `${origin}/events/${id}` },
      entity: "user",
      eventType: "created",
      data: { type: "user", id: "user-1", email: "max@example.com", links: { self: `${origin}/users/user-1` } },
      ...overrides
    })
  },
  subscription: (overrides: Partial<WebhookSubscriptions.Subscription> = {}): WebhookSubscriptions.Subscription => {
    const id = overrides.id ?? "subscription-1"
    return validSubscription({
      type: "webhook",
      id,
      name: "My app",
      description: null,
      url: "https://app.example/basiq/webhooks",
      status: "active",
      secret: Redacted.make("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
      subscribedEvents: ["connection.created", "connection.invalidated"],
      links: { self: `${origin}/notifications/webhooks/${id}` },
      ...overrides
    })
  }
} as const
