/**
 * `createBasiqClient`: every method of every group rejects malformed input (as JavaScript callers
 * can pass it) with the typed error, never a `TypeError`, and sends nothing, not even `/token`.
 * Bad options throw `BasiqConfigError` at once.
 */
import { HttpClient } from "@effect/platform"
import {
  BasiqConfigError,
  BasiqInvalidRequestError,
  type BasiqPromiseClient,
  createBasiqClient,
  WebhookVerificationError
} from "basiq-effect"
import { Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"

let sent = 0
const recording = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make(() => {
    sent++
    return Effect.dieMessage("nothing should be sent")
  })
)

const client = createBasiqClient({ apiKey: "test-api-key", httpClient: recording })
afterAll(() => client.dispose())

/** Lets JavaScript-style bad arguments through the types. */
const js = <A>(u: unknown): A => u as A

type Call = readonly [string, (c: BasiqPromiseClient.BasiqPromiseClient) => Promise<unknown>]

const invalidRequest: ReadonlyArray<Call> = [
  ["users.createUser body", (c) => c.users.createUser(js(42))],
  ["users.createUser field", (c) => c.users.createUser(js({ email: 5 }))],
  ["users.getUser id", (c) => c.users.getUser(js(5))],
  ["users.getUser traversal", (c) => c.users.getUser("../admin")],
  ["users.updateUser body", (c) => c.users.updateUser("u1", js("x"))],
  ["users.updateUser id", (c) => c.users.updateUser(js(null), {})],
  ["users.deleteUser id", (c) => c.users.deleteUser(js(undefined))],
  ["consents.getConsents id", (c) => c.consents.getConsents(js(1))],
  ["consents.deleteConsent id", (c) => c.consents.deleteConsent("u1", js(2))],
  ["consentUi.link id", (c) => c.consentUi.link(js(3))],
  ["consentUi.link action", (c) => c.consentUi.link("u1", { action: js("nope") })],
  ["consentUi.link state", (c) => c.consentUi.link("u1", { state: "x".repeat(2000) })],
  ["connections.getConnections id", (c) => c.connections.getConnections(js(1))],
  ["connections.getConnections filter", (c) => c.connections.getConnections("u1", { filter: js(5) })],
  ["connections.getConnection id", (c) => c.connections.getConnection("u1", js(1))],
  ["connections.postConnection body", (c) => c.connections.postConnection("u1", js(5))],
  ["connections.updateConnection body", (c) => c.connections.updateConnection("u1", "c1", js(5))],
  ["connections.deleteConnection id", (c) => c.connections.deleteConnection(js(1), "c1")],
  ["connections.purgeConnection id", (c) => c.connections.purgeConnection("u1", js(1))],
  ["connections.refreshConnection id", (c) => c.connections.refreshConnection(js(1), "c1")],
  ["connections.refreshConnections id", (c) => c.connections.refreshConnections(js(1))],
  ["jobs.getJob id", (c) => c.jobs.getJob(js(1))],
  ["jobs.postJobMfa id", (c) => c.jobs.postJobMfa(js(1), ["a"])],
  ["jobs.postJobMfa answers", (c) => c.jobs.postJobMfa("j1", js(5))],
  ["jobs.waitForJob id", (c) => c.jobs.waitForJob(js(1))],
  ["jobs.waitForJob onMfa", (c) => c.jobs.waitForJob("j1", { onMfa: js(5) })],
  ["events.getEvents filter", (c) => c.events.getEvents({ filter: js(5) })],
  ["events.getEvent id", (c) => c.events.getEvent(js(1))],
  ["events.getEventTypes options", (c) => c.events.getEventTypes(js("x"))],
  ["subscriptions.createSubscription body", (c) => c.webhooks.subscriptions.createSubscription(js(5))],
  ["subscriptions.getSubscriptions signal", (c) => c.webhooks.subscriptions.getSubscriptions({ signal: js(5) })],
  ["subscriptions.getSubscription id", (c) => c.webhooks.subscriptions.getSubscription(js(1))],
  ["subscriptions.updateSubscription id", (c) => c.webhooks.subscriptions.updateSubscription(js(1), js({}))],
  ["subscriptions.updateSubscription body", (c) => c.webhooks.subscriptions.updateSubscription("s1", js(7))],
  ["subscriptions.deleteSubscription id", (c) => c.webhooks.subscriptions.deleteSubscription(js(1))],
  ["subscriptions.getMessages id", (c) => c.webhooks.subscriptions.getMessages(js(1))],
  ["subscriptions.getMessage id", (c) => c.webhooks.subscriptions.getMessage("s1", js(1))],
  ["subscriptions.sendTestMessage body", (c) => c.webhooks.subscriptions.sendTestMessage(js(5))],
  ["clientToken id", (c) => c.clientToken(js(1))]
]

