/**
 * The hostile faults (redirect, raw body, huge, endless and compressed bodies) as plain clients see
 * them: the in-process `fetch` the layer's transport is given, and `fetch` / `node:http` against the
 * served fake. What a client does with them is the SDK's business, tested with the SDK.
 */
import * as http from "node:http"
import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import * as Bodies from "../src/internal/bodies.js"
import * as Transport from "../src/internal/transport.js"
import { BASE, inMemoryFetch, tokenHeaders } from "./helpers.js"

const { Fault } = InMemoryBasiq

type Fetch = typeof globalThis.fetch

const MiB = 1024 * 1024

const tokenOf = async (fetch: Fetch, base: string): Promise<string> => {
  const response = await fetch(`${base}/token`, {
    method: "POST",
    headers: { ...tokenHeaders, "content-type": "application/x-www-form-urlencoded" },
    body: "scope=SERVER_ACCESS"
  })
  return ((await response.json()) as { readonly access_token: string }).access_token
}

/** Reads a body to its end: how many bytes, the first and last few. */
const drain = async (body: ReadableStream<Uint8Array> | null) => {
  const reader = (body ?? new Blob([]).stream()).getReader()
  let bytes = 0
  let chunks = 0
  let largest = 0
  let first = ""
  let last: Uint8Array = new Uint8Array()
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    if (first.length < 16) first += new TextDecoder().decode(read.value.subarray(0, 16 - first.length))
    bytes += read.value.length
    chunks++
    largest = Math.max(largest, read.value.length)
    last = read.value.length >= 16 ? read.value.subarray(-16) : new Uint8Array([...last, ...read.value]).slice(-16)
  }
  return { bytes, chunks, largest, first, last: new TextDecoder().decode(last) }
}

/** Reads at least `bytes` bytes, then cancels the reader. */
const readSome = async (body: ReadableStream<Uint8Array> | null, bytes: number) => {
  const reader = (body ?? new Blob([]).stream()).getReader()
  let read = 0
  while (read < bytes) {
    const next = await reader.read()
    if (next.done) break
    read += next.value.length
  }
  await reader.cancel()
  return read
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error as TypeError & { readonly cause: Error & { readonly code?: string } }
  )

