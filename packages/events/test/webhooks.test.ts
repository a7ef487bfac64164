/**
 * Webhooks.verify / sign: CONTRACT-V3's computed vector, agreement with the independent
 * `standardwebhooks` implementation in both directions, every refusal with its reason, property
 * tests over random payloads, and errors that never hold the secret or the payload.
 */
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted, TestClock, TestContext } from "effect"
import fc from "fast-check"
import { Webhook } from "standardwebhooks"
import { afterEach, vi } from "vitest"
import { EventsTest, Webhooks, WebhookVerificationError } from "../src/index.js"

// CONTRACT-V3 §6: the doc's unpadded whsec_ secret, a fixed id and timestamp, the example body as
// compact JSON, and the signature computed independently (Node and Python).
const docSecret = "whsec_MA4V6bD7rB0Hcm2aw8ghgDeQ5UAak24DwnX0rX6"
const docId = "11a85f64-5717-4562-b3fc-2c963f66af11"
const docTimestamp = 1_700_000_000
const docBody = JSON.stringify({
  eventTypeId: "user.created",
  eventId: "44a85f64-5717-4562-b3fc-2c963f66af44",
  links: {
    event: "https://au-api.basiq.io/events/44a85f64-5717-4562-b3fc-2c963f66af44",
    eventEntity: "https://au-api.basiq.io/users/88a85f64-5717-4562-b3fc-2c963f66af88"
  }
})
const docSignature = "v1,8p7Lr6aApUWw0sMtNfrbKB8xR55ZHK7653OrqCG3aKo="

const docHeaders = {
  "webhook-id": docId,
  "webhook-timestamp": String(docTimestamp),
  "webhook-signature": docSignature
}

/** Sets the TestClock to `seconds` since the epoch, then runs `effect`, returning its Either. */
const at = <A, E>(seconds: number, effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(seconds * 1000)
    return yield* Effect.either(effect)
  })

const reasonOf = <A>(result: Either.Either<A, WebhookVerificationError>): string | undefined =>
  Either.isLeft(result) ? result.left.reason : undefined

const notification = (eventId = "e-1") =>
  JSON.stringify({ eventTypeId: "connection.invalidated", eventId, links: { event: `https://x/events/${eventId}` } })

const randomWhsec = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return `whsec_${Buffer.from(bytes).toString("base64")}`
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe("Webhooks: CONTRACT-V3 vector", () => {
  it.effect("sign reproduces the computed signature with the unpadded whsec_ secret", () =>
    Effect.gen(function* () {
      const headers = yield* Webhooks.sign({ secret: docSecret, id: docId, timestamp: docTimestamp, payload: docBody })
      expect(new TextEncoder().encode(docBody).length).toBe(250)
      expect(headers).toEqual(docHeaders)
      const byDate = yield* Webhooks.sign({
        secret: docSecret,
        id: docId,
        timestamp: new Date(docTimestamp * 1000 + 999),
        payload: docBody
      })
      expect(byDate["webhook-signature"]).toBe(docSignature)
    })
  )

  it.effect("verify accepts it, with or without padding, as a string or Redacted secret", () =>
    Effect.gen(function* () {
      for (const secret of [docSecret, `${docSecret}=`, Redacted.make(docSecret)]) {
        const result = yield* at(docTimestamp, Webhooks.verify({ secret, payload: docBody, headers: docHeaders }))
        expect(Either.getOrThrow(result)).toEqual(JSON.parse(docBody))
      }
    })
  )
})

