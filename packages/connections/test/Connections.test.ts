/**
 * Unit tests of the seven Connections operations over the package's scripted, recording fake
 * (`./utils/fake.ts`): what goes on the wire, how answers decode, how failures map, and that no
 * credential leaks. Each test builds its own fake (its state lives in a `Ref` created by the test).
 */
import { inspect } from "node:util"
import { BasiqError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  type Context,
  Duration,
  Effect,
  Exit,
  HashMap,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Tracer
} from "effect"
import * as ConnectionFilter from "../src/ConnectionFilter.js"
import * as ConnectionSchemas from "../src/ConnectionSchemas.js"
import type * as Connections from "../src/Connections.js"
import {
  API_KEY,
  BASE,
  failureOf,
  makeFake,
  type Reply,
  reply,
  runFor,
  type Sent,
  sequence,
  unsafeCoerce
} from "./utils/fake.js"

/** The header names of a request, without `content-length` (set by the platform from the body). */
const headerNames = (sent: Sent) =>
  Object.keys(sent.headers)
    .filter((name) => name !== "content-length")
    .sort()

// -------------------------------------------------------------------------------------------------
// fixtures (the project's own; nothing here comes from ../shared)
// -------------------------------------------------------------------------------------------------

const userId = "4e1f2a7c-90b3-4d55-8c1e-2f7a9b3c6d10"
const connectionId = "d3b07384-d113-4a7e-9c2e-1f0e5a6b7c8d"

const jobRef = (id: string) => ({ type: "job", id, links: { self: `${BASE}/jobs/${id}` } })

const account = (id: string, overrides: Record<string, unknown> = {}) => ({
  type: "account",
  id,
  accountNo: "4",
  name: "Household Saver",
  currency: "AUD",
  class: { type: "savings", product: "Household Saver" },
  balance: "-299292.25",
  availableFunds: "1520.10",
  lastUpdated: "2024-05-07T02:11:45.756Z",
  status: "available",
  links: {
    self: `${BASE}/users/${userId}/accounts/${id}`,
    transactions: `${BASE}/users/${userId}/transactions?filter=account.id.eq('${id}')`
  },
  ...overrides
})

/** v2.1 with the quirks of real answers (CONTRACT section 5). */
const connectionV21 = {
  type: "connection",
  id: connectionId,
  status: "pending",
  createdDate: "2024-05-07T02:11:44Z",
  // quirk 4: a new connection's lastUsed is earlier than its createdDate
  lastUsed: "2024-05-06T23:59:01.000Z",
  mfaEnabled: false,
  fieldBasiqMayAddLater: { any: ["thing"] },
  institution: { type: "institution", id: "AU00000", links: { self: `${BASE}/institutions/AU00000` } },
  accounts: {
    type: "list",
    data: [
      account("acc-1"),
      account("acc-2", { balance: null, availableFunds: null, status: "unavailable", class: { type: "mortgage" } }),
      account("acc-3", { class: { type: "credit-card", product: "Platinum" }, lastUpdated: "2024-05-07T02:11:45Z" })
    ]
  },
  profile: {
    fullName: "Ines Marlow",
    firstName: "Ines",
    lastName: "Marlow",
    middleName: "",
    phoneNumbers: ["040534555 ### 991"],
    emailAddresses: ["i****@example.org"],
    physicalAddresses: [
      {
        addressLine1: "91 Fisher Road",
        addressLine2: null,
        addressLine3: null,
        postcode: "2099",
        city: "Dee Why",
        state: "NSW",
        country: "Australia",
        countryCode: "AU",
        formattedAddress: "13/91 Fisher Rd, Dee Why NSW 2099, Australia"
      }
    ]
  },
  links: {
    self: `${BASE}/users/${userId}/connections/${connectionId}`,
    user: `${BASE}/users/${userId}`,
    accounts: `${BASE}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`,
    transactions: `${BASE}/users/${userId}/transactions?filter=institution.id.eq('AU00000')`
  }
}

/** v3: method, expiryDate, pre-init; no profile, mfaEnabled, class.meta or createdDate. */
const connectionV3 = {
  type: "connection",
  id: "conn-v3",
  status: "pre-init",
  method: "open-banking",
  expiryDate: "2025-05-07T02:11:44.000Z",
  institution: { type: "institution", id: "AU00001", links: { self: `${BASE}/institutions/AU00001` } },
  accounts: { type: "list", data: [account("acc-9", { class: { type: "transaction", product: "Everyday" } })] },
  links: { self: `${BASE}/users/${userId}/connections/conn-v3`, user: `${BASE}/users/${userId}` }
}

const summary = (id: string, overrides: Record<string, unknown> = {}) => ({
  type: "connection",
  id,
  status: "active",
  createdDate: "2024-05-07T02:11:44.123Z",
  lastUsed: "2024-05-07T03:00:00Z",
  institution: { type: "institution", id: "AU00000", links: { self: `${BASE}/institutions/AU00000` } },
  links: {
    self: `${BASE}/users/${userId}/connections/${id}`,
    institution: `${BASE}/institutions/AU00000`,
    accounts: `${BASE}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`
  },
  ...overrides
})

const LOGIN = "login-PROBE-a81f"
const PASSWORD = "password-PROBE-77c3"
const SECURITY = "security-PROBE-5e0d"
const SECONDARY = "secondary-PROBE-29b4"
const secrets = [LOGIN, PASSWORD, SECURITY, SECONDARY, "PROBE"]

const fullPostBody = ConnectionSchemas.makePostConnectionBody({
  loginId: LOGIN,
  password: PASSWORD,
  institution: { id: "AU00000" },
  securityCode: SECURITY,
  secondaryLoginId: SECONDARY
})
const fullUpdateBody = ConnectionSchemas.makeUpdateConnectionBody({
  password: PASSWORD,
  securityCode: SECURITY,
  secondaryLoginId: SECONDARY
})