describe("Fault.redirect in memory", () => {
  it.effect("manual: the 3xx as is, with Location and an empty body; the routes never run", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const user = yield* basiq.createUser()
      const token = yield* Effect.promise(() => tokenOf(fetch, BASE))
      yield* basiq.injectFault({ method: "POST", fault: Fault.redirect({ location: "https://elsewhere.example/x" }) })
      const { status, location, text } = yield* Effect.promise(async () => {
        const response = await fetch(`${BASE}/users/${user.id}/connections`, {
          method: "POST",
          redirect: "manual",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ loginId: "jared", password: "django", institution: { id: "AU00000" } })
        })
        return { status: response.status, location: response.headers.get("location"), text: await response.text() }
      })
      expect(status).toBe(302)
      expect(location).toBe("https://elsewhere.example/x")
      expect(text).toBe("")
      const listed = yield* Effect.promise(async () => {
        const response = await fetch(`${BASE}/users/${user.id}/connections`, {
          headers: { authorization: `Bearer ${token}` }
        })
        return (await response.json()) as { readonly data: ReadonlyArray<unknown> }
      })
      expect(listed.data).toEqual([])
      for (const redirect of [301, 303, 307, 308] as const) {
        yield* basiq.injectFault({ fault: Fault.redirect({ status: redirect, location: "/jobs/x" }) })
        const response = yield* Effect.promise(() => fetch(`${BASE}/users/${user.id}`, { redirect: "manual" }))
        expect(response.status).toBe(redirect)
        expect(response.headers.get("location")).toBe("/jobs/x")
      }
    })
  )

  it.effect("follow, same origin: requested again with the same headers; the journal shows both", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const user = yield* basiq.createUser({ email: "max@hooli.example" })
      const token = yield* Effect.promise(() => tokenOf(fetch, BASE))
      yield* basiq.injectFault({
        path: "/moved",
        fault: Fault.redirect({ status: 301, location: `/users/${user.id}` })
      })
      const response = yield* Effect.promise(() =>
        fetch(`${BASE}/moved`, { headers: { authorization: `Bearer ${token}`, "x-trace": "t1" } })
      )
      expect(response.status).toBe(200)
      expect(response.redirected).toBe(true)
      expect(response.url).toBe(`${BASE}/users/${user.id}`)
      expect(yield* Effect.promise(() => response.json())).toMatchObject({ type: "user", id: user.id })
      const journal = (yield* basiq.journal).slice(-2)
      expect(journal.map((entry) => `${entry.method} ${entry.path}`)).toEqual(["GET /moved", `GET /users/${user.id}`])
      for (const entry of journal) {
        expect(entry.headers.authorization).toBe("<redacted>")
        expect(entry.headers["x-trace"]).toBe("t1")
      }
      expect(JSON.stringify(journal)).not.toContain(token)
    })
  )

  it.effect("follow: 307 repeats the POST with its body, 303 turns it into a GET without one", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const token = yield* Effect.promise(() => tokenOf(fetch, BASE))
      const post = () =>
        fetch(`${BASE}/users`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ email: "gavin@hooli.example" })
        })
      yield* basiq.injectFault({
        method: "POST",
        path: "/users",
        fault: Fault.redirect({ status: 307, location: "/users" })
      })
      const repeated = yield* Effect.promise(post)
      expect(repeated.status).toBe(201)
      const created = (yield* Effect.promise(() => repeated.json())) as { readonly id: string }
      const twice = (yield* basiq.journal).slice(-2)
      expect(twice.map((entry) => entry.method)).toEqual(["POST", "POST"])
      expect(twice[1]?.body).toEqual({ email: "gavin@hooli.example" })
      expect(twice[1]?.headers["content-type"]).toBe("application/json")

      yield* basiq.injectFault({
        method: "POST",
        path: "/users",
        fault: Fault.redirect({ status: 303, location: `/users/${created.id}` })
      })
      const seeOther = yield* Effect.promise(post)
      expect(seeOther.status).toBe(200)
      expect(yield* Effect.promise(() => seeOther.json())).toMatchObject({ id: created.id })
      const last = (yield* basiq.journal).at(-1)
      expect(last?.method).toBe("GET")
      expect(last?.body).toBeUndefined()
      expect(last?.headers["content-type"]).toBeUndefined()
      expect(last?.headers.authorization).toBe("<redacted>")
    })
  )

  it.effect("follow, another origin: rejects like an unreachable host; nothing more is sent", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.redirect({ location: "https://evil.example/steal" }) })
      const error = yield* Effect.promise(() =>
        rejection(fetch(`${BASE}/users/u1`, { headers: { authorization: "Bearer secret-token" } }))
      )
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toBe("fetch failed")
      expect(error.cause.code).toBe("ENOTFOUND")
      expect(error.cause.message).toContain("evil.example")
      const journal = yield* basiq.journal
      expect(journal).toHaveLength(1)
      expect(journal[0]?.headers.authorization).toBe("<redacted>")
      expect(JSON.stringify(journal)).not.toContain("secret-token")
    })
  )

  it.effect("redirect: 'error' rejects; a loop stops after 20 redirects", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.redirect({ location: "/users/u1" }) })
      const refused = yield* Effect.promise(() => rejection(fetch(`${BASE}/users/u1`, { redirect: "error" })))
      expect(refused.message).toBe("fetch failed")
      expect(refused.cause.message).toBe("unexpected redirect")

      yield* basiq.injectFault({ path: "/loop", times: 100, fault: Fault.redirect({ location: "/loop" }) })
      const before = (yield* basiq.journal).length
      const looped = yield* Effect.promise(() => rejection(fetch(`${BASE}/loop`)))
      expect(looped.message).toBe("fetch failed")
      expect(looped.cause.message).toBe("redirect count exceeded")
      expect((yield* basiq.journal).length - before).toBe(21)
    })
  )
})

