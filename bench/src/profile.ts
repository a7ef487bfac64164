/**
 * `pnpm bench:profile [mode...]`: where a variant's CPU goes, from a V8 CPU profile of its
 * measured calls (warm-up excluded; `instructionsWorker.ts` with `INSTR_PROFILE`), run from
 * sources through tsx so every sample keeps its package and file. Prints self time per call by
 * function and by area (Effect's fiber runtime, @effect/platform's HttpClient, the SDK pipeline,
 * undici, Node internals, GC), so two variants (e.g. `raw-undici effect-undici`) can be compared.
 *
 * Env: PROFILE_WARMUP (default 5000), PROFILE_CALLS (default 20000), PROFILE_TOP (default 30).
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import type { Mode } from "./instructionsWorker.js"
import { startServer } from "./serverProcess.js"
import { fmt, table } from "./stats.js"

const srcDir = Path.dirname(fileURLToPath(import.meta.url))
const warmup = Number(process.env.PROFILE_WARMUP ?? 5_000)
const calls = Number(process.env.PROFILE_CALLS ?? 20_000)
const top = Number(process.env.PROFILE_TOP ?? 30)
const modes = (process.argv.length > 2 ? process.argv.slice(2) : ["raw-undici", "effect-undici"]) as ReadonlyArray<Mode>

interface Node {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** The area a frame belongs to, from its file. */
const areaOf = (url: string, name: string): string => {
  if (url === "") {
    if (name === "(garbage collector)") return "GC"
    if (name === "(program)" || name === "(idle)") return name
    return "native / builtins"
  }
  if (url.includes("/packages/core/src/")) return `SDK core: ${Path.basename(url)}`
  if (url.includes("/packages/connections/src/")) return "SDK connections"
  if (url.includes("/@effect/platform/")) return `@effect/platform: ${Path.basename(url)}`
  if (url.includes("/effect/dist/")) {
    const file = Path.basename(url)
    return `effect: ${file}`
  }
  if (url.includes("/undici/")) return "undici (npm)"
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/")[0]}`
  if (url.includes("/bench/src/")) return "bench driver"
  return url
}

const summarizeProfile = (profile: Profile, perCall: number) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const byFunction = new Map<string, number>()
  const byArea = new Map<string, number>()
  let total = 0
  for (const [id, us] of self) {
    const node = byId.get(id)!
    const { functionName, url, lineNumber } = node.callFrame
    const file =
      url === ""
        ? ""
        : `${url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/^file:\/\/.*\/packages\//, "packages/")}:${lineNumber + 1}`
    const key = `${functionName || "(anonymous)"} ${file}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    const area = areaOf(url, functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
    if (functionName !== "(idle)") total += us
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith("(idle)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [k, fmt(us / perCall, 2), `${((us / total) * 100).toFixed(1)}%`])
  return { total: total / perCall, functions: rows(byFunction, top), areas: rows(byArea, 40) }
}

const main = async () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "basiq-profile-"))
  const server = await startServer()
  try {
    for (const mode of modes) {
      const file = Path.join(dir, `${mode}.cpuprofile`)
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            "--import",
            "tsx",
            "--conditions=@basiq-effect/source",
            Path.join(srcDir, "instructionsWorker.ts"),
            mode,
            String(warmup),
            String(calls),
            server.baseUrl
          ],
          { env: { ...process.env, INSTR_PROFILE: file } },
          (error, stdout) => {
            if (error !== null) return reject(error)
            process.stdout.write(stdout)
            resolve()
          }
        )
      )
      const s = summarizeProfile(JSON.parse(Fs.readFileSync(file, "utf8")) as Profile, calls)
      process.stdout.write(`\n## ${mode}: ${fmt(s.total, 1)} µs sampled per call (profile: ${file})\n\n`)
      process.stdout.write(`${table(["area", "self µs/call", "share"], s.areas)}\n\n`)
      process.stdout.write(`${table(["function (self time)", "self µs/call", "share"], s.functions)}\n`)
    }
  } finally {
    await server.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
