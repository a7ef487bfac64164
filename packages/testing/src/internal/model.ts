/**
 * The fake's state and how it looks on the wire at a given instant. Jobs are not advanced by
 * fibers: a job's steps are computed from the clock whenever someone looks.
 *
 * @internal
 */

import * as Sandbox from "./sandbox.js"
import type {
  Account,
  BusinessAddress,
  Connection,
  ConnectionStatus,
  Consent,
  ConsentPermission,
  ConsentStatus,
  Profile,
  User
} from "./types.js"

export type Scope = "SERVER_ACCESS" | "CLIENT_ACCESS"

export interface TokenRecord {
  readonly expiresAt: number
  readonly revoked: boolean
  readonly scope: Scope
  /** The user a `CLIENT_ACCESS` token is bound to. */
  readonly userId: string | undefined
}

export interface Business {
  readonly businessName?: string
  readonly businessIdNo?: string
  readonly businessIdNoType?: "ABN" | "ACN"
  readonly businessAddress?: BusinessAddress
  readonly verificationStatus?: boolean
  readonly verificationDate?: string
}

export interface UserRecord {
  readonly id: string
  readonly email: string
  readonly mobile: string
  readonly firstName: string
  readonly middleName: string
  readonly lastName: string
  readonly business: Business
}

export interface ConsentRecord {
  readonly id: string
  readonly userId: string
  readonly createdAt: number
  readonly updatedAt: number
  readonly expiresAt: number
  readonly revokedAt: number | undefined
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
  /** When its accounts and transactions were last purged; data synced later shows again. */
  readonly purgedAt: number | undefined
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

/** What the event is about, as it was when the event happened. */
export type Subject =
  | { readonly _tag: "user"; readonly user: UserRecord }
  | { readonly _tag: "connection"; readonly connection: ConnectionRecord; readonly settled: Settled }
  | { readonly _tag: "consent"; readonly consent: ConsentRecord }

export interface EventRecord {
  readonly seq: number
  readonly id: string
  readonly at: number
  readonly entity: string
  readonly eventType: string
  readonly userId: string
  readonly subject: Subject
}

/** A webhook subscription (`/notifications/webhooks`). */
export interface WebhookRecord {
  readonly id: string
  readonly name: string | undefined
  readonly description: string | undefined
  readonly url: string
  readonly subscribedEvents: ReadonlyArray<string>
  /** Never journaled or logged; answered only by the create route. */
  readonly secret: string
  readonly createdAt: number
}

export interface State {
  readonly tokens: ReadonlyMap<string, TokenRecord>
  readonly users: ReadonlyMap<string, UserRecord>
  readonly connections: ReadonlyMap<string, ConnectionRecord>
  readonly jobs: ReadonlyMap<string, JobRecord>
  readonly consents: ReadonlyMap<string, ConsentRecord>
  /** Oldest first; see `events.ts` for retention. */
  readonly events: ReadonlyArray<EventRecord>
  /** The last event's `seq`. */
  readonly eventSeq: number
  readonly webhooks: ReadonlyMap<string, WebhookRecord>
}

export const emptyState: State = {
  tokens: new Map(),
  users: new Map(),
  connections: new Map(),
  jobs: new Map(),
  consents: new Map(),
  events: [],
  eventSeq: 0,
  webhooks: new Map()
}

/** A copy of `map` without the entries `drop` selects. */
export const without = <V>(map: ReadonlyMap<string, V>, drop: (value: V) => boolean): ReadonlyMap<string, V> =>
  new Map([...map].filter(([, value]) => !drop(value)))

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

/** When the connection's data was retrieved, if it is visible (retrieved and not purged since). */
const visibleSync = (c: ConnectionRecord, now: Settled): number | undefined =>
  now.synced !== undefined && (c.purgedAt === undefined || now.synced > c.purgedAt) ? now.synced : undefined

export const connectionWire = (origin: string, c: ConnectionRecord, now: Settled): Connection => {
  const { self, user, accounts, transactions } = connectionLinks(origin, c)
  const synced = visibleSync(c, now)
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

/** `POST /users` and `POST /users/{id}`: name fields only when set, business fields when given. */
export const userWire = (origin: string, u: UserRecord): User => ({
  type: "user",
  id: u.id,
  email: u.email,
  mobile: u.mobile,
  ...(u.firstName === "" ? {} : { firstName: u.firstName }),
  ...(u.middleName === "" ? {} : { middleName: u.middleName }),
  ...(u.lastName === "" ? {} : { lastName: u.lastName }),
  ...u.business,
  links: { self: `${origin}/users/${u.id}` }
})

/** `GET /users/{id}`: v3's UserGetResponse at `now`. */
export const userGetWire = (
  origin: string,
  u: UserRecord,
  connections: ReadonlyArray<readonly [ConnectionRecord, Settled]>
) => {
  const self = `${origin}/users/${u.id}`
  const accounts = connections.flatMap(([c, settled]) =>
    visibleSync(c, settled) === undefined ? [] : c.accounts.map((a) => a.id)
  )
  return {
    type: "user",
    id: u.id,
    email: u.email,
    mobile: u.mobile,
    name: [u.firstName, u.middleName, u.lastName].filter((part) => part !== "").join(" "),
    firstName: u.firstName,
    middleName: u.middleName,
    lastName: u.lastName,
    ...u.business,
    connections: {
      type: "list",
      count: connections.length,
      data: connections.map(([c]) => ({
        type: "connection",
        id: c.id,
        links: { self: `${self}/connections/${c.id}` }
      }))
    },
    accounts: {
      type: "list",
      count: accounts.length,
      data: accounts.map((id) => ({ type: "account", id, links: { self: `${self}/accounts/${id}` } }))
    },
    links: {
      accounts: `${self}/accounts`,
      auth_link: null,
      connections: `${self}/connections`,
      self,
      transactions: `${self}/transactions`
    }
  }
}

// ---------------------------------------------------------------------------------------------
// consents
// ---------------------------------------------------------------------------------------------

/** How long a consent lasts: a year. */
export const CONSENT_LIFETIME_MS = 365 * 24 * 3600 * 1000

/** The fake's one consent policy. */
export const POLICY_ID = "00000000-0000-4000-8000-00000000c0de"

export const consentStatus = (c: ConsentRecord, now: number): ConsentStatus =>
  c.revokedAt !== undefined ? "revoked" : now >= c.expiresAt ? "expired" : "active"

const permission = (
  scope: string,
  entity: string,
  name: string,
  attributeList: ReadonlyArray<string>,
  why: string
): ConsentPermission => ({
  scope,
  required: true,
  consented: true,
  entity,
  information: {
    name,
    description: `The fake shares the ${name.toLowerCase()} of each connected account.`,
    attributeList
  },
  purpose: { title: name, description: why }
})

const permissions: ReadonlyArray<ConsentPermission> = [
  permission(
    "account.basic",
    "account",
    "Account names and balances",
    ["Account name", "Account type", "Balance"],
    "To list your accounts."
  ),
  permission("account.detail", "account", "Account numbers", ["Account number", "BSB"], "To identify your accounts."),
  permission(
    "transaction.detail",
    "transaction",
    "Transactions",
    ["Amount", "Description", "Date"],
    "To show your spending."
  ),
  permission(
    "customer.person.detail",
    "connection",
    "Your name and contact details",
    ["Name", "Phone", "Email", "Address"],
    "To verify who you are."
  )
]

export const consentWire = (origin: string, c: ConsentRecord, now: number): Consent => ({
  type: "consent",
  id: c.id,
  created: iso(c.createdAt),
  updated: iso(c.updatedAt),
  expiryDate: iso(c.expiresAt),
  origin: "user",
  status: consentStatus(c, now),
  ...(c.revokedAt === undefined ? {} : { revoked: iso(c.revokedAt) }),
  purpose: {
    primary: {
      title: "In-memory Basiq consent",
      description: "Lets the application read the sandbox data you connect."
    },
    other: null
  },
  data: { retainData: true, initialRetrievalDays: 365, organisation: null, permissions },
  links: {
    self: `${origin}/users/${c.userId}/consents/${c.id}`,
    consentPolicy: `${origin}/policies/${POLICY_ID}`,
    latestConsentPolicy: `${origin}/policies/${POLICY_ID}`
  }
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
