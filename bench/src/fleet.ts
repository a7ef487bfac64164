/**
 * `pnpm bench:fleet`: what the fleet layer (`@basiq-effect/redis`) costs and saves, against the
 * bench server and a redis-server started here (`--save "" --appendonly no`, stopped by PID).
 *
 * 1. `/token` exchanges for N worker processes × M concurrent cold calls, with and without the
 *    store (counted at the server).
 * 2. Hot path (token cached in process), c=50 over undici: CPU per call of the Effect API with the
 *    fleet layer (no `rateLimit`) and with a rate budget, above the same client without the layer
 *    (alternating rounds, median of per-round differences), and the Redis commands per call
 *    (`INFO commandstats` around the measured calls only).
 * 3. Cold-start latency added by the store: layer build + first call, one process, with an empty
 *    Redis (miss, lock, exchange, set, unlock) and a warm one (one read, no exchange).
 * 4. With `FLEET_INSTRUCTIONS=1`: instructions per call under callgrind (`instructions.ts`).
 *
 * Env: FLEET_ROUNDS (default 5), FLEET_CALLS (measured calls per round, default 5000).
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { BasiqConnections, Connections } from "@basiq-effect/connections"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { BasiqRedis } from "@basiq-effect/redis"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as esbuild from "esbuild"
import { startRedis } from "../../packages/redis/test/utils/redisServer.js"
import { connectionId, userId } from "./fixtures.js"
import { startServer } from "./serverProcess.js"
import { fmt, median, table } from "./stats.js"

const srcDir = Path.dirname(fileURLToPath(import.meta.url))
const rounds = Number(process.env.FLEET_ROUNDS ?? 5)
const measured = Number(process.env.FLEET_CALLS ?? 5_000)
const warmup = 2_000

const bundle = async (entry: string, dir: string, format: "esm" | "cjs"): Promise<string> => {
  const outfile = Path.join(dir, `${Path.basename(entry, ".ts")}.${format === "esm" ? "mjs" : "cjs"}`)
  await esbuild.build({
    entryPoints: [Path.join(srcDir, entry)],
    bundle: true,
    platform: "node",
    format,
    target: "node20",
    conditions: ["@basiq-effect/source"],
    outfile,
    logLevel: "silent",
    ...(format === "esm"
      ? {
          banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
        }
      : {})
  })
  return outfile
}

interface Child {
  readonly lines: AsyncIterator<string>
  readonly send: (line: string) => void
  readonly exit: Promise<number | null>
}

const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Child => {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"]
  })
  const queue: Array<string> = []
  const waiting: Array<(line: string) => void> = []
  let buffered = ""
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString()
    let nl = buffered.indexOf("\n")
    while (nl >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf("\n")
      const w = waiting.shift()
      if (w !== undefined) w(line)
      else queue.push(line)
    }
  })
  return {
    lines: {
      next: () =>
        new Promise((resolve) => {
          const line = queue.shift()
          if (line !== undefined) resolve({ value: line, done: false })
          else waiting.push((l) => resolve({ value: l, done: false }))
        })
    },
    send: (line) => child.stdin.write(`${line}\n`),
    exit: new Promise((resolve) => child.once("exit", resolve))
  }
}

const totalCommands = (stats: Readonly<Record<string, number>>) =>
  Object.entries(stats)
    .filter(([name]) => name !== "info" && name !== "config|resetstat" && name !== "config")
    .reduce((a, [, n]) => a + n, 0)

/** The commands run inside this package's scripts (`INFO commandstats` counts them too). */
const scriptInner = (stats: Readonly<Record<string, number>>) =>
  ["time", "hmget", "hset", "pexpireat", "pexpire"].reduce((a, name) => a + (stats[name] ?? 0), 0)

