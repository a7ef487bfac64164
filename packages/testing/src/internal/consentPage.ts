/**
 * The served fake's stand-in for Basiq's consent UI: `GET /consent/home` renders a form where a
 * person (or a browser test) picks a sandbox login, `POST /consent/home` runs what the consent UI
 * would and redirects back with `jobIds`, `jobId` and `state`; `GET /consent/done` is the default
 * place it redirects to. Every value echoed into HTML is escaped.
 *
 * @internal
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Ref } from "effect"
import type { State } from "./model.js"
import * as Ops from "./ops.js"
import * as Sandbox from "./sandbox.js"

export interface PageContext {
  readonly state: Ref.Ref<State>
  readonly stepMs: number
  readonly redirectUrl: string
}

/** The actions Basiq documents; `""` is an absent action. */
const actions: ReadonlySet<string> = new Set(["", "null", "connect", "manage", "extend", "update", "reauthorise"])

/** Actions Basiq documents as an error without an active consent. */
const needConsent: ReadonlySet<string> = new Set(["extend", "update"])

/** `text` with `&`, `<`, `>`, `"` and `'` as entities: safe in element content and quoted attributes. */
export const escapeHtml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;")

const document = (title: string, body: string) =>
  [
    "<!doctype html>",
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body>${body}</body>`,
    "</html>"
  ].join("\n")

/** The headers of every page: no caching or referrer (the token is in the URL), no framing. */
const pageHeaders = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff"
}

const page = (status: number, title: string, body: string) =>
  HttpServerResponse.text(document(title, body), {
    status,
    contentType: "text/html; charset=utf-8",
    headers: pageHeaders
  })

/** A refusal: the status, and a page saying why. */
const refusal = (status: number, reason: string) =>
  page(status, "Consent refused", `<h1>Consent refused</h1>\n<p id="reason">${escapeHtml(reason)}</p>`)

const tokenRefusal = (result: Exclude<Ops.ClientToken, { readonly _tag: "Valid" }>) => {
  switch (result._tag) {
    case "Missing":
      return refusal(400, "The token parameter is required.")
    case "Unknown":
      return refusal(401, "The token is not valid.")
    case "Expired":
      return refusal(403, "The token has expired.")
    case "WrongScope":
      return refusal(403, "The token is not a CLIENT_ACCESS token bound to a user.")
    case "UserGone":
      return refusal(404, "The user this token was issued for does not exist.")
  }
}

interface Params {
  readonly token: string
  readonly action: string
  readonly state: string
  readonly institutionId: string
  readonly connectionId: string
}

const paramsOf = (get: (name: string) => string | null): Params => ({
  token: get("token") ?? "",
  action: get("action") ?? "",
  state: get("state") ?? "",
  institutionId: get("institutionId") ?? "",
  connectionId: get("connectionId") ?? ""
})

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`

const form = (params: Params, userId: string) => {
  const chosen = params.institutionId === "" ? Sandbox.HOOLI : params.institutionId
  const institutions = [...Sandbox.institutions]
    .map(
      ([id, name]) =>
        `<option value="${escapeHtml(id)}"${id === chosen ? " selected" : ""}>${escapeHtml(`${name} (${id})`)}</option>`
    )
    .join("")
  const logins = Sandbox.loginList()
  const options = logins.map((l) => `<option value="${escapeHtml(l.loginId)}"></option>`).join("")
  const rows = logins
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.loginId)}</td><td>${escapeHtml(l.password)}</td><td>${escapeHtml(l.does)}</td></tr>`
    )
    .join("\n")
  const action = params.action === "" ? "null" : params.action
  return [
    "<h1>Connect a bank (in-memory Basiq)</h1>",
    `<p>User <code id="user">${escapeHtml(userId)}</code>, action <code id="action">${escapeHtml(action)}</code>.</p>`,
    '<form method="post" action="/consent/home">',
    hidden("token", params.token),
    hidden("state", params.state),
    hidden("action", params.action),
    ...(params.connectionId === "" ? [] : [hidden("connectionId", params.connectionId)]),
    `<p><label>Institution <select name="institutionId">${institutions}</select></label></p>`,
    '<p><label>Login <input name="loginId" list="logins" autocomplete="off" required></label>',
    `<datalist id="logins">${options}</datalist></p>`,
    '<p><label>Password <input type="password" name="password" required></label></p>',
    '<p><label>Security code (optional) <input name="securityCode" autocomplete="off"></label></p>',
    '<p><label>Secondary login (optional) <input name="secondaryLoginId" autocomplete="off"></label></p>',
    '<p><button type="submit">Consent and connect</button></p>',
    "</form>",
    "<h2>Sandbox logins</h2>",
    "<table><thead><tr><th>login</th><th>password</th><th>job</th></tr></thead><tbody>",
    rows,
    "</tbody></table>"
  ].join("\n")
}

/** `location` with `jobIds` (commas kept, as Basiq's examples show), `jobId` and `state` added to its query. */
export const redirectTarget = (location: string, jobIds: ReadonlyArray<string>, state: string): string => {
  const url = new URL(location)
  const added = [
    `jobIds=${jobIds.map(encodeURIComponent).join(",")}`,
    ...(jobIds[0] === undefined ? [] : [`jobId=${encodeURIComponent(jobIds[0])}`]),
    ...(state === "" ? [] : [`state=${encodeURIComponent(state)}`])
  ].join("&")
  url.search = url.search === "" ? `?${added}` : `${url.search}&${added}`
  return url.href
}

export const make = (ctx: PageContext) => {
  const { state, stepMs } = ctx

  /** The user of a valid token, with the action and connection checked, or the refusal page. */
  const check = (params: Params) =>
    Effect.gen(function* () {
      const s = yield* Ref.get(state)
      const t = yield* Clock.currentTimeMillis
      const token = Ops.clientToken(s, params.token, t)
      if (token._tag !== "Valid") return { _tag: "Refused", response: tokenRefusal(token) } as const
      if (!actions.has(params.action)) {
        return { _tag: "Refused", response: refusal(400, `Unknown action '${params.action}'.`) } as const
      }
      if (needConsent.has(params.action) && Ops.activeConsent(s, token.user.id, t) === undefined) {
        return {
          _tag: "Refused",
          response: refusal(400, `The action '${params.action}' needs an active consent; this user has none.`)
        } as const
      }
      if (params.institutionId !== "" && !Sandbox.isKnownInstitution(params.institutionId)) {
        return {
          _tag: "Refused",
          response: refusal(400, `Unknown institution '${params.institutionId}'.`)
        } as const
      }
      if (params.connectionId !== "" && s.connections.get(params.connectionId)?.userId !== token.user.id) {
        return {
          _tag: "Refused",
          response: refusal(404, `The user has no connection '${params.connectionId}'.`)
        } as const
      }
      return { _tag: "Valid", userId: token.user.id } as const
    })

  const home = Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const query = new URL(req.url, "http://fake.invalid").searchParams
    const params = paramsOf((name) => query.get(name))
    const checked = yield* check(params)
    if (checked._tag === "Refused") return checked.response
    return page(200, "Connect a bank", form(params, checked.userId))
  })

  const submit = Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase()
    if (type !== "application/x-www-form-urlencoded") {
      return refusal(415, "The form must be sent as application/x-www-form-urlencoded.")
    }
    const body = new URLSearchParams(yield* Effect.orElseSucceed(req.text, () => ""))
    const params = paramsOf((name) => body.get(name))
    const checked = yield* check(params)
    if (checked._tag === "Refused") return checked.response
    const loginId = body.get("loginId") ?? ""
    const password = body.get("password") ?? ""
    if (loginId === "" || password === "") return refusal(400, "A login and a password are required.")
    const t = yield* Clock.currentTimeMillis
    const jobIds = yield* Ref.modify(state, (s) => {
      const existing = params.connectionId === "" ? undefined : s.connections.get(params.connectionId)
      return Ops.completeConsent(
        s,
        {
          userId: checked.userId,
          institutionId:
            existing?.institutionId ?? (params.institutionId === "" ? Sandbox.HOOLI : params.institutionId),
          loginId,
          password,
          connectionId: existing?.id
        },
        t,
        stepMs
      )
    })
    return HttpServerResponse.empty({
      status: 303,
      headers: { ...pageHeaders, location: redirectTarget(ctx.redirectUrl, jobIds, params.state) }
    })
  })

  const done = Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const query = new URL(req.url, "http://fake.invalid").searchParams
    const rows = ["jobIds", "jobId", "state"]
      .map((name) => `<dt>${name}</dt><dd id="${name}">${escapeHtml(query.get(name) ?? "")}</dd>`)
      .join("\n")
    return page(200, "Consent done", `<h1>Consent done</h1>\n<dl>\n${rows}\n</dl>`)
  })

  return { home, submit, done }
}