/** Every operation, as a call with the test ids and full bodies. */
const operations: ReadonlyArray<{
  readonly name: keyof Connections.Service
  readonly method: string
  readonly path: string
  readonly route: string
  readonly idempotent: boolean
  readonly success: Reply
  readonly status: number
  readonly call: (c: Connections.Service) => Effect.Effect<unknown, BasiqError.BasiqError>
}> = [
  {
    name: "getConnections",
    method: "GET",
    path: `/users/${userId}/connections`,
    route: "/users/{userId}/connections",
    idempotent: true,
    success: reply.json(200, { type: "list", data: [summary("c1")] }),
    status: 200,
    call: (c) => c.getConnections(userId)
  },
  {
    name: "getConnection",
    method: "GET",
    path: `/users/${userId}/connections/${connectionId}`,
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: true,
    success: reply.json(200, connectionV21),
    status: 200,
    call: (c) => c.getConnection(userId, connectionId)
  },
  {
    name: "postConnection",
    method: "POST",
    path: `/users/${userId}/connections`,
    route: "/users/{userId}/connections",
    idempotent: false,
    success: reply.json(202, jobRef("job-post")),
    status: 202,
    call: (c) => c.postConnection(userId, fullPostBody)
  },
  {
    name: "updateConnection",
    method: "POST",
    path: `/users/${userId}/connections/${connectionId}`,
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: false,
    success: reply.json(202, jobRef("job-update")),
    status: 202,
    call: (c) => c.updateConnection(userId, connectionId, fullUpdateBody)
  },
  {
    name: "deleteConnection",
    method: "DELETE",
    path: `/users/${userId}/connections/${connectionId}`,
    route: "/users/{userId}/connections/{connectionId}",
    idempotent: true,
    success: reply.empty(204),
    status: 204,
    call: (c) => c.deleteConnection(userId, connectionId)
  },
  {
    name: "purgeConnection",
    method: "POST",
    path: `/users/${userId}/connections/${connectionId}/purge`,
    route: "/users/{userId}/connections/{connectionId}/purge",
    idempotent: true,
    success: reply.empty(204),
    status: 204,
    call: (c) => c.purgeConnection(userId, connectionId)
  },
  {
    name: "refreshConnection",
    method: "POST",
    path: `/users/${userId}/connections/${connectionId}/refresh`,
    route: "/users/{userId}/connections/{connectionId}/refresh",
    idempotent: true,
    success: reply.json(202, jobRef("job-refresh")),
    status: 202,
    call: (c) => c.refreshConnection(userId, connectionId)
  },
  {
    name: "refreshConnections",
    method: "POST",
    path: `/users/${userId}/connections/refresh`,
    route: "/users/{userId}/connections/refresh",
    idempotent: true,
    success: reply.json(202, { type: "list", data: [jobRef("job-a")] }),
    status: 202,
    call: (c) => c.refreshConnections(userId)
  }
]

const noRetry = { retry: false } as const

// -------------------------------------------------------------------------------------------------
// requests
// -------------------------------------------------------------------------------------------------

describe("requests on the wire", () => {
  it.effect("each operation sends its method and path, with the bearer token and JSON accept", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const fake = yield* makeFake({ api: () => op.success })
        yield* fake.use(op.call)
        const [token] = yield* fake.tokens
        const api = yield* fake.api
        expect(api, op.name).toHaveLength(1)
        const sent = api[0]!
        expect(sent.method, op.name).toBe(op.method)
        expect(sent.url.origin, op.name).toBe(BASE)
        expect(sent.path, op.name).toBe(op.path)
        expect(sent.url.search, op.name).toBe("")
        expect(sent.headers.authorization, op.name).toBe("Bearer tok_1")
        expect(sent.headers.accept, op.name).toBe("application/json")
        expect(sent.headers["user-agent"], op.name).toBe("basiq-effect/0.1.0")
        // The token was fetched with the API key, once, before the call.
        expect(token?.headers.authorization, op.name).toBe(`Basic ${API_KEY}`)
        expect(yield* fake.tokens, op.name).toHaveLength(1)
      }
    })
  )

  it.effect("requests without a body carry no body and no content-type (nor tracing headers)", () =>
    Effect.gen(function* () {
      for (const op of operations.filter((o) => o.name !== "postConnection" && o.name !== "updateConnection")) {
        const fake = yield* makeFake({ api: () => op.success })
        yield* fake.use(op.call)
        const [sent] = yield* fake.api
        expect(sent!.body, op.name).toBeUndefined()
        expect(headerNames(sent!), op.name).toEqual(["accept", "accept-encoding", "authorization", "user-agent"])
      }
    })
  )

  it.effect("postConnection sends the wire JSON with plain-string credentials", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      yield* fake.use((c) => c.postConnection(userId, fullPostBody))
      const [sent] = yield* fake.api
      expect(headerNames(sent!)).toEqual(["accept", "accept-encoding", "authorization", "content-type", "user-agent"])
      expect(sent!.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(sent!.body!)).toStrictEqual({
        loginId: LOGIN,
        password: PASSWORD,
        securityCode: SECURITY,
        secondaryLoginId: SECONDARY,
        institution: { id: "AU00000" }
      })
    })
  )

  it.effect("postConnection omits optional credentials that were not given, and accepts Redacted input", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      const body = ConnectionSchemas.makePostConnectionBody({
        loginId: Redacted.make("gavinBelson"),
        password: "hooli2016",
        institution: "AU00000"
      })
      yield* fake.use((c) => c.postConnection(userId, body))
      const [sent] = yield* fake.api
      expect(JSON.parse(sent!.body!)).toStrictEqual({
        loginId: "gavinBelson",
        password: "hooli2016",
        institution: { id: "AU00000" }
      })
    })
  )

  it.effect("updateConnection sends password, security code and secondary login as plain strings", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("j1")) })
      yield* fake.use((c) =>
        Effect.zip(
          c.updateConnection(userId, connectionId, fullUpdateBody),
          c.updateConnection(userId, connectionId, ConnectionSchemas.makeUpdateConnectionBody({ password: "only" }))
        )
      )
      const [full, minimal] = yield* fake.api
      expect(full!.method).toBe("POST")
      expect(full!.path).toBe(`/users/${userId}/connections/${connectionId}`)
      expect(full!.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(full!.body!)).toStrictEqual({
        password: PASSWORD,
        securityCode: SECURITY,
        secondaryLoginId: SECONDARY
      })
      expect(JSON.parse(minimal!.body!)).toStrictEqual({ password: "only" })
    })
  )

  it.effect("a base URL with a path prefix is kept", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, connectionV21) })
      yield* fake.use((c) => c.getConnection(userId, connectionId), { baseUrl: "http://127.0.0.1:4010/basiq/" })
      const [token, sent] = yield* fake.sent
      expect(token!.url.href).toBe("http://127.0.0.1:4010/basiq/token")
      expect(sent!.url.href).toBe(`http://127.0.0.1:4010/basiq/users/${userId}/connections/${connectionId}`)
    })
  )
})

