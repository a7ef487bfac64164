/**
 * `BasiqAuth.layerClientToken` (code that holds no API key) and the facades' `clientToken` option:
 * the given token is sent, `/token` is never called, a refused token is asked for once more, one
 * `get` for concurrent calls, failures not kept and never leaking the token.
 */
import { BasiqAuth, BasiqAuthenticationError, BasiqClient, BasiqConfig, BasiqConfigError } from "@basiq-effect/core"
import { PromiseFacade } from "@basiq-effect/core/facade"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Redacted } from "effect"
import { failureOf, makeFake, operations, reply } from "./utils/fake.js"

const params = { userId: "u1", thingId: "t1" }

/** Config without an API key, the client-token auth over `get`, and the fake's transport. */
const clientLayer = <E>(
  client: HttpClient.HttpClient,
  get: Effect.Effect<Redacted.Redacted<string>, E>
): Layer.Layer<BasiqClient.BasiqClient | BasiqAuth.BasiqAuth | BasiqConfig.BasiqConfig> =>
  BasiqClient.layer.pipe(
    Layer.provideMerge(BasiqAuth.layerClientToken(get)),
    Layer.provideMerge(BasiqConfig.layer({})),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
    Layer.orDie
  )

describe("BasiqAuth.layerClientToken", () => {
  it.effect("sends the given token, never calls /token, and asks once for concurrent calls", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { id: "t1" }) })
      let asked = 0
      const gate = yield* Deferred.make<void>()
      const get = Effect.zipRight(
        Deferred.await(gate),
        Effect.sync(() => Redacted.make(`client_${++asked}`))
      )
      yield* Effect.gen(function* () {
        const ops = yield* operations
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(ops.getThing({ params })))
        yield* Deferred.succeed(gate, undefined)
        for (const fiber of fibers) expect(yield* Fiber.join(fiber)).toEqual({ id: "t1" })
        yield* ops.getThing({ params })
      }).pipe(Effect.provide(clientLayer(fake.client, get)))
      expect(asked).toBe(1)
      expect(yield* fake.tokenRequests).toHaveLength(0)
      const api = yield* fake.apiRequests
      expect(api.map((s) => s.bearer)).toEqual(["client_1", "client_1", "client_1", "client_1"])
    })
  )

  it.effect("a 401 asks get once more and retries once with the new token", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({
        api: (sent) =>
          sent.bearer === "client_1" ? reply.json(401, { type: "list", data: [] }) : reply.json(200, { id: "t1" })
      })
      let asked = 0
      const get = Effect.sync(() => Redacted.make(`client_${++asked}`))
      const result = yield* Effect.flatMap(operations, (ops) => ops.getThing({ params })).pipe(
        Effect.provide(clientLayer(fake.client, get))
      )
      expect(result).toEqual({ id: "t1" })
      expect(asked).toBe(2)
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["client_1", "client_2"])
      expect(yield* fake.tokenRequests).toHaveLength(0)
    })
  )

  it.effect("a failing get is BasiqAuthenticationError, is not kept, and sends nothing", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { id: "t1" }) })
      let asked = 0
      const get = Effect.suspend(() =>
        ++asked === 1 ? Effect.fail("backend down" as const) : Effect.succeed(Redacted.make("client_ok"))
      )
      const layer = clientLayer(fake.client, get)
      const [first, second] = yield* Effect.gen(function* () {
        const ops = yield* operations
        const first = yield* Effect.exit(ops.getThing({ params }))
        const second = yield* Effect.exit(ops.getThing({ params }))
        return [first, second] as const
      }).pipe(Effect.provide(layer))
      const error = failureOf(first)
      expect(error).toBeInstanceOf(BasiqAuthenticationError)
      expect(error.message).toContain("client token getter failed")
      expect(Exit.isSuccess(second)).toBe(true)
      expect(asked).toBe(2)
      expect(JSON.stringify(error)).not.toContain("backend down")
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["client_ok"])
    })
  )

  it.effect("clientToken(userId) needs the API key: a typed error, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const exit = yield* Effect.flatMap(BasiqAuth.BasiqAuth, (auth) => auth.clientToken("u1")).pipe(
        Effect.provide(clientLayer(fake.client, Effect.succeed(Redacted.make("client_x")))),
        Effect.exit
      )
      expect(failureOf(exit)).toBeInstanceOf(BasiqAuthenticationError)
      expect(yield* fake.sent).toHaveLength(0)
    })
  )

  it.effect("BasiqAuth.layer without an API key fails to build with BasiqConfigError naming apiKey", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const exit = yield* Effect.exit(
        Layer.build(
          BasiqAuth.layer.pipe(
            Layer.provide(BasiqConfig.layer({})),
            Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
          )
        ).pipe(Effect.scoped)
      )
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(BasiqConfigError)
      expect(error.message).toContain("apiKey")
    })
  )
})

describe("facade clientToken option", () => {
  const transport = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make(() => Effect.never)
  )
  it("exactly one of apiKey and clientToken; clientToken must be a function", () => {
    const cases: ReadonlyArray<[PromiseFacade.ClientOptions, string]> = [
      [{}, "apiKey"],
      [{ apiKey: "k", clientToken: async () => "t" }, "clientToken"],
      [{ clientToken: "t" as unknown as () => Promise<string> }, "clientToken"]
    ]
    for (const [options, option] of cases) {
      let thrown: unknown
      try {
        PromiseFacade.clientLayer(options, transport)
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeInstanceOf(BasiqConfigError)
      expect((thrown as BasiqConfigError).option).toBe(option)
    }
  })

  it.effect("a facade with clientToken sends that token; a bad resolution is a typed rejection", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { id: "t1" }) })
      const http = Layer.succeed(HttpClient.HttpClient, fake.client)
      let calls = 0
      const good = PromiseFacade.makeFacadeRuntime(
        PromiseFacade.clientLayer({ clientToken: async () => `browser_${++calls}` }, http)
      )
      const thing = yield* Effect.promise(() =>
        good.run(() => Effect.flatMap(operations, (o) => o.getThing({ params })))
      )
      expect(thing).toEqual({ id: "t1" })
      yield* Effect.promise(() => good.dispose())
      const bad = PromiseFacade.makeFacadeRuntime(
        PromiseFacade.clientLayer({ clientToken: async () => 42 as unknown as string }, http)
      )
      const rejected = yield* Effect.promise(() =>
        bad
          .run(() => Effect.flatMap(operations, (o) => o.getThing({ params })))
          .then(
            () => undefined,
            (e: unknown) => e
          )
      )
      yield* Effect.promise(() => bad.dispose())
      expect(rejected).toBeInstanceOf(BasiqAuthenticationError)
      expect((yield* fake.apiRequests).map((s) => s.bearer)).toEqual(["browser_1"])
      expect(yield* fake.tokenRequests).toHaveLength(0)
    })
  )
})
