import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startRedis } from "../../packages/redis/test/utils/redisServer.js"
import * as Fleet from "../src/fleet.js"

describe("examples: fleet", () => {
  it.scopedLive(
    "five workers on a real Redis: one /token exchange, every call answered",
    () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const result = yield* Fleet.program(redis.url)
        expect(result).toEqual({ ok: 40, connections: 0, exchanges: 1 })
      }),
    30_000
  )
})
