/**
 * `ConnectionsTest.layer`: a stub `Connections` for application unit tests. The second `describe`
 * is the documented example: an application function that uses `Connections.Connections`, tested
 * without any HTTP.
 */
import { BasiqError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Either, Exit, Option, Redacted, Ref } from "effect"
import * as ConnectionFilter from "../src/ConnectionFilter.js"
import * as ConnectionSchemas from "../src/ConnectionSchemas.js"
import * as Connections from "../src/Connections.js"
import * as ConnectionsTest from "../src/ConnectionsTest.js"

const userId = "user-1"

const connection = (id: string, balances: ReadonlyArray<string | null>): ConnectionSchemas.Connection => ({
  type: "connection",
  id,
  status: "active",
  institution: { type: "institution", id: "AU00000" },
  accounts: {
    type: "list",
    data: balances.map((balance, i) => ({
      type: "account",
      id: `${id}-acc-${i}`,
      accountNo: String(i),
      name: `Account ${i}`,
      currency: "AUD",
      class: { type: "savings" },
      balance,
      availableFunds: balance
    }))
  },
  links: { self: `https://au-api.basiq.io/users/${userId}/connections/${id}` }
})

const allOperations: ReadonlyArray<{
  readonly name: keyof Connections.Service
  readonly call: (c: Connections.Service) => Effect.Effect<unknown, unknown>
}> = [
  { name: "getConnections", call: (c) => c.getConnections(userId) },
  { name: "getConnection", call: (c) => c.getConnection(userId, "c1") },
  {
    name: "postConnection",
    call: (c) =>
      c.postConnection(
        userId,
        ConnectionSchemas.makePostConnectionBody({ loginId: "l", password: "p", institution: "AU00000" })
      )
  },
  {
    name: "updateConnection",
    call: (c) => c.updateConnection(userId, "c1", ConnectionSchemas.makeUpdateConnectionBody({ password: "p" }))
  },
  { name: "deleteConnection", call: (c) => c.deleteConnection(userId, "c1") },
  { name: "refreshConnection", call: (c) => c.refreshConnection(userId, "c1") },
  { name: "refreshConnections", call: (c) => c.refreshConnections(userId) }
]

const defectMessage = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const defect = Cause.dieOption(exit.cause)
  if (Option.isNone(defect)) return undefined
  return defect.value instanceof Error ? defect.value.message : String(defect.value)
}

describe("ConnectionsTest.layer", () => {
  it.effect("runs the operations it was given, with the caller's arguments", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make<ReadonlyArray<string>>([])
      const layer = ConnectionsTest.layer({
        getConnection: (u, c) =>
          Effect.as(
            Ref.update(calls, (all) => [...all, `get ${u} ${c}`]),
            connection(c, [])
          ),
        deleteConnection: (u, c) => Ref.update(calls, (all) => [...all, `delete ${u} ${c}`]),
        refreshConnection: (_, c) => Effect.succeed({ type: "job", id: `job-${c}`, alreadyRunning: true })
      })
      const result = yield* Effect.gen(function* () {
        const connections = yield* Connections.Connections
        const got = yield* connections.getConnection("u9", "c9")
        yield* connections.deleteConnection("u9", "c8")
        const refreshed = yield* connections.refreshConnection("u9", "c7")
        return { got: got.id, refreshed }
      }).pipe(Effect.provide(layer))
      expect(result).toEqual({ got: "c9", refreshed: { type: "job", id: "job-c7", alreadyRunning: true } })
      expect(yield* Ref.get(calls)).toEqual(["get u9 c9", "delete u9 c8"])
    })
  )

  it.effect("passes a given operation's typed failure through unchanged", () =>
    Effect.gen(function* () {
      const notFound = new BasiqError.BasiqNotFoundError({
        method: "GET",
        route: "/users/{userId}/connections/{connectionId}",
        attempts: 1,
        status: 404,
        errors: []
      })
      const error = yield* Effect.flip(
        Effect.flatMap(Connections.Connections, (c) => c.getConnection(userId, "gone")).pipe(
          Effect.provide(ConnectionsTest.layer({ getConnection: () => Effect.fail(notFound) }))
        )
      )
      expect(error).toBe(notFound)
    })
  )

  for (const { call, name } of allOperations) {
    it.effect(`a missing ${name} dies with a defect naming it`, () =>
      Effect.gen(function* () {
        // every other operation is given, so the defect can only come from the missing one
        const others: Partial<Connections.Service> = Object.fromEntries(
          allOperations.filter((op) => op.name !== name).map((op) => [op.name, () => Effect.dieMessage("other")])
        )
        const exit = yield* Effect.exit(
          Effect.flatMap(Connections.Connections, call).pipe(Effect.provide(ConnectionsTest.layer(others)))
        )
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        // a defect, not a typed failure an application could mistake for Basiq's answer
        expect(Exit.isFailure(exit) && Chunk.isEmpty(Cause.failures(exit.cause))).toBe(true)
        const message = defectMessage(exit)
        expect(message).toContain(name)
        expect(message).toContain("ConnectionsTest")
      })
    )
  }

  it.effect("an empty stub still builds; every operation dies", () =>
    Effect.gen(function* () {
      const messages = yield* Effect.forEach(allOperations, ({ call }) =>
        Effect.exit(Effect.flatMap(Connections.Connections, call)).pipe(
          Effect.map(defectMessage),
          Effect.provide(ConnectionsTest.layer({}))
        )
      )
      expect(messages.map((m, i) => m?.includes(allOperations[i]!.name))).toEqual(allOperations.map(() => true))
    })
  )
})

