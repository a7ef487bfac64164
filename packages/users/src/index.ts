/**
 * Every error class, by name, for `instanceof` and `catchTag` users.
 *
 * @since 0.1.0
 */
export * from "@basiq-effect/core/errors"
/**
 * @since 0.1.0
 */
export * as ConsentSchemas from "./ConsentSchemas.js"
/**
 * @since 0.1.0
 */
export * as Consents from "./Consents.js"
/**
 * @since 0.1.0
 */
export * as ConsentUi from "./ConsentUi.js"
/**
 * @since 0.1.0
 */
export * as UserSchemas from "./UserSchemas.js"
/**
 * @since 0.1.0
 */
export * as Users from "./Users.js"
/**
 * @since 0.1.0
 */
export * as UsersTest from "./UsersTest.js"
