/**
 * Shared by the examples: the embedded in-memory Basiq as a layer, and a runner for `tsx`.
 */
import { pathToFileURL } from "node:url"
import { BasiqConnections } from "@basiq-effect/connections"
import { InMemoryBasiq } from "@basiq-effect/testing"
import { Cause, type Duration, Effect, Exit, Layer } from "effect"

/** `Connections`, `Jobs` and the in-memory Basiq's controls, over the in-memory Basiq. */
export const inMemory = (stepDuration: Duration.DurationInput = "200 millis") =>
  BasiqConnections.layerWithoutHttpClient({ apiKey: "example-api-key" }).pipe(
    Layer.provideMerge(InMemoryBasiq.layer({ stepDuration }))
  )

/** Whether the module with this `import.meta.url` is the program `tsx` was asked to run. */
export const isMain = (url: string): boolean =>
  process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url

/** Runs an example program; prints the failure and sets a non-zero exit code on failure. */
export const runMain = <E>(program: Effect.Effect<void, E>): void => {
  Effect.runPromiseExit(program).then((exit) => {
    if (Exit.isFailure(exit)) {
      const error = Cause.squash(exit.cause)
      console.error(`failed: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    }
  })
}
