/**
 * Configuration of the Basiq client: API key, base URL, API version, timeouts and retries.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { BasiqConfigError } from "./BasiqError.js"
import * as BasiqRetry from "./BasiqRetry.js"

/**
 * API versions the SDK speaks (sent as `basiq-version` on `/token`).
 *
 * @since 0.1.0
 * @category models
 */
export type ApiVersion = "3.0" | "2.1" | "2.0"

/**
 * Options accepted by {@link layer} and by the promise facade.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The API key as issued by Basiq's dashboard. Required by `BasiqAuth.layer` (which exchanges
   * tokens); code that holds no API key (a browser) leaves it out and uses
   * `BasiqAuth.layerClientToken`.
   */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** Default `https://au-api.basiq.io`. Plain `http` is accepted only for loopback hosts. */
  readonly baseUrl?: string | undefined
  /** Default `"3.0"`. */
  readonly apiVersion?: ApiVersion | undefined
  /** Per-attempt timeout (default 30 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** `false` disables retries; options or a policy replace the default policy. */
  readonly retry?: false | BasiqRetry.Options | BasiqRetry.Policy | undefined
  /** How long before its expiry a token is renewed (default 5 minutes). */
  readonly tokenRefreshMargin?: Duration.DurationInput | undefined
  /** Sent as `User-Agent` (default `basiq-effect/<version>`). */
  readonly userAgent?: string | undefined
  /**
   * The largest response body read, counted after decompression (default 32 MiB). A larger one
   * is cancelled while arriving and fails with `BasiqTransportError` reason `ResponseTooLarge`.
   */
  readonly maxResponseBytes?: number | undefined
  /**
   * Basiq's consent UI page, a full URL with its path (default `https://consent.basiq.io/home`).
   * `ConsentUi.link` adds the token and options to it.
   */
  readonly consentUiUrl?: string | undefined
}

/**
 * The resolved, validated configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  /** Absent for a client that holds only a client token. */
  readonly apiKey: Redacted.Redacted<string> | undefined
  /** Without a trailing slash. */
  readonly baseUrl: string
  readonly apiVersion: ApiVersion
  readonly timeout: Duration.Duration
  readonly retry: BasiqRetry.Policy
  readonly tokenRefreshMargin: Duration.Duration
  readonly userAgent: string
  readonly maxResponseBytes: number
  /** The consent UI page, as a full URL string. */
  readonly consentUiUrl: string
}

/**
 * The configuration service.
 *
 * @since 0.1.0
 * @category tags
 */
export class BasiqConfig extends Context.Tag("@basiq-effect/core/BasiqConfig")<BasiqConfig, Resolved>() {}

/**
 * The default base URL (sandbox and live share it; the API key decides).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://au-api.basiq.io"

/**
 * The SDK's version, sent in the default user agent.
 *
 * @since 0.1.0
 * @category constants
 */
export const sdkVersion = "0.1.0"

/**
 * The default response size limit: 32 MiB.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultMaxResponseBytes = 32 * 1024 * 1024

/**
 * The default consent UI page.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultConsentUiUrl = "https://consent.basiq.io/home"

const versions: ReadonlyArray<ApiVersion> = ["3.0", "2.1", "2.0"]

const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" ||
  hostname === "[::1]" ||
  hostname === "::1" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
  hostname.endsWith(".localhost")

const hasSpaceOrControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return true
  }
  return false
}

/** Whether a header can carry the text: no control characters, DEL, or anything above U+00FF. */
const isHeaderSafe = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false
  }
  return true
}

/** An absolute https URL (plain http for loopback hosts), without credentials or a fragment. */
const checkedUrl = (option: string, input: string, query: boolean): Either.Either<URL, BasiqConfigError> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Either.left(new BasiqConfigError({ option, reason: "must be an absolute URL" }))
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    return Either.left(new BasiqConfigError({ option, reason: "must use https (plain http only for loopback hosts)" }))
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "" || (!query && url.search !== "")) {
    const reason = query
      ? "must not contain credentials or a fragment"
      : "must not contain credentials, a query or a fragment"
    return Either.left(new BasiqConfigError({ option, reason }))
  }
  return Either.right(url)
}

