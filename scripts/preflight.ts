/**
 * The test command's preflight: the suite runs a real `redis-server` and a real Chromium
 * (`/usr/bin/chromium`). When one is missing and apt-get is usable (as root, or with passwordless
 * sudo), it is installed (`apt-get update`, then `apt-get install -y`) with one line saying so;
 * otherwise the preflight stops with one line naming the command to run, and a non-zero exit.
 * Silent when everything is present.
 *
 * Run by the root `test` script before `vitest run`; `decide` is the pure decision, `preflight`
 * runs it over injected probes (see `scripts/test/preflight.test.ts`).
 */
import { spawnSync } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"
import { pathToFileURL } from "node:url"

/** A program the suite needs, and how to get it. */
export interface Requirement {
  /** What the user reads: the command name or path. */
  readonly name: string
  /** The Debian package that provides it. */
  readonly aptPackage: string
  /** Whether it is present. */
  readonly present: () => boolean
}

/** How apt-get can be run here. */
export type AptAccess =
  /** Running as root: apt-get directly. */
  | { readonly _tag: "Root" }
  /** Passwordless sudo: `sudo -n apt-get`. */
  | { readonly _tag: "Sudo" }
  /** No apt-get, or no way to run it as root without a password. */
  | { readonly _tag: "Unavailable" }

/** What the preflight does. */
export type Decision =
  | { readonly _tag: "Ready" }
  | {
      readonly _tag: "Install"
      readonly missing: ReadonlyArray<Requirement>
      /** The commands to run, in order (argv form). */
      readonly commands: ReadonlyArray<ReadonlyArray<string>>
      /** The line printed before installing. */
      readonly line: string
    }
  | { readonly _tag: "Stop"; readonly line: string }

/** The command a person would type to install `packages`. */
export const installCommand = (packages: ReadonlyArray<string>): string =>
  `sudo apt-get install -y ${packages.join(" ")}`

const missingLine = (missing: ReadonlyArray<Requirement>) =>
  `missing ${missing.map((r) => r.name).join(", ")}: run "${installCommand(missing.map((r) => r.aptPackage))}"`

/** The decision for the given state (pure). */
export const decide = (missing: ReadonlyArray<Requirement>, access: AptAccess): Decision => {
  if (missing.length === 0) return { _tag: "Ready" }
  if (access._tag === "Unavailable") return { _tag: "Stop", line: missingLine(missing) }
  const prefix = access._tag === "Sudo" ? ["sudo", "-n"] : []
  const apt = [...prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq"]
  const packages = missing.map((r) => r.aptPackage)
  return {
    _tag: "Install",
    missing,
    commands: [
      [...apt, "update"],
      [...apt, "install", "-y", ...packages]
    ],
    line: `preflight: installing ${packages.join(", ")} with apt-get (${missing.map((r) => r.name).join(", ")} missing)`
  }
}

/** What the preflight needs from the machine; injected in tests. */
export interface Probes {
  readonly requirements: ReadonlyArray<Requirement>
  readonly access: () => AptAccess
  /** Runs a command; its exit status and what it printed (kept to show when it fails). */
  readonly run: (argv: ReadonlyArray<string>) => { readonly status: number; readonly output: string }
  readonly out: (line: string) => void
  readonly err: (text: string) => void
}

/** Runs the preflight; the process exit code (0: ready). */
export const preflight = (probes: Probes): number => {
  const missing = probes.requirements.filter((r) => !r.present())
  const decision = decide(missing, missing.length === 0 ? { _tag: "Unavailable" } : probes.access())
  switch (decision._tag) {
    case "Ready":
      return 0
    case "Stop":
      probes.err(`${decision.line}\n`)
      return 1
    case "Install": {
      probes.out(`${decision.line}\n`)
      for (const argv of decision.commands) {
        const { status, output } = probes.run(argv)
        if (status !== 0) {
          if (output.trim() !== "") probes.err(`${output.trimEnd()}\n`)
          probes.err(`${missingLine(decision.missing)} (${argv.slice(argv.indexOf("apt-get")).join(" ")} failed)\n`)
          return 1
        }
      }
      const still = decision.missing.filter((r) => !r.present())
      if (still.length > 0) {
        probes.err(`${missingLine(still)} (still missing after apt-get)\n`)
        return 1
      }
      return 0
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The real probes
// ---------------------------------------------------------------------------------------------

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Whether `command` is an executable on the `PATH` (where the tests will look for it). */
export const onPath = (command: string, path = process.env.PATH ?? ""): boolean =>
  path
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => executable(join(dir, command)))

const quiet = (argv: ReadonlyArray<string>) =>
  spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore", timeout: 10_000 }).status === 0

const machineAccess = (): AptAccess => {
  if (process.platform !== "linux" || !onPath("apt-get")) return { _tag: "Unavailable" }
  if (process.getuid?.() === 0) return { _tag: "Root" }
  if (onPath("sudo") && quiet(["sudo", "-n", "true"])) return { _tag: "Sudo" }
  return { _tag: "Unavailable" }
}

/** What the suite needs: a real Redis and Debian's Chromium (driven by playwright-core). */
export const requirements: ReadonlyArray<Requirement> = [
  { name: "redis-server", aptPackage: "redis-server", present: () => onPath("redis-server") },
  { name: "/usr/bin/chromium", aptPackage: "chromium", present: () => executable("/usr/bin/chromium") }
]

const machine: Probes = {
  requirements,
  access: machineAccess,
  run: (argv) => {
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    return { status: result.status ?? 1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` }
  },
  out: (line) => process.stdout.write(line),
  err: (text) => process.stderr.write(text)
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  process.exitCode = preflight(machine)
}
