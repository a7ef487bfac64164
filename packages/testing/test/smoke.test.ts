import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { connect, getJob, send, setup, statuses } from "./helpers.js"

describe("smoke", () => {
  it.effect("works", () =>
    Effect.gen(function* () {
      const { token, userId } = yield* setup
      const jobId = yield* connect(token, userId, "gavinBelson", "hooli2016")
      yield* TestClock.adjust("1500 millis")
      yield* TestClock.adjust("5 seconds")
      const job = yield* getJob(token, jobId)
      const c = yield* send("GET", `/users/${userId}/connections/${job.links.source.split("/").pop()}`, { token })
      expect(1).toBe(1)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
