/**
 * The fake's types, shared by the public module and the engine (so neither imports the other).
 * `InMemoryBasiq.ts` re-exports each of them; the documentation that users read lives there.
 *
 * @internal
 */
import type { Duration, Effect } from "effect"
import type { UnknownConnectionError, UnknownConsentError, UnknownUserError } from "./errors.js"

/** See `InMemoryBasiq.BusinessAddress`. */
export interface BusinessAddress {
  readonly addressLine1?: string
  readonly addressLine2?: string
  readonly suburb?: string
  readonly state?: string
  readonly postcode?: string
  readonly countryCode?: string
}

/** See `InMemoryBasiq.User`. */
export interface User {
  readonly type: "user"
  readonly id: string
  readonly email: string
  readonly mobile: string
  readonly firstName?: string
  readonly middleName?: string
  readonly lastName?: string
  readonly businessName?: string
  readonly businessIdNo?: string
  readonly businessIdNoType?: "ABN" | "ACN"
  readonly businessAddress?: BusinessAddress
  readonly verificationStatus?: boolean
  readonly verificationDate?: string
  readonly links: { readonly self: string }
}

/** See `InMemoryBasiq.ConsentStatus`. */
export type ConsentStatus = "active" | "revoked" | "expired"

/** See `InMemoryBasiq.ConsentPermission`. */
export interface ConsentPermission {
  readonly scope: string
  readonly required: boolean
  readonly consented: boolean
  readonly entity: string
  readonly information: {
    readonly name: string
    readonly description: string
    readonly attributeList: ReadonlyArray<string>
  }
  readonly purpose: { readonly title: string; readonly description: string }
}

/** See `InMemoryBasiq.Consent`. */
export interface Consent {
  readonly type: "consent"
  readonly id: string
  readonly created: string
  readonly updated: string
  readonly expiryDate: string
  readonly origin: "user"
  readonly status: ConsentStatus
  readonly revoked?: string
  readonly purpose: {
    readonly primary: { readonly title: string; readonly description: string }
    readonly other: null
  }
  readonly data: {
    readonly retainData: boolean
    readonly initialRetrievalDays: number
    readonly organisation: null
    readonly permissions: ReadonlyArray<ConsentPermission>
  }
  readonly links: { readonly self: string; readonly consentPolicy: string; readonly latestConsentPolicy: string }
}

/** See `InMemoryBasiq.ConnectionStatus`. */
export type ConnectionStatus = "pending" | "active" | "invalid"

/** See `InMemoryBasiq.Account`. */
export interface Account {
  readonly type: "account"
  readonly id: string
  readonly accountNo: string
  readonly name: string
  readonly currency: string
  readonly class: { readonly type: string; readonly product: string }
  readonly balance: string | null
  readonly availableFunds: string | null
  readonly lastUpdated: string
  readonly status: "available" | "unavailable"
  readonly links: { readonly self: string; readonly transactions: string }
}

/** See `InMemoryBasiq.Profile`. */
export interface Profile {
  readonly fullName: string
  readonly firstName: string
  readonly lastName: string
  readonly middleName: string
  readonly phoneNumbers: ReadonlyArray<string>
  readonly emailAddresses: ReadonlyArray<string>
  readonly physicalAddresses: ReadonlyArray<{
    readonly addressLine1: string
    readonly addressLine2: string | null
    readonly addressLine3: string | null
    readonly postcode: string
    readonly city: string
    readonly state: string
    readonly country: string
    readonly countryCode: string
    readonly formattedAddress: string
  }>
}

/** See `InMemoryBasiq.Connection`. */
export interface Connection {
  readonly type: "connection"
  readonly id: string
  readonly status: ConnectionStatus
  readonly createdDate: string
  readonly lastUsed: string
  readonly method: "web"
  readonly institution: { readonly type: "institution"; readonly id: string; readonly links: { readonly self: string } }
  readonly accounts: { readonly type: "list"; readonly data: ReadonlyArray<Account> }
  readonly profile?: Profile
  readonly links: {
    readonly self: string
    readonly user: string
    readonly accounts: string
    readonly transactions: string
  }
}

/** See `InMemoryBasiq.AccountSeed`. */
export interface AccountSeed {
  readonly id?: string
  readonly name?: string
  readonly accountNo?: string
  readonly currency?: string
  readonly class?: { readonly type: string; readonly product: string }
  readonly balance?: string | null
  readonly availableFunds?: string | null
  readonly status?: "available" | "unavailable"
}

