/**
 * The fault matrix: every fault the in-memory Basiq can inject, against every operation (the
 * seven Connections operations, `getJob` and `postJobMfa`), once per client of the transport
 * matrix (`test/transports.ts`): `FetchTransport` and platform's `FetchHttpClient` over the
 * in-process fake, `UndiciHttpClient` over the served one. Each cell is its own test, on a fresh
 * fake, and asserts
 *
 * - the outcome: success after the expected number of requests (counted in the fake's journal),
 *   or the exact error tag with its fields (`status`, `code`, `attempts`, `outcomeUnknown`, ...);
 * - the token exchanges the cell caused (re-authentication happens once, only for 401 and 403
 *   `access-denied`);
 * - the server-side effect: how many times the fake applied the operation (connections, jobs or
 *   the recorded MFA answer, read back from the fake). A non-idempotent operation is applied at
 *   most once, and exactly once when a retry was allowed.
 *
 * The expectations are the same for every client; the one exception is a fault the served fake
 * cannot render as in memory (`resetBeforeApply`, see its case). The SDK's sleeps run on the
 * `TestClock`: the fiber is forked and the clock driven in small steps, with real I/O in between.
 */

import { Connections, Jobs } from "@basiq-effect/connections"
import { BasiqAuth, BasiqRetry } from "@basiq-effect/core"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, type Layer, Option, Redacted, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { clients, drive, eventually, FakeUrl, type MatrixClient, sdkLayer } from "./transports.js"

const { Fault } = InMemoryBasiq

/** The per-attempt timeout of the timeout cells; the other cells use 10 minutes. */
const SHORT_TIMEOUT = Duration.seconds(1)
const LONG_TIMEOUT = Duration.minutes(10)
/**
 * A job step of the served fake, which runs on the live clock: long enough that a job started by
 * a first attempt is still running when its retry comes (a refresh then finds it), short enough
 * that an MFA fixture does not wait long for its challenge.
 */
const SERVED_STEP = "200 millis"

/** The SDK over a fresh fake reached by `client`: short retry delays and the given per-attempt timeout. */
const makeLayer = (client: MatrixClient, timeout: Duration.Duration) =>
  sdkLayer(
    client,
    {
      apiKey: "matrix-key",
      timeout,
      retry: BasiqRetry.make({ baseDelay: "10 millis", maxDelay: "100 millis", maxRetries: 3 })
    },
    client.served ? { fake: { stepDuration: SERVED_STEP } } : {}
  )

type Env = Layer.Layer.Success<ReturnType<typeof makeLayer>>

// -------------------------------------------------------------------------------------------------
// fixtures and server-side counts
// -------------------------------------------------------------------------------------------------

interface Fixture {
  readonly userId: string
  readonly connectionId: string
  readonly jobId: string
}

/** A GET answered by the fake, with the SDK's cached server token (for reading state back). */
const fakeGet = (path: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const auth = yield* BasiqAuth.BasiqAuth
    const token = yield* auth.token
    const url = yield* FakeUrl
    const response = yield* http.execute(
      HttpClientRequest.get(`${url}${path}`).pipe(HttpClientRequest.bearerToken(Redacted.value(token)))
    )
    return (yield* response.json) as {
      readonly data?: ReadonlyArray<unknown>
      readonly steps?: ReadonlyArray<{ readonly title: string; readonly status: string }>
    }
  }).pipe(Effect.orDie)

const connectionCount = (fx: Fixture) =>
  Effect.map(fakeGet(`/users/${fx.userId}/connections`), (list) => list.data?.length ?? 0)

const jobCount = (fx: Fixture) => Effect.map(fakeGet(`/users/${fx.userId}/jobs`), (list) => list.data?.length ?? 0)

/** 1 once the fake recorded an answer to the job's MFA challenge, else 0. */
const mfaAnswered = (fx: Fixture) =>
  Effect.map(fakeGet(`/jobs/${fx.jobId}`), (job) =>
    job.steps?.find((step) => step.title === "mfa-challenge")?.status === "in-progress" ? 0 : 1
  )

