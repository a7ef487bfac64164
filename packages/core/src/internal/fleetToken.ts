/**
 * How `BasiqAuth` uses a `BasiqTokenStore`: read the sealed token, else take the exchange lock and
 * exchange (one exchange per key across the fleet), else wait for the holder (bounded,
 * interruptible) and take over when its lock expires. Store faults never fail a call: the process
 * falls back to its own exchange, logs one warning per outage, and rejoins when the store answers.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as BasiqTokenStore from "../BasiqTokenStore.js"
import type { BasiqTokenStoreError } from "../errors.js"
import * as Seal from "./seal.js"

/**
 * A token and when this process stops using it; `sealed` is the stored value it came from (or was
 * stored as), for the compare-and-delete of an invalidation.
 *
 * @internal
 */
export interface Obtained {
  readonly token: Redacted.Redacted<string>
  readonly expiresAt: number
  readonly sealed: Uint8Array | undefined
}

/** @internal */
export interface Fleet {
  /** A token from the store, or from `exchange` run once across the fleet. */
  readonly obtain: <E>(
    exchange: Effect.Effect<{ readonly token: Redacted.Redacted<string>; readonly expiresAt: number }, E>
  ) => Effect.Effect<Obtained, E>
  /** Removes the stored token if it is still `sealed` (a 401/403 on it). */
  readonly invalidate: (sealed: Uint8Array) => Effect.Effect<void>
}

/** @internal */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly apiVersion: string
  /** How long the exchange lock is held at most (a crashed holder's lock expires after it). */
  readonly lockTtl: Duration.Duration
  /** How long a process waits for another's exchange before exchanging on its own. */
  readonly maxWait: Duration.Duration
  /** Bound of one store operation (a store that does not answer is a fault). */
  readonly operationTimeout: Duration.Duration
}

/**
 * The bounds `BasiqAuth` uses, from the per-attempt timeout: the lock lives as long as one
 * attempt (at least 1 s, at most 10 s); waiters give up after two lock lifetimes.
 *
 * @internal
 */
export const boundsFor = (timeout: Duration.Duration) => {
  const lockMillis = Math.min(10_000, Math.max(1_000, Duration.toMillis(timeout)))
  return {
    lockTtl: Duration.millis(lockMillis),
    maxWait: Duration.millis(2 * lockMillis + 1_000),
    operationTimeout: Duration.seconds(1)
  }
}

const pollFirst = 20
const pollMax = 250

