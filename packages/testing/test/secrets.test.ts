/**
 * The security posture (see SECURITY.md), as tests: https only except loopback; the API key is sent
 * only to `/token`; keys, tokens and credentials are `Redacted`; `authorization` is among the
 * header names Effect's logger redacts; no request body or credential in errors.
 */
import * as util from "node:util"
import {
  BasiqConfigError,
  BasiqConnections,
  ConnectionSchemas,
  Connections,
  createConnectionsClient,
  Jobs
} from "@basiq-effect/connections"
import { BasiqAuth, BasiqConfig } from "@basiq-effect/core"
import { Headers, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, FiberRef, Layer, Logger, Option, Redacted, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const { Fault } = InMemoryBasiq

const apiKey = "sk_live_c2VjcmV0LWFwaS1rZXktZm9yLXRlc3Rz"

interface Sent {
  readonly method: string
  readonly path: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The SDK over a fresh fake, with every request the SDK sends recorded on the way out. */
const recordedLayer = (sent: Array<Sent>) => {
  const fake = InMemoryBasiq.layer({ stepDuration: "1 second" })
  const recording = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      HttpClient.HttpClient,
      HttpClient.tapRequest((request) =>
        Effect.sync(() => {
          sent.push({
            method: request.method,
            path: new URL(request.url).pathname,
            url: request.url,
            headers: { ...request.headers },
            body:
              request.body._tag === "Uint8Array"
                ? new TextDecoder().decode(request.body.body)
                : request.body._tag === "Empty"
                  ? ""
                  : request.body._tag
          })
        })
      )
    )
  ).pipe(Layer.provide(fake))
  return BasiqConnections.layerWithoutHttpClient({ apiKey, retry: false }).pipe(
    Layer.provide(recording),
    Layer.provideMerge(fake)
  )
}

describe("the API key", () => {
  it.effect("is sent only to /token, as `Basic <key>`; every other request carries the bearer token", () => {
    const sent: Array<Sent> = []
    return Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const jobs = yield* Jobs.Jobs
      const user = yield* basiq.createUser({ email: "secrets@hooli.example" })
      const seeded = yield* basiq.seedConnection({ userId: user.id })

      // Every operation, the MFA answer with a CLIENT_ACCESS token, and a re-authentication.
      const ref = yield* connections.postConnection(user.id, {
        loginId: Redacted.make("gavinBelson"),
        password: Redacted.make("hooli2016"),
        institution: { id: "AU00002" }
      })
      yield* TestClock.adjust("1 second")
      yield* jobs.getJob(ref.id)
      yield* jobs.postJobMfa(ref.id, [Redacted.make("Hooli")], { userId: user.id })
      yield* connections.getConnections(user.id)
      yield* connections.getConnection(user.id, seeded.id)
      yield* connections.updateConnection(user.id, seeded.id, { password: Redacted.make("business2024") })
      yield* connections.refreshConnection(user.id, seeded.id)
      yield* connections.refreshConnections(user.id)
      yield* basiq.expireTokens()
      yield* connections.deleteConnection(user.id, seeded.id)

      const tokenRequests = sent.filter((r) => r.path === "/token")
      const others = sent.filter((r) => r.path !== "/token")
      // The server token, the client token for the MFA answer, the renewal after expiry.
      expect(tokenRequests.map((r) => r.body)).toEqual([
        "scope=SERVER_ACCESS",
        `scope=CLIENT_ACCESS&userId=${user.id}`,
        "scope=SERVER_ACCESS"
      ])
      for (const r of tokenRequests) expect(r.headers.authorization).toBe(`Basic ${apiKey}`)
      expect(others.length).toBeGreaterThanOrEqual(9)
      for (const r of others) {
        expect(r.headers.authorization).toMatch(/^Bearer \S+$/)
        expect(JSON.stringify(r)).not.toContain(apiKey)
      }
      // The fake's journal agrees on the routes, and never holds the key (authorization is redacted).
      const journal = yield* basiq.journal
      expect(journal.filter((e) => e.path === "/token")).toHaveLength(3)
      expect(JSON.stringify(journal)).not.toContain(apiKey)
      expect(JSON.stringify(journal)).not.toContain("hooli2016")
      expect(new Set(journal.map((e) => e.headers.authorization))).toEqual(new Set(["<redacted>"]))
    }).pipe(Effect.provide(recordedLayer(sent)))
  })
})

