/**
 * A user's consents as Effects: list them, delete one.
 *
 * @since 0.1.0
 */
import { BasiqClient, type BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ConsentSchemas from "./ConsentSchemas.js"

/**
 * The Consents service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `GET /users/{userId}/consents`: active, revoked and expired consents. */
  readonly getConsents: (
    userId: string
  ) => Effect.Effect<ConsentSchemas.ConsentList, BasiqError.RequestFailure | BasiqError.BasiqDecodeError>
  /**
   * `DELETE /users/{userId}/consents/{consentId}` (204): permanently deletes the consent and the
   * connections it covers.
   */
  readonly deleteConsent: (userId: string, consentId: string) => Effect.Effect<void, BasiqError.RequestFailure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Consents extends Context.Tag("@basiq-effect/users/Consents")<Consents, Service>() {}

/**
 * Builds the service on the core client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient
  const list = client.operation({
    name: "getConsents",
    span: "basiq.consents.getConsents",
    method: "GET",
    path: "/users/{userId}/consents",
    success: BasiqClient.json(ConsentSchemas.ConsentList),
    idempotent: true
  })
  const remove = client.operation({
    name: "deleteConsent",
    span: "basiq.consents.deleteConsent",
    method: "DELETE",
    path: "/users/{userId}/consents/{consentId}",
    success: BasiqClient.noContent,
    idempotent: true
  })
  return Consents.of({
    getConsents: (userId) => list({ params: { userId } }),
    deleteConsent: (userId, consentId) => remove({ params: { userId, consentId } })
  })
})

/**
 * The Consents layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Consents, never, BasiqClient.BasiqClient> = Layer.effect(Consents, make)
