/**
 * Every error class of the SDK's core, by name: the one list the package roots re-export
 * (`export * from`) and the `BasiqError.isBasiqError` guard derives its tags from.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { describe, ErrorItem, Method, requestFields, responseFields, TransportReason } from "./internal/errorFields.js"

/**
 * 400: Basiq rejected the request (`parameter-not-valid`, `parameter-not-supplied`, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqBadRequestError extends Schema.TaggedError<BasiqBadRequestError>()(
  "BasiqBadRequestError",
  responseFields
) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * 401: the token was missing, garbled or not valid for the user in the path, even after one
 * re-authentication.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqUnauthorizedError extends Schema.TaggedError<BasiqUnauthorizedError>()(
  "BasiqUnauthorizedError",
  responseFields
) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * 403: wrong scope (`forbidden-access`), no production access, a Basiq limit, or an expired token
 * (`access-denied`) that stayed expired after one re-authentication.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqForbiddenError extends Schema.TaggedError<BasiqForbiddenError>()(
  "BasiqForbiddenError",
  responseFields
) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * 404: the user, connection or job does not exist (or the route is absent in the API version).
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqNotFoundError extends Schema.TaggedError<BasiqNotFoundError>()("BasiqNotFoundError", responseFields) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * 415: Basiq did not accept the request's content type.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqUnsupportedMediaTypeError extends Schema.TaggedError<BasiqUnsupportedMediaTypeError>()(
  "BasiqUnsupportedMediaTypeError",
  responseFields
) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * A rate limit, from one of two sources (`source`):
 *
 * - `"basiq"` (the default): Basiq answered 429. `retryAfter` is set when Basiq sent a
 *   `Retry-After` header.
 * - `"local"`: the SDK's own budget (`BasiqRateLimiter`, e.g. a fleet's rate budget on Redis)
 *   would have made the request wait longer than its `maxWait`. Nothing was sent: `status` is 0,
 *   `errors` is empty, `attempts` counts only the attempts sent before, and `retryAfter` is how
 *   long the budget asked to wait. Never retried by the SDK.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqRateLimitError extends Schema.TaggedError<BasiqRateLimitError>()("BasiqRateLimitError", {
  ...responseFields,
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  /** `"basiq"`: Basiq's 429; `"local"`: the SDK's own rate budget refused to wait, nothing was sent. */
  source: Schema.optionalWith(Schema.Literal("basiq", "local"), { default: () => "basiq" as const })
}) {
  override get message(): string {
    if (this.source === "local") {
      return `Local rate budget exhausted on ${this.method} ${this.route}: the wait${
        this.retryAfter === undefined ? "" : ` (${Math.ceil(Duration.toMillis(this.retryAfter))} ms)`
      } exceeds maxWait; nothing was sent (this is the SDK's BasiqRateLimiter, not a 429 from Basiq)`
    }
    const base = describe(this)
    return this.retryAfter === undefined
      ? base
      : `${base} (retry after ${Math.ceil(Duration.toSeconds(this.retryAfter))} s)`
  }
}

/**
 * 5xx. `outcomeUnknown` is true when a non-idempotent request (create, update, MFA answer) may
 * have been applied by Basiq.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqServerError extends Schema.TaggedError<BasiqServerError>()("BasiqServerError", {
  ...responseFields,
  outcomeUnknown: Schema.Boolean,
  /** Set when a 503 came with a `Retry-After` header. */
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}) {
  override get message(): string {
    return `${describe(this)}${
      this.retryAfter === undefined ? "" : ` (retry after ${Math.ceil(Duration.toSeconds(this.retryAfter))} s)`
    }${this.outcomeUnknown ? " [outcome unknown: the request may have been applied]" : ""}`
  }
}

