/**
 * `pnpm bench`: every benchmark in one process run, side by side, against a local `node:http`
 * server (child process, 127.0.0.1, keep-alive). Prints the tables and each target as met or not,
 * and writes them to `bench/RESULTS.md` (between the generated-section markers; the commentary
 * around them is kept).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { BasiqConnections, Connections, createConnectionsClient } from "@basiq-effect/connections"
import { FetchTransport } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Agent, request } from "undici"
import { type BundleResult, basiqEntry, measureBundle } from "./bundle.js"
import { type DecodeResult, measureDecode } from "./decode.js"
import { accessToken, connectionId, userId } from "./fixtures.js"
import { type Driver, effectDriver, promiseDriver, type RoundResult } from "./load.js"
import { startServer } from "./serverProcess.js"
import { fmt, fmtSummary, kb, median, quantileSorted, type Summary, summarize, table } from "./stats.js"

/** Whether the SDK was loaded from its sources (tsx) or from the built packages users install. */
const sdkSource = import.meta.resolve("@basiq-effect/core").includes("/src/")
  ? "from its TypeScript sources through tsx (not what users run)"
  : "from the built packages (`dist`, as users run it)"
const rounds = Math.max(1, Math.min(15, Number(process.env.BENCH_ROUNDS ?? 7)))
const roundMs: Record<number, number> = { 1: 500, 50: 2_000 }
const maxCalls = 100_000
const concurrencies = [1, 50] as const
const apiKey = "bench-api-key"
const started = performance.now()

const gc = (globalThis as { readonly gc?: () => void }).gc
const collect = () => {
  if (gc !== undefined) {
    gc()
    gc()
  }
}

const log = (line: string) => process.stdout.write(`${line}\n`)

// -------------------------------------------------------------------------------------------------
// variants
// -------------------------------------------------------------------------------------------------

interface Variant {
  readonly name: string
  readonly transport: "fetch" | "undici"
  /** The raw variant this one is compared with for CPU. */
  readonly raw: string
  /** The variant measuring the transport the SDK runs on, for "SDK CPU above its transport". */
  readonly transportBaseline: string
  readonly driver: Driver
  readonly dispose: () => Promise<void>
}

const effectVariant = async (
  name: string,
  transport: "fetch" | "undici",
  baseUrl: string,
  http: Layer.Layer<HttpClient.HttpClient>,
  transportBaseline: string
): Promise<Variant> => {
  const runtime = ManagedRuntime.make(
    BasiqConnections.layerWithoutHttpClient({ apiKey, baseUrl }).pipe(Layer.provide(http))
  )
  const connections = await runtime.runPromise(Connections.Connections)
  return {
    name,
    transport,
    raw: transport === "fetch" ? "raw fetch + JSON.parse" : "raw undici.request + JSON.parse",
    transportBaseline,
    driver: effectDriver(runtime, () => connections.getConnection(userId, connectionId)),
    dispose: () => runtime.dispose()
  }
}

const platformFetch = "platform FetchHttpClient + JSON.parse (no SDK)"
const fetchTransportName = "Effect API (fetch: FetchTransport, the default off Node)"
const platformFetchSdkName = "Effect API (platform FetchHttpClient.layer)"
const undiciName = "Effect API (undici)"
const mapRequestName = "Effect API (undici + HttpClient.mapRequest)"

/**
 * `UndiciHttpClient` wrapped by the user with `HttpClient.mapRequest` (one header added to every
 * request) before the SDK gets it: a wrapped client must keep (nearly) the unwrapped one's speed.
 */
const mapRequestUndici: Layer.Layer<HttpClient.HttpClient> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-app", "1")))
).pipe(Layer.provide(UndiciHttpClient.layer))

/**
 * `@effect/platform`'s `FetchHttpClient` without the SDK, configured as the SDK configures a
 * client (no platform span), reading the text and parsing it: the transport of the Effect API
 * when a user provides `FetchHttpClient.layer`.
 */
