/**
 * A stub `Connections` for application unit tests: give the operations the test needs; any other
 * operation dies with a defect naming it.
 *
 * ```ts
 * const TestConnections = ConnectionsTest.layer({
 *   getConnection: (userId, connectionId) => Effect.succeed(fixtureConnection)
 * })
 * it.effect("shows the balance", () => showBalance("u1", "c1").pipe(Effect.provide(TestConnections)))
 * ```
 *
 * @since 0.1.0
 */
import { BasiqError } from "@basiq-effect/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as ConnectionSchemas from "./ConnectionSchemas.js"
import { Connections, type Service } from "./Connections.js"
import * as JobError from "./JobError.js"
import * as JobSchemas from "./JobSchemas.js"

const missing = (name: keyof Service) => (): Effect.Effect<never> =>
  Effect.dieMessage(`ConnectionsTest: ${name} was called but the test layer does not implement it`)

/**
 * Builds a stub service from the given operations.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (partial: Partial<Service>): Service =>
  Connections.of({
    getConnections: partial.getConnections ?? missing("getConnections"),
    getConnection: partial.getConnection ?? missing("getConnection"),
    postConnection: partial.postConnection ?? missing("postConnection"),
    updateConnection: partial.updateConnection ?? missing("updateConnection"),
    deleteConnection: partial.deleteConnection ?? missing("deleteConnection"),
    purgeConnection: partial.purgeConnection ?? missing("purgeConnection"),
    refreshConnection: partial.refreshConnection ?? missing("refreshConnection"),
    refreshConnections: partial.refreshConnections ?? missing("refreshConnections")
  })

/**
 * A layer with the stub service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (partial: Partial<Service>): Layer.Layer<Connections> => Layer.succeed(Connections, make(partial))

const origin = "https://au-api.basiq.io"
const fixtureUserId = "user-1"
const timestamp = "2026-01-01T00:00:00Z"

const validConnection = Schema.validateSync(ConnectionSchemas.Connection)
const validSummary = Schema.validateSync(ConnectionSchemas.ConnectionSummary)
const validJobRef = Schema.validateSync(ConnectionSchemas.JobRef)
const validJob = Schema.validateSync(Schema.typeSchema(JobSchemas.Job))

/** A connection as Basiq answers it; `links` follow the id unless given. */
const connection = (overrides: Partial<ConnectionSchemas.Connection> = {}): ConnectionSchemas.Connection => {
  const id = overrides.id ?? "connection-1"
  const self = `${origin}/users/${fixtureUserId}/connections/${id}`
  return validConnection({
    type: "connection",
    id,
    status: "active",
    createdDate: timestamp,
    lastUsed: timestamp,
    method: "web",
    institution: { type: "institution", id: "AU00000", links: { self: `${origin}/institutions/AU00000` } },
    accounts: {
      type: "list",
      data: [
        {
          type: "account",
          id: "account-1",
          accountNo: "600000-157441965",
          name: "Everyday Account",
          currency: "AUD",
          class: { type: "transaction", product: "Everyday Account" },
          balance: "1234.56",
          availableFunds: "1234.56",
          lastUpdated: timestamp,
          status: "available",
          links: { self: `${origin}/users/${fixtureUserId}/accounts/account-1` }
        }
      ]
    },
    links: {
      self,
      user: `${origin}/users/${fixtureUserId}`,
      accounts: `${origin}/users/${fixtureUserId}/accounts?filter=institution.id.eq('AU00000')`
    },
    ...overrides
  })
}

/** What `GET /users/{userId}/connections` answers for these connections (accounts and profile left out, as Basiq does). */
const connectionList = (
  items: ReadonlyArray<ConnectionSchemas.ConnectionSummary>
): ConnectionSchemas.ConnectionList => ({
  type: "list",
  // The summary schema keeps only the list's fields: `accounts`, `profile` and `links.user` go.
  data: items.map((item) =>
    validSummary({ ...item, links: { institution: `${origin}/institutions/${item.institution.id}`, ...item.links } })
  ),
  links: { self: `${origin}/users/${fixtureUserId}/connections` }
})

