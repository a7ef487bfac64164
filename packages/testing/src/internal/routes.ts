/**
 * The fake's routes: Basiq's token, user, consent, connection and job endpoints (and, served, the
 * consent page) as an `HttpApp`.
 *
 * @internal
 */

import type { HttpApp } from "@effect/platform"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Ref } from "effect"
import * as ConsentPage from "./consentPage.js"
import type { ApiError } from "./errors.js"
import * as Errors from "./errors.js"
import * as Events from "./events.js"
import * as Filter from "./filter.js"
import type { ConnectionRecord, JobRecord, State } from "./model.js"
import * as Model from "./model.js"
import * as Ops from "./ops.js"
import * as Webhooks from "./webhooks.js"

export interface Context {
  readonly state: Ref.Ref<State>
  readonly stepMs: number
  readonly apiKeys: ReadonlySet<string> | undefined
  readonly origin: string
  /** Served only: the consent page, and where it sends the browser back. */
  readonly consentPage: { readonly redirectUrl: string } | undefined
  readonly webhooks: {
    /** Served: subscriptions must point at a loopback URL. */
    readonly served: boolean
    readonly secret: string | undefined
    readonly deliverer: Webhooks.Deliverer
  }
}

const TOKEN_LIFETIME_S = 3600
const versions: ReadonlySet<string> = new Set(["3.0", "2.1", "2.0", "1.0"])

const json = (status: number, body: unknown) => HttpServerResponse.unsafeJson(body, { status })

export const errorResponse = (error: ApiError) => json(error.status, Errors.envelope(error.errors))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

export const mediaType = (header: string | null | undefined): string =>
  (header ?? "").split(";")[0]?.trim().toLowerCase() ?? ""

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "")

