/**
 * Basiq's consent UI: the link that sends a customer to it, and reading where it sends them back.
 *
 * ```ts
 * const url = yield* ConsentUi.link(user.id, { state: "signup-42" })
 * // redirect the browser to url; Basiq sends it back to the redirect URL set in the Dashboard:
 * const { jobIds, state } = ConsentUi.parseRedirect(request.url)
 * ```
 *
 * The link carries a short-lived `CLIENT_ACCESS` token bound to the user: send it to that
 * customer's browser only, and do not log it.
 *
 * @since 0.1.0
 */
import { BasiqClient, BasiqError } from "@basiq-effect/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/**
 * What the consent UI does (`undefined`: the default flow, a new consent).
 *
 * - `connect`: a valid consent exists; add institutions without asking again.
 * - `manage`: view the consent, delete connections, revoke it.
 * - `extend`: extend an active consent.
 * - `update`: re-consent when the policy changed (else as `extend`).
 * - `reauthorise`: renew open-banking connections about to expire.
 *
 * @since 0.1.0
 * @category models
 */
export type Action = "connect" | "manage" | "extend" | "update" | "reauthorise"

/**
 * The documented actions.
 *
 * @since 0.1.0
 * @category constants
 */
export const actions: ReadonlyArray<Action> = ["connect", "manage", "extend", "update", "reauthorise"]

/**
 * Options of {@link link}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LinkOptions {
  readonly action?: Action | undefined
  /** Returned as is when the consent UI redirects back (at most 1,024 characters). */
  readonly state?: string | undefined
  /** Preselects the institution. */
  readonly institutionId?: string | undefined
  /** The connection to update or reauthorise. */
  readonly connectionId?: string | undefined
}

const idPattern = /^[A-Za-z0-9\-_.~]{1,256}$/

const invalid = (reason: string, fields: ReadonlyArray<string>) =>
  Effect.fail(new BasiqError.BasiqInvalidRequestError({ reason, fields }))

/**
 * The consent UI link for a user: mints a `CLIENT_ACCESS` token and returns the configured
 * `consentUiUrl` with `token` and the options. Bad options are `BasiqInvalidRequestError`
 * (nothing is sent).
 *
 * @since 0.1.0
 * @category constructors
 */
export const link = (
  userId: string,
  options: LinkOptions = {}
): Effect.Effect<
  URL,
  BasiqError.BasiqAuthenticationError | BasiqError.BasiqInvalidRequestError,
  BasiqClient.BasiqClient
> =>
  Effect.suspend(() => {
    if (typeof options !== "object" || options === null) return invalid("options must be an object", ["options"])
    const { action, connectionId, institutionId, state } = options
    if (action !== undefined && !actions.includes(action)) {
      return invalid(`action must be one of ${actions.join(", ")}`, ["action"])
    }
    if (state !== undefined && (typeof state !== "string" || state.length > 1024)) {
      return invalid("state must be a string of at most 1024 characters", ["state"])
    }
    for (const [name, value] of [
      ["institutionId", institutionId],
      ["connectionId", connectionId]
    ] as const) {
      if (value !== undefined && (typeof value !== "string" || !idPattern.test(value))) {
        return invalid(`${name} must be an id (letters, digits, '-', '_', '.', '~')`, [name])
      }
    }
    return Effect.flatMap(BasiqClient.BasiqClient, (client) =>
      Effect.map(client.clientToken(userId), (token) => {
        const url = new URL(client.config.consentUiUrl)
        url.searchParams.set("token", Redacted.value(token))
        if (action !== undefined) url.searchParams.set("action", action)
        if (state !== undefined) url.searchParams.set("state", state)
        if (institutionId !== undefined) url.searchParams.set("institutionId", institutionId)
        if (connectionId !== undefined) url.searchParams.set("connectionId", connectionId)
        return url
      })
    )
  })

/**
 * What the consent UI's redirect back says.
 *
 * @since 0.1.0
 * @category models
 */
export interface Redirect {
  /** The jobs started (from `jobIds`, comma-separated, and `jobId`), without duplicates. */
  readonly jobIds: ReadonlyArray<string>
  readonly state?: string
}

/**
 * Reads the redirect back from the consent UI: `jobIds` (comma-separated) and `jobId`, and
 * `state`. Pure and total: an unparsable URL, or one without jobs, gives an empty list.
 *
 * @example
 * ```ts
 * import { ConsentUi } from "@basiq-effect/users"
 *
 * const back = ConsentUi.parseRedirect("https://app.example/basiq/done?jobIds=j1,j2&state=s1")
 * if (back.jobIds.join() !== "j1,j2" || back.state !== "s1") throw new Error("unexpected")
 * ConsentUi.parseRedirect("not a url") // { jobIds: [] }
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRedirect = (url: string | URL): Redirect => {
  let parsed: URL
  try {
    parsed = typeof url === "string" ? new URL(url, "http://localhost") : url
  } catch {
    return { jobIds: [] }
  }
  if (!(parsed instanceof URL)) return { jobIds: [] }
  const ids = new Set<string>()
  for (const value of parsed.searchParams.getAll("jobIds")) {
    for (const id of value.split(",")) {
      const trimmed = id.trim()
      if (idPattern.test(trimmed)) ids.add(trimmed)
    }
  }
  for (const value of parsed.searchParams.getAll("jobId")) {
    const trimmed = value.trim()
    if (idPattern.test(trimmed)) ids.add(trimmed)
  }
  const state = parsed.searchParams.get("state")
  return state === null ? { jobIds: [...ids] } : { jobIds: [...ids], state }
}