describe("Webhooks: agreement with the standardwebhooks package", () => {
  it.effect("its signatures verify here (whsec_ padded and unpadded, fetch Headers, bytes payload)", () =>
    Effect.gen(function* () {
      const secret = randomWhsec()
      const lib = new Webhook(secret)
      const payload = notification()
      const ts = 1_750_000_000
      const signature = lib.sign("msg_1", new Date(ts * 1000), payload)
      const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(ts), "webhook-signature": signature }
      const ok = yield* at(ts, Webhooks.verify({ secret, payload, headers }))
      expect(Either.getOrThrow(ok).eventId).toBe("e-1")
      const unpadded = secret.replace(/=+$/, "")
      const viaFetch = yield* at(
        ts + 10,
        Webhooks.verify({ secret: unpadded, payload: new TextEncoder().encode(payload), headers: new Headers(headers) })
      )
      expect(Either.isRight(viaFetch)).toBe(true)
    })
  )

  it.effect("our signatures verify there (its verify reads Date.now(), pinned here)", () =>
    Effect.gen(function* () {
      const secret = randomWhsec()
      const ts = 1_760_000_000
      const payload = notification("e-2")
      const headers = yield* Webhooks.sign({ secret, id: "msg_2", timestamp: ts, payload })
      vi.spyOn(Date, "now").mockReturnValue(ts * 1000 + 60_000)
      expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload))
      // A payload changed after signing is refused there too: the two implementations agree.
      expect(() => new Webhook(secret).verify(`${payload} `, { ...headers })).toThrow()
    })
  )

  it.effect("an un-prefixed ASCII secret: its raw mode (char codes) and our UTF-8 bytes agree both ways", () =>
    Effect.gen(function* () {
      const secret = "rfiuheo43934"
      const ts = 1_770_000_000
      const payload = notification("e-3")
      const lib = new Webhook(secret, { format: "raw" })
      const theirs = lib.sign("msg_3", new Date(ts * 1000), payload)
      const ok = yield* at(
        ts,
        Webhooks.verify({
          secret,
          payload,
          headers: { "webhook-id": "msg_3", "webhook-timestamp": String(ts), "webhook-signature": theirs }
        })
      )
      expect(Either.isRight(ok)).toBe(true)
      const ours = yield* Webhooks.sign({ secret, id: "msg_3", timestamp: ts, payload })
      expect(ours["webhook-signature"]).toBe(theirs)
      vi.spyOn(Date, "now").mockReturnValue(ts * 1000)
      expect(lib.verify(payload, { ...ours })).toEqual(JSON.parse(payload))
    })
  )

  it.effect("an un-prefixed non-ASCII secret signs with its UTF-8 bytes (not Latin-1 char codes)", () =>
    Effect.gen(function* () {
      const secret = "clé-secrète-🔑"
      const ts = 1_770_000_000
      const payload = notification("e-4")
      // The library's key as whsec_ + base64 of the UTF-8 bytes is the same key.
      const utf8Lib = new Webhook(`whsec_${Buffer.from(secret, "utf8").toString("base64")}`)
      const ours = yield* Webhooks.sign({ secret, id: "m", timestamp: ts, payload })
      expect(ours["webhook-signature"]).toBe(utf8Lib.sign("m", new Date(ts * 1000), payload))
      const ok = yield* at(ts, Webhooks.verify({ secret, payload, headers: ours }))
      expect(Either.isRight(ok)).toBe(true)
      // Its raw mode keys with Latin-1 char codes: a different key for "é" (and lossy for "🔑").
      const latin1 = new Webhook(secret, { format: "raw" }).sign("m", new Date(ts * 1000), payload)
      expect(latin1).not.toBe(ours["webhook-signature"])
      const refused = yield* at(
        ts,
        Webhooks.verify({ secret, payload, headers: { ...ours, "webhook-signature": latin1 } })
      )
      expect(reasonOf(refused)).toBe("NoMatchingSignature")
    })
  )

  it.effect("an un-prefixed base64 secret: a signature with its decoded bytes or its UTF-8 bytes is accepted", () =>
    Effect.gen(function* () {
      const bare = randomWhsec().slice("whsec_".length)
      const ts = 1_780_000_000
      const payload = notification("e-5")
      const headersFor = (signature: string) => ({
        "webhook-id": "m5",
        "webhook-timestamp": String(ts),
        "webhook-signature": signature
      })
      const decodedSig = new Webhook(`whsec_${bare}`).sign("m5", new Date(ts * 1000), payload)
      const utf8Sig = new Webhook(bare, { format: "raw" }).sign("m5", new Date(ts * 1000), payload)
      expect(decodedSig).not.toBe(utf8Sig)
      for (const signature of [decodedSig, utf8Sig]) {
        const result = yield* at(ts, Webhooks.verify({ secret: bare, payload, headers: headersFor(signature) }))
        expect(Either.isRight(result)).toBe(true)
      }
      // sign uses the UTF-8 bytes of an un-prefixed secret.
      const ours = yield* Webhooks.sign({ secret: bare, id: "m5", timestamp: ts, payload })
      expect(ours["webhook-signature"]).toBe(utf8Sig)
    })
  )
})