const duration = (option: string, input: Duration.DurationInput | undefined, fallback: Duration.Duration) => {
  if (input === undefined) return Either.right(fallback)
  const decoded = Option.fromNullable(
    (() => {
      try {
        return Duration.decode(input)
      } catch {
        return undefined
      }
    })()
  )
  if (Option.isNone(decoded)) {
    return Either.left(new BasiqConfigError({ option, reason: "must be a duration" }))
  }
  const d = decoded.value
  if (!Duration.isFinite(d) || Duration.lessThan(d, Duration.zero) || Duration.equals(d, Duration.zero)) {
    return Either.left(new BasiqConfigError({ option, reason: "must be a positive, finite duration" }))
  }
  return Either.right(d)
}

/**
 * Validates options synchronously. The promise facade uses it to throw at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = (options: Options): Either.Either<Resolved, BasiqConfigError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(new BasiqConfigError({ option: "options", reason: "must be an object" }))
  }
  const rawKey = options.apiKey
  const key = Redacted.isRedacted(rawKey) ? Redacted.value(rawKey) : rawKey
  if (key !== undefined && (typeof key !== "string" || key.trim().length === 0)) {
    return Either.left(new BasiqConfigError({ option: "apiKey", reason: "must be a non-empty string" }))
  }
  if (key !== undefined && !isHeaderSafe(key)) {
    return Either.left(
      new BasiqConfigError({
        option: "apiKey",
        reason: "contains a character a header cannot carry (control characters, DEL, or above U+00FF)"
      })
    )
  }
  if (key !== undefined && hasSpaceOrControl(key)) {
    return Either.left(
      new BasiqConfigError({ option: "apiKey", reason: "must be the key as issued (no whitespace or line breaks)" })
    )
  }
  let baseUrl = defaultBaseUrl
  if (options.baseUrl !== undefined) {
    const url = checkedUrl("baseUrl", options.baseUrl, false)
    if (Either.isLeft(url)) return Either.left(url.left)
    baseUrl = `${url.right.origin}${url.right.pathname}`.replace(/\/+$/, "")
  }
  const apiVersion = options.apiVersion ?? "3.0"
  if (!versions.includes(apiVersion)) {
    return Either.left(new BasiqConfigError({ option: "apiVersion", reason: `must be one of ${versions.join(", ")}` }))
  }
  const timeout = duration("timeout", options.timeout, Duration.seconds(30))
  if (Either.isLeft(timeout)) return Either.left(timeout.left)
  const margin = duration("tokenRefreshMargin", options.tokenRefreshMargin, Duration.minutes(5))
  if (Either.isLeft(margin)) return Either.left(margin.left)
  let retry: BasiqRetry.Policy
  if (options.retry === undefined) retry = BasiqRetry.defaultPolicy
  else if (options.retry === false) retry = BasiqRetry.none
  else if (BasiqRetry.isPolicy(options.retry)) retry = options.retry
  else if (typeof options.retry === "object" && options.retry !== null) {
    const r = options.retry
    if (r.maxRetries !== undefined && (!Number.isInteger(r.maxRetries) || r.maxRetries < 0)) {
      return Either.left(new BasiqConfigError({ option: "retry.maxRetries", reason: "must be a non-negative integer" }))
    }
    for (const name of ["baseDelay", "maxDelay", "maxRetryAfter"] as const) {
      const checked = duration(`retry.${name}`, r[name], Duration.zero)
      if (Either.isLeft(checked)) return Either.left(checked.left)
    }
    retry = BasiqRetry.make(r)
  } else {
    return Either.left(new BasiqConfigError({ option: "retry", reason: "must be false, retry options or a policy" }))
  }
  const userAgent = options.userAgent ?? `basiq-effect/${sdkVersion}`
  if (typeof userAgent !== "string" || userAgent.trim().length === 0) {
    return Either.left(new BasiqConfigError({ option: "userAgent", reason: "must be a non-empty string" }))
  }
  if (!isHeaderSafe(userAgent)) {
    return Either.left(
      new BasiqConfigError({
        option: "userAgent",
        reason: "contains a character a header cannot carry (control characters, CR/LF, DEL, or above U+00FF)"
      })
    )
  }
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes
  if (typeof maxResponseBytes !== "number" || !Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
    return Either.left(new BasiqConfigError({ option: "maxResponseBytes", reason: "must be a positive integer" }))
  }
  let consentUiUrl = defaultConsentUiUrl
  if (options.consentUiUrl !== undefined) {
    if (typeof options.consentUiUrl !== "string") {
      return Either.left(new BasiqConfigError({ option: "consentUiUrl", reason: "must be a URL string" }))
    }
    const checked = checkedUrl("consentUiUrl", options.consentUiUrl, true)
    if (Either.isLeft(checked)) return Either.left(checked.left)
    consentUiUrl = checked.right.href
  }
  return Either.right({
    apiKey: key === undefined ? undefined : Redacted.make(key),
    baseUrl,
    apiVersion,
    timeout: timeout.right,
    retry,
    tokenRefreshMargin: margin.right,
    userAgent,
    maxResponseBytes,
    consentUiUrl
  })
}

/**
 * Validates options into the configuration service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Resolved, BasiqConfigError> => validate(options)

/**
 * A layer from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<BasiqConfig, BasiqConfigError> =>
  Layer.effect(BasiqConfig, make(options))

/**
 * The default `Config` of {@link layerConfig}: `BASIQ_API_KEY` (required), `BASIQ_BASE_URL`,
 * `BASIQ_API_VERSION`.
 *
 * @since 0.1.0
 * @category config
 */
