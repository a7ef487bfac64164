import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Cause } from "effect"
import { describeFailure, parse, UsageError, usage } from "../src/internal/cli.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
/** tsx compiles effect on start, which takes seconds on a busy machine. */
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url))
/** As the root `basiq-fake` script runs it: workspace packages from their sources. */
const bin = ["--conditions=@basiq-effect/source", "packages/testing/src/bin/basiq-fake.ts"]

const run = (args: ReadonlyArray<string>) =>
  spawn(tsx, [...bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })

const collect = (stream: NodeJS.ReadableStream | null) => {
  let text = ""
  stream?.setEncoding("utf8")
  stream?.on("data", (chunk: string) => {
    text += chunk
  })
  return () => text
}

/** Runs the command to its end: exit code, stdout, stderr. */
const complete = async (args: ReadonlyArray<string>) => {
  const child = run(args)
  const stdout = collect(child.stdout)
  const stderr = collect(child.stderr)
  const [code] = (await once(child, "exit")) as [number | null]
  return { code, stdout: stdout(), stderr: stderr() }
}

/** The URL from the first line; a child that dies before listening fails now, not at the timeout. */
const listening = async (child: ChildProcess, exited: Promise<unknown>): Promise<string> => {
  const lines = createInterface({ input: child.stdout! })
  const [first] = (await Promise.race([
    once(lines, "line"),
    exited.then(() => Promise.reject(new Error("basiq-fake exited before listening")))
  ])) as [string]
  expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
  return first.slice("listening on ".length)
}

/** The one line a bad command line gives (parse throws a `UsageError`). */
const refusal = (args: ReadonlyArray<string>): string => {
  try {
    parse(args)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as UsageError).message
  }
  throw new Error(`parse accepted ${JSON.stringify(args)}`)
}

describe("basiq-fake command line (in process)", () => {
  it("reads every option", () => {
    expect(
      parse([
        "--port",
        "8080",
        "--api-key",
        "k1",
        "--api-key=k2",
        "--step-ms",
        "5",
        "--webhook-secret",
        "whsec_c2VjcmV0",
        "--webhook-retry-scale",
        "0.001",
        "--redirect-url",
        "http://localhost:3000/done"
      ])
    ).toEqual({
      port: 8080,
      apiKeys: ["k1", "k2"],
      stepDuration: 5,
      webhookSecret: "whsec_c2VjcmV0",
      webhookRetryScale: 0.001,
      consentRedirectUrl: "http://localhost:3000/done"
    })
    expect(parse([])).toEqual({})
    expect(parse(["--help"])).toBe("help")
    expect(parse(["-h"])).toBe("help")
  })

  it.each([
    [["--port", "nope"], /^--port must be an integer from 0 to 65535 \(got "nope"\)$/],
    [["--port", "70000"], /^--port must be an integer/],
    [["--port", "1.5"], /^--port must be an integer/],
    [["--port"], /^--port needs a value$/],
    [["--step-ms", "-1"], /^--step-ms needs a value \(one starting with - goes as --step-ms=VALUE\)$/],
    [["--step-ms=-1"], /^--step-ms must be a number of milliseconds >= 0/],
    [["--step-ms", ""], /^--step-ms must be a number/],
    [["--webhook-retry-scale", "0"], /^--webhook-retry-scale must be a number above 0/],
    [["--redirect-url", "ftp://example.com"], /^--redirect-url must be an absolute http\(s\) URL$/],
    [["--redirect-url", "/relative"], /^--redirect-url must be an absolute http\(s\) URL$/],
    [["--api-key="], /^--api-key must not be empty$/],
    [["--webhook-secret="], /^--webhook-secret must not be empty$/],
    [["--help=yes"], /^--help takes no value$/],
    [["--bogus"], /^unknown option --bogus$/],
    [["-z"], /^unknown option -z$/],
    [["serve"], /^unexpected argument "serve" \(options start with --\)$/]
  ] as const)("refuses %j naming the argument", (args, expected) => {
    expect(refusal(args)).toMatch(expected)
  })

  it("never repeats a secret given to a misspelt or empty-valued option", () => {
    expect(refusal(["--api-kye=super-secret-key"])).toBe("unknown option --api-kye")
    expect(refusal(["--webhook-secrett=whsec_c2VjcmV0"])).toBe("unknown option --webhook-secrett")
    expect(refusal(["--api-key", "k", "--webhook-secret", "whsec_c2VjcmV0", "--port", "x"])).not.toMatch(/whsec|"k"/)
  })

  it("a listen failure is one line: a taken port says so", () => {
    const taken = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:4000"), {
      code: "EADDRINUSE"
    })
    expect(describeFailure(Cause.die(taken), 4000)).toBe("port 4000 on 127.0.0.1 is already in use")
    expect(describeFailure(Cause.die(new Error("first\n    at stack")), 0)).toBe("first")
  })
})

