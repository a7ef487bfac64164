/**
 * Typed errors of the Basiq SDK.
 *
 * Every error is a `Schema.TaggedError` built from data: it carries the HTTP status, Basiq's
 * first error `code`, the whole `errors` list, the `correlationId`, the `method` and the `route`
 * template, never a token, API key, credential or request body. `message` is a getter derived from
 * those fields.
 *
 * @since 0.1.0
 */

import type {
  BasiqAuthenticationError,
  BasiqBadRequestError,
  BasiqConfigError,
  BasiqDecodeError,
  BasiqForbiddenError,
  BasiqInvalidRequestError,
  BasiqNotFoundError,
  BasiqRateLimitError,
  BasiqServerError,
  BasiqTokenStoreError,
  BasiqTransportError,
  BasiqUnauthorizedError,
  BasiqUnexpectedStatusError,
  BasiqUnsupportedMediaTypeError
} from "./errors.js"
import * as Classes from "./errors.js"

/**
 * The error classes (also exported by name from the package root).
 *
 * @since 0.1.0
 */
export * from "./errors.js"

export {
  /**
   * One entry of Basiq's error envelope `data[]` (`code`, `title`, `detail`, `source`).
   *
   * @since 0.1.0
   * @category models
   */
  ErrorItem,
  /**
   * The HTTP methods the SDK sends.
   *
   * @since 0.1.0
   * @category models
   */
  Method,
  /**
   * Why a request failed below HTTP: `NotSent`, `ConnectionReset`, `ResponseBody`,
   * `ResponseTooLarge`, `Timeout` (see `BasiqTransportError`).
   *
   * @since 0.1.0
   * @category models
   */
  TransportReason
} from "./internal/errorFields.js"

/**
 * The error channel of every operation (plus `BasiqDecodeError` for operations that read a body).
 *
 * @since 0.1.0
 * @category models
 */
export type RequestFailure =
  | BasiqBadRequestError
  | BasiqUnauthorizedError
  | BasiqForbiddenError
  | BasiqNotFoundError
  | BasiqUnsupportedMediaTypeError
  | BasiqRateLimitError
  | BasiqServerError
  | BasiqUnexpectedStatusError
  | BasiqTransportError
  | BasiqAuthenticationError
  | BasiqInvalidRequestError

/**
 * Errors built from an HTTP status.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusError =
  | BasiqBadRequestError
  | BasiqUnauthorizedError
  | BasiqForbiddenError
  | BasiqNotFoundError
  | BasiqUnsupportedMediaTypeError
  | BasiqRateLimitError
  | BasiqServerError
  | BasiqUnexpectedStatusError

/**
 * Every error class of this module, by tag.
 *
 * @since 0.1.0
 * @category models
 */
export type BasiqError = RequestFailure | BasiqDecodeError | BasiqConfigError | BasiqTokenStoreError

const tags: ReadonlySet<string> = new Set(Object.values(Classes).map((c) => c._tag))

/**
 * Whether a value is one of this module's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBasiqError = (u: unknown): u is BasiqError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && tags.has(u._tag)