const jwt = (claims: Record<string, unknown>) => {
  const encode = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)))
  const signature = base64url(crypto.getRandomValues(new Uint8Array(32)))
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ ...claims, jti: Model.newId() })}.${signature}`
}

/** Errors for one string field: missing or empty when required, or not a string. */
const checkString = (pointer: string, value: unknown, required: boolean): ReadonlyArray<Errors.ErrorItem> => {
  if (value === undefined || value === null || value === "") return required ? [Errors.notSupplied(pointer)] : []
  return typeof value === "string" ? [] : [Errors.notValid(pointer)]
}

const failIfAny = (errors: ReadonlyArray<Errors.ErrorItem>) =>
  errors.length > 0 ? Effect.fail(new Errors.ApiError({ status: 400, errors })) : Effect.void

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
/** International format: `+`, a country code, the number. */
const MOBILE = /^\+[1-9]\d{7,14}$/

/** Errors for the contact fields of a user body: wrong types, then bad formats. */
const checkContact = (body: Record<string, unknown>): ReadonlyArray<Errors.ErrorItem> => {
  const types = ["email", "mobile", "firstName", "middleName", "lastName"].flatMap((field) =>
    checkString(`/${field}`, body[field], false)
  )
  if (types.length > 0) return types
  const email = str(body.email)
  const mobile = str(body.mobile)
  return [
    ...(email !== undefined && !EMAIL.test(email)
      ? [Errors.notValid("/email", "Provided email is in bad format.")]
      : []),
    ...(mobile !== undefined && !MOBILE.test(mobile)
      ? [Errors.notValid("/mobile", "Provided mobile is in bad format.")]
      : [])
  ]
}

const emailOrMobile = Errors.fail(400, {
  code: "parameter-not-supplied",
  title: "Required parameter not supplied",
  detail: "One of 'email' or 'mobile' is required.",
  source: {}
})

const addressFields = ["addressLine1", "addressLine2", "suburb", "state", "postcode", "countryCode"] as const

/** The business fields of a create body, or the errors in them. */
const businessOf = (body: Record<string, unknown>): readonly [Model.Business, ReadonlyArray<Errors.ErrorItem>] => {
  const errors: Array<Errors.ErrorItem> = [
    ...["businessName", "businessIdNo", "businessIdNoType", "verificationDate"].flatMap((field) =>
      checkString(`/${field}`, body[field], false)
    )
  ]
  const type = body.businessIdNoType
  if (typeof type === "string" && type !== "" && type !== "ABN" && type !== "ACN") {
    errors.push(Errors.notValid("/businessIdNoType", "'businessIdNoType' must be ABN or ACN."))
  }
  const verified = body.verificationStatus
  if (verified !== undefined && verified !== null && typeof verified !== "boolean") {
    errors.push(Errors.notValid("/verificationStatus"))
  }
  const address = body.businessAddress
  let businessAddress: Record<string, string> | undefined
  if (address !== undefined && address !== null) {
    if (!isRecord(address)) errors.push(Errors.notValid("/businessAddress"))
    else {
      businessAddress = {}
      for (const field of addressFields) {
        errors.push(...checkString(`/businessAddress/${field}`, address[field], false))
        const value = str(address[field])
        if (value !== undefined) businessAddress[field] = value
      }
    }
  }
  const businessName = str(body.businessName)
  const businessIdNo = str(body.businessIdNo)
  if (errors.length === 0 && businessIdNo !== undefined && businessName === undefined) {
    errors.push(Errors.notValid("/businessName", "Business name is required when business number is provided."))
  }
  const verificationDate = str(body.verificationDate)
  const business: Model.Business = {
    ...(businessName === undefined ? {} : { businessName }),
    ...(businessIdNo === undefined ? {} : { businessIdNo }),
    ...(type === "ABN" || type === "ACN" ? { businessIdNoType: type } : {}),
    ...(businessAddress === undefined ? {} : { businessAddress }),
    ...(typeof verified === "boolean" ? { verificationStatus: verified } : {}),
    ...(verificationDate === undefined ? {} : { verificationDate })
  }
  return [business, errors]
}

export const make = (ctx: Context): HttpApp.Default => {
  const { state, stepMs, origin } = ctx
  const now = Clock.currentTimeMillis
  const request = HttpServerRequest.HttpServerRequest

  const jobView = (job: JobRecord, t: number) => Model.viewJob(job, t, stepMs)
  const latestJob = (s: State, c: ConnectionRecord) => (c.jobId === undefined ? undefined : s.jobs.get(c.jobId))
  const settledAt = (s: State, c: ConnectionRecord, t: number) => {
    const job = latestJob(s, c)
    return Model.settledNow(c, job && jobView(job, t))
  }
  const runningJob = (s: State, c: ConnectionRecord, t: number) => {
    const job = latestJob(s, c)
    return job !== undefined && jobView(job, t).finishedAt === undefined ? job : undefined
  }

  const param = (name: string) => Effect.map(HttpRouter.params, (params) => params[name] ?? "")
  const query = (name: string) =>
    Effect.map(request, (req) => new URL(req.url, "http://fake.invalid").searchParams.get(name) ?? "")

  const authorized = Effect.gen(function* () {
    const req = yield* request
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1]
    const record = token === undefined ? undefined : (yield* Ref.get(state)).tokens.get(token)
    if (record === undefined) return yield* Errors.unauthorized
    if (record.revoked || (yield* now) >= record.expiresAt) return yield* Errors.expired
  })

  const user = Effect.gen(function* () {
    const id = yield* param("userId")
    const found = (yield* Ref.get(state)).users.get(id)
    return found ?? (yield* Errors.notFound(`User '${id}'`))
  })

  const connection = Effect.gen(function* () {
    const u = yield* user
    const id = yield* param("connectionId")
    const found = (yield* Ref.get(state)).connections.get(id)
    return found !== undefined && found.userId === u.id ? found : yield* Errors.notFound(`Connection '${id}'`)
  })

  const job = Effect.gen(function* () {
    const id = yield* param("jobId")
    return (yield* Ref.get(state)).jobs.get(id) ?? (yield* Errors.notFound(`Job '${id}'`))
  })

  const text = Effect.flatMap(request, (req) => Effect.orElseSucceed(req.text, () => ""))

  /** A JSON object body: 415 for another content type, 400 when empty or not an object. */
  const jsonBody = Effect.gen(function* () {
    const req = yield* request
    const type = mediaType(req.headers["content-type"])
    if (type !== "application/json" && !type.endsWith("+json")) return yield* Errors.unsupportedType
    const body = yield* text
    if (body.trim() === "") {
      return yield* Errors.fail(400, {
        code: "parameter-not-supplied",
        title: "Required parameter not supplied.",
        detail: "The request body is empty."
      })
    }
    const parsed = yield* Effect.try({
      try: (): unknown => JSON.parse(body),
      catch: () =>
        Errors.fail(400, { code: "invalid-content", title: "Invalid content.", detail: "The body is not valid JSON." })
    })
    if (isRecord(parsed)) return parsed
    return yield* Errors.fail(400, {
      code: "parameter-not-valid",
      title: "Parameter not valid.",
      detail: "The body must be a JSON object."
    })
  })

  const filterOf = (properties: ReadonlyArray<string>) =>
    Effect.flatMap(query("filter"), (raw) => {
      if (raw.trim() === "") return Effect.succeed([])
      const clauses = Filter.parse(raw.trim(), properties)
      return clauses === undefined
        ? Effect.fail(
            Errors.fail(400, {
              code: "parameter-not-valid",
              title: "Parameter not valid.",
              detail: `Filter is not valid. Supported properties: ${properties.join(", ")}.`,
              source: { parameter: "filter" }
            })
          )
        : Effect.succeed(clauses)
    })

  // -------------------------------------------------------------------------------------------
  // routes
  // -------------------------------------------------------------------------------------------

  const postToken = Effect.gen(function* () {
    const req = yield* request
    const authorization = req.headers.authorization ?? ""
    if (authorization.trim() === "") {
      return yield* Errors.fail(
        400,
        Errors.notSupplied("header/authorization", "Authorization header parameter is required")
      )
    }
    const key = /^Basic\s+(\S+)\s*$/i.exec(authorization)?.[1]
    if (key === undefined) {
      return yield* Errors.fail(400, Errors.notValid("header/authorization", "Invalid authorization header"))
    }
    const version = req.headers["basiq-version"] ?? ""
    if (!versions.has(version)) {
      const detail =
        version === ""
          ? "Basiq-version must be specified in HTTP request header"
          : `Basiq-version ${version} is no longer supported or not valid`
      return yield* Errors.fail(400, Errors.notValid("header/basiq-version", detail))
    }
    if (ctx.apiKeys !== undefined && !ctx.apiKeys.has(key)) {
      return yield* Errors.fail(404, {
        code: "parameter-not-valid",
        title: "Parameter not valid.",
        detail: "Unable to authenticate. Please, check your API key"
      })
    }
    const body = yield* text
    const parsed = yield* Effect.option(Effect.try((): unknown => JSON.parse(body)))
    const form =
      parsed._tag === "Some" && isRecord(parsed.value)
        ? parsed.value
        : Object.fromEntries(new URLSearchParams(body).entries())
    const scope = str(form.scope) ?? "SERVER_ACCESS"
    if (scope !== "SERVER_ACCESS" && scope !== "CLIENT_ACCESS") {
      return yield* Errors.fail(400, Errors.notValid("/scope", "Scope must be SERVER_ACCESS or CLIENT_ACCESS."))
    }
    const userId = str(form.userId)
    if (scope === "CLIENT_ACCESS" && userId === undefined) {
      return yield* Errors.fail(400, Errors.notSupplied("/userId", "'userId' is required for CLIENT_ACCESS."))
    }
    if (userId !== undefined && scope === "CLIENT_ACCESS" && !(yield* Ref.get(state)).users.has(userId)) {
      return yield* Errors.fail(400, Errors.notValid("/userId", `User '${userId}' does not exist.`))
    }
    const t = yield* now
    const accessToken = jwt({
      scope,
      version,
      ...(userId === undefined ? {} : { userid: userId }),
      iat: Math.floor(t / 1000),
      exp: Math.floor(t / 1000) + TOKEN_LIFETIME_S
    })
    const record: Model.TokenRecord = {
      expiresAt: t + TOKEN_LIFETIME_S * 1000,
      revoked: false,
      scope: scope === "CLIENT_ACCESS" ? "CLIENT_ACCESS" : "SERVER_ACCESS",
      userId: scope === "CLIENT_ACCESS" ? userId : undefined
    }
    yield* Ref.update(state, (s) => ({ ...s, tokens: Model.put(s.tokens, accessToken, record) }))
    return json(200, { access_token: accessToken, token_type: "Bearer", expires_in: TOKEN_LIFETIME_S })
  })

  const postUser = Effect.gen(function* () {
    const body = yield* jsonBody
    const [business, businessErrors] = businessOf(body)
    yield* failIfAny([...checkContact(body), ...businessErrors])
    const email = str(body.email)
    const mobile = str(body.mobile)
    if (email === undefined && mobile === undefined) return yield* emailOrMobile
    const record = Ops.newUser({
      email,
      mobile,
      firstName: str(body.firstName),
      middleName: str(body.middleName),
      lastName: str(body.lastName),
      business
    })
    const t = yield* now
    yield* Ref.update(state, (s) => Ops.addUser(s, record, t))
    return json(201, Model.userWire(origin, record))
  })

  const getUser = Effect.gen(function* () {
    const u = yield* user
    const s = yield* Ref.get(state)
    const t = yield* now
    const connections = [...s.connections.values()]
      .filter((c) => c.userId === u.id)
      .map((c) => [c, settledAt(s, c, t)] as const)
    return json(200, Model.userGetWire(origin, u, connections))
  })

  /** Fields not given stay; an empty string clears one; the user must keep an email or a mobile. */
  const updateUser = Effect.gen(function* () {
    const u = yield* user
    const body = yield* jsonBody
    yield* failIfAny(checkContact(body))
    const field = (name: "email" | "mobile" | "firstName" | "middleName" | "lastName") => {
      const value = body[name]
      return typeof value === "string" ? value : u[name]
    }
    const next: Model.UserRecord = {
      ...u,
      email: field("email"),
      mobile: field("mobile"),
      firstName: field("firstName"),
      middleName: field("middleName"),
      lastName: field("lastName")
    }
    if (next.email === "" && next.mobile === "") return yield* emailOrMobile
    const t = yield* now
    yield* Ref.update(state, (s) => Ops.updateUser(s, next, t))
    return json(200, Model.userWire(origin, next))
  })

  const deleteUser = Effect.gen(function* () {
    const u = yield* user
    const t = yield* now
    yield* Ref.update(state, (s) => Ops.deleteUser(s, u.id, t, stepMs))
    return HttpServerResponse.empty({ status: 204 })
  })

  const getConnections = Effect.gen(function* () {
    const u = yield* user
    const clauses = yield* filterOf(["id", "status", "institution.id"])
    const s = yield* Ref.get(state)
    const t = yield* now
    const data = [...s.connections.values()]
      .filter((c) => c.userId === u.id)
      .map((c) => [c, settledAt(s, c, t)] as const)
      .filter(([c, settled]) =>
        Filter.matches(clauses, (p) => (p === "id" ? c.id : p === "status" ? settled.status : c.institutionId))
      )
      .map(([c, settled]) => Model.connectionSummaryWire(origin, c, settled))
    const raw = yield* query("filter")
    const self = `${origin}/users/${u.id}/connections${raw === "" ? "" : `?filter=${encodeURIComponent(raw)}`}`
    return json(200, { type: "list", data, links: { self } })
  })

  const getConnection = Effect.gen(function* () {
    const c = yield* connection
    const s = yield* Ref.get(state)
    return json(200, Model.connectionWire(origin, c, settledAt(s, c, yield* now)))
  })

  const postConnection = Effect.gen(function* () {
    const u = yield* user
    const body = yield* jsonBody
    const institution = body.institution
    yield* failIfAny([
      ...checkString("/loginId", body.loginId, true),
      ...checkString("/password", body.password, true),
      ...(institution === undefined || institution === null
        ? [Errors.notSupplied("/institution/id")]
        : isRecord(institution)
          ? checkString("/institution/id", institution.id, true)
          : [Errors.notValid("/institution")]),
      ...checkString("/securityCode", body.securityCode, false),
      ...checkString("/secondaryLoginId", body.secondaryLoginId, false)
    ])
    const institutionId = isRecord(institution) ? String(institution.id) : ""
    const credentials = { loginId: String(body.loginId), password: String(body.password) }
    const t = yield* now
    const jobId = yield* Ref.modify(state, (s) => Ops.connect(s, u.id, institutionId, credentials, t, stepMs))
    return json(202, Model.jobRefWire(origin, jobId))
  })

  const updateConnection = Effect.gen(function* () {
    const c = yield* connection
    const body = yield* jsonBody
    yield* failIfAny([
      ...checkString("/password", body.password, true),
      ...checkString("/securityCode", body.securityCode, false),
      ...checkString("/secondaryLoginId", body.secondaryLoginId, false)
    ])
    const credentials = c.credentials && { loginId: c.credentials.loginId, password: String(body.password) }
    const t = yield* now
    const jobId = yield* Ref.modify(state, (s) => Ops.startJob(s, { ...c, credentials }, t, stepMs))
    return json(202, Model.jobRefWire(origin, jobId))
  })

  const deleteConnection = Effect.gen(function* () {
    const c = yield* connection
    const t = yield* now
    yield* Ref.update(state, (s) => Ops.deleteConnection(s, c.id, t, stepMs))
    return HttpServerResponse.empty({ status: 204 })
  })

  /**
   * Removes the connection's accounts and transactions and keeps the connection (a later refresh
   * retrieves them again). Repeating it is 204 again. A connection that is not active (its first
   * job still running, or invalid) is 400 `parameter-not-valid`; a deleted one is 404.
   */
  const purgeConnection = Effect.gen(function* () {
    const c = yield* connection
    const t = yield* now
    const s = yield* Ref.get(state)
    if (settledAt(s, c, t).status !== "active") {
      return yield* Errors.fail(400, {
        code: "parameter-not-valid",
        title: "Parameter not valid.",
        detail: "Only active connections can be purged.",
        source: { parameter: "connectionId", pointer: "connectionId" }
      })
    }
    yield* Ref.update(state, (current) => {
      const latest = current.connections.get(c.id)
      return latest === undefined
        ? current
        : { ...current, connections: Model.put(current.connections, c.id, { ...latest, purgedAt: t }) }
    })
    return HttpServerResponse.empty({ status: 204 })
  })

  const getConsents = Effect.gen(function* () {
    const u = yield* user
    const s = yield* Ref.get(state)
    const t = yield* now
    const data = Ops.consentsOf(s, u.id).map((c) => Model.consentWire(origin, c, t))
    return json(200, { type: "list", size: data.length, data, links: { self: `${origin}/users/${u.id}/consents` } })
  })

  const deleteConsent = Effect.gen(function* () {
    const u = yield* user
    const id = yield* param("consentId")
    const found = (yield* Ref.get(state)).consents.get(id)
    if (found === undefined || found.userId !== u.id) {
      return yield* Errors.fail(404, {
        code: "resource-not-found",
        title: "Requested resource is not found.",
        detail: "Requested consent does not exist."
      })
    }
    const t = yield* now
    yield* Ref.update(state, (s) => Ops.deleteConsent(s, found, t, stepMs))
    return HttpServerResponse.empty({ status: 204 })
  })

  /** A running job's id (already running) or a new job's id, for one connection. */
  const refreshOne = (
    s: State,
    c: ConnectionRecord,
    t: number
  ): readonly [readonly [jobId: string, alreadyRunning: boolean], State] => {
    const running = runningJob(s, c, t)
    if (running !== undefined) return [[running.id, true], s]
    const [jobId, next] = Ops.startJob(s, c, t, stepMs)
    return [[jobId, false], next]
  }

  const refreshConnection = Effect.gen(function* () {
    const c = yield* connection
    const t = yield* now
    const [jobId, running] = yield* Ref.modify(state, (s) => refreshOne(s, s.connections.get(c.id) ?? c, t))
    return json(running ? 200 : 202, Model.jobRefWire(origin, jobId))
  })

  const refreshConnections = Effect.gen(function* () {
    const u = yield* user
    const t = yield* now
    const jobIds = yield* Ref.modify(state, (s) => {
      let current = s
      const ids: Array<string> = []
      for (const c of s.connections.values()) {
        if (c.userId !== u.id) continue
        const [[jobId], next] = refreshOne(current, c, t)
        ids.push(jobId)
        current = next
      }
      return [ids, current] as const
    })
    return json(202, { type: "list", data: jobIds.map((id) => Model.jobRefWire(origin, id)) })
  })

  const getJob = Effect.gen(function* () {
    const j = yield* job
    return json(200, Model.jobWire(origin, j, jobView(j, yield* now)))
  })

  const postMfa = Effect.gen(function* () {
    const j = yield* job
    const body = yield* jsonBody
    const answers = body["mfa-response"]
    if (answers === undefined || answers === null || (Array.isArray(answers) && answers.length === 0)) {
      return yield* Errors.fail(400, Errors.notSupplied("/mfa-response"))
    }
    if (!Array.isArray(answers) || !answers.every((a) => typeof a === "string")) {
      return yield* Errors.fail(400, Errors.notValid("/mfa-response", "'mfa-response' must be an array of strings."))
    }
    const t = yield* now
    const accepted = yield* Ref.modify(state, (s) => {
      const current = s.jobs.get(j.id) ?? j
      const expected = current.outcome.mfa?.answer ?? []
      if (!jobView(current, t).awaitingMfa) return [false, s] as const
      const correct = expected.length === answers.length && expected.every((a, i) => a === answers[i])
      const next = { ...current, mfaAnswer: { at: t, correct } }
      return [true, { ...s, jobs: Model.put(s.jobs, j.id, next) }] as const
    })
    if (!accepted) {
      return yield* Errors.fail(400, {
        code: "parameter-not-valid",
        title: "Parameter not valid.",
        detail: "The job is not waiting for an MFA response."
      })
    }
    return json(202, Model.jobRefWire(origin, j.id))
  })

  const getUserJobs = Effect.gen(function* () {
    const u = yield* user
    const clauses = yield* filterOf(["id", "connection.id", "institution.id"])
    const s = yield* Ref.get(state)
    const t = yield* now
    const data = [...s.jobs.values()]
      .filter((j) => j.userId === u.id)
      .filter((j) =>
        Filter.matches(clauses, (p) => (p === "id" ? j.id : p === "connection.id" ? j.connectionId : j.institutionId))
      )
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((j) => ({
        ...Model.jobWire(origin, j, jobView(j, t)),
        institution: Model.institutionWire(origin, j.institutionId)
      }))
    return json(200, { type: "list", size: data.length, data, links: { self: `${origin}/users/${u.id}/jobs` } })
  })

  const getEvents = Effect.gen(function* () {
    const raw = (yield* query("filter")).trim()
    const groups = raw === "" ? [] : Events.parseFilter(raw)
    if (groups === undefined) {
      return yield* Errors.fail(400, {
        code: "parameter-not-valid",
        title: "Parameter not valid.",
        detail: "The provided filter parameter is in invalid format or unsupported",
        source: { parameter: "filter" }
      })
    }
    const t = yield* now
    const data = Events.live(yield* Ref.get(state), t)
      .filter((e) => Events.matches(groups, e))
      .map((e) => Events.eventWire(origin, e))
    const self = `${origin}/events${raw === "" ? "" : `?filter=${encodeURIComponent(raw)}`}`
    return json(200, { type: "list", data, links: { self } })
  })

  const getEvent = Effect.gen(function* () {
    const id = yield* param("eventId")
    const t = yield* now
    const found = Events.live(yield* Ref.get(state), t).find((e) => e.id === id)
    if (found === undefined) {
      return yield* Errors.fail(404, {
        code: "resource-not-found",
        title: "Requested resource is not found.",
        detail: "Requested event does not exist."
      })
    }
    return json(200, Events.eventWire(origin, found))
  })

  const getEventTypes = Effect.sync(() => {
    const data = Events.types.map((type) => Events.typeWire(origin, type))
    return json(200, {
      type: "list",
      size: data.length,
      count: data.length,
      data,
      links: { self: `${origin}/events/types` }
    })
  })

  const getEventType = Effect.gen(function* () {
    const id = yield* param("typeId")
    const found = Events.types.find(([typeId]) => typeId === id)
    if (found === undefined) {
      return yield* Errors.fail(404, {
        code: "resource-not-found",
        title: "Requested resource is not found.",
        detail: "Requested event type does not exist."
      })
    }
    return json(200, Events.typeWire(origin, found))
  })

  // -------------------------------------------------------------------------------------------
  // webhooks
  // -------------------------------------------------------------------------------------------

  const webhookUrl = (id: string) => `${origin}/notifications/webhooks/${id}`
  const webhookWire = (w: Model.WebhookRecord, withSecret: boolean) => ({
    type: "webhook",
    id: w.id,
    ...(w.name === undefined ? {} : { name: w.name }),
    ...(w.description === undefined ? {} : { description: w.description }),
    url: w.url,
    status: "active",
    ...(withSecret ? { secret: w.secret } : {}),
    subscribedEvents: w.subscribedEvents,
    links: { self: webhookUrl(w.id) }
  })
  const invalidContent = (detail: string) =>
    Errors.fail(400, { code: "invalid-content", title: "Invalid content.", detail })

  const webhook = Effect.gen(function* () {
    const id = yield* param("webhookId")
    const found = (yield* Ref.get(state)).webhooks.get(id)
    if (found !== undefined) return found
    return yield* Errors.fail(404, {
      code: "resource-not-found",
      title: "Requested resource is not found.",
      detail: "Webhook with provided id doesn't exist."
    })
  })

  /** The subscription a create (no `existing`) or update body describes, or Basiq's refusal. */
  const webhookFrom = (body: Record<string, unknown>, existing: Model.WebhookRecord | undefined, t: number) =>
    Effect.gen(function* () {
      const rawUrl = body.url ?? existing?.url
      if (typeof rawUrl !== "string" || !URL.canParse(rawUrl) || !/^https?:$/.test(new URL(rawUrl).protocol)) {
        return yield* invalidContent("Posted request not valid.")
      }
      if (ctx.webhooks.served && !Webhooks.isLoopback(new URL(rawUrl))) {
        return yield* invalidContent("Posted request not valid. The in-memory Basiq delivers to loopback URLs only.")
      }
      for (const field of ["name", "description"] as const) {
        if (body[field] !== undefined && body[field] !== null && typeof body[field] !== "string") {
          return yield* invalidContent("Posted request not valid.")
        }
      }
      const events = body.subscribedEvents
      if (events !== undefined && !(Array.isArray(events) && events.every((e) => typeof e === "string"))) {
        return yield* invalidContent("Posted request not valid.")
      }
      const subscribed: ReadonlyArray<string> = events ?? existing?.subscribedEvents ?? Events.types.map(([id]) => id)
      if (!subscribed.every((e) => Events.typeIds.has(e))) {
        return yield* invalidContent("Posted subscribedEvents contains unsupported event types.")
      }
      const others = [...(yield* Ref.get(state)).webhooks.values()].filter((w) => w.id !== existing?.id)
      if (others.some((w) => w.url === rawUrl)) {
        return yield* Errors.fail(409, {
          code: "resource-already-exists",
          title: "Resource already exists.",
          detail: "Webhook with provided url already exists."
        })
      }
      if (others.some((w) => w.subscribedEvents.some((e) => subscribed.includes(e)))) {
        return yield* Errors.fail(400, {
          code: "event-already-subscribed",
          title: "Event already subscribed.",
          detail: "Posted subscribedEvents contains events that are already subscribed to for this application."
        })
      }
      const text = (field: "name" | "description") => {
        const value = body[field]
        return typeof value === "string" ? value : existing?.[field]
      }
      const record: Model.WebhookRecord = {
        id: existing?.id ?? Model.newId(),
        name: text("name"),
        description: text("description"),
        url: rawUrl,
        subscribedEvents: [...new Set(subscribed)],
        secret: existing?.secret ?? ctx.webhooks.secret ?? Webhooks.newSecret(),
        createdAt: existing?.createdAt ?? t
      }
      return record
    })

  const postWebhook = Effect.gen(function* () {
    const body = yield* jsonBody
    const record = yield* webhookFrom(body, undefined, yield* now)
    yield* Ref.update(state, (s) => ({ ...s, webhooks: Model.put(s.webhooks, record.id, record) }))
    return json(201, webhookWire(record, true))
  })

  const getWebhooks = Effect.gen(function* () {
    const data = [...(yield* Ref.get(state)).webhooks.values()]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((w) => webhookWire(w, false))
    return json(200, {
      type: "list",
      size: data.length,
      count: data.length,
      data,
      links: { self: `${origin}/notifications/webhooks` }
    })
  })

  const getWebhook = Effect.map(webhook, (w) => json(200, webhookWire(w, false)))

  const updateWebhook = Effect.gen(function* () {
    const existing = yield* webhook
    const body = yield* jsonBody
    const record = yield* webhookFrom(body, existing, yield* now)
    yield* Ref.update(state, (s) => ({ ...s, webhooks: Model.put(s.webhooks, record.id, record) }))
    return json(200, webhookWire(record, false))
  })

  const deleteWebhook = Effect.gen(function* () {
    const w = yield* webhook
    yield* Ref.update(state, (s) => ({ ...s, webhooks: Model.put(s.webhooks, w.id, undefined) }))
    yield* ctx.webhooks.deliverer.forget(w.id)
    return HttpServerResponse.empty({ status: 204 })
  })

  const getMessages = Effect.gen(function* () {
    const w = yield* webhook
    const data = yield* ctx.webhooks.deliverer.messages(w.id)
    return json(200, {
      type: "list",
      size: data.length,
      count: data.length,
      data,
      links: { self: `${webhookUrl(w.id)}/messages` }
    })
  })

  const getMessage = Effect.gen(function* () {
    const w = yield* webhook
    const id = yield* param("messageId")
    const found = (yield* ctx.webhooks.deliverer.messages(w.id)).find(
      (m) => typeof m === "object" && m !== null && "id" in m && m.id === id
    )
    if (found !== undefined) return json(200, found)
    return yield* Errors.fail(404, {
      code: "resource-not-found",
      title: "Requested resource is not found.",
      detail: "Message not found."
    })
  })

  /** Sends a test notification (no event behind it) to every subscription. */
  const testMessage = Effect.gen(function* () {
    const body = yield* jsonBody
    const hooks = [...(yield* Ref.get(state)).webhooks.values()]
    if (hooks.length === 0) {
      return yield* Errors.fail(400, {
        code: "no-webhooks-found",
        title: "No webhooks found.",
        detail: "No webhooks found for an app: in-memory, at least one webhook should exist in the system"
      })
    }
    const typeId = body.eventTypeId
    if (typeof typeId !== "string" || typeId === "") return yield* invalidContent("Posted request not valid.")
    if (!Events.typeIds.has(typeId)) return yield* invalidContent("Posted eventTypeId doesn't exists.")
    const text = typeof body.Text === "string" ? { Text: body.Text } : {}
    for (const w of hooks) {
      const eventId = Events.newEventId()
      yield* ctx.webhooks.deliverer.send(w, {
        eventTypeId: typeId,
        eventId,
        ...text,
        links: { event: `${origin}/events/${eventId}`, eventEntity: webhookUrl(w.id) }
      })
    }
    return HttpServerResponse.empty({ status: 201 })
  })

  const authed = <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.zipRight(authorized, handler)

  const api = HttpRouter.empty
    .pipe(
      HttpRouter.post("/token", postToken),
      HttpRouter.post("/users", authed(postUser)),
      HttpRouter.get("/users/:userId", authed(getUser)),
      HttpRouter.post("/users/:userId", authed(updateUser)),
      HttpRouter.del("/users/:userId", authed(deleteUser)),
      HttpRouter.get("/users/:userId/consents", authed(getConsents)),
      HttpRouter.del("/users/:userId/consents/:consentId", authed(deleteConsent)),
      HttpRouter.get("/users/:userId/connections", authed(getConnections)),
      HttpRouter.post("/users/:userId/connections", authed(postConnection)),
      HttpRouter.post("/users/:userId/connections/refresh", authed(refreshConnections)),
      HttpRouter.get("/users/:userId/connections/:connectionId", authed(getConnection)),
      HttpRouter.post("/users/:userId/connections/:connectionId", authed(updateConnection)),
      HttpRouter.del("/users/:userId/connections/:connectionId", authed(deleteConnection)),
      HttpRouter.post("/users/:userId/connections/:connectionId/refresh", authed(refreshConnection)),
      HttpRouter.post("/users/:userId/connections/:connectionId/purge", authed(purgeConnection)),
      HttpRouter.get("/users/:userId/jobs", authed(getUserJobs)),
      HttpRouter.get("/jobs/:jobId", authed(getJob)),
      HttpRouter.post("/jobs/:jobId/mfa", authed(postMfa))
    )
    .pipe(
      HttpRouter.get("/events", authed(getEvents)),
      HttpRouter.get("/events/types", authed(getEventTypes)),
      HttpRouter.get("/events/types/:typeId", authed(getEventType)),
      HttpRouter.get("/events/:eventId", authed(getEvent)),
      HttpRouter.post("/notifications/webhooks", authed(postWebhook)),
      HttpRouter.get("/notifications/webhooks", authed(getWebhooks)),
      HttpRouter.get("/notifications/webhooks/:webhookId", authed(getWebhook)),
      HttpRouter.post("/notifications/webhooks/:webhookId", authed(updateWebhook)),
      HttpRouter.del("/notifications/webhooks/:webhookId", authed(deleteWebhook)),
      HttpRouter.get("/notifications/webhooks/:webhookId/messages", authed(getMessages)),
      HttpRouter.get("/notifications/webhooks/:webhookId/messages/:messageId", authed(getMessage)),
      HttpRouter.post("/notifications/messages/test", authed(testMessage))
    )

  const pages =
    ctx.consentPage === undefined
      ? undefined
      : ConsentPage.make({ state, stepMs, redirectUrl: ctx.consentPage.redirectUrl })
  const router =
    pages === undefined
      ? api
      : api.pipe(
          HttpRouter.get("/consent/home", pages.home),
          HttpRouter.post("/consent/home", pages.submit),
          HttpRouter.get("/consent/done", pages.done)
        )

  return Effect.catchAll(router, (error) =>
    error._tag === "ApiError"
      ? errorResponse(error)
      : errorResponse(
          Errors.fail(404, {
            code: "resource-not-found",
            title: "Requested resource is not found.",
            detail: "Route not found."
          })
        )
  )
}
