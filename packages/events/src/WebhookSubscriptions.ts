/**
 * Basiq's webhook subscriptions (`/notifications/webhooks`) and their delivered messages as
 * Effects. A created subscription's `secret` is `Redacted`: pass it to `Webhooks.verify` as it is.
 *
 * @since 0.1.0
 */
import { BasiqClient, BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Webhooks from "./Webhooks.js"

// -------------------------------------------------------------------------------------------------
// schemas
// -------------------------------------------------------------------------------------------------

/**
 * A subscription's status: `active`, `pending-approval`, or any status Basiq adds later.
 *
 * @since 0.1.0
 * @category models
 */
export const Status: Schema.Schema<"active" | "pending-approval" | (string & {}), string> = Schema.Union(
  Schema.Literal("active", "pending-approval"),
  Schema.String
)

/** An array of strings, or one string (Basiq's examples show `subscribedEvents: "user.created"`). */
const StringList: Schema.Schema<ReadonlyArray<string>, string | ReadonlyArray<string>> = Schema.transform(
  Schema.Union(Schema.String, Schema.Array(Schema.String)),
  Schema.Array(Schema.String),
  { strict: true, decode: (value) => (typeof value === "string" ? [value] : value), encode: (value) => value }
)

const Links = Schema.Struct({ self: Schema.optional(Schema.String), next: Schema.optional(Schema.String) })

/**
 * A webhook subscription. `secret` (the signing secret) is `Redacted`; Basiq returns it on create
 * and omits it elsewhere.
 *
 * @since 0.1.0
 * @category models
 */
export const Subscription = Schema.Struct({
  /** `"webhook"` (once `"Webhook"` in Basiq's examples). */
  type: Schema.optional(Schema.String),
  id: Schema.optional(Schema.String),
  name: Schema.optional(Schema.NullOr(Schema.String)),
  description: Schema.optional(Schema.NullOr(Schema.String)),
  url: Schema.String,
  status: Schema.optional(Status),
  secret: Schema.optional(Schema.Redacted(Schema.String)),
  subscribedEvents: Schema.optional(StringList),
  links: Schema.optional(Links)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Subscription = typeof Subscription.Type

/** One subscription, or a list of them (the list example's `data` is a single object). */
const SubscriptionItems = Schema.transform(
  Schema.Union(Subscription, Schema.Array(Subscription)),
  Schema.typeSchema(Schema.Array(Subscription)),
  {
    strict: true,
    decode: (value) => (Array.isArray(value) ? (value as ReadonlyArray<Subscription>) : [value as Subscription]),
    encode: (value) => value
  }
)

/**
 * `GET /notifications/webhooks`.
 *
 * @since 0.1.0
 * @category models
 */
export const SubscriptionList = Schema.Struct({
  type: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  count: Schema.optional(Schema.Number),
  data: Schema.optionalWith(SubscriptionItems, { default: () => [] }),
  links: Schema.optional(Links)
})

/**
 * @since 0.1.0
 * @category models
 */
export type SubscriptionList = typeof SubscriptionList.Type

/**
 * The body of `createSubscription` and `updateSubscription`: `url` is required (a non-empty
 * string); `subscribedEvents` are event type ids such as `connection.invalidated`.
 *
 * @since 0.1.0
 * @category models
 */
export const SubscriptionBody = Schema.Struct({
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  url: Schema.NonEmptyTrimmedString,
  subscribedEvents: Schema.optional(Schema.Array(Schema.NonEmptyTrimmedString))
})

/**
 * @since 0.1.0
 * @category models
 */
export type SubscriptionBody = typeof SubscriptionBody.Type

/**
 * One delivery attempt of a message. Basiq's schema says a string; its example shows an object
 * (`responseStatusCode` both as a number and as a string).
 *
 * @since 0.1.0
 * @category models
 */
export const Attempt = Schema.Union(
  Schema.Struct({
    id: Schema.optional(Schema.String),
    url: Schema.optional(Schema.String),
    response: Schema.optional(Schema.NullOr(Schema.String)),
    responseStatusCode: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
    timestamp: Schema.optional(Schema.String),
    /** `"Success"` or `"Failed"`. */
    status: Schema.optional(Schema.String)
  }),
  Schema.String
)

/**
 * @since 0.1.0
 * @category models
 */
export type Attempt = typeof Attempt.Type

/**
 * A message: one notification sent (or being sent) to a subscription, with its attempts.
 *
 * @since 0.1.0
 * @category models
 */
export const Message = Schema.Struct({
  id: Schema.String,
  webhookId: Schema.optional(Schema.String),
  event: Schema.optional(Schema.String),
  eventTypeId: Schema.optional(Schema.String),
  eventId: Schema.optional(Schema.String),
  /** The delivered body. */
  payload: Schema.optional(Webhooks.Notification),
  attempts: Schema.optional(Schema.Array(Attempt)),
  links: Schema.optional(
    Schema.Struct({
      self: Schema.optional(Schema.String),
      event: Schema.optional(Schema.String),
      webhook: Schema.optional(Schema.String),
      next: Schema.optional(Schema.String)
    })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type Message = typeof Message.Type

/**
 * `GET /notifications/webhooks/{webhookId}/messages`.
 *
 * @since 0.1.0
 * @category models
 */
export const MessageList = Schema.Struct({
  type: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  count: Schema.optional(Schema.Number),
  data: Schema.optionalWith(Schema.Array(Message), { default: () => [] }),
  links: Schema.optional(Links)
})

/**
 * @since 0.1.0
 * @category models
 */
export type MessageList = typeof MessageList.Type

/**
 * The body of `sendTestMessage`: an event type id from `GET /events/types`, and an optional `Text`
 * Basiq replays back.
 *
 * @since 0.1.0
 * @category models
 */
export const TestMessageBody = Schema.Struct({
  eventTypeId: Schema.NonEmptyTrimmedString,
  Text: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type TestMessageBody = typeof TestMessageBody.Type

// -------------------------------------------------------------------------------------------------
// service
// -------------------------------------------------------------------------------------------------

/**
 * The error channel of operations that read a body.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/**
 * Options of `getMessages`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GetMessagesOptions {
  /** At most 500 (Basiq's default and maximum). */
  readonly limit?: number | undefined
}

/**
 * The WebhookSubscriptions service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `POST /notifications/webhooks` (201). Not idempotent. 409 when the URL is already subscribed. */
  readonly createSubscription: (body: SubscriptionBody) => Effect.Effect<Subscription, Failure>
  /** `GET /notifications/webhooks`. */
  readonly getSubscriptions: () => Effect.Effect<SubscriptionList, Failure>
  /** `GET /notifications/webhooks/{webhookId}`. */
  readonly getSubscription: (subscriptionId: string) => Effect.Effect<Subscription, Failure>
  /** `POST /notifications/webhooks/{webhookId}` (200). */
  readonly updateSubscription: (subscriptionId: string, body: SubscriptionBody) => Effect.Effect<Subscription, Failure>
  /** `DELETE /notifications/webhooks/{webhookId}` (204). */
  readonly deleteSubscription: (subscriptionId: string) => Effect.Effect<void, BasiqError.RequestFailure>
  /** `GET /notifications/webhooks/{webhookId}/messages`. */
  readonly getMessages: (subscriptionId: string, options?: GetMessagesOptions) => Effect.Effect<MessageList, Failure>
  /** `GET /notifications/webhooks/{webhookId}/messages/{messageId}`. */
  readonly getMessage: (subscriptionId: string, messageId: string) => Effect.Effect<Message, Failure>
  /** `POST /notifications/messages/test` (201, no body read). Not idempotent. */
  readonly sendTestMessage: (body: TestMessageBody) => Effect.Effect<void, BasiqError.RequestFailure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class WebhookSubscriptions extends Context.Tag("@basiq-effect/events/WebhookSubscriptions")<
  WebhookSubscriptions,
  Service
>() {}

/**
 * Builds the service on the core client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient
  const create = client.operation({
    name: "createSubscription",
    span: "basiq.webhookSubscriptions.createSubscription",
    method: "POST",
    path: "/notifications/webhooks",
    body: SubscriptionBody,
    success: BasiqClient.json(Subscription),
    idempotent: false
  })
  const list = client.operation({
    name: "getSubscriptions",
    span: "basiq.webhookSubscriptions.getSubscriptions",
    method: "GET",
    path: "/notifications/webhooks",
    success: BasiqClient.json(SubscriptionList),
    idempotent: true
  })
  const get = client.operation({
    name: "getSubscription",
    span: "basiq.webhookSubscriptions.getSubscription",
    method: "GET",
    path: "/notifications/webhooks/{webhookId}",
    success: BasiqClient.json(Subscription),
    idempotent: true
  })
  const update = client.operation({
    name: "updateSubscription",
    span: "basiq.webhookSubscriptions.updateSubscription",
    method: "POST",
    path: "/notifications/webhooks/{webhookId}",
    body: SubscriptionBody,
    success: BasiqClient.json(Subscription),
    // The same fields set twice give the same subscription.
    idempotent: true
  })
  const remove = client.operation({
    name: "deleteSubscription",
    span: "basiq.webhookSubscriptions.deleteSubscription",
    method: "DELETE",
    path: "/notifications/webhooks/{webhookId}",
    success: BasiqClient.noContent,
    idempotent: true
  })
  const messages = client.operation({
    name: "getMessages",
    span: "basiq.webhookSubscriptions.getMessages",
    method: "GET",
    path: "/notifications/webhooks/{webhookId}/messages",
    success: BasiqClient.json(MessageList),
    idempotent: true
  })
  const message = client.operation({
    name: "getMessage",
    span: "basiq.webhookSubscriptions.getMessage",
    method: "GET",
    path: "/notifications/webhooks/{webhookId}/messages/{messageId}",
    success: BasiqClient.json(Message),
    idempotent: true
  })
  const test = client.operation({
    name: "sendTestMessage",
    span: "basiq.webhookSubscriptions.sendTestMessage",
    method: "POST",
    path: "/notifications/messages/test",
    body: TestMessageBody,
    success: BasiqClient.noContent,
    idempotent: false
  })
  return WebhookSubscriptions.of({
    createSubscription: (body) => create({ params: {}, body }),
    getSubscriptions: () => list({ params: {} }),
    getSubscription: (webhookId) => get({ params: { webhookId } }),
    updateSubscription: (webhookId, body) => update({ params: { webhookId }, body }),
    deleteSubscription: (webhookId) => remove({ params: { webhookId } }),
    getMessages: (webhookId, options) => {
      const limit = options?.limit
      if (limit === undefined) return messages({ params: { webhookId } })
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        return Effect.fail(
          new BasiqError.BasiqInvalidRequestError({
            reason: "limit must be a whole number from 1 to 500",
            fields: ["limit"]
          })
        )
      }
      return messages({ params: { webhookId }, query: { limit: String(limit) } })
    },
    getMessage: (webhookId, messageId) => message({ params: { webhookId, messageId } }),
    sendTestMessage: (body) => test({ params: {}, body })
  })
})

/**
 * The WebhookSubscriptions layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<WebhookSubscriptions, never, BasiqClient.BasiqClient> = Layer.effect(
  WebhookSubscriptions,
  make
)
