import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { errorOf, send, setup, token, tokenHeaders } from "./helpers.js"

const form = "application/x-www-form-urlencoded"
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const postToken = (headers: Record<string, string>, body = "scope=SERVER_ACCESS", contentType = form) =>
  send("POST", "/token", { headers, body, contentType })

describe("POST /token", () => {
  it.effect("issues a one-hour bearer token for the key as issued", () =>
    Effect.gen(function* () {
      const reply = yield* postToken(tokenHeaders)
      expect(reply.status).toBe(200)
      expect(reply.headers["content-type"]).toContain("application/json")
      const body = reply.body as { access_token: string; token_type: string; expires_in: number }
      expect(body.token_type).toBe("Bearer")
      expect(body.expires_in).toBe(3600)
      expect(body.access_token.split(".")).toHaveLength(3)
      const again = yield* postToken(tokenHeaders)
      expect((again.body as { access_token: string }).access_token).not.toBe(body.access_token)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("accepts versions 3.0, 2.1, 2.0 and 1.0, a missing scope, and a JSON body", () =>
    Effect.gen(function* () {
      for (const version of ["3.0", "2.1", "2.0", "1.0"]) {
        const reply = yield* postToken({ ...tokenHeaders, "basiq-version": version })
        expect(reply.status).toBe(200)
      }
      expect((yield* postToken(tokenHeaders, "")).status).toBe(200)
      const json = yield* postToken(tokenHeaders, JSON.stringify({ scope: "SERVER_ACCESS" }), "application/json")
      expect(json.status).toBe(200)
      // Some clients send their JSON content type with a form body.
      expect((yield* postToken(tokenHeaders, "scope=SERVER_ACCESS", "application/json")).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("requires basiq-version", () =>
    Effect.gen(function* () {
      const reply = yield* postToken({ authorization: "Basic test-key" })
      expect(reply.status).toBe(400)
      const body = reply.body as { type: string; correlationId: string; data: Array<unknown> }
      expect(body.type).toBe("list")
      expect(body.correlationId).toMatch(uuid)
      expect(body.data).toEqual([
        {
          type: "error",
          code: "parameter-not-valid",
          title: "Parameter not valid.",
          detail: "Basiq-version must be specified in HTTP request header",
          source: { parameter: "basiq-version", pointer: "header/basiq-version" }
        }
      ])
      for (const version of ["0.9", "banana"]) {
        const old = yield* postToken({ ...tokenHeaders, "basiq-version": version })
        expect(old.status).toBe(400)
        expect(errorOf(old)).toMatchObject({ code: "parameter-not-valid", source: { parameter: "basiq-version" } })
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("requires a Basic authorization header", () =>
    Effect.gen(function* () {
      const missing = yield* postToken({ "basiq-version": "3.0" })
      expect(missing.status).toBe(400)
      expect(errorOf(missing)).toMatchObject({
        code: "parameter-not-supplied",
        source: { pointer: "header/authorization" }
      })
      for (const authorization of ["Bearer abc", "Basic", "test-key"]) {
        const invalid = yield* postToken({ "basiq-version": "3.0", authorization })
        expect(invalid.status).toBe(400)
        expect(errorOf(invalid)).toMatchObject({ code: "parameter-not-valid", detail: "Invalid authorization header" })
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("answers 404 parameter-not-valid for a key outside apiKeys", () =>
    Effect.gen(function* () {
      const unknown = yield* postToken({ ...tokenHeaders, authorization: "Basic other-key" })
      expect(unknown.status).toBe(404)
      expect(errorOf(unknown)).toMatchObject({
        code: "parameter-not-valid",
        detail: "Unable to authenticate. Please, check your API key"
      })
      // base64("key:"), what HttpClientRequest.basicAuth would send, is not the key.
      const encoded = yield* postToken({ ...tokenHeaders, authorization: `Basic ${btoa("test-key:")}` })
      expect(encoded.status).toBe(404)
      expect((yield* postToken(tokenHeaders)).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer({ apiKeys: ["test-key"] })))
  )

  it.effect("checks scopes: CLIENT_ACCESS needs a userId, others are refused", () =>
    Effect.gen(function* () {
      const noUser = yield* postToken(tokenHeaders, "scope=CLIENT_ACCESS")
      expect(noUser.status).toBe(400)
      expect(errorOf(noUser)).toMatchObject({ code: "parameter-not-supplied", source: { parameter: "userId" } })
      const bad = yield* postToken(tokenHeaders, "scope=ADMIN")
      expect(bad.status).toBe(400)
      expect(errorOf(bad)).toMatchObject({ code: "parameter-not-valid", source: { parameter: "scope" } })
      const { userId } = yield* setup
      const client = yield* postToken(tokenHeaders, `scope=CLIENT_ACCESS&userId=${userId}`)
      expect(client.status).toBe(200)
      // Tokens are checked but not scoped: a client token works on server routes.
      const clientToken = (client.body as { access_token: string }).access_token
      expect((yield* send("GET", `/users/${userId}/connections`, { token: clientToken })).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})

describe("bearer tokens", () => {
  it.effect("401 invalid-authorization-token for a missing, garbled or unknown token", () =>
    Effect.gen(function* () {
      const cases = [
        {},
        { headers: { authorization: "Bearer" } },
        { headers: { authorization: "Basic test-key" } },
        { token: "not-a-token" }
      ]
      for (const options of cases) {
        const reply = yield* send("POST", "/users", { ...options, json: { email: "a@b.c" } })
        expect(reply.status).toBe(401)
        expect(reply.headers["content-type"]).toContain("application/json")
        expect((reply.body as { data: Array<unknown> }).data).toEqual([
          { type: "error", code: "invalid-authorization-token", title: "Invalid authorization token." }
        ])
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("403 access-denied once the token is an hour old", () =>
    Effect.gen(function* () {
      const { token: t, userId } = yield* setup
      yield* TestClock.adjust("3599 seconds")
      expect((yield* send("GET", `/users/${userId}`, { token: t })).status).toBe(200)
      yield* TestClock.adjust("1 second")
      const reply = yield* send("GET", `/users/${userId}`, { token: t })
      expect(reply.status).toBe(403)
      expect(errorOf(reply)).toEqual({
        type: "error",
        code: "access-denied",
        title: "Access denied.",
        detail: "Token has expired"
      })
      const fresh = yield* token
      expect((yield* send("GET", `/users/${userId}`, { token: fresh })).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("403 access-denied after expireTokens(); new tokens work", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const { token: t, userId } = yield* setup
      yield* basiq.expireTokens()
      const reply = yield* send("GET", `/users/${userId}`, { token: t })
      expect(reply.status).toBe(403)
      expect(errorOf(reply)?.code).toBe("access-denied")
      const fresh = yield* token
      expect((yield* send("GET", `/users/${userId}`, { token: fresh })).status).toBe(200)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