describe("https only, except loopback", () => {
  const refused = [
    "http://au-api.basiq.io",
    "http://example.com:8080",
    "http://127.0.0.1.nip.io",
    "http://localhost.evil.example",
    "ftp://au-api.basiq.io",
    "https://user:pass@au-api.basiq.io",
    "https://au-api.basiq.io/?token=x",
    "not a url"
  ]
  const accepted = [
    "https://au-api.basiq.io",
    "https://sandbox.example.com/basiq/",
    "http://127.0.0.1:4010",
    "http://localhost:8080",
    "http://[::1]:3000",
    "http://basiq.localhost"
  ]

  it("refuses plain http to a non-loopback host (and credentials, queries, fragments in the URL)", () => {
    for (const baseUrl of refused) {
      const result = BasiqConfig.validate({ apiKey, baseUrl })
      expect(Either.isLeft(result) && result.left, baseUrl).toMatchObject({
        _tag: "BasiqConfigError",
        option: "baseUrl"
      })
      expect(() => createConnectionsClient({ apiKey, baseUrl })).toThrow(BasiqConfigError)
    }
  })

  it("accepts https, and plain http only for loopback hosts", () => {
    for (const baseUrl of accepted) {
      expect(Either.isRight(BasiqConfig.validate({ apiKey, baseUrl })), baseUrl).toBe(true)
    }
  })

  it("never echoes the key in a configuration error", () => {
    for (const bad of [`${apiKey} `, `${apiKey}\n`, `Basic ${apiKey}`]) {
      const result = BasiqConfig.validate({ apiKey: bad })
      if (Either.isRight(result)) return expect.fail("a key with whitespace was accepted")
      for (const text of [
        result.left.message,
        String(result.left),
        util.inspect(result.left),
        JSON.stringify(result.left)
      ]) {
        expect(text).not.toContain(apiKey)
      }
    }
  })
})

describe("redaction", () => {
  it("keeps the key Redacted in the resolved configuration", () => {
    const config = BasiqConfig.validate({ apiKey })
    if (Either.isLeft(config)) return expect.fail("valid options were refused")
    expect(Redacted.isRedacted(config.right.apiKey)).toBe(true)
    for (const text of [
      String(config.right.apiKey),
      util.inspect(config.right, { depth: 10 }),
      JSON.stringify(config.right)
    ]) {
      expect(text).not.toContain(apiKey)
    }
  })

  it("keeps credentials Redacted in request bodies", () => {
    const body = ConnectionSchemas.makePostConnectionBody({
      loginId: "login-id-secret",
      password: "password-secret",
      securityCode: "security-code-secret",
      institution: "AU00000"
    })
    for (const text of [String(body.password), util.inspect(body, { depth: 10 }), JSON.stringify(body)]) {
      for (const secret of ["login-id-secret", "password-secret", "security-code-secret"]) {
        expect(text).not.toContain(secret)
      }
    }
  })

  it.effect("hands out tokens as Redacted values", () =>
    Effect.gen(function* () {
      const auth = yield* BasiqAuth.BasiqAuth
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const user = yield* basiq.createUser({ email: "tokens@hooli.example" })
      for (const token of [yield* auth.token, yield* auth.clientToken(user.id)]) {
        expect(Redacted.isRedacted(token)).toBe(true)
        const value = Redacted.value(token)
        expect(value.length).toBeGreaterThan(20)
        for (const text of [String(token), util.inspect(token), JSON.stringify({ token })]) {
          expect(text).not.toContain(value)
        }
      }
    }).pipe(Effect.provide(recordedLayer([])))
  )

  it.effect("redacts `authorization` when Effect's logger prints a request", () =>
    Effect.gen(function* () {
      const names = yield* FiberRef.get(Headers.currentRedactedNames)
      expect(names).toContain("authorization")
      const lines: Array<string> = []
      const logger = Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
      const request = HttpClientRequest.post("https://au-api.basiq.io/token").pipe(
        HttpClientRequest.setHeader("authorization", `Basic ${apiKey}`)
      )
      yield* Effect.log(request).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(lines.join("\n")).toContain("/token")
      expect(lines.join("\n")).not.toContain(apiKey)
    })
  )
})

describe("no request body or credential in errors", () => {
  it.effect("a refused create names the fields, not the values, and sends nothing", () => {
    const sent: Array<Sent> = []
    return Effect.gen(function* () {
      const connections = yield* Connections.Connections
      const exit = yield* Effect.exit(
        connections.postConnection("user-1", {
          loginId: Redacted.make("login-id-secret"),
          password: Redacted.make(""),
          institution: { id: "AU00000" }
        })
      )
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error).toMatchObject({ _tag: "BasiqInvalidRequestError", fields: ["password"] })
      expect(`${util.inspect(error, { depth: 10 })}${JSON.stringify(error)}${String(error)}`).not.toContain(
        "login-id-secret"
      )
      expect(sent).toEqual([])
    }).pipe(Effect.provide(recordedLayer(sent)))
  })

  it.effect("a server error keeps Basiq's answer, never what was sent", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const user = yield* basiq.createUser({ email: "errors@hooli.example" })
      yield* basiq.injectFault({
        method: "POST",
        path: `/users/${user.id}/connections`,
        fault: Fault.status({ status: 500 })
      })
      const exit = yield* Effect.exit(
        connections.postConnection(user.id, {
          loginId: Redacted.make("login-id-secret"),
          password: Redacted.make("password-secret"),
          institution: { id: "AU00000" }
        })
      )
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error).toMatchObject({ _tag: "BasiqServerError", status: 500, outcomeUnknown: true })
      const text = [
        util.inspect(error, { depth: 10 }),
        JSON.stringify(error),
        String(error),
        Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      ].join("\n")
      for (const secret of ["login-id-secret", "password-secret", "AU00000", apiKey]) {
        expect(text).not.toContain(secret)
      }
    }).pipe(Effect.provide(recordedLayer([])))
  )
})