/** @internal */
export const make = (store: BasiqTokenStore.Service, options: Options): Effect.Effect<Fleet> =>
  Effect.gen(function* () {
    const keys = yield* Effect.cached(Seal.deriveKeys(options.apiKey, options.baseUrl, options.apiVersion))
    // One warning per outage: set at the first failure, cleared by the next answer.
    let down = false

    /** A store operation: `None` when it failed (then the caller falls back). */
    const guarded = <A>(self: Effect.Effect<A, BasiqTokenStoreError>): Effect.Effect<Option.Option<A>> =>
      self.pipe(
        Effect.timeoutFail({
          duration: options.operationTimeout,
          onTimeout: () => ({ _tag: "Timeout" as const, reason: "no answer in time" })
        }),
        Effect.matchCauseEffect({
          onFailure: (cause) => {
            if (down) return Effect.succeedNone
            down = true
            const reason = cause._tag === "Fail" ? cause.error.reason : "the store failed unexpectedly"
            return Effect.as(
              Effect.logWarning(
                `Basiq token store unavailable (${reason}): using this process's own token cache and exchange until it answers again`
              ),
              Option.none()
            )
          },
          onSuccess: (value) => {
            if (!down) return Effect.succeedSome(value)
            down = false
            return Effect.as(
              Effect.logInfo("Basiq token store answers again: sharing the fleet's token"),
              Option.some(value)
            )
          }
        })
      )

    /**
     * The stored token if it opens and is still valid. A read is tried twice before it counts as a
     * fault: a busy process (hundreds of calls starting at once) can see its own event loop make a
     * store's answer late, and a read is safe to repeat.
     */
    const read = (k: Seal.Keys): Effect.Effect<Option.Option<Option.Option<Obtained>>> =>
      Effect.flatMap(guarded(Effect.orElse(store.get(k.token), () => store.get(k.token))), (got) => {
        if (Option.isNone(got)) return Effect.succeedNone
        if (Option.isNone(got.value)) return Effect.succeedSome(Option.none())
        const sealed = got.value.value
        return Effect.flatMap(Seal.open(k, sealed), (opened) =>
          Effect.map(Clock.currentTimeMillis, (now) =>
            Option.some(
              Option.isSome(opened) && opened.value.expiresAt > now
                ? Option.some({ token: opened.value.token, expiresAt: opened.value.expiresAt, sealed })
                : Option.none()
            )
          )
        )
      })

    const exchangeAndStore = <E>(
      k: Seal.Keys,
      exchange: Effect.Effect<{ readonly token: Redacted.Redacted<string>; readonly expiresAt: number }, E>
    ): Effect.Effect<Obtained, E> =>
      Effect.flatMap(exchange, (fresh) =>
        Effect.flatMap(Seal.seal(k, fresh), (sealed) => {
          if (Option.isNone(sealed)) return Effect.succeed({ ...fresh, sealed: undefined })
          return Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const ttl = fresh.expiresAt - now
            if (ttl <= 0) return Effect.succeed({ ...fresh, sealed: undefined })
            return Effect.map(guarded(store.set(k.token, sealed.value, Duration.millis(ttl))), (stored) => ({
              ...fresh,
              sealed: Option.isSome(stored) ? sealed.value : undefined
            }))
          })
        })
      )

    const local = <E>(
      exchange: Effect.Effect<{ readonly token: Redacted.Redacted<string>; readonly expiresAt: number }, E>
    ): Effect.Effect<Obtained, E> => Effect.map(exchange, (fresh) => ({ ...fresh, sealed: undefined }))

    const obtain: Fleet["obtain"] = (exchange) =>
      Effect.flatMap(keys, (maybeKeys) => {
        if (Option.isNone(maybeKeys)) return local(exchange)
        const k = maybeKeys.value
        const maxWaitMillis = Duration.toMillis(options.maxWait)
        const loop = (startedAt: number, poll: number): Effect.Effect<Obtained, Effect.Effect.Error<typeof exchange>> =>
          Effect.flatMap(read(k), (found) => {
            if (Option.isNone(found)) return local(exchange)
            if (Option.isSome(found.value)) return Effect.succeed(found.value.value)
            return Effect.flatMap(guarded(store.lock(k.lock, options.lockTtl)), (locked) => {
              if (Option.isNone(locked)) return local(exchange)
              if (Option.isSome(locked.value)) {
                const owner = locked.value.value
                // Another process may have stored a token between our read and our lock.
                return Effect.flatMap(read(k), (again) =>
                  Option.isSome(again) && Option.isSome(again.value)
                    ? Effect.succeed(again.value.value)
                    : exchangeAndStore(k, exchange)
                ).pipe(Effect.ensuring(guarded(store.unlock(k.lock, owner))))
              }
              // Someone else is exchanging: wait for its token, or for its lock to expire.
              return Effect.flatMap(Clock.currentTimeMillis, (now) =>
                now - startedAt >= maxWaitMillis
                  ? local(exchange)
                  : Effect.zipRight(
                      Effect.sleep(Duration.millis(poll)),
                      loop(startedAt, Math.min(pollMax, Math.ceil(poll * 1.5)))
                    )
              )
            })
          })
        return Effect.flatMap(Clock.currentTimeMillis, (startedAt) => loop(startedAt, pollFirst))
      })

    const invalidate = (sealed: Uint8Array): Effect.Effect<void> =>
      Effect.flatMap(keys, (maybeKeys) =>
        Option.isNone(maybeKeys) ? Effect.void : Effect.asVoid(guarded(store.deleteIf(maybeKeys.value.token, sealed)))
      )

    return { obtain, invalidate }
  })