const main = Effect.gen(function* () {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "basiq-fleet-bench-"))
  const hotWorker = yield* Effect.promise(() => bundle("instructionsWorker.ts", dir, "cjs"))
  const coldWorker = yield* Effect.promise(() => bundle("fleetColdWorker.ts", dir, "esm"))
  const redis = yield* startRedis
  const server = yield* Effect.acquireRelease(
    Effect.promise(() => startServer()),
    (s) => Effect.promise(() => s.close())
  )
  const say = (line: string) => {
    process.stdout.write(`${line}\n`)
  }

  // 1. Exchanges for N processes x M cold calls.
  const coldRows: Array<Array<string>> = []
  for (const [n, m] of [
    [8, 500],
    [4, 2_000]
  ] as const) {
    for (const mode of ["none", "store"] as const) {
      yield* Effect.promise(() => server.reset())
      yield* Effect.promise(() => redis.admin.flushall())
      const t0 = performance.now()
      const children = Array.from({ length: n }, () => run(coldWorker, [mode, String(m), server.baseUrl, redis.url]))
      const results = yield* Effect.promise(() =>
        Promise.all(
          children.map(
            async (c) =>
              JSON.parse((await c.lines.next()).value) as { readonly ok: number; readonly warnings: Array<string> }
          )
        )
      )
      const oks = results.map((r) => r.ok)
      const warnings = results.flatMap((r) => r.warnings)
      const wall = performance.now() - t0
      const stats = yield* Effect.promise(() => server.stats())
      coldRows.push([
        `${n} x ${fmt(m)}`,
        mode === "store" ? "BasiqRedis.layer" : "none (own cache per process)",
        fmt(oks.reduce((a, b) => a + b, 0)),
        fmt(stats.tokens),
        fmt(wall),
        warnings.length === 0 ? "" : `${warnings.length}: ${[...new Set(warnings)].join("; ")}`
      ])
    }
  }
  say("### Token exchanges: N processes x M concurrent cold calls\n")
  say(
    table(
      [
        "processes x calls",
        "token store",
        "succeeded",
        "/token exchanges (at the server)",
        "wall ms",
        "store warnings"
      ],
      coldRows
    )
  )

  // 2. Hot path: CPU per call and Redis commands per call.
  const hot = (mode: string) =>
    Effect.promise(async () => {
      const child = run(hotWorker, [mode, String(warmup), String(measured), server.baseUrl], {
        INSTR_SYNC: "1",
        BENCH_REDIS_URL: redis.url
      })
      // Lines other than the handshake are log lines (Effect's default logger): counted.
      let logLines = 0
      const until = async (accept: (line: string) => boolean) => {
        for (;;) {
          const { value } = await child.lines.next()
          if (accept(value)) return value
          logLines++
        }
      }
      await until((l) => l === "warm")
      await Effect.runPromise(redis.resetStats)
      child.send("go")
      await until((l) => l === "done")
      const stats = await Effect.runPromise(redis.commandStats)
      const commands = totalCommands(stats)
      // Round trips: the commands clients sent (a script's inner commands are counted apart).
      const roundTrips = totalCommands(stats) - scriptInner(stats)
      child.send("go")
      const result = JSON.parse(await until((l) => l.startsWith("{"))) as { readonly cpuUs: number }
      await child.exit
      return {
        cpu: result.cpuUs / measured,
        commands: commands / measured,
        roundTrips: roundTrips / measured,
        logLines
      }
    })
  const modes = ["effect-undici", "effect-undici-fleet", "effect-undici-fleet-ratelimit"] as const
  const perRound: Record<string, Array<{ cpu: number; commands: number; roundTrips: number; logLines: number }>> = {}
  for (const mode of modes) perRound[mode] = []
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) perRound[mode]!.push(yield* hot(mode))
  }
  const base = perRound["effect-undici"]!
  const hotRows = modes.map((mode) => {
    const xs = perRound[mode]!
    const above = xs.map((x, i) => x.cpu - base[i]!.cpu)
    return [
      mode === "effect-undici"
        ? "Effect API (undici), no fleet layer"
        : mode === "effect-undici-fleet"
          ? "+ BasiqRedis.layer (no rateLimit)"
          : "+ BasiqRedis.layer({ rateLimit })",
      fmt(median(xs.map((x) => x.cpu)), 1),
      mode === "effect-undici" ? "" : `${fmt(median(above), 1)} (rounds: ${above.map((a) => fmt(a, 1)).join(", ")})`,
      fmt(median(xs.map((x) => x.roundTrips)), 3),
      fmt(median(xs.map((x) => x.commands)), 3),
      fmt(xs.reduce((a, x) => a + x.logLines, 0))
    ]
  })
  say(`\n### Hot path (token cached in process), getConnection c=50, ${fmt(measured)} calls x ${rounds} rounds\n`)
  say(
    table(
      [
        "variant",
        "CPU µs/call",
        "above no layer µs/call (median; per round)",
        "Redis round trips/call",
        "Redis commands/call (script's inner included)",
        "log lines (warnings)"
      ],
      hotRows
    )
  )

  // 3. Cold-start latency added by the store.
  const coldStart = (fleet: "none" | "empty" | "warm") =>
    Effect.promise(async () => {
      if (fleet === "empty") await redis.admin.flushall()
      const services = BasiqConnections.layerWithoutHttpClient({ apiKey: "bench-api-key", baseUrl: server.baseUrl })
      const layer =
        fleet === "none"
          ? services.pipe(Layer.provide(UndiciHttpClient.layer))
          : services.pipe(Layer.provide(Layer.merge(UndiciHttpClient.layer, BasiqRedis.layer({ url: redis.url }))))
      const t0 = performance.now()
      const runtime = ManagedRuntime.make(layer)
      await runtime.runPromise(Effect.flatMap(Connections.Connections, (c) => c.getConnection(userId, connectionId)))
      const ms = performance.now() - t0
      await runtime.dispose()
      return ms
    })
  const startRows: Array<Array<string>> = []
  const samples: Record<string, Array<number>> = { none: [], empty: [], warm: [] }
  yield* coldStart("warm") // JIT warm-up of this process
  for (let r = 0; r < 15; r++) {
    for (const f of ["none", "empty", "warm"] as const) samples[f]!.push(yield* coldStart(f))
  }
  for (const f of ["none", "empty", "warm"] as const) {
    const m = median(samples[f]!)
    startRows.push([
      f === "none" ? "no store" : f === "empty" ? "BasiqRedis.layer, empty Redis" : "BasiqRedis.layer, warm Redis",
      fmt(m, 2),
      f === "none" ? "" : fmt(m - median(samples.none!), 2)
    ])
  }
  say("\n### Cold start, one process: layer build + first call (median of 15)\n")
  say(table(["store", "ms", "added ms"], startRows))

  // 4. Instruction counts.
  if (process.env.FLEET_INSTRUCTIONS === "1") {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@basiq-effect/source", Path.join(srcDir, "instructions.ts")],
      {
        env: {
          ...process.env,
          BENCH_REDIS_URL: redis.url,
          INSTR_MODES: "raw-undici,effect-undici,effect-undici-fleet,effect-undici-fleet-ratelimit"
        },
        stdio: ["ignore", "pipe", "inherit"]
      }
    )
    let text = ""
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString()
    })
    yield* Effect.promise(() => new Promise((resolve) => child.once("exit", resolve)))
    say("\n### Instructions per call (callgrind)\n")
    say(text.slice(text.indexOf("\nNode ")).trim())
  }
})

Effect.runPromise(Effect.scoped(main)).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
