/**
 * The client the fleet tests (and their worker processes) run: core's pipeline over the shipped
 * undici transport, with a fleet layer, and one operation (`GET /users/{userId}`).
 */
import { BasiqClient, BasiqConfig, type BasiqTokenStore } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { Effect, Layer, Schema } from "effect"

export const clientLayer = (options: {
  readonly apiKey: string
  readonly baseUrl: string
  readonly timeout?: BasiqConfig.Options["timeout"]
  readonly fleet: BasiqTokenStore.Fleet
}) =>
  BasiqClient.layerFrom(
    BasiqConfig.layer({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout })
    })
  ).pipe(Layer.provide(UndiciHttpClient.layer), Layer.provide(options.fleet))

export const getUser = Effect.map(BasiqClient.BasiqClient, (basiq) =>
  basiq.operation({
    name: "getUser",
    span: "basiq.users.getUser",
    method: "GET",
    path: "/users/{userId}",
    idempotent: true,
    success: BasiqClient.json(Schema.Struct({ id: Schema.String }))
  })
)
