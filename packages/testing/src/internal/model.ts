/**
 * The fake's state and how it looks on the wire at a given instant. Jobs are not advanced by
 * fibers: a job's steps are computed from the clock whenever someone looks.
 *
 * @internal
 */

import * as Sandbox from "./sandbox.js"
import type { Account, Connection, ConnectionStatus, Profile, User } from "./types.js"

export interface TokenRecord {
  readonly expiresAt: number
  readonly revoked: boolean
}

export interface UserRecord {
  readonly id: string
  readonly email: string
  readonly mobile: string
}

export type AccountRecord = Omit<Account, "type" | "lastUpdated" | "links">

/** Status and sync times as they were when the connection's latest job started. */
export interface Settled {
  readonly status: ConnectionStatus
  readonly lastUsed: number
  /** When accounts were last retrieved; `undefined` before the first success. */
  readonly synced: number | undefined
}

export interface ConnectionRecord {
  readonly id: string
  readonly userId: string
  readonly institutionId: string
  readonly createdAt: number
  readonly credentials: { readonly loginId: string; readonly password: string } | undefined
  readonly accounts: ReadonlyArray<AccountRecord>
  readonly profile: Profile | undefined
  readonly settled: Settled
  readonly jobId: string | undefined
}

export interface JobRecord {
  readonly id: string
  readonly userId: string
  readonly connectionId: string
  readonly institutionId: string
  readonly createdAt: number
  readonly outcome: Sandbox.Outcome
  readonly mfaAnswer: { readonly at: number; readonly correct: boolean } | undefined
}

export interface State {
  readonly tokens: ReadonlyMap<string, TokenRecord>
  readonly users: ReadonlyMap<string, UserRecord>
  readonly connections: ReadonlyMap<string, ConnectionRecord>
  readonly jobs: ReadonlyMap<string, JobRecord>
}

export const emptyState: State = { tokens: new Map(), users: new Map(), connections: new Map(), jobs: new Map() }

/** A copy of `map` with `key` set (or removed when `value` is `undefined`). */
export const put = <V>(map: ReadonlyMap<string, V>, key: string, value: V | undefined): ReadonlyMap<string, V> => {
  const next = new Map(map)
  if (value === undefined) next.delete(key)
  else next.set(key, value)
  return next
}

export const newId = (): string => crypto.randomUUID()

// ---------------------------------------------------------------------------------------------
// jobs
// ---------------------------------------------------------------------------------------------

export type StepStatus = "pending" | "in-progress" | "success" | "failed"

export interface Step {
  readonly title: string
  readonly status: StepStatus
  readonly result: unknown
}

export interface JobView {
  readonly steps: ReadonlyArray<Step>
  readonly updated: number
  /** Set once every step succeeded or one failed. */
  readonly finishedAt: number | undefined
  readonly failure: Sandbox.StepError | undefined
  readonly awaitingMfa: boolean
}

const accountsFilter = (institutionId: string) => `filter=institution.id.eq('${institutionId}')`

/** The job as it stands at `now`, each step taking `stepMs` (MFA waits for its answer). */
export const viewJob = (job: JobRecord, now: number, stepMs: number): JobView => {
  const { mfa, failure: loginFailure } = job.outcome
  const base = `/users/${job.userId}`
  const link = (url: string) => ({ type: "link", url })
  const titles = ["verify-credentials", ...(mfa ? ["mfa-challenge"] : []), "retrieve-accounts", "retrieve-transactions"]
  const results: Record<string, unknown> = {
    "verify-credentials": link(`${base}/connections/${job.connectionId}`),
    "mfa-challenge": link(`${base}/connections/${job.connectionId}`),
    "retrieve-accounts": link(`${base}/accounts?${accountsFilter(job.institutionId)}`),
    "retrieve-transactions": link(`${base}/transactions?${accountsFilter(job.institutionId)}`)
  }
  const steps: Array<Step> = []
  let start = job.createdAt
  let updated = job.createdAt
  let stopped = false
  let failure: Sandbox.StepError | undefined
  let awaitingMfa = false
  for (const title of titles) {
    if (stopped || now < start) {
      steps.push({ title, status: "pending", result: null })
      stopped = true
      continue
    }
    let end: number
    let stepFailure: Sandbox.StepError | undefined
    if (title === "mfa-challenge" && mfa !== undefined) {
      const expiresAt = start + Sandbox.MFA_EXPIRY_MS
      const answer = job.mfaAnswer
      if (answer !== undefined) {
        end = answer.at
        stepFailure = answer.correct ? undefined : Sandbox.wrongMfaAnswer
      } else if (now >= expiresAt) {
        end = expiresAt
        stepFailure = Sandbox.mfaExpired
      } else {
        const challenge = {
          type: "mfa",
          method: mfa.method,
          description: mfa.description,
          input: mfa.input,
          expiryMs: Sandbox.MFA_EXPIRY_MS,
          links: { response: `/jobs/${job.id}/mfa` }
        }
        steps.push({ title, status: "in-progress", result: challenge })
        stopped = true
        awaitingMfa = true
        continue
      }
    } else {
      end = start + stepMs
      stepFailure = title === "verify-credentials" ? loginFailure : undefined
    }
    if (now < end) {
      steps.push({ title, status: "in-progress", result: null })
      stopped = true
      continue
    }
    updated = end
    if (stepFailure !== undefined) {
      steps.push({ title, status: "failed", result: { ...stepFailure } })
      failure = stepFailure
      stopped = true
      continue
    }
    steps.push({ title, status: "success", result: results[title] ?? null })
    start = end
  }
  const finished = failure !== undefined || steps.every((step) => step.status === "success")
  return { steps, updated, finishedAt: finished ? updated : undefined, failure, awaitingMfa }
}

