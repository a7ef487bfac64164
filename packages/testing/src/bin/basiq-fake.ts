#!/usr/bin/env node
/**
 * The `basiq-fake` command: serves the in-memory Basiq over HTTP on 127.0.0.1 until SIGINT or
 * SIGTERM. Its first line of output is `listening on http://127.0.0.1:PORT`. Run `basiq-fake
 * --help` for the options.
 *
 * A bad argument is one line on stderr naming it (never echoing a secret) and exit code 2; a port
 * that is taken is one line and exit code 1. No stack trace is ever printed.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { type ServeOptions, serve } from "../InMemoryBasiq.js"
import { describeFailure, parse, UsageError, usage } from "../internal/cli.js"

const print = (stream: NodeJS.WriteStream, line: string) => stream.write(line.endsWith("\n") ? line : `${line}\n`)

/** Waits for SIGINT or SIGTERM; a second one while stopping exits at once. */
const signal = Effect.async<NodeJS.Signals>((resume) => {
  const on = (name: NodeJS.Signals) => () => {
    process.off("SIGINT", onInt)
    process.off("SIGTERM", onTerm)
    const force = () => process.exit(1)
    process.once("SIGINT", force)
    process.once("SIGTERM", force)
    resume(Effect.succeed(name))
  }
  const onInt = on("SIGINT")
  const onTerm = on("SIGTERM")
  process.on("SIGINT", onInt)
  process.on("SIGTERM", onTerm)
  return Effect.sync(() => {
    process.off("SIGINT", onInt)
    process.off("SIGTERM", onTerm)
  })
})

/**
 * Ends when the process that started this one is gone. A wrapper such as `npx` runs the bin
 * through `sh -c`, which does not pass a SIGTERM on: when the wrapper is stopped, this process is
 * re-parented, and that is the signal to stop too.
 */
const parentGone = Effect.async<"parent exited">((resume) => {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) resume(Effect.succeed("parent exited"))
  }, 200)
  return Effect.sync(() => clearInterval(timer))
})

const main = async (): Promise<number> => {
  let options: ServeOptions | "help"
  try {
    options = parse(process.argv.slice(2))
  } catch (error) {
    const reason = error instanceof UsageError ? error.message : "bad arguments"
    print(process.stderr, `basiq-fake: ${reason} (basiq-fake --help lists the options)`)
    return 2
  }
  if (options === "help") {
    print(process.stdout, usage)
    return 0
  }
  const served = options
  const exit = await Effect.runPromiseExit(
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* serve(served)
        print(process.stdout, `listening on ${url}`)
        const received = yield* Effect.race(signal, parentGone)
        print(process.stdout, `${received}: stopping`)
      })
    )
  )
  if (Exit.isSuccess(exit)) return 0
  print(process.stderr, `basiq-fake: ${describeFailure(exit.cause, served.port ?? 0)}`)
  return 1
}

main().then((code) => process.exit(code))
