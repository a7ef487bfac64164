/**
 * Basiq users as Effects: the first step of the v3 journey (a user, then the consent UI).
 *
 * @since 0.1.0
 */
import { BasiqClient, type BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as UserSchemas from "./UserSchemas.js"

/**
 * The error channel of operations that read a body.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/**
 * The Users service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * `POST /users` (201): `email` and/or `mobile`, optional names and business details. The body
   * is checked first: a bad one is `BasiqInvalidRequestError` naming the fields (never their
   * values), and nothing is sent. Not idempotent: Basiq has no duplicate check.
   */
  readonly createUser: (body: UserSchemas.CreateUserBody) => Effect.Effect<UserSchemas.User, Failure>
  /** `GET /users/{userId}`. */
  readonly getUser: (userId: string) => Effect.Effect<UserSchemas.User, Failure>
  /** `POST /users/{userId}`: changes the given fields, keeps the others. */
  readonly updateUser: (userId: string, body: UserSchemas.UpdateUserBody) => Effect.Effect<UserSchemas.User, Failure>
  /** `DELETE /users/{userId}` (204): the user, its connections and their data. */
  readonly deleteUser: (userId: string) => Effect.Effect<void, BasiqError.RequestFailure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Users extends Context.Tag("@basiq-effect/users/Users")<Users, Service>() {}

/**
 * Builds the service on the core client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient
  const create = client.operation({
    name: "createUser",
    span: "basiq.users.createUser",
    method: "POST",
    path: "/users",
    body: UserSchemas.CreateUserBody,
    success: BasiqClient.json(UserSchemas.User),
    idempotent: false
  })
  const get = client.operation({
    name: "getUser",
    span: "basiq.users.getUser",
    method: "GET",
    path: "/users/{userId}",
    success: BasiqClient.json(UserSchemas.User),
    idempotent: true
  })
  const update = client.operation({
    name: "updateUser",
    span: "basiq.users.updateUser",
    method: "POST",
    path: "/users/{userId}",
    body: UserSchemas.UpdateUserBody,
    success: BasiqClient.json(UserSchemas.User),
    // The same fields set twice give the same user: safe to retry.
    idempotent: true
  })
  const remove = client.operation({
    name: "deleteUser",
    span: "basiq.users.deleteUser",
    method: "DELETE",
    path: "/users/{userId}",
    success: BasiqClient.noContent,
    idempotent: true
  })
  return Users.of({
    createUser: (body) => create({ params: {}, body }),
    getUser: (userId) => get({ params: { userId } }),
    updateUser: (userId, body) => update({ params: { userId }, body }),
    deleteUser: (userId) => remove({ params: { userId } })
  })
})

/**
 * The Users layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Users, never, BasiqClient.BasiqClient> = Layer.effect(Users, make)
