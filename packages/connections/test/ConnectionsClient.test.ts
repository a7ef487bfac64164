/**
 * The promise facade over the package's scripted fake: every malformed argument a JavaScript
 * caller can pass (bodies, ids, options, signals, callbacks, filters) is a
 * `BasiqInvalidRequestError` rejection naming it, never a `TypeError`, and nothing is sent.
 */
import { inspect } from "node:util"
import { BasiqError } from "@basiq-effect/core"
import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Redacted } from "effect"
import * as ConnectionFilter from "../src/ConnectionFilter.js"
import * as ConnectionSchemas from "../src/ConnectionSchemas.js"
import * as ConnectionsClient from "../src/ConnectionsClient.js"
import type * as Jobs from "../src/Jobs.js"
import { BASE, type Fake, makeFake, reply, settle, unsafeCoerce } from "./utils/fake.js"

const userId = "user-1"
const connectionId = "conn-1"
const LOGIN = "login-id-SECRET-1"
const PASSWORD = "password-SECRET-2"

const jobRef = (id: string) => ({ type: "job", id, links: { self: `${BASE}/jobs/${id}` } })

/** Runs `f` with a facade over `fake`, disposing it afterwards. */
const withFacade = <A>(fake: Fake, f: (client: ConnectionsClient.ConnectionsClient) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fake.facade()),
    (client) => settle(f(client)),
    (client) => Effect.promise(() => client.dispose())
  )

/** The rejection of a call, which must be a `BasiqInvalidRequestError` naming `fields`. */
const expectInvalid = (
  settled: { readonly ok: unknown } | { readonly error: unknown },
  fields: ReadonlyArray<string>
) => {
  if (!("error" in settled)) throw new Error(`expected a rejection, got ${inspect(settled.ok)}`)
  const error = settled.error
  expect(error).not.toBeInstanceOf(TypeError)
  expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
  if (!(error instanceof BasiqError.BasiqInvalidRequestError)) return
  expect([...error.fields]).toEqual(fields)
  for (const text of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
    expect(text).not.toContain(LOGIN)
    expect(text).not.toContain(PASSWORD)
  }
}

describe("createConnectionsClient: malformed bodies", () => {
  const postCases: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
    ["no institution", { loginId: LOGIN, password: PASSWORD }, ["institution"]],
    ["institution null", { loginId: LOGIN, password: PASSWORD, institution: null }, ["institution"]],
    ["institution a number", { loginId: LOGIN, password: PASSWORD, institution: 5 }, ["institution"]],
    ["institution an array", { loginId: LOGIN, password: PASSWORD, institution: [] }, ["institution"]],
    ["institution without id", { loginId: LOGIN, password: PASSWORD, institution: {} }, ["institution.id"]],
    ["institution id a number", { loginId: LOGIN, password: PASSWORD, institution: { id: 7 } }, ["institution.id"]],
    ["institution id empty", { loginId: LOGIN, password: PASSWORD, institution: "" }, ["institution.id"]],
    ["loginId a number", { loginId: 12345, password: PASSWORD, institution: "AU00000" }, ["loginId"]],
    ["password null", { loginId: LOGIN, password: null, institution: "AU00000" }, ["password"]],
    [
      "securityCode an object",
      { loginId: LOGIN, password: PASSWORD, institution: "AU00000", securityCode: {} },
      ["securityCode"]
    ],
    ["everything wrong", { loginId: 1, password: [PASSWORD] }, ["loginId", "password", "institution"]],
    ["null", null, ["body"]],
    ["undefined", undefined, ["body"]],
    ["a number", 42, ["body"]],
    ["a string", `${LOGIN}:${PASSWORD}`, ["body"]],
    ["an array", [LOGIN, PASSWORD], ["body"]]
  ]

  for (const [label, body, fields] of postCases) {
    it.effect(`postConnection with ${label}: BasiqInvalidRequestError (${fields.join(", ")}), nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
        const settled = yield* withFacade(fake, (c) =>
          c.postConnection(userId, unsafeCoerce<ConnectionsClient.PostConnectionInput>(body))
        )
        expectInvalid(settled, fields)
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  const updateCases: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
    ["no password", {}, ["password"]],
    ["password a number", { password: 1234 }, ["password"]],
    ["secondaryLoginId a boolean", { password: PASSWORD, secondaryLoginId: true }, ["secondaryLoginId"]],
    ["null", null, ["body"]],
    ["undefined", undefined, ["body"]],
    ["a string", PASSWORD, ["body"]]
  ]

  for (const [label, body, fields] of updateCases) {
    it.effect(`updateConnection with ${label}: BasiqInvalidRequestError (${fields.join(", ")}), nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
        const settled = yield* withFacade(fake, (c) =>
          c.updateConnection(userId, connectionId, unsafeCoerce<ConnectionsClient.UpdateConnectionInput>(body))
        )
        expectInvalid(settled, fields)
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("a well-formed body is still sent as wire JSON, the institution given as an id or { id }", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      const settled = yield* withFacade(fake, async (c) => [
        await c.postConnection(userId, { loginId: LOGIN, password: Redacted.make(PASSWORD), institution: "AU00000" }),
        await c.postConnection(userId, { loginId: LOGIN, password: PASSWORD, institution: { id: "AU00001" } }),
        await c.updateConnection(userId, connectionId, { password: PASSWORD, securityCode: "123" })
      ])
      expect("ok" in settled && settled.ok.map((j) => j.id)).toEqual(["j1", "j1", "j1"])
      const bodies = (yield* fake.api).map((s) => JSON.parse(s.body ?? "null") as unknown)
      expect(bodies).toEqual([
        { loginId: LOGIN, password: PASSWORD, institution: { id: "AU00000" } },
        { loginId: LOGIN, password: PASSWORD, institution: { id: "AU00001" } },
        { password: PASSWORD, securityCode: "123" }
      ])
    })
  )
})