describe("Webhooks: refusals", () => {
  const verifyDoc = (
    overrides: Partial<Webhooks.VerifyOptions> & { readonly nowSeconds?: number } = {}
  ): Effect.Effect<Either.Either<Webhooks.Notification, WebhookVerificationError>> => {
    const { nowSeconds, ...rest } = overrides
    return at(
      nowSeconds ?? docTimestamp,
      Webhooks.verify({ secret: docSecret, payload: docBody, headers: docHeaders, ...rest })
    )
  }

  it.effect("a forged signature, a tampered payload, id or timestamp: NoMatchingSignature", () =>
    Effect.gen(function* () {
      const forged = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")
      expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-signature": `v1,${forged}` } }))).toBe(
        "NoMatchingSignature"
      )
      expect(reasonOf(yield* verifyDoc({ payload: docBody.replace("user.created", "user.deleted") }))).toBe(
        "NoMatchingSignature"
      )
      expect(reasonOf(yield* verifyDoc({ payload: `${docBody}\n` }))).toBe("NoMatchingSignature")
      expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-id": `${docId}x` } }))).toBe(
        "NoMatchingSignature"
      )
      expect(
        reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-timestamp": String(docTimestamp + 1) } }))
      ).toBe("NoMatchingSignature")
      expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-signature": "v1,not base64!" } }))).toBe(
        "NoMatchingSignature"
      )
      // Only v1 is documented: the right digest under another version is not accepted.
      expect(
        reasonOf(
          yield* verifyDoc({ headers: { ...docHeaders, "webhook-signature": docSignature.replace("v1,", "v2,") } })
        )
      ).toBe("NoMatchingSignature")
    })
  )

  it.effect("too old and too new, both ways, on the Clock; the bounds themselves are accepted", () =>
    Effect.gen(function* () {
      expect(Either.isRight(yield* verifyDoc({ nowSeconds: docTimestamp + 300 }))).toBe(true)
      expect(reasonOf(yield* verifyDoc({ nowSeconds: docTimestamp + 301 }))).toBe("TooOld")
      expect(Either.isRight(yield* verifyDoc({ nowSeconds: docTimestamp - 300 }))).toBe(true)
      expect(reasonOf(yield* verifyDoc({ nowSeconds: docTimestamp - 301 }))).toBe("TooNew")
      expect(reasonOf(yield* verifyDoc({ nowSeconds: docTimestamp + 61, tolerance: "1 minute" }))).toBe("TooOld")
      expect(Either.isRight(yield* verifyDoc({ nowSeconds: docTimestamp + 3000, tolerance: "1 hour" }))).toBe(true)
    })
  )

  it.effect("the TestClock moving past the tolerance turns an accepted delivery into TooOld", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(docTimestamp * 1000)
      const check = Effect.either(Webhooks.verify({ secret: docSecret, payload: docBody, headers: docHeaders }))
      expect(Either.isRight(yield* check)).toBe(true)
      yield* TestClock.adjust("5 minutes")
      expect(Either.isRight(yield* check)).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(reasonOf(yield* check)).toBe("TooOld")
    })
  )

  it.effect("each missing or empty header: MissingHeader naming it", () =>
    Effect.gen(function* () {
      for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
        const { [name]: _dropped, ...without } = docHeaders
        const missing = yield* verifyDoc({ headers: without })
        expect(reasonOf(missing)).toBe("MissingHeader")
        expect(Either.isLeft(missing) && missing.left.header).toBe(name)
        expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, [name]: "" } }))).toBe("MissingHeader")
        expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, [name]: undefined } }))).toBe("MissingHeader")
        expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, [name]: [] } }))).toBe("MissingHeader")
      }
    })
  )

  it.effect("a timestamp that is not whole seconds: BadTimestamp", () =>
    Effect.gen(function* () {
      for (const value of ["abc", "1700000000.5", "-1700000000", "1e9", "0x6553F100", "99999999999999999999"]) {
        expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-timestamp": value } }))).toBe(
          "BadTimestamp"
        )
      }
    })
  )

  it.effect("several signatures: accepted when any v1 matches, in any position", () =>
    Effect.gen(function* () {
      const other = `v1,${Buffer.from(new Uint8Array(32)).toString("base64")}`
      for (const signature of [
        `${other} ${docSignature}`,
        `${docSignature} ${other}`,
        `v2,abc ${other}  ${docSignature}`
      ]) {
        expect(Either.isRight(yield* verifyDoc({ headers: { ...docHeaders, "webhook-signature": signature } }))).toBe(
          true
        )
      }
      expect(reasonOf(yield* verifyDoc({ headers: { ...docHeaders, "webhook-signature": `${other} ${other}` } }))).toBe(
        "NoMatchingSignature"
      )
    })
  )

  it.effect("a wrong secret: NoMatchingSignature; an empty or undecodable one: InvalidSecret", () =>
    Effect.gen(function* () {
      expect(reasonOf(yield* verifyDoc({ secret: randomWhsec() }))).toBe("NoMatchingSignature")
      expect(reasonOf(yield* verifyDoc({ secret: "rfiuheo43934" }))).toBe("NoMatchingSignature")
      for (const secret of ["", "   ", "whsec_", "whsec_!!!!", "whsec_a", Redacted.make("")]) {
        expect(reasonOf(yield* verifyDoc({ secret }))).toBe("InvalidSecret")
      }
      const signed = yield* Effect.either(Webhooks.sign({ secret: "whsec_", id: "x", timestamp: 1, payload: "{}" }))
      expect(reasonOf(signed)).toBe("InvalidSecret")
    })
  )

  it.effect("a correctly signed body that is not a notification: BadPayload", () =>
    Effect.gen(function* () {
      const ts = docTimestamp
      for (const payload of ["not json", "{}", '{"eventTypeId":1,"eventId":"x"}', new Uint8Array([0x7b, 0xff, 0x7d])]) {
        const headers = yield* Webhooks.sign({ secret: docSecret, id: "m", timestamp: ts, payload })
        expect(reasonOf(yield* at(ts, Webhooks.verify({ secret: docSecret, payload, headers })))).toBe("BadPayload")
      }
    })
  )

  it.effect("Node-style headers: any case, repeated signature headers as an array", () =>
    Effect.gen(function* () {
      const other = `v1,${Buffer.from(new Uint8Array(32)).toString("base64")}`
      const result = yield* verifyDoc({
        headers: {
          "Webhook-Id": docId,
          "WEBHOOK-TIMESTAMP": [String(docTimestamp)],
          "webhook-signature": [other, docSignature],
          host: "example.test"
        }
      })
      expect(Either.isRight(result)).toBe(true)
    })
  )

  it.effect("no error holds the secret, the signature or the payload (message, JSON, inspect, String)", () =>
    Effect.gen(function* () {
      const secret = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="
      const payload = '{"eventTypeId":"user.created","eventId":"PAYLOAD-MARKER"}'
      const headers = yield* Webhooks.sign({ secret, id: "ID-MARKER", timestamp: docTimestamp, payload })
      const failures = [
        yield* at(docTimestamp, Webhooks.verify({ secret: randomWhsec(), payload, headers })),
        yield* at(docTimestamp + 999, Webhooks.verify({ secret, payload, headers })),
        yield* at(docTimestamp, Webhooks.verify({ secret: "whsec_!!", payload, headers })),
        yield* at(docTimestamp, Webhooks.verify({ secret, payload: "PAYLOAD-MARKER", headers })),
        yield* at(docTimestamp, Webhooks.verify({ secret, payload, headers: { ...headers, "webhook-timestamp": "x" } }))
      ]
      const signature = headers["webhook-signature"]!.slice(3)
      for (const failure of failures) {
        expect(Either.isLeft(failure)).toBe(true)
        const error = Either.isLeft(failure) ? failure.left : undefined
        expect(error).toBeInstanceOf(WebhookVerificationError)
        const text = [String(error), error?.message, JSON.stringify(error), inspect(error, { depth: 5 })].join(" ")
        for (const needle of ["c2VjcmV0", "secret-secret", "PAYLOAD-MARKER", signature, "!!"]) {
          expect(text).not.toContain(needle)
        }
      }
    })
  )
})

