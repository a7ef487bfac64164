/**
 * Property tests (fast-check 3, through effect's `FastCheck` re-export):
 *
 * - ids: an arbitrary id either reaches exactly its route (in the fake's journal) or is refused
 *   with `BasiqInvalidRequestError` before any I/O; never another route;
 * - filters: built filters with arbitrary allowed values reach the fake's parser unchanged and
 *   select exactly the matching connections; refused values never reach it;
 * - secrets: for arbitrary API keys, tokens, credentials, MFA answers and failure kinds, no secret
 *   appears in the error (`message`, `String`, `util.inspect`, `JSON.stringify`), the pretty
 *   cause, any log line or any span attribute; the key travels only to `/token`;
 * - decoding: responses generated from the schemas decode; arbitrary invalid ones fail with
 *   `BasiqDecodeError`, never a throw or a defect.
 */
import * as util from "node:util"
import {
  BasiqConnections,
  ConnectionFilter,
  ConnectionSchemas,
  Connections,
  JobSchemas,
  Jobs
} from "@basiq-effect/connections"
import { type BasiqError, BasiqRetry } from "@basiq-effect/core"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import {
  Arbitrary,
  Cause,
  Chunk,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  FastCheck as fc,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Runtime,
  Schedule,
  Schema,
  TestClock,
  Tracer
} from "effect"
import { InMemoryBasiq } from "../src/index.js"
import * as FakeFilter from "../src/internal/filter.js"

const { Fault } = InMemoryBasiq

/** Runs a fast-check property whose check is an Effect, on the test's runtime. */
const property = <T, R>(
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Effect.Effect<void, never, R>,
  numRuns: number
) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<R>()
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(arbitrary, (value) => Runtime.runPromise(runtime)(check(value))),
        { numRuns }
      )
    )
  })

const sdkOverFake = () =>
  BasiqConnections.layerWithoutHttpClient({ apiKey: "property-key", retry: false }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer())
  )

const journalSince = (mark: number) =>
  Effect.map(
    Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) => basiq.journal),
    (entries) => entries.slice(mark)
  )

const journalLength = Effect.map(
  Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) => basiq.journal),
  (entries) => entries.length
)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

// -------------------------------------------------------------------------------------------------
// ids
// -------------------------------------------------------------------------------------------------

const idChars = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"]

/** Fixed segments of Basiq's routes: as an id they would address another route. */
const routeSegments = ["users", "connections", "refresh", "jobs", "mfa", "token"]

const idArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(...idChars, "/", "%", "?", "#", " ", "\\", "..", "%2F", "%2e", "\u0000", "\n", "é", "🙂"),
    maxLength: 12
  }),
  fc.constantFrom(".", "..", "...", "~", "", "a".repeat(256), "b".repeat(257), "%2e%2e", "..%2F..", " x"),
  fc
    .constantFrom(...routeSegments)
    .chain((s) => fc.constantFrom(s, s.toUpperCase(), `${s[0]!.toUpperCase()}${s.slice(1)}`))
)

/** Ids that must be refused whatever else the rules say. */
const mustRefuse = (id: string) =>
  id.length === 0 ||
  id.length > 256 ||
  !/^[A-Za-z0-9\-_.~]*$/.test(id) ||
  id === "." ||
  id === ".." ||
  routeSegments.includes(id.toLowerCase())

/** Ids that must be accepted: the allowed characters, starting with a letter or digit, not a route segment. */
const mustAccept = (id: string) =>
  /^[A-Za-z0-9][A-Za-z0-9\-_.~]{0,255}$/.test(id) &&
  !routeSegments.includes(id.toLowerCase()) &&
  !["purge", "accounts", "transactions", "institutions", "auth_link"].includes(id.toLowerCase())

interface IdCase {
  readonly name: string
  readonly method: "GET" | "POST" | "DELETE"
  readonly ids: number
  readonly path: (ids: ReadonlyArray<string>) => string
  readonly call: (
    ids: ReadonlyArray<string>
  ) => Effect.Effect<
    unknown,
    BasiqError.RequestFailure | BasiqError.BasiqDecodeError,
    Connections.Connections | Jobs.Jobs
  >
}

