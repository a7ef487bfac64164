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
import * as Consents from "./Consents.js"
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