describe("bin/basiq-fake (as a process)", () => {
  it("serves on a free port, prints where, and stops cleanly on SIGTERM", async () => {
    const child = run(["--port", "0", "--api-key", "bin-key", "--step-ms", "5"])
    const exited = once(child, "exit")
    try {
      const url = await listening(child, exited)
      const token = await fetch(`${url}/token`, {
        method: "POST",
        headers: {
          Authorization: "Basic bin-key",
          "basiq-version": "3.0",
          "Content-Type": "application/x-www-form-urlencoded"
        },
        body: "scope=SERVER_ACCESS"
      })
      expect(token.status).toBe(200)
      const other = await fetch(`${url}/token`, {
        method: "POST",
        headers: { Authorization: "Basic other-key", "basiq-version": "3.0" }
      })
      expect(other.status).toBe(404)
    } finally {
      child.kill("SIGTERM")
    }
    const [code, signal] = await exited
    expect(signal).toBeNull()
    expect(code).toBe(0)
  }, 60_000)

  it("stops cleanly on SIGINT (started with --redirect-url and --webhook-secret)", async () => {
    const child = run(["--redirect-url", "http://localhost:3000/back", "--webhook-secret", "whsec_c2VjcmV0"])
    const exited = once(child, "exit")
    try {
      const url = await listening(child, exited)
      const page = await fetch(`${url}/consent/home`)
      expect(page.status).toBeLessThan(500)
    } finally {
      child.kill("SIGINT")
    }
    const [code, signal] = await exited
    expect(signal).toBeNull()
    expect(code).toBe(0)
  }, 60_000)

  it("--help prints the usage and exits 0", async () => {
    const { code, stdout, stderr } = await complete(["--help"])
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(usage.trim())
    expect(stdout).toContain("--webhook-retry-scale")
    expect(stderr).toBe("")
  }, 60_000)

  it("a bad argument: exit code 2 and one line on stderr naming it", async () => {
    const { code, stdout, stderr } = await complete(["--port", "nope"])
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr.trimEnd().split("\n")).toEqual([
      'basiq-fake: --port must be an integer from 0 to 65535 (got "nope") (basiq-fake --help lists the options)'
    ])
  }, 60_000)

  it("a taken port: exit code 1, one line, no stack trace", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const address = blocker.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      const { code, stderr } = await complete(["--port", String(port)])
      expect(code).toBe(1)
      expect(stderr.trimEnd().split("\n")).toEqual([`basiq-fake: port ${port} on 127.0.0.1 is already in use`])
    } finally {
      blocker.close()
    }
  }, 60_000)

  it("the README's five curl steps work against it", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const section = readme.slice(readme.indexOf("### Five steps with curl"))
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
    expect(script).toContain("BASIQ=http://127.0.0.1:4010")
    const child = run(["--port", "0", "--api-key", "my-key", "--step-ms", "50"])
    const exited = once(child, "exit")
    try {
      const url = await listening(child, exited)
      const shell = spawn("bash", ["-euo", "pipefail", "-c", (script ?? "").replaceAll("http://127.0.0.1:4010", url)], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      const stdout = collect(shell.stdout)
      const stderr = collect(shell.stderr)
      const [code] = await once(shell, "exit")
      expect(stderr()).toBe("")
      expect(code).toBe(0)
      // Step 4's job, then step 5's list, printed back to back.
      const [job, list] = stdout().split(/(?<=\})(?=\{"type":"list")/)
      expect(JSON.parse(job ?? "")).toMatchObject({
        type: "job",
        steps: [{ status: "success" }, { status: "success" }, { status: "success" }]
      })
      expect(JSON.parse(list ?? "")).toMatchObject({
        type: "list",
        data: [{ type: "connection", status: "active", institution: { id: "AU00000" } }]
      })
    } finally {
      child.kill("SIGTERM")
    }
    expect((await exited)[0]).toBe(0)
  }, 60_000)
})