describe("Fault.body in memory", () => {
  it.effect("exactly these bytes and headers, the routes not run", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const polluted = '{"__proto__":{"polluted":true},"type":"user","id":"u1"}'
      yield* basiq.injectFault({
        fault: Fault.body({ headers: { "content-type": "application/json", "x-odd": "1" }, body: polluted })
      })
      const json = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(json.status).toBe(200)
      expect(json.headers.get("content-type")).toBe("application/json")
      expect(json.headers.get("x-odd")).toBe("1")
      expect(json.headers.get("content-length")).toBe(String(polluted.length))
      expect(yield* Effect.promise(() => json.text())).toBe(polluted)

      const bytes = new Uint8Array([0, 255, 10, 13, 0x7b])
      yield* basiq.injectFault({ fault: Fault.body({ status: 418, body: bytes }) })
      const binary = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(binary.status).toBe(418)
      expect(binary.headers.get("content-type")).toBeNull()
      expect(new Uint8Array(yield* Effect.promise(() => binary.arrayBuffer()))).toEqual(bytes)

      yield* basiq.injectFault({ fault: Fault.body({ body: "ab", headers: { "content-length": "9" } }) })
      const lying = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(lying.headers.get("content-length")).toBe("9")
      expect(yield* Effect.promise(() => lying.text())).toBe("ab")
    })
  )

  it.effect("a gzip or deflate body is decoded as fetch decodes it; an unknown coding arrives as sent", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const text = JSON.stringify({ type: "user", id: "u1", padding: "p".repeat(1000) })
      const gzipped = gzipSync(text)
      yield* basiq.injectFault({ fault: Fault.body({ headers: { "content-encoding": "gzip" }, body: gzipped }) })
      const gzip = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(gzip.headers.get("content-encoding")).toBe("gzip")
      expect(gzip.headers.get("content-length")).toBe(String(gzipped.length))
      expect(yield* Effect.promise(() => gzip.text())).toBe(text)

      yield* basiq.injectFault({
        fault: Fault.body({ headers: { "content-encoding": "deflate" }, body: deflateSync(text) })
      })
      expect(yield* Effect.promise(() => fetch(`${BASE}/users/u1`).then((r) => r.text()))).toBe(text)

      yield* basiq.injectFault({
        fault: Fault.body({ headers: { "content-encoding": "gzip, deflate" }, body: deflateSync(gzipped) })
      })
      expect(yield* Effect.promise(() => fetch(`${BASE}/users/u1`).then((r) => r.text()))).toBe(text)

      yield* basiq.injectFault({ fault: Fault.body({ headers: { "content-encoding": "br" }, body: gzipped }) })
      const brotli = yield* Effect.promise(() => fetch(`${BASE}/users/u1`).then((r) => r.arrayBuffer()))
      expect(new Uint8Array(brotli)).toEqual(new Uint8Array(gzipped))

      yield* basiq.injectFault({
        fault: Fault.body({ headers: { "content-encoding": "gzip" }, body: "not gzip at all" })
      })
      const corrupt = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(corrupt.status).toBe(200)
      expect(yield* Effect.promise(() => rejection(corrupt.text()))).toBeInstanceOf(Error)
    })
  )
})

describe("Fault.hugeBody in memory", () => {
  it.effect("announces content-length and streams that many bytes of JSON-looking text in small chunks", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const bytes = 5 * MiB + 3
      yield* basiq.injectFault({ fault: Fault.hugeBody({ bytes }) })
      const response = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("content-length")).toBe(String(bytes))
      const read = yield* Effect.promise(() => drain(response.body))
      expect(read.bytes).toBe(bytes)
      expect(read.largest).toBeLessThanOrEqual(64 * 1024)
      expect(read.first).toBe('{"data":"xxxxxxx')
      expect(read.last).toBe('xxxxxxxxxxxxxx"}')

      yield* basiq.injectFault({ fault: Fault.hugeBody({ bytes: 100, status: 500 }) })
      const small = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(small.status).toBe(500)
      expect(JSON.parse(yield* Effect.promise(() => small.text()))).toEqual({ data: "x".repeat(89) })
      for (const [size, text] of [
        [0, ""],
        [4, '{"da'],
        [11, '{"data":""}']
      ] as const) {
        yield* basiq.injectFault({ fault: Fault.hugeBody({ bytes: size }) })
        expect(yield* Effect.promise(() => fetch(`${BASE}/users/u1`).then((r) => r.text()))).toBe(text)
      }
    })
  )

  it("the constructors refuse sizes, statuses and headers that cannot be sent, without echoing values", () => {
    expect(() => Fault.hugeBody({ bytes: -1 })).toThrow(RangeError)
    expect(() => Fault.hugeBody({ bytes: 1.5 })).toThrow("Fault.hugeBody: bytes must be a non-negative integer")
    expect(() => Fault.gzipBomb({ inflatedBytes: Number.NaN })).toThrow(RangeError)
    expect(() => Fault.endlessBody({ status: 101 })).toThrow(
      "Fault.endlessBody: status must be an integer from 200 to 599"
    )
    expect(() => Fault.body({ status: 600, body: "" })).toThrow(RangeError)
    expect(() => Fault.body({ body: "", headers: { "x-secret": "tok\r\nen" } })).toThrow(
      'Fault.body: header "x-secret" cannot be sent'
    )
    expect(() => Fault.redirect({ location: "/a\nb" })).toThrow('Fault.redirect: header "location" cannot be sent')
    expect(Fault.hugeBody({ bytes: 0 })).toEqual({ _tag: "HugeBody", bytes: 0, status: 200 })
  })
})

