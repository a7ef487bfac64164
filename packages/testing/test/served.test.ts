/**
 * The served fake, reached the way a plain client written from Basiq's public API would: `fetch`
 * with the headers Basiq's own JavaScript SDK sends (JSON content type everywhere, the key as
 * issued on /token with basiq-version and a form scope). Real time, 5 ms steps; jobs are polled
 * with short sleeps in a bounded loop.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const { Fault } = InMemoryBasiq

const API_KEY = "e2e-key"
const jsonHeaders = { "Content-Type": "application/json", Accept: "application/json" }

interface Step {
  readonly title: string
  readonly status: string
  readonly result: { readonly url?: string; readonly code?: string; readonly detail?: string } | null
}
interface Job {
  readonly id: string
  readonly steps: ReadonlyArray<Step>
}

/** A minimal Basiq client: what someone would write from the public docs alone. */
const client = (url: string) => {
  let token = ""
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { ...jsonHeaders, Authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await send(method, path, body)
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
  }
  return {
    send,
    call,
    authenticate: async () => {
      const response = await fetch(`${url}/token`, {
        method: "POST",
        headers: {
          Authorization: `Basic ${API_KEY}`,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
          "basiq-version": "2.1"
        },
        body: "scope=SERVER_ACCESS"
      })
      expect(response.status).toBe(200)
      token = ((await response.json()) as { access_token: string }).access_token
    },
    /** Polls the job until every step succeeded or one failed. */
    waitForJob: async (jobId: string): Promise<Job> => {
      for (let attempt = 0; attempt < 500; attempt++) {
        const { status, body } = await call("GET", `/jobs/${jobId}`)
        expect(status).toBe(200)
        const job = body as Job
        if (job.steps.some((s) => s.status === "failed") || job.steps.every((s) => s.status === "success")) return job
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`job ${jobId} did not finish`)
    }
  }
}

const lifecycle = async (url: string) => {
  const basiq = client(url)
  await basiq.authenticate()
  const user = await basiq.call("POST", "/users", { email: "e2e@hooli.example", mobile: "+61410888999" })
  expect(user.status).toBe(201)
  const userId = (user.body as { id: string }).id

  const created = await basiq.call("POST", `/users/${userId}/connections`, {
    loginId: "gavinBelson",
    password: "hooli2016",
    institution: { id: "AU00000" }
  })
  expect(created.status).toBe(202)
  const createdRef = created.body as { id: string; links: { self: string } }
  expect(createdRef.links.self).toBe(`${url}/jobs/${createdRef.id}`)
  const job = await basiq.waitForJob(createdRef.id)
  expect(job.steps.map((s) => s.status)).toEqual(["success", "success", "success"])
  // As Basiq's SDK does: the connection id is the last segment of verify-credentials' result url.
  const connectionId = job.steps[0]?.result?.url?.split("/").pop() ?? ""
  const path = `/users/${userId}/connections/${connectionId}`

  const connection = await basiq.call("GET", path)
  expect(connection.status).toBe(200)
  expect(connection.body).toMatchObject({
    type: "connection",
    id: connectionId,
    status: "active",
    institution: { id: "AU00000" },
    links: { self: `${url}${path}` }
  })

  const filter = encodeURIComponent("status.eq('active'),institution.id.eq('AU00000')")
  const listed = await basiq.call("GET", `/users/${userId}/connections?filter=${filter}`)
  expect(listed.status).toBe(200)
  expect((listed.body as { data: Array<{ id: string }> }).data.map((c) => c.id)).toEqual([connectionId])
  const none = await basiq.call(
    "GET",
    `/users/${userId}/connections?filter=${encodeURIComponent("status.eq('invalid')")}`
  )
  expect((none.body as { data: Array<unknown> }).data).toEqual([])

  const refreshed = await basiq.call("POST", `${path}/refresh`)
  expect(refreshed.status).toBe(202)
  expect(
    (await basiq.waitForJob((refreshed.body as { id: string }).id)).steps.every((s) => s.status === "success")
  ).toBe(true)

  const updated = await basiq.call("POST", path, { password: "hooli2016" })
  expect(updated.status).toBe(202)
  expect((await basiq.waitForJob((updated.body as { id: string }).id)).steps.every((s) => s.status === "success")).toBe(
    true
  )

  const deleted = await basiq.call("DELETE", path)
  expect(deleted.status).toBe(204)
  expect(deleted.body).toBeUndefined()
  const gone = await basiq.call("GET", path)
  expect(gone.status).toBe(404)
  expect(gone.body).toMatchObject({ type: "list", data: [{ type: "error", code: "resource-not-found" }] })
}