/** Whether the job waits for its MFA answer (verify-credentials done, the challenge open). */
const awaitingMfa = (jobId: string) =>
  Effect.map(
    fakeGet(`/jobs/${jobId}`),
    (job) =>
      job.steps?.find((step) => step.title === "verify-credentials")?.status === "success" &&
      job.steps.find((step) => step.title === "mfa-challenge")?.status === "in-progress"
  )

type Setup = "connection" | "job" | "mfa"

interface Operation {
  readonly name: string
  readonly method: "GET" | "POST" | "DELETE"
  readonly route: string
  readonly idempotent: boolean
  /** Whether a successful answer's body is read (all but `deleteConnection`). */
  readonly readsBody: boolean
  readonly setup: Setup
  readonly path: (fx: Fixture) => string
  readonly call: (fx: Fixture) => Effect.Effect<unknown, unknown, Env>
  /** A count that changes by one each time the fake applies the operation (mutating ones only). */
  readonly measure?: (fx: Fixture) => Effect.Effect<number, never, Env>
  /** What a successful value must look like; `earlierApplied` when a failed attempt was applied. */
  readonly check: (value: unknown, fx: Fixture, earlierApplied: boolean) => void
}

const credentials = (loginId: string, password: string, institutionId: string) => ({
  loginId: Redacted.make(loginId),
  password: Redacted.make(password),
  institution: { id: institutionId }
})

const isJobRef = (value: unknown) => {
  expect(value).toMatchObject({ type: "job", id: expect.any(String) })
}

const operations: ReadonlyArray<Operation> = [
  {
    name: "getConnections",
    method: "GET",
    route: "/users/{userId}/connections",
    idempotent: true,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections`,
    call: (fx) => Effect.flatMap(Connections.Connections, (c) => c.getConnections(fx.userId)),
    check: (value, fx) => expect(value).toMatchObject({ type: "list", data: [{ id: fx.connectionId }] })
  },
  {
    name: "getConnection",
    method: "GET",
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: true,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections/${fx.connectionId}`,
    call: (fx) => Effect.flatMap(Connections.Connections, (c) => c.getConnection(fx.userId, fx.connectionId)),
    check: (value, fx) => expect(value).toMatchObject({ type: "connection", id: fx.connectionId })
  },
  {
    name: "postConnection",
    method: "POST",
    route: "/users/{userId}/connections",
    idempotent: false,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections`,
    call: (fx) =>
      Effect.flatMap(Connections.Connections, (c) =>
        c.postConnection(fx.userId, credentials("laurieBream", "business2024", "AU00000"))
      ),
    measure: connectionCount,
    check: isJobRef
  },
  {
    name: "updateConnection",
    method: "POST",
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: false,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections/${fx.connectionId}`,
    call: (fx) =>
      Effect.flatMap(Connections.Connections, (c) =>
        c.updateConnection(fx.userId, fx.connectionId, { password: Redacted.make("business2024") })
      ),
    measure: jobCount,
    check: isJobRef
  },
  {
    name: "deleteConnection",
    method: "DELETE",
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: true,
    readsBody: false,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections/${fx.connectionId}`,
    call: (fx) => Effect.flatMap(Connections.Connections, (c) => c.deleteConnection(fx.userId, fx.connectionId)),
    measure: connectionCount,
    check: (value) => expect(value).toBeUndefined()
  },
  {
    name: "refreshConnection",
    method: "POST",
    route: "/users/{userId}/connections/{connectionId}/refresh",
    idempotent: true,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections/${fx.connectionId}/refresh`,
    call: (fx) => Effect.flatMap(Connections.Connections, (c) => c.refreshConnection(fx.userId, fx.connectionId)),
    measure: jobCount,
    // A retry after an applied attempt finds the job that attempt started: Basiq's 200.
    check: (value, _fx, earlierApplied) =>
      expect(value).toMatchObject({ type: "job", id: expect.any(String), alreadyRunning: earlierApplied })
  },
  {
    name: "refreshConnections",
    method: "POST",
    route: "/users/{userId}/connections/refresh",
    idempotent: true,
    readsBody: true,
    setup: "connection",
    path: (fx) => `/users/${fx.userId}/connections/refresh`,
    call: (fx) => Effect.flatMap(Connections.Connections, (c) => c.refreshConnections(fx.userId)),
    measure: jobCount,
    check: (value) => expect(value).toMatchObject({ type: "list", data: [{ id: expect.any(String) }] })
  },
  {
    name: "getJob",
    method: "GET",
    route: "/jobs/{jobId}",
    idempotent: true,
    readsBody: true,
    setup: "job",
    path: (fx) => `/jobs/${fx.jobId}`,
    call: (fx) => Effect.flatMap(Jobs.Jobs, (j) => j.getJob(fx.jobId)),
    check: (value, fx) => expect(value).toMatchObject({ id: fx.jobId })
  },
  {
    name: "postJobMfa",
    method: "POST",
    route: "/jobs/{jobId}/mfa",
    idempotent: false,
    readsBody: true,
    setup: "mfa",
    path: (fx) => `/jobs/${fx.jobId}/mfa`,
    // As `waitForJob` sends it: with a CLIENT_ACCESS token for the job's user.
    call: (fx) =>
      Effect.flatMap(Jobs.Jobs, (j) => j.postJobMfa(fx.jobId, [Redacted.make("Hooli")], { userId: fx.userId })),
    measure: mfaAnswered,
    check: (value, fx) => expect(value).toMatchObject({ type: "job", id: fx.jobId })
  }
]