describe("Fault.endlessBody in memory", () => {
  it.effect("200, JSON, no content-length, and more bytes as long as one reads", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.endlessBody() })
      const response = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("content-length")).toBeNull()
      expect(yield* Effect.promise(() => readSome(response.body, 8 * MiB))).toBeGreaterThanOrEqual(8 * MiB)

      yield* basiq.injectFault({ fault: Fault.endlessBody({ status: 503 }) })
      const unavailable = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(unavailable.status).toBe(503)
      yield* Effect.promise(() => readSome(unavailable.body, 1))
    })
  )

  it.effect("aborting the request fails the read with the abort reason, as fetch does", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.endlessBody() })
      const controller = new AbortController()
      const error = yield* Effect.promise(async () => {
        const response = await fetch(`${BASE}/users/u1`, { signal: controller.signal })
        const reader = (response.body ?? new Blob([]).stream()).getReader()
        await reader.read()
        controller.abort()
        return reader.read().then(
          () => undefined,
          (e: unknown) => e
        )
      })
      expect(error).toBeInstanceOf(DOMException)
      expect((error as DOMException).name).toBe("AbortError")
    })
  )
})

describe("Fault.gzipBomb in memory", () => {
  it.effect("a small gzip body that fetch inflates to the declared size", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      const inflatedBytes = 64 * MiB
      yield* basiq.injectFault({ fault: Fault.gzipBomb({ inflatedBytes }) })
      const response = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("content-encoding")).toBe("gzip")
      const compressed = Number(response.headers.get("content-length"))
      expect(compressed).toBeGreaterThan(0)
      expect(compressed).toBeLessThan(128 * 1024)
      const read = yield* Effect.promise(() => drain(response.body))
      expect(read.bytes).toBe(inflatedBytes)
      expect(read.first).toBe('{"data":"0000000')
      expect(read.last).toBe('00000000000000"}')
    })
  )

  it.effect("deflate: the same, with content-encoding deflate", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.gzipBomb({ inflatedBytes: 3 * MiB + 1, encoding: "deflate" }) })
      const response = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      expect(response.headers.get("content-encoding")).toBe("deflate")
      expect(Number(response.headers.get("content-length"))).toBeLessThan(8 * 1024)
      expect((yield* Effect.promise(() => drain(response.body))).bytes).toBe(3 * MiB + 1)
    })
  )

  it.effect("the body is inflated as it is read, not at once", () =>
    Effect.gen(function* () {
      const { fetch, basiq } = yield* inMemoryFetch()
      yield* basiq.injectFault({ fault: Fault.gzipBomb({ inflatedBytes: 256 * MiB }) })
      const response = yield* Effect.promise(() => fetch(`${BASE}/users/u1`))
      const read = yield* Effect.promise(() => readSome(response.body, MiB))
      expect(read).toBeGreaterThanOrEqual(MiB)
      expect(read).toBeLessThan(64 * MiB)
    })
  )
})

/** `node:http` as the rawest client: bytes as they came over the wire, no decoding. */
const rawGet = (url: string) =>
  new Promise<{ readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly body: Buffer }>(
    (resolve, reject) => {
      http
        .get(url, (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
          )
          res.on("error", reject)
        })
        .on("error", reject)
    }
  )

