import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Option, Stream, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { List, Summary } from "./helpers.js"
import { BASE, errorOf, inMemoryFetch, request, send, setup } from "./helpers.js"

const { Fault } = InMemoryBasiq

const connectionsOf = (t: string, userId: string) =>
  Effect.map(send("GET", `/users/${userId}/connections`, { token: t }), (reply) => (reply.body as List<Summary>).data)

const createBody = { json: { loginId: "jared", password: "django", institution: { id: "AU00000" } } }

/** The error a failed request ends with, and its cause chain. */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error as E & { readonly reason: string; readonly cause: unknown })

const causeOf = (error: unknown) => (error as { readonly cause: Error & { readonly code?: string } }).cause

describe("Fault.status", () => {
  it.effect("answers Basiq's envelope for the status, without running the routes", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ path: `/users/${userId}/connections`, fault: Fault.status({ status: 503 }) })
      const reply = yield* send("POST", `/users/${userId}/connections`, { token: t, ...createBody })
      expect(reply.status).toBe(503)
      expect(reply.headers["content-type"]).toContain("application/json")
      expect(reply.body).toMatchObject({ type: "list", data: [{ type: "error", code: "service-unavailable" }] })
      expect(yield* connectionsOf(t, userId)).toEqual([])
      for (const [status, code] of [
        [500, "internal-server-error"],
        [429, "too-many-requests"],
        [400, "parameter-not-valid"],
        [504, "internal-server-error"]
      ] as const) {
        yield* basiq.injectFault({ fault: Fault.status({ status }) })
        const faulted = yield* send("GET", `/users/${userId}`, { token: t })
        expect(faulted.status).toBe(status)
        expect(errorOf(faulted)?.code).toBe(code)
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("sends Retry-After as seconds or an HTTP date", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ fault: Fault.status({ status: 429, retryAfter: 7 }) })
      const seconds = yield* send("GET", `/users/${userId}`, { token: t })
      expect(seconds.status).toBe(429)
      expect(seconds.headers["retry-after"]).toBe("7")
      const date = "Wed, 21 Oct 2015 07:28:00 GMT"
      yield* basiq.injectFault({ fault: Fault.status({ status: 503, retryAfter: date }) })
      expect((yield* send("GET", `/users/${userId}`, { token: t })).headers["retry-after"]).toBe(date)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("sends any body: HTML on a 502, a wrong shape on a 200, plain text by default", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
      yield* basiq.injectFault({ fault: Fault.status({ status: 502, body: html, contentType: "text/html" }) })
      const gateway = yield* request("GET", `/users/${userId}`, { token: t })
      expect(gateway.status).toBe(502)
      expect(gateway.headers["content-type"]).toBe("text/html")
      expect(yield* gateway.text).toBe(html)
      yield* basiq.injectFault({ fault: Fault.status({ status: 200, body: { type: "user", id: 42 } }) })
      const shape = yield* send("GET", `/users/${userId}`, { token: t })
      expect(shape.status).toBe(200)
      expect(shape.headers["content-type"]).toBe("application/json")
      expect(shape.body).toEqual({ type: "user", id: 42 })
      yield* basiq.injectFault({ fault: Fault.status({ status: 500, body: "oops" }) })
      const text = yield* request("GET", `/users/${userId}`, { token: t })
      expect(text.headers["content-type"]).toContain("text/plain")
      expect(yield* text.text).toBe("oops")
      yield* basiq.injectFault({ fault: Fault.status({ status: 204 }) })
      const empty = yield* send("DELETE", `/users/${userId}/connections/nothing`, { token: t })
      expect(empty.status).toBe(204)
      expect(empty.text).toBe("")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("fault matching", () => {
  it.effect("by method, exact path (without query) or RegExp, for `times` requests, in order", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      const connections = `/users/${userId}/connections`
      yield* basiq.injectFault({ method: "post", path: connections, fault: Fault.status({ status: 500 }) })
      expect((yield* send("GET", connections, { token: t })).status).toBe(200)
      expect(
        (yield* send("GET", `${connections}?filter=${encodeURIComponent("status.eq('active')")}`, { token: t })).status
      ).toBe(200)
      expect((yield* send("POST", connections, { token: t, ...createBody })).status).toBe(500)
      expect((yield* send("POST", connections, { token: t, ...createBody })).status).toBe(202)

      yield* basiq.injectFault({ path: /\/connections$/, times: 2, fault: Fault.status({ status: 503 }) })
      yield* basiq.injectFault({ path: /\/connections$/, fault: Fault.status({ status: 429 }) })
      expect((yield* send("GET", `/users/${userId}`, { token: t })).status).toBe(200)
      expect((yield* send("GET", connections, { token: t })).status).toBe(503)
      expect(
        (yield* send("GET", `${connections}?filter=${encodeURIComponent("id.eq('x')")}`, { token: t })).status
      ).toBe(503)
      expect((yield* send("GET", connections, { token: t })).status).toBe(429)
      expect((yield* send("GET", connections, { token: t })).status).toBe(200)

      yield* basiq.injectFault({ path: `${connections}/`, fault: Fault.status({ status: 500 }) })
      expect((yield* send("GET", connections, { token: t })).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("Fault.delay", () => {
  it.effect("waits on the Clock, then answers normally", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ path: `/users/${userId}`, fault: Fault.delay("10 seconds") })
      const fiber = yield* Effect.fork(send("GET", `/users/${userId}`, { token: t }))
      yield* TestClock.adjust("9999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const reply = yield* Fiber.join(fiber)
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ type: "user", id: userId })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("an aborted request stops waiting and is never applied", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ method: "POST", fault: Fault.delay("1 minute") })
      const fiber = yield* Effect.fork(send("POST", `/users/${userId}/connections`, { token: t, ...createBody }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("2 minutes")
      const fresh = yield* setup
      expect(yield* connectionsOf(fresh.token, userId)).toEqual([])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a client timeout sees the delay", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ fault: Fault.delay("30 seconds") })
      const fiber = yield* Effect.fork(
        Effect.either(Effect.timeout(send("GET", `/users/${userId}`, { token: t }), "5 seconds"))
      )
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left._tag).toBe("TimeoutException")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("Fault.resetBeforeApply", () => {
  it.effect("fetch rejects like a refused connection and nothing is applied", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ method: "POST", fault: Fault.resetBeforeApply() })
      const error = yield* failure(request("POST", `/users/${userId}/connections`, { token: t, ...createBody }))
      expect(error._tag).toBe("RequestError")
      expect(error.reason).toBe("Transport")
      const fetchError = causeOf(error)
      expect(fetchError).toBeInstanceOf(TypeError)
      expect(fetchError.message).toBe("fetch failed")
      const socketError = causeOf(fetchError)
      expect(socketError.message).toBe("connect ECONNREFUSED 127.0.0.1:443")
      expect(socketError.code).toBe("ECONNREFUSED")
      expect(yield* connectionsOf(t, userId)).toEqual([])
      const journal = yield* basiq.journal
      expect(journal.filter((entry) => entry.method === "POST" && entry.path.endsWith("/connections"))).toHaveLength(1)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("Fault.resetAfterApply", () => {
  it.effect("the change is applied, then fetch rejects like a reset connection", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ method: "POST", path: /connections$/, fault: Fault.resetAfterApply() })
      const error = yield* failure(request("POST", `/users/${userId}/connections`, { token: t, ...createBody }))
      expect(error.reason).toBe("Transport")
      const fetchError = causeOf(error)
      expect(fetchError).toBeInstanceOf(TypeError)
      expect(fetchError.message).toBe("fetch failed")
      expect(causeOf(fetchError).code).toBe("ECONNRESET")
      expect(causeOf(fetchError).message).toBe("other side closed")
      const connections = yield* connectionsOf(t, userId)
      expect(connections).toHaveLength(1)
      expect(connections[0]?.status).toBe("pending")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("Fault.truncate", () => {
  it.effect("status and headers arrive, the body breaks half-way; the route was applied", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ method: "POST", fault: Fault.truncate() })
      const response = yield* request("POST", `/users/${userId}/connections`, { token: t, ...createBody })
      expect(response.status).toBe(202)
      expect(response.headers["content-type"]).toContain("application/json")
      const error = yield* failure(response.text)
      expect(error._tag).toBe("ResponseError")
      expect(error.reason).toBe("Decode")
      const bodyError = causeOf(error)
      expect(bodyError.message).toBe("terminated")
      expect(bodyError.code).toBe("UND_ERR_SOCKET")
      expect(yield* connectionsOf(t, userId)).toHaveLength(1)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a fetch reader gets the first half of the bytes before the error", () =>
    Effect.gen(function* () {
      // The layer's client (the SDK's FetchTransport) reads whole bodies: plain fetch shows the bytes.
      const { basiq, fetch } = yield* inMemoryFetch()
      const token = yield* Effect.promise(async () => {
        const r = await fetch(`${BASE}/token`, {
          method: "POST",
          headers: {
            authorization: "Basic k",
            "basiq-version": "3.0",
            "content-type": "application/x-www-form-urlencoded"
          },
          body: "scope=SERVER_ACCESS"
        })
        return ((await r.json()) as { readonly access_token: string }).access_token
      })
      const user = yield* basiq.createUser({ email: "t@example.com" })
      const get = () => fetch(`${BASE}/users/${user.id}`, { headers: { authorization: `Bearer ${token}` } })
      const whole = yield* Effect.promise(async () => (await get()).text())
      yield* basiq.injectFault({ fault: Fault.truncate() })
      const { received, failed } = yield* Effect.promise(async () => {
        const response = await get()
        const reader = response.body!.getReader()
        const chunks: Array<Uint8Array> = []
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) return { received: chunks, failed: false }
            chunks.push(value)
          }
        } catch {
          return { received: chunks, failed: true }
        }
      })
      expect(failed).toBe(true)
      const text = new TextDecoder().decode(Buffer.concat(received))
      expect(text).toBe(whole.slice(0, Math.floor(new TextEncoder().encode(whole).length / 2)))
    })
  )

  it.effect("through the layer's client, a truncated body is a body error after status and headers", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.injectFault({ fault: Fault.truncate() })
      const response = yield* request("GET", `/users/${userId}`, { token: t })
      expect(response.status).toBe(200)
      const outcome = yield* Effect.either(Stream.runDrain(response.stream))
      expect(Either.isLeft(outcome)).toBe(true)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