describe("createConnectionsClient: options", () => {
  it("an httpClient that is not a Layer throws BasiqConfigError naming it, at once", () => {
    for (const httpClient of ["undici", {}, () => undefined]) {
      expect(() =>
        ConnectionsClient.createConnectionsClient({
          apiKey: "k",
          httpClient: unsafeCoerce<Layer.Layer<HttpClient.HttpClient>>(httpClient)
        })
      ).toThrow(BasiqError.BasiqConfigError)
      try {
        ConnectionsClient.createConnectionsClient({
          apiKey: "k",
          httpClient: unsafeCoerce<Layer.Layer<HttpClient.HttpClient>>(httpClient)
        })
      } catch (error) {
        expect(error instanceof BasiqError.BasiqConfigError && error.option).toBe("httpClient")
      }
    }
  })
})

describe("the body builders never throw", () => {
  it("makePostConnectionBody and makeUpdateConnectionBody pass malformed input on for encoding to name", () => {
    for (const input of [null, undefined, 42, "x", [], { loginId: 1 }, { institution: null }]) {
      expect(() =>
        ConnectionSchemas.makePostConnectionBody(unsafeCoerce<ConnectionSchemas.PostConnectionInput>(input))
      ).not.toThrow()
      expect(() =>
        ConnectionSchemas.makeUpdateConnectionBody(unsafeCoerce<ConnectionSchemas.UpdateConnectionInput>(input))
      ).not.toThrow()
    }
    const body = ConnectionSchemas.makePostConnectionBody(
      unsafeCoerce<ConnectionSchemas.PostConnectionInput>({ loginId: LOGIN, password: 5 })
    )
    expect(Redacted.isRedacted(body.loginId)).toBe(true)
    expect(body.password).toBe(5)
    expect(body.institution).toBeUndefined()
  })

  it.effect("Connections.postConnection with a body lacking institution: BasiqInvalidRequestError, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      const error = yield* Effect.flip(
        fake.use((c) =>
          c.postConnection(
            userId,
            ConnectionSchemas.makePostConnectionBody(
              unsafeCoerce<ConnectionSchemas.PostConnectionInput>({ loginId: LOGIN, password: PASSWORD })
            )
          )
        )
      )
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      expect(error._tag === "BasiqInvalidRequestError" && error.fields).toEqual(["institution"])
      const nullBody = yield* Effect.flip(
        fake.use((c) => c.postConnection(userId, unsafeCoerce<ConnectionSchemas.PostConnectionBody>(null)))
      )
      expect(nullBody._tag === "BasiqInvalidRequestError" && nullBody.fields).toEqual(["body"])
      expect(yield* fake.sent).toEqual([])
    })
  )
})