const body = { loginId: Redacted.make("jared"), password: Redacted.make("django"), institution: { id: "AU00000" } }

const idCases: ReadonlyArray<IdCase> = [
  {
    name: "getConnections",
    method: "GET",
    ids: 1,
    path: ([u]) => `/users/${u}/connections`,
    call: ([u]) => Effect.flatMap(Connections.Connections, (c) => c.getConnections(u!))
  },
  {
    name: "getConnection",
    method: "GET",
    ids: 2,
    path: ([u, c]) => `/users/${u}/connections/${c}`,
    call: ([u, c]) => Effect.flatMap(Connections.Connections, (s) => s.getConnection(u!, c!))
  },
  {
    name: "postConnection",
    method: "POST",
    ids: 1,
    path: ([u]) => `/users/${u}/connections`,
    call: ([u]) => Effect.flatMap(Connections.Connections, (c) => c.postConnection(u!, body))
  },
  {
    name: "updateConnection",
    method: "POST",
    ids: 2,
    path: ([u, c]) => `/users/${u}/connections/${c}`,
    call: ([u, c]) =>
      Effect.flatMap(Connections.Connections, (s) => s.updateConnection(u!, c!, { password: Redacted.make("x1") }))
  },
  {
    name: "deleteConnection",
    method: "DELETE",
    ids: 2,
    path: ([u, c]) => `/users/${u}/connections/${c}`,
    call: ([u, c]) => Effect.flatMap(Connections.Connections, (s) => s.deleteConnection(u!, c!))
  },
  {
    name: "refreshConnection",
    method: "POST",
    ids: 2,
    path: ([u, c]) => `/users/${u}/connections/${c}/refresh`,
    call: ([u, c]) => Effect.flatMap(Connections.Connections, (s) => s.refreshConnection(u!, c!))
  },
  {
    name: "refreshConnections",
    method: "POST",
    ids: 1,
    path: ([u]) => `/users/${u}/connections/refresh`,
    call: ([u]) => Effect.flatMap(Connections.Connections, (c) => c.refreshConnections(u!))
  },
  {
    name: "getJob",
    method: "GET",
    ids: 1,
    path: ([j]) => `/jobs/${j}`,
    call: ([j]) => Effect.flatMap(Jobs.Jobs, (s) => s.getJob(j!))
  },
  {
    name: "postJobMfa",
    method: "POST",
    ids: 1,
    path: ([j]) => `/jobs/${j}/mfa`,
    call: ([j]) => Effect.flatMap(Jobs.Jobs, (s) => s.postJobMfa(j!, [Redacted.make("1234")]))
  }
]

describe("ids", () => {
  it.effect("an arbitrary id reaches exactly its route, or is refused before any I/O", () =>
    Effect.gen(function* () {
      let refused = 0
      let reached = 0
      yield* property(
        fc.tuple(fc.constantFrom(...idCases), fc.array(idArbitrary, { minLength: 2, maxLength: 2 })),
        ([op, generated]) =>
          Effect.gen(function* () {
            const ids = generated.slice(0, op.ids)
            const mark = yield* journalLength
            const exit = yield* Effect.exit(op.call(ids))
            const sent = (yield* journalSince(mark)).filter((entry) => entry.path !== "/token")
            const error = failureOf(exit)
            if (error?._tag === "BasiqInvalidRequestError") {
              refused++
              expect(sent).toEqual([])
              expect(ids.some((id) => !mustAccept(id))).toBe(true)
            } else {
              reached++
              expect(ids.some(mustRefuse)).toBe(false)
              expect(sent.map((entry) => `${entry.method} ${entry.path}`)).toEqual([
                `${op.method} ${op.path(ids.map(encodeURIComponent))}`
              ])
            }
          }),
        300
      )
      expect(refused).toBeGreaterThan(30)
      expect(reached).toBeGreaterThan(30)
    }).pipe(Effect.provide(sdkOverFake()))
  )
})

// -------------------------------------------------------------------------------------------------
// filters
// -------------------------------------------------------------------------------------------------

type Property = ConnectionFilter.Property
type Operator = ConnectionFilter.Operator

interface GeneratedClause {
  readonly property: Property
  readonly operator: Operator
  readonly values: readonly [string] | readonly [string, string]
}

