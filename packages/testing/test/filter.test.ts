import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import type { List, Summary } from "./helpers.js"
import { errorOf, send, setup } from "./helpers.js"

/** A user with three seeded connections; returns a function listing ids for a filter. */
const fixture = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const { token: t, userId } = yield* setup
  const a = yield* basiq.seedConnection({ userId, institutionId: "AU00000", status: "active" })
  yield* TestClock.adjust("1 second")
  const b = yield* basiq.seedConnection({ userId, institutionId: "AU00002", status: "invalid" })
  const c = yield* basiq.seedConnection({ userId, institutionId: "AU00004", status: "pending" })
  const list = (filter: string) =>
    send("GET", `/users/${userId}/connections?filter=${encodeURIComponent(filter)}`, { token: t })
  const ids = (filter: string) =>
    Effect.map(list(filter), (reply) => {
      expect(reply.status, filter).toBe(200)
      return (reply.body as List<Summary>).data.map((s) => s.id).sort()
    })
  return { a: a.id, b: b.id, c: c.id, list, ids, token: t, userId }
})

describe("connection filters", () => {
  it.effect("every property and operator", () =>
    Effect.gen(function* () {
      const { a, b, c, ids } = yield* fixture
      const sorted = (...xs: Array<string>) => [...xs].sort()
      expect(yield* ids("")).toEqual(sorted(a, b, c))
      expect(yield* ids(`id.eq('${a}')`)).toEqual([a])
      expect(yield* ids(`id.ne('${a}')`)).toEqual(sorted(b, c))
      expect(yield* ids("status.eq('active')")).toEqual([a])
      expect(yield* ids("status.ne('active')")).toEqual(sorted(b, c))
      expect(yield* ids("institution.id.eq('AU00002')")).toEqual([b])
      expect(yield* ids("institution.id.gt('AU00000')")).toEqual(sorted(b, c))
      expect(yield* ids("institution.id.gteq('AU00002')")).toEqual(sorted(b, c))
      expect(yield* ids("institution.id.lt('AU00002')")).toEqual([a])
      expect(yield* ids("institution.id.lteq('AU00002')")).toEqual(sorted(a, b))
      expect(yield* ids("institution.id.bt('AU00000','AU00002')")).toEqual(sorted(a, b))
      expect(yield* ids("institution.id.bt('AU00001', 'AU00004')")).toEqual(sorted(b, c))
      expect(yield* ids("status.bt('invalid','pending')")).toEqual(sorted(b, c))
      expect(yield* ids("status.eq('nothing')")).toEqual([])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("comma means AND", () =>
    Effect.gen(function* () {
      const { b, c, ids } = yield* fixture
      expect(yield* ids("institution.id.gt('AU00000'),status.eq('pending')")).toEqual([c])
      expect(yield* ids("status.ne('active'), institution.id.lteq('AU00002')")).toEqual([b])
      expect(yield* ids("status.eq('active'),status.eq('invalid')")).toEqual([])
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("the list's self link keeps the filter", () =>
    Effect.gen(function* () {
      const { list, userId } = yield* fixture
      const reply = yield* list("status.eq('active')")
      expect((reply.body as List<Summary>).links?.self).toBe(
        `https://au-api.basiq.io/users/${userId}/connections?filter=${encodeURIComponent("status.eq('active')")}`
      )
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("a malformed filter is 400 parameter-not-valid with source.parameter filter", () =>
    Effect.gen(function* () {
      const { list } = yield* fixture
      const malformed = [
        "status",
        "status.eq(active)",
        "status.eq('active'",
        "status.equals('active')",
        "name.eq('x')",
        "institution.eq('AU00000')",
        "status.bt('a')",
        "status.eq('a','b')",
        "status.eq('active'),",
        "status.eq('active');id.eq('x')",
        "status.eq('active') id.eq('x')",
        ",status.eq('active')",
        'status.eq("active")'
      ]
      for (const filter of malformed) {
        const reply = yield* list(filter)
        expect(reply.status, filter).toBe(400)
        expect(errorOf(reply)).toMatchObject({
          type: "error",
          code: "parameter-not-valid",
          source: { parameter: "filter" }
        })
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
