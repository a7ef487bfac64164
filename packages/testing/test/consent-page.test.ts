/**
 * The served consent page, driven the way a browser (or a browser test) would: plain `fetch`,
 * form-encoded submissions, redirects read by hand. Real time, 5 ms steps; jobs are polled with
 * short sleeps in a bounded loop.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const API_KEY = "consent-key"
const served = (options: InMemoryBasiq.ServeOptions = {}) =>
  InMemoryBasiq.serve({ stepDuration: "5 millis", apiKeys: [API_KEY], ...options })

interface Job {
  readonly id: string
  readonly steps: ReadonlyArray<{ readonly title: string; readonly status: string }>
  readonly links: { readonly source: string }
}

/** What a partner's back end does: a server token, users, client tokens; and a job poller. */
const partner = async (url: string) => {
  const mint = async (body: string) => {
    const response = await fetch(`${url}/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${API_KEY}`,
        "Content-Type": "application/x-www-form-urlencoded",
        "basiq-version": "3.0"
      },
      body
    })
    expect(response.status).toBe(200)
    return ((await response.json()) as { access_token: string }).access_token
  }
  const server = await mint("scope=SERVER_ACCESS")
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${server}`, "Content-Type": "application/json", Accept: "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
  }
  return {
    server,
    call,
    createUser: async () => {
      const created = await call("POST", "/users", { email: "page@hooli.example" })
      expect(created.status).toBe(201)
      return (created.body as { id: string }).id
    },
    clientToken: (userId: string) => mint(`scope=CLIENT_ACCESS&userId=${encodeURIComponent(userId)}`),
    waitForJob: async (jobId: string, done = (job: Job) => job.steps.every((s) => s.status === "success")) => {
      for (let attempt = 0; attempt < 400; attempt++) {
        const { status, body } = await call("GET", `/jobs/${jobId}`)
        expect(status).toBe(200)
        const job = body as Job
        if (job.steps.some((s) => s.status === "failed")) throw new Error(`job ${jobId} failed`)
        if (done(job)) return job
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`job ${jobId} did not finish`)
    }
  }
}

const query = (params: Readonly<Record<string, string>>) => new URLSearchParams(params).toString()

const page = async (consentUrl: string, params: Readonly<Record<string, string>>) => {
  const response = await fetch(`${consentUrl}?${query(params)}`)
  return { status: response.status, headers: response.headers, html: await response.text() }
}

/** The form's fields as a browser would send them: the hidden ones from the page, plus `fields`. */
const hiddenFields = (html: string): Record<string, string> => {
  const decodeEntities = (text: string) =>
    text
      .replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&amp;", "&")
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1],
      decodeEntities(m[2] ?? "")
    ])
  )
}

const submit = (consentUrl: string, fields: Readonly<Record<string, string>>) =>
  fetch(consentUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: query(fields),
    redirect: "manual"
  })

describe("the served consent page", () => {
  it.scopedLive("renders a form, redirects back with jobIds, jobId and state, and the job connects", () =>
    Effect.gen(function* () {
      const { url, consentUrl, control } = yield* served()
      expect(consentUrl).toBe(`${url}/consent/home`)
      yield* Effect.promise(async () => {
        const basiq = await partner(url)
        const userId = await basiq.createUser()
        const token = await basiq.clientToken(userId)
        const shown = await page(consentUrl, {
          token,
          action: "connect",
          state: "app-state 1",
          institutionId: "AU00000"
        })
        expect(shown.status).toBe(200)
        expect(shown.headers.get("content-type")).toBe("text/html; charset=utf-8")
        expect(shown.headers.get("cache-control")).toBe("no-store")
        expect(shown.html).toContain('<form method="post" action="/consent/home">')
        expect(shown.html).toContain('<input type="password" name="password" required>')
        expect(shown.html).toContain('<option value="AU00000" selected>Hooli (AU00000)</option>')
        expect(shown.html).toContain('<option value="AU00002">')
        expect(shown.html).toContain("<td>gavinBelson</td><td>hooli2016</td>")
        expect(shown.html).toContain(`<code id="user">${userId}</code>`)
        const fields = hiddenFields(shown.html)
        expect(fields).toEqual({ token, state: "app-state 1", action: "connect" })

        const answer = await submit(consentUrl, {
          ...fields,
          institutionId: "AU00000",
          loginId: "jared",
          password: "django"
        })
        expect(answer.status).toBe(303)
        const location = answer.headers.get("location") ?? ""
        expect(location.startsWith(`${url}/consent/done?jobIds=`)).toBe(true)
        const back = new URL(location).searchParams
        const jobIds = (back.get("jobIds") ?? "").split(",")
        expect(jobIds).toHaveLength(1)
        expect(back.get("jobId")).toBe(jobIds[0])
        expect(back.get("state")).toBe("app-state 1")
        expect(location).toContain("state=app-state%201")

        const job = await basiq.waitForJob(jobIds[0] ?? "")
        const connectionId = job.links.source.split("/").pop() ?? ""
        const connection = await basiq.call("GET", `/users/${userId}/connections/${connectionId}`)
        expect(connection.body).toMatchObject({ status: "active", institution: { id: "AU00000" } })
        const consents = await basiq.call("GET", `/users/${userId}/consents`)
        expect(consents.body).toMatchObject({ size: 1, data: [{ status: "active" }] })

        const done = await fetch(location)
        expect(done.status).toBe(200)
        const doneHtml = await done.text()
        expect(doneHtml).toContain(`<dd id="jobIds">${jobIds.join(",")}</dd>`)
        expect(doneHtml).toContain('<dd id="state">app-state 1</dd>')
      })

      // Nothing secret reaches the journal in clear: the client token, the login, the password.
      const journal = yield* control.journal
      const home = journal.filter((entry) => entry.path === "/consent/home")
      expect(home.map((entry) => entry.method)).toEqual(["GET", "POST"])
      expect(home[0]?.query).toMatchObject({ token: "<redacted>", state: "app-state 1" })
      expect(home[1]?.body).toMatchObject({
        token: "<redacted>",
        loginId: "<redacted>",
        password: "<redacted>",
        state: "app-state 1"
      })
      const text = JSON.stringify(journal)
      expect(text).not.toContain("django")
      expect(text).not.toContain("jared")
      for (const entry of journal) expect(entry.headers.authorization ?? "<redacted>").toBe("<redacted>")
    })
  )

  it.scopedLive("runs the MFA login and the credential-update flow for a connectionId", () =>
    Effect.gen(function* () {
      const { url, consentUrl } = yield* served()
      yield* Effect.promise(async () => {
        const basiq = await partner(url)
        const userId = await basiq.createUser()
        const token = await basiq.clientToken(userId)
        const first = await submit(consentUrl, {
          token,
          institutionId: "AU00002",
          loginId: "gavinBelson",
          password: "hooli2016"
        })
        expect(first.status).toBe(303)
        const jobId = new URL(first.headers.get("location") ?? "").searchParams.get("jobId") ?? ""
        expect(new URL(first.headers.get("location") ?? "").searchParams.has("state")).toBe(false)
        await basiq.waitForJob(jobId, (job) => job.steps[1]?.status === "in-progress")
        expect((await basiq.call("POST", `/jobs/${jobId}/mfa`, { "mfa-response": ["Hooli"] })).status).toBe(202)
        const job = await basiq.waitForJob(jobId)
        const connectionId = job.links.source.split("/").pop() ?? ""

        const update = await page(consentUrl, { token, connectionId })
        expect(update.status).toBe(200)
        expect(hiddenFields(update.html)).toMatchObject({ connectionId })
        const again = await submit(consentUrl, {
          ...hiddenFields(update.html),
          loginId: "gavinBelson",
          password: "hooli2016"
        })
        expect(again.status).toBe(303)
        const updateJobId = new URL(again.headers.get("location") ?? "").searchParams.get("jobId") ?? ""
        expect(updateJobId).not.toBe(jobId)
        const updated = await basiq.waitForJob(updateJobId, (j) => j.steps[1]?.status === "in-progress")
        expect(updated.links.source.endsWith(`/connections/${connectionId}`)).toBe(true)
        const listed = await basiq.call("GET", `/users/${userId}/connections`)
        expect((listed.body as { data: ReadonlyArray<unknown> }).data).toHaveLength(1)
        const consents = await basiq.call("GET", `/users/${userId}/consents`)
        expect(consents.body).toMatchObject({ size: 1 })

        const unknown = await page(consentUrl, { token, connectionId: "nothing" })
        expect(unknown.status).toBe(404)
      })
    })
  )

  it.scopedLive("refuses forged, server, expired and orphaned tokens, unknown actions and bad forms", () =>
    Effect.gen(function* () {
      const { url, consentUrl, control } = yield* served()
      yield* Effect.promise(async () => {
        const basiq = await partner(url)
        const userId = await basiq.createUser()
        const token = await basiq.clientToken(userId)
        const forgedToken = `${token.slice(0, -4)}AAAA`
        const cases: ReadonlyArray<readonly [string, Readonly<Record<string, string>>, number, string]> = [
          ["no token", {}, 400, "The token parameter is required."],
          ["forged", { token: forgedToken }, 401, "The token is not valid."],
          ["server token", { token: basiq.server }, 403, "not a CLIENT_ACCESS token"],
          ["unknown action", { token, action: "delete" }, 400, "Unknown action &#39;delete&#39;."],
          ["extend without consent", { token, action: "extend" }, 400, "needs an active consent"],
          ["update without consent", { token, action: "update" }, 400, "needs an active consent"],
          ["unknown institution", { token, institutionId: "XX99999" }, 400, "Unknown institution"]
        ]
        for (const [name, params, status, reason] of cases) {
          const shown = await page(consentUrl, params)
          expect(shown.status, name).toBe(status)
          expect(shown.headers.get("content-type"), name).toBe("text/html; charset=utf-8")
          expect(shown.html, name).toContain(reason)
          expect(shown.html, name).not.toContain("<form")
        }
        for (const action of ["null", "connect", "manage", "reauthorise"]) {
          expect((await page(consentUrl, { token, action })).status, action).toBe(200)
        }

        const forged = await submit(consentUrl, { token: forgedToken, loginId: "jared", password: "django" })
        expect(forged.status).toBe(401)
        expect(forged.headers.get("location")).toBeNull()
        const noPassword = await submit(consentUrl, { token, loginId: "jared" })
        expect(noPassword.status).toBe(400)
        const json = await fetch(consentUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token, loginId: "jared", password: "django" }),
          redirect: "manual"
        })
        expect(json.status).toBe(415)
        const jobs = await basiq.call("GET", `/users/${userId}/jobs`)
        expect(jobs.body).toMatchObject({ size: 0 })

        // With a consent, extend is allowed.
        expect((await submit(consentUrl, { token, loginId: "jared", password: "django" })).status).toBe(303)
        expect((await page(consentUrl, { token, action: "extend" })).status).toBe(200)

        // The user is deleted: its token no longer opens the page.
        expect((await basiq.call("DELETE", `/users/${userId}`)).status).toBe(204)
        const orphan = await page(consentUrl, { token })
        expect(orphan.status).toBe(404)
        expect(orphan.html).toContain("does not exist")
      })

      const other = yield* control.createUser({ email: "late@hooli.example" })
      const late = yield* Effect.promise(async () => (await partner(url)).clientToken(other.id))
      yield* control.expireTokens()
      const expired = yield* Effect.promise(() => page(consentUrl, { token: late }))
      expect(expired.status).toBe(403)
      expect(expired.html).toContain("The token has expired.")
    })
  )

  it.scopedLive("escapes what it echoes, and carries a hostile state back URL-encoded", () =>
    Effect.gen(function* () {
      const { url, consentUrl } = yield* served()
      yield* Effect.promise(async () => {
        const basiq = await partner(url)
        const userId = await basiq.createUser()
        const token = await basiq.clientToken(userId)
        const state = `"><script>alert('x')</script>&amp;é,=?`
        const shown = await page(consentUrl, { token, state })
        expect(shown.status).toBe(200)
        expect(shown.html).not.toContain("<script>")
        expect(shown.html).toContain(
          'name="state" value="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;é,=?"'
        )
        expect(hiddenFields(shown.html).state).toBe(state)

        const action = await page(consentUrl, { token, action: "<img src=x onerror=alert(1)>" })
        expect(action.status).toBe(400)
        expect(action.html).not.toContain("<img")
        expect(action.html).toContain("&lt;img src=x onerror=alert(1)&gt;")

        const answer = await submit(consentUrl, { ...hiddenFields(shown.html), loginId: "jared", password: "django" })
        expect(answer.status).toBe(303)
        const location = answer.headers.get("location") ?? ""
        expect(location).not.toContain("<")
        expect(new URL(location).searchParams.get("state")).toBe(state)
        const done = await (await fetch(location)).text()
        expect(done).not.toContain("<script>")
        expect(done).toContain("&lt;script&gt;")
      })
    })
  )

  it.scopedLive("redirects to consentRedirectUrl, keeping its own query", () =>
    Effect.gen(function* () {
      const { url, consentUrl } = yield* served({ consentRedirectUrl: "http://localhost:5173/callback?app=1" })
      yield* Effect.promise(async () => {
        const basiq = await partner(url)
        const token = await basiq.clientToken(await basiq.createUser())
        const answer = await submit(consentUrl, { token, state: "s", loginId: "jared", password: "django" })
        expect(answer.status).toBe(303)
        const location = new URL(answer.headers.get("location") ?? "")
        expect(`${location.origin}${location.pathname}`).toBe("http://localhost:5173/callback")
        expect([...location.searchParams.keys()]).toEqual(["app", "jobIds", "jobId", "state"])
        expect(location.searchParams.get("app")).toBe("1")
      })
    })
  )

  it.scopedLive("refuses a consentRedirectUrl that is not an absolute http(s) URL", () =>
    Effect.gen(function* () {
      for (const consentRedirectUrl of ["/relative", "javascript:alert(1)", "not a url"]) {
        const exit = yield* Effect.exit(served({ consentRedirectUrl }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause), consentRedirectUrl).toBe(true)
      }
    })
  )
})
