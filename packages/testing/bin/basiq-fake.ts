/**
 * Serves the in-memory Basiq over HTTP until SIGINT or SIGTERM.
 *
 *   basiq-fake [--port N] [--api-key K]... [--step-ms M]
 *
 * The first line of output is `listening on http://127.0.0.1:PORT`.
 */
import { parseArgs } from "node:util"
import { Effect } from "effect"
import { InMemoryBasiq } from "../src/index.js"

const usage = "usage: basiq-fake [--port N] [--api-key KEY]... [--step-ms MS]"

const parse = () => {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      "api-key": { type: "string", multiple: true },
      "step-ms": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h" }
    }
  })
  const port = Number(values.port)
  const stepMs = Number(values["step-ms"])
  if (values.help || !Number.isInteger(port) || port < 0 || port > 65535 || !(stepMs >= 0)) return undefined
  const apiKeys = values["api-key"]
  return { port, stepDuration: stepMs, ...(apiKeys === undefined ? {} : { apiKeys }) }
}

const signal = Effect.async<string>((resume) => {
  const on = (name: string) => () => resume(Effect.succeed(name))
  const onInt = on("SIGINT")
  const onTerm = on("SIGTERM")
  process.once("SIGINT", onInt)
  process.once("SIGTERM", onTerm)
  return Effect.sync(() => {
    process.off("SIGINT", onInt)
    process.off("SIGTERM", onTerm)
  })
})

let options: ReturnType<typeof parse>
try {
  options = parse()
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
}
if (options === undefined) {
  console.error(usage)
  process.exit(2)
}

const program = Effect.scoped(
  Effect.gen(function* () {
    const { url } = yield* InMemoryBasiq.serve(options)
    console.log(`listening on ${url}`)
    const received = yield* signal
    console.log(`${received}: stopping`)
  })
)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
