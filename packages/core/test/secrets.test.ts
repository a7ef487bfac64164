import * as util from "node:util"
import { BasiqAuth, BasiqClient, BasiqConfig, BasiqError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Duration,
  Effect,
  Exit,
  HashMap,
  Inspectable,
  List,
  Logger,
  LogLevel,
  Redacted,
  Schema,
  type Tracer
} from "effect"
import * as EffectTracer from "effect/Tracer"
import { failureOf, type Handler, makeFake, reply, runFor } from "./utils/fake.js"

const API_KEY = "sk_test_SECRET123"
const TOKEN = "tok_SECRET456"
const PASSWORD = "pw_SECRET789"
const LOGIN = "login_SECRET000"
const secrets = [API_KEY, TOKEN, PASSWORD, LOGIN, "SECRET"]

const Credentials = Schema.Struct({
  loginId: Schema.Redacted(Schema.NonEmptyString),
  password: Schema.Redacted(Schema.NonEmptyString),
  institution: Schema.Struct({ id: Schema.String })
})

const declare = Effect.map(BasiqClient.BasiqClient, (client) => ({
  createConnection: client.operation({
    name: "createConnection",
    span: "basiq.test.createConnection",
    method: "POST",
    path: "/users/{userId}/connections",
    idempotent: false,
    body: Credentials,
    success: BasiqClient.json(Schema.Struct({ id: Schema.String, type: Schema.String }))
  }),
  getConnection: client.operation({
    name: "getConnection",
    span: "basiq.test.getConnection",
    method: "GET",
    path: "/users/{userId}/connections/{connectionId}",
    idempotent: true,
    success: BasiqClient.json(Schema.Struct({ id: Schema.String }))
  })
}))

const body = {
  loginId: Redacted.make(LOGIN),
  password: Redacted.make(PASSWORD),
  institution: { id: "AU00000" }
}

const create = Effect.flatMap(declare, (ops) => ops.createConnection({ params: { userId: "u1" }, body }))
const get = Effect.flatMap(declare, (ops) => ops.getConnection({ params: { userId: "u1", connectionId: "c1" } }))

const tokenOk: Handler = () => reply.token(TOKEN)

/** Every rendering of a value a user or a logger might produce. */
const renderings = (u: unknown): ReadonlyArray<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = [
    ["String", String(u)],
    ["JSON.stringify", JSON.stringify(u) ?? ""],
    ["util.inspect", util.inspect(u, { depth: 10 })],
    ["util.inspect showHidden", util.inspect(u, { depth: 10, showHidden: true })],
    ["Inspectable.format", Inspectable.format(u)],
    ["Cause.pretty", Cause.pretty(Cause.fail(u))],
    ["Exit inspect", util.inspect(Exit.fail(u), { depth: 10 })]
  ]
  if (u instanceof Error) {
    out.push(["message", u.message], ["stack", u.stack ?? ""])
  }
  return out
}

const expectNoSecret = (label: string, u: unknown) => {
  for (const [how, text] of renderings(u)) {
    for (const secret of secrets) {
      expect(text.includes(secret), `${label}: ${how} shows ${secret}:\n${text}`).toBe(false)
    }
  }
}

interface Recorded {
  readonly logs: Array<string>
  readonly spans: Array<Tracer.Span>
}

