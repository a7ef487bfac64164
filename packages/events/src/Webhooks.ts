/**
 * Verifying (and, for tests, signing) the webhooks Basiq delivers: Standard Webhooks, HMAC-SHA256
 * over `${webhook-id}.${webhook-timestamp}.${payload}`, one or more space-separated `v1,<base64>`
 * signatures in `webhook-signature`, a `webhook-timestamp` within a tolerance (default 5 minutes,
 * both ways) of the Effect `Clock`.
 *
 * ```ts
 * import { Webhooks } from "@basiq-effect/events"
 *
 * const notification = yield* Webhooks.verify({ secret, payload: rawBody, headers: request.headers })
 * const event = yield* Webhooks.fetchEvent(notification)
 * ```
 *
 * Verifying needs no Basiq token or API key, only the subscription's secret. It uses WebCrypto
 * (`globalThis.crypto.subtle`) only, so it runs in browsers, edge runtimes and Node. Signatures are
 * compared in constant time. Errors say which check failed, never the secret or the payload.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as EventSchemas from "./EventSchemas.js"
import * as Events from "./Events.js"

// -------------------------------------------------------------------------------------------------
// models
// -------------------------------------------------------------------------------------------------

/**
 * Why a delivery was refused:
 * - `MissingHeader`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty;
 * - `BadTimestamp`: `webhook-timestamp` is not whole seconds since the epoch;
 * - `TooOld` / `TooNew`: the timestamp is further than the tolerance in the past / future;
 * - `NoMatchingSignature`: no `v1` signature matches (forged, tampered, or another secret);
 * - `BadPayload`: the signature matches but the body is not a notification;
 * - `InvalidSecret`: the secret is empty or, with `whsec_`, not base64.
 *
 * @since 0.1.0
 * @category models
 */
