/**
 * State changes shared by the routes, the consent page and the controls: pure functions from a
 * state (and an instant) to the next state.
 *
 * @internal
 */
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
) => startJob(s, newConnection(userId, institutionId, credentials, now), now, stepMs)

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
          return { ...s, consents: Model.put(s.consents, consent.id, consent) }
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

/** Removes the user's connections (their accounts go with them; jobs stay readable). */
export const dropConnections = (s: State, userId: string): State => ({
  ...s,
  connections: Model.without(s.connections, (c) => c.userId === userId)
})

/** The consent becomes revoked (unless it already is) and the user's connections go. */
export const revokeConsent = (s: State, consent: ConsentRecord, now: number): State => {
  if (consent.revokedAt !== undefined) return s
  const revoked: ConsentRecord = { ...consent, revokedAt: now, updatedAt: now }
  return dropConnections({ ...s, consents: Model.put(s.consents, consent.id, revoked) }, consent.userId)
}

/** `DELETE /users/{userId}/consents/{consentId}`: the consent and the user's connections go. */
export const deleteConsent = (s: State, consent: ConsentRecord): State =>
  dropConnections({ ...s, consents: Model.put(s.consents, consent.id, undefined) }, consent.userId)

/** `DELETE /users/{userId}`: the user and everything under it. */
export const deleteUser = (s: State, userId: string): State => ({
  ...s,
  users: Model.put(s.users, userId, undefined),
  connections: Model.without(s.connections, (c) => c.userId === userId),
  jobs: Model.without(s.jobs, (j) => j.userId === userId),
  consents: Model.without(s.consents, (c) => c.userId === userId)
})

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
