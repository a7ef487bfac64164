/**
 * The promise client of the whole v3 journey, for code that does not use Effect: one runtime,
 * one token cache, and one group per Effect service with exactly that service's method names.
 *
 * ```ts
 * import { createBasiqClient } from "basiq-effect"
 *
 * const basiq = createBasiqClient({ apiKey: process.env.BASIQ_API_KEY! })
 * const user = await basiq.users.createUser({ email: "max@hooli.example" })
 * const link = await basiq.consentUi.link(user.id, { state: "signup-42" })
 * // ... the customer consents; Basiq redirects back with the job ids ...
 * const { jobIds } = basiq.consentUi.parseRedirect(redirectUrl)
 * const job = await basiq.jobs.waitForJob(jobIds[0]!)
 * await basiq.dispose()
 * ```
 *
 * Rules (as `createConnectionsClient`): rejections are the SDK's tagged error instances
 * (`instanceof BasiqNotFoundError`, `_tag`, `status`, `code`, `correlationId`); every method takes
 * a trailing `{ signal }` (aborting rejects with `signal.reason` and cancels the request); plain
 * strings are accepted for secrets; bad options throw `BasiqConfigError` at once; a malformed
 * argument (a non-string id, a body of the wrong shape) rejects with `BasiqInvalidRequestError`
 * naming it and nothing is sent, never a `TypeError`.
 *
 * @since 0.1.0
 */

import { ConnectionsClient } from "@basiq-effect/connections"
import type { BasiqError } from "@basiq-effect/core"
import { PromiseFacade as Facade } from "@basiq-effect/core/facade"
import {
  type EventSchemas,
  Events,
  WebhookSubscriptions,
  Webhooks,
  WebhookVerificationError
} from "@basiq-effect/events"
import { type ConsentSchemas, Consents, ConsentUi, type UserSchemas, Users } from "@basiq-effect/users"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { defaultTransport } from "#transport"
import * as Basiq from "./Basiq.js"

/**
 * Options of {@link createBasiqClient}: those of `BasiqConfig.layer` with exactly one of `apiKey`
 * (server side) and `clientToken` (code that holds no API key), plus an optional transport layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Facade.ClientOptions {}

/**
 * The trailing options of every method.
 *
 * @since 0.1.0
 * @category models
 */
export type CallOptions = ConnectionsClient.CallOptions

/**
 * The `connections` group: the eight Connections operations.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionsGroup = Pick<
  ConnectionsClient.ConnectionsClient,
  | "getConnections"
  | "getConnection"
  | "postConnection"
  | "updateConnection"
  | "deleteConnection"
  | "purgeConnection"
  | "refreshConnection"
  | "refreshConnections"
>

/**
 * The `jobs` group.
 *
 * @since 0.1.0
 * @category models
 */
export type JobsGroup = Pick<ConnectionsClient.ConnectionsClient, "getJob" | "postJobMfa" | "waitForJob">

/**
 * The `users` group.
 *
 * @since 0.1.0
 * @category models
 */
export interface UsersGroup {
  readonly createUser: (body: UserSchemas.CreateUserBody, options?: CallOptions) => Promise<UserSchemas.User>
  readonly getUser: (userId: string, options?: CallOptions) => Promise<UserSchemas.User>
  readonly updateUser: (
    userId: string,
    body: UserSchemas.UpdateUserBody,
    options?: CallOptions
  ) => Promise<UserSchemas.User>
  readonly deleteUser: (userId: string, options?: CallOptions) => Promise<void>
}

/**
 * The `consents` group.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsentsGroup {
  readonly getConsents: (userId: string, options?: CallOptions) => Promise<ConsentSchemas.ConsentList>
  readonly deleteConsent: (userId: string, consentId: string, options?: CallOptions) => Promise<void>
}

/**
 * The `consentUi` group.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsentUiGroup {
  /** The consent UI link for the user (a fresh `CLIENT_ACCESS` token inside), as a string. */
  readonly link: (userId: string, options?: ConsentUi.LinkOptions & CallOptions) => Promise<string>
  /** Reads the redirect back: the job ids and `state`. Pure, never throws. */
  readonly parseRedirect: (url: string | URL) => ConsentUi.Redirect
}