const forbiddenSyntax = /['(),]/

/** C0 and C1 control characters and DEL, which have no place in a filter value. */
const hasControl = (value: string) =>
  [...value].some((c) => {
    const code = c.charCodeAt(0)
    return code < 0x20 || (code >= 0x7f && code <= 0x9f)
  })

/** A lone UTF-16 surrogate (URL encoding would send U+FFFD instead). */
const loneSurrogate = /\p{Cs}/u

const isAllowedValue = (value: string) =>
  value.length > 0 && !forbiddenSyntax.test(value) && !hasControl(value) && !loneSurrogate.test(value)

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n))

const institutionPool = ["AU00000", "AU00002", "a b+c", "100%", "ü&=?#", "🙂x", "x/y\\z"]
const statusPool = ["pending", "active", "invalid"] as const

const allowedValue = (pool: ReadonlyArray<string>) =>
  fc.oneof(
    fc.constantFrom(...pool),
    fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter(isAllowedValue),
    fc.string({ unit: codeUnit, minLength: 1, maxLength: 12 }).filter(isAllowedValue),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).filter(isAllowedValue)
  )

/** Statuses are a closed set (`ConnectionFilter.status` takes only those); other fields any allowed text. */
const clauseValue = (property: Property, pools: Readonly<Record<Property, ReadonlyArray<string>>>) =>
  property === "status" ? fc.constantFrom(...pools.status) : allowedValue(pools[property])

const clauseArbitrary = (pools: Readonly<Record<Property, ReadonlyArray<string>>>): fc.Arbitrary<GeneratedClause> =>
  fc
    .tuple(
      fc.constantFrom<Property>("id", "status", "institution.id"),
      fc.constantFrom<Operator>("eq", "ne", "gt", "gteq", "lt", "lteq", "bt")
    )
    .chain(([property, operator]) =>
      operator === "bt"
        ? fc
            .tuple(clauseValue(property, pools), clauseValue(property, pools))
            .map((values): GeneratedClause => ({ property, operator, values }))
        : clauseValue(property, pools).map((value): GeneratedClause => ({ property, operator, values: [value] }))
    )

/** The refusal tests hand any string to `status` on purpose: its run-time check must refuse it. */
const unsafeStatus = (value: string): ConnectionFilter.Status => value as ConnectionFilter.Status

const build = (clauses: ReadonlyArray<GeneratedClause>) =>
  ConnectionFilter.and(
    ...clauses.map(({ property, operator, values }) => {
      if (property === "status") {
        const field = ConnectionFilter.status
        const [a, b] = [unsafeStatus(values[0]), unsafeStatus(values[1] ?? values[0])]
        return operator === "bt" ? field.bt(a, b) : field[operator](a)
      }
      const field = property === "id" ? ConnectionFilter.id : ConnectionFilter.institutionId
      return operator === "bt" ? field.bt(values[0], values[1] ?? values[0]) : field[operator](values[0])
    })
  )

/** The meaning of a clause, stated independently of the fake: string comparison by code unit. */
const holds = (value: string, { operator, values: [a, b] }: GeneratedClause) => {
  switch (operator) {
    case "eq":
      return value === a
    case "ne":
      return value !== a
    case "gt":
      return value > a
    case "gteq":
      return value >= a
    case "lt":
      return value < a
    case "lteq":
      return value <= a
    case "bt":
      return a <= value && value <= (b ?? a)
  }
}