const platformFetchVariant = async (url: string, headers: Record<string, string>): Promise<Variant> => {
  const runtime = ManagedRuntime.make(FetchHttpClient.layer)
  const client = (await runtime.runPromise(HttpClient.HttpClient)).pipe(
    HttpClient.withTracerPropagation(false),
    HttpClient.withTracerDisabledWhen(() => true)
  )
  const request = HttpClientRequest.get(url).pipe(HttpClientRequest.setHeaders(headers))
  return {
    name: platformFetch,
    transport: "fetch",
    raw: "raw fetch + JSON.parse",
    transportBaseline: platformFetch,
    driver: effectDriver(runtime, () =>
      Effect.flatMap(client.execute(request), (response) =>
        Effect.flatMap(response.text, (text) =>
          response.status === 200 ? Effect.sync(() => JSON.parse(text)) : Effect.dieMessage(`status ${response.status}`)
        )
      )
    ),
    dispose: () => runtime.dispose()
  }
}

const makeVariants = async (baseUrl: string): Promise<ReadonlyArray<Variant>> => {
  const url = `${baseUrl}/users/${userId}/connections/${connectionId}`
  const headers = { accept: "application/json", authorization: `Bearer ${accessToken}`, "user-agent": "bench" }
  const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000 })
  const facade = createConnectionsClient({ apiKey, baseUrl })
  return [
    {
      name: "raw fetch + JSON.parse",
      transport: "fetch",
      raw: "raw fetch + JSON.parse",
      transportBaseline: "raw fetch + JSON.parse",
      driver: promiseDriver(async () => {
        const response = await fetch(url, { headers })
        const text = await response.text()
        if (!response.ok) throw new Error(`status ${response.status}`)
        return JSON.parse(text)
      }),
      dispose: async () => {}
    },
    {
      name: "raw undici.request + JSON.parse",
      transport: "undici",
      raw: "raw undici.request + JSON.parse",
      transportBaseline: "raw undici.request + JSON.parse",
      driver: promiseDriver(async () => {
        const response = await request(url, { headers, dispatcher: agent })
        const text = await response.body.text()
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
        return JSON.parse(text)
      }),
      dispose: () => agent.close()
    },
    await platformFetchVariant(url, headers),
    await effectVariant(fetchTransportName, "fetch", baseUrl, FetchTransport.layer, "raw fetch + JSON.parse"),
    await effectVariant(platformFetchSdkName, "fetch", baseUrl, FetchHttpClient.layer, platformFetch),
    await effectVariant(undiciName, "undici", baseUrl, UndiciHttpClient.layer, "raw undici.request + JSON.parse"),
    await effectVariant(mapRequestName, "undici", baseUrl, mapRequestUndici, "raw undici.request + JSON.parse"),
    {
      name: "facade (default: undici)",
      transport: "undici",
      raw: "raw undici.request + JSON.parse",
      transportBaseline: "raw undici.request + JSON.parse",
      driver: promiseDriver(() => facade.getConnection(userId, connectionId)),
      dispose: () => facade.dispose()
    }
  ]
}

// -------------------------------------------------------------------------------------------------
// throughput
// -------------------------------------------------------------------------------------------------

interface Row {
  readonly variant: Variant
  readonly concurrency: number
  readonly rps: Summary
  readonly p50: Summary
  readonly p99: Summary
  readonly cpuPerReq: Summary
  /** CPU per request of each round, in round order (rounds of all variants interleave). */
  readonly cpuRounds: ReadonlyArray<number>
  /** Requests per second of each round, in round order. */
  readonly rpsRounds: ReadonlyArray<number>
}

