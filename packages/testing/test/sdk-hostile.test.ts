/**
 * The SDK against a hostile Basiq, once per client of the transport matrix (`test/transports.ts`),
 * through the fake's hostile faults:
 *
 * - a redirect is never followed by the shipped transports (the 3xx is an unexpected status, and
 *   the redirect target sees nothing); a brought `FetchHttpClient` keeps fetch's own behaviour and
 *   follows it (same origin: with the authorization header);
 * - a huge, an endless and a gzip-bomb body all stop at `maxResponseBytes` (counted after
 *   decompression): `ResponseTooLarge`, one attempt, bounded memory;
 * - `__proto__` keys in a body never reach a decoded value's prototypes;
 * - `Retry-After` on a 503 is waited for;
 * - an interrupted call aborts its request, which the fake then never applies;
 * - a refused connection is `NotSent`, and retried even for a non-idempotent operation.
 *
 * The SDK's sleeps run on the `TestClock`, driven with real I/O in between.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Connections } from "@basiq-effect/connections"
import { BasiqAuth } from "@basiq-effect/core"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { clients, drive, eventually, FakeUrl, type MatrixClient, sdkLayer } from "./transports.js"

const { Fault } = InMemoryBasiq

const TIMEOUT = Duration.minutes(10)
const retry = { baseDelay: "10 millis", maxDelay: "100 millis", maxRetries: 3 } as const

const layer = (
  client: MatrixClient,
  options: {
    readonly maxResponseBytes?: number
    readonly retry?: false
    readonly wrap?: (http: HttpClient.HttpClient) => HttpClient.HttpClient
  } = {}
) =>
  sdkLayer(
    client,
    {
      apiKey: "hostile-key",
      timeout: TIMEOUT,
      retry: options.retry ?? retry,
      ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes })
    },
    options.wrap === undefined ? {} : { wrap: options.wrap }
  )

/** A user with two connections, and the journal's length after them. */
const fixture = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token)
  const user = yield* basiq.createUser({ email: "hostile@hooli.example" })
  const a = yield* basiq.seedConnection({ userId: user.id })
  const b = yield* basiq.seedConnection({ userId: user.id })
  return {
    userId: user.id,
    a: a.id,
    b: b.id,
    pathOf: (connectionId: string) => `/users/${user.id}/connections/${connectionId}`,
    mark: (yield* basiq.journal).length
  }
})

/** The journal's entries since `mark`. */
const since = (mark: number) =>
  Effect.map(
    Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (b) => b.journal),
    (j) => j.slice(mark)
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): Readonly<Record<string, unknown>> => {
  if (Exit.isSuccess(exit)) return expect.fail("expected a failure, got a success")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return expect.fail(`expected a failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value as Readonly<Record<string, unknown>>
}

const successOf = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) return expect.fail(`expected a success, got ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** A GET answered by the fake, with the SDK's cached token: the body as sent, parsed by `JSON.parse`. */
const rawGet = (path: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const url = yield* FakeUrl
    const token = yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.token)
    const response = yield* http.execute(
      HttpClientRequest.get(`${url}${path}`).pipe(HttpClientRequest.bearerToken(Redacted.value(token)))
    )
    return (yield* response.json) as Readonly<Record<string, unknown>>
  }).pipe(Effect.orDie)

const connectionCount = (userId: string) =>
  Effect.map(
    Effect.flatMap(Connections.Connections, (c) => c.getConnections(userId)),
    (list) => list.data.length
  )

/**
 * The most the process's array buffers grew (above their level at the start) while `effect` ran,
 * sampled every few milliseconds: a body held whole would show here.
 */
const peakGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const sample = { start: process.memoryUsage().arrayBuffers, peak: 0 }
      sample.peak = sample.start
      const timer = setInterval(() => {
        sample.peak = Math.max(sample.peak, process.memoryUsage().arrayBuffers)
      }, 2)
      return { sample, timer }
    }),
    ({ sample }) =>
      Effect.map(effect, (result) => {
        sample.peak = Math.max(sample.peak, process.memoryUsage().arrayBuffers)
        return { result, growthMiB: (sample.peak - sample.start) / (1024 * 1024) }
      }),
    ({ timer }) => Effect.sync(() => clearInterval(timer))
  )

const MiB = 1024 * 1024
/** Built once (the fault compresses its body when it is made): 128 MiB of JSON in ~128 KiB of gzip. */
const bomb = Fault.gzipBomb({ inflatedBytes: 128 * MiB })

