/**
 * The two ways to reach the engine: an in-process `fetch`, and a `node:http` server. Faults are
 * rendered the way undici (Node's `fetch`) reports the real thing.
 *
 * @internal
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Cursor } from "./bodies.js"
import type { Answer, Engine, Outcome, StreamAnswer } from "./engine.js"

/** What the transports need of an engine. */
export type Dispatcher = Pick<Engine, "dispatch">

const nullBodyStatus = (status: number) => status === 101 || status === 204 || status === 205 || status === 304

const redirectStatus = (status: number) =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308

/** As fetch: at most 20 redirects are followed. */
const maxRedirects = 20

/** Headers that describe a request body, dropped when a redirect turns the request into a GET. */
const requestBodyHeaders = [
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
  "content-length"
]

const fetchFailed = (message: string, code?: string) =>
  new TypeError("fetch failed", {
    cause: code === undefined ? new Error(message) : Object.assign(new Error(message), { code })
  })

/** undici's error when the socket closes mid-body. */
const terminated = () => {
  const cause = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
  return Object.assign(new TypeError("terminated", { cause }), { code: "UND_ERR_SOCKET" })
}

/** The whole body as one chunk. */
const whole = (body: Uint8Array): Cursor => {
  let sent = false
  return {
    next: () => {
      if (sent) return null
      sent = true
      return new Uint8Array(body)
    },
    close: () => {
      sent = true
    }
  }
}

/** The first half of the body, then the connection drops. */
const half = (body: Uint8Array): Cursor => {
  let sent = body.length <= 1
  return {
    next: () => {
      if (sent) return "drop"
      sent = true
      return body.slice(0, Math.floor(body.length / 2))
    },
    close: () => {
      sent = true
    }
  }
}

/**
 * A body as fetch gives it: chunks are produced only when read; a reader that cancels, or an abort
 * of the request's signal (the body then fails with the signal's reason, as in fetch), closes the
 * cursor, and nothing more is produced.
 */
const readable = (cursor: Cursor, signal: AbortSignal): ReadableStream<Uint8Array<ArrayBuffer>> => {
  let open = true
  let onAbort = () => {}
  const close = () => {
    if (!open) return
    open = false
    signal.removeEventListener("abort", onAbort)
    cursor.close()
  }
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      start(controller) {
        onAbort = () => {
          close()
          controller.error(signal.reason)
        }
        if (signal.aborted) onAbort()
        else signal.addEventListener("abort", onAbort, { once: true })
      },
      pull(controller) {
        const chunk = cursor.next()
        if (chunk === null) {
          close()
          controller.close()
        } else if (chunk === "drop") {
          close()
          controller.error(terminated())
        } else {
          controller.enqueue(chunk)
        }
      },
      cancel() {
        close()
      }
    },
    { highWaterMark: 0 }
  )
}

/**
 * The formats fetch would decode, outermost last as listed in `content-encoding`; `undefined` when
 * there is nothing to decode or a coding is unknown (fetch then leaves the whole body as sent).
 * `br` is decoded by Node's fetch but not here: a brotli body arrives as sent.
 */
const decoders = (headers: Headers): ReadonlyArray<"gzip" | "deflate"> | undefined => {
  const header = headers.get("content-encoding")
  if (header === null) return undefined
  const formats: Array<"gzip" | "deflate"> = []
  for (const coding of header
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .reverse()) {
    if (coding === "gzip" || coding === "x-gzip") formats.push("gzip")
    else if (coding === "deflate") formats.push("deflate")
    else return undefined
  }
  return formats.length === 0 ? undefined : formats
}

type Answered = Exclude<Outcome, { readonly _tag: "Reset" }>

/** The headers as received: those of a complete answer carry its `content-length`, unless given. */
const received = (outcome: Answered): Headers => {
  if (outcome._tag === "Stream" || outcome.answer.headers.has("content-length")) return outcome.answer.headers
  const headers = new Headers(outcome.answer.headers)
  if (!nullBodyStatus(outcome.answer.status)) headers.set("content-length", String(outcome.answer.body.length))
  return headers
}