export const fromEnv: Config.Config<Options> = /* @__PURE__ */ Config.suspend(() =>
  Config.all({
    apiKey: Config.redacted("BASIQ_API_KEY"),
    baseUrl: Config.string("BASIQ_BASE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
    apiVersion: Config.literal(
      "3.0",
      "2.1",
      "2.0"
    )("BASIQ_API_VERSION").pipe(Config.option, Config.map(Option.getOrUndefined))
  })
)

/**
 * A layer from Effect `Config` (as `OpenAiClient.layerConfig` takes it). With no argument it
 * reads `BASIQ_API_KEY`, `BASIQ_BASE_URL` and `BASIQ_API_VERSION`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config.Wrap<Options>
): Layer.Layer<BasiqConfig, BasiqConfigError | ConfigError.ConfigError> =>
  Layer.effect(
    BasiqConfig,
    Effect.flatMap(Effect.mapError(config === undefined ? fromEnv : Config.unwrap(config), missingApiKey), (options) =>
      make(options)
    )
  )

/**
 * Effect's `Config.redacted` reports a missing variable with the message `"<redacted>"`, which
 * reads as if a value had been given: a missing API key is said plainly, naming the variable.
 */
const missingApiKey = (error: ConfigError.ConfigError): BasiqConfigError | ConfigError.ConfigError => {
  const missing = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left, right) => left ?? right,
    orCase: (_, left, right) => left ?? right,
    invalidDataCase: () => undefined,
    missingDataCase: (_, path) => path.join("."),
    sourceUnavailableCase: () => undefined,
    unsupportedCase: () => undefined
  })
  return missing !== undefined && /(^|\.)(BASIQ_API_KEY|apiKey)$/.test(missing)
    ? new BasiqConfigError({
        option: missing,
        reason: `is not set: ${missing} (the Basiq API key) is required`
      })
    : error
}
