/**
 * Every error tag with `Effect.catchTags`: each failure is a typed, tagged value with its fields
 * (`status`, `code`, `correlationId`, `route`, ...), never a string to parse.
 *
 * Run: `pnpm exec tsx --conditions=@basiq-effect/source examples/src/errors.ts`
 */

import { type ConnectionSchemas, Connections } from "@basiq-effect/connections"
import { BasiqRetry } from "@basiq-effect/core"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Effect } from "effect"
import { inMemory, isMain, runMain } from "./runMain.js"

/** Turns any failure of `getConnection` into a one-line explanation. */
export const explain = <R>(
  effect: Effect.Effect<ConnectionSchemas.Connection, Connections.Failure, R>
): Effect.Effect<string, never, R> =>
  effect.pipe(
    Effect.map((c) => `ok: ${c.id}`),
    Effect.catchTags({
      BasiqBadRequestError: (e) => Effect.succeed(`400 bad request (${e.code}) — fix the request`),
      BasiqUnauthorizedError: (e) => Effect.succeed(`401 unauthorized (${e.code}) even after re-authenticating`),
      BasiqForbiddenError: (e) => Effect.succeed(`403 forbidden (${e.code}) — scope or limit`),
      BasiqNotFoundError: (e) => Effect.succeed(`404 not found on ${e.route}`),
      BasiqUnsupportedMediaTypeError: (e) => Effect.succeed(`415 unsupported media type (${e.code})`),
      BasiqRateLimitError: (e) => Effect.succeed(`429 rate limited after ${e.attempts} attempts`),
      BasiqServerError: (e) => Effect.succeed(`${e.status} server error after ${e.attempts} attempts`),
      BasiqUnexpectedStatusError: (e) => Effect.succeed(`unexpected status ${e.status}`),
      BasiqTransportError: (e) => Effect.succeed(`transport: ${e.reason}`),
      BasiqDecodeError: (e) => Effect.succeed(`unexpected body at ${e.at}: expected ${e.expected}`),
      BasiqAuthenticationError: (e) => Effect.succeed(`token exchange failed: ${e.reason}`),
      BasiqInvalidRequestError: (e) => Effect.succeed(`refused before sending: ${e.fields.join(", ")}`)
    })
  )

export const program = Effect.gen(function* () {
  const basiq = yield* InMemoryBasiq.InMemoryBasiq
  const connections = yield* Connections.Connections
  const user = yield* basiq.createUser()
  const { id } = yield* basiq.seedConnection({ userId: user.id })
  const path = `/users/${user.id}/connections/${id}`
  const get = (connectionId = id) => explain(connections.getConnection(user.id, connectionId))
  const fault = (fault: InMemoryBasiq.Fault, times = 1) => basiq.injectFault({ path, fault, times })
  const { Fault } = InMemoryBasiq
  const lines: Array<string> = []
  lines.push(yield* get())
  lines.push(yield* get("no-such-connection"))
  lines.push(yield* get("../../token"))
  yield* fault(Fault.status({ status: 400 }))
  lines.push(yield* get())
  yield* fault(
    Fault.status({
      status: 403,
      body: { type: "list", correlationId: "c-1", data: [{ type: "error", code: "forbidden-access" }] }
    })
  )
  lines.push(yield* get())
  yield* fault(Fault.status({ status: 500 }), 2)
  lines.push(yield* get().pipe(BasiqRetry.withPolicy(BasiqRetry.make({ maxRetries: 1, baseDelay: "10 millis" }))))
  yield* fault(Fault.status({ status: 200, body: { type: "connection", id } }))
  lines.push(yield* get())
  yield* fault(Fault.status({ status: 502, body: "<html>Bad gateway</html>", contentType: "text/html" }))
  lines.push(yield* get().pipe(BasiqRetry.withPolicy(BasiqRetry.none)))
  return lines
})

if (isMain(import.meta.url)) {
  runMain(
    program.pipe(
      Effect.tap((lines) => Effect.sync(() => console.log(lines.join("\n")))),
      Effect.asVoid,
      Effect.provide(inMemory())
    )
  )
}
