import { InMemoryBasiq } from "@basiq-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as ClientToken from "../src/clientToken.js"
import * as ConnectionsExample from "../src/connections.js"
import * as Demo from "../src/demo.js"
import * as Errors from "../src/errors.js"
import * as Facade from "../src/facade.js"
import * as Promises from "../src/promises.js"
import * as Retries from "../src/retries.js"
import { inMemory } from "../src/runMain.js"
import * as UsersExample from "../src/users.js"
import * as WebhooksExample from "../src/webhooks.js"

/** Runs an example program on virtual time: fork it, move the clock, join. */
const onVirtualTime = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(program)
    yield* TestClock.adjust("1 minute")
    return yield* Fiber.join(fiber)
  })

describe("examples", () => {
  it.effect("demo (pnpm start): the v3 journey on TestClock, the webhook verified, the data purged", () =>
    Effect.gen(function* () {
      const inbox = yield* Demo.makeInbox
      const fiber = yield* Effect.fork(Demo.journey(inbox).pipe(Effect.provide(Demo.layer(inbox.handler))))
      for (let i = 0; i < 60 && fiber.unsafePoll() === null; i++) yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      expect(result).toEqual({
        verified: "connection.created",
        event: "connection.created",
        state: "signup-42",
        accountsBefore: 4,
        accountsAfter: 0
      })
    })
  )

  it.effect("connections: a connection's life, from login to delete", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(ConnectionsExample.inMemoryLifecycle)
      for (let i = 0; i < 120 && fiber.unsafePoll() === null; i++) yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const journal = yield* basiq.journal
      // It ends by itself (a step that went wrong dies): one delete, one MFA answer, three logins.
      expect(journal.filter((e) => e.method === "DELETE").map((e) => e.path)).toEqual([
        expect.stringMatching(/^\/users\/[^/]+\/connections\/[^/]+$/)
      ])
      expect(journal.filter((e) => e.method === "POST" && e.path.endsWith("/mfa"))).toHaveLength(1)
      expect(journal.filter((e) => e.method === "POST" && /\/connections$/.test(e.path))).toHaveLength(3)
    }).pipe(Effect.provide(ConnectionsExample.layer()))
  )

  it.effect("webhooks: subscribe, receive, verify (a tampered body refused), fetch the event", () =>
    Effect.gen(function* () {
      const inbox = yield* WebhooksExample.makeInbox
      const fiber = yield* Effect.fork(
        WebhooksExample.program(inbox).pipe(Effect.provide(WebhooksExample.layer(inbox.handler)))
      )
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      expect(result.eventType).toBe("created")
      expect(result.forged).toBe("NoMatchingSignature")
    })
  )

  it.effect("users: user, consent link, redirect, job, consents, purge, delete", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(UsersExample.program)
      yield* TestClock.adjust("5 minutes")
      const result = yield* Fiber.join(fiber)
      expect(result.accountsBefore).toBeGreaterThan(0)
      expect(result.accountsAfter).toBe(0)
      expect(result.consents).toEqual(["active"])
      expect(result.state).toBe("signup-42")
    }).pipe(Effect.provide(UsersExample.layer()))
  )

  it.effect("retries: two 503s are retried away; a long Retry-After fails at once", () =>
    Effect.gen(function* () {
      const result = yield* onVirtualTime(Retries.program)
      expect(result.attempts).toBe(3)
      expect(result.rateLimited).toBe(3600)
    }).pipe(Effect.provide(inMemory()))
  )

  it.effect("errors: each failure is explained by its tag", () =>
    Effect.gen(function* () {
      const lines = yield* onVirtualTime(Errors.program)
      expect(lines[0]).toMatch(/^ok: /)
      expect(lines.slice(1)).toEqual([
        "404 not found on /users/{userId}/connections/{connectionId}",
        "refused before sending: connectionId",
        "400 bad request (parameter-not-valid) — fix the request",
        "403 forbidden (forbidden-access) — scope or limit",
        "500 server error after 2 attempts",
        "unexpected body at institution: expected a value (the field is missing)",
        "502 server error after 1 attempts"
      ])
    }).pipe(Effect.provide(inMemory()))
  )

  it.effect("client token: a consent UI link carrying a token", () =>
    Effect.gen(function* () {
      const result = yield* ClientToken.program
      expect(result).toEqual({ host: "consent.basiq.io", hasToken: true })
      const journal = yield* (yield* InMemoryBasiq.InMemoryBasiq).journal
      const tokenRequests = journal.filter((e) => e.path === "/token")
      expect(tokenRequests).toHaveLength(1)
      expect(JSON.stringify(tokenRequests[0]?.body)).toContain("CLIENT_ACCESS")
    }).pipe(Effect.provide(inMemory()))
  )

  it.live("promises: the v3 journey with createBasiqClient, consenting through the fake's consent page", () =>
    Effect.gen(function* () {
      const fake = yield* InMemoryBasiq.serve({ stepDuration: "5 millis" })
      const lines: Array<string> = []
      const result = yield* Effect.promise(() => Promises.journey(fake.url, fake.consentUrl, (l) => lines.push(l)))
      expect(result).toEqual({ state: "signup-42", accounts: 4, accountsAfterPurge: 0, gone: "gone (404)" })
      expect(lines.join("\n")).toContain("token=<hidden>")
      expect(lines.join("\n")).not.toMatch(/token=(?!<hidden>)/)
    }).pipe(Effect.scoped)
  )

  it.live("facade: the lifecycle with promises over the served fake", () =>
    Effect.gen(function* () {
      const fake = yield* InMemoryBasiq.serve({ stepDuration: "5 millis" })
      const user = yield* fake.control.createUser()
      const seen = yield* Effect.promise(() => Facade.lifecycle(fake.url, user.id))
      expect(seen.at(-5)).toMatch(/retrieve-transactions:success$/)
      expect(seen.slice(-4)).toEqual([
        "accounts: 4",
        "active connections: 1",
        "after delete: 404 resource-not-found",
        "locked login: invalid-credentials"
      ])
    }).pipe(Effect.scoped)
  )
})