// -------------------------------------------------------------------------------------------------
// Example: testing application code with the stub layer
// -------------------------------------------------------------------------------------------------

/**
 * Application code under test: the user's total balance over their active connections, in cents,
 * skipping accounts whose bank reports no balance. A connection that disappeared in between is
 * skipped too. It depends only on the `Connections` service, never on HTTP.
 */
const totalBalanceInCents = (user: string) =>
  Effect.gen(function* () {
    const connections = yield* Connections.Connections
    const list = yield* connections.getConnections(user, { filter: ConnectionFilter.status.eq("active") })
    let total = 0
    for (const summary of list.data) {
      const details = yield* connections
        .getConnection(user, summary.id)
        .pipe(Effect.catchTag("BasiqNotFoundError", () => Effect.succeed(undefined)))
      for (const account of details?.accounts?.data ?? []) {
        if (account.balance !== null) total += Math.round(Number(account.balance) * 100)
      }
    }
    return total
  })

/** Application code: connects a bank and reports the job to poll. */
const connectHooli = (user: string, loginId: string, password: Redacted.Redacted<string>) =>
  Effect.flatMap(Connections.Connections, (connections) =>
    connections.postConnection(
      user,
      ConnectionSchemas.makePostConnectionBody({ loginId, password, institution: "AU00000" })
    )
  ).pipe(Effect.map((job) => job.id))

describe("example: an application tested with ConnectionsTest.layer", () => {
  const summary = (id: string): ConnectionSchemas.ConnectionSummary => ({
    type: "connection",
    id,
    status: "active",
    institution: { type: "institution", id: "AU00000" },
    links: { self: `https://au-api.basiq.io/users/${userId}/connections/${id}` }
  })

  it.effect("sums the balances of the active connections, skipping unknown balances and vanished ones", () =>
    Effect.gen(function* () {
      const filters = yield* Ref.make<ReadonlyArray<string>>([])
      const TestConnections = ConnectionsTest.layer({
        getConnections: (_, options) =>
          Effect.zipRight(
            Ref.update(filters, (all) => [
              ...all,
              options?.filter === undefined
                ? "none"
                : Either.getOrElse(ConnectionFilter.render(options.filter), () => "invalid")
            ]),
            Effect.succeed({ type: "list", data: [summary("c1"), summary("c2"), summary("gone")] })
          ),
        getConnection: (_, id) =>
          id === "gone"
            ? Effect.fail(
                new BasiqError.BasiqNotFoundError({
                  method: "GET",
                  route: "/users/{userId}/connections/{connectionId}",
                  attempts: 1,
                  status: 404,
                  errors: []
                })
              )
            : Effect.succeed(id === "c1" ? connection("c1", ["100.10", null]) : connection("c2", ["-20.05"]))
      })
      const total = yield* totalBalanceInCents(userId).pipe(Effect.provide(TestConnections))
      expect(total).toBe(8005)
      // the application asked for active connections only
      expect(yield* Ref.get(filters)).toEqual(["status.eq('active')"])
    })
  )

  it.effect("creates a connection and returns the job id, with the password kept Redacted", () =>
    Effect.gen(function* () {
      const seen = yield* Ref.make<Option.Option<ConnectionSchemas.PostConnectionBody>>(Option.none())
      const TestConnections = ConnectionsTest.layer({
        postConnection: (_, body) => Effect.as(Ref.set(seen, Option.some(body)), { type: "job", id: "job-42" })
      })
      const jobId = yield* connectHooli(userId, "gavin", Redacted.make("hooli2016")).pipe(
        Effect.provide(TestConnections)
      )
      expect(jobId).toBe("job-42")
      const body = Option.getOrThrow(yield* Ref.get(seen))
      expect(Redacted.value(body.password)).toBe("hooli2016")
      expect(body.institution.id).toBe("AU00000")
      expect(String(body.password)).not.toContain("hooli2016")
    })
  )

  it.effect("an application calling an operation the test did not stub fails loudly", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        connectHooli(userId, "gavin", Redacted.make("x")).pipe(Effect.provide(ConnectionsTest.layer({})))
      )
      expect(defectMessage(exit)).toContain("postConnection")
    })
  )
})
