/**
 * A transport's direct entry point. A transport built by this package (the undici client) lets
 * the Basiq pipeline send a request without the generic `HttpClient` machinery (per-request fiber
 * refs, URL re-parsing, response wrappers, abort controllers) and time it out with a plain timer
 * instead of racing fibers. A client the user wraps (`HttpClient.mapRequest`, ...) is
 * another object without the entry, so it is always used through `execute`.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"

/** @internal */
export const DirectTypeId: unique symbol = Symbol.for("@basiq-effect/core/DirectTransport")

/**
 * A response whose body has been read in full; header names are lower case.
 *
 * @internal
 */
export interface DirectResponse {
  readonly status: number
  /** A header by lower-case name, repeated values joined with ", " (read only when needed). */
  readonly header: (name: string) => string | undefined
  /** `null` for statuses without a body (204, 304, ...), or when reading it failed. */
  readonly body: string | null
  /** Why the body could not be read, for transports that report it apart (`fetch`). */
  readonly bodyError?: unknown
}

/** @internal */
export interface Direct<R extends DirectResponse = DirectResponse> {
  /**
   * Sends a request. Exactly one of `onResponse` and `onError` (with the transport's own error,
   * which the `HttpClient` wraps in a `RequestError`) is called, unless the request is aborted
   * first with the returned function.
   */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    url: string | URL,
    onResponse: (response: R) => void,
    onError: (error: unknown) => void
  ) => () => void
}

interface WithDirect {
  readonly [DirectTypeId]: Direct
}

/**
 * Attaches a direct entry point to a client.
 *
 * @internal
 */
export const withDirect = (client: HttpClient.HttpClient, direct: Direct): HttpClient.HttpClient =>
  Object.assign(client, { [DirectTypeId]: direct } satisfies WithDirect)

/**
 * The direct entry point of exactly this client, if it has one.
 *
 * @internal
 */
export const getDirect = (client: HttpClient.HttpClient): Direct | undefined =>
  Object.hasOwn(client, DirectTypeId) ? (client as HttpClient.HttpClient & WithDirect)[DirectTypeId] : undefined

/**
 * Response headers as Node.js clients give them (lower-case names, repeated values as arrays).
 *
 * @internal
 */
export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * A header's value, repeated values joined with ", " (as `Headers.fromInput` reads them).
 *
 * @internal
 */
export const header = (headers: RawHeaders, name: string): string | undefined => {
  const value = headers[name]
  return value === undefined ? undefined : typeof value === "string" ? value : value.join(", ")
}