const lockedLogin = async (url: string) => {
  const basiq = client(url)
  await basiq.authenticate()
  const user = await basiq.call("POST", "/users", { email: "bighead@hooli.example" })
  const userId = (user.body as { id: string }).id
  const created = await basiq.call("POST", `/users/${userId}/connections`, {
    loginId: "bighead",
    password: "password",
    institution: { id: "AU00000" }
  })
  expect(created.status).toBe(202)
  const job = await basiq.waitForJob((created.body as { id: string }).id)
  expect(job.steps.map((s) => s.status)).toEqual(["failed", "pending", "pending"])
  expect(job.steps[0]?.result).toMatchObject({ code: "invalid-credentials", detail: "Account is locked" })
  const listed = await basiq.call("GET", `/users/${userId}/connections`)
  expect((listed.body as { data: Array<{ status: string }> }).data.map((c) => c.status)).toEqual(["invalid"])
}

const served = InMemoryBasiq.serve({ stepDuration: "5 millis", apiKeys: [API_KEY] })

describe("InMemoryBasiq.serve", () => {
  it.scopedLive("a plain fetch client completes the connection lifecycle", () =>
    Effect.gen(function* () {
      const { url, port } = yield* served
      expect(url).toBe(`http://127.0.0.1:${port}`)
      yield* Effect.promise(() => lifecycle(url))
    })
  )

  it.scopedLive("a locked login's job fails verify-credentials", () =>
    Effect.gen(function* () {
      const { url } = yield* served
      yield* Effect.promise(() => lockedLogin(url))
    })
  )

  it.effect("runs on the real clock even under TestClock, and closes with its scope", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const { url } = yield* Scope.extend(served, scope)
      yield* Effect.promise(() => lockedLogin(url))
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.promise(() =>
        fetch(`${url}/token`, { method: "POST" }).then(
          () => "answered",
          (error: unknown) => (error instanceof TypeError ? "refused" : "other")
        )
      )
      expect(after).toBe("refused")
    })
  )

  it.scopedLive("faults: status, delay, resets and truncation over the socket", () =>
    Effect.gen(function* () {
      const { url, control } = yield* served
      yield* Effect.promise(async () => {
        const basiq = client(url)
        await basiq.authenticate()
        const userId = (await Effect.runPromise(control.createUser())).id
        const connections = `/users/${userId}/connections`
        const count = async () => ((await basiq.call("GET", connections)).body as { data: Array<unknown> }).data.length
        const body = { loginId: "jared", password: "django", institution: { id: "AU00000" } }
        await Effect.runPromise(
          control.injectFault({
            path: connections,
            fault: Fault.status({ status: 502, body: "<h1>Bad Gateway</h1>", contentType: "text/html" })
          })
        )
        const gateway = await fetch(`${url}${connections}`)
        expect(gateway.status).toBe(502)
        expect(gateway.headers.get("content-type")).toBe("text/html")
        expect(await gateway.text()).toBe("<h1>Bad Gateway</h1>")

        await Effect.runPromise(control.injectFault({ path: connections, fault: Fault.delay("50 millis") }))
        const started = performance.now()
        expect((await basiq.call("GET", connections)).status).toBe(200)
        expect(performance.now() - started).toBeGreaterThanOrEqual(45)

        await Effect.runPromise(control.injectFault({ method: "POST", fault: Fault.resetBeforeApply() }))
        const before = await basiq.call("POST", connections, body).then(
          () => undefined,
          (error: unknown) => error
        )
        expect(before).toBeInstanceOf(TypeError)
        expect((before as Error).message).toBe("fetch failed")
        expect(await count()).toBe(0)

        await Effect.runPromise(control.injectFault({ method: "POST", fault: Fault.resetAfterApply() }))
        const after = await basiq.call("POST", connections, body).then(
          () => undefined,
          (error: unknown) => error
        )
        expect(after).toBeInstanceOf(TypeError)
        expect(await count()).toBe(1)

        await Effect.runPromise(control.injectFault({ method: "POST", fault: Fault.truncate() }))
        const truncated = await basiq.send("POST", connections, body)
        expect(truncated.status).toBe(202)
        const announced = Number(truncated.headers.get("content-length"))
        expect(announced).toBeGreaterThan(0)
        await expect(truncated.text()).rejects.toThrow()
        expect(await count()).toBe(2)

        expect((await basiq.call("GET", connections)).status).toBe(200)
      })
    })
  )
})