/** See `InMemoryBasiq.JournalEntry`. */
export interface JournalEntry {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

/** What an injected fault does to a matching request; see `InMemoryBasiq.Fault`. */
export type Fault =
  | {
      readonly _tag: "Status"
      readonly status: number
      readonly body?: unknown
      readonly contentType?: string
      readonly retryAfter?: number | string
    }
  | { readonly _tag: "Delay"; readonly duration: Duration.Duration }
  | { readonly _tag: "ResetBeforeApply" }
  | { readonly _tag: "ResetAfterApply" }
  | { readonly _tag: "Truncate" }
  | { readonly _tag: "Redirect"; readonly status: RedirectStatus; readonly location: string }
  | {
      readonly _tag: "Body"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string | Uint8Array
    }
  | { readonly _tag: "HugeBody"; readonly bytes: number; readonly status: number }
  | { readonly _tag: "EndlessBody"; readonly status: number }
  | { readonly _tag: "GzipBomb"; readonly inflatedBytes: number; readonly encoding: "gzip" | "deflate" }

/** The statuses `fetch` follows. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308

/** See `InMemoryBasiq.LayerOptions`. */
export interface LayerOptions {
  /** API keys `POST /token` accepts; by default any non-empty key. */
  readonly apiKeys?: ReadonlyArray<string>
  /** How long each job step takes (default 1 second). */
  readonly stepDuration?: Duration.DurationInput
  /** How many requests the journal keeps (default 1000), or `false` for none. */
  readonly journal?: number | false
  /**
   * Served only: where the consent page sends the browser back after a submission (an absolute
   * http(s) URL; default `<served url>/consent/done`).
   */
  readonly consentRedirectUrl?: string
  /** The secret every subscription signs with; by default each gets a fresh `whsec_` secret. */
  readonly webhookSecret?: string
  /** Multiplies Basiq's retry delays and the 15 s attempt timeout (default 1; e.g. 0.001 served). */
  readonly webhookRetryScale?: number
  /**
   * Receives every webhook delivery instead of the subscription's URL (Layer mode has no network:
   * without it, each attempt fails with `error: "no webhookHandler option"`). A 2xx status is a
   * success; another status, a failure or no answer within the timeout is a failed attempt.
   */
  readonly webhookHandler?: WebhookHandler
}

/** See `InMemoryBasiq.WebhookDelivery`. */
export interface WebhookDelivery {
  readonly subscriptionId: string
  readonly messageId: string
  readonly eventId: string
  readonly eventTypeId: string
  readonly url: string
  /** 1 to 8. */
  readonly attempt: number
  /** When the attempt ended (ISO 8601, on the fake's clock). */
  readonly at: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** A 2xx status. */
  readonly ok: boolean
  readonly status?: number
  /** `"timeout"`, `"request failed"` or `"no webhookHandler option"` when there is no status. */
  readonly error?: string
}

/** See `InMemoryBasiq.WebhookHandler`. */
export type WebhookHandler = (delivery: {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}) => Effect.Effect<{ readonly status: number }, unknown>

/** Controls of the in-memory Basiq; see `InMemoryBasiq.InMemoryBasiq`. */
export interface Service {
  /** Creates a user, as `POST /users` would (no format checks). */
  readonly createUser: (options?: {
    readonly email?: string
    readonly mobile?: string
    readonly firstName?: string
    readonly middleName?: string
    readonly lastName?: string
  }) => Effect.Effect<User>
  /**
   * Adds a connection with no job behind it (default institution `AU00000`, status `active`,
   * four sandbox accounts). Its refreshes succeed. Dies if the user does not exist.
   */
  readonly seedConnection: (options: {
    readonly userId: string
    readonly institutionId?: string
    readonly status?: ConnectionStatus
    readonly accounts?: ReadonlyArray<AccountSeed>
  }) => Effect.Effect<Connection>
  /** The last requests received, oldest first. */
  readonly journal: Effect.Effect<ReadonlyArray<JournalEntry>>
  /** Makes every token issued so far expired: calls with them get 403 `access-denied`. */
  readonly expireTokens: () => Effect.Effect<void>
  /**
   * Applies `fault` to the next `times` (default 1) requests matching `method` (any case) and
   * `path` (the path without query: a string matches exactly, a RegExp by search). Faults
   * apply in the order they were injected.
   */
  readonly injectFault: (options: {
    readonly method?: string
    readonly path?: string | RegExp
    readonly times?: number
    readonly fault: Fault
  }) => Effect.Effect<void>
  /**
   * What Basiq's consent UI does when a person consents and logs in: gives the user an active
   * consent (unless one is active) and starts a connection job with these sandbox credentials
   * (default institution `AU00000`), exactly as `POST /users/{userId}/connections` would (MFA
   * included). Fails with `UnknownUserError` for an unknown user.
   */
  readonly completeConsent: (options: {
    readonly userId: string
    readonly institutionId?: string
    readonly loginId: string
    readonly password: string
    readonly securityCode?: string
    readonly secondaryLoginId?: string
  }) => Effect.Effect<{ readonly jobIds: ReadonlyArray<string> }, UnknownUserError>
  /**
   * What a person revoking their consent does: the consent (by id, else the user's active one)
   * becomes `revoked` with a `revoked` timestamp, and the user's connections are removed (their
   * jobs stay readable). Revoking a revoked consent changes nothing. Fails with `UnknownUserError`
   * for an unknown user, `UnknownConsentError` for a consent the user does not have (or, without
   * `consentId`, when none is active).
   */
  readonly revokeConsent: (options: {
    readonly userId: string
    readonly consentId?: string
  }) => Effect.Effect<Consent, UnknownUserError | UnknownConsentError>
  /**
   * What the bank does when a login stops working: the connection becomes `invalid` (a running
   * job no longer decides its status; a refresh or credentials update starts over) and
   * `connection.invalidated` is emitted, unless it already was invalid. Answers the connection.
   */
  /** Every webhook delivery attempt, oldest first (the last 1000). */
  readonly deliveries: Effect.Effect<ReadonlyArray<WebhookDelivery>>
  readonly invalidateConnection: (options: {
    readonly userId: string
    readonly connectionId: string
  }) => Effect.Effect<Connection, UnknownUserError | UnknownConnectionError>
}
