/**
 * Users, Consents and ConsentUi against a scripted `HttpClient` (core's shared test fake): the
 * requests they send, the answers they decode, the errors they map, and the bodies they refuse
 * before sending anything.
 */
import { BasiqInvalidRequestError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { failureOf, makeFake, plain, reply, runFor, successOf, unsafeCoerce } from "../../core/test/utils/fake.js"
import { Consents, ConsentUi, Users, UsersTest } from "../src/index.js"

const userId = "86c79d8c-5033-46b3-b16e-d6cee4200fb3"
const email = "gavin1224@hooli.com"
const mobile = "+61410888999"

const created = {
  type: "user",
  id: userId,
  email,
  mobile,
  links: { self: `https://au-api.basiq.io/users/${userId}` }
}

const fullUser = {
  type: "user",
  id: userId,
  email,
  mobile,
  name: "",
  firstName: "",
  middleName: "",
  lastName: "",
  accounts: {
    type: "list",
    count: 1,
    data: [{ type: "account", id: "a1", links: { self: `https://au-api.basiq.io/users/${userId}/accounts/a1` } }]
  },
  connections: {
    type: "list",
    count: 1,
    data: [{ type: "connection", id: "c1", links: { self: `https://au-api.basiq.io/users/${userId}/connections/c1` } }]
  },
  links: {
    accounts: `https://au-api.basiq.io/users/${userId}/accounts`,
    auth_link: null,
    connections: `https://au-api.basiq.io/users/${userId}/connections`,
    self: `https://au-api.basiq.io/users/${userId}`,
    transactions: `https://au-api.basiq.io/users/${userId}/transactions`
  }
}

const consent = (id: string, status: string) => ({
  type: "consent",
  id,
  created: "2024-09-26T12:12:01Z",
  updated: "2024-09-26T12:12:01Z",
  expiryDate: "2025-09-26T12:12:01Z",
  origin: "user",
  status,
  ...(status === "revoked" ? { revoked: "2024-09-27T10:00:00Z" } : {}),
  purpose: { primary: { title: "Share your financial data", description: "Why" }, other: null },
  data: {
    retainData: true,
    initialRetrievalDays: 730,
    organisation: null,
    permissions: [
      {
        scope: "account.basic",
        required: true,
        consented: true,
        entity: "account",
        information: { name: "Accounts", description: "d", attributeList: ["Name of account"] },
        purpose: { title: "t", description: "d" }
      }
    ]
  },
  links: {
    self: `https://au-api.basiq.io/users/${userId}/consents/${id}`,
    consentPolicy: "p",
    latestConsentPolicy: "p"
  }
})

const services = (fake: Effect.Effect.Success<ReturnType<typeof makeFake>>, options = {}) =>
  Layer.mergeAll(Users.layer, Consents.layer).pipe(Layer.provideMerge(fake.layer(options)))

const run = <A, E>(
  fake: Effect.Effect.Success<ReturnType<typeof makeFake>>,
  effect: Effect.Effect<A, E, Users.Users | Consents.Consents>
) => runFor(effect.pipe(Effect.provide(services(fake, { retry: { maxRetries: 1, baseDelay: "1 millis" } }))))

describe("Users", () => {
  it.effect("createUser posts the JSON body to /users and decodes the 201 answer", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(201, created) })
      const exit = yield* run(
        fake,
        Effect.flatMap(Users.Users, (users) => users.createUser({ email, mobile, firstName: "Gavin" }))
      )
      expect(successOf(exit)).toMatchObject({ id: userId, email, mobile })
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("POST")
      expect(sent!.path).toBe("/users")
      expect(sent!.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(sent!.body)).toEqual({ email, mobile, firstName: "Gavin" })
    })
  )

  it.effect("a mobile Basiq sends as a number decodes as a string", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(201, { ...created, mobile: 61410888999 }) })
      const exit = yield* run(
        fake,
        Effect.flatMap(Users.Users, (users) => users.createUser({ email }))
      )
      expect(successOf(exit).mobile).toBe("61410888999")
    })
  )

  const badBodies: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
    ["neither email nor mobile", { firstName: "G" }, ["email", "mobile"]],
    ["an email in bad format", { email: "not-an-email" }, ["email"]],
    ["a mobile not in international format", { mobile: "0410888999" }, ["mobile"]],
    ["a business number without a business name", { email, businessIdNo: "16 7645 892" }, ["businessName"]],
    ["a business number type outside ABN/ACN", { email, businessIdNoType: "TFN" }, ["businessIdNoType"]],
    ["a number for the email", { email: 42 }, ["email"]],
    ["null", null, ["body"]]
  ]
  for (const [label, body, fields] of badBodies) {
    it.effect(`createUser with ${label}: BasiqInvalidRequestError naming ${fields.join(", ")}, nothing sent`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const exit = yield* run(
          fake,
          Effect.flatMap(Users.Users, (users) => users.createUser(unsafeCoerce(body)))
        )
        const error = failureOf(exit)
        expect(error).toBeInstanceOf(BasiqInvalidRequestError)
        for (const field of fields) expect((error as BasiqInvalidRequestError).fields).toContain(field)
        expect(yield* fake.sent).toHaveLength(0)
        // Emails and mobiles never appear in the error.
        const text = `${String(error)} ${JSON.stringify(error)}`
        expect(text).not.toContain("not-an-email")
        expect(text).not.toContain("0410888999")
      })
    )
  }

  it.effect("getUser decodes the full v3 answer (lists, links with a null auth_link)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, fullUser) })
      const exit = yield* run(
        fake,
        Effect.flatMap(Users.Users, (users) => users.getUser(userId))
      )
      const user = successOf(exit)
      expect(user.connections?.data?.[0]?.id).toBe("c1")
      expect(user.links?.auth_link).toBeNull()
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("GET")
      expect(sent!.path).toBe(`/users/${userId}`)
    })
  )

  it.effect("updateUser posts only the given fields to /users/{userId}; an empty update is refused", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, created) })
      const exit = yield* run(
        fake,
        Effect.gen(function* () {
          const users = yield* Users.Users
          const empty = yield* Effect.flip(users.updateUser(userId, {}))
          const updated = yield* users.updateUser(userId, { lastName: "Belson" })
          return { empty, updated }
        })
      )
      const { empty, updated } = successOf(exit)
      expect(empty._tag).toBe("BasiqInvalidRequestError")
      expect(updated.id).toBe(userId)
      const sent = yield* fake.apiRequests
      expect(sent).toHaveLength(1)
      expect(sent[0]!.path).toBe(`/users/${userId}`)
      expect(JSON.parse(sent[0]!.body)).toEqual({ lastName: "Belson" })
    })
  )

  it.effect("deleteUser sends DELETE /users/{userId} and reads no body", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.noBody(204) })
      const exit = yield* run(
        fake,
        Effect.flatMap(Users.Users, (users) => users.deleteUser(userId))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const [sent] = yield* fake.apiRequests
      expect(sent!.method).toBe("DELETE")
      expect(sent!.path).toBe(`/users/${userId}`)
    })
  )

  const statuses: ReadonlyArray<readonly [number, string, string]> = [
    [400, "parameter-not-valid", "BasiqBadRequestError"],
    [401, "invalid-authorization-token", "BasiqUnauthorizedError"],
    [403, "forbidden-access", "BasiqForbiddenError"],
    [404, "resource-not-found", "BasiqNotFoundError"],
    [500, "internal-server-error", "BasiqServerError"],
    [503, "service-unavailable", "BasiqServerError"]
  ]
  const calls: ReadonlyArray<
    readonly [string, (s: { users: Users.Service; consents: Consents.Service }) => Effect.Effect<unknown, unknown>]
  > = [
    ["createUser", ({ users }) => users.createUser({ email })],
    ["getUser", ({ users }) => users.getUser(userId)],
    ["updateUser", ({ users }) => users.updateUser(userId, { email })],
    ["deleteUser", ({ users }) => users.deleteUser(userId)],
    ["getConsents", ({ consents }) => consents.getConsents(userId)],
    ["deleteConsent", ({ consents }) => consents.deleteConsent(userId, "cons-1")]
  ]
  for (const [status, code, tag] of statuses) {
    it.effect(`every operation maps ${status} ${code} to ${tag} with its code and correlation id`, () =>
      Effect.gen(function* () {
        for (const [name, call] of calls) {
          const fake = yield* makeFake({ api: () => reply.envelope(status, code, { correlationId: `corr-${name}` }) })
          const exit = yield* run(
            fake,
            Effect.flatMap(Effect.all({ users: Users.Users, consents: Consents.Consents }), call)
          )
          const error = failureOf(exit) as { readonly _tag: string }
          expect(error._tag, name).toBe(tag)
          expect(plain(error), name).toMatchObject({ status, code, correlationId: `corr-${name}` })
        }
      })
    )
  }
})