/** Tokens a call exchanges by itself: the MFA answer mints a CLIENT_ACCESS token per call. */
const ownTokens = (op: Operation) => (op.name === "postJobMfa" ? 1 : 0)

const setupFixture = (client: MatrixClient, op: Operation) =>
  Effect.gen(function* () {
    const basiq = yield* InMemoryBasiq.InMemoryBasiq
    const connections = yield* Connections.Connections
    const auth = yield* BasiqAuth.BasiqAuth
    yield* auth.token
    const user = yield* basiq.createUser({ email: "matrix@hooli.example" })
    const connection = yield* basiq.seedConnection({ userId: user.id })
    let jobId = "no-job"
    if (op.setup === "job") {
      jobId = (yield* connections.refreshConnection(user.id, connection.id)).id
    }
    if (op.setup === "mfa") {
      jobId = (yield* connections.postConnection(user.id, credentials("gavinBelson", "hooli2016", "AU00002"))).id
      // The in-memory fake's steps take 1 s of the TestClock; the served one's, a few live ms.
      if (client.served) expect(yield* eventually(awaitingMfa(jobId))).toBe(true)
      else yield* TestClock.adjust("1 second")
    }
    const fx: Fixture = { userId: user.id, connectionId: connection.id, jobId }
    if (op.setup === "mfa") expect(yield* mfaAnswered(fx)).toBe(0)
    return fx
  })

// -------------------------------------------------------------------------------------------------
// expectations
// -------------------------------------------------------------------------------------------------

type Expected =
  | {
      readonly _tag: "Success"
      /** Requests that reached the operation's path. */
      readonly requests: number
      /** Token exchanges beyond those the operation always makes. */
      readonly reauth: number
      /** Whether a failed attempt before the successful one was applied by the fake. */
      readonly earlierApplied: boolean
      /** How many times the fake applied the operation (default 1). */
      readonly applied?: number
      /** The least TestClock time the call must have waited. */
      readonly minElapsed?: Duration.DurationInput
      readonly maxElapsed?: Duration.DurationInput
    }
  | {
      readonly _tag: "Failure"
      readonly requests: number
      readonly reauth: number
      /** How many times the fake applied the operation. */
      readonly applied: number
      readonly error: Readonly<Record<string, unknown>>
      /** Checked on the error besides `error` (e.g. a `retryAfter` computed from an HTTP date). */
      readonly extra?: (error: Readonly<Record<string, unknown>>) => void
    }

