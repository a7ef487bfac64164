/**
 * Stub `Users` and `Consents` for application unit tests: give the operations the test needs; any
 * other operation dies with a defect naming it.
 *
 * ```ts
 * const TestUsers = UsersTest.layer({ createUser: (body) => Effect.succeed({ id: "u1", ...body }) })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as ConsentSchemas from "./ConsentSchemas.js"
import * as Consents from "./Consents.js"
import * as UserSchemas from "./UserSchemas.js"
import * as Users from "./Users.js"

const missing = (service: string, name: string) => (): Effect.Effect<never> =>
  Effect.dieMessage(`${service}: ${name} was called but the test layer does not implement it`)

/**
 * A stub `Users` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (partial: Partial<Users.Service>): Users.Service =>
  Users.Users.of({
    createUser: partial.createUser ?? missing("UsersTest", "createUser"),
    getUser: partial.getUser ?? missing("UsersTest", "getUser"),
    updateUser: partial.updateUser ?? missing("UsersTest", "updateUser"),
    deleteUser: partial.deleteUser ?? missing("UsersTest", "deleteUser")
  })

/**
 * A layer with a stub `Users` service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (partial: Partial<Users.Service>): Layer.Layer<Users.Users> =>
  Layer.succeed(Users.Users, make(partial))

/**
 * A stub `Consents` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeConsents = (partial: Partial<Consents.Service>): Consents.Service =>
  Consents.Consents.of({
    getConsents: partial.getConsents ?? missing("ConsentsTest", "getConsents"),
    deleteConsent: partial.deleteConsent ?? missing("ConsentsTest", "deleteConsent")
  })

/**
 * A layer with a stub `Consents` service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConsents = (partial: Partial<Consents.Service>): Layer.Layer<Consents.Consents> =>
  Layer.succeed(Consents.Consents, makeConsents(partial))

const origin = "https://au-api.basiq.io"
const timestamp = "2026-01-01T00:00:00Z"
const validUser = Schema.validateSync(UserSchemas.User)
const validConsent = Schema.validateSync(ConsentSchemas.Consent)

/**
 * Valid values for the stub layers, so tests need no casts. Each builder takes overrides for any
 * field and checks the result against the schema (an invalid override throws a `ParseError`).
 *
 * - `user(overrides?)`: a user with an email and a mobile; `links.self` follows its `id`.
 * - `consent(overrides?)`: an active consent for a year, with one permission.
 * - `consentList(items)`: what `getConsents` answers.
 *
 * @example
 * ```ts
 * import { UsersTest } from "@basiq-effect/users"
 * import { Effect } from "effect"
 *
 * const { fixtures } = UsersTest
 * export const TestUsers = UsersTest.layer({
 *   getUser: (userId) => Effect.succeed(fixtures.user({ id: userId, firstName: "Max" }))
 * })
 * export const TestConsents = UsersTest.layerConsents({
 *   getConsents: () => Effect.succeed(fixtures.consentList([fixtures.consent({ status: "revoked" })]))
 * })
 * ```
 *
 * @since 0.1.0
 * @category fixtures
 */
export const fixtures = {
  user: (overrides: Partial<UserSchemas.User> = {}): UserSchemas.User => {
    const id = overrides.id ?? "user-1"
    return validUser({
      type: "user",
      id,
      email: "max@example.com",
      mobile: "+61410888999",
      links: { self: `${origin}/users/${id}` },
      ...overrides
    })
  },
  consent: (overrides: Partial<ConsentSchemas.Consent> = {}): ConsentSchemas.Consent =>
    validConsent({
      type: "consent",
      id: "consent-1",
      created: timestamp,
      updated: timestamp,
      expiryDate: "2027-01-01T00:00:00Z",
      origin: "user",
      status: "active",
      purpose: { primary: { title: "Budgeting", description: "To show your spending by category." } },
      data: {
        retainData: true,
        initialRetrievalDays: 365,
        permissions: [{ scope: "account.basic", required: true, consented: true, entity: "account" }]
      },
      ...overrides
    }),
  consentList: (items: ReadonlyArray<ConsentSchemas.Consent>): ConsentSchemas.ConsentList => ({
    type: "list",
    size: items.length,
    data: items,
    links: { self: `${origin}/users/user-1/consents` }
  })
} as const
