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
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Connections, type Service } from "./Connections.js"

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