const retriedOnce = (options: { readonly earlierApplied?: boolean; readonly reauth?: number } = {}): Expected => ({
  _tag: "Success",
  requests: 2,
  reauth: options.reauth ?? 0,
  earlierApplied: options.earlierApplied ?? false,
  maxElapsed: "1 second"
})

const failsAtOnce = (op: Operation, error: Readonly<Record<string, unknown>>, applied = 0): Expected => ({
  _tag: "Failure",
  requests: 1,
  reauth: 0,
  applied,
  error: { method: op.method, route: op.route, attempts: 1, ...error }
})

/**
 * An idempotent call retried after an attempt the fake applied: the others succeed (a refresh
 * sees the job the first attempt started); `deleteConnection`'s retry finds the connection gone
 * (404), which after an attempt that may have been applied means the delete worked: it succeeds.
 */
const retriedAfterApplied = (_op: Operation): Expected => retriedOnce({ earlierApplied: true })

interface FaultCase {
  readonly name: string
  /** Whether the fake holds the request past the per-attempt timeout. */
  readonly timesOut?: boolean
  /** The fault to inject; `now` is the TestClock time (for HTTP dates). */
  readonly fault: (now: number) => InMemoryBasiq.Fault
  readonly expect: (op: Operation, client: MatrixClient) => Expected
}

const envelope = (code: string, title: string) => ({
  type: "list",
  correlationId: "matrix-correlation-id",
  data: [{ type: "error", code, title }]
})

const httpDate = (millis: number) => new Date(millis).toUTCString()

