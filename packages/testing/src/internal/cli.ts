/**
 * The `basiq-fake` command line: parsing and the one-line messages, apart from the process wiring
 * (`src/bin/basiq-fake.ts`) so they can be tested in process.
 *
 * @since 0.1.0
 * @internal
 */
import { parseArgs } from "node:util"
import * as Cause from "effect/Cause"
import type { ServeOptions } from "../InMemoryBasiq.js"

/** The `--help` text. */
export const usage = `usage: basiq-fake [options]

Serves an in-memory Basiq (token, users, consents, connections, jobs, events, webhooks and a
consent page) on http://127.0.0.1:PORT until SIGINT or SIGTERM. The first line of output is
"listening on http://127.0.0.1:PORT".

options:
  --port N                  the port, 0 to 65535 (default 0: a free one)
  --api-key KEY             an API key POST /token accepts; repeat for more (default: any non-empty key)
  --step-ms MS              how long each job step takes, in milliseconds (default 1000)
  --webhook-secret SECRET   the secret every webhook subscription signs with (default: a fresh whsec_ secret each)
  --webhook-retry-scale X   multiplies Basiq's webhook retry delays and attempt timeout (default 1)
  --redirect-url URL        where the consent page sends the browser back (default: <url>/consent/done)
  -h, --help                print this and exit
`

/** A bad command line: the one line to print (it names the argument, never a secret's value). */
export class UsageError {
  constructor(readonly message: string) {}
}

const spec = {
  port: { type: "string" },
  "api-key": { type: "string", multiple: true },
  "step-ms": { type: "string" },
  "webhook-secret": { type: "string" },
  "webhook-retry-scale": { type: "string" },
  "redirect-url": { type: "string" },
  help: { type: "boolean", short: "h" }
} as const

/** Node's parse errors, reworded to one line naming the argument. */
const parseError = (error: unknown): UsageError => {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  const message = error instanceof Error ? error.message : String(error)
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? ""
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`unknown option ${quoted.startsWith("--") ? quoted.split("=")[0] : quoted}`)
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /--[\w-]+/.exec(quoted)?.[0] ?? quoted
      if (/does not take an argument/.test(message)) return new UsageError(`${name} takes no value`)
      if (/ambiguous/.test(message))
        return new UsageError(`${name} needs a value (one starting with - goes as ${name}=VALUE)`)
      return new UsageError(`${name} needs a value`)
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(`unexpected argument ${JSON.stringify(quoted)} (options start with --)`)
    default:
      return new UsageError(message.split("\n")[0] ?? "bad arguments")
  }
}

const number = (name: string, text: string, valid: (n: number) => boolean, what: string): number => {
  const value = text.trim() === "" ? Number.NaN : Number(text)
  if (!valid(value)) throw new UsageError(`--${name} must be ${what} (got ${JSON.stringify(text)})`)
  return value
}

/** The options, `"help"`, or a thrown `UsageError`. */
export const parse = (args: ReadonlyArray<string>): ServeOptions | "help" => {
  let values: ReturnType<typeof parseArgs<{ options: typeof spec; strict: true; allowPositionals: false }>>["values"]
  try {
    values = parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw parseError(error)
  }
  if (values.help) return "help"
  const options: { -readonly [K in keyof ServeOptions]: ServeOptions[K] } = {}
  if (values.port !== undefined) {
    options.port = number(
      "port",
      values.port,
      (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
      "an integer from 0 to 65535"
    )
  }
  if (values["step-ms"] !== undefined) {
    options.stepDuration = number(
      "step-ms",
      values["step-ms"],
      (n) => Number.isFinite(n) && n >= 0,
      "a number of milliseconds >= 0"
    )
  }
  if (values["webhook-retry-scale"] !== undefined) {
    options.webhookRetryScale = number(
      "webhook-retry-scale",
      values["webhook-retry-scale"],
      (n) => Number.isFinite(n) && n > 0,
      "a number above 0"
    )
  }
  const apiKeys = values["api-key"]
  if (apiKeys !== undefined) {
    if (apiKeys.some((key) => key === "")) throw new UsageError("--api-key must not be empty")
    options.apiKeys = apiKeys
  }
  const secret = values["webhook-secret"]
  if (secret !== undefined) {
    if (secret === "") throw new UsageError("--webhook-secret must not be empty")
    options.webhookSecret = secret
  }
  const redirect = values["redirect-url"]
  if (redirect !== undefined) {
    if (!(URL.canParse(redirect) && /^https?:$/.test(new URL(redirect).protocol))) {
      throw new UsageError("--redirect-url must be an absolute http(s) URL")
    }
    options.consentRedirectUrl = redirect
  }
  return options
}

/** One line for a failure to listen (or anything else that went wrong), never a stack. */
export const describeFailure = (cause: Cause.Cause<unknown>, port: number): string => {
  const error = Cause.squash(cause)
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
  if (code === "EADDRINUSE") return `port ${port} on 127.0.0.1 is already in use`
  if (code === "EACCES") return `not allowed to listen on port ${port}`
  const message = error instanceof Error ? error.message : String(error)
  return message.split("\n")[0] ?? "failed"
}
