/**
 * Webhook deliveries: signed (Standard Webhooks, HMAC-SHA256 over `id.timestamp.body`), sent to a
 * handler (Layer mode) or over HTTP (served), retried on Basiq's schedule on the fake's `Clock`,
 * every attempt recorded (bounded).
 *
 * @internal
 */
import { Clock, Duration, Effect, Option, Ref, type Scope } from "effect"
import type { State, WebhookRecord } from "./model.js"
import * as Model from "./model.js"
import type { WebhookDelivery, WebhookHandler } from "./types.js"

/** Basiq's schedule: the wait before each attempt (the first is immediate), after a failure. */
export const SCHEDULE_MS: ReadonlyArray<number> = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
  5 * 3600_000,
  10 * 3600_000,
  10 * 3600_000
]
/** An attempt that has no answer after this long (times the scale, at least 1 s) has failed. */
export const TIMEOUT_MS = 15_000
/** Attempts the `deliveries` control keeps. */
export const MAX_DELIVERIES = 1000
/** Messages kept per subscription (Basiq's `limit` maximum). */
export const MAX_MESSAGES = 500

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))

/** A fresh secret: `whsec_` and the base64 of 24 random bytes. */
export const newSecret = (): string => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`

/** The HMAC key: the base64 after `whsec_` (padding optional), else the secret's UTF-8 bytes. */
const keyBytes = (secret: string): Uint8Array<ArrayBuffer> => {
  if (!secret.startsWith("whsec_")) return new TextEncoder().encode(secret)
  const b64 = secret.slice("whsec_".length)
  const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. */
export const sign = (secret: string, id: string, timestamp: number, body: string) =>
  Effect.promise(async () => {
    const key = await crypto.subtle.importKey("raw", keyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign"
    ])
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`))
    return `v1,${toBase64(new Uint8Array(mac))}`
  })

/** Loopback hosts a served fake may deliver to. */
export const isLoopback = (url: URL): boolean => {
  const host = url.hostname.replace(/^\[|\]$/g, "")
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
}

interface Attempt {
  readonly id: string
  readonly url: string
  readonly response: string
  readonly responseStatusCode: number | undefined
  readonly timestamp: string
  readonly status: "Success" | "Failed"
}

interface Message {
  readonly id: string
  readonly webhookId: string
  readonly eventTypeId: string
  readonly eventId: string
  readonly payload: unknown
  readonly attempts: Array<Attempt>
}

/** The delivered body: the thin notification (`eventTypeId`, `eventId`, `links`, ...). */
export interface Payload {
  readonly eventTypeId: string
  readonly eventId: string
  readonly [key: string]: unknown
}

export interface Deliverer {
  /** Starts delivering `payload` to the subscription (a new message). */
  readonly send: (webhook: WebhookRecord, payload: Payload) => Effect.Effect<void>
  readonly messages: (webhookId: string) => Effect.Effect<ReadonlyArray<unknown>>
  readonly deliveries: Effect.Effect<ReadonlyArray<WebhookDelivery>>
  readonly forget: (webhookId: string) => Effect.Effect<void>
}

export const make = (options: {
  readonly origin: string
  readonly served: boolean
  readonly handler: WebhookHandler | undefined
  readonly scale: number
  readonly state: Ref.Ref<State>
  readonly scope: Scope.Scope
}): Deliverer => {
  const { origin, scale } = options
  const ring: Array<WebhookDelivery> = []
  let next = 0
  const store = new Map<string, Array<Message>>()
  const timeout = Duration.millis(Math.max(TIMEOUT_MS * scale, 1000))

  const record = (delivery: WebhookDelivery) => {
    if (ring.length < MAX_DELIVERIES) ring.push(delivery)
    else ring[next] = delivery
    next = (next + 1) % MAX_DELIVERIES
  }

  const post = (url: string, headers: Readonly<Record<string, string>>, body: string) =>
    options.handler !== undefined
      ? Effect.map(options.handler({ url, headers, body }), (answer) => answer.status)
      : options.served
        ? Effect.tryPromise(async (signal) => {
            const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal })
            await response.body?.cancel()
            return response.status
          })
        : Effect.fail("no webhookHandler option" as const)

  /** One attempt: `[status, error]`. */
  const attempt = (url: string, headers: Readonly<Record<string, string>>, body: string) =>
    post(url, headers, body).pipe(
      Effect.timeoutOption(timeout),
      Effect.map((status) =>
        Option.match(status, {
          onNone: () => [undefined, "timeout"] as const,
          onSome: (code) => [code, undefined] as const
        })
      ),
      Effect.catchAllCause(() => Effect.succeed([undefined, "request failed"] as const))
    )

  const deliver = (webhook: WebhookRecord, message: Message) =>
    Effect.gen(function* () {
      const body = JSON.stringify(message.payload)
      for (let i = 0; i < SCHEDULE_MS.length; i++) {
        const wait = (SCHEDULE_MS[i] ?? 0) * scale
        if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
        // A deleted subscription gets no more attempts.
        const current = (yield* Ref.get(options.state)).webhooks.get(webhook.id)
        if (current === undefined) return
        const t = yield* Clock.currentTimeMillis
        const timestamp = Math.floor(t / 1000)
        const headers = {
          "content-type": "application/json",
          "webhook-id": message.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": yield* sign(current.secret, message.id, timestamp, body)
        }
        const [status, error] = yield* attempt(current.url, headers, body)
        const ok = status !== undefined && status >= 200 && status < 300
        const at = yield* Clock.currentTimeMillis
        record({
          subscriptionId: webhook.id,
          messageId: message.id,
          eventId: message.eventId,
          eventTypeId: message.eventTypeId,
          url: current.url,
          attempt: i + 1,
          at: new Date(at).toISOString(),
          headers,
          body,
          ok,
          ...(status === undefined ? {} : { status }),
          ...(error === undefined ? {} : { error })
        })
        message.attempts.push({
          id: Model.newId(),
          url: current.url,
          response: ok ? "OK" : (error ?? `HTTP ${status}`),
          responseStatusCode: status,
          timestamp: new Date(at).toISOString(),
          status: ok ? "Success" : "Failed"
        })
        if (ok) return
      }
    })

  const messageWire = (m: Message) => {
    const webhook = `${origin}/notifications/webhooks/${m.webhookId}`
    return {
      type: "message",
      id: m.id,
      webhookId: m.webhookId,
      eventTypeId: m.eventTypeId,
      eventId: m.eventId,
      event: m.eventTypeId,
      payload: m.payload,
      attempts: [...m.attempts],
      links: { self: `${webhook}/messages/${m.id}`, event: `${origin}/events/${m.eventId}`, webhook }
    }
  }

  return {
    send: (webhook, payload) =>
      Effect.gen(function* () {
        const message: Message = {
          id: Model.newId(),
          webhookId: webhook.id,
          eventTypeId: payload.eventTypeId,
          eventId: payload.eventId,
          payload,
          attempts: []
        }
        const list = store.get(webhook.id) ?? []
        list.push(message)
        if (list.length > MAX_MESSAGES) list.shift()
        store.set(webhook.id, list)
        yield* Effect.forkIn(Effect.interruptible(deliver(webhook, message)), options.scope)
      }),
    messages: (webhookId) => Effect.sync(() => (store.get(webhookId) ?? []).map(messageWire)),
    deliveries: Effect.sync(() =>
      ring.length < MAX_DELIVERIES ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]
    ),
    forget: (webhookId) => Effect.sync(() => void store.delete(webhookId))
  }
}