/** The job reference an operation that starts a job answers; `links.self` follows the id unless given. */
const jobRef = (overrides: Partial<ConnectionSchemas.JobRef> = {}): ConnectionSchemas.JobRef => {
  const id = overrides.id ?? "job-1"
  return validJobRef({ type: "job", id, links: { self: `${origin}/jobs/${id}` }, ...overrides })
}

/** A finished job: its three steps succeeded, the first linking to the connection. */
const job = (overrides: Partial<JobSchemas.Job> = {}): JobSchemas.Job => {
  const id = overrides.id ?? "job-1"
  const source = `${origin}/users/${fixtureUserId}/connections/connection-1`
  const link = (url: string) => JobSchemas.JobStepLink.make({ url })
  return validJob({
    type: "job",
    id,
    created: timestamp,
    updated: timestamp,
    steps: [
      {
        title: "verify-credentials",
        status: "success",
        result: link(`/users/${fixtureUserId}/connections/connection-1`)
      },
      { title: "retrieve-accounts", status: "success", result: link(`/users/${fixtureUserId}/accounts`) },
      { title: "retrieve-transactions", status: "success", result: link(`/users/${fixtureUserId}/transactions`) }
    ],
    links: { self: `${origin}/jobs/${id}`, source },
    ...overrides
  })
}

const request = { method: "GET", route: "/users/{userId}/connections/{connectionId}", attempts: 1 } as const

const response = (status: number, code: string, title: string) =>
  ({ ...request, status, code, errors: [{ code, title }], correlationId: "fixture-correlation-id" }) as const

/** The errors the Connections and Jobs operations fail with, by tag. */
const errors = {
  BasiqBadRequestError: BasiqError.BasiqBadRequestError,
  BasiqUnauthorizedError: BasiqError.BasiqUnauthorizedError,
  BasiqForbiddenError: BasiqError.BasiqForbiddenError,
  BasiqNotFoundError: BasiqError.BasiqNotFoundError,
  BasiqUnsupportedMediaTypeError: BasiqError.BasiqUnsupportedMediaTypeError,
  BasiqRateLimitError: BasiqError.BasiqRateLimitError,
  BasiqServerError: BasiqError.BasiqServerError,
  BasiqUnexpectedStatusError: BasiqError.BasiqUnexpectedStatusError,
  BasiqTransportError: BasiqError.BasiqTransportError,
  BasiqAuthenticationError: BasiqError.BasiqAuthenticationError,
  BasiqInvalidRequestError: BasiqError.BasiqInvalidRequestError,
  BasiqDecodeError: BasiqError.BasiqDecodeError,
  BasiqJobFailedError: JobError.BasiqJobFailedError,
  BasiqJobTimeoutError: JobError.BasiqJobTimeoutError,
  BasiqMfaRequiredError: JobError.BasiqMfaRequiredError
} as const

/**
 * The tag of an error {@link fixtures} can build: every error of the Connections and Jobs
 * operations.
 *
 * @since 0.1.0
 * @category fixtures
 */
export type ErrorTag = keyof typeof errors

/**
 * The fields of the error with tag `T` (what its constructor takes).
 *
 * @since 0.1.0
 * @category fixtures
 */
export type ErrorFields<T extends ErrorTag> = ConstructorParameters<(typeof errors)[T]>[0]

/**
 * The error with tag `T`.
 *
 * @since 0.1.0
 * @category fixtures
 */
export type ErrorOf<T extends ErrorTag> = InstanceType<(typeof errors)[T]>

