/**
 * The test command's preflight, over injected probes: nothing is installed or removed here.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { type AptAccess, decide, onPath, type Probes, preflight, type Requirement, requirements } from "../preflight.js"

/** A machine where `installed` is what is present; apt-get installs what it is asked to (unless `aptFails`). */
const machine = (options: {
  readonly installed: ReadonlyArray<string>
  readonly access: AptAccess
  readonly aptFails?: "update" | "install"
  readonly aptInstallsNothing?: boolean
}) => {
  const installed = new Set(options.installed)
  const runs: Array<ReadonlyArray<string>> = []
  const out: Array<string> = []
  const err: Array<string> = []
  let accessProbed = 0
  const requirement = (name: string, aptPackage: string): Requirement => ({
    name,
    aptPackage,
    present: () => installed.has(aptPackage)
  })
  const probes: Probes = {
    requirements: [requirement("redis-server", "redis-server"), requirement("/usr/bin/chromium", "chromium")],
    access: () => {
      accessProbed++
      return options.access
    },
    run: (argv) => {
      runs.push(argv)
      const verb = argv.includes("update") ? "update" : "install"
      if (options.aptFails === verb) return { status: 100, output: "E: Unable to locate package\n" }
      if (verb === "install" && options.aptInstallsNothing !== true) {
        for (const pkg of argv.slice(argv.indexOf("-y") + 1)) installed.add(pkg)
      }
      return { status: 0, output: "" }
    },
    out: (line) => out.push(line),
    err: (text) => err.push(text)
  }
  return { probes, runs, out, err, installed, accessProbed: () => accessProbed }
}

const lines = (chunks: ReadonlyArray<string>) =>
  chunks
    .join("")
    .split("\n")
    .filter((l) => l !== "")

describe("preflight", () => {
  it("is silent and runs nothing when everything is present", () => {
    const m = machine({ installed: ["redis-server", "chromium"], access: { _tag: "Root" } })
    expect(preflight(m.probes)).toBe(0)
    expect(m.runs).toEqual([])
    expect(m.out).toEqual([])
    expect(m.err).toEqual([])
    expect(m.accessProbed()).toBe(0)
  })

  it("as root, installs what is missing with apt-get update then install, saying so in one line", () => {
    const m = machine({ installed: ["chromium"], access: { _tag: "Root" } })
    expect(preflight(m.probes)).toBe(0)
    expect(m.runs).toEqual([
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "update"],
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "install", "-y", "redis-server"]
    ])
    expect(lines(m.out)).toEqual(["preflight: installing redis-server with apt-get (redis-server missing)"])
    expect(m.err).toEqual([])
    expect(m.installed.has("redis-server")).toBe(true)
  })

  it("with passwordless sudo, installs both through sudo -n", () => {
    const m = machine({ installed: [], access: { _tag: "Sudo" } })
    expect(preflight(m.probes)).toBe(0)
    expect(m.runs).toEqual([
      ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "update"],
      [
        "sudo",
        "-n",
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "-qq",
        "install",
        "-y",
        "redis-server",
        "chromium"
      ]
    ])
    expect(lines(m.out)).toEqual([
      "preflight: installing redis-server, chromium with apt-get (redis-server, /usr/bin/chromium missing)"
    ])
  })

  it("without usable apt-get, stops with exactly one line naming the command, and installs nothing", () => {
    const m = machine({ installed: ["chromium"], access: { _tag: "Unavailable" } })
    expect(preflight(m.probes)).toBe(1)
    expect(m.runs).toEqual([])
    expect(m.out).toEqual([])
    expect(lines(m.err)).toEqual(['missing redis-server: run "sudo apt-get install -y redis-server"'])
  })

  it("names every missing program and package in the one line", () => {
    const m = machine({ installed: [], access: { _tag: "Unavailable" } })
    expect(preflight(m.probes)).toBe(1)
    expect(lines(m.err)).toEqual([
      'missing redis-server, /usr/bin/chromium: run "sudo apt-get install -y redis-server chromium"'
    ])
  })

  it("stops when apt-get fails, showing its output and the command to run", () => {
    const m = machine({ installed: ["redis-server"], access: { _tag: "Root" }, aptFails: "install" })
    expect(preflight(m.probes)).toBe(1)
    expect(m.runs).toHaveLength(2)
    expect(lines(m.err)).toEqual([
      "E: Unable to locate package",
      'missing /usr/bin/chromium: run "sudo apt-get install -y chromium" (apt-get -qq install -y chromium failed)'
    ])
  })

  it("does not install when apt-get update fails", () => {
    const m = machine({ installed: ["redis-server"], access: { _tag: "Root" }, aptFails: "update" })
    expect(preflight(m.probes)).toBe(1)
    expect(m.runs).toEqual([["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq", "update"]])
  })

  it("stops when the program is still missing after apt-get", () => {
    const m = machine({ installed: ["chromium"], access: { _tag: "Root" }, aptInstallsNothing: true })
    expect(preflight(m.probes)).toBe(1)
    expect(lines(m.err)).toEqual([
      'missing redis-server: run "sudo apt-get install -y redis-server" (still missing after apt-get)'
    ])
  })

  it("decide is Ready with nothing missing, whatever the access", () => {
    expect(decide([], { _tag: "Unavailable" })).toEqual({ _tag: "Ready" })
    expect(decide([], { _tag: "Root" })).toEqual({ _tag: "Ready" })
  })

  it("the real requirements are redis-server and Debian's chromium", () => {
    expect(requirements.map((r) => [r.name, r.aptPackage])).toEqual([
      ["redis-server", "redis-server"],
      ["/usr/bin/chromium", "chromium"]
    ])
  })

  it("onPath finds executables only", () => {
    const dir = mkdtempSync(join(tmpdir(), "preflight-"))
    try {
      writeFileSync(join(dir, "tool-x"), "#!/bin/sh\n")
      chmodSync(join(dir, "tool-x"), 0o755)
      writeFileSync(join(dir, "plain-file"), "")
      chmodSync(join(dir, "plain-file"), 0o644)
      expect(onPath("tool-x", dir)).toBe(true)
      expect(onPath("plain-file", dir)).toBe(false)
      expect(onPath("no-such-tool-here", dir)).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
