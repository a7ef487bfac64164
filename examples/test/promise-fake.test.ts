/**
 * The fake for promise users: `InMemoryBasiq.start()` in plain `async` vitest tests, with the
 * promise facade `createConnectionsClient` pointed at it. No Effect in sight.
 */
import { BasiqNotFoundError, type ConnectionsClient, createConnectionsClient } from "@basiq-effect/connections"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

describe("InMemoryBasiq.start with createConnectionsClient", () => {
  let fake: InMemoryBasiq.Started
  let basiq: ConnectionsClient.ConnectionsClient

  beforeAll(async () => {
    fake = await InMemoryBasiq.start({ apiKeys: ["test-key"], stepDuration: 5 })
    basiq = createConnectionsClient({ apiKey: "test-key", baseUrl: fake.url })
  })

  afterAll(async () => {
    await basiq.dispose()
    await fake.close()
  })

  it("a consent through the fake's controls, then the job and the connection through the client", async () => {
    const user = await fake.createUser({ email: "max@example.com" })
    const { jobIds } = await fake.completeConsent({ userId: user.id, loginId: "laurieBream", password: "business2024" })
    expect(jobIds).toHaveLength(1)

    const job = await basiq.waitForJob(jobIds[0] ?? "")
    expect(job.steps.map((step) => step.status)).toEqual(job.steps.map(() => "success"))

    const list = await basiq.getConnections(user.id)
    expect(list.data).toHaveLength(1)
    expect(list.data[0]?.status).toBe("active")
    expect(list.data[0]?.institution.id).toBe("AU00000")
  })

  it("a control that fails rejects with the control's own error", async () => {
    const rejected = await fake
      .completeConsent({ userId: "no-such-user", loginId: "laurieBream", password: "business2024" })
      .then(
        () => undefined,
        (error: unknown) => error
      )
    expect(rejected).toBeInstanceOf(InMemoryBasiq.UnknownUserError)
    expect(rejected).toMatchObject({ _tag: "UnknownUserError", userId: "no-such-user" })
  })

  it("an injected fault reaches the client as the SDK's typed error; the journal shows no key", async () => {
    const user = await fake.createUser()
    await fake.injectFault({
      method: "GET",
      path: `/users/${user.id}/connections`,
      fault: InMemoryBasiq.Fault.status({ status: 404 })
    })
    await expect(basiq.getConnections(user.id)).rejects.toBeInstanceOf(BasiqNotFoundError)
    // The fault was used up: the next call is answered by the routes.
    await expect(basiq.getConnections(user.id)).resolves.toMatchObject({ data: [] })

    const journal = await fake.journal()
    expect(journal.some((entry) => entry.path === `/users/${user.id}/connections`)).toBe(true)
    expect(JSON.stringify(journal)).not.toContain("test-key")
  })

  it("close() stops the server, and a second close() is harmless", async () => {
    const other = await InMemoryBasiq.start()
    const answered = await fetch(`${other.url}/consent/home`)
    expect(answered.status).toBeGreaterThanOrEqual(200)
    await other.close()
    await other.close()
    await expect(fetch(`${other.url}/token`, { method: "POST" })).rejects.toThrow(TypeError)
  })

  it("a bad option rejects start() and leaves nothing listening", async () => {
    await expect(InMemoryBasiq.start({ consentRedirectUrl: "not a url" })).rejects.toThrow(
      /consentRedirectUrl must be an absolute http\(s\) URL/
    )
  })
})
