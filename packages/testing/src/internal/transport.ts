/**
 * The two ways to reach the engine: an in-process `fetch`, and a `node:http` server. Faults are
 * rendered the way undici (Node's `fetch`) reports the real thing.
 *
 * @internal
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Answer, Engine, Outcome } from "./engine.js"

const nullBodyStatus = (status: number) => status === 101 || status === 204 || status === 205 || status === 304

const fetchFailed = (message: string, code: string) =>
  new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) })

const truncatedBody = (body: Uint8Array): ReadableStream<Uint8Array> => {
  let sent = false
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent && body.length > 1) {
        sent = true
        controller.enqueue(body.slice(0, Math.floor(body.length / 2)))
        return
      }
      const cause = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
      controller.error(Object.assign(new TypeError("terminated", { cause }), { code: "UND_ERR_SOCKET" }))
    }
  })
}

const toResponse = ({ status, headers, body }: Answer, truncate: boolean): Response =>
  nullBodyStatus(status)
    ? new Response(null, { status, headers })
    : new Response(truncate ? truncatedBody(body) : new Uint8Array(body), { status, headers })

const abortable = <A>(promise: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })

/** A `fetch` answered by the engine, failing like undici on resets and truncations. */
export const makeFetch =
  (engine: Engine): typeof globalThis.fetch =>
  async (input, init) => {
    const request = new Request(input, init)
    const signal = request.signal
    signal.throwIfAborted()
    const body = new Uint8Array(await request.arrayBuffer())
    const incoming = { method: request.method, url: new URL(request.url), headers: request.headers, body }
    const outcome: Outcome = await abortable(engine.dispatch(incoming, signal), signal)
    switch (outcome._tag) {
      case "Respond":
        return toResponse(outcome.answer, false)
      case "Truncate":
        return toResponse(outcome.answer, true)
      case "Reset":
        throw outcome.applied
          ? fetchFailed("other side closed", "ECONNRESET")
          : fetchFailed("connect ECONNREFUSED 127.0.0.1:443", "ECONNREFUSED")
    }
  }

const nodeHeaders = ({ status, headers, body }: Answer) => {
  const out: Record<string, string> = {}
  headers.forEach((value, key) => {
    out[key] = value
  })
  if (!nullBodyStatus(status)) out["content-length"] = String(body.length)
  return out
}

const write = (req: IncomingMessage, res: ServerResponse, outcome: Outcome) => {
  switch (outcome._tag) {
    case "Reset":
      req.socket.destroy()
      return
    case "Respond":
      res.writeHead(outcome.answer.status, nodeHeaders(outcome.answer))
      res.end(nullBodyStatus(outcome.answer.status) ? undefined : outcome.answer.body)
      return
    case "Truncate": {
      const { status, body } = outcome.answer
      res.writeHead(status, nodeHeaders(outcome.answer))
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
      return
    }
  }
}

/** Answers `server`'s requests with the engine; `origin` is the server's own URL. */
export const attach = (server: Server, engine: Engine, origin: string): void => {
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Uint8Array> = []
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk))
    req.on("end", () => {
      const controller = new AbortController()
      res.on("close", () => controller.abort())
      const headers = new Headers()
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value)
      }
      const body = new Uint8Array(Buffer.concat(chunks))
      const url = new URL(req.url ?? "/", origin)
      engine.dispatch({ method: req.method ?? "GET", url, headers, body }, controller.signal).then(
        (outcome) => write(req, res, outcome),
        () => req.socket.destroy()
      )
    })
  })
}
