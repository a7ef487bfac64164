import { BasiqConnections, ConnectionsTest } from "@basiq-effect/connections"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { linkBank, totalBalanceCents } from "../src/app.js"

describe("testing an application with ConnectionsTest.layer (a stub, no Basiq at all)", () => {
  const account = (id: string, balance: string | null) => ({
    type: "account",
    id,
    accountNo: id,
    name: `Account ${id}`,
    currency: "AUD",
    class: { type: "savings" },
    balance,
    availableFunds: balance
  })

  it.effect("adds up the balances, skipping accounts without one", () =>
    Effect.gen(function* () {
      expect(yield* totalBalanceCents("u1", "c1")).toBe(10_025 + 5_025 - 1_000)
    }).pipe(
      Effect.provide(
        ConnectionsTest.layer({
          getConnection: (_userId, connectionId) =>
            Effect.succeed({
              type: "connection",
              id: connectionId,
              institution: { id: "AU00000" },
              links: { self: `https://au-api.basiq.io/users/u1/connections/${connectionId}` },
              accounts: {
                type: "list",
                data: [account("a1", "100.25"), account("a2", "50.25"), account("a3", "-10.00"), account("a4", null)]
              }
            })
        })
      )
    )
  )

  it.effect("an operation the stub does not implement dies naming it", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(totalBalanceCents("u1", "c1"))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain("getConnection")
    }).pipe(Effect.provide(ConnectionsTest.layer({})))
  )
})

describe("testing an application with InMemoryBasiq.layer on virtual time", () => {
  const layer = () =>
    BasiqConnections.layerWithoutHttpClient({ apiKey: "test-key" }).pipe(
      Layer.provideMerge(InMemoryBasiq.layer({ stepDuration: "2 seconds" }))
    )

  it.effect("links a bank and reads its balance", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const user = yield* basiq.createUser()
      const fiber = yield* Effect.fork(
        linkBank(user.id, { loginId: "Wentworth-Smith", password: "whislter" }, "AU00000")
      )
      yield* TestClock.adjust("1 minute")
      const connectionId = yield* Fiber.join(fiber)
      const cents = yield* totalBalanceCents(user.id, connectionId)
      expect(Number.isInteger(cents)).toBe(true)
      expect(cents).not.toBe(0)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a locked login fails with the job's typed error", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const user = yield* basiq.createUser()
      const fiber = yield* Effect.fork(
        Effect.flip(linkBank(user.id, { loginId: "bighead", password: "password" }, "AU00000"))
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("BasiqJobFailedError")
      if (error._tag === "BasiqJobFailedError") expect(error.code).toBe("invalid-credentials")
    }).pipe(Effect.provide(layer()))
  )
})