describe("createConnectionsClient: malformed ids, options and signals", () => {
  /** Every method, called with the given ids and trailing options. */
  const calls = (
    c: ConnectionsClient.ConnectionsClient,
    ids: { readonly userId: unknown; readonly connectionId: unknown; readonly jobId: unknown },
    options: unknown
  ): ReadonlyArray<readonly [string, Promise<unknown>]> => {
    const u = unsafeCoerce<string>(ids.userId)
    const cid = unsafeCoerce<string>(ids.connectionId)
    const j = unsafeCoerce<string>(ids.jobId)
    const o = unsafeCoerce<undefined>(options)
    return [
      ["getConnections", c.getConnections(u, o)],
      ["getConnection", c.getConnection(u, cid, o)],
      ["postConnection", c.postConnection(u, { loginId: LOGIN, password: PASSWORD, institution: "AU00000" }, o)],
      ["updateConnection", c.updateConnection(u, cid, { password: PASSWORD }, o)],
      ["deleteConnection", c.deleteConnection(u, cid, o)],
      ["refreshConnection", c.refreshConnection(u, cid, o)],
      ["refreshConnections", c.refreshConnections(u, o)],
      ["getJob", c.getJob(j, o)],
      ["postJobMfa", c.postJobMfa(j, ["123456"], o)],
      ["waitForJob", c.waitForJob(j, o)],
      ["clientToken", c.clientToken(u, o)]
    ]
  }

  const expectedIdFields: Record<string, ReadonlyArray<string>> = {
    getConnections: ["userId"],
    getConnection: ["userId", "connectionId"],
    postConnection: ["userId"],
    updateConnection: ["userId", "connectionId"],
    deleteConnection: ["userId", "connectionId"],
    refreshConnection: ["userId", "connectionId"],
    refreshConnections: ["userId"],
    getJob: ["jobId"],
    postJobMfa: ["jobId"],
    waitForJob: ["jobId"],
    clientToken: ["userId"]
  }

  for (const [label, bad] of [
    ["numbers", 42],
    ["null", null],
    ["undefined", undefined],
    ["objects", { toString: () => "user-1" }]
  ] as const) {
    it.effect(`ids that are ${label}: every method rejects naming them, nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const settled = yield* withFacade(fake, (c) =>
          Promise.all(
            calls(c, { userId: bad, connectionId: bad, jobId: bad }, undefined).map(async ([name, call]) => {
              const result = await call.then(
                (ok) => ({ ok }),
                (error: unknown) => ({ error })
              )
              return [name, result] as const
            })
          )
        )
        if (!("ok" in settled)) throw new Error("the calls themselves must not throw")
        expect(settled.ok).toHaveLength(11)
        for (const [name, result] of settled.ok) expectInvalid(result, expectedIdFields[name] ?? [])
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  for (const [label, options, fields] of [
    ["null", null, ["options"]],
    ["a number", 5, ["options"]],
    ["a string", "signal", ["options"]],
    ["a signal that is a string", { signal: "abort" }, ["signal"]],
    ["a signal that is a plain object", { signal: { aborted: false } }, ["signal"]],
    ["a signal that is an AbortController", { signal: new AbortController() }, ["signal"]]
  ] as const) {
    it.effect(`trailing options that are ${label}: every method rejects naming them, nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const settled = yield* withFacade(fake, (c) =>
          Promise.all(
            calls(c, { userId, connectionId, jobId: "job-1" }, options).map(([, call]) =>
              call.then(
                (ok) => ({ ok }),
                (error: unknown) => ({ error })
              )
            )
          )
        )
        if (!("ok" in settled)) throw new Error("the calls themselves must not throw")
        for (const result of settled.ok) expectInvalid(result, fields)
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("a real AbortSignal is accepted; an already-aborted one rejects with its reason, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const controller = new AbortController()
      const reason = new Error("stop")
      controller.abort(reason)
      const settled = yield* withFacade(fake, async (c) => {
        const live = await c.deleteConnection(userId, connectionId, { signal: new AbortController().signal })
        const aborted = await c.getConnection(userId, connectionId, { signal: controller.signal }).catch((e) => e)
        return { live, aborted }
      })
      expect("ok" in settled && settled.ok.aborted).toBe(reason)
      expect((yield* fake.api).map((s) => s.method)).toEqual(["DELETE"])
    })
  )
})