describe("filters", () => {
  it.effect("built filters with allowed values reach the fake's parser unchanged and select exactly the matches", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const connections = yield* Connections.Connections
      const user = yield* basiq.createUser({ email: "filters@hooli.example" })
      const seeded = yield* Effect.forEach(institutionPool, (institutionId, i) =>
        basiq.seedConnection({ userId: user.id, institutionId, status: statusPool[i % statusPool.length]! })
      )
      const pools: Record<Property, ReadonlyArray<string>> = {
        id: seeded.map((c) => c.id),
        status: statusPool,
        "institution.id": institutionPool
      }
      let matched = 0
      yield* property(
        fc.array(clauseArbitrary(pools), { minLength: 1, maxLength: 3 }),
        (clauses) =>
          Effect.gen(function* () {
            const mark = yield* journalLength
            const list = yield* Effect.orDie(connections.getConnections(user.id, { filter: build(clauses) }))
            const [entry, ...more] = (yield* journalSince(mark)).filter((e) => e.path !== "/token")
            expect(more).toEqual([])
            expect(entry?.path).toBe(`/users/${user.id}/connections`)
            const parsed = FakeFilter.parse(entry?.query.filter ?? "", ["id", "status", "institution.id"])
            expect(parsed?.map((c) => ({ property: c.property, operator: c.op, values: c.values }))).toEqual(clauses)
            const expected = seeded
              .filter((c) =>
                clauses.every((clause) =>
                  holds(
                    clause.property === "id" ? c.id : clause.property === "status" ? c.status : c.institution.id,
                    clause
                  )
                )
              )
              .map((c) => c.id)
            const got = list.data.map((c) => c.id)
            expect([...got].sort()).toEqual([...expected].sort())
            if (got.length > 0) matched++
          }),
        150
      )
      // The generated filters were not all trivially empty.
      expect(matched).toBeGreaterThan(10)
    }).pipe(Effect.provide(sdkOverFake()))
  )

  it.effect("a value the syntax cannot carry is refused before any I/O", () =>
    Effect.gen(function* () {
      const connections = yield* Connections.Connections
      const refusedValue = fc
        .tuple(
          fc.string({ maxLength: 6 }),
          fc.constantFrom("'", ",", "(", ")", "\u0000", "\n", "\t", "\u007f", "\u0085", "\ud800", "\udfff", ""),
          fc.string({ maxLength: 6 })
        )
        .map(([a, bad, b]) => `${a}${bad}${b}`)
        .filter((value) => !isAllowedValue(value))
      yield* property(
        fc.tuple(clauseArbitrary({ id: ["x"], status: ["active"], "institution.id": ["AU00000"] }), refusedValue),
        ([clause, value]) =>
          Effect.gen(function* () {
            const mark = yield* journalLength
            const bad: GeneratedClause = {
              ...clause,
              values: clause.operator === "bt" ? [clause.values[0], value] : [value]
            }
            const exit = yield* Effect.exit(connections.getConnections("filter-user", { filter: build([clause, bad]) }))
            const error = failureOf(exit)
            expect(error).toMatchObject({ _tag: "BasiqInvalidRequestError", fields: ["filter"] })
            expect(yield* journalSince(mark)).toEqual([])
          }),
        100
      )
    }).pipe(Effect.provide(sdkOverFake()))
  )
})

// -------------------------------------------------------------------------------------------------
// secrets
// -------------------------------------------------------------------------------------------------

interface Secrets {
  readonly apiKey: string
  readonly token: string
  readonly loginId: string
  readonly password: string
  readonly answer: string
}

type FailureKind =
  | { readonly _tag: "Status"; readonly status: number }
  | { readonly _tag: "Refused" }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Truncated" }
  | { readonly _tag: "WrongShape" }
  | { readonly _tag: "NotJson" }
  | { readonly _tag: "Timeout" }
  | { readonly _tag: "TokenStatus"; readonly status: number }
  | { readonly _tag: "TokenReset" }
  | { readonly _tag: "TokenWithoutAccessToken" }
  | { readonly _tag: "Success" }

const failureKinds: fc.Arbitrary<FailureKind> = fc.oneof(
  fc
    .constantFrom(400, 401, 403, 404, 405, 409, 415, 429, 500, 502, 503, 504)
    .map((status): FailureKind => ({ _tag: "Status", status })),
  fc.constantFrom<FailureKind>(
    { _tag: "Refused" },
    { _tag: "Reset" },
    { _tag: "Truncated" },
    { _tag: "WrongShape" },
    { _tag: "NotJson" },
    { _tag: "Timeout" },
    { _tag: "TokenReset" },
    { _tag: "TokenWithoutAccessToken" },
    { _tag: "Success" }
  ),
  fc.constantFrom(400, 401, 404, 429, 500, 503).map((status): FailureKind => ({ _tag: "TokenStatus", status }))
)

/** At least 8 distinct characters, so a secret cannot pass for indentation or punctuation. */
const distinctive = (s: string) => new Set(s.replace(/\s/g, "")).size >= 8

