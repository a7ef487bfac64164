import { describe, expect, it } from "@effect/vitest"
import { Effect, ParseResult, Schema } from "effect"
import { ConsentSchemas, Consents, UserSchemas, Users, UsersTest } from "../src/index.js"

const { fixtures } = UsersTest

const roundTrips = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  expect(Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(value))).toEqual(value)

describe("UsersTest.fixtures", () => {
  it("user and consent are valid, with overrides applied", () => {
    const user = fixtures.user({ id: "u9", firstName: "Max" })
    roundTrips(UserSchemas.User, user)
    expect(user).toMatchObject({ id: "u9", firstName: "Max", email: "max@example.com" })
    expect(user.links?.self).toMatch(/\/users\/u9$/)

    const consent = fixtures.consent({ status: "revoked", revoked: "2026-02-01T00:00:00Z" })
    roundTrips(ConsentSchemas.Consent, consent)
    expect(consent.status).toBe("revoked")

    const list = fixtures.consentList([fixtures.consent(), consent])
    roundTrips(ConsentSchemas.ConsentList, list)
    expect(list.size).toBe(2)
  })

  it("an override that breaks the schema throws a ParseError", () => {
    const bad: Partial<ConsentSchemas.Consent> = JSON.parse('{"status": 7}')
    expect(() => fixtures.consent(bad)).toThrow(ParseResult.ParseError)
  })

  it.effect("stub layers return them without casts", () =>
    Effect.gen(function* () {
      const users = yield* Users.Users
      const consents = yield* Consents.Consents
      expect((yield* users.getUser("u1")).id).toBe("u1")
      expect((yield* consents.getConsents("u1")).data.map((c) => c.status)).toEqual(["active"])
    }).pipe(
      Effect.provide(UsersTest.layer({ getUser: (userId) => Effect.succeed(fixtures.user({ id: userId })) })),
      Effect.provide(
        UsersTest.layerConsents({ getConsents: () => Effect.succeed(fixtures.consentList([fixtures.consent()])) })
      )
    )
  )
})