const verification: ReadonlyArray<
  readonly [string, (c: BasiqPromiseClient.BasiqPromiseClient) => Promise<unknown>, string]
> = [
  ["payload", (c) => c.webhooks.verify(js(5), { "webhook-id": "x" }, { secret: "whsec_AAAA" }), "BadPayload"],
  ["headers", (c) => c.webhooks.verify("{}", js(null), { secret: "whsec_AAAA" }), "MissingHeader"],
  ["secret", (c) => c.webhooks.verify("{}", {}, js({ secret: 5 })), "InvalidSecret"],
  [
    "secret type",
    (c) =>
      c.webhooks.verify(
        "{}",
        { "webhook-id": "i", "webhook-timestamp": "1", "webhook-signature": "v1,x" },
        js({ secret: 5 })
      ),
    "InvalidSecret"
  ],
  ["no options", (c) => c.webhooks.verify("{}", {}, js(undefined)), "InvalidSecret"]
]

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error })
  )

describe("createBasiqClient: bad input", () => {
  it.each(invalidRequest)("%s: BasiqInvalidRequestError, nothing sent", async (_, call) => {
    const outcome = await rejection(call(client))
    expect(outcome.resolved).toBe(false)
    if (!outcome.resolved) {
      expect(outcome.error).toBeInstanceOf(BasiqInvalidRequestError)
      expect((outcome.error as BasiqInvalidRequestError).fields.length).toBeGreaterThan(0)
    }
    expect(sent).toBe(0)
  })

  it.each(verification)("webhooks.verify with a bad %s: WebhookVerificationError", async (_, call, reason) => {
    const outcome = await rejection(call(client))
    expect(outcome.resolved).toBe(false)
    if (!outcome.resolved) {
      expect(outcome.error).toBeInstanceOf(WebhookVerificationError)
      expect((outcome.error as WebhookVerificationError).reason).toBe(reason)
    }
    expect(sent).toBe(0)
  })

  it("parseRedirect never throws", () => {
    expect(client.consentUi.parseRedirect(js(5))).toEqual({ jobIds: [] })
    expect(client.consentUi.parseRedirect("::not a url")).toEqual({ jobIds: [] })
    expect(client.consentUi.parseRedirect("https://app.example/back?jobIds=a,b&state=s")).toEqual({
      jobIds: ["a", "b"],
      state: "s"
    })
  })

  it("bad options throw BasiqConfigError naming the option", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{}, "apiKey"],
      [{ apiKey: "k", clientToken: async () => "t" }, "clientToken"],
      [{ apiKey: "k", baseUrl: "not a url" }, "baseUrl"],
      [{ apiKey: "k", httpClient: 5 }, "httpClient"],
      [{ apiKey: "line\nbreak" }, "apiKey"]
    ]
    for (const [options, option] of cases) {
      let thrown: unknown
      try {
        createBasiqClient(js(options))
      } catch (error) {
        thrown = error
      }
      expect(thrown, option).toBeInstanceOf(BasiqConfigError)
      expect((thrown as BasiqConfigError).option).toBe(option)
      expect(String((thrown as BasiqConfigError).message)).not.toContain("line\nbreak")
    }
  })
})