const headerSafe = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=!#$%&*^|"]

const secretsArbitrary: fc.Arbitrary<Secrets> = fc.record({
  apiKey: fc.string({ unit: fc.constantFrom(...headerSafe, ":"), minLength: 16, maxLength: 48 }).filter(distinctive),
  token: fc.string({ unit: fc.constantFrom(...headerSafe), minLength: 16, maxLength: 64 }).filter(distinctive),
  loginId: fc.string({ unit: "grapheme", minLength: 10, maxLength: 24 }).filter(distinctive),
  password: fc.string({ unit: "grapheme", minLength: 10, maxLength: 24 }).filter(distinctive),
  answer: fc.string({ unit: "grapheme", minLength: 10, maxLength: 24 }).filter(distinctive)
})

type SecretOp = "postConnection" | "updateConnection" | "postJobMfa" | "getConnection"

/** How a secret could show up in text: as is, JSON-escaped, inspect-escaped or URL-encoded. */
const forms = (secret: string) => [
  ...new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    util.inspect(secret).slice(1, -1),
    encodeURIComponent(secret)
  ])
]

interface Sent {
  readonly path: string
  readonly authorization: string
  readonly text: string
}

const requestText = (body: { readonly _tag: string; readonly body?: unknown }) =>
  body._tag === "Uint8Array" && body.body instanceof Uint8Array ? new TextDecoder().decode(body.body) : ""

/**
 * A scripted Basiq: `/token` answers with the generated token (or the token failure), every other
 * route with the failure kind. Failures are made as hostile as possible: transport errors and
 * broken bodies carry the request's secrets in their own messages, and wrong-shape bodies echo
 * them, so the SDK must drop them.
 */
const scriptedBasiq = (secrets: Secrets, kind: FailureKind, sent: Array<Sent>) =>
  HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const authorization = request.headers.authorization ?? ""
      const text = requestText(request.body)
      sent.push({ path: url.pathname, authorization, text })
      const leak = `${authorization} ${text} ${Object.values(secrets).join(" ")}`
      const respond = (status: number, payload: string | null, contentType = "application/json") =>
        Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            new Response(payload, { status, headers: { "content-type": contentType } })
          )
        )
      const envelope = (status: number) =>
        JSON.stringify({
          type: "list",
          correlationId: "corr-1",
          data: [{ type: "error", code: status === 403 ? "forbidden-access" : "some-code", title: "Refused." }]
        })
      const transport = (code: string) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error(`${code}: ${leak}`), { code })
          })
        )
      if (url.pathname === "/token") {
        switch (kind._tag) {
          case "TokenStatus":
            return respond(kind.status, envelope(kind.status))
          case "TokenReset":
            return transport("ECONNRESET")
          case "TokenWithoutAccessToken":
            return respond(200, JSON.stringify({ token_type: "Bearer", echo: leak }))
          default:
            return respond(200, JSON.stringify({ access_token: secrets.token, token_type: "Bearer", expires_in: 3600 }))
        }
      }
      switch (kind._tag) {
        case "Status":
          return respond(kind.status, envelope(kind.status))
        case "Refused":
          return transport("ECONNREFUSED")
        case "Reset":
          return transport("ECONNRESET")
        case "Truncated": {
          const half = new TextEncoder().encode(`{"type":"job","id":"${leak.slice(0, 20)}`)
          const stream = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(half)
              controller.error(Object.assign(new TypeError(`terminated ${leak}`), { code: "UND_ERR_SOCKET" }))
            }
          })
          return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(stream, { status: 200 })))
        }
        case "WrongShape":
          return respond(200, JSON.stringify({ type: 42, id: { leak }, links: leak }))
        case "NotJson":
          return respond(200, `<html>${leak}</html>`, "text/html")
        case "Timeout":
          return Effect.never
        default:
          return respond(
            url.pathname.endsWith("/mfa") || request.method === "POST" ? 202 : 200,
            JSON.stringify(
              request.method === "POST"
                ? { type: "job", id: "job-1", links: { self: "https://example.test/jobs/job-1" } }
                : {
                    type: "connection",
                    id: "conn-1",
                    institution: { id: "AU00000" },
                    links: { self: "https://example.test/c" }
                  }
            )
          )
      }
    })
  )

