/**
 * `Basiq.layerWithoutHttpClient({ fleet })`: two "processes" (two layers, two token caches) over
 * one Basiq and one shared token store make one `/token` exchange between them; the stored value
 * is sealed (the token never appears in it).
 */
import { InMemoryBasiq } from "@basiq-effect/testing"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Basiq, BasiqTokenStore, Users } from "basiq-effect"
import { Effect, Layer } from "effect"
import { makeMemoryStore } from "../../core/test/utils/memoryStore.js"

describe("Basiq layers with the fleet option", () => {
  it.live("two processes sharing a store: one exchange, a sealed value", () =>
    Effect.gen(function* () {
      const store = makeMemoryStore()
      const fleet = Layer.succeed(BasiqTokenStore.BasiqTokenStore, store.service)
      const fake = yield* InMemoryBasiq.InMemoryBasiq
      const http = Layer.succeed(HttpClient.HttpClient, yield* HttpClient.HttpClient)
      const process = () =>
        Basiq.layerWithoutHttpClient({ apiKey: "fleet-key", fleet }).pipe(Layer.provide(http), Layer.orDie)
      const createUser = (email: string) => Effect.flatMap(Users.Users, (users) => users.createUser({ email }))
      const first = yield* createUser("one@hooli.example").pipe(Effect.provide(process()))
      const second = yield* createUser("two@hooli.example").pipe(Effect.provide(process()))
      expect(first.id).not.toBe(second.id)
      const journal = yield* fake.journal
      expect(journal.filter((e) => e.path === "/token")).toHaveLength(1)
      expect(store.calls.map((c) => c.op)).toContain("set")
      const bearer = journal.find((e) => e.path === "/users")?.headers.authorization?.replace("Bearer ", "") ?? ""
      expect(bearer.length).toBeGreaterThanOrEqual(8)
      for (const { value } of store.entries.values()) {
        expect(Buffer.from(value).toString("latin1")).not.toContain(bearer)
        expect(Buffer.from(value).toString("latin1")).not.toContain("fleet-key")
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
