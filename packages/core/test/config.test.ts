import { BasiqClient, BasiqConfig, BasiqConfigError, BasiqRetry } from "@basiq-effect/core"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Duration, Effect, Either, Layer, Redacted, Schedule } from "effect"
import { makeFake, operations, plain, reply, unsafeCoerce } from "./utils/fake.js"

const key = "sk_test_CONFIGKEY"

const invalid: ReadonlyArray<readonly [string, string, Partial<BasiqConfig.Options>]> = [
  ["apiKey", "empty", { apiKey: "" }],
  ["apiKey", "whitespace only", { apiKey: "   " }],
  ["apiKey", "an empty Redacted", { apiKey: Redacted.make("") }],
  ["apiKey", "a line break inside", { apiKey: `${key}\n` }],
  ["apiKey", "a space inside", { apiKey: "sk_test SECRET" }],
  ["apiKey", "not a string", { apiKey: unsafeCoerce(42) }],
  ["baseUrl", "not a URL", { baseUrl: "au-api.basiq.io" }],
  ["baseUrl", "empty", { baseUrl: "" }],
  ["baseUrl", "http on a public host", { baseUrl: "http://au-api.basiq.io" }],
  ["baseUrl", "http on a host that looks local", { baseUrl: "http://localhost.example.com" }],
  ["baseUrl", "another scheme", { baseUrl: "ftp://au-api.basiq.io" }],
  ["baseUrl", "a query", { baseUrl: "https://au-api.basiq.io/?a=1" }],
  ["baseUrl", "a fragment", { baseUrl: "https://au-api.basiq.io/#x" }],
  ["baseUrl", "credentials", { baseUrl: "https://user:pass@au-api.basiq.io" }],
  ["apiVersion", "1.0", { apiVersion: unsafeCoerce("1.0") }],
  ["apiVersion", "3", { apiVersion: unsafeCoerce("3") }],
  ["timeout", "negative", { timeout: -1 }],
  ["timeout", "zero", { timeout: 0 }],
  ["timeout", "zero as a string", { timeout: "0 millis" }],
  ["timeout", "infinite", { timeout: Duration.infinity }],
  ["timeout", "not a duration", { timeout: unsafeCoerce("soon") }],
  ["tokenRefreshMargin", "negative", { tokenRefreshMargin: "-5 minutes" }],
  ["tokenRefreshMargin", "zero", { tokenRefreshMargin: Duration.zero }],
  ["retry.maxRetries", "negative", { retry: { maxRetries: -1 } }],
  ["retry.maxRetries", "fractional", { retry: { maxRetries: 1.5 } }],
  ["retry.maxRetries", "NaN", { retry: { maxRetries: Number.NaN } }],
  ["retry.baseDelay", "negative", { retry: { baseDelay: -10 } }],
  ["retry.maxDelay", "zero", { retry: { maxDelay: 0 } }],
  ["retry.maxRetryAfter", "infinite", { retry: { maxRetryAfter: Duration.infinity } }],
  ["retry", "true", { retry: unsafeCoerce(true) }],
  ["userAgent", "a newline", { userAgent: "my-app/1.0\r\nX-Injected: 1" }],
  ["userAgent", "empty", { userAgent: "" }]
]