const runThroughput = async (variants: ReadonlyArray<Variant>): Promise<ReadonlyArray<Row>> => {
  log(`warm-up (${variants.length} variants)...`)
  for (const v of variants) {
    // V8 needs a few seconds of a path before its figures settle.
    await v.driver.round(50, 1_500, maxCalls)
    await v.driver.round(1, 300, maxCalls)
  }
  const results = new Map<string, Array<RoundResult>>()
  for (let r = 0; r < rounds; r++) {
    for (const c of concurrencies) {
      // Rotate the order each round so no variant always runs first.
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length]!
        const result = await v.driver.round(c, roundMs[c]!, maxCalls)
        const key = `${v.name}@${c}`
        results.set(key, [...(results.get(key) ?? []), result])
      }
    }
    log(`round ${r + 1}/${rounds} done`)
  }
  const rows: Array<Row> = []
  for (const c of concurrencies) {
    for (const v of variants) {
      const rs = results.get(`${v.name}@${c}`) ?? []
      rows.push({
        variant: v,
        concurrency: c,
        rps: summarize(rs.map((x) => (x.requests * 1000) / x.elapsedMs)),
        p50: summarize(rs.map((x) => quantileSorted(x.latencies, 0.5))),
        p99: summarize(rs.map((x) => quantileSorted(x.latencies, 0.99))),
        cpuPerReq: summarize(rs.map((x) => x.cpuUs / x.requests)),
        cpuRounds: rs.map((x) => x.cpuUs / x.requests),
        rpsRounds: rs.map((x) => (x.requests * 1000) / x.elapsedMs)
      })
    }
  }
  return rows
}

/**
 * CPU per request of `row` above `baseline`: the median of the per-round differences (each round
 * runs both, close in time, so a change in the machine's load between rounds cancels out).
 */
const cpuAbove = (row: Row, baseline: Row): number =>
  median(row.cpuRounds.map((cpu, i) => cpu - (baseline.cpuRounds[i] ?? Number.NaN)))

// -------------------------------------------------------------------------------------------------
// token exchanges on a cold client, heap growth
// -------------------------------------------------------------------------------------------------

interface TokenResult {
  readonly client: string
  readonly calls: number
  readonly succeeded: number
  readonly exchanges: number
  readonly ms: number
}

const coldCalls = 10_000

const tokenFacade = async (baseUrl: string, server: Awaited<ReturnType<typeof startServer>>): Promise<TokenResult> => {
  await server.reset()
  const cold = createConnectionsClient({ apiKey, baseUrl })
  const t0 = performance.now()
  const settled = await Promise.allSettled(
    Array.from({ length: coldCalls }, () => cold.getConnection(userId, connectionId))
  )
  const ms = performance.now() - t0
  const { tokens } = await server.stats()
  await cold.dispose()
  return {
    client: "facade",
    calls: coldCalls,
    succeeded: settled.filter((s) => s.status === "fulfilled").length,
    exchanges: tokens,
    ms
  }
}

const tokenEffect = async (baseUrl: string, server: Awaited<ReturnType<typeof startServer>>): Promise<TokenResult> => {
  await server.reset()
  const runtime = ManagedRuntime.make(
    BasiqConnections.layerWithoutHttpClient({ apiKey, baseUrl }).pipe(Layer.provide(UndiciHttpClient.layer))
  )
  const t0 = performance.now()
  const { succeeded } = await runtime.runPromise(
    Effect.gen(function* () {
      const connections = yield* Connections.Connections
      const results = yield* Effect.all(
        Array.from({ length: coldCalls }, () => Effect.either(connections.getConnection(userId, connectionId))),
        { concurrency: "unbounded" }
      )
      return { succeeded: results.filter((r) => r._tag === "Right").length }
    })
  )
  const ms = performance.now() - t0
  const { tokens } = await server.stats()
  await runtime.dispose()
  return {
    client: undiciName,
    calls: coldCalls,
    succeeded,
    exchanges: tokens,
    ms
  }
}

interface HeapResult {
  readonly calls: number
  readonly baseline: number
  readonly checkpoints: ReadonlyArray<{ readonly calls: number; readonly heapUsed: number }>
  readonly gcExposed: boolean
}

const heapCalls = 100_000

