/**
 * A `CLIENT_ACCESS` token for Basiq's consent UI: Basiq's v3 API links banks through the consent
 * UI, opened in the user's browser with a token bound to that user. The server token never
 * leaves the server.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/clientToken.ts`
 */
import { BasiqClient } from "@basiq-effect/core"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Effect, Redacted } from "effect"
import { inMemory, isMain, runMain } from "./runMain.js"

/** The consent UI link for a user (hand it to the user's browser, never log it). */
export const consentUrl = (userId: string) =>
  Effect.gen(function* () {
    const client = yield* BasiqClient.BasiqClient
    const token = yield* client.clientToken(userId)
    const url = new URL("https://consent.basiq.io/home")
    url.searchParams.set("token", Redacted.value(token))
    return url
  })

export const program = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const user = yield* basiq.createUser({ email: "ada@example.com" })
  const url = yield* consentUrl(user.id)
  return { host: url.host, hasToken: (url.searchParams.get("token") ?? "").length > 0 }
})

if (isMain(import.meta.url)) {
  runMain(
    program.pipe(
      Effect.tap((r) => Effect.sync(() => console.log(`consent UI link for the user on ${r.host} (token hidden)`))),
      Effect.asVoid,
      Effect.provide(inMemory())
    )
  )
}