const faults: ReadonlyArray<FaultCase> = [
  {
    name: "400",
    fault: () => Fault.status({ status: 400 }),
    expect: (op) => failsAtOnce(op, { _tag: "BasiqBadRequestError", status: 400, code: "parameter-not-valid" })
  },
  {
    name: "401 once, then a fresh token",
    fault: () => Fault.status({ status: 401 }),
    expect: () => retriedOnce({ reauth: 1 })
  },
  {
    name: "403 access-denied once, then a fresh token",
    fault: () => Fault.status({ status: 403, body: envelope("access-denied", "Access denied.") }),
    expect: () => retriedOnce({ reauth: 1 })
  },
  {
    name: "403 forbidden-access (no re-authentication, no retry)",
    fault: () => Fault.status({ status: 403 }),
    expect: (op) => failsAtOnce(op, { _tag: "BasiqForbiddenError", status: 403, code: "forbidden-access" })
  },
  {
    name: "404",
    fault: () => Fault.status({ status: 404 }),
    expect: (op) => failsAtOnce(op, { _tag: "BasiqNotFoundError", status: 404, code: "resource-not-found" })
  },
  {
    name: "415",
    fault: () => Fault.status({ status: 415 }),
    expect: (op) =>
      failsAtOnce(op, { _tag: "BasiqUnsupportedMediaTypeError", status: 415, code: "unsupported-content-type" })
  },
  {
    name: "429 without Retry-After",
    fault: () => Fault.status({ status: 429 }),
    expect: () => retriedOnce()
  },
  {
    name: "429 Retry-After 10 (seconds, under the 60 s cap)",
    fault: () => Fault.status({ status: 429, retryAfter: 10 }),
    expect: () => ({ ...retriedOnce(), minElapsed: "10 seconds", maxElapsed: "11 seconds" })
  },
  {
    name: "429 Retry-After 120 (seconds, over the 60 s cap)",
    fault: () => Fault.status({ status: 429, retryAfter: 120 }),
    expect: (op) => ({
      ...failsAtOnce(op, { _tag: "BasiqRateLimitError", status: 429, code: "too-many-requests" }),
      extra: (error) => expect(error.retryAfter).toEqual(Duration.seconds(120))
    })
  },
  {
    name: "429 Retry-After as an HTTP date 10 s ahead (under the cap)",
    fault: (now) => Fault.status({ status: 429, retryAfter: httpDate(now + 10_000) }),
    // HTTP dates have whole seconds: the wait is between 9 and 10 s.
    expect: () => ({ ...retriedOnce(), minElapsed: "9 seconds", maxElapsed: "11 seconds" })
  },
  {
    name: "429 Retry-After as an HTTP date 5 min ahead (over the cap)",
    fault: (now) => Fault.status({ status: 429, retryAfter: httpDate(now + 300_000) }),
    expect: (op) => ({
      ...failsAtOnce(op, { _tag: "BasiqRateLimitError", status: 429, code: "too-many-requests" }),
      extra: (error) => {
        const retryAfter = Duration.toSeconds(error.retryAfter as Duration.Duration)
        expect(retryAfter).toBeGreaterThan(298)
        expect(retryAfter).toBeLessThanOrEqual(300)
      }
    })
  },
  {
    name: "500",
    fault: () => Fault.status({ status: 500 }),
    expect: (op) =>
      op.idempotent
        ? retriedOnce()
        : failsAtOnce(op, {
            _tag: "BasiqServerError",
            status: 500,
            code: "internal-server-error",
            outcomeUnknown: true
          })
  },
  {
    name: "502 with an HTML body",
    fault: () =>
      Fault.status({
        status: 502,
        body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
        contentType: "text/html"
      }),
    expect: (op) =>
      op.idempotent
        ? retriedOnce()
        : {
            ...failsAtOnce(op, { _tag: "BasiqServerError", status: 502, errors: [], outcomeUnknown: true }),
            extra: (error) => expect(error.code).toBeUndefined()
          }
  },
  {
    name: "503",
    fault: () => Fault.status({ status: 503 }),
    expect: () => retriedOnce()
  },
  {
    name: "504",
    fault: () => Fault.status({ status: 504 }),
    expect: (op) =>
      op.idempotent ? retriedOnce() : failsAtOnce(op, { _tag: "BasiqServerError", status: 504, outcomeUnknown: true })
  },
  {
    name: "per-attempt timeout (the answer takes 5 s, the timeout is 1 s)",
    timesOut: true,
    fault: () => Fault.delay("5 seconds"),
    // The timed-out request is aborted, and the fake never applies an aborted request.
    expect: (op) =>
      op.idempotent
        ? { ...retriedOnce(), minElapsed: SHORT_TIMEOUT, maxElapsed: "2 seconds" }
        : failsAtOnce(op, { _tag: "BasiqTransportError", reason: "Timeout", outcomeUnknown: true })
  },
  {
    name: "connection reset before the request is applied",
    fault: () => Fault.resetBeforeApply(),
    // A refused connection sent nothing: every operation retries it, and applies it once. Served,
    // the fake can only close the connection after reading the request (a refusal happens before
    // the request exists): on the wire that is a reset before any answer, and the SDK rightly
    // treats it as maybe applied. Over a real refusal, undici's `NotSent` is retried for every
    // operation (sdk-hostile.test.ts).
    expect: (op, client) =>
      !client.served || op.idempotent
        ? retriedOnce()
        : failsAtOnce(op, { _tag: "BasiqTransportError", reason: "ConnectionReset", outcomeUnknown: true })
  },
  {
    name: "connection reset after the request is applied",
    fault: () => Fault.resetAfterApply(),
    expect: (op) =>
      op.idempotent
        ? retriedAfterApplied(op)
        : failsAtOnce(op, { _tag: "BasiqTransportError", reason: "ConnectionReset", outcomeUnknown: true }, 1)
  },
  {
    name: "truncated JSON body",
    fault: () => Fault.truncate(),
    // A 204 has no body to truncate: the delete succeeds at once.
    expect: (op) =>
      !op.readsBody
        ? { _tag: "Success", requests: 1, reauth: 0, earlierApplied: false }
        : op.idempotent
          ? retriedAfterApplied(op)
          : failsAtOnce(op, { _tag: "BasiqTransportError", reason: "ResponseBody", outcomeUnknown: true }, 1)
  },
  {
    name: "2xx with a wrong-shape body",
    fault: () => Fault.status({ status: 200, body: { type: "surprise", data: 42 } }),
    // The fault answers instead of the routes: nothing is applied. A delete does not read a body.
    expect: (op) =>
      !op.readsBody
        ? { _tag: "Success", requests: 1, reauth: 0, earlierApplied: false, applied: 0 }
        : failsAtOnce(op, { _tag: "BasiqDecodeError", status: 200 })
  }
]

