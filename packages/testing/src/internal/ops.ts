/**
 * State changes shared by the routes, the consent page and the controls: pure functions from a
 * state (and an instant) to the next state.
 *
 * @internal
 */
import * as Events from "./events.js"
import type { ConnectionRecord, ConsentRecord, JobRecord, State, UserRecord } from "./model.js"
import * as Model from "./model.js"
import * as Sandbox from "./sandbox.js"

/** The new user's record; absent fields are empty. */
export const newUser = (fields: {
  readonly email?: string | undefined
  readonly mobile?: string | undefined
  readonly firstName?: string | undefined
  readonly middleName?: string | undefined
  readonly lastName?: string | undefined
  readonly business?: Model.Business
}): UserRecord => ({
  id: Model.newId(),
  email: fields.email ?? "",
  mobile: fields.mobile ?? "",
  firstName: fields.firstName ?? "",
  middleName: fields.middleName ?? "",
  lastName: fields.lastName ?? "",
  business: fields.business ?? {}
})

/** Starts a job for `connection` at `now`: the connection settles its current status and points at the job. */
export const startJob = (s: State, connection: ConnectionRecord, now: number, stepMs: number) => {
  const job: JobRecord = {
    id: Model.newId(),
    userId: connection.userId,
    connectionId: connection.id,
    institutionId: connection.institutionId,
    createdAt: now,
    outcome: Sandbox.outcomeFor(connection.institutionId, connection.credentials),
    mfaAnswer: undefined
  }
  const previous = connection.jobId === undefined ? undefined : s.jobs.get(connection.jobId)
  const settled = Model.settledNow(connection, previous && Model.viewJob(previous, now, stepMs))
  const next: State = {
    ...s,
    jobs: Model.put(s.jobs, job.id, job),
    connections: Model.put(s.connections, connection.id, { ...connection, settled, jobId: job.id })
  }
  return [job.id, next] as const
}

/** A new connection with sandbox credentials, pending until its first job ends. */
export const newConnection = (
  userId: string,
  institutionId: string,
  credentials: { readonly loginId: string; readonly password: string },
  now: number
): ConnectionRecord => {
  const outcome = Sandbox.outcomeFor(institutionId, credentials)
  return {
    id: Model.newId(),
    userId,
    institutionId,
    createdAt: now,
    credentials,
    accounts: Sandbox.defaultAccounts.map((a) => ({
      ...a,
      id: Model.newId(),
      currency: "AUD",
      status: "available"
    })),
    profile: outcome.name && Model.profileFor(credentials.loginId, outcome.name),
    settled: { status: "pending", lastUsed: now, synced: undefined },
    jobId: undefined,
    purgedAt: undefined
  }
}

/** Creates a connection and starts its first job: `POST /users/{userId}/connections`. */
export const connect = (
  s: State,
  userId: string,
  institutionId: string,
  credentials: { readonly loginId: string; readonly password: string },
  now: number,
  stepMs: number
) => {
  const connection = newConnection(userId, institutionId, credentials, now)
  const created = Events.emit(s, now, "connection.created", {
    _tag: "connection",
    connection,
    settled: connection.settled
  })
  return startJob(created, connection, now, stepMs)
}

/** The connection's status and sync times at `now`, given its latest job. */
export const settledAt = (s: State, c: ConnectionRecord, now: number, stepMs: number): Model.Settled => {
  const job = c.jobId === undefined ? undefined : s.jobs.get(c.jobId)
  return Model.settledNow(c, job && Model.viewJob(job, now, stepMs))
}

/** `POST /users` and the `createUser` control. */
export const addUser = (s: State, user: UserRecord, now: number): State =>
  Events.emit({ ...s, users: Model.put(s.users, user.id, user) }, now, "user.created", { _tag: "user", user })

/** `POST /users/{userId}`. */
export const updateUser = (s: State, user: UserRecord, now: number): State =>
  s.users.has(user.id)
    ? Events.emit({ ...s, users: Model.put(s.users, user.id, user) }, now, "user.updated", { _tag: "user", user })
    : s

/** A seeded connection (no job behind it). */
export const addConnection = (s: State, connection: ConnectionRecord, now: number): State =>
  Events.emit({ ...s, connections: Model.put(s.connections, connection.id, connection) }, now, "connection.created", {
    _tag: "connection",
    connection,
    settled: connection.settled
  })

/** `DELETE /users/{userId}/connections/{connectionId}`. */
export const deleteConnection = (s: State, connectionId: string, now: number, stepMs: number): State => {
  const c = s.connections.get(connectionId)
  if (c === undefined) return s
  return Events.emit({ ...s, connections: Model.put(s.connections, c.id, undefined) }, now, "connection.deleted", {
    _tag: "connection",
    connection: c,
    settled: settledAt(s, c, now, stepMs)
  })
}

/**
 * The connection becomes invalid (its latest job, if running, no longer decides its status; a
 * refresh starts over). Emits `connection.invalidated` unless it already was invalid.
 */
export const invalidateConnection = (s: State, c: ConnectionRecord, now: number, stepMs: number): State => {
  const before = settledAt(s, c, now, stepMs)
  const settled: Model.Settled = { ...before, status: "invalid" }
  const next: ConnectionRecord = { ...c, settled, jobId: undefined }
  const updated = { ...s, connections: Model.put(s.connections, c.id, next) }
  return before.status === "invalid"
    ? updated
    : Events.emit(updated, now, "connection.invalidated", { _tag: "connection", connection: next, settled })
}

/**
 * A job has finished: `connection.activated` when it made its connection active, and
 * `connection.invalidated` when it made it invalid (from `pending` or `active`). Nothing when the
 * connection is gone or a newer job has replaced this one.
 */
