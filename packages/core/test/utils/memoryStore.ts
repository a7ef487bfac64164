/**
 * An in-memory `BasiqTokenStore` for tests: entries expire on the Effect `Clock`, every operation
 * is counted, and faults can be switched on (every operation fails) or scripted per operation.
 */
import { BasiqTokenStore, BasiqTokenStoreError } from "@basiq-effect/core"
import { Clock, Duration, Effect, Option } from "effect"

export type Operation = "get" | "set" | "deleteIf" | "lock" | "unlock"

export interface MemoryStore {
  readonly service: BasiqTokenStore.Service
  /** Live entries (value and absolute expiry), by key. */
  readonly entries: Map<string, { value: Uint8Array; expiresAt: number }>
  readonly locks: Map<string, { owner: string; expiresAt: number }>
  /** Every operation, in order. */
  readonly calls: Array<{ readonly op: Operation; readonly key: string }>
  /** While true, every operation fails with `BasiqTokenStoreError`. */
  down: boolean
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

export const makeMemoryStore = (): MemoryStore => {
  const entries = new Map<string, { value: Uint8Array; expiresAt: number }>()
  const locks = new Map<string, { owner: string; expiresAt: number }>()
  const calls: Array<{ readonly op: Operation; readonly key: string }> = []
  let owners = 0
  const self: MemoryStore = {
    entries,
    locks,
    calls,
    down: false,
    service: undefined as unknown as BasiqTokenStore.Service
  }
  const op = <A>(name: Operation, key: string, f: (now: number) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      calls.push({ op: name, key })
      if (self.down) return Effect.fail(new BasiqTokenStoreError({ operation: name, reason: "connection refused" }))
      for (const [k, e] of entries) if (e.expiresAt <= now) entries.delete(k)
      for (const [k, l] of locks) if (l.expiresAt <= now) locks.delete(k)
      return Effect.succeed(f(now))
    })
  Object.assign(self, {
    service: BasiqTokenStore.BasiqTokenStore.of({
      get: (key) => op("get", key, () => Option.fromNullable(entries.get(key)?.value)),
      set: (key, sealed, ttl) =>
        op("set", key, (now) => {
          entries.set(key, { value: new Uint8Array(sealed), expiresAt: now + Duration.toMillis(ttl) })
        }),
      deleteIf: (key, sealed) =>
        op("deleteIf", key, () => {
          const e = entries.get(key)
          if (e !== undefined && equal(e.value, sealed)) entries.delete(key)
        }),
      lock: (key, ttl) =>
        op("lock", key, (now) => {
          if (locks.has(key)) return Option.none()
          const owner = `owner-${++owners}`
          locks.set(key, { owner, expiresAt: now + Duration.toMillis(ttl) })
          return Option.some(owner)
        }),
      unlock: (key, owner) =>
        op("unlock", key, () => {
          if (locks.get(key)?.owner === owner) locks.delete(key)
        })
    })
  })
  return self
}