/**
 * The `events` group.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventsGroup {
  readonly getEvents: (options?: Events.GetEventsOptions & CallOptions) => Promise<ReadonlyArray<EventSchemas.Event>>
  readonly getEvent: (eventId: string, options?: CallOptions) => Promise<EventSchemas.Event>
  readonly getEventTypes: (options?: CallOptions) => Promise<ReadonlyArray<EventSchemas.EventTypeInfo>>
}

/**
 * The `webhooks.subscriptions` group: the `WebhookSubscriptions` methods.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubscriptionsGroup {
  /** The created subscription's `secret` is `Redacted` (`Redacted.value` reads it; store it safely). */
  readonly createSubscription: (
    body: WebhookSubscriptions.SubscriptionBody,
    options?: CallOptions
  ) => Promise<WebhookSubscriptions.Subscription>
  readonly getSubscriptions: (options?: CallOptions) => Promise<WebhookSubscriptions.SubscriptionList>
  readonly getSubscription: (
    subscriptionId: string,
    options?: CallOptions
  ) => Promise<WebhookSubscriptions.Subscription>
  readonly updateSubscription: (
    subscriptionId: string,
    body: WebhookSubscriptions.SubscriptionBody,
    options?: CallOptions
  ) => Promise<WebhookSubscriptions.Subscription>
  readonly deleteSubscription: (subscriptionId: string, options?: CallOptions) => Promise<void>
  readonly getMessages: (
    subscriptionId: string,
    options?: WebhookSubscriptions.GetMessagesOptions & CallOptions
  ) => Promise<WebhookSubscriptions.MessageList>
  readonly getMessage: (
    subscriptionId: string,
    messageId: string,
    options?: CallOptions
  ) => Promise<WebhookSubscriptions.Message>
  readonly sendTestMessage: (body: WebhookSubscriptions.TestMessageBody, options?: CallOptions) => Promise<void>
}

/**
 * Options of `webhooks.verify`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions extends CallOptions {
  /** The subscription's secret (a plain string or `Redacted`). */
  readonly secret: Webhooks.SecretInput
  /** How far the timestamp may be from now, both ways (default 5 minutes). */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * The `webhooks` group.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhooksGroup {
  /**
   * Verifies a delivery (the raw body, unchanged, and its headers) and resolves to the decoded
   * notification; rejects with `WebhookVerificationError` (its `reason` says why; it never
   * contains the secret or the payload).
   */
  readonly verify: (
    payload: string | Uint8Array,
    headers: Webhooks.HeadersInput,
    options: VerifyOptions
  ) => Promise<Webhooks.Notification>
  readonly subscriptions: SubscriptionsGroup
}

/**
 * The promise client.
 *
 * @since 0.1.0
 * @category models
 */
export interface BasiqPromiseClient {
  readonly users: UsersGroup
  readonly consents: ConsentsGroup
  readonly consentUi: ConsentUiGroup
  readonly connections: ConnectionsGroup
  readonly jobs: JobsGroup
  readonly events: EventsGroup
  readonly webhooks: WebhooksGroup
  /** A `CLIENT_ACCESS` token for a user, as a plain string (to hand to a browser). */
  readonly clientToken: (userId: string, options?: CallOptions) => Promise<string>
  /** Releases the runtime; calls still in flight and later calls reject. */
  readonly dispose: () => Promise<void>
}

/**
 * The failures `webhooks.verify` rejects with.
 *
 * @since 0.1.0
 * @category models
 */
export type VerifyFailure = WebhookVerificationError | BasiqError.BasiqInvalidRequestError

/** The service's own options out of a method's options (never `signal`), when any is given. */
const pick = <T extends object>(
  options: (T & CallOptions) | undefined,
  keys: ReadonlyArray<keyof T>
): T | undefined => {
  if (options === undefined) return undefined
  const out: Partial<T> = {}
  for (const key of keys) if (options[key] !== undefined) out[key] = options[key]
  return out as T
}

