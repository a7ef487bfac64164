/**
 * A hostile Basiq on loopback (node:http): `/token` answers a token, every other route runs the
 * test's handler. Requests are recorded; sockets are tracked so a test can see one closed. And the
 * transports the suite runs on, as the matrix of clients users run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { BasiqClient, BasiqConfig, FetchTransport } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Effect, Layer, type Scope } from "effect"

const HttpClientTag = HttpClient.HttpClient

/** One request the hostile server received. */
export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface Hostile {
  readonly url: string
  readonly received: ReadonlyArray<Received>
  /** Requests other than `/token`. */
  readonly api: () => ReadonlyArray<Received>
  /** How many sockets closed so far. */
  readonly closedSockets: () => number
  /** Resolves when `n` sockets have closed, or after `ms` (then false). */
  readonly waitClosed: (n: number, ms: number) => Effect.Effect<boolean>
}

export const apiKey = "sk_hostile_KEY"

/** A Basiq token answer. */
export const tokenAnswer = (res: ServerResponse, token = "tok_1") => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }))
}

/** Starts the server for the scope. */
export const hostile = (handler: Handler): Effect.Effect<Hostile, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: Server; hostile: Hostile }>((resume) => {
      const received: Array<Received> = []
      let closed = 0
      const sockets = new Set<Socket>()
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8")
          const path = (req.url ?? "/").split("?")[0]!
          received.push({ method: req.method ?? "GET", path, headers: req.headers, body })
          if (path === "/token") tokenAnswer(res)
          else handler(req, res, body)
        })
      })
      server.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => {
          sockets.delete(socket)
          closed++
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(
          Effect.succeed({
            server,
            hostile: {
              url,
              received,
              api: () => received.filter((r) => r.path !== "/token"),
              closedSockets: () => closed,
              waitClosed: (n, ms) =>
                Effect.promise(
                  () =>
                    new Promise<boolean>((resolve) => {
                      const started = Date.now()
                      const check = () => {
                        if (closed >= n) resolve(true)
                        else if (Date.now() - started > ms) resolve(false)
                        else setTimeout(check, 5)
                      }
                      check()
                    })
                )
            }
          })
        )
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ hostile }) => hostile))

/** A transport of the matrix. */
export interface Transport {
  readonly name: string
  /** Whether the SDK ships it (redirects and decompression are then the SDK's). */
  readonly shipped: boolean
  readonly layer: Layer.Layer<HttpClient.HttpClient>
}

/** The clients users run: the two shipped transports, and platform's `FetchHttpClient` brought by the user. */
export const transports: ReadonlyArray<Transport> = [
  { name: "UndiciHttpClient", shipped: true, layer: UndiciHttpClient.layer },
  { name: "FetchTransport", shipped: true, layer: FetchTransport.layer },
  { name: "FetchHttpClient (brought)", shipped: false, layer: FetchHttpClient.layer }
]

/** Config, auth and client over a transport (optionally wrapped), against the hostile server. */
export const clientLayer = (
  transport: Transport,
  url: string,
  options: Partial<BasiqConfig.Options> = {},
  wrap: (client: HttpClient.HttpClient) => HttpClient.HttpClient = (client) => client
) =>
  BasiqClient.layerFrom(BasiqConfig.layer({ apiKey, baseUrl: url, ...options })).pipe(
    Layer.provide(Layer.effect(HttpClientTag, Effect.map(HttpClientTag, wrap)).pipe(Layer.provide(transport.layer))),
    Layer.orDie
  )
