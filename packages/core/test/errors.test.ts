import {
  BasiqAuthenticationError,
  BasiqBadRequestError,
  BasiqClient,
  BasiqConfigError,
  BasiqDecodeError,
  BasiqError,
  BasiqForbiddenError,
  BasiqInvalidRequestError,
  BasiqNotFoundError,
  BasiqRateLimitError,
  BasiqServerError,
  BasiqTransportError,
  BasiqUnauthorizedError,
  BasiqUnexpectedStatusError,
  BasiqUnsupportedMediaTypeError
} from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { failureOf, makeFake, operations, plain, type Reply, reply, runFor } from "./utils/fake.js"

const params = { userId: "u1", thingId: "t1" }
const route = "/users/{userId}/things/{thingId}"
const getThing = Effect.flatMap(operations, (ops) => ops.getThing({ params }))
const createThing = Effect.flatMap(operations, (ops) =>
  ops.createThing({ params: { userId: "u1" }, body: { name: "n" } })
)

/** Runs `call` against a fake answering `answer` to every API request, without retries. */
const failWith = <A, E>(call: Effect.Effect<A, E, BasiqClient.BasiqClient>, answer: Reply) =>
  Effect.gen(function* () {
    const fake = yield* makeFake({ api: () => answer })
    const exit = yield* runFor(call.pipe(Effect.provide(fake.layer({ retry: false }))), Duration.zero)
    return { error: failureOf(exit), sent: yield* fake.apiRequests }
  })

describe("status to error", () => {
  const table = [
    [400, "parameter-not-valid", BasiqBadRequestError],
    [401, "invalid-authorization-token", BasiqUnauthorizedError],
    [403, "forbidden-access", BasiqForbiddenError],
    [404, "resource-not-found", BasiqNotFoundError],
    [415, "unsupported-content-type", BasiqUnsupportedMediaTypeError],
    [429, "too-many-requests", BasiqRateLimitError],
    [500, "internal-server-error", BasiqServerError],
    [502, "bad-gateway", BasiqServerError],
    [503, "service-unavailable", BasiqServerError],
    [504, "gateway-timeout", BasiqServerError],
    [418, "teapot", BasiqUnexpectedStatusError],
    [409, "resource-already-exists", BasiqUnexpectedStatusError],
    [410, "resource-no-longer-available", BasiqUnexpectedStatusError]
  ] as const

  for (const [status, code, ErrorClass] of table) {
    it.effect(`${status} -> ${ErrorClass.name} with code, errors, correlationId, method and route`, () =>
      Effect.gen(function* () {
        const { error } = yield* failWith(
          getThing,
          reply.envelope(status, code, {
            title: "A title",
            detail: "A detail",
            correlationId: "corr-42",
            source: { parameter: "thingId", pointer: "path/thingId" }
          })
        )
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error._tag).toBe(ErrorClass.name)
        expect(plain(error)).toMatchObject({
          status,
          code,
          errors: [
            { code, title: "A title", detail: "A detail", source: { parameter: "thingId", pointer: "path/thingId" } }
          ],
          correlationId: "corr-42",
          method: "GET",
          route,
          // A 401 re-authenticates once.
          attempts: status === 401 ? 2 : 1
        })
        expect(BasiqError.isBasiqError(error)).toBe(true)
        expect(error.message).toContain(`${status} ${code} on GET ${route}: A detail`)
        expect(error.message).toContain("correlationId corr-42")
      })
    )
  }

  it.effect("several errors: code is the first, errors keeps all, malformed entries are skipped", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(
        getThing,
        reply.json(400, {
          type: "list",
          correlationId: "c",
          data: [
            { type: "error", code: "parameter-not-supplied", title: "Missing", source: null },
            "garbage",
            { type: "error", title: "no code" },
            { type: "error", code: "parameter-not-valid", detail: "bad", source: {} }
          ]
        })
      )
      expect(plain(error)).toMatchObject({
        _tag: "BasiqBadRequestError",
        code: "parameter-not-supplied",
        errors: [
          { code: "parameter-not-supplied", title: "Missing" },
          { code: "parameter-not-valid", detail: "bad", source: {} }
        ]
      })
      expect(error.message).toBe(
        "400 parameter-not-supplied on GET /users/{userId}/things/{thingId}: Missing (correlationId c)"
      )
    })
  )

  const bodies: ReadonlyArray<readonly [string, Reply]> = [
    ["HTML", reply.text(502, "<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" })],
    ["empty", reply.noBody(500)],
    ["empty string", reply.text(404, "")],
    ["JSON that is not the envelope", reply.json(400, { message: "nope", data: "x" })],
    ["a JSON array", reply.json(400, [1, 2])],
    ["truncated JSON", reply.text(503, '{"type":"list","data":[')]
  ]
  for (const [label, body] of bodies) {
    it.effect(`a ${label} error body gives no errors and does not throw`, () =>
      Effect.gen(function* () {
        const { error } = yield* failWith(getThing, body)
        expect(plain(error)).toMatchObject({ errors: [], method: "GET", route })
        expect("code" in error ? error.code : undefined).toBeUndefined()
        expect("correlationId" in error ? error.correlationId : undefined).toBeUndefined()
        expect(error.message).toMatch(/^\d{3} on GET \/users\/\{userId\}\/things\/\{thingId\}$/)
      })
    )
  }
})