describe("Webhooks: properties", () => {
  const runAt = <A, E>(seconds: number, effect: Effect.Effect<A, E>) =>
    Effect.runPromise(at(seconds, effect).pipe(Effect.provide(TestContext.TestContext)))

  it("any payload signed here verifies here; any one changed byte is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4_000_000_000 }),
        fc.nat(),
        async (body, id, ts, flip) => {
          const secret = randomWhsec()
          const headers = await Effect.runPromise(Webhooks.sign({ secret, id, timestamp: ts, payload: body }))
          const accepted = await runAt(ts, Webhooks.verify({ secret, payload: body, headers }))
          // A random body is rarely a notification: the signature passed when the reason is BadPayload.
          expect(Either.isRight(accepted) || reasonOf(accepted) === "BadPayload").toBe(true)
          if (body.length === 0) return
          const changed = body.slice()
          const index = flip % body.length
          changed[index] = changed[index]! ^ 0x01
          const refused = await runAt(ts, Webhooks.verify({ secret, payload: changed, headers }))
          expect(reasonOf(refused)).toBe("NoMatchingSignature")
        }
      ),
      { numRuns: 60 }
    )
  })

  it("for any string payload, our signature equals standardwebhooks' and both verify each other", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 200 }), fc.uuid(), async (text, eventId) => {
        const payload = JSON.stringify({ eventTypeId: "user.created", eventId, note: text })
        const secret = randomWhsec()
        const ts = 1_700_000_000
        const lib = new Webhook(secret)
        const ours = await Effect.runPromise(Webhooks.sign({ secret, id: eventId, timestamp: ts, payload }))
        expect(ours["webhook-signature"]).toBe(lib.sign(eventId, new Date(ts * 1000), payload))
        const result = await runAt(ts, Webhooks.verify({ secret, payload, headers: ours }))
        expect(Either.getOrThrow(result).eventId).toBe(eventId)
      }),
      { numRuns: 60 }
    )
  })
})

describe("Webhooks.fetchEvent and requirements", () => {
  it.effect("fetchEvent is Events.getEvent(notification.eventId)", () =>
    Effect.gen(function* () {
      const asked: Array<string> = []
      const event = yield* Webhooks.fetchEvent({ eventTypeId: "user.created", eventId: "ev-9" }).pipe(
        Effect.provide(
          EventsTest.layer({
            getEvent: (id) => {
              asked.push(id)
              return Effect.succeed({
                _tag: "UnknownEvent",
                entity: "user",
                eventType: "created",
                id,
                data: undefined,
                issue: "stub"
              })
            }
          })
        )
      )
      expect(asked).toEqual(["ev-9"])
      expect(event.id).toBe("ev-9")
    })
  )

  it("verify needs no service (no BasiqClient, token or API key)", () => {
    const effect: Effect.Effect<Webhooks.Notification, WebhookVerificationError, never> = Webhooks.verify({
      secret: docSecret,
      payload: docBody,
      headers: docHeaders
    })
    expect(Effect.isEffect(effect)).toBe(true)
    expect(Layer.isLayer(EventsTest.layer({}))).toBe(true)
  })
})