/**
 * Any other non-2xx status (e.g. 405, 408, 409, 410).
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqUnexpectedStatusError extends Schema.TaggedError<BasiqUnexpectedStatusError>()(
  "BasiqUnexpectedStatusError",
  responseFields
) {
  override get message(): string {
    return describe(this)
  }
}

/**
 * A network failure or a per-attempt timeout. `outcomeUnknown` is true when a non-idempotent
 * request may have been applied by Basiq.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqTransportError extends Schema.TaggedError<BasiqTransportError>()("BasiqTransportError", {
  ...requestFields,
  reason: TransportReason,
  /** A short, secret-free description of the underlying failure (e.g. the socket error code). */
  detail: Schema.optional(Schema.String),
  outcomeUnknown: Schema.Boolean
}) {
  override get message(): string {
    return `${this.reason} on ${this.method} ${this.route}${this.detail === undefined ? "" : `: ${this.detail}`}${
      this.attempts > 1 ? ` (${this.attempts} attempts)` : ""
    }${this.outcomeUnknown ? " [outcome unknown: the request may have been applied]" : ""}`
  }
}

/**
 * A 2xx response whose body does not match the expected schema. `at` is the location in the body
 * (e.g. `accounts.data[0].balance`), `expected` what was expected there. The body is not kept.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqDecodeError extends Schema.TaggedError<BasiqDecodeError>()("BasiqDecodeError", {
  ...requestFields,
  status: Schema.Number,
  at: Schema.String,
  expected: Schema.String,
  correlationId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Unexpected response body from ${this.method} ${this.route} (${this.status}): at ${
      this.at === "" ? "<root>" : this.at
    }, expected ${this.expected}`
  }
}

/**
 * The `/token` exchange failed (after its retries): a rejected API key, a version error, a
 * network failure. `status`/`code` are those of the last answer, `reason` says what happened.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqAuthenticationError extends Schema.TaggedError<BasiqAuthenticationError>()(
  "BasiqAuthenticationError",
  {
    reason: Schema.String,
    status: Schema.optional(Schema.Number),
    code: Schema.optional(Schema.String),
    errors: Schema.optional(Schema.Array(ErrorItem)),
    correlationId: Schema.optional(Schema.String),
    attempts: Schema.Number
  }
) {
  override get message(): string {
    return `Basiq token exchange failed: ${this.reason}${this.status === undefined ? "" : ` (${this.status}`}${
      this.code === undefined ? "" : ` ${this.code}`
    }${this.status === undefined ? "" : ")"}${this.correlationId === undefined ? "" : ` correlationId ${this.correlationId}`}`
  }
}

/**
 * The SDK refused to send a request: a bad id, filter or body. Names the fields, never their
 * values. Nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqInvalidRequestError extends Schema.TaggedError<BasiqInvalidRequestError>()(
  "BasiqInvalidRequestError",
  {
    reason: Schema.String,
    fields: Schema.Array(Schema.String),
    method: Schema.optional(Method),
    route: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    const where = this.method !== undefined && this.route !== undefined ? ` for ${this.method} ${this.route}` : ""
    return `Invalid request${where}: ${this.reason}${this.fields.length > 0 ? ` (${this.fields.join(", ")})` : ""}`
  }
}

/**
 * An invalid SDK option, naming it (never its value).
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqConfigError extends Schema.TaggedError<BasiqConfigError>()("BasiqConfigError", {
  option: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid Basiq option "${this.option}": ${this.reason}`
  }
}

/**
 * A `BasiqTokenStore` operation failed (the store is down, slow, or answered something
 * unexpected). `BasiqAuth` never lets it reach a call: it falls back to its own cache and
 * exchange, and logs one warning per outage. Carries no key, token or sealed value.
 *
 * @since 0.1.0
 * @category errors
 */
export class BasiqTokenStoreError extends Schema.TaggedError<BasiqTokenStoreError>()("BasiqTokenStoreError", {
  operation: Schema.Literal("get", "set", "deleteIf", "lock", "unlock"),
  reason: Schema.String
}) {
  override get message(): string {
    return `Basiq token store ${this.operation} failed: ${this.reason}`
  }
}
