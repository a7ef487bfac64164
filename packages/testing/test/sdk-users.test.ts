/**
 * The start of the v3 journey through the SDK over the in-memory Basiq: create a user, build the
 * consent link, complete the consent, wait for the job, purge, delete the user (on virtual time);
 * and the consent page over the served fake in real time, read back with `ConsentUi.parseRedirect`.
 */
import { BasiqConnections, Connections, Jobs } from "@basiq-effect/connections"
import { BasiqConfig } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { Consents, ConsentUi, Users } from "@basiq-effect/users"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, TestClock } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const sdk = Layer.mergeAll(Users.layer, Consents.layer).pipe(
  Layer.provideMerge(
    BasiqConnections.layerFromConfig(
      BasiqConfig.layer({ apiKey: "journey-key", consentUiUrl: "https://consent.test/home" })
    )
  ),
  Layer.orDie
)

/** Waits for a job on virtual time: forks the wait and advances the clock until it is done. */
const waitOnVirtualTime = (jobId: string) =>
  Effect.gen(function* () {
    const jobs = yield* Jobs.Jobs
    const fiber = yield* Effect.fork(jobs.waitForJob(jobId))
    for (let i = 0; i < 120; i++) {
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust("1 second")
    }
    return yield* Fiber.join(fiber)
  })

describe("the v3 journey over the in-memory Basiq (TestClock)", () => {
  it.effect("user -> consent link -> consent -> job -> accounts -> purge -> delete user", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const users = yield* Users.Users
      const consents = yield* Consents.Consents
      const connections = yield* Connections.Connections

      const user = yield* users.createUser({ email: "ada@hooli.example", mobile: "+61410888999", firstName: "Ada" })
      expect(user.email).toBe("ada@hooli.example")
      const fetched = yield* users.getUser(user.id)
      expect(fetched.firstName).toBe("Ada")
      const updated = yield* users.updateUser(user.id, { lastName: "Lovelace" })
      expect(updated.id).toBe(user.id)

      const url = yield* ConsentUi.link(user.id, { state: "s-1", action: "connect" })
      expect(`${url.origin}${url.pathname}`).toBe("https://consent.test/home")
      expect(url.searchParams.get("token")).toBeTruthy()

      // What the consent UI does when the customer picks a sandbox login.
      const { jobIds } = yield* basiq.completeConsent({
        userId: user.id,
        loginId: "Wentworth-Smith",
        password: "whislter"
      })
      expect(jobIds).toHaveLength(1)
      const job = yield* waitOnVirtualTime(jobIds[0]!)
      const connectionId = Jobs.connectionIdFromJob(job)!
      const connection = yield* connections.getConnection(user.id, connectionId)
      expect(connection.accounts?.data?.length ?? 0).toBeGreaterThan(0)

      const listed = yield* consents.getConsents(user.id)
      expect(listed.data.map((c) => c.status)).toEqual(["active"])

      // Purge: accounts and transactions go, the connection stays; twice is fine.
      yield* connections.purgeConnection(user.id, connectionId)
      yield* connections.purgeConnection(user.id, connectionId)
      const purged = yield* connections.getConnection(user.id, connectionId)
      expect(purged.id).toBe(connectionId)
      expect(purged.accounts?.data ?? []).toHaveLength(0)

      yield* users.deleteUser(user.id)
      const gone = yield* Effect.flip(users.getUser(user.id))
      expect(gone._tag).toBe("BasiqNotFoundError")
      const noConnection = yield* Effect.flip(connections.getConnection(user.id, connectionId))
      expect(noConnection._tag).toBe("BasiqNotFoundError")
    }).pipe(Effect.provide(sdk.pipe(Layer.provideMerge(InMemoryBasiq.layer({ stepDuration: "1 second" })))))
  )

  it.effect("deleting a consent removes it and its connections", () =>
    Effect.gen(function* () {
      const basiq = yield* InMemoryBasiq.InMemoryBasiq
      const users = yield* Users.Users
      const consents = yield* Consents.Consents
      const connections = yield* Connections.Connections
      const user = yield* users.createUser({ email: "grace@hooli.example" })
      const { jobIds } = yield* basiq.completeConsent({
        userId: user.id,
        loginId: "Wentworth-Smith",
        password: "whislter"
      })
      yield* waitOnVirtualTime(jobIds[0]!)
      const [consent] = (yield* consents.getConsents(user.id)).data
      yield* consents.deleteConsent(user.id, consent!.id)
      expect(
        (yield* consents.getConsents(user.id)).data.filter((c) => c.id === consent!.id && c.status === "active")
      ).toHaveLength(0)
      expect((yield* connections.getConnections(user.id)).data ?? []).toHaveLength(0)
      const again = yield* Effect.flip(consents.deleteConsent(user.id, consent!.id))
      expect(again._tag).toBe("BasiqNotFoundError")
    }).pipe(Effect.provide(sdk.pipe(Layer.provideMerge(InMemoryBasiq.layer({ stepDuration: "1 second" })))))
  )
})

describe("the consent page over the served fake (real time)", () => {
  it.scopedLive("link -> page -> form post -> redirect -> parseRedirect -> job done", () =>
    Effect.gen(function* () {
      const served = yield* InMemoryBasiq.serve({
        stepDuration: "5 millis",
        consentRedirectUrl: "http://127.0.0.1:9/back"
      })
      const layer = Users.layer.pipe(
        Layer.provideMerge(
          BasiqConnections.layerFromConfig(
            BasiqConfig.layer({ apiKey: "served-key", baseUrl: served.url, consentUiUrl: served.consentUrl })
          )
        ),
        Layer.provide(UndiciHttpClient.layer),
        Layer.orDie
      )
      const result = yield* Effect.gen(function* () {
        const users = yield* Users.Users
        const jobs = yield* Jobs.Jobs
        const user = yield* users.createUser({ email: "page@hooli.example" })
        const url = yield* ConsentUi.link(user.id, { state: "<s&1>" })
        expect(url.href.startsWith(served.consentUrl)).toBe(true)

        const page = yield* Effect.promise(() => fetch(url))
        expect(page.status).toBe(200)
        const html = yield* Effect.promise(() => page.text())
        expect(html).toContain("<form")
        expect(html).not.toContain("<s&1>")

        const form = new URLSearchParams({
          token: url.searchParams.get("token")!,
          state: "<s&1>",
          loginId: "Wentworth-Smith",
          password: "whislter"
        })
        const posted = yield* Effect.promise(() =>
          fetch(served.consentUrl, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: form,
            redirect: "manual"
          })
        )
        expect(posted.status).toBe(303)
        const back = ConsentUi.parseRedirect(posted.headers.get("location")!)
        expect(back.state).toBe("<s&1>")
        expect(back.jobIds).toHaveLength(1)
        const job = yield* jobs.waitForJob(back.jobIds[0]!, { timeout: "10 seconds" })
        return job.steps.map((s) => s.status)
      }).pipe(Effect.provide(layer))
      expect(result.every((s) => s === "success")).toBe(true)

      // A forged token gets a 4xx page.
      const forged = yield* Effect.promise(() => fetch(`${served.consentUrl}?token=forged`))
      expect(forged.status).toBeGreaterThanOrEqual(400)
      expect(forged.status).toBeLessThan(500)
    })
  )
})
