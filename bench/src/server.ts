/**
 * The bench server, run in a child process (so the client's CPU is measured alone): `node:http`
 * on 127.0.0.1 with keep-alive, serving `POST /token` and the ~2 KB connection for any
 * `GET /users/{userId}/connections/{connectionId}`. Talks to the parent over IPC: it sends
 * `{ port }` once listening and answers `stats` and `reset` messages.
 */
import * as Http from "node:http"
import { accessToken, smallJson } from "./fixtures.js"

const connectionBody = Buffer.from(smallJson)
const tokenBody = Buffer.from(JSON.stringify({ access_token: accessToken, token_type: "Bearer", expires_in: 3600 }))
const unauthorized = Buffer.from(
  JSON.stringify({
    type: "list",
    correlationId: "bench",
    data: [{ type: "error", code: "unauthorized-access", title: "Unauthorized", detail: "no bearer token" }]
  })
)

let tokens = 0
let requests = 0

const send = (res: Http.ServerResponse, status: number, body: Buffer): void => {
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length })
  res.end(body)
}

const server = Http.createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
  requests++
  const url = req.url ?? "/"
  if (req.method === "POST" && url === "/token") {
    // Drain the form body before answering.
    req.resume()
    req.on("end", () => {
      tokens++
      send(res, 200, tokenBody)
    })
    return
  }
  if (req.method === "GET" && url.startsWith("/users/") && url.includes("/connections/")) {
    const auth = req.headers.authorization
    if (auth === undefined || !auth.startsWith("Bearer ")) return send(res, 401, unauthorized)
    return send(res, 200, connectionBody)
  }
  send(res, 404, Buffer.from('{"type":"list","data":[{"code":"resource-not-found"}]}'))
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000
server.maxRequestsPerSocket = 0

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  process.send?.({ type: "listening", port: address.port })
})

process.on("message", (message: { readonly type: string }) => {
  if (message.type === "stats") process.send?.({ type: "stats", tokens, requests })
  if (message.type === "reset") {
    tokens = 0
    requests = 0
    process.send?.({ type: "reset" })
  }
  if (message.type === "close") server.close(() => process.exit(0))
})
process.on("disconnect", () => process.exit(0))
