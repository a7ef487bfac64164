/**
 * `pnpm bench:instructions`: instructions per getConnection call, client process only, counted
 * by callgrind (deterministic enough to compare SDK versions on a shared, noisy machine).
 *
 * The bench server runs as a separate process, not under valgrind. Each variant
 * (`instructionsWorker.ts`, bundled once with esbuild) runs under `valgrind --tool=callgrind`:
 * W warm-up calls, a counter dump, N measured calls, a dump; the second dump / N is the
 * steady-state cost of one call (start-up, warm-up and the JIT compilation of the first calls
 * are left out). "SDK cost" is that minus the raw client's.
 *
 * Env: INSTR_WARMUP (default 1500), INSTR_CALLS (default 3000), INSTR_MODES (comma list),
 * INSTR_OUT (folder for the callgrind files, default a temp folder; they can be read with
 * `callgrind_annotate`).
 */
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"
import type { Mode } from "./instructionsWorker.js"
import { startServer } from "./serverProcess.js"
import { fmt, table } from "./stats.js"

const srcDir = Path.dirname(fileURLToPath(import.meta.url))
const warmup = Number(process.env.INSTR_WARMUP ?? 2_000)
const calls = Number(process.env.INSTR_CALLS ?? 3_000)
const outDir = process.env.INSTR_OUT ?? Fs.mkdtempSync(Path.join(Os.tmpdir(), "basiq-instr-"))
// The fleet modes need a Redis (`BENCH_REDIS_URL`): `pnpm bench:fleet` runs them.
const allModes: ReadonlyArray<Mode> = [
  "raw-undici",
  "effect-undici",
  "effect-undici-maprequest",
  "facade",
  "raw-fetch",
  "effect-fetchtransport"
]
const modes = (process.env.INSTR_MODES?.split(",") as ReadonlyArray<Mode> | undefined) ?? allModes
const rawOf: Record<Mode, Mode> = {
  "raw-undici": "raw-undici",
  "effect-undici": "raw-undici",
  "effect-undici-maprequest": "raw-undici",
  facade: "raw-undici",
  "raw-fetch": "raw-fetch",
  "effect-fetchtransport": "raw-fetch",
  "effect-undici-fleet": "raw-undici",
  "effect-undici-fleet-ratelimit": "raw-undici"
}

/** Bundles the worker into one CommonJS file (cheaper start-up under valgrind than tsx). */
export const bundleWorker = async (dir: string): Promise<string> => {
  const outfile = Path.join(dir, "instructions-worker.cjs")
  await esbuild.build({
    entryPoints: [Path.join(srcDir, "instructionsWorker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    conditions: ["@basiq-effect/source"],
    outfile,
    logLevel: "silent"
  })
  return outfile
}

const exec = (file: string, args: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(file, args, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })

/** Total instructions (Ir) of a callgrind output file. */
const totalIr = (file: string): number => {
  const text = Fs.readFileSync(file, "utf8")
  const match = /^(?:summary|totals):\s+(\d+)/m.exec(text)
  if (match === null) throw new Error(`no totals in ${file}`)
  return Number(match[1])
}

/**
 * Runs one variant under callgrind: warm-up calls, a counter dump (`callgrind_control -d`), the
 * measured calls, another dump; the second dump holds exactly the measured calls (all threads:
 * V8's compiler and GC threads included).
 */
const callgrind = (worker: string, mode: Mode, baseUrl: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const out = Path.join(outDir, `callgrind.${mode}.out`)
    for (const f of Fs.readdirSync(outDir)) {
      if (f.startsWith(`callgrind.${mode}.out`)) Fs.rmSync(Path.join(outDir, f))
    }
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        `--callgrind-out-file=${out}`,
        process.execPath,
        worker,
        mode,
        String(warmup),
        String(calls),
        baseUrl
      ],
      { env: { ...process.env, INSTR_SYNC: "1" }, stdio: ["pipe", "pipe", "pipe"] }
    )
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    let buffered = ""
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString()
      let nl = buffered.indexOf("\n")
      while (nl >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        nl = buffered.indexOf("\n")
        if (line === "warm" || line === "done") {
          exec("callgrind_control", ["-d", String(child.pid)]).then(
            () => child.stdin.write("go\n"),
            (error: unknown) => {
              child.kill()
              reject(error)
            }
          )
        }
      }
    })
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`valgrind ${mode} exited ${code}\n${stderr.slice(-2000)}`))
      const dumps = Fs.readdirSync(outDir)
        .filter((f) => f.startsWith(`callgrind.${mode}.out.`))
        .sort()
      // Dump 1: start-up and warm-up; dump 2: the measured calls; the final file: the exit.
      const measured = dumps.find((f) => f.endsWith(".2"))
      if (measured === undefined) return reject(new Error(`no second dump for ${mode}: ${dumps.join(", ")}`))
      resolve(totalIr(Path.join(outDir, measured)))
    })
  })

const main = async () => {
  const worker = await bundleWorker(outDir)
  const server = await startServer()
  const results = new Map<Mode, number>()
  try {
    for (const mode of modes) {
      const t0 = performance.now()
      const perCall = (await callgrind(worker, mode, server.baseUrl)) / calls
      results.set(mode, perCall)
      process.stdout.write(
        `${mode}: ${fmt(perCall)} instructions/call (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`
      )
    }
  } finally {
    await server.close()
  }
  const rows = [...results.entries()].map(([mode, perCall]) => {
    const raw = results.get(rawOf[mode])
    return [
      mode,
      fmt(perCall),
      raw === undefined || rawOf[mode] === mode ? "" : fmt(perCall - raw),
      raw === undefined || rawOf[mode] === mode ? "" : `${(perCall / raw).toFixed(2)}x`
    ]
  })
  process.stdout.write(
    `\nNode ${process.version}, ${warmup} warm-up + ${fmt(calls)} measured calls, c=50; callgrind files in ${outDir}\n\n`
  )
  process.stdout.write(
    `${table(["variant (getConnection, c=50)", "instructions/call", "above its raw client", "vs raw"], rows)}\n`
  )
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