/** A tracer recording every span (on top of Effect's native one). */
const recordingTracer = (spans: Array<Tracer.Span>) =>
  Effect.map(Effect.tracer, (native) =>
    Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = native.span(name, parent, context, links, startTime, kind, options)
        spans.push(span)
        return span
      },
      context: (f, fiber) => native.context(f, fiber)
    })
  )

/** Drives the TestClock to each pending sleep until the fiber is done (timeouts only here). */
const runToEnd = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    for (let turn = 0; turn < 10_000; turn++) {
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      const now = yield* TestClock.currentTimeMillis
      const pending = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((at) => at > now)
      if (pending.length > 0) yield* TestClock.adjust(Duration.millis(Math.min(...pending) - now))
    }
    return yield* Effect.dieMessage("the call made no progress")
  })

describe("secrets", () => {
  it.effect("no secret reaches an error, its cause, a log line or a span; the key goes only to /token", () =>
    property(
      fc.tuple(
        secretsArbitrary,
        failureKinds,
        fc.constantFrom<SecretOp>("postConnection", "updateConnection", "postJobMfa", "getConnection")
      ),
      ([secrets, kind, op]) =>
        Effect.gen(function* () {
          const sent: Array<Sent> = []
          const lines: Array<string> = []
          const spans: Array<Tracer.Span> = []
          const logger = Logger.make((options) => {
            lines.push(Logger.logfmtLogger.log(options))
            lines.push(JSON.stringify(Logger.structuredLogger.log(options)))
          })
          const layer = BasiqConnections.layerWithoutHttpClient({
            apiKey: secrets.apiKey,
            timeout: "5 seconds",
            retry: BasiqRetry.fromSchedule(Schedule.recurs(1))
          }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, scriptedBasiq(secrets, kind, sent))))
          const call = Effect.gen(function* () {
            const connections = yield* Connections.Connections
            const jobs = yield* Jobs.Jobs
            switch (op) {
              case "postConnection":
                return yield* connections.postConnection("user-1", {
                  loginId: Redacted.make(secrets.loginId),
                  password: Redacted.make(secrets.password),
                  securityCode: Redacted.make(secrets.answer),
                  institution: { id: "AU00000" }
                })
              case "updateConnection":
                return yield* connections.updateConnection("user-1", "conn-1", {
                  password: Redacted.make(secrets.password),
                  secondaryLoginId: Redacted.make(secrets.loginId)
                })
              case "postJobMfa":
                return yield* jobs.postJobMfa("job-1", [Redacted.make(secrets.answer)], { userId: "user-1" })
              case "getConnection":
                return yield* connections.getConnection("user-1", "conn-1")
            }
          }).pipe(
            Effect.tapErrorCause((cause) => Effect.logError("the Basiq call failed", cause)),
            Effect.tap((value) => Effect.logDebug("the Basiq call succeeded", value)),
            Effect.withSpan("app.call"),
            Effect.provide(layer)
          )
          const tracer = yield* recordingTracer(spans)
          const exit = yield* runToEnd(
            call.pipe(
              Effect.withTracer(tracer),
              Logger.withMinimumLogLevel(LogLevel.All),
              Effect.provide(Logger.replace(Logger.defaultLogger, logger))
            )
          )

          const texts: Array<string> = [...lines]
          if (Exit.isFailure(exit)) {
            texts.push(Cause.pretty(exit.cause))
            const error = failureOf(exit)
            if (error !== undefined) {
              texts.push(error.message, String(error), util.inspect(error, { depth: 10 }), JSON.stringify(error))
            }
          }
          for (const span of spans) {
            texts.push(span.name, util.inspect(span.attributes, { depth: 10 }), JSON.stringify([...span.attributes]))
          }
          expect(spans.length).toBeGreaterThan(1)
          expect(lines.length).toBeGreaterThan(0)
          const all = texts.join("\n")
          for (const [name, secret] of Object.entries(secrets)) {
            for (const form of forms(secret)) {
              if (all.includes(form)) expect.fail(`the ${name} appeared in the output (failure ${kind._tag})`)
            }
          }
          // The key is sent only to /token, as `Basic <key>`; the token never goes to /token.
          expect(sent.length).toBeGreaterThan(0)
          for (const request of sent) {
            if (request.path === "/token") {
              expect(request.authorization).toBe(`Basic ${secrets.apiKey}`)
            } else {
              expect(request.authorization).toBe(`Bearer ${secrets.token}`)
              expect(`${request.path} ${request.text}`.includes(secrets.apiKey)).toBe(false)
            }
          }
        }),
      150
    )
  )
})

// -------------------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------------------

interface DecodeCase<A, I> {
  readonly name: string
  readonly schema: Schema.Schema<A, I, never>
  readonly method: "GET" | "POST"
  readonly path: (userId: string, connectionId: string) => string
  readonly call: (
    userId: string,
    connectionId: string
  ) => Effect.Effect<
    unknown,
    BasiqError.RequestFailure | BasiqError.BasiqDecodeError,
    Connections.Connections | Jobs.Jobs
  >
  /** The SDK's value for a decoded body (e.g. `refreshConnection` adds `alreadyRunning`). */
  readonly expected: (decoded: A) => unknown
}

const decodeCases = [
  {
    name: "getConnection (Connection)",
    schema: ConnectionSchemas.Connection,
    method: "GET",
    path: (u: string, c: string) => `/users/${u}/connections/${c}`,
    call: (u: string, c: string) => Effect.flatMap(Connections.Connections, (s) => s.getConnection(u, c)),
    expected: (decoded: ConnectionSchemas.Connection) => decoded
  } satisfies DecodeCase<ConnectionSchemas.Connection, typeof ConnectionSchemas.Connection.Encoded>,
  {
    name: "getConnections (ConnectionList)",
    schema: ConnectionSchemas.ConnectionList,
    method: "GET",
    path: (u: string) => `/users/${u}/connections`,
    call: (u: string) => Effect.flatMap(Connections.Connections, (s) => s.getConnections(u)),
    expected: (decoded: ConnectionSchemas.ConnectionList) => decoded
  } satisfies DecodeCase<ConnectionSchemas.ConnectionList, typeof ConnectionSchemas.ConnectionList.Encoded>,
  {
    name: "getJob (Job)",
    schema: JobSchemas.Job,
    method: "GET",
    path: () => "/jobs/job-1",
    call: () => Effect.flatMap(Jobs.Jobs, (s) => s.getJob("job-1")),
    expected: (decoded: JobSchemas.Job) => decoded
  } satisfies DecodeCase<JobSchemas.Job, typeof JobSchemas.Job.Encoded>,
  {
    name: "refreshConnection (JobRef)",
    schema: ConnectionSchemas.JobRef,
    method: "POST",
    path: (u: string, c: string) => `/users/${u}/connections/${c}/refresh`,
    call: (u: string, c: string) => Effect.flatMap(Connections.Connections, (s) => s.refreshConnection(u, c)),
    expected: (decoded: ConnectionSchemas.JobRef) => ({ ...decoded, alreadyRunning: true })
  } satisfies DecodeCase<ConnectionSchemas.JobRef, typeof ConnectionSchemas.JobRef.Encoded>
] as const

/** The wire JSON of a value: what a response body carries. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? "null")

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isJsonArray = (value: Json): value is ReadonlyArray<Json> => Array.isArray(value)

/** Every path to a node of a JSON value. */
const pathsOf = (value: Json, prefix: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> => {
  const out: Array<ReadonlyArray<string | number>> = [prefix]
  if (isJsonArray(value)) {
    value.forEach((item, i) => {
      out.push(...pathsOf(item, [...prefix, i]))
    })
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]))
  }
  return out
}

const DELETE = Symbol("delete")

/** The value with the node at `path` replaced (or deleted). */
const replaceAt = (value: Json, path: ReadonlyArray<string | number>, by: Json | typeof DELETE): Json | undefined => {
  if (path.length === 0) return by === DELETE ? undefined : by
  const [head, ...rest] = path
  if (isJsonArray(value)) {
    const copy = [...value]
    const next = replaceAt(copy[head as number] as Json, rest, by)
    if (next === undefined) copy.splice(head as number, 1)
    else copy[head as number] = next
    return copy
  }
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, Json> = { ...value }
    const next = replaceAt(copy[head as string] as Json, rest, by)
    if (next === undefined) delete copy[head as string]
    else copy[head as string] = next
    return copy
  }
  return value
}

