import { BasiqClient, BasiqConfig } from "@basiq-effect/core"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, Schema } from "effect"

describe("smoke", () => {
  it.effect("declares and runs an operation", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make<Array<string>>([])
      const fake = HttpClient.make((request, url) =>
        Effect.gen(function* () {
          yield* Ref.update(calls, (c) => [...c, `${request.method} ${url.pathname}`])
          if (url.pathname === "/token") {
            return HttpClientResponse.fromWeb(
              request,
              new Response(JSON.stringify({ access_token: "tok", token_type: "Bearer", expires_in: 3600 }), {
                status: 200
              })
            )
          }
          return HttpClientResponse.fromWeb(
            request,
            new Response(JSON.stringify({ id: "c1", extra: 1 }), { status: 200 })
          )
        })
      )
      const layer = BasiqClient.layerFrom(BasiqConfig.layer({ apiKey: "key" })).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake))
      )
      const result = yield* Effect.gen(function* () {
        const client = yield* BasiqClient.BasiqClient
        const op = client.operation({
          name: "getThing",
          span: "basiq.test.getThing",
          method: "GET",
          path: "/users/{userId}/things/{thingId}",
          idempotent: true,
          success: BasiqClient.json(Schema.Struct({ id: Schema.String }))
        })
        const a = yield* op({ params: { userId: "u1", thingId: "t1" } })
        const b = yield* op({ params: { userId: "u1", thingId: "t2" } })
        const bad = yield* Effect.flip(op({ params: { userId: "../x", thingId: "t2" } }))
        return { a, b, bad }
      }).pipe(Effect.provide(layer))
      expect(result.a).toEqual({ id: "c1" })
      expect(result.bad._tag).toBe("BasiqInvalidRequestError")
      expect(yield* Ref.get(calls)).toEqual(["POST /token", "GET /users/u1/things/t1", "GET /users/u1/things/t2"])
    })
  )
})