describe("getConnections filter", () => {
  const listOk = () => reply.json(200, { type: "list", data: [] })

  it.effect("sends a built filter URL-encoded once", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: listOk })
      const filter = ConnectionFilter.and(
        ConnectionFilter.institutionId.eq("AU00000"),
        ConnectionFilter.status.eq("active")
      )
      yield* fake.use((c) => c.getConnections(userId, { filter }))
      const [sent] = yield* fake.api
      expect(sent!.path).toBe(`/users/${userId}/connections`)
      expect(sent!.url.search).toBe("?filter=institution.id.eq%28%27AU00000%27%29%2Cstatus.eq%28%27active%27%29")
      expect(sent!.url.searchParams.get("filter")).toBe("institution.id.eq('AU00000'),status.eq('active')")
      expect([...sent!.url.searchParams.keys()]).toEqual(["filter"])
    })
  )

  it.effect("sends every operator as Basiq writes it, bt with two values", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: listOk })
      const filter = ConnectionFilter.and(
        ConnectionFilter.id.ne("c1"),
        ConnectionFilter.id.gt("a"),
        ConnectionFilter.id.gteq("b"),
        ConnectionFilter.id.lt("y"),
        ConnectionFilter.id.lteq("z"),
        ConnectionFilter.institutionId.bt("AU00000", "AU99999")
      )
      yield* fake.use((c) => c.getConnections(userId, { filter }))
      const [sent] = yield* fake.api
      expect(sent!.url.searchParams.get("filter")).toBe(
        "id.ne('c1'),id.gt('a'),id.gteq('b'),id.lt('y'),id.lteq('z'),institution.id.bt('AU00000','AU99999')"
      )
    })
  )

  it.effect("a raw string is sent as given, encoded once (a % is not double-encoded into %2525)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: listOk })
      yield* fake.use((c) =>
        Effect.zip(
          c.getConnections(userId, { filter: "status.eq('active')" }),
          c.getConnections(userId, { filter: "id.eq('50%25 off')" })
        )
      )
      const built = yield* makeFake({ api: listOk })
      yield* built.use((c) => c.getConnections(userId, { filter: ConnectionFilter.status.eq("active") }))
      const [raw, percent] = yield* fake.api
      const [fromBuilder] = yield* built.api
      expect(raw!.url.search).toBe("?filter=status.eq%28%27active%27%29")
      // a built filter and the same raw string give the same query
      expect(fromBuilder!.url.search).toBe(raw!.url.search)
      expect(percent!.url.search).toBe("?filter=id.eq%28%2750%2525+off%27%29")
      expect(percent!.url.searchParams.get("filter")).toBe("id.eq('50%25 off')")
    })
  )

  it.effect("no filter, or filter: undefined, sends no query", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: listOk })
      yield* fake.use((c) => Effect.zip(c.getConnections(userId), c.getConnections(userId, { filter: undefined })))
      const sent = yield* fake.api
      expect(sent.map((s) => s.url.search)).toEqual(["", ""])
    })
  )

  it.effect("a refused filter value fails with BasiqInvalidRequestError, naming filter, and sends nothing", () =>
    Effect.gen(function* () {
      const injection = "AU0'),id.eq('x"
      const fake = yield* makeFake({ api: listOk })
      const errors = yield* fake.use((c) =>
        Effect.all([
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.institutionId.eq(injection) })),
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.id.bt("a", "b,c") })),
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.status.eq(unsafeCoerce("")) })),
          Effect.flip(c.getConnections(userId, { filter: "  " })),
          Effect.flip(c.getConnections(userId, { filter: ConnectionFilter.and() }))
        ])
      )
      for (const error of errors) {
        expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
        if (error._tag !== "BasiqInvalidRequestError") continue
        expect(error.fields).toEqual(["filter"])
        expect(error.message).not.toContain(injection)
        expect(error.message).not.toContain("b,c")
      }
      expect(yield* fake.sent).toEqual([])
    })
  )
})

// -------------------------------------------------------------------------------------------------
// successful answers
// -------------------------------------------------------------------------------------------------