describe.each(clients)("hostile Basiq over $name", (client) => {
  it.effect(
    client.shipped
      ? "a redirect is not followed: 3xx as an unexpected status, the target sees nothing"
      : "a redirect is followed, as the brought client's fetch does (same origin, with the authorization)",
    () =>
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const url = yield* FakeUrl
        const fx = yield* fixture
        yield* basiq.injectFault({
          method: "GET",
          path: fx.pathOf(fx.a),
          fault: Fault.redirect({ status: 302, location: `${url}${fx.pathOf(fx.b)}` })
        })
        const { exit } = yield* drive(
          Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.a)),
          { timeout: TIMEOUT }
        )
        const entries = yield* since(fx.mark)
        const toTarget = entries.filter((e) => e.path === fx.pathOf(fx.b))
        expect(entries.filter((e) => e.path === fx.pathOf(fx.a))).toHaveLength(1)
        if (client.shipped) {
          expect(failureOf(exit)).toMatchObject({
            _tag: "BasiqUnexpectedStatusError",
            status: 302,
            attempts: 1,
            method: "GET",
            route: "/users/{userId}/connections/{connectionId}"
          })
          expect(toTarget).toEqual([])
        } else {
          // The SDK decodes whatever the redirect led to: the other connection.
          expect(successOf(exit)).toMatchObject({ type: "connection", id: fx.b })
          expect(toTarget).toHaveLength(1)
          expect(toTarget[0]!.headers.authorization).toBe("<redacted>")
        }
      }).pipe(Effect.provide(layer(client)))
  )

  const tooLarge = [
    { name: "a 512 MiB body", fault: () => Fault.hugeBody({ bytes: 512 * MiB }) },
    { name: "an endless body", fault: () => Fault.endlessBody() },
    { name: "a gzip bomb (128 MiB inflated)", fault: () => bomb }
  ] as const

  for (const { name, fault } of tooLarge) {
    it.effect(`${name} stops at maxResponseBytes: ResponseTooLarge, one attempt, bounded memory`, () =>
      Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const fx = yield* fixture
        yield* basiq.injectFault({ method: "GET", path: fx.pathOf(fx.a), fault: fault() })
        const { result, growthMiB } = yield* peakGrowth(
          drive(
            Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.a)),
            { timeout: TIMEOUT }
          )
        )
        expect(failureOf(result.exit)).toMatchObject({
          _tag: "BasiqTransportError",
          reason: "ResponseTooLarge",
          attempts: 1,
          outcomeUnknown: false
        })
        // Not retried, though the operation is idempotent: the answer would be as large again.
        expect((yield* since(fx.mark)).filter((e) => e.path === fx.pathOf(fx.a))).toHaveLength(1)
        expect(growthMiB).toBeLessThan(64)
        // The client is still usable (a served connection that was cut is replaced).
        expect(
          successOf(
            yield* Effect.exit(Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.b)))
          )
        ).toMatchObject({ id: fx.b })
      }).pipe(Effect.provide(layer(client, { maxResponseBytes: 256 * 1024 })))
    )
  }

  it.effect("__proto__ keys in a body never reach the prototypes of a decoded account's class.meta", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const fx = yield* fixture
      // The connection as the fake answers it, with `__proto__` at two depths of one account's meta.
      const wire = yield* rawGet(fx.pathOf(fx.a))
      const accounts = wire.accounts as { readonly data: ReadonlyArray<Record<string, unknown>> }
      expect(accounts.data.length).toBeGreaterThan(0)
      const meta = { PROTO: { polluted: true }, nested: { PROTO: { polluted: true }, kept: 1 } }
      const text = JSON.stringify({
        ...wire,
        accounts: { ...accounts, data: [{ ...accounts.data[0], class: { type: "transaction", meta } }] }
      }).replaceAll('"PROTO"', '"__proto__"')
      expect(text).toContain('"__proto__":{"polluted":true}')
      yield* basiq.injectFault({
        method: "GET",
        path: fx.pathOf(fx.a),
        fault: Fault.body({ headers: { "content-type": "application/json" }, body: text })
      })
      const { exit } = yield* drive(
        Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.a)),
        { timeout: TIMEOUT }
      )
      const decoded = successOf(exit).accounts?.data[0]?.class.meta
      expect(decoded).toBeDefined()
      const nested = (decoded as { readonly nested: object }).nested
      for (const value of [decoded as object, nested]) {
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
        expect(Object.hasOwn(value, "__proto__")).toBe(false)
        expect((value as { readonly polluted?: unknown }).polluted).toBeUndefined()
      }
      expect(nested).toEqual({ kept: 1 })
      expect(({} as { readonly polluted?: unknown }).polluted).toBeUndefined()
    }).pipe(Effect.provide(layer(client)))
  )

  it.effect("Retry-After on a 503 is waited for, also before a POST is sent again (applied once)", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const fx = yield* fixture
      const before = yield* connectionCount(fx.userId)
      const path = `/users/${fx.userId}/connections`
      yield* basiq.injectFault({ method: "POST", path, fault: Fault.status({ status: 503, retryAfter: 7 }) })
      const { exit, elapsed } = yield* drive(
        Effect.flatMap(Connections.Connections, (c) =>
          c.postConnection(fx.userId, {
            loginId: Redacted.make("laurieBream"),
            password: Redacted.make("business2024"),
            institution: { id: "AU00000" }
          })
        ),
        { timeout: TIMEOUT }
      )
      expect(successOf(exit)).toMatchObject({ type: "job" })
      expect(elapsed).toBeGreaterThanOrEqual(7_000)
      expect(elapsed).toBeLessThan(8_000)
      expect((yield* since(fx.mark)).filter((e) => e.method === "POST" && e.path === path)).toHaveLength(2)
      expect((yield* connectionCount(fx.userId)) - before).toBe(1)
    }).pipe(Effect.provide(layer(client)))
  )

  it.effect("interrupting a call aborts its request: the fake never applies it", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const fx = yield* fixture
      const before = yield* connectionCount(fx.userId)
      const path = `/users/${fx.userId}/connections`
      // The fake holds the POST: 5 s of the TestClock in memory, 200 ms of the live clock served.
      yield* basiq.injectFault({ method: "POST", path, fault: Fault.delay(client.served ? "200 millis" : "5 seconds") })
      const fiber = yield* Effect.fork(
        Effect.flatMap(Connections.Connections, (c) =>
          c.postConnection(fx.userId, {
            loginId: Redacted.make("laurieBream"),
            password: Redacted.make("business2024"),
            institution: { id: "AU00000" }
          })
        )
      )
      const received = Effect.map(since(fx.mark), (entries) =>
        entries.some((e) => e.method === "POST" && e.path === path)
      )
      expect(yield* eventually(received)).toBe(true)
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
      // Past the hold: the TestClock moved on (in memory), or a later request the served fake held
      // twice as long has been answered. A request still held would have been applied by then.
      if (client.served) {
        yield* basiq.injectFault({ method: "GET", path: fx.pathOf(fx.b), fault: Fault.delay("400 millis") })
        yield* Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.b))
      } else {
        yield* TestClock.adjust("10 seconds")
      }
      expect((yield* connectionCount(fx.userId)) - before).toBe(0)
    }).pipe(Effect.provide(layer(client)))
  )

  /**
   * A refused connection for the first `POST /users/{id}/connections`: in memory the fake's
   * `resetBeforeApply` (its fetch rejects as undici does on ECONNREFUSED); served, the fake can only
   * reset a connection that carried the request, so the request is sent to a closed port instead.
   */
  const refusing = (closedPort: number) => {
    let refused = false
    return (http: HttpClient.HttpClient) =>
      HttpClient.mapRequest(http, (request) => {
        if (refused || request.method !== "POST" || !/\/connections$/.test(new URL(request.url).pathname)) {
          return request
        }
        refused = true
        const url = new URL(request.url)
        return HttpClientRequest.setUrl(request, `http://127.0.0.1:${closedPort}${url.pathname}`)
      })
  }

  /** A port nobody listens on. */
  const closedPort = Effect.async<number>((resume) => {
    const probe = createServer()
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as AddressInfo).port
      probe.close(() => resume(Effect.succeed(port)))
    })
  })

  const refusedConnection = (options: { readonly retry: boolean }) =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const program = Effect.gen(function* () {
        const basiq = yield* InMemoryBasiq.InMemoryBasiq
        const fx = yield* fixture
        const before = yield* connectionCount(fx.userId)
        const path = `/users/${fx.userId}/connections`
        if (!client.served) yield* basiq.injectFault({ method: "POST", path, fault: Fault.resetBeforeApply() })
        const { exit } = yield* drive(
          Effect.flatMap(Connections.Connections, (c) =>
            c.postConnection(fx.userId, {
              loginId: Redacted.make("laurieBream"),
              password: Redacted.make("business2024"),
              institution: { id: "AU00000" }
            })
          ),
          { timeout: TIMEOUT }
        )
        const reached = (yield* since(fx.mark)).filter((e) => e.method === "POST" && e.path === path).length
        return { exit, reached, applied: (yield* connectionCount(fx.userId)) - before }
      })
      return yield* program.pipe(
        Effect.provide(
          layer(client, {
            ...(options.retry ? {} : { retry: false as const }),
            ...(client.served ? { wrap: refusing(port) } : {})
          })
        )
      )
    })

  it.effect("a refused connection is NotSent: nothing can have been applied", () =>
    Effect.gen(function* () {
      const { exit, reached, applied } = yield* refusedConnection({ retry: false })
      expect(failureOf(exit)).toMatchObject({
        _tag: "BasiqTransportError",
        reason: "NotSent",
        attempts: 1,
        outcomeUnknown: false,
        method: "POST"
      })
      // In memory the fake saw the refused request (and did not apply it); served, it never came.
      expect(reached).toBe(client.served ? 0 : 1)
      expect(applied).toBe(0)
    })
  )

  it.effect("a refused connection is retried even for postConnection, which is then applied once", () =>
    Effect.gen(function* () {
      const { exit, reached, applied } = yield* refusedConnection({ retry: true })
      expect(successOf(exit)).toMatchObject({ type: "job" })
      expect(reached).toBe(client.served ? 1 : 2)
      expect(applied).toBe(1)
    })
  )
})