// ---------------------------------------------------------------------------------------------
// connections
// ---------------------------------------------------------------------------------------------

/**
 * The connection's status given its latest job: unchanged while the job runs (so `pending` for a
 * new connection), `active` when it succeeds, `invalid` when it fails.
 */
export const settledNow = (connection: ConnectionRecord, job: JobView | undefined): Settled => {
  if (job === undefined || job.finishedAt === undefined) return connection.settled
  if (job.failure === undefined) return { status: "active", lastUsed: job.finishedAt, synced: job.finishedAt }
  return { ...connection.settled, status: "invalid" }
}

const iso = (millis: number) => new Date(millis).toISOString()

const institution = (origin: string, id: string) => ({
  type: "institution" as const,
  id,
  links: { self: `${origin}/institutions/${id}` }
})

export const institutionWire = institution

const connectionLinks = (origin: string, c: ConnectionRecord) => {
  const user = `${origin}/users/${c.userId}`
  return {
    self: `${user}/connections/${c.id}`,
    accounts: `${user}/accounts?${accountsFilter(c.institutionId)}`,
    transactions: `${user}/transactions?${accountsFilter(c.institutionId)}`,
    user
  }
}

export const connectionUrl = (origin: string, userId: string, connectionId: string): string =>
  `${origin}/users/${userId}/connections/${connectionId}`

export const connectionWire = (origin: string, c: ConnectionRecord, now: Settled): Connection => {
  const { self, user, accounts, transactions } = connectionLinks(origin, c)
  const synced = now.synced
  const visible = synced !== undefined
  return {
    type: "connection",
    id: c.id,
    status: now.status,
    createdDate: iso(c.createdAt),
    lastUsed: iso(now.lastUsed),
    method: "web",
    institution: institution(origin, c.institutionId),
    accounts: {
      type: "list",
      data: visible
        ? c.accounts.map((a) => ({
            type: "account",
            id: a.id,
            accountNo: a.accountNo,
            name: a.name,
            currency: a.currency,
            class: a.class,
            balance: a.balance,
            availableFunds: a.availableFunds,
            lastUpdated: iso(synced),
            status: a.status,
            links: {
              self: `${user}/accounts/${a.id}`,
              transactions: `${user}/transactions?filter=account.id.eq('${a.id}')`
            }
          }))
        : []
    },
    ...(visible && c.profile !== undefined ? { profile: c.profile } : {}),
    links: { self, user, accounts, transactions }
  }
}

export const connectionSummaryWire = (origin: string, c: ConnectionRecord, now: Settled) => {
  const { self, accounts, transactions } = connectionLinks(origin, c)
  return {
    type: "connection",
    id: c.id,
    status: now.status,
    createdDate: iso(c.createdAt),
    lastUsed: iso(now.lastUsed),
    method: "web",
    institution: institution(origin, c.institutionId),
    links: { self, institution: `${origin}/institutions/${c.institutionId}`, accounts, transactions }
  }
}

export const userWire = (origin: string, u: UserRecord): User => ({
  type: "user",
  id: u.id,
  email: u.email,
  mobile: u.mobile,
  links: { self: `${origin}/users/${u.id}` }
})

export const jobRefWire = (origin: string, jobId: string) => ({
  type: "job",
  id: jobId,
  links: { self: `${origin}/jobs/${jobId}` }
})

export const jobWire = (origin: string, job: JobRecord, view: JobView) => ({
  type: "job",
  id: job.id,
  created: iso(job.createdAt),
  updated: iso(view.updated),
  steps: view.steps,
  links: { self: `${origin}/jobs/${job.id}`, source: connectionUrl(origin, job.userId, job.connectionId) }
})

export const profileFor = (loginId: string, [firstName, lastName]: readonly [string, string]): Profile => ({
  fullName: `${firstName} ${lastName}`,
  firstName,
  lastName,
  middleName: "",
  phoneNumbers: ["040534555 ### 991"],
  emailAddresses: [`${loginId.toLowerCase()}@hooli.example`],
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
})
