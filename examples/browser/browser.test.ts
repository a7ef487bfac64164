/**
 * The SDK in a real browser: Debian's headless Chromium (`/usr/bin/chromium`, driven by
 * playwright-core; no browser is ever downloaded) loads a page bundled by esbuild from
 * `page.ts`. The page holds no API key: the app's back end (a small server here, holding the key)
 * mints a `CLIENT_ACCESS` token for the user, and the page calls the served fake (another origin:
 * CORS) with it through `FetchTransport`. One browser launch for the whole file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { fileURLToPath } from "node:url"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Basiq, BasiqClient, ConsentUi, Jobs, Users, WebhookSubscriptions } from "basiq-effect"
import { Effect, Exit, type Layer, ManagedRuntime, Redacted, Scope } from "effect"
import { build } from "esbuild"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type {} from "./page.js"

const API_KEY = "browser-test-api-key-5f0c2a"
const CHROMIUM = "/usr/bin/chromium"
/** A host name that is not loopback to the fake's CORS check, resolved to 127.0.0.1 by Chromium. */
const FOREIGN_HOST = "app.example"

/** The page, bundled for the browser as an app would bundle it. */
const bundlePage = async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./page.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["@basiq-effect/source"],
    minify: true,
    metafile: true,
    logLevel: "silent"
  })
  const [file] = result.outputFiles
  if (file === undefined) throw new Error("esbuild produced nothing")
  return { text: file.text, inputs: Object.keys(result.metafile.inputs) }
}

interface Delivery {
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * The app's own server: the page (at `/` and at `/callback`, where the consent page sends the
 * browser back), its bundle, `POST /api/client-token` (mints the signed-in user's client token
 * with the API key it holds), and `POST /webhook` (Basiq's deliveries, recorded).
 */
const startApp = async (bundle: string) => {
  const state = {
    basiqUrl: "",
    userId: "",
    mint: (_userId: string): Promise<string> => Promise.reject(new Error("no SDK yet")),
    mints: 0,
    deliveries: [] as Array<Delivery>
  }
  const html = () =>
    [
      "<!doctype html>",
      '<html lang="en"><head><meta charset="utf-8"><title>App</title></head>',
      `<body data-basiq-url="${state.basiqUrl}"><h1>App</h1><script type="module" src="/page.js"></script></body>`,
      "</html>"
    ].join("\n")
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" })
    res.end(body)
  }
  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = new URL(req.url ?? "/", "http://app.invalid").pathname
    if (req.method === "GET" && (path === "/" || path === "/callback")) return send(res, 200, "text/html", html())
    if (req.method === "GET" && path === "/page.js") return send(res, 200, "text/javascript", bundle)
    if (req.method === "POST" && path === "/api/client-token") {
      state.mints++
      return send(res, 200, "text/plain", await state.mint(state.userId))
    }
    if (req.method === "POST" && path === "/webhook") {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers[name] = value
      }
      state.deliveries.push({ headers, body })
      return send(res, 204, "text/plain", "")
    }
    return send(res, 404, "text/plain", "not found")
  }
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch(() => send(res, 500, "text/plain", "failed"))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The app back end's SDK (Node, with the API key). */
const backEnd = (served: InMemoryBasiq.Served) =>
  Basiq.layer({ apiKey: API_KEY, baseUrl: served.url, consentUiUrl: served.consentUrl })