// -------------------------------------------------------------------------------------------------
// the matrix
// -------------------------------------------------------------------------------------------------

const runCell = (client: MatrixClient, fault: FaultCase, op: Operation) =>
  Effect.gen(function* () {
    const basiq = yield* InMemoryBasiq.InMemoryBasiq
    const fx = yield* setupFixture(client, op)
    const before = op.measure === undefined ? 0 : yield* op.measure(fx)
    const mark = (yield* basiq.journal).length
    const path = op.path(fx)
    yield* basiq.injectFault({ method: op.method, path, fault: fault.fault(yield* Clock.currentTimeMillis) })

    const timeout = fault.timesOut === true ? SHORT_TIMEOUT : LONG_TIMEOUT
    // The fake holds the request (in a `Fault.delay`) once it has received it.
    const held = Effect.map(basiq.journal, (journal) =>
      journal.slice(mark).some((e) => e.method === op.method && e.path === path)
    )
    const { elapsed, exit } = yield* drive(op.call(fx), fault.timesOut === true ? { timeout, held } : { timeout })

    const entries = (yield* basiq.journal).slice(mark)
    const requests = entries.filter((e) => e.method === op.method && e.path === path).length
    const tokens = entries.filter((e) => e.path === "/token").length
    const applied = op.measure === undefined ? 0 : Math.abs((yield* op.measure(fx)) - before)
    const expected = fault.expect(op, client)

    expect({ requests, tokens }).toEqual({ requests: expected.requests, tokens: ownTokens(op) + expected.reauth })
    if (expected._tag === "Success") {
      if (Exit.isFailure(exit)) expect.fail(`expected a success, got ${Cause.pretty(exit.cause)}`)
      else op.check(exit.value, fx, expected.earlierApplied)
      if (op.measure !== undefined) expect(applied, "times applied").toBe(expected.applied ?? 1)
      if (expected.minElapsed !== undefined) {
        expect(elapsed).toBeGreaterThanOrEqual(Duration.toMillis(expected.minElapsed))
      }
      if (expected.maxElapsed !== undefined) expect(elapsed).toBeLessThan(Duration.toMillis(expected.maxElapsed))
    } else {
      if (Exit.isSuccess(exit)) return expect.fail(`expected ${String(expected.error._tag)}, got a success`)
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure)) return expect.fail(`expected a failure, got ${Cause.pretty(exit.cause)}`)
      const error = failure.value as Readonly<Record<string, unknown>>
      expect(error).toMatchObject(expected.error)
      expected.extra?.(error)
      if (op.measure !== undefined) expect(applied, "times applied").toBe(expected.applied)
    }
  }).pipe(Effect.provide(makeLayer(client, fault.timesOut === true ? SHORT_TIMEOUT : LONG_TIMEOUT)))

describe.each(clients)("fault matrix over $name", (client) => {
  for (const fault of faults) {
    describe(fault.name, () => {
      for (const op of operations) {
        it.effect(op.name, () => runCell(client, fault, op))
      }
    })
  }
})