describe("successful answers", () => {
  it.effect("getConnection decodes a v2.1 connection with the quirks of real answers", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, connectionV21) })
      const connection = yield* fake.use((c) => c.getConnection(userId, connectionId))
      expect(connection.id).toBe(connectionId)
      expect(connection.status).toBe("pending")
      expect(connection.mfaEnabled).toBe(false)
      // timestamps kept as sent, even lastUsed earlier than createdDate
      expect(connection.createdDate).toBe("2024-05-07T02:11:44Z")
      expect(connection.lastUsed).toBe("2024-05-06T23:59:01.000Z")
      expect(connection.institution).toEqual({
        type: "institution",
        id: "AU00000",
        links: { self: `${BASE}/institutions/AU00000` }
      })
      const accounts = connection.accounts?.data ?? []
      expect(accounts.map((a) => [a.id, a.balance, a.availableFunds, a.class.type, a.status])).toEqual([
        ["acc-1", "-299292.25", "1520.10", "savings", "available"],
        ["acc-2", null, null, "mortgage", "unavailable"],
        ["acc-3", "-299292.25", "1520.10", "credit-card", "available"]
      ])
      expect(accounts[2]?.lastUpdated).toBe("2024-05-07T02:11:45Z")
      expect(connection.profile?.middleName).toBe("")
      expect(connection.profile?.phoneNumbers).toEqual(["040534555 ### 991"])
      expect(connection.profile?.physicalAddresses[0]).toMatchObject({
        addressLine1: "91 Fisher Road",
        addressLine2: null,
        addressLine3: null,
        formattedAddress: "13/91 Fisher Rd, Dee Why NSW 2099, Australia"
      })
      expect(connection.links.accounts).toBe(`${BASE}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`)
      // unknown fields are dropped
      expect(Object.keys(connection)).not.toContain("fieldBasiqMayAddLater")
    })
  )

  it.effect("getConnection decodes a v3 connection: pre-init, method, expiryDate, no profile", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, connectionV3) })
      const connection = yield* fake.use((c) => c.getConnection(userId, "conn-v3"))
      expect(connection.status).toBe("pre-init")
      expect(connection.method).toBe("open-banking")
      expect(connection.expiryDate).toBe("2025-05-07T02:11:44.000Z")
      expect(connection.profile).toBeUndefined()
      expect(connection.createdDate).toBeUndefined()
      expect(connection.mfaEnabled).toBeUndefined()
      expect(connection.accounts?.data[0]?.class).toEqual({ type: "transaction", product: "Everyday" })
    })
  )

  it.effect("getConnections decodes v2.1 and v3 summaries and statuses Basiq adds later", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () =>
          reply.json(200, {
            type: "list",
            data: [
              summary("c1", { mfaEnabled: true }),
              summary("c2", { status: "pre-init", method: "openbanking", expiryDate: "2025-01-01T00:00:00Z" }),
              summary("c3", { status: "suspended-by-bank" })
            ],
            links: { self: `${BASE}/users/${userId}/connections` }
          })
      })
      const list = yield* fake.use((c) => c.getConnections(userId))
      expect(list.type).toBe("list")
      expect(list.data.map((s) => [s.id, s.status, s.method, s.expiryDate, s.mfaEnabled])).toEqual([
        ["c1", "active", undefined, undefined, true],
        ["c2", "pre-init", "openbanking", "2025-01-01T00:00:00Z", undefined],
        ["c3", "suspended-by-bank", undefined, undefined, undefined]
      ])
      expect(list.data[0]?.links.institution).toBe(`${BASE}/institutions/AU00000`)
      expect(list.links).toEqual({ self: `${BASE}/users/${userId}/connections` })
    })
  )

  it.effect("getConnections decodes a list without data, or with data: null, as empty", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: sequence(reply.json(200, { type: "list" }), reply.json(200, { type: "list", data: null }))
      })
      const [a, b] = yield* fake.use((c) => Effect.all([c.getConnections(userId), c.getConnections(userId)]))
      expect(a.data).toEqual([])
      expect(b.data).toEqual([])
    })
  )

  it.effect("postConnection and updateConnection return the job reference of their 202", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: sequence(reply.json(202, jobRef("job-1")), reply.json(202, jobRef("job-2")))
      })
      const [posted, updated] = yield* fake.use((c) =>
        Effect.all([c.postConnection(userId, fullPostBody), c.updateConnection(userId, connectionId, fullUpdateBody)])
      )
      expect(posted).toEqual({ type: "job", id: "job-1", links: { self: `${BASE}/jobs/job-1` } })
      expect(updated).toEqual({ type: "job", id: "job-2", links: { self: `${BASE}/jobs/job-2` } })
    })
  )

  it.effect("refreshConnection: 202 is a new job (alreadyRunning false)", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(202, jobRef("job-new")) })
      const job = yield* fake.use((c) => c.refreshConnection(userId, connectionId))
      expect(job).toEqual({
        type: "job",
        id: "job-new",
        links: { self: `${BASE}/jobs/job-new` },
        alreadyRunning: false
      })
    })
  )

  it.effect("refreshConnection: 200 is the job already running (alreadyRunning true), even as a full job", () =>
    Effect.gen(function* () {
      const runningJob = {
        type: "job",
        id: "job-running",
        created: "2024-05-07T02:11:44Z",
        updated: "2024-05-07T02:11:50Z",
        steps: [
          { title: "verify-credentials", status: "success", result: { type: "link", url: "/users/u/connections/c" } },
          { title: "retrieve-accounts", status: "in-progress", result: null }
        ],
        links: { self: `${BASE}/jobs/job-running`, source: `${BASE}/users/${userId}/connections/${connectionId}` }
      }
      const fake = yield* makeFake({
        api: sequence(
          reply.json(200, runningJob),
          reply.json(200, { id: "job-v3", steps: [], links: null }),
          reply.json(202, jobRef("job-after"))
        )
      })
      const [running, v3, after] = yield* fake.use((c) =>
        Effect.all([
          c.refreshConnection(userId, connectionId),
          c.refreshConnection(userId, connectionId),
          c.refreshConnection(userId, connectionId)
        ])
      )
      expect(running).toEqual({
        type: "job",
        id: "job-running",
        links: { self: `${BASE}/jobs/job-running` },
        alreadyRunning: true
      })
      expect(v3).toEqual({ type: "job", id: "job-v3", alreadyRunning: true })
      expect(after.alreadyRunning).toBe(false)
    })
  )

  it.effect("refreshConnections returns one job per connection", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.json(202, { type: "list", data: [jobRef("job-a"), jobRef("job-b")] })
      })
      const jobs = yield* fake.use((c) => c.refreshConnections(userId))
      expect(jobs.type).toBe("list")
      expect(jobs.data.map((j) => j.id)).toEqual(["job-a", "job-b"])
    })
  )

  it.effect("deleteConnection on 204 succeeds without reading the body, even a garbage one", () =>
    Effect.gen(function* () {
      const responses: Array<Response> = []
      // A 204 that nonetheless has a body (a WHATWG Response refuses one, so the status is patched).
      const garbage204 = () => {
        const response = new Response("<html>not json", { status: 200, headers: { "content-type": "text/html" } })
        Object.defineProperty(response, "status", { value: 204 })
        responses.push(response)
        return response
      }
      const broken204 = () => {
        const response = new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(new Error("the body must not be read"))
            }
          }),
          { status: 200 }
        )
        Object.defineProperty(response, "status", { value: 204 })
        responses.push(response)
        return response
      }
      const fake = yield* makeFake({ api: sequence(reply.web(garbage204), reply.web(broken204), reply.empty(204)) })
      const results = yield* fake.use((c) =>
        Effect.all([
          c.deleteConnection(userId, connectionId),
          c.deleteConnection(userId, connectionId),
          c.deleteConnection(userId, connectionId)
        ])
      )
      expect(results).toEqual([undefined, undefined, undefined])
      expect(responses.map((r) => r.bodyUsed)).toEqual([false, false])
      expect(yield* fake.api).toHaveLength(3)
    })
  )

  it.effect("a 2xx body that does not match fails with BasiqDecodeError naming the location, not retried", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: sequence(
          reply.json(200, { ...connectionV21, id: 42 }),
          reply.json(200, { type: "list", data: [summary("c1", { institution: undefined })] }),
          reply.text(202, "<html>gateway</html>", { "content-type": "text/html" }),
          reply.json(202, { type: "list", data: [{ type: "job" }] }),
          reply.json(200, {
            ...connectionV21,
            accounts: { type: "list", data: [account("a1"), account("a2", { balance: 12.5 })] }
          })
        )
      })
      const errors = yield* fake.use((c) =>
        Effect.all([
          Effect.flip(c.getConnection(userId, connectionId)),
          Effect.flip(c.getConnections(userId)),
          Effect.flip(c.refreshConnection(userId, connectionId)),
          Effect.flip(c.refreshConnections(userId)),
          Effect.flip(c.getConnection(userId, connectionId))
        ])
      )
      expect(errors.map((e) => e._tag)).toEqual([
        "BasiqDecodeError",
        "BasiqDecodeError",
        "BasiqDecodeError",
        "BasiqDecodeError",
        "BasiqDecodeError"
      ])
      const located = errors.map((e) => (e._tag === "BasiqDecodeError" ? [e.status, e.at, e.route] : []))
      expect(located).toEqual([
        [200, "id", "/users/{userId}/connections/{connectionId}"],
        [200, "data[0].institution", "/users/{userId}/connections"],
        [202, "", "/users/{userId}/connections/{connectionId}/refresh"],
        [202, "data[0].id", "/users/{userId}/connections/refresh"],
        [200, "accounts.data[1].balance", "/users/{userId}/connections/{connectionId}"]
      ])
      // one request each: a decode error is final
      expect(yield* fake.api).toHaveLength(5)
    })
  )
})

