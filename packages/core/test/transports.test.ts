/**
 * The same behaviour on every client users run: `UndiciHttpClient` (Node's default),
 * `FetchTransport` (the default elsewhere) and platform's `FetchHttpClient` (brought by the user),
 * against a hostile server on loopback, in real time with short, bounded waits. A brought client
 * keeps its own redirect and decompression behaviour; every other outcome must match.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { BasiqClient, type BasiqTransportError } from "@basiq-effect/core"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schema } from "effect"
import { failureOf, operations, plain } from "./utils/fake.js"
import { clientLayer, hostile, transports } from "./utils/hostile.js"

const params = { userId: "u1", thingId: "t1" }
const noRetry = { retry: false as const }

const Meta = Schema.Struct({
  id: Schema.String,
  meta: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

const metaOperation = Effect.map(BasiqClient.BasiqClient, (client) =>
  client.operation({
    name: "getMeta",
    span: "basiq.test.getMeta",
    method: "GET",
    path: "/users/{userId}/meta",
    idempotent: true,
    success: BasiqClient.json(Meta)
  })
)

/** 64 MiB of spaces inside a JSON string, about 64 KiB gzipped (built once). */
let bombBytes: Buffer | undefined
const gzipBomb = (): Buffer => {
  bombBytes ??= zlib.gzipSync(Buffer.concat([Buffer.from('{"id":"'), Buffer.alloc(64 * 1024 * 1024, " ")]), {
    level: 9
  })
  return bombBytes
}

const transportFailure = (exit: Exit.Exit<unknown, unknown>) => plain(failureOf(exit) as BasiqTransportError)

