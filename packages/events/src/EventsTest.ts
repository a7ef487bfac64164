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
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
