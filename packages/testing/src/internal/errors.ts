/**
 * Basiq's error envelope and the errors the fake answers with.
 *
 * @internal
 */
import { Data } from "effect"

export interface ErrorItem {
  readonly code: string
  readonly title: string
  readonly detail?: string
  readonly source?: { readonly parameter?: string; readonly pointer?: string }
}

/** A request the fake refuses: answered with Basiq's error envelope. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly errors: ReadonlyArray<ErrorItem>
}> {}

export const fail = (status: number, item: ErrorItem): ApiError => new ApiError({ status, errors: [item] })

export const envelope = (errors: ReadonlyArray<ErrorItem>) => ({
  type: "list",
  correlationId: crypto.randomUUID(),
  data: errors.map((error) => ({ type: "error", ...error }))
})

const parameterOf = (pointer: string) => pointer.replace(/^\/|^header\//, "").replaceAll("/", ".")

export const notSupplied = (pointer: string, detail?: string): ErrorItem => ({
  code: "parameter-not-supplied",
  title: "Required parameter not supplied.",
  detail: detail ?? `'${parameterOf(pointer)}' is required.`,
  source: { parameter: parameterOf(pointer), pointer }
})

export const notValid = (pointer: string, detail?: string): ErrorItem => ({
  code: "parameter-not-valid",
  title: "Parameter not valid.",
  detail: detail ?? `'${parameterOf(pointer)}' is not valid.`,
  source: { parameter: parameterOf(pointer), pointer }
})

export const notFound = (what: string): ApiError =>
  fail(404, {
    code: "resource-not-found",
    title: "Requested resource is not found.",
    detail: `${what} was not found.`
  })

export const unauthorized: ApiError = fail(401, {
  code: "invalid-authorization-token",
  title: "Invalid authorization token."
})

export const expired: ApiError = fail(403, {
  code: "access-denied",
  title: "Access denied.",
  detail: "Token has expired"
})

export const unsupportedType: ApiError = fail(415, {
  code: "unsupported-content-type",
  title: "Unsupported content type.",
  detail: "The request body must be sent as application/json."
})

const defaults: Record<number, readonly [code: string, title: string, detail: string]> = {
  400: ["parameter-not-valid", "Parameter not valid.", "The request is not valid."],
  401: ["invalid-authorization-token", "Invalid authorization token.", "The authorization token is not valid."],
  403: ["forbidden-access", "Forbidden Access", "Access to this resource is forbidden."],
  404: ["resource-not-found", "Requested resource is not found.", "Resource not found."],
  405: ["method-not-allowed", "Method not allowed.", "The method is not allowed on this resource."],
  409: ["resource-already-exists", "Resource already exists.", "The resource already exists."],
  410: ["resource-no-longer-available", "Resource no longer available.", "The resource is gone."],
  415: ["unsupported-content-type", "Unsupported content type.", "The content type is not supported."],
  429: ["too-many-requests", "Too many requests.", "Request rate limit per connection reached"],
  500: ["internal-server-error", "Internal Server error.", "Internal Server error. Contact support."],
  503: ["service-unavailable", "Service Unavailable", "Service Unavailable. Try again later."]
}

/** The envelope item Basiq would send for `status`, for faults given no body. */
export const defaultItem = (status: number): ErrorItem => {
  const [code, title, detail] =
    defaults[status] ??
    (status >= 500
      ? ["internal-server-error", "Internal Server error.", "Internal Server error. Contact support."]
      : ["unknown-error", "Unexpected error.", `Unexpected error (${status}).`])
  return { code, title, detail }
}

/** A control was given a user the fake does not have. */
export class UnknownUserError extends Data.TaggedError("UnknownUserError")<{ readonly userId: string }> {
  override get message(): string {
    return `InMemoryBasiq: no user '${this.userId}'`
  }
}

/** A control was given a consent the user does not have (`consentId` undefined: no active consent). */
export class UnknownConsentError extends Data.TaggedError("UnknownConsentError")<{
  readonly userId: string
  readonly consentId: string | undefined
}> {
  override get message(): string {
    return this.consentId === undefined
      ? `InMemoryBasiq: user '${this.userId}' has no active consent`
      : `InMemoryBasiq: user '${this.userId}' has no consent '${this.consentId}'`
  }
}

/** A control was given a connection the user does not have. */
export class UnknownConnectionError extends Data.TaggedError("UnknownConnectionError")<{
  readonly userId: string
  readonly connectionId: string
}> {
  override get message(): string {
    return `InMemoryBasiq: user '${this.userId}' has no connection '${this.connectionId}'`
  }
}