describe.each(transports)("$name", (transport) => {
  it.scopedLive("decodes a gzip-encoded body, having asked for gzip", () =>
    Effect.gen(function* () {
      const server = yield* hostile((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
        res.end(zlib.gzipSync(JSON.stringify({ id: "t1", pad: "x".repeat(5000) })))
      })
      const thing = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(transport, server.url))
      )
      expect(thing).toEqual({ id: "t1" })
      expect(String(server.api()[0]!.headers["accept-encoding"])).toContain("gzip")
    })
  )

  it.scopedLive("a body beyond maxResponseBytes is ResponseTooLarge, not retried, and the stream is cancelled", () =>
    Effect.gen(function* () {
      let written = 0
      let stopped = false
      const server = yield* hostile((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write('{"id":"')
        const chunk = Buffer.alloc(16 * 1024, "x")
        const pump = () => {
          // Endless: only the client closing the connection stops it (bounded at 256 MiB).
          while (!stopped && written < 256 * 1024 * 1024) {
            written += chunk.length
            if (!res.write(chunk)) {
              res.once("drain", pump)
              return
            }
          }
        }
        res.on("close", () => {
          stopped = true
        })
        pump()
      })
      const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(transport, server.url, { maxResponseBytes: 256 * 1024 })),
        Effect.exit
      )
      expect(transportFailure(exit)).toMatchObject({
        _tag: "BasiqTransportError",
        reason: "ResponseTooLarge",
        attempts: 1,
        outcomeUnknown: false
      })
      expect(yield* server.waitClosed(1, 2_000)).toBe(true)
      expect(written).toBeLessThan(64 * 1024 * 1024)
      expect(server.api()).toHaveLength(1)
    })
  )

  it.scopedLive("a gzip bomb stops at the limit counted after decompression, with little memory", () =>
    Effect.gen(function* () {
      const bomb = gzipBomb()
      const server = yield* hostile((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
        res.end(bomb)
      })
      const before = process.memoryUsage().rss
      const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(transport, server.url, { maxResponseBytes: 1024 * 1024 })),
        Effect.exit
      )
      expect(transportFailure(exit)).toMatchObject({ reason: "ResponseTooLarge", attempts: 1 })
      expect((process.memoryUsage().rss - before) / (1024 * 1024)).toBeLessThan(64)
    })
  )

  it.scopedLive("a body cut off after the headers is ResponseBody (retried when idempotent)", () =>
    Effect.gen(function* () {
      const server = yield* hostile((req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        res.write('{"id":"t1", "pad": "', () => req.socket.destroy())
      })
      const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(
          clientLayer(transport, server.url, { retry: { maxRetries: 2, baseDelay: "1 millis", maxDelay: "2 millis" } })
        ),
        Effect.exit
      )
      expect(transportFailure(exit)).toMatchObject({ reason: "ResponseBody", attempts: 3, outcomeUnknown: false })
      const post = yield* Effect.flatMap(operations, (ops) => ops.createThing({ params, body: { name: "n" } })).pipe(
        Effect.provide(
          clientLayer(transport, server.url, { retry: { maxRetries: 2, baseDelay: "1 millis", maxDelay: "2 millis" } })
        ),
        Effect.exit
      )
      expect(transportFailure(post)).toMatchObject({ reason: "ResponseBody", attempts: 1, outcomeUnknown: true })
    })
  )

  it.scopedLive(
    "a reset before any answer is ConnectionReset; a closed port is NotSent and retried even for a POST",
    () =>
      Effect.gen(function* () {
        const server = yield* hostile((req) => req.socket.destroy())
        const reset = yield* Effect.flatMap(operations, (ops) => ops.createThing({ params, body: { name: "n" } })).pipe(
          Effect.provide(clientLayer(transport, server.url, noRetry)),
          Effect.exit
        )
        expect(transportFailure(reset)).toMatchObject({ reason: "ConnectionReset", attempts: 1, outcomeUnknown: true })

        // A port nobody listens on.
        const closedPort = yield* Effect.async<number>((resume) => {
          const probe = createServer()
          probe.listen(0, "127.0.0.1", () => {
            const port = (probe.address() as AddressInfo).port
            probe.close(() => resume(Effect.succeed(port)))
          })
        })
        const refused = yield* Effect.flatMap(operations, (ops) =>
          ops.createThing({ params, body: { name: "n" } })
        ).pipe(
          Effect.provide(
            clientLayer(transport, `http://127.0.0.1:${closedPort}`, {
              retry: { maxRetries: 2, baseDelay: "1 millis", maxDelay: "2 millis" }
            })
          ),
          Effect.exit
        )
        // The token exchange is the first request: it is refused, retried, and reported as such.
        expect(plain(failureOf(refused) as object)).toMatchObject({
          _tag: "BasiqAuthenticationError",
          attempts: 3
        })
        expect(String(failureOf(refused))).toContain("NotSent")
      })
  )

  it.scopedLive("the per-attempt deadline runs on the live clock and closes the socket", () =>
    Effect.gen(function* () {
      const server = yield* hostile(() => {
        // never answers
      })
      const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(transport, server.url, { ...noRetry, timeout: "150 millis" })),
        Effect.exit
      )
      expect(transportFailure(exit)).toMatchObject({ reason: "Timeout", attempts: 1 })
      expect(yield* server.waitClosed(1, 2_000)).toBe(true)
    })
  )

  it.scopedLive("interrupting the caller aborts the request and closes the socket", () =>
    Effect.gen(function* () {
      const server = yield* hostile(() => {
        // never answers
      })
      const layer = clientLayer(transport, server.url)
      const fiber = yield* Effect.fork(
        Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(Effect.provide(layer))
      )
      for (let i = 0; i < 200 && server.api().length === 0; i++) yield* Effect.sleep("5 millis")
      expect(server.api()).toHaveLength(1)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* server.waitClosed(1, 2_000)).toBe(true)
    })
  )

  it.scopedLive("a __proto__ key never changes a decoded object's prototype, at any depth", () =>
    Effect.gen(function* () {
      const server = yield* hostile((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(
          '{"id":"m1","__proto__":{"polluted":1},"meta":{"__proto__":{"polluted":2},"constructor":"c",' +
            '"nested":{"\\u005f_proto__":{"polluted":3},"ok":true},"prototype":"p"}}'
        )
      })
      const value = yield* Effect.flatMap(metaOperation, (getMeta) => getMeta({ params: { userId: "u1" } })).pipe(
        Effect.provide(clientLayer(transport, server.url))
      )
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
      expect(Object.getPrototypeOf(value.meta)).toBe(Object.prototype)
      const nested = value.meta.nested as object
      expect(Object.getPrototypeOf(nested)).toBe(Object.prototype)
      expect(Object.keys(value.meta).sort()).toEqual(["constructor", "nested", "prototype"])
      expect(Object.keys(nested)).toEqual(["ok"])
      expect((value.meta as { readonly polluted?: unknown }).polluted).toBeUndefined()
      expect(({} as { readonly polluted?: unknown }).polluted).toBeUndefined()
    })
  )

  it.scopedLive("a 503 with Retry-After is waited for, then retried", () =>
    Effect.gen(function* () {
      let calls = 0
      const server = yield* hostile((_req, res) => {
        calls++
        if (calls === 1) {
          res.writeHead(503, { "retry-after": "1", "content-type": "text/plain" })
          res.end("busy")
          return
        }
        res.writeHead(200, { "content-type": "application/json" })
        res.end('{"id":"t1"}')
      })
      const started = Date.now()
      const thing = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(transport, server.url, { retry: { maxRetries: 2, baseDelay: "1 millis" } }))
      )
      expect(thing).toEqual({ id: "t1" })
      expect(calls).toBe(2)
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    })
  )

  it.scopedLive("a request with a header the client cannot send leaves nothing and is NotSent", () =>
    Effect.gen(function* () {
      const server = yield* hostile((_req, res) => tokenLike(res))
      const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(
          clientLayer(transport, server.url, noRetry, (client) =>
            HttpClient.mapRequest(client, (request) =>
              request.url.endsWith("/token") ? request : HttpClientRequest.setHeader(request, "x-bad", "a\nb")
            )
          )
        ),
        Effect.exit
      )
      if (transport.shipped) {
        expect(transportFailure(exit)).toMatchObject({ reason: "NotSent", outcomeUnknown: false })
      } else {
        // A brought client reports its own rejection; the SDK cannot tell it from a network error.
        expect(transportFailure(exit)._tag).toBe("BasiqTransportError")
      }
      expect(server.api()).toHaveLength(0)
    })
  )

  if (transport.shipped) {
    it.scopedLive("never follows a redirect: a 3xx is BasiqUnexpectedStatusError and nothing goes elsewhere", () =>
      Effect.gen(function* () {
        const elsewhere = yield* hostile((_req, res) => tokenLike(res))
        const server = yield* hostile((_req, res) => {
          res.writeHead(302, { location: `${elsewhere.url}/steal` })
          res.end()
        })
        const exit = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
          Effect.provide(clientLayer(transport, server.url)),
          Effect.exit
        )
        expect(plain(failureOf(exit) as object)).toMatchObject({
          _tag: "BasiqUnexpectedStatusError",
          status: 302,
          attempts: 1
        })
        expect(elsewhere.received).toHaveLength(0)
      })
    )
  }
})

const tokenLike = (res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end('{"id":"t1"}')
}