const errorMakers: { readonly [T in ErrorTag]: (overrides: Partial<ErrorFields<T>>) => ErrorOf<T> } = {
  BasiqBadRequestError: (o) =>
    new BasiqError.BasiqBadRequestError({ ...response(400, "parameter-not-valid", "Parameter not valid."), ...o }),
  BasiqUnauthorizedError: (o) =>
    new BasiqError.BasiqUnauthorizedError({
      ...response(401, "invalid-authorization-token", "Invalid authorization token."),
      ...o
    }),
  BasiqForbiddenError: (o) =>
    new BasiqError.BasiqForbiddenError({ ...response(403, "access-denied", "Access denied."), ...o }),
  BasiqNotFoundError: (o) =>
    new BasiqError.BasiqNotFoundError({ ...response(404, "resource-not-found", "Resource not found."), ...o }),
  BasiqUnsupportedMediaTypeError: (o) =>
    new BasiqError.BasiqUnsupportedMediaTypeError({
      ...response(415, "unsupported-accept", "Unsupported media type."),
      ...o
    }),
  BasiqRateLimitError: (o) =>
    new BasiqError.BasiqRateLimitError({
      ...response(429, "too-many-requests", "Too many requests."),
      retryAfter: Duration.seconds(1),
      ...o
    }),
  BasiqServerError: (o) =>
    new BasiqError.BasiqServerError({
      ...response(503, "service-unavailable", "Service unavailable."),
      outcomeUnknown: false,
      ...o
    }),
  BasiqUnexpectedStatusError: (o) =>
    new BasiqError.BasiqUnexpectedStatusError({ ...request, status: 418, errors: [], ...o }),
  BasiqTransportError: (o) =>
    new BasiqError.BasiqTransportError({ ...request, reason: "ConnectionReset", outcomeUnknown: false, ...o }),
  BasiqAuthenticationError: (o) =>
    new BasiqError.BasiqAuthenticationError({
      reason: "the API key was not accepted",
      status: 404,
      code: "parameter-not-valid",
      attempts: 1,
      ...o
    }),
  BasiqInvalidRequestError: (o) =>
    new BasiqError.BasiqInvalidRequestError({ reason: "userId must not be empty", fields: ["userId"], ...o }),
  BasiqDecodeError: (o) =>
    new BasiqError.BasiqDecodeError({ ...request, status: 200, at: "institution.id", expected: "string", ...o }),
  BasiqJobFailedError: (o) =>
    new JobError.BasiqJobFailedError({
      jobId: "job-1",
      step: "verify-credentials",
      code: "invalid-credentials",
      title: "Cannot login to target institution using supplied credentials.",
      ...o
    }),
  BasiqJobTimeoutError: (o) =>
    new JobError.BasiqJobTimeoutError({
      jobId: "job-1",
      timeout: Duration.seconds(120),
      step: "retrieve-accounts",
      ...o
    }),
  BasiqMfaRequiredError: (o) =>
    new JobError.BasiqMfaRequiredError({
      jobId: "job-1",
      challenge: JobSchemas.MfaChallenge.make({
        method: "token",
        description: "An SMS code has been sent to your device, please enter it",
        prompts: ["OTP Password"],
        expiresIn: Duration.minutes(2)
      }),
      ...o
    })
}

/**
 * Valid values for stub layers, so tests need no casts. Each builder takes overrides for any field
 * and checks the result against the schema (an invalid override throws a `ParseError`).
 *
 * - `connection(overrides?)`: an active connection at Hooli (`AU00000`) with one account; its
 *   `links` follow its `id` unless given.
 * - `connectionList(items)`: what `getConnections` answers for these connections (each reduced to
 *   the list's shape: no accounts, no profile).
 * - `jobRef(overrides?)`: what `postConnection` and `updateConnection` answer.
 * - `job(overrides?)`: a job whose three steps succeeded (`Jobs.connectionIdFromJob` finds
 *   `connection-1` in it).
 * - `error(tag, overrides?)`: the error with that tag, with plausible fields (a 404 is
 *   `resource-not-found` on `GET /users/{userId}/connections/{connectionId}`, ...).
 *
 * @example
 * ```ts
 * import { Connections, ConnectionsTest } from "@basiq-effect/connections"
 * import { Effect } from "effect"
 *
 * const { fixtures } = ConnectionsTest
 * const TestConnections = ConnectionsTest.layer({
 *   getConnection: (_userId, connectionId) =>
 *     connectionId === "gone"
 *       ? Effect.fail(fixtures.error("BasiqNotFoundError"))
 *       : Effect.succeed(fixtures.connection({ id: connectionId, status: "invalid" })),
 *   getConnections: () => Effect.succeed(fixtures.connectionList([fixtures.connection()]))
 * })
 * ```
 *
 * @since 0.1.0
 * @category fixtures
 */
export const fixtures = {
  connection,
  connectionList,
  jobRef,
  job,
  error: <T extends ErrorTag>(tag: T, overrides: Partial<ErrorFields<T>> = {}): ErrorOf<T> =>
    errorMakers[tag](overrides)
} as const
