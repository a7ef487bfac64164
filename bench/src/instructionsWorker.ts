/**
 * One client variant making getConnection calls against the bench server, for instruction counts
 * (`instructions.ts` runs it under callgrind) and CPU profiles (`profile.ts` runs it with
 * `--cpu-prof`). Usage: `node worker.cjs <mode> <warmup calls> <measured calls> <baseUrl>`.
 * 50 concurrent loops, as the c=50 rows of `pnpm bench`; prints one JSON line and exits.
 */
import * as Fs from "node:fs"
import * as Inspector from "node:inspector"
import { BasiqConnections, Connections, createConnectionsClient } from "@basiq-effect/connections"
import { type BasiqTokenStore, FetchTransport } from "@basiq-effect/core"
import { UndiciHttpClient } from "@basiq-effect/core/node"
import { BasiqRedis } from "@basiq-effect/redis"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Agent, request } from "undici"
import { accessToken, connectionId, userId } from "./fixtures.js"

export const modes = [
  "raw-undici",
  "effect-undici",
  "effect-undici-maprequest",
  "facade",
  "raw-fetch",
  "effect-fetchtransport",
  "effect-undici-fleet",
  "effect-undici-fleet-ratelimit"
] as const
export type Mode = (typeof modes)[number]

const concurrency = 50
const redisUrl = (): string => {
  const url = process.env.BENCH_REDIS_URL
  if (url === undefined) throw new Error("the fleet modes need BENCH_REDIS_URL")
  return url
}
const apiKey = "bench-api-key"

type Call = () => Promise<unknown>

const promiseLoop = async (call: Call, calls: number): Promise<void> => {
  let issued = 0
  const worker = async () => {
    while (issued < calls) {
      issued++
      await call()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const effectRunner = async (
  baseUrl: string,
  http: Layer.Layer<HttpClient.HttpClient>,
  fleet?: Layer.Layer<BasiqTokenStore.BasiqTokenStore, unknown>
) => {
  const services = BasiqConnections.layerWithoutHttpClient({ apiKey, baseUrl })
  const runtime = ManagedRuntime.make(
    fleet === undefined ? services.pipe(Layer.provide(http)) : services.pipe(Layer.provide(Layer.merge(http, fleet)))
  )
  const connections = await runtime.runPromise(Connections.Connections)
  return (calls: number): Promise<void> => {
    let issued = 0
    const worker = Effect.whileLoop({
      while: () => issued < calls,
      body: () => {
        issued++
        return connections.getConnection(userId, connectionId)
      },
      step: () => {}
    })
    return runtime.runPromise(
      Effect.all(
        Array.from({ length: concurrency }, () => worker),
        { concurrency: "unbounded", discard: true }
      )
    )
  }
}

const runner = async (mode: Mode, baseUrl: string): Promise<(calls: number) => Promise<void>> => {
  const url = `${baseUrl}/users/${userId}/connections/${connectionId}`
  const headers = { accept: "application/json", authorization: `Bearer ${accessToken}`, "user-agent": "bench" }
  switch (mode) {
    case "raw-undici": {
      const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000 })
      return (calls) =>
        promiseLoop(async () => {
          const response = await request(url, { headers, dispatcher: agent })
          const text = await response.body.text()
          if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`)
          return JSON.parse(text)
        }, calls)
    }
    case "raw-fetch":
      return (calls) =>
        promiseLoop(async () => {
          const response = await fetch(url, { headers })
          const text = await response.text()
          if (!response.ok) throw new Error(`status ${response.status}`)
          return JSON.parse(text)
        }, calls)
    case "effect-undici":
      return effectRunner(baseUrl, UndiciHttpClient.layer)
    case "effect-undici-maprequest":
      return effectRunner(
        baseUrl,
        Layer.effect(
          HttpClient.HttpClient,
          Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-app", "1")))
        ).pipe(Layer.provide(UndiciHttpClient.layer))
      )
    case "effect-fetchtransport":
      return effectRunner(baseUrl, FetchTransport.layer)
    // The fleet layer on Redis (`BENCH_REDIS_URL`), without and with a rate budget (large enough
    // never to wait).
    case "effect-undici-fleet":
      return effectRunner(baseUrl, UndiciHttpClient.layer, BasiqRedis.layer({ url: redisUrl() }))
    case "effect-undici-fleet-ratelimit":
      return effectRunner(
        baseUrl,
        UndiciHttpClient.layer,
        BasiqRedis.layer({ url: redisUrl(), rateLimit: { limit: 1_000_000, window: "1 second" } })
      )
    case "facade": {
      const facade = createConnectionsClient({ apiKey, baseUrl })
      return (calls) => promiseLoop(() => facade.getConnection(userId, connectionId), calls)
    }
  }
}

/**
 * With `INSTR_SYNC=1`: prints `line` and waits for a line on stdin (the driver dumps callgrind's
 * counters meanwhile). A timer keeps running code so that callgrind sees the dump request.
 */
const handshake = (line: string): Promise<void> => {
  if (process.env.INSTR_SYNC !== "1") return Promise.resolve()
  return new Promise((resolve) => {
    const tick = setInterval(() => {}, 5)
    process.stdin.resume()
    process.stdin.once("data", () => {
      clearInterval(tick)
      process.stdin.pause()
      resolve()
    })
    process.stdout.write(`${line}\n`)
  })
}

/** With `INSTR_PROFILE=file`: a V8 CPU profile of the measured calls only (`profile.ts`). */
const post = (session: Inspector.Session, method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error === null ? resolve(result) : reject(error)))
  )

const startProfile = async (): Promise<Inspector.Session> => {
  const session = new Inspector.Session()
  session.connect()
  await post(session, "Profiler.enable")
  await post(session, "Profiler.setSamplingInterval", { interval: 100 })
  await post(session, "Profiler.start")
  return session
}

const stopProfile = async (session: Inspector.Session, file: string): Promise<void> => {
  const { profile } = (await post(session, "Profiler.stop")) as { readonly profile: unknown }
  Fs.writeFileSync(file, JSON.stringify(profile))
  session.disconnect()
}

const main = async () => {
  const [mode, warmup, measured, baseUrl] = process.argv.slice(2) as [Mode, string, string, string]
  if (!modes.includes(mode) || baseUrl === undefined) throw new Error(`usage: worker <${modes.join("|")}> W N baseUrl`)
  const run = await runner(mode, baseUrl)
  await run(Number(warmup))
  await handshake("warm")
  const profile = process.env.INSTR_PROFILE
  const session = profile === undefined ? undefined : await startProfile()
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  await run(Number(measured))
  const cpu = process.cpuUsage(cpu0)
  if (session !== undefined && profile !== undefined) await stopProfile(session, profile)
  await handshake("done")
  process.stdout.write(
    `${JSON.stringify({ mode, warmup: Number(warmup), measured: Number(measured), ms: performance.now() - t0, cpuUs: cpu.user + cpu.system })}\n`
  )
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