/** The `Response` fetch would give: null body for HEAD and null-body statuses, decoded as fetch decodes. */
const toResponse = (outcome: Answered, method: string, signal: AbortSignal): Response => {
  const status = outcome.answer.status
  const headers = received(outcome)
  if (nullBodyStatus(status) || method === "HEAD") return new Response(null, { status, headers })
  const formats = decoders(headers)
  if (outcome._tag === "Respond" && formats === undefined) {
    return new Response(new Uint8Array(outcome.answer.body), { status, headers })
  }
  const cursor =
    outcome._tag === "Respond"
      ? whole(outcome.answer.body)
      : outcome._tag === "Truncate"
        ? half(outcome.answer.body)
        : outcome.answer.body.open()
  const body = (formats ?? []).reduce(
    (stream, format) => stream.pipeThrough(new DecompressionStream(format)),
    readable(cursor, signal)
  )
  return new Response(body, { status, headers })
}

/** Sets what fetch sets on its responses and a constructed `Response` cannot: the final URL, whether redirected. */
const located = (response: Response, url: URL, redirected: boolean): Response => {
  Object.defineProperty(response, "url", { value: url.href })
  Object.defineProperty(response, "redirected", { value: redirected })
  return response
}

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

/**
 * A `fetch` answered by the engine, failing like undici on resets and truncations. Redirects follow
 * `init.redirect`: `"manual"` returns the 3xx as is, `"error"` rejects, `"follow"` (the default)
 * dispatches again to a `Location` on the same origin (method and body rewritten as fetch does) and
 * rejects like an unreachable host for any other origin. Bodies are decoded as fetch decodes them.
 */
export const makeFetch =
  (engine: Dispatcher): typeof globalThis.fetch =>
  async (input, init) => {
    const request = new Request(input, init)
    const signal = request.signal
    signal.throwIfAborted()
    let method = request.method
    let url = new URL(request.url)
    const headers = new Headers(request.headers)
    let body = new Uint8Array(await request.arrayBuffer())
    for (let redirects = 0; ; redirects++) {
      const outcome: Outcome = await abortable(engine.dispatch({ method, url, headers, body }, signal), signal)
      if (outcome._tag === "Reset") {
        throw outcome.applied
          ? fetchFailed("other side closed", "ECONNRESET")
          : fetchFailed("connect ECONNREFUSED 127.0.0.1:443", "ECONNREFUSED")
      }
      const status = outcome.answer.status
      const location =
        outcome._tag === "Respond" && redirectStatus(status) ? outcome.answer.headers.get("location") : null
      if (location === null || request.redirect === "manual") {
        return located(toResponse(outcome, method, signal), url, redirects > 0)
      }
      if (request.redirect === "error") throw fetchFailed("unexpected redirect")
      if (redirects >= maxRedirects) throw fetchFailed("redirect count exceeded")
      const target = URL.canParse(location, url) ? new URL(location, url) : undefined
      if (target === undefined) throw fetchFailed("Invalid URL")
      if (target.protocol !== "http:" && target.protocol !== "https:") {
        throw fetchFailed("URL scheme must be a HTTP(S) scheme")
      }
      if (target.origin !== url.origin) throw fetchFailed(`getaddrinfo ENOTFOUND ${target.hostname}`, "ENOTFOUND")
      if (
        ((status === 301 || status === 302) && method === "POST") ||
        (status === 303 && method !== "GET" && method !== "HEAD")
      ) {
        method = "GET"
        body = new Uint8Array()
        for (const name of requestBodyHeaders) headers.delete(name)
      }
      url = target
    }
  }

/** Whether `origin` (an `Origin` header) is a page on this machine: http(s) on a loopback host, any port. */
export const isLoopbackOrigin = (origin: string | undefined): origin is string => {
  if (origin === undefined || !URL.canParse(origin)) return false
  const url = new URL(origin)
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin) return false
  return url.hostname === "localhost" || url.hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(url.hostname)
}

/** The headers a browser needs to read an answer for `origin`: only a loopback origin gets any. */
const corsHeaders = (origin: string | undefined): Record<string, string> =>
  isLoopbackOrigin(origin)
    ? {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": "Retry-After",
        vary: "Origin"
      }
    : {}

/** Request header names as a preflight may list them: tokens separated by commas. */
const headerList = /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*\s*$/