// -------------------------------------------------------------------------------------------------
// failures
// -------------------------------------------------------------------------------------------------

const statusCases: ReadonlyArray<{
  readonly status: number
  readonly code: string
  readonly tag: BasiqError.BasiqError["_tag"]
  readonly error: new (...args: never) => BasiqError.BasiqError
}> = [
  { status: 400, code: "parameter-not-valid", tag: "BasiqBadRequestError", error: BasiqError.BasiqBadRequestError },
  { status: 403, code: "forbidden-access", tag: "BasiqForbiddenError", error: BasiqError.BasiqForbiddenError },
  { status: 404, code: "resource-not-found", tag: "BasiqNotFoundError", error: BasiqError.BasiqNotFoundError },
  {
    status: 415,
    code: "unsupported-content-type",
    tag: "BasiqUnsupportedMediaTypeError",
    error: BasiqError.BasiqUnsupportedMediaTypeError
  },
  { status: 429, code: "too-many-requests", tag: "BasiqRateLimitError", error: BasiqError.BasiqRateLimitError },
  { status: 500, code: "internal-server-error", tag: "BasiqServerError", error: BasiqError.BasiqServerError },
  { status: 503, code: "service-unavailable", tag: "BasiqServerError", error: BasiqError.BasiqServerError },
  {
    status: 409,
    code: "resource-already-exists",
    tag: "BasiqUnexpectedStatusError",
    error: BasiqError.BasiqUnexpectedStatusError
  }
]

describe("error statuses", () => {
  for (const { code, error: ErrorClass, status, tag } of statusCases) {
    it.effect(`${status} ${code} is ${tag} on every operation`, () =>
      Effect.gen(function* () {
        for (const op of operations) {
          const fake = yield* makeFake({
            api: () => reply.envelope(status, code, { headers: status === 429 ? { "retry-after": "7" } : {} })
          })
          const error = yield* Effect.flip(fake.use(op.call, noRetry))
          expect(error, op.name).toBeInstanceOf(ErrorClass)
          expect(error._tag, op.name).toBe(tag)
          if (!("status" in error) || !("errors" in error) || !("route" in error)) {
            throw new Error(`${op.name}: not a status error`)
          }
          expect(error.status, op.name).toBe(status)
          expect(error.code, op.name).toBe(code)
          expect(error.correlationId, op.name).toBe(`corr-${status}`)
          expect(error.method, op.name).toBe(op.method)
          expect(error.route, op.name).toBe(op.route)
          expect(error.attempts, op.name).toBe(1)
          expect(error.errors?.[0]?.detail, op.name).toBe(`Detail ${status}`)
          expect(error.message, op.name).toContain(`${status} ${code} on ${op.method} ${op.route}: Detail ${status}`)
          expect(error.message, op.name).toContain(`correlationId corr-${status}`)
          if (error._tag === "BasiqRateLimitError") {
            expect(error.retryAfter && Duration.toSeconds(error.retryAfter), op.name).toBe(7)
          }
          expect(yield* fake.api, op.name).toHaveLength(1)
        }
      })
    )
  }

  it.effect("401 re-authenticates once: a second 401 is BasiqUnauthorizedError after two attempts", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const fake = yield* makeFake({ api: () => reply.envelope(401, "invalid-authorization-token") })
        const error = yield* Effect.flip(fake.use(op.call, noRetry))
        expect(error, op.name).toBeInstanceOf(BasiqError.BasiqUnauthorizedError)
        if (error._tag !== "BasiqUnauthorizedError") continue
        expect(error.status).toBe(401)
        expect(error.attempts).toBe(2)
        expect(error.route).toBe(op.route)
        expect((yield* fake.api).map((s) => s.headers.authorization)).toEqual(["Bearer tok_1", "Bearer tok_2"])
        expect(yield* fake.tokens).toHaveLength(2)
      }
    })
  )

  it.effect("401 or 403 access-denied then success: the call succeeds with a fresh token", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: sequence(
          reply.envelope(401, "unauthorized-access"),
          reply.json(200, connectionV21),
          reply.envelope(403, "access-denied"),
          reply.json(202, jobRef("job-1"))
        )
      })
      const [connection, job] = yield* fake.use(
        (c) => Effect.all([c.getConnection(userId, connectionId), c.postConnection(userId, fullPostBody)]),
        noRetry
      )
      expect(connection.id).toBe(connectionId)
      expect(job.id).toBe("job-1")
      expect((yield* fake.api).map((s) => s.headers.authorization)).toEqual([
        "Bearer tok_1",
        "Bearer tok_2",
        "Bearer tok_2",
        "Bearer tok_3"
      ])
      // the create was sent twice, both times with the same body
      const [, , first, second] = yield* fake.api
      expect(second!.body).toBe(first!.body)
    })
  )

  it.effect("403 forbidden-access is final: no re-authentication", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(403, "forbidden-access") })
      const error = yield* Effect.flip(fake.use((c) => c.getConnection(userId, connectionId)))
      expect(error).toBeInstanceOf(BasiqError.BasiqForbiddenError)
      expect(yield* fake.api).toHaveLength(1)
      expect(yield* fake.tokens).toHaveLength(1)
    })
  )

  it.effect("a non-envelope error body (HTML from a proxy) still maps by status, with no errors", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: () => reply.text(502, "<html><body>Bad gateway</body></html>", { "content-type": "text/html" })
      })
      const error = yield* Effect.flip(fake.use((c) => c.deleteConnection(userId, connectionId), noRetry))
      expect(error).toBeInstanceOf(BasiqError.BasiqServerError)
      if (error._tag !== "BasiqServerError") return
      expect(error.status).toBe(502)
      expect(error.errors).toEqual([])
      expect(error.code).toBeUndefined()
      expect(error.outcomeUnknown).toBe(false)
    })
  )

  it.effect("the /token exchange failing is BasiqAuthenticationError and the operation is not sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ token: () => reply.envelope(404, "parameter-not-valid") })
      const error = yield* Effect.flip(fake.use((c) => c.postConnection(userId, fullPostBody), noRetry))
      expect(error).toBeInstanceOf(BasiqError.BasiqAuthenticationError)
      expect(yield* fake.api).toEqual([])
    })
  )
})