/** Runs `self` with a recording logger (all levels) and a recording tracer. */
const observed = <A, E>(recorded: Recorded, self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.tracer, (base) => {
    const tracer = EffectTracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = base.span(name, parent, context, links, startTime, kind, options)
        recorded.spans.push(span)
        return span
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    const logger = Logger.make<unknown, void>(({ annotations, cause, logLevel, message, spans }) => {
      recorded.logs.push(
        [
          logLevel.label,
          util.inspect(message, { depth: 10 }),
          Cause.pretty(cause),
          util.inspect(HashMap.toEntries(annotations), { depth: 10 }),
          List.toArray(spans)
            .map((s) => s.label)
            .join(",")
        ].join(" | ")
      )
    })
    return self.pipe(
      Effect.tapErrorCause((cause) => Effect.logError("call failed", cause)),
      Effect.tapError((e) => Effect.logDebug("failure", e)),
      Effect.withTracer(tracer),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
  })

describe("secrets", () => {
  it.effect("no API key, token or body value in any error, log line or span", () =>
    Effect.gen(function* () {
      const recorded: Recorded = { logs: [], spans: [] }
      const errors: Array<readonly [string, unknown]> = []
      const collect = <A, E>(
        label: string,
        api: Handler | undefined,
        call: Effect.Effect<A, E, BasiqClient.BasiqClient | BasiqAuth.BasiqAuth>,
        options: { readonly token?: Handler; readonly config?: Partial<BasiqConfig.Options> } = {}
      ) =>
        Effect.gen(function* () {
          const fake = yield* makeFake({ token: options.token ?? tokenOk, ...(api === undefined ? {} : { api }) })
          const exit = yield* runFor(
            observed(recorded, call.pipe(Effect.provide(fake.layer({ apiKey: API_KEY, ...options.config })))),
            "10 minutes"
          )
          const error = failureOf(exit)
          expect(BasiqError.isBasiqError(error), label).toBe(true)
          errors.push([label, error])
          return yield* fake.sent
        })

      // The secrets really travel: absent from the errors is then meaningful.
      const sent = yield* collect("400 on create", () => reply.envelope(400, "invalid-credentials"), create)
      expect(sent[0]!.headers.authorization).toBe(`Basic ${API_KEY}`)
      expect(sent[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
      expect(sent[1]!.body).toContain(PASSWORD)
      expect(sent[1]!.body).toContain(LOGIN)

      yield* collect("401 twice", () => reply.envelope(401, "invalid-authorization-token"), get)
      yield* collect("403", () => reply.envelope(403, "forbidden-access"), create)
      yield* collect("404", () => reply.envelope(404, "resource-not-found"), get)
      yield* collect("409", () => reply.envelope(409, "resource-already-exists"), create)
      yield* collect("415", () => reply.envelope(415, "unsupported-content-type"), create)
      yield* collect(
        "429 over the cap",
        () => reply.envelope(429, "too-many-requests", { headers: { "retry-after": "3600" } }),
        create
      )
      yield* collect("500 on create", () => reply.envelope(500, "internal-server-error"), create)
      yield* collect("503 exhausted", () => reply.text(503, "<html>down</html>"), get)
      yield* collect("reset on create", () => reply.network("ECONNRESET"), create)
      yield* collect("refused exhausted", () => reply.network("ECONNREFUSED"), get)
      yield* collect("timeout", () => reply.hang, create, { config: { timeout: "1 second" } })
      yield* collect("broken body", () => reply.brokenBody(200), create)
      yield* collect("decode", () => reply.json(200, { id: 1, type: PASSWORD }), create)
      yield* collect("non-JSON body", () => reply.text(200, `oops ${TOKEN}`), create)
      yield* collect(
        "bad id",
        undefined,
        Effect.flatMap(declare, (ops) => ops.createConnection({ params: { userId: `${TOKEN}/x` }, body }))
      )
      yield* collect(
        "bad body",
        undefined,
        Effect.flatMap(declare, (ops) =>
          ops.createConnection({ params: { userId: "u1" }, body: { ...body, loginId: Redacted.make("") } })
        )
      )
      yield* collect("/token 404", undefined, get, { token: () => reply.envelope(404, "parameter-not-valid") })
      yield* collect("/token 500 exhausted", undefined, get, {
        token: () => reply.envelope(500, "internal-server-error")
      })
      yield* collect("/token reset", undefined, get, { token: () => reply.network("ECONNRESET") })
      yield* collect("/token timeout", undefined, get, {
        token: () => reply.hang,
        config: { timeout: "1 second", retry: false }
      })
      yield* collect("/token without access_token", undefined, get, {
        token: () => reply.json(200, { token: TOKEN })
      })
      yield* collect(
        "client token refused",
        undefined,
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.clientToken("u1")),
        { token: () => reply.envelope(400, "parameter-not-valid") }
      )
      yield* collect(
        "client token bad user",
        undefined,
        Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.clientToken(`${TOKEN}?`))
      )
      for (const apiKey of [`${API_KEY} `, `${API_KEY}\n`, `Basic ${API_KEY}`]) {
        const error = yield* Effect.flip(BasiqConfig.make({ apiKey }))
        errors.push([`config ${JSON.stringify(apiKey)}`, error])
      }
      const badUrl = yield* Effect.flip(
        BasiqConfig.make({ apiKey: API_KEY, baseUrl: `https://user:${PASSWORD}@au-api.basiq.io` })
      )
      errors.push(["config baseUrl with credentials", badUrl])

      const tags = new Set(errors.map(([, e]) => (e as { readonly _tag: string })._tag))
      expect([...tags].sort()).toEqual(
        [
          "BasiqAuthenticationError",
          "BasiqBadRequestError",
          "BasiqConfigError",
          "BasiqDecodeError",
          "BasiqForbiddenError",
          "BasiqInvalidRequestError",
          "BasiqNotFoundError",
          "BasiqRateLimitError",
          "BasiqServerError",
          "BasiqTransportError",
          "BasiqUnauthorizedError",
          "BasiqUnexpectedStatusError",
          "BasiqUnsupportedMediaTypeError"
        ].sort()
      )
      for (const [label, error] of errors) expectNoSecret(label, error)

      // Logs: the logger saw every failure, with its cause, and no secret.
      expect(recorded.logs.length).toBeGreaterThanOrEqual(2 * (errors.length - 4))
      for (const line of recorded.logs) {
        for (const secret of secrets) expect(line.includes(secret), `log line shows ${secret}:\n${line}`).toBe(false)
      }

      // Spans: the operation and token spans were recorded, with no secret in names, attributes,
      // events or the recorded exit.
      const names = new Set(recorded.spans.map((s) => s.name))
      expect(names.has("basiq.test.createConnection")).toBe(true)
      expect(names.has("basiq.auth.token")).toBe(true)
      for (const span of recorded.spans) {
        const text = [
          span.name,
          util.inspect([...span.attributes], { depth: 10 }),
          util.inspect(span.status, { depth: 10 }),
          util.inspect(span, { depth: 6 })
        ].join("\n")
        for (const secret of secrets) expect(text.includes(secret), `span ${span.name} shows ${secret}`).toBe(false)
      }
    })
  )

  it.effect("the configured key and the tokens are Redacted", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: tokenOk })
      const { client, config, token } = yield* Effect.gen(function* () {
        const config = yield* BasiqConfig.BasiqConfig
        const client = yield* BasiqClient.BasiqClient
        const auth = yield* BasiqAuth.BasiqAuth
        return { config, client, token: yield* auth.token }
      }).pipe(Effect.provide(fake.layer({ apiKey: API_KEY })))
      expect(Redacted.isRedacted(config.apiKey)).toBe(true)
      expect(config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)).toBe(API_KEY)
      expect(Redacted.value(token)).toBe(TOKEN)
      expect(util.inspect(config, { depth: 10 })).toContain("<redacted>")
      for (const [label, value] of [
        ["config", config],
        ["client.config", client.config],
        ["token", token]
      ] as const) {
        for (const [how, text] of renderings(value)) {
          for (const secret of [API_KEY, TOKEN]) {
            expect(text.includes(secret), `${label}: ${how} shows ${secret}`).toBe(false)
          }
        }
      }
    })
  )

  it.effect("a platform error's request (with the bearer header and body) is not kept as a cause", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: tokenOk, api: () => reply.network("ECONNRESET") })
      const exit = yield* runFor(create.pipe(Effect.provide(fake.layer({ apiKey: API_KEY }))), Duration.zero)
      const error = failureOf(exit)
      expect(error._tag).toBe("BasiqTransportError")
      expect("cause" in error ? error.cause : undefined).toBeUndefined()
      expect(Object.values(error).some((v) => typeof v === "object" && v !== null && "request" in v)).toBe(false)
    })
  )
})
