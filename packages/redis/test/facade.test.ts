import { createConnectionsClient } from "@basiq-effect/connections"
import { BasiqConfigError, BasiqRateLimitError } from "@basiq-effect/core"
import { BasiqRedis } from "@basiq-effect/redis"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { createBasiqClient } from "basiq-effect"
import { Effect } from "effect"
import { startRedis } from "./utils/redisServer.js"

const apiKey = "sk_facade_TEST"

const clients = (redis: { readonly admin: { client: (sub: "LIST") => Promise<unknown> } }) =>
  Effect.promise(() => redis.admin.client("LIST")).pipe(Effect.map((list) => String(list).trim().split("\n").length))

describe("createConnectionsClient({ fleet })", () => {
  it.scopedLive("two facade clients share one token through Redis; dispose() closes the connection", () =>
    Effect.gen(function* () {
      const redis = yield* startRedis
      const fake = yield* InMemoryBasiq.serve({ apiKeys: [apiKey] })
      const user = yield* fake.control.createUser({ email: "facade@example.com" })
      const before = yield* clients(redis)
      const make = () =>
        createConnectionsClient({ apiKey, baseUrl: fake.url, fleet: BasiqRedis.layer({ url: redis.url }) })
      const a = make()
      const b = make()
      yield* Effect.promise(() => a.getConnections(user.id))
      yield* Effect.promise(() => b.getConnections(user.id))
      const exchanges = (yield* fake.control.journal).filter((e) => e.path === "/token").length
      expect(exchanges).toBe(1)
      expect(yield* clients(redis)).toBe(before + 2)
      yield* Effect.promise(() => Promise.all([a.dispose(), b.dispose()]))
      expect(yield* clients(redis)).toBe(before)
    })
  )

  it.scopedLive("with a rate budget: a wait beyond maxWait rejects with the local BasiqRateLimitError", () =>
    Effect.gen(function* () {
      const redis = yield* startRedis
      const fake = yield* InMemoryBasiq.serve({ apiKeys: [apiKey] })
      const user = yield* fake.control.createUser({ email: "facade@example.com" })
      const basiq = createConnectionsClient({
        apiKey,
        baseUrl: fake.url,
        fleet: BasiqRedis.layer({ url: redis.url, rateLimit: { limit: 1, window: "1 minute", maxWait: "50 millis" } })
      })
      yield* Effect.promise(() => basiq.getConnections(user.id))
      const error = yield* Effect.promise(() =>
        basiq.getConnections(user.id).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      expect(error).toBeInstanceOf(BasiqRateLimitError)
      expect(error).toMatchObject({ source: "local" })
      expect((yield* fake.control.journal).filter((e) => e.path !== "/token")).toHaveLength(1)
      yield* Effect.promise(() => basiq.dispose())
    })
  )

  it.scopedLive("createBasiqClient takes the same option: its users calls share the fleet's token", () =>
    Effect.gen(function* () {
      const redis = yield* startRedis
      const fake = yield* InMemoryBasiq.serve({ apiKeys: [apiKey] })
      const user = yield* fake.control.createUser({ email: "umbrella@example.com" })
      const make = () => createBasiqClient({ apiKey, baseUrl: fake.url, fleet: BasiqRedis.layer({ url: redis.url }) })
      const a = make()
      const b = make()
      expect((yield* Effect.promise(() => a.users.getUser(user.id))).id).toBe(user.id)
      expect((yield* Effect.promise(() => b.connections.getConnections(user.id))).data).toEqual([])
      expect((yield* fake.control.journal).filter((e) => e.path === "/token")).toHaveLength(1)
      yield* Effect.promise(() => Promise.all([a.dispose(), b.dispose()]))
    })
  )

  it("a fleet that is not a Layer throws BasiqConfigError naming it", () => {
    expect(() => createConnectionsClient({ apiKey, fleet: {} as never })).toThrow(BasiqConfigError)
    expect(() => createBasiqClient({ apiKey, fleet: "redis://x" as never })).toThrow(/"fleet"/)
  })
})
