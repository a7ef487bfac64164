import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"

const withServer = <A, E>(
  handler: Parameters<typeof createServer>[1],
  f: (url: string) => Effect.Effect<A, E, HttpClient.HttpClient>
) =>
  Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      const server = createServer(handler)
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.flatMap((server) => f(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
    Effect.provide(UndiciHttpClient.layer),
    Effect.scoped
  )

describe("UndiciHttpClient", () => {
  it.live("sends method, headers and body, and reads status, headers and body", () =>
    withServer(
      (req, res) => {
        let body = ""
        req.on("data", (chunk) => {
          body += chunk
        })
        req.on("end", () => {
          res.writeHead(201, { "content-type": "application/json", "x-test": "yes" })
          res.end(JSON.stringify({ method: req.method, url: req.url, body, ct: req.headers["content-type"] }))
        })
      },
      (url) =>
        Effect.gen(function* () {
          const client = yield* HttpClient.HttpClient
          const response = yield* client.execute(
            HttpClientRequest.post(`${url}/a/b`).pipe(
              HttpClientRequest.setUrlParam("filter", "status.eq('active')"),
              HttpClientRequest.bodyUnsafeJson({ x: 1 })
            )
          )
          expect(response.status).toBe(201)
          expect(response.headers["x-test"]).toBe("yes")
          const json = yield* response.json
          expect(json).toEqual({
            method: "POST",
            url: "/a/b?filter=status.eq%28%27active%27%29",
            body: '{"x":1}',
            ct: "application/json"
          })
        })
    )
  )

  it.live("reads a 204 without a body", () =>
    withServer(
      (_req, res) => {
        res.writeHead(204)
        res.end()
      },
      (url) =>
        Effect.gen(function* () {
          const response = yield* (yield* HttpClient.HttpClient).del(`${url}/x`)
          expect(response.status).toBe(204)
          expect(yield* response.text).toBe("")
        })
    )
  )

  it.live("a refused connection is a transport RequestError with ECONNREFUSED in its cause", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const error = yield* Effect.flip(client.get("http://127.0.0.1:1/nothing"))
      expect(error._tag).toBe("RequestError")
      const codes: Array<unknown> = []
      let cause: unknown = error.cause
      while (typeof cause === "object" && cause !== null) {
        codes.push((cause as { code?: unknown }).code)
        cause = (cause as { cause?: unknown }).cause
      }
      expect(codes).toContain("ECONNREFUSED")
    }).pipe(Effect.provide(UndiciHttpClient.layer))
  )

  it.live("interrupting the caller aborts the request", () => {
    let closed!: () => void
    let received!: () => void
    const closedPromise = new Promise<void>((resolve) => {
      closed = resolve
    })
    const receivedPromise = new Promise<void>((resolve) => {
      received = resolve
    })
    return withServer(
      (req) => {
        received()
        req.on("close", () => closed())
      },
      (url) =>
        Effect.gen(function* () {
          const fiber = yield* Effect.fork((yield* HttpClient.HttpClient).get(`${url}/slow`))
          yield* Effect.promise(() => receivedPromise)
          const exit = yield* Fiber.interrupt(fiber)
          expect(Exit.isInterrupted(exit)).toBe(true)
          yield* Effect.promise(() => closedPromise)
        })
    )
  })
})