describe("outcomeUnknown", () => {
  const cases = [
    [500, false, true],
    [502, false, true],
    [504, false, true],
    [503, false, false],
    [500, true, false],
    [502, true, false],
    [503, true, false],
    [504, true, false]
  ] as const
  for (const [status, idempotent, unknown] of cases) {
    it.effect(`${status} on ${idempotent ? "an idempotent GET" : "a non-idempotent POST"}: ${unknown}`, () =>
      Effect.gen(function* () {
        const { error } = yield* failWith(idempotent ? getThing : createThing, reply.noBody(status))
        expect(error).toBeInstanceOf(BasiqServerError)
        expect(plain(error)).toMatchObject({ status, outcomeUnknown: unknown })
        expect(error.message.includes("[outcome unknown")).toBe(unknown)
      })
    )
  }

  it.effect("transport errors: refused is known, reset and body failures of a POST are unknown", () =>
    Effect.gen(function* () {
      const refused = yield* failWith(createThing, reply.network("ECONNREFUSED"))
      const reset = yield* failWith(createThing, reply.network("ECONNRESET"))
      const resetGet = yield* failWith(getThing, reply.network("ECONNRESET"))
      const body = yield* failWith(createThing, reply.brokenBody(200))
      expect(plain(refused.error)).toMatchObject({ reason: "NotSent", outcomeUnknown: false })
      expect(plain(reset.error)).toMatchObject({ reason: "ConnectionReset", outcomeUnknown: true })
      expect(plain(resetGet.error)).toMatchObject({ reason: "ConnectionReset", outcomeUnknown: false })
      expect(plain(body.error)).toMatchObject({ reason: "ResponseBody", outcomeUnknown: true })
    })
  )
})

describe("decoding", () => {
  const listThings = Effect.flatMap(operations, (ops) => ops.listThings({ params: { userId: "u1" } }))

  it.effect("a 2xx body that does not match -> BasiqDecodeError with the path and the expectation", () =>
    Effect.gen(function* () {
      const { error, sent } = yield* failWith(
        listThings,
        reply.json(200, { items: [{ id: "a" }, { id: 42 }], secret: "unrelated" })
      )
      expect(error).toBeInstanceOf(BasiqDecodeError)
      expect(plain(error)).toMatchObject({
        _tag: "BasiqDecodeError",
        at: "items[1].id",
        expected: "a string",
        status: 200,
        method: "GET",
        route: "/users/{userId}/things",
        attempts: 1
      })
      expect(error.message).toBe(
        "Unexpected response body from GET /users/{userId}/things (200): at items[1].id, expected a string"
      )
      // The body's values are not kept.
      expect(JSON.stringify(error)).not.toContain("42")
      expect(sent).toHaveLength(1)
    })
  )

  it.effect("a missing key names its path", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(listThings, reply.json(200, { items: [{ id: "a" }, {}] }))
      expect(plain(error)).toMatchObject({
        _tag: "BasiqDecodeError",
        at: "items[1].id",
        expected: "a value (the field is missing)"
      })
    })
  )

  it.effect("a wrong root is reported at the root", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(listThings, reply.json(200, [1]))
      expect(plain(error)).toMatchObject({ _tag: "BasiqDecodeError", at: "" })
      expect(error.message).toContain("at <root>")
    })
  )

  it.effect("a nested refinement failure names its path", () =>
    Effect.gen(function* () {
      const getAmounts = Effect.flatMap(BasiqClient.BasiqClient, (client) =>
        client.operation({
          name: "getAmounts",
          span: "basiq.test.getAmounts",
          method: "GET",
          path: "/amounts",
          idempotent: true,
          success: BasiqClient.json(
            Schema.Struct({ data: Schema.Array(Schema.Struct({ amount: Schema.NonNegative })) })
          )
        })({ params: {} })
      )
      const { error } = yield* failWith(getAmounts, reply.json(200, { data: [{ amount: 1 }, { amount: -1 }] }))
      expect(plain(error)).toMatchObject({ _tag: "BasiqDecodeError", at: "data[1].amount" })
      expect(error.message).not.toContain("-1")
    })
  )

  it.effect("a non-JSON 2xx body -> BasiqDecodeError", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(getThing, reply.text(200, "<html>maintenance</html>"))
      expect(plain(error)).toMatchObject({ _tag: "BasiqDecodeError", at: "", expected: "a JSON body", status: 200 })
    })
  )

  it.effect("a body that cannot be read -> BasiqTransportError ResponseBody", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(getThing, reply.brokenBody(200))
      expect(error).toBeInstanceOf(BasiqTransportError)
      expect(plain(error)).toMatchObject({
        reason: "ResponseBody",
        outcomeUnknown: false,
        method: "GET",
        route,
        attempts: 1
      })
      expect(error.message).toContain("ResponseBody on GET /users/{userId}/things/{thingId}")
    })
  )

  it.effect("an error body that cannot be read still gives the status error", () =>
    Effect.gen(function* () {
      const { error } = yield* failWith(getThing, reply.brokenBody(404))
      expect(plain(error)).toMatchObject({ _tag: "BasiqNotFoundError", status: 404, errors: [] })
    })
  )
})