export const settleJob = (s: State, jobId: string, now: number, stepMs: number): State => {
  const job = s.jobs.get(jobId)
  const c = job && s.connections.get(job.connectionId)
  if (job === undefined || c === undefined || c.jobId !== jobId) return s
  const view = Model.viewJob(job, now, stepMs)
  if (view.finishedAt === undefined) return s
  const after = Model.settledNow(c, view)
  const before = c.settled.status
  if (after.status === before) return s
  const typeId =
    after.status === "active"
      ? "connection.activated"
      : after.status === "invalid"
        ? "connection.invalidated"
        : undefined
  return typeId === undefined ? s : Events.emit(s, now, typeId, { _tag: "connection", connection: c, settled: after })
}

/** The user's consents, oldest first. */
export const consentsOf = (s: State, userId: string): ReadonlyArray<ConsentRecord> =>
  [...s.consents.values()].filter((c) => c.userId === userId).sort((a, b) => a.createdAt - b.createdAt)

export const activeConsent = (s: State, userId: string, now: number): ConsentRecord | undefined =>
  consentsOf(s, userId).find((c) => Model.consentStatus(c, now) === "active")

/**
 * What the consent UI does on a submission: an active consent (a new one unless one is active),
 * then a connection job. With `connectionId`, the existing connection takes the new credentials
 * and runs a job instead (the UI's credential-update flow). The user must exist.
 */
export const completeConsent = (
  s: State,
  options: {
    readonly userId: string
    readonly institutionId: string
    readonly loginId: string
    readonly password: string
    readonly connectionId?: string | undefined
  },
  now: number,
  stepMs: number
): readonly [ReadonlyArray<string>, State] => {
  const consented: State =
    activeConsent(s, options.userId, now) === undefined
      ? (() => {
          const consent: ConsentRecord = {
            id: Model.newId(),
            userId: options.userId,
            createdAt: now,
            updatedAt: now,
            expiresAt: now + Model.CONSENT_LIFETIME_MS,
            revokedAt: undefined
          }
          return Events.emit({ ...s, consents: Model.put(s.consents, consent.id, consent) }, now, "consent.created", {
            _tag: "consent",
            consent
          })
        })()
      : s
  const credentials = { loginId: options.loginId, password: options.password }
  const existing = options.connectionId === undefined ? undefined : consented.connections.get(options.connectionId)
  const [jobId, next] =
    existing !== undefined && existing.userId === options.userId
      ? startJob(consented, { ...existing, credentials }, now, stepMs)
      : connect(consented, options.userId, options.institutionId, credentials, now, stepMs)
  return [[jobId], next]
}

/**
 * Removes the user's connections (their accounts go with them; jobs stay readable), each with a
 * `connection.deleted` event.
 */
export const dropConnections = (s: State, userId: string, now: number, stepMs: number): State => {
  let next = s
  for (const c of s.connections.values()) {
    if (c.userId === userId) next = deleteConnection(next, c.id, now, stepMs)
  }
  return next
}

/** The consent becomes revoked (unless it already is) and the user's connections go. */
export const revokeConsent = (s: State, consent: ConsentRecord, now: number, stepMs: number): State => {
  if (consent.revokedAt !== undefined) return s
  const revoked: ConsentRecord = { ...consent, revokedAt: now, updatedAt: now }
  const next = Events.emit({ ...s, consents: Model.put(s.consents, consent.id, revoked) }, now, "consent.revoked", {
    _tag: "consent",
    consent: revoked
  })
  return dropConnections(next, consent.userId, now, stepMs)
}

/**
 * `DELETE /users/{userId}/consents/{consentId}`: the consent and the user's connections go; a
 * consent not yet revoked emits `consent.revoked`.
 */
export const deleteConsent = (s: State, consent: ConsentRecord, now: number, stepMs: number): State => {
  const removed = { ...s, consents: Model.put(s.consents, consent.id, undefined) }
  const next =
    consent.revokedAt === undefined
      ? Events.emit(removed, now, "consent.revoked", {
          _tag: "consent",
          consent: { ...consent, revokedAt: now, updatedAt: now }
        })
      : removed
  return dropConnections(next, consent.userId, now, stepMs)
}

/** `DELETE /users/{userId}`: the user and everything under it (`connection.deleted` each, then `user.deleted`). */
export const deleteUser = (s: State, userId: string, now: number, stepMs: number): State => {
  const user = s.users.get(userId)
  const dropped = dropConnections(s, userId, now, stepMs)
  const next: State = {
    ...dropped,
    users: Model.put(dropped.users, userId, undefined),
    jobs: Model.without(dropped.jobs, (j) => j.userId === userId),
    consents: Model.without(dropped.consents, (c) => c.userId === userId)
  }
  return user === undefined ? next : Events.emit(next, now, "user.deleted", { _tag: "user", user })
}

/** Why a consent-page token is refused, or the user it is bound to. */
export type ClientToken =
  | { readonly _tag: "Valid"; readonly user: UserRecord }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unknown" }
  | { readonly _tag: "Expired" }
  | { readonly _tag: "WrongScope" }
  | { readonly _tag: "UserGone" }

/** Checks a token given to the consent page: a live `CLIENT_ACCESS` token of an existing user. */
export const clientToken = (s: State, token: string, now: number): ClientToken => {
  if (token === "") return { _tag: "Missing" }
  const record = s.tokens.get(token)
  if (record === undefined) return { _tag: "Unknown" }
  if (record.revoked || now >= record.expiresAt) return { _tag: "Expired" }
  if (record.scope !== "CLIENT_ACCESS" || record.userId === undefined) return { _tag: "WrongScope" }
  const user = s.users.get(record.userId)
  return user === undefined ? { _tag: "UserGone" } : { _tag: "Valid", user }
}
