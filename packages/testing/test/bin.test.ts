import { spawn } from "node:child_process"
import { once } from "node:events"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"

const root = fileURLToPath(new URL("../../../", import.meta.url))
/** tsx compiles effect on start, which takes seconds on a busy machine. */
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url))
/** As the root `basiq-fake` script runs it: workspace packages from their sources. */
const bin = ["--conditions=@basiq-effect/source", "packages/testing/bin/basiq-fake.ts"]

describe("bin/basiq-fake", () => {
  it("serves on a free port, prints where, and stops cleanly on SIGTERM", async () => {
    const child = spawn(tsx, [...bin, "--port", "0", "--api-key", "bin-key", "--step-ms", "5"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"]
    })
    const exited = once(child, "exit")
    try {
      const lines = createInterface({ input: child.stdout })
      // A child that dies before listening fails the test now, not at the timeout.
      const [first] = (await Promise.race([
        once(lines, "line"),
        exited.then(([code]) => Promise.reject(new Error(`basiq-fake exited with ${String(code)} before listening`)))
      ])) as [string]
      expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
      const url = first.slice("listening on ".length)
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

  it("refuses bad arguments with exit code 2", async () => {
    const child = spawn(tsx, [...bin, "--port", "nope"], {
      cwd: root,
      stdio: ["ignore", "ignore", "ignore"]
    })
    const [code] = await once(child, "exit")
    expect(code).toBe(2)
  }, 60_000)
})