describe("outcomeUnknown and retries follow each operation's idempotence", () => {
  const mayHaveApplied = (e: BasiqError.BasiqError) =>
    e._tag === "BasiqServerError" || e._tag === "BasiqTransportError" ? e.outcomeUnknown : "n/a"

  it.effect("500 and a reset after sending: unknown for create/update only; 503 and a refused connection: known", () =>
    Effect.gen(function* () {
      const table: Array<[string, string, boolean | string]> = []
      for (const op of operations) {
        for (const [label, answer] of [
          ["500", reply.envelope(500, "internal-server-error")],
          ["503", reply.envelope(503, "service-unavailable")],
          ["ECONNRESET", reply.network("ECONNRESET")],
          ["ECONNREFUSED", reply.network("ECONNREFUSED")]
        ] as const) {
          const fake = yield* makeFake({ api: () => answer })
          const error = yield* Effect.flip(fake.use(op.call, noRetry))
          table.push([op.name, label, mayHaveApplied(error)])
        }
      }
      const unknownOnlyFor = new Set(["postConnection", "updateConnection"])
      expect(table).toEqual(
        operations.flatMap((op) => [
          [op.name, "500", unknownOnlyFor.has(op.name)],
          [op.name, "503", false],
          [op.name, "ECONNRESET", unknownOnlyFor.has(op.name)],
          [op.name, "ECONNREFUSED", false]
        ])
      )
    })
  )

  it.effect("a per-attempt timeout is a Timeout transport error, outcome unknown for create/update only", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const fake = yield* makeFake({ api: () => reply.hang })
        const exit = yield* runFor(fake.use(op.call, { retry: false, timeout: "5 seconds" }), "5 seconds")
        const error = failureOf(exit)
        expect(error, op.name).toBeInstanceOf(BasiqError.BasiqTransportError)
        if (error._tag !== "BasiqTransportError") continue
        expect(error.reason).toBe("Timeout")
        expect(error.outcomeUnknown, op.name).toBe(!op.idempotent)
      }
    })
  )

  it.effect("with the default policy, a 500 is retried for reads, delete and refresh, never for create/update", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const fake = yield* makeFake({ api: sequence(reply.envelope(500, "internal-server-error"), op.success) })
        const exit = yield* runFor(fake.use(op.call), "1 minute")
        const sent = yield* fake.api
        if (op.idempotent) {
          expect(Exit.isSuccess(exit), op.name).toBe(true)
          expect(sent, op.name).toHaveLength(2)
        } else {
          const error = failureOf(exit)
          expect(error._tag, op.name).toBe("BasiqServerError")
          expect(mayHaveApplied(error), op.name).toBe(true)
          expect(sent, op.name).toHaveLength(1)
        }
      }
    })
  )

  it.effect("with the default policy, 503 and 429 are retried for create/update too", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: sequence(
          reply.envelope(503, "service-unavailable"),
          reply.envelope(429, "too-many-requests", { headers: { "retry-after": "2" } }),
          reply.json(202, jobRef("job-1"))
        )
      })
      const exit = yield* runFor(
        fake.use((c) => c.postConnection(userId, fullPostBody)),
        "1 minute"
      )
      expect(Exit.isSuccess(exit) && exit.value.id).toBe("job-1")
      const sent = yield* fake.api
      expect(sent).toHaveLength(3)
      expect(new Set(sent.map((s) => s.body)).size).toBe(1)
    })
  )
})

// -------------------------------------------------------------------------------------------------
// ids
// -------------------------------------------------------------------------------------------------