describe("messages", () => {
  it("are readable getters built from the fields", () => {
    expect(
      new BasiqNotFoundError({
        status: 404,
        code: "resource-not-found",
        errors: [{ code: "resource-not-found", title: "Not found", detail: "Connection not found" }],
        correlationId: "c-1",
        method: "GET",
        route,
        attempts: 1
      }).message
    ).toBe("404 resource-not-found on GET /users/{userId}/things/{thingId}: Connection not found (correlationId c-1)")
    expect(
      new BasiqRateLimitError({
        status: 429,
        errors: [],
        method: "GET",
        route,
        attempts: 3,
        retryAfter: Duration.millis(1500)
      }).message
    ).toBe("429 on GET /users/{userId}/things/{thingId} (3 attempts) (retry after 2 s)")
    expect(
      new BasiqServerError({
        status: 500,
        errors: [],
        method: "POST",
        route: "/users/{userId}/things",
        attempts: 1,
        outcomeUnknown: true
      }).message
    ).toBe("500 on POST /users/{userId}/things [outcome unknown: the request may have been applied]")
    expect(
      new BasiqTransportError({
        method: "GET",
        route,
        attempts: 4,
        reason: "NotSent",
        detail: "ECONNREFUSED",
        outcomeUnknown: false
      }).message
    ).toBe("NotSent on GET /users/{userId}/things/{thingId}: ECONNREFUSED (4 attempts)")
    expect(new BasiqAuthenticationError({ reason: "Basiq server error", status: 500, attempts: 4 }).message).toBe(
      "Basiq token exchange failed: Basiq server error (500)"
    )
    expect(
      new BasiqInvalidRequestError({ reason: "userId must not be empty", fields: ["userId"], method: "GET", route })
        .message
    ).toBe("Invalid request for GET /users/{userId}/things/{thingId}: userId must not be empty (userId)")
    expect(new BasiqConfigError({ option: "timeout", reason: "must be positive" }).message).toBe(
      'Invalid Basiq option "timeout": must be positive'
    )
  })

  it("every class is exported by name from the root and from BasiqError", () => {
    const named = [
      BasiqBadRequestError,
      BasiqUnauthorizedError,
      BasiqForbiddenError,
      BasiqNotFoundError,
      BasiqUnsupportedMediaTypeError,
      BasiqRateLimitError,
      BasiqServerError,
      BasiqUnexpectedStatusError,
      BasiqTransportError,
      BasiqDecodeError,
      BasiqAuthenticationError,
      BasiqInvalidRequestError,
      BasiqConfigError
    ]
    const fromModule: ReadonlyArray<unknown> = Object.values(BasiqError)
    for (const ErrorClass of named) expect(fromModule).toContain(ErrorClass)
  })

  it.effect("errors can be caught by tag", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(404, "resource-not-found") })
      const result = yield* getThing.pipe(
        Effect.catchTag("BasiqNotFoundError", (e) => Effect.succeed(`missing ${e.route}`)),
        Effect.provide(fake.layer())
      )
      expect(result).toBe(`missing ${route}`)
    })
  )
})