describe("Consents", () => {
  it.effect("getConsents decodes active and revoked consents; deleteConsent sends DELETE", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (sent) =>
          sent.method === "DELETE"
            ? reply.noBody(204)
            : reply.json(200, { type: "list", size: 2, data: [consent("k1", "active"), consent("k2", "revoked")] })
      })
      const exit = yield* run(
        fake,
        Effect.gen(function* () {
          const consents = yield* Consents.Consents
          const list = yield* consents.getConsents(userId)
          yield* consents.deleteConsent(userId, "k1")
          return list
        })
      )
      const list = successOf(exit)
      expect(list.data.map((c) => [c.id, c.status])).toEqual([
        ["k1", "active"],
        ["k2", "revoked"]
      ])
      expect(list.data[1]!.revoked).toBe("2024-09-27T10:00:00Z")
      expect(list.data[0]!.data?.permissions?.[0]?.scope).toBe("account.basic")
      const sent = yield* fake.apiRequests
      expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
        `GET /users/${userId}/consents`,
        `DELETE /users/${userId}/consents/k1`
      ])
    })
  )

  it.effect("a user without consents gets an empty list (data absent or empty)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { type: "list", size: 0 }) })
      const exit = yield* run(
        fake,
        Effect.flatMap(Consents.Consents, (c) => c.getConsents(userId))
      )
      expect(successOf(exit).data).toEqual([])
    })
  )
})