/**
 * A CORS preflight's answer (an `OPTIONS` with `Access-Control-Request-Method`), given by the
 * server itself: never journaled, never taking a fault (those are for the request that follows).
 * A loopback origin may use any method and the headers it asks for; any other origin gets 403
 * without CORS headers, so the browser refuses.
 */
const preflight = (req: IncomingMessage, res: ServerResponse) => {
  const origin = req.headers.origin
  if (!isLoopbackOrigin(origin)) {
    res.writeHead(403, { "content-length": "0", vary: "Origin" })
    res.end()
    return
  }
  const asked = req.headers["access-control-request-headers"]
  const headers: Record<string, string> = {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
    "access-control-max-age": "600",
    vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    "content-length": "0"
  }
  if (asked !== undefined && headerList.test(asked)) headers["access-control-allow-headers"] = asked
  if (req.headers["access-control-request-private-network"] === "true") {
    headers["access-control-allow-private-network"] = "true"
  }
  res.writeHead(204, headers)
  res.end()
}

/** The headers of a complete answer: as given, plus its `content-length` unless given. */
const nodeHeaders = (
  status: number,
  headers: Headers,
  length: number | undefined,
  cors: Readonly<Record<string, string>>
) => {
  const out: Record<string, string> = { ...cors }
  headers.forEach((value, key) => {
    out[key] = value
  })
  if (!nullBodyStatus(status) && length !== undefined && out["content-length"] === undefined) {
    out["content-length"] = String(length)
  }
  return out
}

/**
 * Writes a produced body as it is accepted (waiting for `drain`), until it ends, drops, or the
 * connection closes (the cursor is then closed and nothing more is produced). A body with a
 * duration bound destroys the connection when it is still sending after that long.
 */
const pump = (
  req: IncomingMessage,
  res: ServerResponse,
  { status, headers, body }: StreamAnswer,
  cors: Readonly<Record<string, string>>
) => {
  res.writeHead(status, nodeHeaders(status, headers, body.length, cors))
  if (nullBodyStatus(status) || req.method === "HEAD") {
    res.end()
    return
  }
  const cursor = body.open()
  let done = false
  const timer =
    body.maxDurationMs === undefined ? undefined : setTimeout(() => req.socket.destroy(), body.maxDurationMs)
  timer?.unref()
  const finish = () => {
    if (done) return
    done = true
    clearTimeout(timer)
    cursor.close()
  }
  res.once("close", finish)
  const step = () => {
    while (!done) {
      const chunk = cursor.next()
      if (chunk === null) {
        finish()
        res.end()
        return
      }
      if (chunk === "drop") {
        finish()
        req.socket.destroy()
        return
      }
      if (!res.write(chunk)) {
        res.once("drain", step)
        return
      }
    }
  }
  step()
}

const write = (req: IncomingMessage, res: ServerResponse, outcome: Outcome) => {
  const cors = corsHeaders(req.headers.origin)
  switch (outcome._tag) {
    case "Reset":
      req.socket.destroy()
      return
    case "Respond": {
      const { status, headers, body }: Answer = outcome.answer
      res.writeHead(status, nodeHeaders(status, headers, body.length, cors))
      res.end(nullBodyStatus(status) ? undefined : body)
      return
    }
    case "Stream":
      pump(req, res, outcome.answer, cors)
      return
    case "Truncate": {
      const { status, headers, body } = outcome.answer
      res.writeHead(status, nodeHeaders(status, headers, body.length, cors))
      // As in memory: an answer without a body has nothing to cut off, and arrives whole.
      if (nullBodyStatus(status) || req.method === "HEAD") {
        res.end()
        return
      }
      // The status and headers go out even when the half to send is empty.
      res.flushHeaders()
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
      return
    }
  }
}

/**
 * Answers `server`'s requests with the engine; `origin` is the server's own URL. Browsers on this
 * machine may call it: CORS preflights are answered here, and every answer to a loopback
 * `Origin` carries `Access-Control-Allow-Origin` (and exposes `Retry-After`), faults included.
 */
export const attach = (server: Server, engine: Dispatcher, origin: string): void => {
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      req.resume()
      req.on("end", () => preflight(req, res))
      return
    }
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
