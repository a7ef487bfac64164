/**
 * The v3 journey with promises (`createBasiqClient`), against the served in-memory Basiq: a user,
 * the consent link, the customer's consent in the fake's consent page (posted here as the
 * customer's browser would), the redirect back, the job, the accounts, a purge and the delete.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/promises.ts`
 */
import { InMemoryBasiq } from "@basiq-effect/testing"
import { BasiqNotFoundError, createBasiqClient, Jobs } from "basiq-effect"
import { Effect } from "effect"
import { isMain, runMain } from "./runMain.js"

/** What the customer does in the consent UI: submit a sandbox login; the page redirects back. */
const consentInBrowser = async (link: string, loginId: string, password: string): Promise<string> => {
  const url = new URL(link)
  const form = new URLSearchParams({
    token: url.searchParams.get("token") ?? "",
    state: url.searchParams.get("state") ?? "",
    action: "",
    institutionId: "AU00000",
    loginId,
    password
  })
  const answer = await fetch(`${url.origin}${url.pathname}`, { method: "POST", body: form, redirect: "manual" })
  await answer.body?.cancel()
  const location = answer.headers.get("location")
  if (location === null) throw new Error(`the consent page answered ${answer.status} without a redirect`)
  return location
}

/** The journey against a Basiq at `baseUrl` whose consent UI is `consentUiUrl`. */
export const journey = async (baseUrl: string, consentUiUrl: string, log: (line: string) => void = console.log) => {
  const basiq = createBasiqClient({ apiKey: "example-api-key", baseUrl, consentUiUrl })
  try {
    const user = await basiq.users.createUser({ email: "ada@hooli.example" })
    log(`1. user ${user.id}`)
    const link = await basiq.consentUi.link(user.id, { state: "signup-42" })
    log(`2. consent link ${link.replace(/token=[^&]+/, "token=<hidden>")}`)
    const back = await consentInBrowser(link, "Wentworth-Smith", "whislter")
    const { jobIds, state } = basiq.consentUi.parseRedirect(back)
    log(`3. redirected back: jobIds ${jobIds.join(", ")}, state ${state}`)
    const job = await basiq.jobs.waitForJob(jobIds[0] ?? "", {
      onProgress: (j) => log(`   job: ${j.steps.map((s) => `${s.title}:${s.status}`).join(" ")}`)
    })
    const connectionId = Jobs.connectionIdFromJob(job) ?? ""
    const connection = await basiq.connections.getConnection(user.id, connectionId)
    const accounts = connection.accounts?.data?.length ?? 0
    log(`4. connection ${connectionId}: ${accounts} accounts`)
    await basiq.connections.purgeConnection(user.id, connectionId)
    const purged = await basiq.connections.getConnection(user.id, connectionId)
    log(`5. purged: ${purged.accounts?.data?.length ?? 0} accounts left`)
    await basiq.users.deleteUser(user.id)
    const gone = await basiq.users.getUser(user.id).then(
      () => "still there",
      (error: unknown) => (error instanceof BasiqNotFoundError ? `gone (${error.status})` : String(error))
    )
    log(`6. deleted: ${gone}`)
    return { state, accounts, accountsAfterPurge: purged.accounts?.data?.length ?? 0, gone }
  } finally {
    await basiq.dispose()
  }
}

if (isMain(import.meta.url)) {
  runMain(
    Effect.scoped(
      Effect.flatMap(InMemoryBasiq.serve({ stepDuration: "100 millis" }), (served) =>
        Effect.promise(() => journey(served.url, served.consentUrl))
      )
    ).pipe(Effect.asVoid)
  )
}