describe("ConsentUi", () => {
  it.effect("link mints a CLIENT_ACCESS token for the user and builds the configured page's URL", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        token: (sent, n) => reply.token(sent.body.includes("CLIENT_ACCESS") ? `client_${n}` : `server_${n}`)
      })
      const url = yield* ConsentUi.link(userId, {
        action: "connect",
        state: "a b&c=d",
        institutionId: "AU00000"
      }).pipe(Effect.provide(fake.layer({ consentUiUrl: "https://consent.example.com/flow/home" })))
      expect(url.origin + url.pathname).toBe("https://consent.example.com/flow/home")
      expect(url.searchParams.get("token")).toBe("client_1")
      expect(url.searchParams.get("action")).toBe("connect")
      expect(url.searchParams.get("state")).toBe("a b&c=d")
      expect(url.searchParams.get("institutionId")).toBe("AU00000")
      const [token] = yield* fake.tokenRequests
      expect(new URLSearchParams(token!.body).get("scope")).toBe("CLIENT_ACCESS")
      expect(new URLSearchParams(token!.body).get("userId")).toBe(userId)
    })
  )

  it.effect("the default page is Basiq's consent UI", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const url = yield* ConsentUi.link(userId).pipe(Effect.provide(fake.layer()))
      expect(`${url.origin}${url.pathname}`).toBe("https://consent.basiq.io/home")
      expect([...url.searchParams.keys()]).toEqual(["token"])
    })
  )

  const badOptions: ReadonlyArray<readonly [string, unknown, string]> = [
    ["an undocumented action", { action: "delete" }, "action"],
    ["a state that is not a string", { state: 1 }, "state"],
    ["a state too long", { state: "x".repeat(2000) }, "state"],
    ["an institution id with a slash", { institutionId: "AU/1" }, "institutionId"],
    ["a connection id that is empty", { connectionId: "" }, "connectionId"]
  ]
  for (const [label, options, field] of badOptions) {
    it.effect(`link with ${label} is refused before any token is minted`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        const error = yield* Effect.flip(
          ConsentUi.link(userId, unsafeCoerce(options)).pipe(Effect.provide(fake.layer()))
        )
        expect(error._tag).toBe("BasiqInvalidRequestError")
        expect((error as BasiqInvalidRequestError).fields).toEqual([field])
        expect(yield* fake.sent).toHaveLength(0)
      })
    )
  }

  it.effect("link with a malformed user id is refused before any token is minted", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(ConsentUi.link("../x").pipe(Effect.provide(fake.layer())))
      expect(error._tag).toBe("BasiqInvalidRequestError")
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it("parseRedirect reads jobIds, jobId and state, and never throws", () => {
    expect(ConsentUi.parseRedirect("https://app.example.com/done?jobIds=j1,j2,j3&state=s%201")).toEqual({
      jobIds: ["j1", "j2", "j3"],
      state: "s 1"
    })
    expect(ConsentUi.parseRedirect(new URL("https://app.example.com/?jobId=j9&jobIds=j9"))).toEqual({ jobIds: ["j9"] })
    expect(ConsentUi.parseRedirect("/done?jobIds=&state=")).toEqual({ jobIds: [], state: "" })
    expect(ConsentUi.parseRedirect("https://app.example.com/")).toEqual({ jobIds: [] })
    expect(ConsentUi.parseRedirect("http://[bad")).toEqual({ jobIds: [] })
    expect(ConsentUi.parseRedirect(unsafeCoerce(42))).toEqual({ jobIds: [] })
    expect(ConsentUi.parseRedirect("?jobIds=ok,../evil,a%2Fb")).toEqual({ jobIds: ["ok"] })
  })
})

describe("UsersTest", () => {
  it.effect("stubs answer as given; an operation not given dies naming it", () =>
    Effect.gen(function* () {
      const layer = Layer.merge(
        UsersTest.layer({ getUser: (id) => Effect.succeed({ id, email }) }),
        UsersTest.layerConsents({})
      )
      const result = yield* Effect.gen(function* () {
        const users = yield* Users.Users
        const consents = yield* Consents.Consents
        const user = yield* users.getUser("u1")
        const missing = yield* Effect.exit(users.deleteUser("u1"))
        const missingConsents = yield* Effect.exit(consents.getConsents("u1"))
        return { user, missing, missingConsents }
      }).pipe(Effect.provide(layer))
      expect(result.user).toEqual({ id: "u1", email })
      expect(Exit.isFailure(result.missing)).toBe(true)
      expect(String(Exit.isFailure(result.missing) ? result.missing.cause : "")).toContain("deleteUser")
      expect(String(Exit.isFailure(result.missingConsents) ? result.missingConsents.cause : "")).toContain(
        "getConsents"
      )
    })
  )
})
