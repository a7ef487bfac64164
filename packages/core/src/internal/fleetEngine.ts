/**
 * Where a store built by `BasiqTokenStore.make` carries core's fleet logic (`fleetToken.ts`), so
 * that `BasiqAuth` runs it without importing it: a program that never builds a store (a browser
 * page) does not bundle that logic.
 *
 * @internal
 */
export const EngineId: unique symbol = Symbol.for("@basiq-effect/core/BasiqTokenStore/engine")