describe("path ids", () => {
  const badIds: ReadonlyArray<[string, string]> = [
    ["a slash", "a/b"],
    ["a question mark", "a?b"],
    ["a hash", "a#b"],
    ["a percent sign", "a%2Fb"],
    ["unicode", "caf\u00e9"],
    ["a space", "a b"],
    ["dot", "."],
    ["dot-dot", ".."],
    ["refresh", "refresh"],
    ["Refresh (any case)", "Refresh"],
    ["a fixed segment", "connections"],
    ["257 characters", "x".repeat(257)],
    ["empty", ""]
  ]

  const callsWith = (
    bad: string
  ): ReadonlyArray<
    readonly [string, string, (c: Connections.Service) => Effect.Effect<unknown, BasiqError.BasiqError>]
  > => [
    ["getConnections", "userId", (c) => c.getConnections(bad)],
    ["getConnections+filter", "userId", (c) => c.getConnections(bad, { filter: "status.eq('active')" })],
    ["getConnection", "userId", (c) => c.getConnection(bad, connectionId)],
    ["getConnection", "connectionId", (c) => c.getConnection(userId, bad)],
    ["postConnection", "userId", (c) => c.postConnection(bad, fullPostBody)],
    ["updateConnection", "userId", (c) => c.updateConnection(bad, connectionId, fullUpdateBody)],
    ["updateConnection", "connectionId", (c) => c.updateConnection(userId, bad, fullUpdateBody)],
    ["deleteConnection", "userId", (c) => c.deleteConnection(bad, connectionId)],
    ["deleteConnection", "connectionId", (c) => c.deleteConnection(userId, bad)],
    ["refreshConnection", "userId", (c) => c.refreshConnection(bad, connectionId)],
    ["refreshConnection", "connectionId", (c) => c.refreshConnection(userId, bad)],
    ["refreshConnections", "userId", (c) => c.refreshConnections(bad)]
  ]

  for (const [label, bad] of badIds) {
    it.effect(`an id with ${label} is refused before any I/O, on every operation`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake()
        for (const [name, field, call] of callsWith(bad)) {
          const error = yield* Effect.flip(fake.use(call))
          expect(error, `${name} ${field}`).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
          if (error._tag !== "BasiqInvalidRequestError") continue
          expect(error.fields, `${name} ${field}`).toEqual([field])
          expect(error.message, `${name} ${field}`).toContain(field)
        }
        // not even /token
        expect(yield* fake.sent).toEqual([])
      })
    )
  }

  it.effect("both ids bad: both fields are named", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(fake.use((c) => c.getConnection("a/b", "..")))
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      if (error._tag !== "BasiqInvalidRequestError") return
      expect(error.fields).toEqual(["userId", "connectionId"])
      expect(error.route).toBe("/users/{userId}/connections/{connectionId}")
      expect(yield* fake.sent).toEqual([])
    })
  )

  it.effect("a non-string id from JavaScript is refused", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(fake.use((c) => c.getConnection(userId, unsafeCoerce<string>(42))))
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      expect(yield* fake.sent).toEqual([])
    })
  )

  it.effect("ids using every allowed character, up to 256 characters, reach the right path unchanged", () =>
    Effect.gen(function* () {
      const long = "A".repeat(256)
      const odd = "a-B_c.d~9"
      const fake = yield* makeFake({
        api: (sent) =>
          sent.method === "DELETE"
            ? reply.empty(204)
            : sent.method === "GET"
              ? reply.json(200, connectionV21)
              : sent.path.endsWith("/connections/refresh")
                ? reply.json(202, { type: "list", data: [] })
                : reply.json(202, jobRef("j"))
      })
      yield* fake.use((c) =>
        Effect.all([
          c.getConnection(odd, long),
          c.updateConnection(long, odd, fullUpdateBody),
          c.deleteConnection("...", "~"),
          c.refreshConnection("-", "_"),
          c.refreshConnections("refreshing"),
          c.postConnection("REFRESH-1", fullPostBody)
        ])
      )
      expect((yield* fake.api).map((s) => `${s.method} ${s.path}`)).toEqual([
        `GET /users/${odd}/connections/${long}`,
        `POST /users/${long}/connections/${odd}`,
        "DELETE /users/.../connections/~",
        "POST /users/-/connections/_/refresh",
        "POST /users/refreshing/connections/refresh",
        "POST /users/REFRESH-1/connections"
      ])
    })
  )
})

// -------------------------------------------------------------------------------------------------
// bodies
// -------------------------------------------------------------------------------------------------

describe("invalid bodies", () => {
  const expectInvalid = (error: BasiqError.BasiqError, fields: ReadonlyArray<string>) => {
    expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
    if (error._tag !== "BasiqInvalidRequestError") return
    expect([...error.fields].sort()).toEqual([...fields].sort())
    for (const field of fields) expect(error.message).toContain(field)
    for (const rendering of renderings(error)) {
      for (const secret of secrets) expect(rendering).not.toContain(secret)
    }
  }

  it.effect("empty credentials and a missing institution id are refused, naming the fields, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const post = (input: Parameters<typeof ConnectionSchemas.makePostConnectionBody>[0]) =>
        Effect.flip(fake.use((c) => c.postConnection(userId, ConnectionSchemas.makePostConnectionBody(input))))
      expectInvalid(yield* post({ loginId: LOGIN, password: "", institution: "AU00000" }), ["password"])
      expectInvalid(yield* post({ loginId: LOGIN, password: PASSWORD, institution: "" }), ["institution.id"])
      expectInvalid(yield* post({ loginId: "", password: "", institution: "AU00000" }), ["loginId", "password"])
      expectInvalid(yield* post({ loginId: LOGIN, password: PASSWORD, institution: "AU00000", securityCode: "" }), [
        "securityCode"
      ])
      expectInvalid(
        yield* Effect.flip(
          fake.use((c) =>
            c.postConnection(
              userId,
              unsafeCoerce<ConnectionSchemas.PostConnectionBody>({
                loginId: Redacted.make(LOGIN),
                password: Redacted.make(PASSWORD),
                institution: {}
              })
            )
          )
        ),
        ["institution.id"]
      )
      expectInvalid(
        yield* Effect.flip(
          fake.use((c) =>
            c.updateConnection(
              userId,
              connectionId,
              ConnectionSchemas.makeUpdateConnectionBody({ password: "", secondaryLoginId: SECONDARY })
            )
          )
        ),
        ["password"]
      )
      expect(yield* fake.sent).toEqual([])
    })
  )

  it.effect("a plain-string credential from JavaScript is refused without echoing it", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(
        fake.use((c) =>
          c.postConnection(
            userId,
            unsafeCoerce<ConnectionSchemas.PostConnectionBody>({
              loginId: LOGIN,
              password: PASSWORD,
              institution: { id: "AU00000" }
            })
          )
        )
      )
      expectInvalid(error, ["loginId", "password"])
      expect(yield* fake.sent).toEqual([])
    })
  )

  it.effect("a missing body is refused", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const error = yield* Effect.flip(
        fake.use((c) =>
          c.updateConnection(userId, connectionId, unsafeCoerce<ConnectionSchemas.UpdateConnectionBody>(undefined))
        )
      )
      expectInvalid(error, ["body"])
      expect(yield* fake.sent).toEqual([])
    })
  )
})

// -------------------------------------------------------------------------------------------------
// secrets, logs and spans
// -------------------------------------------------------------------------------------------------

function renderings(u: unknown): ReadonlyArray<string> {
  return [
    String(u),
    JSON.stringify(u) ?? "",
    inspect(u, { depth: 20 }),
    inspect(u, { depth: 20, showHidden: true }),
    u instanceof Error ? u.message : "",
    u instanceof Error ? (u.stack ?? "") : ""
  ]
}

class RecordingSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId = "test-trace"
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> }> = []
  readonly links: Array<Tracer.SpanLink>

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    id: number
  ) {
    this.spanId = `span-${id}`
    this.links = [...links]
    this.status = { _tag: "Started", startTime }
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>): void {
    this.events.push({ name, attributes: attributes ?? {} })
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

const recordingTracer = () => {
  const spans: Array<RecordingSpan> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordingSpan(name, parent, context, links, startTime, kind, spans.length)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const capturingLogger = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push(
      [
        logLevel.label,
        inspect(message, { depth: 20 }),
        Cause.pretty(cause),
        inspect(HashMap.toEntries(annotations), { depth: 20 })
      ].join(" | ")
    )
  })
  return { lines, logger }
}

describe("no credential leaks", () => {
  const scenarios: ReadonlyArray<readonly [string, Reply]> = [
    ["400", reply.envelope(400, "parameter-not-valid")],
    ["401 twice", reply.envelope(401, "invalid-authorization-token")],
    ["500", reply.envelope(500, "internal-server-error")],
    ["reset", reply.network("ECONNRESET")],
    ["wrong 202 body", reply.json(202, { type: "job" })],
    ["202", reply.json(202, jobRef("job-1"))]
  ]

  for (const [label, answer] of scenarios) {
    it.effect(`create and update (${label}): nothing in errors, logs or spans shows a credential`, () =>
      Effect.gen(function* () {
        const fake = yield* makeFake({ api: () => answer })
        const { lines, logger } = capturingLogger()
        const { spans, tracer } = recordingTracer()
        const logged = <A, E>(name: string, self: Effect.Effect<A, E>) =>
          Effect.logDebug(`${name} starts`, fullPostBody, fullUpdateBody).pipe(
            Effect.zipRight(self),
            Effect.tap((value) => Effect.logInfo(`${name} succeeded`, value)),
            Effect.tapErrorCause((cause) => Effect.logError(`${name} failed`, cause)),
            Effect.annotateLogs("body", fullPostBody),
            Effect.exit
          )
        const exits = yield* fake
          .use(
            (c) =>
              Effect.all([
                logged("post", c.postConnection(userId, fullPostBody)),
                logged("update", c.updateConnection(userId, connectionId, fullUpdateBody))
              ]),
            noRetry
          )
          .pipe(Effect.withTracer(tracer), Logger.withMinimumLogLevel(LogLevel.All), Effect.provide(Logger.add(logger)))

        // The probes really went on the wire: the checks below are not vacuous.
        const bodies = (yield* fake.api).map((s) => s.body ?? "").join("\n")
        expect(bodies).toContain(LOGIN)
        expect(bodies).toContain(PASSWORD)
        expect(lines.length).toBeGreaterThanOrEqual(4)
        expect(spans.map((s) => s.name)).toEqual(
          expect.arrayContaining(["basiq.connections.postConnection", "basiq.connections.updateConnection"])
        )

        const outputs: Array<string> = [...lines]
        for (const exit of exits) {
          outputs.push(...renderings(exit))
          if (Exit.isFailure(exit)) {
            outputs.push(Cause.pretty(exit.cause))
            const failure = Cause.failureOption(exit.cause)
            if (Option.isSome(failure)) outputs.push(...renderings(failure.value))
          }
        }
        for (const span of spans) {
          outputs.push(inspect([...span.attributes], { depth: 20 }), inspect(span.events, { depth: 20 }))
          outputs.push(inspect(span.status, { depth: 20 }))
        }
        for (const output of outputs) {
          for (const secret of secrets) expect(output).not.toContain(secret)
        }
      })
    )
  }

  it.effect("a timed-out create shows no credential either", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.hang })
      const exit = yield* runFor(
        fake.use((c) => c.postConnection(userId, fullPostBody), noRetry),
        "30 seconds"
      )
      const error = failureOf(exit)
      expect(error._tag).toBe("BasiqTransportError")
      for (const output of [...renderings(error), Cause.pretty(Exit.isFailure(exit) ? exit.cause : Cause.empty)]) {
        for (const secret of secrets) expect(output).not.toContain(secret)
      }
    })
  )
})

describe("spans", () => {
  it.effect("each operation runs in a client span basiq.connections.<operation> with route, status, attempts", () =>
    Effect.gen(function* () {
      for (const op of operations) {
        const fake = yield* makeFake({ api: () => op.success })
        const { spans, tracer } = recordingTracer()
        yield* fake.use(op.call).pipe(Effect.withTracer(tracer))
        const span = spans.find((s) => s.name === `basiq.connections.${op.name}`)
        expect(span, op.name).toBeDefined()
        if (span === undefined) continue
        expect(span.kind).toBe("client")
        expect(Object.fromEntries(span.attributes)).toMatchObject({
          "basiq.operation": op.name,
          "basiq.route": op.route,
          "http.request.method": op.method,
          "http.response.status_code": op.status,
          "basiq.attempts": 1
        })
        expect(span.status._tag === "Ended" && Exit.isSuccess(span.status.exit)).toBe(true)
        // the token exchange is a child of the operation's span; no other spans (HTTP tracing is off)
        const token = spans.find((s) => s.name === "basiq.auth.token")
        expect(token && Option.isSome(token.parent) && token.parent.value.spanId, op.name).toBe(span.spanId)
        expect(spans.map((s) => s.name).sort(), op.name).toEqual(["basiq.auth.token", `basiq.connections.${op.name}`])
      }
    })
  )

  it.effect("a failed operation's span records the status, the attempts and Basiq's correlation id", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.envelope(404, "resource-not-found") })
      const { spans, tracer } = recordingTracer()
      yield* Effect.flip(fake.use((c) => c.deleteConnection(userId, connectionId)).pipe(Effect.withTracer(tracer)))
      const span = spans.find((s) => s.name === "basiq.connections.deleteConnection")
      expect(span && Object.fromEntries(span.attributes)).toMatchObject({
        "http.response.status_code": 404,
        "basiq.attempts": 1,
        "basiq.correlation_id": "corr-404"
      })
      expect(span?.status._tag === "Ended" && Exit.isFailure(span.status.exit)).toBe(true)
    })
  )
})
