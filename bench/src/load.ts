/**
 * Load drivers: `c` concurrent loops calling getConnection for a fixed time (bounded by a call
 * cap), recording each call's latency, the wall time and the process CPU (`process.cpuUsage`;
 * the server runs in another process, so this is the client's CPU alone).
 */
import { Effect, type ManagedRuntime } from "effect"

export interface RoundResult {
  readonly requests: number
  readonly elapsedMs: number
  /** User + system CPU of this process during the round, in microseconds. */
  readonly cpuUs: number
  /** Sorted latencies in milliseconds. */
  readonly latencies: Float64Array
}

export interface Driver {
  readonly round: (concurrency: number, ms: number, maxCalls: number) => Promise<RoundResult>
}

const finish = (t0: number, cpu0: NodeJS.CpuUsage, done: number, latencies: Float64Array): RoundResult => {
  const elapsedMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { requests: done, elapsedMs, cpuUs: cpu.user + cpu.system, latencies: latencies.subarray(0, done).sort() }
}

/** A driver over a promise-returning call (raw fetch, raw undici, the facade). */
export const promiseDriver = (call: () => Promise<unknown>): Driver => ({
  round: async (concurrency, ms, maxCalls) => {
    const latencies = new Float64Array(maxCalls)
    let issued = 0
    let done = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const deadline = t0 + ms
    const worker = async (): Promise<void> => {
      while (issued < maxCalls && performance.now() < deadline) {
        issued++
        const start = performance.now()
        await call()
        latencies[done++] = performance.now() - start
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return finish(t0, cpu0, done, latencies)
  }
})

/**
 * A driver over an Effect API call: one `runPromise` per round running `c` fibers that loop, as
 * an Effect program would.
 */
export const effectDriver = <R, E>(
  runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
  call: () => Effect.Effect<unknown, E, R>
): Driver => ({
  round: (concurrency, ms, maxCalls) => {
    const latencies = new Float64Array(maxCalls)
    let issued = 0
    let done = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const deadline = t0 + ms
    const worker = Effect.whileLoop({
      while: () => issued < maxCalls && performance.now() < deadline,
      body: () => {
        issued++
        const start = performance.now()
        return Effect.map(call(), () => {
          latencies[done++] = performance.now() - start
        })
      },
      step: () => {}
    })
    const program = Effect.all(
      Array.from({ length: concurrency }, () => worker),
      { concurrency: "unbounded", discard: true }
    )
    return runtime.runPromise(program).then(() => finish(t0, cpu0, done, latencies))
  }
})