export const Reason = Schema.Literal(
  "MissingHeader",
  "BadTimestamp",
  "TooOld",
  "TooNew",
  "NoMatchingSignature",
  "BadPayload",
  "InvalidSecret"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Reason = typeof Reason.Type

const describe: Record<Reason, string> = {
  MissingHeader: "a webhook header is missing",
  BadTimestamp: "webhook-timestamp is not a number of seconds",
  TooOld: "webhook-timestamp is too far in the past",
  TooNew: "webhook-timestamp is too far in the future",
  NoMatchingSignature: "no webhook-signature matches",
  BadPayload: "the payload is not a webhook notification",
  InvalidSecret: "the webhook secret is empty or not valid base64"
}

/**
 * A webhook delivery was refused. `reason` says which check failed; `header` names the missing
 * header. Never holds the secret, the signatures or the payload.
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookVerificationError extends Schema.TaggedError<WebhookVerificationError>()(
  "WebhookVerificationError",
  {
    reason: Reason,
    header: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `Webhook verification failed (${this.reason}): ${describe[this.reason]}${
      this.header === undefined ? "" : ` (${this.header})`
    }`
  }
}

/**
 * The links of a notification: `event` is the full event (`GET /events/{id}`), `eventEntity` the
 * affected resource.
 *
 * @since 0.1.0
 * @category models
 */
export const NotificationLinks = Schema.Struct({
  event: Schema.optional(Schema.String),
  eventEntity: Schema.optional(Schema.String),
  self: Schema.optional(Schema.String),
  webhook: Schema.optional(Schema.String),
  next: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type NotificationLinks = typeof NotificationLinks.Type

/**
 * The body Basiq delivers: which event happened (`eventTypeId`, e.g. `connection.invalidated`) and
 * its id; fetch the full event with `fetchEvent`.
 *
 * @since 0.1.0
 * @category models
 */
export const Notification = Schema.Struct({
  eventTypeId: Schema.String,
  eventId: Schema.String,
  links: Schema.optional(NotificationLinks)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Notification = typeof Notification.Type

/**
 * Request headers: fetch `Headers`, or a record such as Node's `IncomingHttpHeaders` (names in any
 * case; a repeated header's values are joined with a space).
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersInput = Headers | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * A webhook secret: `whsec_<base64>` (padding optional) or, as Basiq's API also shows, a secret
 * without the prefix.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretInput = string | Redacted.Redacted<string>

/**
 * Options of `verify`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  readonly secret: SecretInput
  /** The raw request body, unchanged (not re-serialised JSON). */
  readonly payload: string | Uint8Array
  readonly headers: HeadersInput
  /** How far the timestamp may be from the `Clock`, both ways (default 5 minutes). */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * Options of `sign`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignOptions {
  readonly secret: SecretInput
  /** The `webhook-id`. */
  readonly id: string
  /** A `Date`, or seconds since the epoch. */
  readonly timestamp: Date | number
  readonly payload: string | Uint8Array
}

/**
 * The default tolerance: 5 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.minutes(5)

// -------------------------------------------------------------------------------------------------
// internals
// -------------------------------------------------------------------------------------------------

const fail = (reason: Reason, header?: string): Effect.Effect<never, WebhookVerificationError> =>
  Effect.fail(new WebhookVerificationError(header === undefined ? { reason } : { reason, header }))

const encoder = new TextEncoder()

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/

/** Standard base64, padding optional; `undefined` when it is not base64. */
const decodeBase64 = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  if (!base64Pattern.test(text)) return undefined
  const core = text.replace(/=+$/, "")
  const padding = text.length - core.length
  if (core.length % 4 === 1 || (padding > 0 && (core.length + padding) % 4 !== 0)) return undefined
  let binary: string
  try {
    binary = atob(core)
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const encodeBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const prefix = "whsec_"

/**
 * The candidate keys of a secret: with `whsec_`, the base64 after it; without, its UTF-8 bytes
 * and, when it is base64, the decoded bytes too. The first key is the one `sign` uses.
 */
const keysOf = (
  secret: SecretInput
): Either.Either<ReadonlyArray<Uint8Array<ArrayBuffer>>, WebhookVerificationError> => {
  const text = (Redacted.isRedacted(secret) ? Redacted.value(secret) : secret).trim()
  const invalid = Either.left(new WebhookVerificationError({ reason: "InvalidSecret" }))
  if (text.startsWith(prefix)) {
    const key = decodeBase64(text.slice(prefix.length))
    return key === undefined || key.length === 0 ? invalid : Either.right([key])
  }
  if (text.length === 0) return invalid
  const decoded = decodeBase64(text)
  return Either.right(
    decoded === undefined || decoded.length === 0 ? [encoder.encode(text)] : [encoder.encode(text), decoded]
  )
}

const hmac = (key: Uint8Array<ArrayBuffer>, content: Uint8Array<ArrayBuffer>): Effect.Effect<Uint8Array> =>
  Effect.promise(async () => {
    const subtle = globalThis.crypto.subtle
    const cryptoKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    return new Uint8Array(await subtle.sign("HMAC", cryptoKey, content))
  })

const signedContent = (id: string, timestamp: string, payload: string | Uint8Array): Uint8Array<ArrayBuffer> => {
  const head = encoder.encode(`${id}.${timestamp}.`)
  const body = typeof payload === "string" ? encoder.encode(payload) : payload
  const out = new Uint8Array(head.length + body.length)
  out.set(head, 0)
  out.set(body, head.length)
  return out
}

/** Equal lengths and bytes, without an early exit on the first difference. */
const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const isHeaders = (headers: HeadersInput): headers is Headers =>
  Predicate.hasProperty(headers, "get") && typeof headers.get === "function"

const header = (headers: HeadersInput, name: string): string | undefined => {
  if (isHeaders(headers)) {
    const value = headers.get(name)
    return value === null || value.length === 0 ? undefined : value
  }
  const values: Array<string> = []
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue
    const value = headers[key]
    if (typeof value === "string") values.push(value)
    else if (Array.isArray(value)) {
      for (const item of value as ReadonlyArray<unknown>) if (typeof item === "string") values.push(item)
    }
  }
  const joined = values.join(" ")
  return joined.length === 0 ? undefined : joined
}

const timestampPattern = /^[0-9]{1,15}$/

const decodeNotification = Schema.decodeUnknownEither(Notification)
const utf8 = new TextDecoder("utf-8", { fatal: true })

const parsePayload = (payload: string | Uint8Array): Either.Either<Notification, WebhookVerificationError> => {
  const badPayload = Either.left(new WebhookVerificationError({ reason: "BadPayload" }))
  let json: unknown
  try {
    json = JSON.parse(typeof payload === "string" ? payload : utf8.decode(payload))
  } catch {
    return badPayload
  }
  const decoded = decodeNotification(json)
  return Either.isRight(decoded) ? Either.right(decoded.right) : badPayload
}

// -------------------------------------------------------------------------------------------------
// api
// -------------------------------------------------------------------------------------------------

/**
 * Verifies a delivery and decodes its body. Checks, in order: the three headers are present, the
 * secret is usable, the timestamp is within `tolerance` of the `Clock` (both ways), one of the
 * `v1` signatures matches (constant-time; for a secret without `whsec_`, a signature made with its
 * UTF-8 bytes or with its base64-decoded bytes), and the body is a `Notification`.
 *
 * @example
 * ```ts
 * import { Webhooks } from "@basiq-effect/events"
 * import { Effect } from "effect"
 *
 * const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
 * const payload = JSON.stringify({
 *   eventTypeId: "connection.created",
 *   eventId: "e1",
 *   links: { event: "https://au-api.basiq.io/events/e1" }
 * })
 *
 * const program = Effect.gen(function* () {
 *   // What Basiq sends; in a handler, the request's headers and raw body.
 *   const headers = yield* Webhooks.sign({ secret, id: "msg_1", timestamp: new Date(), payload })
 *   const notification = yield* Webhooks.verify({ secret, payload, headers })
 *   const forged = yield* Webhooks.verify({ secret, payload: payload.replace("e1", "e2"), headers }).pipe(Effect.flip)
 *   return [notification.eventTypeId, forged.reason]
 * })
 *
 * const [type, reason] = await Effect.runPromise(program)
 * if (type !== "connection.created" || reason !== "NoMatchingSignature") throw new Error("unexpected")
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (options: VerifyOptions): Effect.Effect<Notification, WebhookVerificationError> =>
  Effect.gen(function* () {
    // Input from JavaScript is checked before use: a typed error, never a TypeError.
    if (!Predicate.isObject(options) || !Predicate.isObject(options.headers)) {
      return yield* fail("MissingHeader", "webhook-id")
    }
    const rawSecret: unknown = options.secret
    if (
      typeof rawSecret !== "string" &&
      !(Redacted.isRedacted(rawSecret) && typeof Redacted.value(rawSecret) === "string")
    ) {
      return yield* fail("InvalidSecret")
    }
    const payload: unknown = options.payload
    if (typeof payload !== "string" && !(payload instanceof Uint8Array)) return yield* fail("BadPayload")
    const id = header(options.headers, "webhook-id")
    if (id === undefined) return yield* fail("MissingHeader", "webhook-id")
    const timestampHeader = header(options.headers, "webhook-timestamp")
    if (timestampHeader === undefined) return yield* fail("MissingHeader", "webhook-timestamp")
    const signatureHeader = header(options.headers, "webhook-signature")
    if (signatureHeader === undefined) return yield* fail("MissingHeader", "webhook-signature")
    const keys = keysOf(options.secret)
    if (Either.isLeft(keys)) return yield* Effect.fail(keys.left)
    const timestamp = timestampHeader.trim()
    if (!timestampPattern.test(timestamp)) return yield* fail("BadTimestamp")
    const now = yield* Clock.currentTimeMillis
    const tolerance = Duration.toMillis(options.tolerance ?? defaultTolerance)
    const at = Number(timestamp) * 1000
    if (now - at > tolerance) return yield* fail("TooOld")
    if (at - now > tolerance) return yield* fail("TooNew")
    const signatures: Array<Uint8Array> = []
    for (const entry of signatureHeader.split(/\s+/)) {
      if (!entry.startsWith("v1,")) continue
      const bytes = decodeBase64(entry.slice(3))
      if (bytes !== undefined) signatures.push(bytes)
    }
    const content = signedContent(id, timestamp, options.payload)
    let matched = false
    for (const key of keys.right) {
      const expected = yield* hmac(key, content)
      for (const signature of signatures) matched = constantTimeEqual(expected, signature) || matched
    }
    if (!matched) return yield* fail("NoMatchingSignature")
    const notification = parsePayload(options.payload)
    return Either.isLeft(notification) ? yield* Effect.fail(notification.left) : notification.right
  }).pipe(Effect.withSpan("basiq.webhooks.verify", { captureStackTrace: false }))

/**
 * Signs a payload as Basiq does and returns the three headers (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), for tests and for a fake. A `whsec_` secret signs with its base64-decoded
 * bytes, any other secret with its UTF-8 bytes. Fails with `InvalidSecret` for an unusable secret.
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (options: SignOptions): Effect.Effect<Readonly<Record<string, string>>, WebhookVerificationError> =>
  Effect.gen(function* () {
    const keys = keysOf(options.secret)
    if (Either.isLeft(keys)) return yield* Effect.fail(keys.left)
    const timestamp = String(
      options.timestamp instanceof Date ? Math.floor(options.timestamp.getTime() / 1000) : Math.floor(options.timestamp)
    )
    const digest = yield* hmac(keys.right[0]!, signedContent(options.id, timestamp, options.payload))
    return {
      "webhook-id": options.id,
      "webhook-timestamp": timestamp,
      "webhook-signature": `v1,${encodeBase64(digest)}`
    }
  })

/**
 * Fetches the full event a notification announces (`Events.getEvent(notification.eventId)`).
 *
 * @since 0.1.0
 * @category events
 */
export const fetchEvent = (
  notification: Notification
): Effect.Effect<EventSchemas.Event, Events.Failure, Events.Events> =>
  Effect.flatMap(Events.Events, (events) => events.getEvent(notification.eventId))
