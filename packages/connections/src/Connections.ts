/**
 * The Basiq Connections operations (the seven of v2 plus v3's purge) as Effects, with Basiq's names and argument order.
 *
 * @since 0.1.0
 */
import { BasiqClient, type BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ConnectionFilter from "./ConnectionFilter.js"
import * as ConnectionSchemas from "./ConnectionSchemas.js"

/**
 * The error channel of operations that read a body.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/**
 * What `refreshConnection` returns: the job reference, and whether Basiq answered 200 with a job
 * that was already running for the connection (instead of 202 with a new one).
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshedJob extends ConnectionSchemas.JobRef {
  readonly alreadyRunning: boolean
}

/**
 * Options of `getConnections`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GetConnectionsOptions {
  /** A filter built with `ConnectionFilter`, or a raw Basiq filter string. */
  readonly filter?: ConnectionFilter.Input | undefined
}

/**
 * The Connections service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `GET /users/{userId}/connections` (optionally filtered). */
  readonly getConnections: (
    userId: string,
    options?: GetConnectionsOptions
  ) => Effect.Effect<ConnectionSchemas.ConnectionList, Failure>
  /** `GET /users/{userId}/connections/{connectionId}`. */
  readonly getConnection: (userId: string, connectionId: string) => Effect.Effect<ConnectionSchemas.Connection, Failure>
  /** `POST /users/{userId}/connections`: starts the job that creates a connection (202). */
  readonly postConnection: (
    userId: string,
    body: ConnectionSchemas.PostConnectionBody
  ) => Effect.Effect<ConnectionSchemas.JobRef, Failure>
  /** `POST /users/{userId}/connections/{connectionId}`: new credentials, starts a job (202). */
  readonly updateConnection: (
    userId: string,
    connectionId: string,
    body: ConnectionSchemas.UpdateConnectionBody
  ) => Effect.Effect<ConnectionSchemas.JobRef, Failure>
  /** `DELETE /users/{userId}/connections/{connectionId}` (204; the body is not read). */
  readonly deleteConnection: (userId: string, connectionId: string) => Effect.Effect<void, BasiqError.RequestFailure>
  /**
   * `POST /users/{userId}/connections/{connectionId}/purge` (204): permanently deletes the
   * connection's accounts and transactions; the connection stays and can be refreshed. Idempotent.
   */
  readonly purgeConnection: (userId: string, connectionId: string) => Effect.Effect<void, BasiqError.RequestFailure>
  /** `POST /users/{userId}/connections/{connectionId}/refresh` (202 new job, 200 already running). */
  readonly refreshConnection: (userId: string, connectionId: string) => Effect.Effect<RefreshedJob, Failure>
  /** `POST /users/{userId}/connections/refresh`: one job per connection. */
  readonly refreshConnections: (userId: string) => Effect.Effect<ConnectionSchemas.JobRefList, Failure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Connections extends Context.Tag("@basiq-effect/connections/Connections")<Connections, Service>() {}

/**
 * Builds the service on the core client: each operation is one declaration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient

  const list = client.operation({
    name: "getConnections",
    span: "basiq.connections.getConnections",
    method: "GET",
    path: "/users/{userId}/connections",
    success: BasiqClient.json(ConnectionSchemas.ConnectionList),
    idempotent: true
  })
  const get = client.operation({
    name: "getConnection",
    span: "basiq.connections.getConnection",
    method: "GET",
    path: "/users/{userId}/connections/{connectionId}",
    success: BasiqClient.json(ConnectionSchemas.Connection),
    idempotent: true
  })
  const post = client.operation({
    name: "postConnection",
    span: "basiq.connections.postConnection",
    method: "POST",
    path: "/users/{userId}/connections",
    body: ConnectionSchemas.PostConnectionBody,
    success: BasiqClient.json(ConnectionSchemas.JobRef),
    idempotent: false
  })
  const update = client.operation({
    name: "updateConnection",
    span: "basiq.connections.updateConnection",
    method: "POST",
    path: "/users/{userId}/connections/{connectionId}",
    body: ConnectionSchemas.UpdateConnectionBody,
    success: BasiqClient.json(ConnectionSchemas.JobRef),
    idempotent: false
  })
  const remove = client.operation({
    name: "deleteConnection",
    span: "basiq.connections.deleteConnection",
    method: "DELETE",
    path: "/users/{userId}/connections/{connectionId}",
    success: BasiqClient.noContent,
    idempotent: true
  })
  const purge = client.operation({
    name: "purgeConnection",
    span: "basiq.connections.purgeConnection",
    method: "POST",
    path: "/users/{userId}/connections/{connectionId}/purge",
    success: BasiqClient.noContent,
    idempotent: true
  })
  const refresh = client.operation({
    name: "refreshConnection",
    span: "basiq.connections.refreshConnection",
    method: "POST",
    path: "/users/{userId}/connections/{connectionId}/refresh",
    success: BasiqClient.jsonWithStatus(ConnectionSchemas.JobRef),
    idempotent: true
  })
  const refreshAll = client.operation({
    name: "refreshConnections",
    span: "basiq.connections.refreshConnections",
    method: "POST",
    path: "/users/{userId}/connections/refresh",
    success: BasiqClient.json(ConnectionSchemas.JobRefList),
    idempotent: true
  })

  return Connections.of({
    getConnections: (userId, options) => {
      if (options?.filter === undefined) return list({ params: { userId } })
      const filter = ConnectionFilter.render(options.filter)
      if (Either.isLeft(filter)) return Effect.fail(filter.left)
      return list({ params: { userId }, query: { filter: filter.right } })
    },
    getConnection: (userId, connectionId) => get({ params: { userId, connectionId } }),
    postConnection: (userId, body) => post({ params: { userId }, body }),
    updateConnection: (userId, connectionId, body) => update({ params: { userId, connectionId }, body }),
    deleteConnection: (userId, connectionId) => remove({ params: { userId, connectionId } }),
    purgeConnection: (userId, connectionId) => purge({ params: { userId, connectionId } }),
    refreshConnection: (userId, connectionId) =>
      Effect.map(refresh({ params: { userId, connectionId } }), ({ body, status }) => ({
        ...body,
        alreadyRunning: status === 200
      })),
    refreshConnections: (userId) => refreshAll({ params: { userId } })
  })
})

/**
 * The Connections layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Connections, never, BasiqClient.BasiqClient> = Layer.effect(Connections, make)