/** Polls `condition` every 5 ms for at most `ms` (real time). */
const eventually = async (condition: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe("the SDK in headless Chromium", () => {
  let bundle = { text: "", inputs: [] as ReadonlyArray<string> }
  let app: Awaited<ReturnType<typeof startApp>>
  let scope: Scope.CloseableScope
  let served: InMemoryBasiq.Served
  let sdk: ManagedRuntime.ManagedRuntime<
    Layer.Layer.Success<ReturnType<typeof backEnd>>,
    Layer.Layer.Error<ReturnType<typeof backEnd>>
  >
  let browser: Browser
  let page: Page
  const pageErrors: Array<string> = []

  beforeAll(async () => {
    bundle = await bundlePage()
    app = await startApp(bundle.text)
    scope = Effect.runSync(Scope.make())
    served = await Effect.runPromise(
      Scope.extend(
        InMemoryBasiq.serve({
          apiKeys: [API_KEY],
          stepDuration: "5 millis",
          webhookRetryScale: 0.001,
          consentRedirectUrl: `${app.url}/callback`
        }),
        scope
      )
    )
    app.state.basiqUrl = served.url
    sdk = ManagedRuntime.make(backEnd(served))
    app.state.mint = (userId) =>
      sdk.runPromise(Effect.flatMap(BasiqClient.BasiqClient, (c) => c.clientToken(userId))).then(Redacted.value)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [`--host-resolver-rules=MAP ${FOREIGN_HOST} 127.0.0.1`]
    })
    page = await browser.newPage()
    page.on("pageerror", (error) => pageErrors.push(error.message))
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await sdk?.dispose()
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    await app?.close()
  })

  it("loads the page bundled for the browser: no undici, no API key", async () => {
    // The `#transport` condition picked FetchTransport: undici and the Node transport are not in the bundle.
    expect(bundle.inputs.some((path) => path.endsWith("packages/core/src/FetchTransport.ts"))).toBe(true)
    expect(bundle.inputs.some((path) => path.endsWith("internal/transport.default.ts"))).toBe(true)
    expect(bundle.inputs.filter((path) => /undici|transport\.node|node:/i.test(path))).toEqual([])
    expect(bundle.text).not.toContain(API_KEY)
    await page.goto(app.url)
    await page.waitForFunction(() => window.basiqPage !== undefined, undefined, { timeout: 5_000 })
    expect(await page.evaluate(() => window.basiqPage?.fetchCalls())).toBe(0)
    expect(await page.content()).not.toContain(API_KEY)
    expect(pageErrors).toEqual([])
  })

  let jobId = ""
  let webhookSecret: Redacted.Redacted<string> | undefined

  it("completes the consent page with a sandbox login; the redirect back carries the job ids", async () => {
    const user = await sdk.runPromise(
      Effect.flatMap(Users.Users, (users) => users.createUser({ email: "browser@hooli.example" }))
    )
    app.state.userId = user.id
    // The secret is shown once, at creation: the back end keeps it.
    const subscription = await sdk.runPromise(
      Effect.flatMap(WebhookSubscriptions.WebhookSubscriptions, (s) =>
        s.createSubscription({ url: `${app.url}/webhook`, subscribedEvents: ["connection.created"] })
      )
    )
    webhookSecret = subscription.secret
    const link = await sdk.runPromise(ConsentUi.link(user.id, { action: "connect", state: "browser-42" }))
    expect(link.href.startsWith(served.consentUrl)).toBe(true)

    await page.goto(link.href)
    expect(await page.locator("#user").textContent()).toBe(user.id)
    await page.selectOption('select[name="institutionId"]', "AU00000")
    await page.fill('input[name="loginId"]', "ashMann")
    await page.fill('input[name="password"]', "hooli2024")
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${app.url}/callback?`), { timeout: 5_000 }),
      page.click('button[type="submit"]')
    ])
    await page.waitForFunction(() => window.basiqPage !== undefined, undefined, { timeout: 5_000 })

    const redirect = await page.evaluate(() => window.basiqPage!.parseRedirect())
    expect(redirect.state).toBe("browser-42")
    expect(redirect.jobIds).toHaveLength(1)
    expect(new URL(page.url()).searchParams.get("jobIds")).toBe(redirect.jobIds[0])
    jobId = redirect.jobIds[0] ?? ""

    // The back end sees the same job, for this user.
    const job = await sdk.runPromise(Effect.flatMap(Jobs.Jobs, (jobs) => jobs.getJob(jobId)))
    expect(Jobs.userIdFromJob(job)).toBe(user.id)
    expect(pageErrors).toEqual([])
  })

  it("reads the job's status from the served fake with the client token only (CORS, FetchTransport)", async () => {
    expect(jobId).not.toBe("")
    const mintsBefore = app.state.mints
    const first = await page.evaluate((id) => window.basiqPage!.getJob(id), jobId)
    expect(first.id).toBe(jobId)
    expect(first.steps.map((s) => s.title)).toContain("verify-credentials")

    // The facade's requests went through the browser's fetch.
    expect(await page.evaluate(() => window.basiqPage!.fetchCalls())).toBe(1)
    expect(app.state.mints).toBe(mintsBefore + 1)

    const done = await page.evaluate((id) => window.basiqPage!.waitForJob(id), jobId)
    expect(done.state).toBe("Succeeded")
    expect(done.steps.every((s) => s.status === "success")).toBe(true)

    // The client token is reused; once Basiq rejects it (expired), the facade asks for a new one once.
    expect(app.state.mints).toBe(mintsBefore + 1)
    await Effect.runPromise(served.control.expireTokens())
    const again = await page.evaluate((id) => window.basiqPage!.getJob(id), jobId)
    expect(again.state).toBe("Succeeded")
    expect(app.state.mints).toBe(mintsBefore + 2)

    // A status error crosses CORS with its status and becomes the SDK's tagged error.
    const missing = await page.evaluate(() => window.basiqPage!.getJobError("no-such-job"))
    expect(missing).toEqual({ tag: "BasiqNotFoundError", status: 404, reason: undefined, retryAfterSeconds: undefined })

    // A 429's Retry-After is readable by the page (the fake exposes it): the SDK's rate limit error carries it.
    await Effect.runPromise(
      served.control.injectFault({
        path: `/jobs/${jobId}`,
        fault: InMemoryBasiq.Fault.status({ status: 429, retryAfter: 3600 })
      })
    )
    const limited = await page.evaluate((id) => window.basiqPage!.getJobError(id), jobId)
    expect(limited).toEqual({ tag: "BasiqRateLimitError", status: 429, reason: undefined, retryAfterSeconds: 3600 })

    // The page never called /token nor sent a key: every request it made is a job read.
    const journal = (await Effect.runPromise(served.control.journal)).filter(
      (entry) => entry.headers.origin === app.url
    )
    expect(journal.length).toBeGreaterThanOrEqual(3)
    for (const entry of journal) {
      expect(entry.method).toBe("GET")
      expect(entry.path.startsWith("/jobs/")).toBe(true)
      expect(entry.headers.authorization).toBeDefined()
      expect(JSON.stringify(entry)).not.toContain(API_KEY)
    }
    expect(pageErrors).toEqual([])
  })

  it("verifies the fake's signed webhook delivery with WebCrypto in the browser; tampered ones are refused", async () => {
    await eventually(() => app.state.deliveries.length > 0)
    const delivery = app.state.deliveries[0]!
    expect(webhookSecret).toBeDefined()
    const input = { secret: Redacted.value(webhookSecret!), body: delivery.body, headers: delivery.headers }

    const verified = await page.evaluate((d) => window.basiqPage!.verify(d), input)
    expect(verified).toMatchObject({ ok: true, eventTypeId: "connection.created" })

    const tamperedBody = await page.evaluate((d) => window.basiqPage!.verify(d), {
      ...input,
      body: input.body.replace("connection.created", "connection.deleted")
    })
    expect(tamperedBody).toEqual({ ok: false, reason: "NoMatchingSignature" })

    const signature = input.headers["webhook-signature"] ?? ""
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`
    const tamperedSignature = await page.evaluate((d) => window.basiqPage!.verify(d), {
      ...input,
      headers: { ...input.headers, "webhook-signature": flipped }
    })
    expect(tamperedSignature).toEqual({ ok: false, reason: "NoMatchingSignature" })

    const wrongSecret = await page.evaluate((d) => window.basiqPage!.verify(d), {
      ...input,
      secret: "whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ=="
    })
    expect(wrongSecret).toEqual({ ok: false, reason: "NoMatchingSignature" })
    expect(pageErrors).toEqual([])
  })
  it("a page on another origin is refused by the browser (no CORS answer): nothing reaches the fake", async () => {
    expect(jobId).not.toBe("")
    const foreignOrigin = app.url.replace("127.0.0.1", FOREIGN_HOST)
    await page.goto(foreignOrigin)
    await page.waitForFunction(() => window.basiqPage !== undefined, undefined, { timeout: 5_000 })
    const before = (await Effect.runPromise(served.control.journal)).length
    const refused = await page.evaluate((id) => window.basiqPage!.getJobError(id), jobId)
    // The browser's opaque "Failed to fetch" is the SDK's ConnectionReset.
    expect(refused).toEqual({
      tag: "BasiqTransportError",
      status: undefined,
      reason: "ConnectionReset",
      retryAfterSeconds: undefined
    })
    // Only the back end's client token exchange arrived; the page's request never did.
    const after = await Effect.runPromise(served.control.journal)
    expect(after.slice(before).map((entry) => `${entry.method} ${entry.path}`)).toEqual(["POST /token"])
    expect(after.some((entry) => entry.headers.origin === foreignOrigin)).toBe(false)
    expect(pageErrors).toEqual([])
  })
})