describe("invalid options", () => {
  for (const [option, label, options] of invalid) {
    it.effect(`${option}: ${label} -> BasiqConfigError naming ${option}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(BasiqConfig.make({ apiKey: key, ...options }))
        expect(error).toBeInstanceOf(BasiqConfigError)
        expect(plain(error)).toMatchObject({ _tag: "BasiqConfigError", option })
        expect(error.message).toContain(`"${option}"`)
        // The same through the layer, and synchronously through validate.
        const viaLayer = yield* Effect.flip(
          Layer.build(BasiqConfig.layer({ apiKey: key, ...options })).pipe(Effect.scoped)
        )
        expect(plain(viaLayer)).toMatchObject({ option })
        const sync = BasiqConfig.validate({ apiKey: key, ...options })
        expect(Either.isLeft(sync) && sync.left.option).toBe(option)
        // The error names the option, never the value.
        expect(error.message).not.toContain("SECRET")
        expect(error.message).not.toContain(key)
      })
    )
  }

  it.effect("a layer that fails to validate sends nothing", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake()
      const result = yield* Effect.either(
        Effect.flatMap(operations, (ops) => ops.getThing({ params: { userId: "u", thingId: "t" } })).pipe(
          Effect.provide(fake.layer({ timeout: 0 }))
        )
      ).pipe(Effect.catchAllDefect((defect) => Effect.succeed(Either.left(defect))))
      expect(Either.isLeft(result)).toBe(true)
      expect(yield* fake.sent).toHaveLength(0)
    })
  )
})

describe("valid options", () => {
  it.effect("defaults", () =>
    Effect.gen(function* () {
      const config = yield* BasiqConfig.make({ apiKey: key })
      expect(config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)).toBe(key)
      expect(config.baseUrl).toBe("https://au-api.basiq.io")
      expect(config.apiVersion).toBe("3.0")
      expect(config.timeout).toEqual(Duration.seconds(30))
      expect(config.tokenRefreshMargin).toEqual(Duration.minutes(5))
      expect(config.userAgent).toBe("basiq-effect/0.1.0")
      expect(config.retry).toBe(BasiqRetry.defaultPolicy)
    })
  )

  const urls: ReadonlyArray<readonly [string, string]> = [
    ["http://127.0.0.1:1234", "http://127.0.0.1:1234"],
    ["http://localhost", "http://localhost"],
    ["http://localhost:8080/", "http://localhost:8080"],
    ["http://[::1]:9000", "http://[::1]:9000"],
    ["http://basiq.localhost:3000", "http://basiq.localhost:3000"],
    ["https://au-api.basiq.io/", "https://au-api.basiq.io"],
    ["https://proxy.example.com/basiq//", "https://proxy.example.com/basiq"]
  ]
  for (const [input, expected] of urls) {
    it.effect(`baseUrl ${input} -> ${expected}`, () =>
      Effect.gen(function* () {
        const config = yield* BasiqConfig.make({ apiKey: key, baseUrl: input })
        expect(config.baseUrl).toBe(expected)
      })
    )
  }

  it.effect("durations, versions, user agent and retry forms", () =>
    Effect.gen(function* () {
      const config = yield* BasiqConfig.make({
        apiKey: Redacted.make(key),
        apiVersion: "2.0",
        timeout: "1500 millis",
        tokenRefreshMargin: 60_000,
        userAgent: "my-app/2.0 (+https://example.com)",
        retry: false
      })
      expect(config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)).toBe(key)
      expect(config.apiVersion).toBe("2.0")
      expect(config.timeout).toEqual(Duration.millis(1500))
      expect(config.tokenRefreshMargin).toEqual(Duration.minutes(1))
      expect(config.userAgent).toBe("my-app/2.0 (+https://example.com)")
      expect(config.retry).toBe(BasiqRetry.none)
      const policy = BasiqRetry.fromSchedule(Schedule.recurs(1))
      expect((yield* BasiqConfig.make({ apiKey: key, retry: policy })).retry).toBe(policy)
      const fromOptions = yield* BasiqConfig.make({ apiKey: key, retry: { maxRetries: 0, maxRetryAfter: "5 seconds" } })
      expect(BasiqRetry.isPolicy(fromOptions.retry)).toBe(true)
      expect(fromOptions.retry.maxRetryAfter).toEqual(Duration.seconds(5))
    })
  )
})

describe("layerConfig", () => {
  const readConfig = Effect.flatMap(BasiqConfig.BasiqConfig, Effect.succeed)

  it.effect("with no argument reads BASIQ_API_KEY, BASIQ_BASE_URL and BASIQ_API_VERSION", () =>
    Effect.gen(function* () {
      const config = yield* readConfig.pipe(
        Effect.provide(BasiqConfig.layerConfig()),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["BASIQ_API_KEY", key],
              ["BASIQ_BASE_URL", "http://localhost:4010/"],
              ["BASIQ_API_VERSION", "2.1"]
            ])
          )
        )
      )
      expect(config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)).toBe(key)
      expect(config.baseUrl).toBe("http://localhost:4010")
      expect(config.apiVersion).toBe("2.1")
    })
  )

  it.effect("only BASIQ_API_KEY is required", () =>
    Effect.gen(function* () {
      const config = yield* readConfig.pipe(
        Effect.provide(BasiqConfig.layerConfig()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["BASIQ_API_KEY", key]])))
      )
      expect(config.baseUrl).toBe("https://au-api.basiq.io")
      expect(config.apiVersion).toBe("3.0")
    })
  )

  it.effect(
    "a missing key is a BasiqConfigError naming the variable, a bad value a ConfigError or BasiqConfigError",
    () =>
      Effect.gen(function* () {
        const run = (entries: ReadonlyArray<readonly [string, string]>) =>
          Effect.flip(
            readConfig.pipe(
              Effect.provide(BasiqConfig.layerConfig()),
              Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))
            )
          )
        const missing = yield* run([])
        expect(missing._tag).toBe("BasiqConfigError")
        expect(String(missing)).toContain("BASIQ_API_KEY")
        expect(String(missing)).not.toContain("<redacted>")
        expect(missing).toMatchObject({ option: "BASIQ_API_KEY" })
        // Another missing variable stays Effect's ConfigError.
        const otherMissing = yield* Effect.flip(
          readConfig.pipe(
            Effect.provide(
              BasiqConfig.layerConfig({
                apiKey: Config.redacted("MY_KEY"),
                baseUrl: Config.string("MY_URL")
              })
            ),
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MY_KEY", key]])))
          )
        )
        expect(otherMissing._tag).not.toBe("BasiqConfigError")
        const badVersion = yield* run([
          ["BASIQ_API_KEY", key],
          ["BASIQ_API_VERSION", "1.0"]
        ])
        expect(badVersion._tag).not.toBe("BasiqConfigError")
        const badUrl = yield* run([
          ["BASIQ_API_KEY", key],
          ["BASIQ_BASE_URL", "http://au-api.basiq.io"]
        ])
        expect(plain(badUrl)).toMatchObject({ _tag: "BasiqConfigError", option: "baseUrl" })
        const blankKey = yield* run([["BASIQ_API_KEY", " "]])
        expect(plain(blankKey)).toMatchObject({ _tag: "BasiqConfigError", option: "apiKey" })
      })
  )

  it.effect("takes Config-wrapped options", () =>
    Effect.gen(function* () {
      const config = yield* readConfig.pipe(
        Effect.provide(
          BasiqConfig.layerConfig({
            apiKey: Config.redacted("MY_BASIQ_KEY"),
            baseUrl: Config.string("MY_BASIQ_URL"),
            timeout: Config.duration("MY_TIMEOUT"),
            userAgent: Config.succeed("wrapped/1.0")
          })
        ),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["MY_BASIQ_KEY", key],
              ["MY_BASIQ_URL", "http://127.0.0.1:9999"],
              ["MY_TIMEOUT", "3 seconds"]
            ])
          )
        )
      )
      expect(config.apiKey === undefined ? undefined : Redacted.value(config.apiKey)).toBe(key)
      expect(config.baseUrl).toBe("http://127.0.0.1:9999")
      expect(config.timeout).toEqual(Duration.seconds(3))
      expect(config.userAgent).toBe("wrapped/1.0")
    })
  )

  it.effect("the layer drives the client end to end", () =>
    Effect.gen(function* () {
      const fake = yield* makeFake({ api: () => reply.json(200, { id: "t" }) })
      yield* Effect.flatMap(operations, (ops) => ops.getThing({ params: { userId: "u", thingId: "t" } })).pipe(
        Effect.provide(
          BasiqClient.layerFrom(BasiqConfig.layerConfig()).pipe(
            Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
          )
        ),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["BASIQ_API_KEY", key],
              ["BASIQ_BASE_URL", "http://localhost:4010"],
              ["BASIQ_API_VERSION", "2.1"]
            ])
          )
        )
      )
      const [token, call] = yield* fake.sent
      expect(token!.url.href).toBe("http://localhost:4010/token")
      expect(token!.headers.authorization).toBe(`Basic ${key}`)
      expect(token!.headers["basiq-version"]).toBe("2.1")
      expect(call!.url.href).toBe("http://localhost:4010/users/u/things/t")
    })
  )
})
