/**
 * The served fake answers browsers on this machine: CORS preflights and `Access-Control-*`
 * headers for loopback origins, nothing for other origins. Node's `fetch` does not enforce CORS,
 * so the headers a browser would send are set by hand here; the browser project
 * (`examples/browser`) runs the same calls in Chromium.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const { Fault } = InMemoryBasiq

const API_KEY = "cors-key"
const PAGE = "http://127.0.0.1:4173"

const served = InMemoryBasiq.serve({ apiKeys: [API_KEY], stepDuration: "5 millis" })

const preflight = (url: string, origin: string, method = "GET", headers = "authorization,accept") =>
  fetch(url, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers }
  })

const serverToken = async (url: string, origin?: string) => {
  const response = await fetch(`${url}/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${API_KEY}`,
      "Content-Type": "application/x-www-form-urlencoded",
      "basiq-version": "3.0",
      ...(origin === undefined ? {} : { Origin: origin })
    },
    body: "scope=SERVER_ACCESS"
  })
  return { response, token: ((await response.json()) as { access_token: string }).access_token }
}

describe("the served fake and browsers (CORS)", () => {
  it.scopedLive("answers a loopback origin's preflight with the method and headers it asks for", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      yield* Effect.promise(async () => {
        for (const origin of [PAGE, "http://localhost:3000", "http://[::1]:8080", "https://127.0.0.2"]) {
          const response = await preflight(`${url}/jobs/some-job`, origin, "GET", "authorization,accept,basiq-version")
          expect(response.status).toBe(204)
          expect(response.headers.get("access-control-allow-origin")).toBe(origin)
          expect(response.headers.get("access-control-allow-methods")).toContain("GET")
          expect(response.headers.get("access-control-allow-methods")).toContain("DELETE")
          expect(response.headers.get("access-control-allow-headers")).toBe("authorization,accept,basiq-version")
          expect(response.headers.get("vary")).toContain("Origin")
          expect(await response.text()).toBe("")
        }
      })
      // Preflights are the server's own: not in the journal.
      expect(yield* control.journal).toEqual([])
    })
  )

  it.scopedLive("refuses other origins' preflights, with no CORS header", () =>
    Effect.gen(function* () {
      const { url } = yield* served
      yield* Effect.promise(async () => {
        for (const origin of [
          "https://app.example.com",
          "http://127.0.0.1.evil.example",
          "null",
          "file://",
          "http://127.0.0.1:4173/path"
        ]) {
          const response = await preflight(`${url}/users`, origin, "POST")
          expect(response.status).toBe(403)
          expect(response.headers.get("access-control-allow-origin")).toBeNull()
          expect(response.headers.get("access-control-allow-headers")).toBeNull()
        }
      })
    })
  )

  it.scopedLive("gives a loopback origin's requests Access-Control-Allow-Origin and exposes Retry-After", () =>
    Effect.gen(function* () {
      const { url } = yield* served
      yield* Effect.promise(async () => {
        const { response, token } = await serverToken(url, PAGE)
        expect(response.status).toBe(200)
        expect(response.headers.get("access-control-allow-origin")).toBe(PAGE)
        expect(response.headers.get("access-control-expose-headers")).toBe("Retry-After")

        const missing = await fetch(`${url}/jobs/no-such-job`, {
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json", Origin: PAGE }
        })
        expect(missing.status).toBe(404)
        expect(missing.headers.get("access-control-allow-origin")).toBe(PAGE)

        const foreign = await fetch(`${url}/jobs/no-such-job`, {
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json", Origin: "https://app.example.com" }
        })
        expect(foreign.status).toBe(404)
        expect(foreign.headers.get("access-control-allow-origin")).toBeNull()

        const noOrigin = await fetch(`${url}/jobs/no-such-job`, {
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }
        })
        expect(noOrigin.headers.get("access-control-allow-origin")).toBeNull()
      })
    })
  )

  it.scopedLive(
    "an injected fault's answer carries the CORS headers too, and a preflight does not take the fault",
    () =>
      Effect.gen(function* () {
        const { url, control } = yield* served
        const token = yield* Effect.promise(() => serverToken(url).then((t) => t.token))
        yield* control.injectFault({ path: /^\/jobs\//, fault: Fault.status({ status: 429, retryAfter: 7 }) })
        yield* Effect.promise(async () => {
          expect((await preflight(`${url}/jobs/j1`, PAGE)).status).toBe(204)
          const limited = await fetch(`${url}/jobs/j1`, {
            headers: { Authorization: `Bearer ${token}`, Accept: "application/json", Origin: PAGE }
          })
          expect(limited.status).toBe(429)
          expect(limited.headers.get("retry-after")).toBe("7")
          expect(limited.headers.get("access-control-allow-origin")).toBe(PAGE)
          expect(limited.headers.get("access-control-expose-headers")).toBe("Retry-After")
          // The fault was taken once, by the request: the next one reaches the routes.
          const next = await fetch(`${url}/jobs/j1`, {
            headers: { Authorization: `Bearer ${token}`, Accept: "application/json", Origin: PAGE }
          })
          expect(next.status).toBe(404)
        })
        const methods = (yield* control.journal).map((entry) => `${entry.method} ${entry.path}`)
        expect(methods).toEqual(["POST /token", "GET /jobs/j1", "GET /jobs/j1"])
      })
  )
})
