import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { BASE, errorOf, send, token } from "./helpers.js"

describe("users", () => {
  it.effect("POST /users answers 201 with the user; GET /users/{id} reads it back", () =>
    Effect.gen(function* () {
      const t = yield* token
      const created = yield* send("POST", "/users", {
        token: t,
        json: { email: "gavin@hooli.com", mobile: "+61410888666" }
      })
      expect(created.status).toBe(201)
      const user = created.body as InMemoryBasiq.User
      expect(user).toEqual({
        type: "user",
        id: user.id,
        email: "gavin@hooli.com",
        mobile: "+61410888666",
        links: { self: `${BASE}/users/${user.id}` }
      })
      const read = yield* send("GET", `/users/${user.id}`, {
        token: t,
        headers: { "content-type": "application/json" }
      })
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({ ...user, links: { self: user.links.self } })
      const mobileOnly = yield* send("POST", "/users", { token: t, json: { mobile: "+61410000000" } })
      expect(mobileOnly.status).toBe(201)
      expect(mobileOnly.body).toMatchObject({ email: "", mobile: "+61410000000" })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("404 resource-not-found for an unknown user", () =>
    Effect.gen(function* () {
      const reply = yield* send("GET", "/users/nobody", { token: yield* token })
      expect(reply.status).toBe(404)
      expect(errorOf(reply)).toMatchObject({ type: "error", code: "resource-not-found" })
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("refuses bodies Basiq refuses", () =>
    Effect.gen(function* () {
      const t = yield* token
      const neither = yield* send("POST", "/users", { token: t, json: { firstName: "Gavin" } })
      expect(neither.status).toBe(400)
      expect(errorOf(neither)).toMatchObject({ code: "parameter-not-supplied", source: {} })
      const wrongType = yield* send("POST", "/users", { token: t, json: { email: 42 } })
      expect(wrongType.status).toBe(400)
      expect(errorOf(wrongType)).toMatchObject({
        code: "parameter-not-valid",
        source: { parameter: "email", pointer: "/email" }
      })
      const empty = yield* send("POST", "/users", { token: t, body: "" })
      expect(empty.status).toBe(400)
      expect(errorOf(empty)?.code).toBe("parameter-not-supplied")
      const garbled = yield* send("POST", "/users", { token: t, body: "{email:" })
      expect(garbled.status).toBe(400)
      expect(errorOf(garbled)?.code).toBe("invalid-content")
      const notObject = yield* send("POST", "/users", { token: t, body: "[]" })
      expect(notObject.status).toBe(400)
      expect(errorOf(notObject)?.code).toBe("parameter-not-valid")
      const text = yield* send("POST", "/users", { token: t, body: "email=a@b.c", contentType: "text/plain" })
      expect(text.status).toBe(415)
      expect(text.headers["content-type"]).toContain("application/json")
      expect(errorOf(text)?.code).toBe("unsupported-content-type")
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("createUser() adds a user the routes know", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const user = yield* basiq.createUser({ email: "richard@piedpiper.com" })
      expect(user).toMatchObject({ type: "user", email: "richard@piedpiper.com", mobile: "" })
      const read = yield* send("GET", `/users/${user.id}`, { token: yield* token })
      expect(read.body).toMatchObject({ ...user, links: { self: user.links.self } })
      const bare = yield* basiq.createUser()
      expect(bare.id).not.toBe(user.id)
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )

  it.effect("each build of the layer starts empty", () =>
    Effect.gen(function* () {
      const layer = InMemoryBasiq.layer()
      const userId = yield* Effect.provide(
        Effect.flatMap(InMemoryBasiq.InMemoryBasiq, (basiq) => basiq.createUser()),
        layer
      )
      const reply = yield* Effect.provide(
        Effect.flatMap(token, (t) => send("GET", `/users/${userId.id}`, { token: t })),
        layer
      )
      expect(reply.status).toBe(404)
    })
  )

  it.effect("unknown routes answer 404 in Basiq's envelope", () =>
    Effect.gen(function* () {
      const t = yield* token
      for (const [method, path] of [
        ["GET", "/institutions"],
        ["PUT", "/users"],
        ["GET", "/token"]
      ] as const) {
        const reply = yield* send(method, path, { token: t })
        expect(reply.status).toBe(404)
        expect(errorOf(reply)?.code).toBe("resource-not-found")
      }
    }).pipe(Effect.provide(InMemoryBasiq.layer()))
  )
})