describe("createConnectionsClient: malformed filters, answers and wait options", () => {
  const filterCases: ReadonlyArray<readonly [string, unknown]> = [
    ["a number", 5],
    ["null", null],
    ["an object that is not a filter", { status: "active" }],
    ["a forged filter with a null clause", { _tag: "ConnectionFilter", clauses: [null] }],
    ["a forged clause without values", { _tag: "ConnectionFilter", clauses: [{ property: "id", operator: "eq" }] }],
    ["an unknown status", ConnectionFilter.status.eq(unsafeCoerce("suspended"))],
    ["a filter over maxLength", ConnectionFilter.id.eq("x".repeat(ConnectionFilter.maxLength))],
    ["a raw string over maxLength", `id.eq('${"x".repeat(ConnectionFilter.maxLength)}')`]
  ]

  for (const [label, filter] of filterCases) {
    it.effect(`getConnections with a filter that is ${label}: BasiqInvalidRequestError (filter), nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const settled = yield* withFacade(fake, (c) =>
          c.getConnections(userId, { filter: unsafeCoerce<ConnectionFilter.Input>(filter) })
        )
        expectInvalid(settled, ["filter"])
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("a raw status filter stays possible for statuses Basiq may add", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { type: "list", data: [] }) })
      const settled = yield* withFacade(fake, (c) => c.getConnections(userId, { filter: "status.eq('suspended')" }))
      expect("ok" in settled && settled.ok.data).toEqual([])
      expect((yield* fake.api)[0]?.url.searchParams.get("filter")).toBe("status.eq('suspended')")
    })
  )

  for (const [label, answers, field] of [
    ["null", null, "mfa-response"],
    ["a string", "123456", "mfa-response"],
    ["empty", [], "mfa-response[0]"],
    ["holding a number", [123456], "mfa-response[0]"],
    ["holding null after a string", ["123456", null], "mfa-response[1]"]
  ] as const) {
    it.effect(`postJobMfa with answers ${label}: BasiqInvalidRequestError (${field}), nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
        const settled = yield* withFacade(fake, (c) =>
          c.postJobMfa("job-1", unsafeCoerce<ReadonlyArray<string>>(answers))
        )
        expectInvalid(settled, [field])
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("postJobMfa with a userId that is not a string: BasiqInvalidRequestError (userId), nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      const settled = yield* withFacade(fake, (c) => c.postJobMfa("job-1", ["1"], { userId: unsafeCoerce<string>(7) }))
      expectInvalid(settled, ["userId"])
      expect(yield* fake.sent).toEqual([])
    })
  )

  for (const [label, options, field] of [
    ["a timeout that is not a duration", { timeout: "soon" }, "timeout"],
    ["a timeout that is an object", { timeout: {} }, "timeout"],
    ["a schedule that is not a Schedule", { schedule: 1000 }, "schedule"],
    ["onProgress not a function", { onProgress: "log" }, "onProgress"],
    ["onMfa not a function", { onMfa: ["123456"] }, "onMfa"]
  ] as const) {
    it.effect(`waitForJob with ${label}: BasiqInvalidRequestError (${field}), nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const settled = yield* withFacade(fake, (c) =>
          c.waitForJob("job-1", unsafeCoerce<ConnectionsClient.WaitOptions>(options))
        )
        expectInvalid(settled, [field])
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("Jobs.waitForJob (the Effect API) refuses a malformed timeout the same way, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(fake.useJobs((j) => j.waitForJob("job-1", { timeout: unsafeCoerce("soon") })))
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      expect(error._tag === "BasiqInvalidRequestError" && error.fields).toEqual(["timeout"])
      const nullOptions = yield* Effect.flip(
        fake.useJobs((j) => j.waitForJob("job-1", unsafeCoerce<Jobs.WaitOptions>(null)))
      )
      expect(nullOptions._tag === "BasiqInvalidRequestError" && nullOptions.fields).toEqual(["options"])
      expect(yield* fake.sent).toEqual([])
    })
  )

  it.effect("getConnections (the Effect API) refuses an over-long or unknown-status filter, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const errors = yield* fake.use((c) =>
        Effect.all([
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.id.eq("x".repeat(3000)) })),
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.status.eq(unsafeCoerce("gone")) }))
        ])
      )
      for (const error of errors) {
        expect(error._tag === "BasiqInvalidRequestError" && error.fields).toEqual(["filter"])
      }
      expect(Either.isRight(ConnectionFilter.render(ConnectionFilter.status.eq("pre-init")))).toBe(true)
      expect(yield* fake.sent).toEqual([])
    })
  )
})
