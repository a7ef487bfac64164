/**
 * A store shared by many processes (a fleet of workers, serverless cold starts) so that they use
 * one server token and make one `/token` exchange between them. `BasiqAuth` consults it when it
 * is in the context (e.g. `BasiqRedis.layer` from `@basiq-effect/redis`):
 *
 * 1. its own in-process cache first (a call whose token is cached makes no store round trip);
 * 2. then the store (`get`);
 * 3. then one exchange per key across the fleet, under the store's `lock`; the others wait
 *    (bounded, interruptible) for the token to appear, and take over when the lock expires.
 *
 * The store sees only opaque key names and sealed bytes: core derives the key names and seals the
 * token (AES-256-GCM with a key from HKDF-SHA256 over the API key, salted with the base URL and API
 * version; the key names come from a separate HKDF output), so a process with another API key can
 * neither find nor read the token. Only server tokens are stored, never client tokens.
 *
 * Every method may fail with `BasiqTokenStoreError`; `BasiqAuth` never lets that reach a call: it
 * falls back to its own cache and exchange, logs one warning per outage (Effect's logger), and
 * uses the store again as soon as it answers.
 *
 * Core ships no implementation.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { BasiqConfigError, BasiqTokenStoreError } from "./errors.js"

/**
 * The store's operations. `key` is an opaque name derived by core (the implementation may add its
 * own prefix); `sealed` is opaque bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The value stored at `key`, if any. */
  readonly get: (key: string) => Effect.Effect<Option.Option<Uint8Array>, BasiqTokenStoreError>
  /** Stores `sealed` at `key`, expiring after `ttl`. */
  readonly set: (key: string, sealed: Uint8Array, ttl: Duration.Duration) => Effect.Effect<void, BasiqTokenStoreError>
  /** Deletes `key` only if it still holds exactly `sealed` (compare-and-delete). */
  readonly deleteIf: (key: string, sealed: Uint8Array) => Effect.Effect<void, BasiqTokenStoreError>
  /**
   * Takes the lock `key` for `ttl` if nobody holds it (Redis: `SET key owner NX PX ttl`): an owner
   * token when taken, `None` when held by someone else.
   */
  readonly lock: (key: string, ttl: Duration.Duration) => Effect.Effect<Option.Option<string>, BasiqTokenStoreError>
  /** Releases the lock `key` only if `owner` still holds it (compare-and-delete). */
  readonly unlock: (key: string, owner: string) => Effect.Effect<void, BasiqTokenStoreError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BasiqTokenStore extends Context.Tag("@basiq-effect/core/BasiqTokenStore")<BasiqTokenStore, Service>() {}

/**
 * The `fleet` option of the facades and all-in-one layers: a layer providing `BasiqTokenStore` and
 * optionally a `BasiqRateLimiter` (e.g. `BasiqRedis.layer(...)` from `@basiq-effect/redis`). The
 * client's auth and pipeline are built with it in their context. Its only failure is a bad option
 * (`BasiqConfigError`); a store of your own that can fail otherwise maps its error (or dies).
 *
 * @since 0.1.0
 * @category models
 */
export type Fleet = Layer.Layer<BasiqTokenStore, BasiqConfigError>
