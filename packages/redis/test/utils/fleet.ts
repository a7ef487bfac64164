/**
 * Helpers of the fleet tests: worker processes, a recording proxy in front of the served fake.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp } from "node:fs/promises"
import { createServer, request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"

const worker = fileURLToPath(new URL("./worker.ts", import.meta.url))
const root = fileURLToPath(new URL("../../../../", import.meta.url))

let bundled: Promise<string> | undefined

/**
 * The worker, compiled once per test run from its TypeScript sources (through the
 * `@basiq-effect/source` condition, as tsx would run them) into one file: a process then starts
 * in a fraction of tsx's time (which compiles every source file at each start), so a test can
 * start many of them quickly.
 */
const workerFile = (): Promise<string> => {
  bundled ??= (async () => {
    const esbuild = await import("esbuild")
    const dir = await mkdtemp(join(tmpdir(), "basiq-fleet-worker-"))
    const outfile = join(dir, "worker.mjs")
    await esbuild.build({
      entryPoints: [worker],
      bundle: true,
      platform: "node",
      format: "esm",
      conditions: ["@basiq-effect/source"],
      outfile,
      logLevel: "warning",
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
    })
    return outfile
  })()
  return bundled
}

export interface WorkerResult {
  readonly ok: number
  readonly failures: Readonly<Record<string, number>>
  readonly logs: ReadonlyArray<{ readonly level: string; readonly message: string }>
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Worker {
  readonly child: ChildProcess
  readonly result: Promise<WorkerResult>
}

/** Spawns a worker process; it is killed if still running at scope end. */
export const spawnWorker = (settings: Record<string, unknown>): Effect.Effect<Worker, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const file = await workerFile()
      const child = spawn(process.execPath, [file], {
        cwd: root,
        env: { ...process.env, FLEET_WORKER: JSON.stringify(settings) },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout?.on("data", (d) => {
        stdout += String(d)
      })
      child.stderr?.on("data", (d) => {
        stderr += String(d)
      })
      // "close", not "exit": at "exit" the child's stdout may not be drained yet, and the result
      // line is its last output.
      const result = new Promise<WorkerResult>((resolve) => {
        child.once("close", (code, signal) => {
          const line = stdout.trim().split("\n").pop() ?? ""
          let parsed: { ok: number; failures: Record<string, number>; logs: WorkerResult["logs"] } = {
            ok: 0,
            failures: {},
            logs: []
          }
          try {
            parsed = JSON.parse(line)
          } catch {
            // killed or crashed: no result line
          }
          resolve({ ...parsed, stdout, stderr, code, signal })
        })
      })
      return { child, result }
    }),
    ({ child }) =>
      Effect.sync(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          process.kill(child.pid, "SIGKILL")
        }
      })
  )

/** A request as the proxy saw it: when (ms, real clock), method and path. */
export interface Seen {
  readonly at: number
  readonly method: string
  readonly path: string
}

/**
 * A proxy on a free loopback port in front of `target` that records when each request arrived,
 * so a test can see the timing the fake saw.
 */
export const recordingProxy = (
  target: string
): Effect.Effect<{ readonly url: string; readonly seen: Array<Seen> }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ url: string; seen: Array<Seen>; close: () => void }>((resume) => {
      const seen: Array<Seen> = []
      const to = new URL(target)
      const server = createServer((req, res) => {
        seen.push({ at: Date.now(), method: req.method ?? "", path: (req.url ?? "").split("?")[0]! })
        const upstream = httpRequest(
          { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          }
        )
        upstream.on("error", () => res.destroy())
        req.pipe(upstream)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${port}`,
            seen,
            close: () => {
              server.closeAllConnections()
              server.close()
            }
          })
        )
      })
    }),
    (proxy) => Effect.sync(proxy.close)
  )

/** Polls `condition` every 10 ms (real time) up to `bound` ms. */
export const waitFor = (condition: () => boolean | Promise<boolean>, bound = 10_000): Effect.Effect<void> =>
  Effect.promise(async () => {
    const until = Date.now() + bound
    while (!(await condition())) {
      if (Date.now() > until) throw new Error(`condition not met within ${bound} ms`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })
