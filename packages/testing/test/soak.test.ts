/**
 * Load and soak through the promise facade, once per client of the transport matrix
 * (`test/transports.ts`: `FetchTransport` and platform's `FetchHttpClient` in memory,
 * `UndiciHttpClient` served), with 10% transient faults (503, 502 with HTML, a connection refused)
 * injected on idempotent GETs:
 *
 * - no call fails;
 * - one token exchange per token lifetime, and exactly one more after `expireTokens()` midway;
 * - every request is accounted for (calls + retries of faulted calls + re-authentication retries
 *   + token exchanges);
 * - after `dispose()`, no fiber of the client's runtime is alive, no timer is left behind, and
 *   (served) no socket stays open.
 *
 * CI runs `SOAK_CALLS` (default 5,000) calls over `FetchTransport` in memory, 2,000 over the
 * brought `FetchHttpClient` and a tenth of `SOAK_CALLS` (at least 200) over HTTP; `pnpm test:soak`
 * runs 100,000 (10,000 served) on every client. Heap growth after warm-up, with the fake's journal
 * off, is printed as a figure for the in-memory runs, not asserted.
 */
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { type ConnectionsClient, createConnectionsClient } from "@basiq-effect/connections"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope, Supervisor } from "effect"
import { InMemoryBasiq } from "../src/index.js"
import { clients, type MatrixClient } from "./transports.js"

const { Fault } = InMemoryBasiq

const CALLS = Number(process.env.SOAK_CALLS ?? 5_000)
const SERVED_CALLS = Number(process.env.SOAK_SERVED_CALLS ?? Math.max(200, Math.round(CALLS / 10)))
/** The brought client is checked for the same bookkeeping; CI keeps its run short. */
const BROUGHT_CALLS = Number(process.env.SOAK_BROUGHT_CALLS ?? (process.env.SOAK_CALLS === undefined ? 2_000 : CALLS))
const WORKERS = 32
const FAULT_RATE = 0.1
/** Generous per-test budgets (a loaded 2-core machine does about 400 in-memory or 120 served calls/s). */
const budget = (calls: number, msPerCall: number) => 30_000 + calls * msPerCall

/** A small deterministic PRNG (mulberry32), so a run's faults are reproducible. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What the client sent and received, counted below the SDK (on the transport). */
interface Traffic {
  requests: number
  tokenExchanges: number
  transportErrors: number
  readonly statuses: Map<number, number>
}

const newTraffic = (): Traffic => ({ requests: 0, tokenExchanges: 0, transportErrors: 0, statuses: new Map() })

const counted = (traffic: Traffic) => (client: HttpClient.HttpClient) =>
  HttpClient.transform(client, (effect, request) =>
    Effect.suspend(() => {
      traffic.requests++
      if (new URL(request.url).pathname === "/token") traffic.tokenExchanges++
      return effect.pipe(
        Effect.tap((response) =>
          Effect.sync(() => traffic.statuses.set(response.status, (traffic.statuses.get(response.status) ?? 0) + 1))
        ),
        Effect.tapError(() =>
          Effect.sync(() => {
            traffic.transportErrors++
          })
        )
      )
    })
  )

const statusCount = (traffic: Traffic, status: number) => traffic.statuses.get(status) ?? 0

const transientFaults: ReadonlyArray<InMemoryBasiq.Fault> = [
  Fault.status({ status: 503 }),
  Fault.status({ status: 502, body: "<html><body>Bad Gateway</body></html>", contentType: "text/html" }),
  Fault.resetBeforeApply()
]

/** Active handles of these kinds (timers, sockets), from `process.getActiveResourcesInfo()`. */
const activeResources = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length

/** Polls (every event-loop turn, at most `turns` times) until `condition` holds. */
const eventually = async (condition: () => boolean, turns = 2_000): Promise<boolean> => {
  for (let i = 0; i < turns; i++) {
    if (condition()) return true
    await new Promise<void>((resolve) => setTimeout(resolve, 1))
  }
  return condition()
}

const collectGarbage = (): (() => void) => {
  v8.setFlagsFromString("--expose_gc")
  return vm.runInNewContext("gc") as () => void
}

interface Worker {
  readonly userId: string
  readonly connectionId: string
}

interface RunResult {
  readonly calls: number
  readonly failures: ReadonlyArray<string>
  readonly faults: number
  /** Heap growth between the end of the warm-up and the end of the run, after a full GC. */
  readonly heapGrowthBytes: number | undefined
}

/**
 * Runs `calls` facade calls (getConnection / getConnections alternating) from `WORKERS`
 * concurrent loops, one user and connection each. Before 10% of calls (chosen by a seeded PRNG)
 * one transient fault is injected on exactly that call's path, so the call's first attempt takes
 * it. `expireTokens()` is called once, when half of the calls are done.
 */
const runLoad = async (
  client: ConnectionsClient.ConnectionsClient,
  control: InMemoryBasiq.InMemoryBasiq.Service,
  workers: ReadonlyArray<Worker>,
  calls: number,
  options: { readonly warmUp: number; readonly measureHeap: boolean }
): Promise<RunResult> => {
  const random = prng(0x5eed)
  const failures: Array<string> = []
  const gc = options.measureHeap ? collectGarbage() : undefined
  let started = 0
  let faults = 0
  let expired = false
  let heapAfterWarmUp: number | undefined

  const loop = async (worker: Worker) => {
    while (started < calls) {
      const n = started++
      if (!expired && n >= Math.floor(calls / 2)) {
        expired = true
        await Effect.runPromise(control.expireTokens())
      }
      const single = n % 2 === 0
      const path = single
        ? `/users/${worker.userId}/connections/${worker.connectionId}`
        : `/users/${worker.userId}/connections`
      if (random() < FAULT_RATE) {
        faults++
        const fault = transientFaults[faults % transientFaults.length]!
        await Effect.runPromise(control.injectFault({ method: "GET", path, fault }))
      }
      try {
        const ok = single
          ? (await client.getConnection(worker.userId, worker.connectionId)).id === worker.connectionId
          : (await client.getConnections(worker.userId)).data.some((c) => c.id === worker.connectionId)
        if (!ok) failures.push(`call ${n}: wrong value`)
      } catch (error) {
        failures.push(`call ${n}: ${String(error)}`)
      }
    }
  }

  if (options.warmUp > 0) {
    const warmCalls = calls
    calls = Math.min(options.warmUp, warmCalls)
    await Promise.all(workers.map(loop))
    calls = warmCalls
    if (gc !== undefined) {
      gc()
      heapAfterWarmUp = process.memoryUsage().heapUsed
    }
  }
  await Promise.all(workers.map(loop))
  let heapGrowthBytes: number | undefined
  if (gc !== undefined && heapAfterWarmUp !== undefined) {
    gc()
    heapGrowthBytes = process.memoryUsage().heapUsed - heapAfterWarmUp
  }
  return { calls, failures, faults, heapGrowthBytes }
}

const seedWorkers = (control: InMemoryBasiq.InMemoryBasiq.Service) =>
  Effect.runPromise(
    Effect.forEach(
      Array.from({ length: WORKERS }, (_, i) => i),
      (i) =>
        Effect.gen(function* () {
          const user = yield* control.createUser({ email: `soak-${i}@hooli.example` })
          const connection = yield* control.seedConnection({ userId: user.id })
          return { userId: user.id, connectionId: connection.id }
        })
    )
  )

/** The bookkeeping every soak run must satisfy. */
const expectAccounted = (result: RunResult, traffic: Traffic) => {
  expect(result.failures).toEqual([])
  // One exchange for the first token, exactly one more after every token was expired.
  expect(traffic.tokenExchanges).toBe(2)
  // Each faulted call was answered with its fault once, then retried.
  expect(statusCount(traffic, 503) + statusCount(traffic, 502) + traffic.transportErrors).toBe(result.faults)
  // Calls that were in flight with the expired token got 403 access-denied and re-authenticated.
  const reauth = statusCount(traffic, 403)
  expect(reauth).toBeGreaterThanOrEqual(1)
  expect(reauth).toBeLessThanOrEqual(WORKERS)
  expect(statusCount(traffic, 200)).toBe(result.calls + traffic.tokenExchanges)
  expect(traffic.requests).toBe(result.calls + result.faults + reauth + traffic.tokenExchanges)
}

const retry = { baseDelay: "1 millis", maxDelay: "5 millis", maxRetries: 3 } as const

const callsOver = (client: MatrixClient) => (client.served ? SERVED_CALLS : client.shipped ? CALLS : BROUGHT_CALLS)

describe.each(clients)("soak over $name", (client) => {
  const calls = callsOver(client)
  it(
    `${calls} facade calls ${client.served ? "over HTTP" : "in memory"} with 10% transient faults`,
    async () => {
      const scope = Effect.runSync(Scope.make())
      const fake = await Effect.runPromise(Scope.extend(client.fake({ journal: false }), scope))
      const traffic = newTraffic()
      const supervisor = Effect.runSync(Supervisor.track)
      const socketsBefore = activeResources("TCPSocketWrap")
      const timersBefore = activeResources("Timeout")
      const sdk = createConnectionsClient({
        apiKey: "soak-key",
        baseUrl: fake.url,
        retry,
        // The client's own transport: its pool (served) is the client's to close on dispose().
        httpClient: Layer.merge(
          Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, counted(traffic))).pipe(
            Layer.provide(fake.layer)
          ),
          Supervisor.addSupervisor(supervisor)
        )
      })
      const workers = await seedWorkers(fake.control)

      let sawFibers = 0
      let maxSockets = 0
      const sampler = setInterval(() => {
        sawFibers = Math.max(sawFibers, Effect.runSync(supervisor.value).length)
        maxSockets = Math.max(maxSockets, activeResources("TCPSocketWrap"))
      }, 1)
      const started = performance.now()
      const result = await runLoad(sdk, fake.control, workers, calls, {
        warmUp: client.served ? 0 : Math.min(1_000, Math.floor(calls / 5)),
        measureHeap: !client.served
      })
      const seconds = (performance.now() - started) / 1000
      clearInterval(sampler)

      expectAccounted(result, traffic)
      // Keep-alive sockets were open while the calls ran (none in memory)...
      if (client.served) expect(maxSockets).toBeGreaterThan(socketsBefore)

      await sdk.dispose()
      await expect(sdk.getJob("job-after-dispose")).rejects.toThrow(/disposed/)
      // The supervisor saw the runtime's fibers while calls ran, and none is left after dispose.
      expect(sawFibers).toBeGreaterThan(0)
      expect(Effect.runSync(supervisor.value)).toEqual([])
      // ...and dispose() closed every one of them (both ends are in this process), and its timers.
      expect(await eventually(() => activeResources("TCPSocketWrap") <= socketsBefore)).toBe(true)
      expect(await eventually(() => activeResources("Timeout") <= timersBefore)).toBe(true)
      await Effect.runPromise(Scope.close(scope, Exit.void))

      const heap =
        result.heapGrowthBytes === undefined
          ? ""
          : `; heap growth after warm-up (journal off): ${(result.heapGrowthBytes / 1024 / 1024).toFixed(2)} MiB`
      console.log(
        `soak (${client.name}${client.served ? ", served" : ", in memory"}): ${result.calls} calls, ` +
          `${result.faults} faults injected, ${traffic.tokenExchanges} token exchanges, ` +
          `${statusCount(traffic, 403)} re-authentications, ${traffic.requests} requests in ${seconds.toFixed(1)} s ` +
          `(${Math.round(result.calls / seconds)} calls/s)` +
          (client.served ? `, at most ${maxSockets - socketsBefore} sockets open` : "") +
          heap
      )
    },
    budget(calls, client.served ? 20 : 5)
  )
})