const measureHeap = async (baseUrl: string): Promise<HeapResult> => {
  const client = createConnectionsClient({ apiKey, baseUrl })
  const run = async (calls: number) => {
    let issued = 0
    const worker = async () => {
      while (issued < calls) {
        issued++
        await client.getConnection(userId, connectionId)
      }
    }
    await Promise.all(Array.from({ length: 50 }, worker))
  }
  await run(10_000)
  collect()
  const baseline = process.memoryUsage().heapUsed
  const checkpoints: Array<{ calls: number; heapUsed: number }> = []
  const chunk = heapCalls / 4
  for (let i = 1; i <= 4; i++) {
    await run(chunk)
    collect()
    checkpoints.push({ calls: i * chunk, heapUsed: process.memoryUsage().heapUsed })
  }
  await client.dispose()
  return { calls: heapCalls, baseline, checkpoints, gcExposed: gc !== undefined }
}

// -------------------------------------------------------------------------------------------------
// report
// -------------------------------------------------------------------------------------------------

interface Target {
  readonly name: string
  readonly value: string
  readonly met: boolean
  readonly note?: string
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`

const render = (
  rows: ReadonlyArray<Row>,
  decode: ReadonlyArray<DecodeResult>,
  tokens: ReadonlyArray<TokenResult>,
  heap: HeapResult,
  bundle: BundleResult,
  targets: ReadonlyArray<Target>,
  totalSeconds: number
): string => {
  const find = (name: string, c: number) => rows.find((r) => r.variant.name === name && r.concurrency === c)
  const throughput = table(
    [
      "getConnection",
      "c",
      "req/s (median ±spread)",
      "vs raw fetch",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
      "above raw",
      "above its transport"
    ],
    rows.map((r) => {
      const fetchRow = find("raw fetch + JSON.parse", r.concurrency)
      const delta = (name: string) => {
        const other = find(name, r.concurrency)
        return other === undefined || other === r ? "" : fmt(cpuAbove(r, other), 0)
      }
      return [
        r.variant.name,
        String(r.concurrency),
        fmtSummary(r.rps),
        fetchRow === undefined ? "" : `${(r.rps.median / fetchRow.rps.median).toFixed(2)}x`,
        fmt(r.p50.median, 3),
        fmt(r.p99.median, 3),
        fmt(r.cpuPerReq.median, 0),
        delta(r.variant.raw),
        delta(r.variant.transportBaseline)
      ]
    })
  )
  const decodeTable = table(
    ["decode (Schema, SDK's compiled decoder)", "body", "accounts", "decode µs (median ±spread)", "JSON.parse µs"],
    decode.map((d) => [d.label, kb(d.bytes), String(d.accounts), fmtSummary(d.decodeUs, 1), fmt(d.parseUs.median, 1)])
  )
  const tokenTable = table(
    ["cold client", "concurrent calls", "succeeded", "/token exchanges (at the server)", "wall ms"],
    tokens.map((t) => [t.client, fmt(t.calls), fmt(t.succeeded), String(t.exchanges), fmt(t.ms)])
  )
  const heapTable = table(
    ["calls after warm-up", "heapUsed", "growth"],
    [
      ["0", mb(heap.baseline), ""],
      ...heap.checkpoints.map((c) => [fmt(c.calls), mb(c.heapUsed), mb(c.heapUsed - heap.baseline)])
    ]
  )
  const bundleTable = table(
    ["package", "min", "share", "min+gz (est.)"],
    bundle.packages.map((p) => [
      p.name,
      kb(p.minBytes),
      `${((p.minBytes / bundle.minBytes) * 100).toFixed(1)}%`,
      kb(p.gzipEstimate)
    ])
  )
  const targetTable = table(
    ["target", "measured", "status"],
    targets.map((t) => [t.name, t.value, `${t.met ? "met" : "NOT MET"}${t.note === undefined ? "" : ` (${t.note})`}`])
  )
  return [
    `Run: ${new Date().toISOString()}, Node ${process.version}, ${rounds} rounds, ${totalSeconds.toFixed(0)} s total. The SDK runs ${sdkSource}.`,
    "",
    "### Targets",
    "",
    targetTable,
    "",
    `### getConnection throughput and latency (loopback, keep-alive, ${fmt(2092)} B body; ${roundMs[1]} ms rounds at c=1, ${roundMs[50]} ms at c=50)`,
    "",
    'Spread is half the min..max range of the rounds, as a percentage of the median. CPU is this process\'s user+system CPU per request (the server runs in a child process). "above raw" and "above its transport" are medians of the per-round differences. "above raw": minus the raw variant on the same wire client (fetch or undici); "above its transport": minus the transport the SDK variant runs on (raw undici for the undici variants, raw fetch for `FetchTransport`, `@effect/platform`\'s `FetchHttpClient` without the SDK for the Effect API over a user-provided `FetchHttpClient.layer`).',
    "",
    throughput,
    "",
    "### Decode",
    "",
    decodeTable,
    "",
    "### Token exchanges under concurrent cold calls",
    "",
    tokenTable,
    "",
    `### Heap over ${fmt(heap.calls)} facade calls (c=50, after 10,000 warm-up calls; ${heap.gcExposed ? "after gc()" : "gc NOT exposed"})`,
    "",
    heapTable,
    "",
    `### Browser bundle of a facade program (esbuild, minify, platform browser): ${kb(bundle.minBytes)} min, ${kb(bundle.gzipBytes)} min+gz`,
    "",
    bundleTable,
    "",
    `undici in the browser bundle: ${bundle.undiciInputs.length === 0 ? "no" : `YES (${bundle.undiciInputs.join(", ")})`}`
  ].join("\n")
}

const begin = "<!-- bench:begin (generated by `pnpm bench`; edit outside the markers) -->"
const end = "<!-- bench:end -->"

const writeResults = (generated: string) => {
  const file = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "RESULTS.md")
  const existing = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : ""
  const block = `${begin}\n\n${generated}\n\n${end}`
  const i = existing.indexOf(begin)
  const j = existing.indexOf(end)
  const next =
    i >= 0 && j > i
      ? `${existing.slice(0, i)}${block}${existing.slice(j + end.length)}`
      : `# Benchmark results\n\n${block}\n\n## Commentary\n`
  Fs.writeFileSync(file, next)
  return file
}

// -------------------------------------------------------------------------------------------------
// main
// -------------------------------------------------------------------------------------------------

const main = async () => {
  const server = await startServer()
  try {
    log(`bench server on ${server.baseUrl}; ${rounds} rounds`)
    const variants = await makeVariants(server.baseUrl)
    const rows = await runThroughput(variants)
    for (const v of variants) await v.dispose()

    log("decode...")
    const decode = measureDecode(rounds)
    log("token exchanges on cold clients...")
    const tokens = [await tokenFacade(server.baseUrl, server), await tokenEffect(server.baseUrl, server)]
    log("heap...")
    const heap = await measureHeap(server.baseUrl)
    log("bundle...")
    const bundle = await measureBundle()
    const basiqBundle = await measureBundle(basiqEntry)

    const row = (name: string, c: number) => rows.find((r) => r.variant.name === name && r.concurrency === c)!
    const fetch50 = row("raw fetch + JSON.parse", 50)
    const facade50 = row("facade (default: undici)", 50)
    const ratio = facade50.rps.median / fetch50.rps.median
    const above = (name: string) => {
      const r = row(name, 50)
      return cpuAbove(r, row(r.variant.transportBaseline, 50))
    }
    const effectAbove = above(undiciName)
    const facadeAbove = above("facade (default: undici)")
    const fetchAbove = above(fetchTransportName)
    const platformAbove = above(platformFetchSdkName)
    const mapRequest50 = row(mapRequestName, 50)
    const undici50 = row(undiciName, 50)
    // Per-round ratios (both variants run close in time each round), and their median.
    const mapRequestRatio = median(mapRequest50.rpsRounds.map((rps, i) => rps / (undici50.rpsRounds[i] ?? Number.NaN)))
    const growth = heap.checkpoints[heap.checkpoints.length - 1]!.heapUsed - heap.baseline
    const targets: Array<Target> = [
      {
        name: "MUST: facade getConnection c=50 >= 1.3x raw fetch",
        value: `${ratio.toFixed(2)}x (${fmt(facade50.rps.median)} vs ${fmt(fetch50.rps.median)} req/s)`,
        met: ratio >= 1.3
      },
      {
        name: "goal: SDK CPU above raw undici.request <= 25 µs/req, c=50: Effect API (undici)",
        value: `${fmt(effectAbove)} µs`,
        met: effectAbove <= 25
      },
      {
        name: "goal: SDK CPU above raw undici.request <= 35 µs/req, c=50: facade",
        value: `${fmt(facadeAbove)} µs`,
        met: facadeAbove <= 35
      },
      {
        name: "goal: SDK CPU above raw fetch <= 60 µs/req, c=50: Effect API over FetchTransport",
        value: `${fmt(fetchAbove)} µs (over a user-provided platform FetchHttpClient: ${fmt(platformAbove)} µs above that client)`,
        met: fetchAbove <= 60
      },
      {
        name: "goal: HttpClient.mapRequest-wrapped UndiciHttpClient >= 90% of unwrapped req/s, c=50",
        value: `${(mapRequestRatio * 100).toFixed(0)}% (median of per-round ratios; ${fmt(mapRequest50.rps.median)} vs ${fmt(undici50.rps.median)} req/s)`,
        met: mapRequestRatio >= 0.9
      },
      {
        name: "check: decode 2 KB connection <= 25 µs",
        value: `${fmt(decode[0]!.decodeUs.median, 1)} µs`,
        met: decode[0]!.decodeUs.median <= 25
      },
      {
        name: "goal: decode 500 accounts <= 1.5 ms",
        value: `${fmt(decode[1]!.decodeUs.median / 1000, 2)} ms`,
        met: decode[1]!.decodeUs.median <= 1500
      },
      {
        name: "goal: browser bundle of a createConnectionsClient program <= 100 KB min+gz, no undici",
        value: `${kb(bundle.gzipBytes)}, undici ${bundle.undiciInputs.length === 0 ? "absent" : "PRESENT"}`,
        met: bundle.gzipBytes <= 100 * 1024 && bundle.undiciInputs.length === 0
      },
      {
        name: "goal: browser bundle of a createBasiqClient program (every group) <= 130 KB min+gz, no undici",
        value: `${kb(basiqBundle.gzipBytes)}, undici ${basiqBundle.undiciInputs.length === 0 ? "absent" : "PRESENT"}`,
        met: basiqBundle.gzipBytes <= 130 * 1024 && basiqBundle.undiciInputs.length === 0
      },
      ...tokens.map((t) => ({
        name: `check: exactly 1 token exchange (counted at the server) for ${fmt(t.calls)} concurrent cold calls (${t.client.split(" (")[0]})`,
        value: `${t.exchanges} exchange(s), ${fmt(t.succeeded)} succeeded`,
        met: t.exchanges === 1 && t.succeeded === t.calls
      })),
      {
        name: `check: heap flat over ${fmt(heap.calls)} calls (growth < 1 MB after warm-up)`,
        value: `${growth >= 0 ? "+" : ""}${mb(growth)}`,
        met: heap.gcExposed && growth < 1024 * 1024
      }
    ]
    const totalSeconds = (performance.now() - started) / 1000
    const generated = render(rows, decode, tokens, heap, bundle, targets, totalSeconds)
    log("")
    log(generated)
    const file = writeResults(generated)
    log("")
    log(`targets: ${targets.filter((t) => t.met).length}/${targets.length} met; written to ${file}`)
  } finally {
    await server.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