/** Counts the bytes of a `node:http` answer without keeping them. */
const rawCount = (url: string) =>
  new Promise<{ readonly headers: http.IncomingHttpHeaders; readonly bytes: number; readonly complete: boolean }>(
    (resolve, reject) => {
      http
        .get(url, (res) => {
          let bytes = 0
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length
          })
          res.on("end", () => resolve({ headers: res.headers, bytes, complete: res.complete }))
          res.on("error", reject)
        })
        .on("error", reject)
    }
  )

/** Reads at least `bytes` of a `node:http` answer, then destroys the request. */
const rawReadSome = (url: string, bytes: number) =>
  new Promise<{ readonly headers: http.IncomingHttpHeaders; readonly read: number }>((resolve, reject) => {
    const request = http.get(url, (res) => {
      let read = 0
      res.on("data", (chunk: Buffer) => {
        read += chunk.length
        if (read >= bytes) {
          request.destroy()
          resolve({ headers: res.headers, read })
        }
      })
      res.on("end", () => reject(new Error("the body ended")))
    })
    request.on("error", (error) => {
      if (!request.destroyed) reject(error)
    })
  })

const served = InMemoryBasiq.serve({ stepDuration: "5 millis" })

describe("hostile faults, served", () => {
  it.scopedLive("redirect: sent as is; a following fetch reaches another fake without the authorization", () =>
    Effect.gen(function* () {
      const a = yield* served
      const b = yield* served
      yield* a.control.injectFault({ fault: Fault.redirect({ status: 307, location: `${b.url}/landing` }) })
      const manual = yield* Effect.promise(() =>
        fetch(`${a.url}/start`, { redirect: "manual", headers: { authorization: "Bearer secret-token" } })
      )
      expect(manual.status).toBe(307)
      expect(manual.headers.get("location")).toBe(`${b.url}/landing`)

      yield* a.control.injectFault({ fault: Fault.redirect({ status: 307, location: `${b.url}/landing` }) })
      const followed = yield* Effect.promise(() =>
        fetch(`${a.url}/start`, { headers: { authorization: "Bearer secret-token", "x-trace": "t2" } })
      )
      expect(followed.url).toBe(`${b.url}/landing`)
      const [atA, atB] = [yield* a.control.journal, yield* b.control.journal]
      expect(atA.map((entry) => entry.headers.authorization)).toEqual(["<redacted>", "<redacted>"])
      expect(atB).toHaveLength(1)
      expect(atB[0]?.path).toBe("/landing")
      expect(atB[0]?.headers["x-trace"]).toBe("t2")
      expect(atB[0]?.headers.authorization).toBeUndefined()
      expect(JSON.stringify([...atA, ...atB])).not.toContain("secret-token")
    })
  )

  it.scopedLive("body: the exact bytes and headers over the wire, compressed ones undecoded", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      const gzipped = gzipSync('{"__proto__":{"admin":true}}')
      yield* control.injectFault({
        fault: Fault.body({
          status: 201,
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: gzipped
        })
      })
      const raw = yield* Effect.promise(() => rawGet(`${url}/users/u1`))
      expect(raw.status).toBe(201)
      expect(raw.headers["content-type"]).toBe("application/json")
      expect(raw.headers["content-encoding"]).toBe("gzip")
      expect(raw.headers["content-length"]).toBe(String(gzipped.length))
      expect(raw.body).toEqual(gzipped)
      expect(gunzipSync(raw.body).toString()).toBe('{"__proto__":{"admin":true}}')
    })
  )

  it.scopedLive("hugeBody: content-length announced and that many bytes sent", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      const bytes = 16 * MiB + 7
      yield* control.injectFault({ fault: Fault.hugeBody({ bytes }) })
      const count = yield* Effect.promise(() => rawCount(`${url}/users/u1`))
      expect(count.headers["content-length"]).toBe(String(bytes))
      expect(count.headers["transfer-encoding"]).toBeUndefined()
      expect(count.bytes).toBe(bytes)
      expect(count.complete).toBe(true)
    })
  )

  it.scopedLive("endlessBody: chunked without content-length, until the client goes away", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      yield* control.injectFault({ fault: Fault.endlessBody() })
      const some = yield* Effect.promise(() => rawReadSome(`${url}/users/u1`, 4 * MiB))
      expect(some.read).toBeGreaterThanOrEqual(4 * MiB)
      expect(some.headers["content-type"]).toBe("application/json")
      expect(some.headers["content-length"]).toBeUndefined()
      expect(some.headers["transfer-encoding"]).toBe("chunked")
      // The fake still answers: the abandoned body is not holding it.
      expect((yield* Effect.promise(() => rawGet(`${url}/users/u1`))).status).toBe(401)
    })
  )

  it.scopedLive("gzipBomb: the compressed bytes as sent; fetch inflates them to the declared size", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      const inflatedBytes = 32 * MiB
      yield* control.injectFault({ fault: Fault.gzipBomb({ inflatedBytes }) })
      const raw = yield* Effect.promise(() => rawGet(`${url}/users/u1`))
      expect(raw.headers["content-encoding"]).toBe("gzip")
      expect(raw.headers["content-type"]).toBe("application/json")
      expect(raw.headers["content-length"]).toBe(String(raw.body.length))
      expect(raw.body.length).toBeLessThan(64 * 1024)
      expect(gunzipSync(raw.body).length).toBe(inflatedBytes)

      yield* control.injectFault({ fault: Fault.gzipBomb({ inflatedBytes, encoding: "deflate" }) })
      const deflated = yield* Effect.promise(() => rawGet(`${url}/users/u1`))
      expect(deflated.headers["content-encoding"]).toBe("deflate")
      expect(inflateSync(deflated.body).length).toBe(inflatedBytes)

      yield* control.injectFault({ fault: Fault.gzipBomb({ inflatedBytes }) })
      const response = yield* Effect.promise(() => fetch(`${url}/users/u1`))
      expect((yield* Effect.promise(() => drain(response.body))).bytes).toBe(inflatedBytes)
    })
  )
})

/** A produced body that counts its chunks and records when its reader went away. */
const counting = (inner: Bodies.Streamed) => {
  const stats = { produced: 0, closed: 0 }
  let resolveClosed = () => {}
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve
  })
  const body: Bodies.Streamed = {
    ...inner,
    open: () => {
      const cursor = inner.open()
      return {
        next: () => {
          const chunk = cursor.next()
          if (chunk instanceof Uint8Array) stats.produced++
          return chunk
        },
        close: () => {
          stats.closed++
          cursor.close()
          resolveClosed()
        }
      }
    }
  }
  return { stats, body, closed }
}

const streaming = (body: Bodies.Streamed): Transport.Dispatcher => ({
  dispatch: () =>
    Promise.resolve({
      _tag: "Stream",
      answer: { status: 200, headers: new Headers({ "content-type": "application/json" }), body }
    })
})

/** Lets pending callbacks run (no wall-clock wait). */
const turns = (n: number) =>
  Effect.promise(async () => {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
  })

/** Fails when `promise` has not settled within `ms` of real time. */
const within = <A>(ms: number, promise: Promise<A>) =>
  Effect.promise(() => promise).pipe(
    Effect.timeoutFail({ duration: ms, onTimeout: () => new Error(`not within ${ms} ms`) }),
    Effect.orDie
  )