/** A valid body with one node replaced by a value of another type, or removed. */
const mutated = (valid: fc.Arbitrary<Json>) =>
  valid.chain((body) =>
    fc
      .tuple(
        fc.constantFrom(...pathsOf(body)),
        fc.constantFrom<Json | typeof DELETE>(DELETE, 42, -1.5, "x", "", true, null, [], {}, [1, "a"])
      )
      .map(([path, by]) => replaceAt(body, path, by) ?? null)
  )

const decodeSdkLayer = () =>
  BasiqConnections.layerWithoutHttpClient({ apiKey: "decode-key", retry: false }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer())
  )

const decodeProperty = <A, I>(
  testCase: DecodeCase<A, I>,
  bodies: fc.Arbitrary<unknown>,
  numRuns: number,
  counts: { valid: number; invalid: number }
) =>
  Effect.gen(function* () {
    const basiq = yield* InMemoryBasiq.InMemoryBasiq
    const decode = Schema.decodeUnknownEither(testCase.schema)
    yield* property(
      bodies,
      (body) =>
        Effect.gen(function* () {
          const path = testCase.path("user-1", "conn-1")
          yield* basiq.injectFault({ method: testCase.method, path, fault: Fault.status({ status: 200, body }) })
          const exit = yield* Effect.exit(testCase.call("user-1", "conn-1"))
          expect(Option.isNone(Cause.dieOption(Exit.isFailure(exit) ? exit.cause : Cause.empty))).toBe(true)
          const oracle = decode(typeof body === "string" ? parseOrUndefined(body) : wire(body))
          if (Either.isRight(oracle)) {
            counts.valid++
            if (Exit.isFailure(exit)) return expect.fail(`a valid body failed: ${Cause.pretty(exit.cause)}`)
            expect(exit.value).toEqual(testCase.expected(oracle.right))
          } else {
            counts.invalid++
            expect(failureOf(exit)).toMatchObject({
              _tag: "BasiqDecodeError",
              method: testCase.method,
              status: 200,
              attempts: 1,
              at: expect.any(String),
              expected: expect.any(String)
            })
          }
        }),
      numRuns
    )
  })

const NOT_JSON = Symbol("not JSON")

const parseOrUndefined = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

describe("decoding", () => {
  for (const testCase of decodeCases) {
    it.effect(`${testCase.name}: bodies generated from the schema decode`, () =>
      Effect.gen(function* () {
        const counts = { valid: 0, invalid: 0 }
        const encode = Schema.encodeSync(testCase.schema as Schema.Schema<unknown, unknown, never>)
        const valid = Arbitrary.make(testCase.schema as Schema.Schema<unknown, unknown, never>).map((a) =>
          wire(encode(a))
        )
        yield* decodeProperty(testCase as DecodeCase<unknown, unknown>, valid, 60, counts)
        expect(counts).toEqual({ valid: 60, invalid: 0 })
      }).pipe(Effect.provide(decodeSdkLayer()))
    )

    it.effect(`${testCase.name}: invalid bodies fail with BasiqDecodeError, never a defect`, () =>
      Effect.gen(function* () {
        const counts = { valid: 0, invalid: 0 }
        const encode = Schema.encodeSync(testCase.schema as Schema.Schema<unknown, unknown, never>)
        const valid = Arbitrary.make(testCase.schema as Schema.Schema<unknown, unknown, never>).map(
          (a) => wire(encode(a)) as Json
        )
        const invalid = fc.oneof(
          mutated(valid),
          fc.jsonValue(),
          fc.string({ maxLength: 30 }),
          fc.constantFrom<unknown>("", "{", '{"type":', "null", "[]", "<html>502</html>")
        )
        yield* decodeProperty(testCase as DecodeCase<unknown, unknown>, invalid, 100, counts)
        expect(counts.invalid).toBeGreaterThan(50)
      }).pipe(Effect.provide(decodeSdkLayer()))
    )
  }
})