/**
 * Creates the promise client over one runtime and one token cache. Bad options throw
 * `BasiqConfigError` at once; a malformed argument rejects with `BasiqInvalidRequestError` (or,
 * for `webhooks.verify`, `WebhookVerificationError`) and nothing is sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createBasiqClient = (options: Options): BasiqPromiseClient => {
  const { dispose, run } = Facade.makeFacadeRuntime(
    Layer.provideMerge(Basiq.services, Facade.clientLayer(options, defaultTransport))
  )
  const ids = Facade.requireStrings
  const withService = <I, S, A, E>(
    tag: Effect.Effect<S, never, I>,
    args: Readonly<Record<string, unknown>>,
    f: (service: S) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | BasiqError.BasiqInvalidRequestError, I> => Effect.zipRight(ids(args), Effect.flatMap(tag, f))

  const { clientToken, ...connectionMethods } = ConnectionsClient.methods(run)
  const { getJob, postJobMfa, waitForJob, ...connections } = connectionMethods

  const users: UsersGroup = {
    createUser: (body, opts) => run(() => Effect.flatMap(Users.Users, (s) => s.createUser(body)), opts),
    getUser: (userId, opts) => run(() => withService(Users.Users, { userId }, (s) => s.getUser(userId)), opts),
    updateUser: (userId, body, opts) =>
      run(() => withService(Users.Users, { userId }, (s) => s.updateUser(userId, body)), opts),
    deleteUser: (userId, opts) => run(() => withService(Users.Users, { userId }, (s) => s.deleteUser(userId)), opts)
  }

  const consents: ConsentsGroup = {
    getConsents: (userId, opts) =>
      run(() => withService(Consents.Consents, { userId }, (s) => s.getConsents(userId)), opts),
    deleteConsent: (userId, consentId, opts) =>
      run(() => withService(Consents.Consents, { userId, consentId }, (s) => s.deleteConsent(userId, consentId)), opts)
  }

  const consentUi: ConsentUiGroup = {
    link: (userId, opts) =>
      run(
        () =>
          Effect.zipRight(
            ids({ userId }),
            Effect.map(
              ConsentUi.link(
                userId,
                pick<ConsentUi.LinkOptions>(opts, ["action", "state", "institutionId", "connectionId"])
              ),
              (url) => url.href
            )
          ),
        opts
      ),
    parseRedirect: ConsentUi.parseRedirect
  }

  const events: EventsGroup = {
    getEvents: (opts) =>
      run(
        () => Effect.flatMap(Events.Events, (s) => s.getEvents(pick<Events.GetEventsOptions>(opts, ["filter"]))),
        opts
      ),
    getEvent: (eventId, opts) => run(() => withService(Events.Events, { eventId }, (s) => s.getEvent(eventId)), opts),
    getEventTypes: (opts) => run(() => Effect.flatMap(Events.Events, (s) => s.getEventTypes()), opts)
  }

  const Subscriptions = WebhookSubscriptions.WebhookSubscriptions
  const subscriptions: SubscriptionsGroup = {
    createSubscription: (body, opts) =>
      run(() => Effect.flatMap(Subscriptions, (s) => s.createSubscription(body)), opts),
    getSubscriptions: (opts) => run(() => Effect.flatMap(Subscriptions, (s) => s.getSubscriptions()), opts),
    getSubscription: (subscriptionId, opts) =>
      run(() => withService(Subscriptions, { subscriptionId }, (s) => s.getSubscription(subscriptionId)), opts),
    updateSubscription: (subscriptionId, body, opts) =>
      run(
        () => withService(Subscriptions, { subscriptionId }, (s) => s.updateSubscription(subscriptionId, body)),
        opts
      ),
    deleteSubscription: (subscriptionId, opts) =>
      run(() => withService(Subscriptions, { subscriptionId }, (s) => s.deleteSubscription(subscriptionId)), opts),
    getMessages: (subscriptionId, opts) =>
      run(
        () =>
          withService(Subscriptions, { subscriptionId }, (s) =>
            s.getMessages(subscriptionId, pick<WebhookSubscriptions.GetMessagesOptions>(opts, ["limit"]))
          ),
        opts
      ),
    getMessage: (subscriptionId, messageId, opts) =>
      run(
        () => withService(Subscriptions, { subscriptionId, messageId }, (s) => s.getMessage(subscriptionId, messageId)),
        opts
      ),
    sendTestMessage: (body, opts) => run(() => Effect.flatMap(Subscriptions, (s) => s.sendTestMessage(body)), opts)
  }

  const webhooks: WebhooksGroup = {
    verify: (payload, headers, opts) =>
      run(
        () =>
          opts === undefined
            ? Effect.fail(new WebhookVerificationError({ reason: "InvalidSecret" }))
            : Webhooks.verify({ payload, headers, secret: opts.secret, tolerance: opts.tolerance }),
        opts
      ),
    subscriptions
  }

  return {
    users,
    consents,
    consentUi,
    connections,
    jobs: { getJob, postJobMfa, waitForJob },
    events,
    webhooks,
    clientToken,
    dispose
  }
}