describe("produced bodies stop with their reader", () => {
  it.effect("in memory: chunks are made only when read; a cancelled reader closes the cursor", () =>
    Effect.gen(function* () {
      const { stats, body } = counting(Bodies.endless())
      const fetch = Transport.makeFetch(streaming(body))
      const response = yield* Effect.promise(() => fetch(`${BASE}/endless`))
      const reader = (response.body ?? new Blob([]).stream()).getReader()
      for (let i = 0; i < 5; i++) yield* Effect.promise(() => reader.read())
      yield* turns(5)
      expect(stats.produced).toBeGreaterThanOrEqual(5)
      expect(stats.produced).toBeLessThanOrEqual(6)
      yield* Effect.promise(() => reader.cancel())
      const produced = stats.produced
      yield* turns(20)
      expect(stats.closed).toBe(1)
      expect(stats.produced).toBe(produced)
    })
  )

  it.effect("in memory: an aborted request closes the cursor", () =>
    Effect.gen(function* () {
      const { stats, body } = counting(Bodies.endless())
      const fetch = Transport.makeFetch(streaming(body))
      const controller = new AbortController()
      const response = yield* Effect.promise(() => fetch(`${BASE}/endless`, { signal: controller.signal }))
      const reader = (response.body ?? new Blob([]).stream()).getReader()
      yield* Effect.promise(() => reader.read())
      controller.abort()
      yield* turns(5)
      expect(stats.closed).toBe(1)
      const produced = stats.produced
      yield* turns(20)
      expect(stats.produced).toBe(produced)
    })
  )

  it.effect("in memory: an endless body drops the connection after its byte bound or its time bound", () =>
    Effect.gen(function* () {
      expect(Bodies.defaultBounds.maxBytes).toBe(1024 * MiB)
      expect(Bodies.defaultBounds.maxDurationMs).toBe(60_000)
      const bySize = Transport.makeFetch(
        streaming(Bodies.endless({ maxBytes: MiB, maxDurationMs: Number.POSITIVE_INFINITY, now: () => 0 }))
      )
      const sized = yield* Effect.promise(async () => {
        const reader = ((await bySize(`${BASE}/endless`)).body ?? new Blob([]).stream()).getReader()
        let read = 0
        for (;;) {
          const next = await reader.read().catch((error: unknown) => error)
          if (next instanceof Error) return { read, error: next as Error & { readonly code?: string } }
          if ((next as ReadableStreamReadResult<Uint8Array>).done) return { read, error: undefined }
          read += (next as ReadableStreamReadValueResult<Uint8Array>).value.length
        }
      })
      expect(sized.read).toBe(MiB)
      expect(sized.error).toBeInstanceOf(TypeError)
      expect(sized.error?.message).toBe("terminated")
      expect(sized.error?.code).toBe("UND_ERR_SOCKET")

      let now = 0
      const byTime = Transport.makeFetch(
        streaming(Bodies.endless({ maxBytes: Number.POSITIVE_INFINITY, maxDurationMs: 60_000, now: () => now }))
      )
      const timed = yield* Effect.promise(async () => {
        const reader = ((await byTime(`${BASE}/endless`)).body ?? new Blob([]).stream()).getReader()
        await reader.read()
        now = 59_999
        await reader.read()
        now = 60_000
        return reader.read().then(
          () => undefined,
          (error: unknown) => error as Error
        )
      })
      expect(timed?.message).toBe("terminated")
    })
  )

  /** A server answering with `dispatcher`, closed with the scope. */
  const serveWith = (dispatcher: Transport.Dispatcher) =>
    Effect.acquireRelease(
      Effect.async<{ readonly server: http.Server; readonly url: string }>((resume) => {
        const server = http.createServer()
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
          Transport.attach(server, dispatcher, url)
          resume(Effect.succeed({ server, url }))
        })
      }),
      ({ server }) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )

  it.scopedLive("served: a client that goes away closes the cursor and nothing more is written", () =>
    Effect.gen(function* () {
      const { stats, body, closed } = counting(Bodies.endless())
      const { url } = yield* serveWith(streaming(body))
      const some = yield* Effect.promise(() => rawReadSome(`${url}/endless`, 2 * MiB))
      expect(some.read).toBeGreaterThanOrEqual(2 * MiB)
      yield* within(5_000, closed)
      const produced = stats.produced
      yield* turns(20)
      expect(stats.closed).toBe(1)
      expect(stats.produced).toBe(produced)
      // Back-pressure: what was made is about what the client read plus the socket buffers.
      expect(produced * 64 * 1024).toBeLessThan(some.read + 16 * MiB)
    })
  )

  it.scopedLive("served: a client that stops reading is cut off after the time bound", () =>
    Effect.gen(function* () {
      const { body, closed } = counting(
        Bodies.endless({ maxBytes: Number.POSITIVE_INFINITY, maxDurationMs: 100, now: () => performance.now() })
      )
      const { url } = yield* serveWith(streaming(body))
      const started = performance.now()
      const res = yield* within(
        5_000,
        new Promise<http.IncomingMessage>((resolve, reject) => {
          http
            .get(`${url}/endless`, (res) => {
              res.pause()
              resolve(res)
            })
            .on("error", reject)
        })
      )
      // The client reads nothing: the fake is stuck on back-pressure until its timer cuts it off.
      yield* within(5_000, closed)
      expect(performance.now() - started).toBeGreaterThanOrEqual(90)
      const ended = yield* within(
        10_000,
        new Promise<string>((resolve) => {
          res.on("error", () => resolve("cut off"))
          res.on("close", () => resolve(res.complete ? "complete" : "cut off"))
          res.resume()
        })
      )
      expect(ended).toBe("cut off")
    })
  )
})
