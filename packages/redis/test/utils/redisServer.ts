/**
 * A real `redis-server` for the tests: started on a free loopback port with no persistence
 * (`--save "" --appendonly no`), stopped by its PID, restartable on the same port. An admin
 * client (with an error listener) reads and writes keys and counts commands.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { Effect, type Scope } from "effect"
import { Redis } from "ioredis"

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** A client for the test's own inspections (fails fast, prints nothing). */
  readonly admin: Redis
  /** Stops the server (SIGTERM to its PID) and waits for it to exit. */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port (empty: no persistence). */
  readonly start: Effect.Effect<void>
  /** Total calls per command since the last `resetStats` (`INFO commandstats`). */
  readonly commandStats: Effect.Effect<Readonly<Record<string, number>>>
  readonly resetStats: Effect.Effect<void>
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const launch = (port: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`redis-server did not start on port ${port}: ${output}`))
    }, 10_000)
    child.once("error", (error) => {
      clearTimeout(timer)
      reject(
        new Error(`redis-server could not be started (${error.message}); install it: apt-get install redis-server`)
      )
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (${code}): ${output}`))
    })
    // Ready when it answers on the port.
    const probe = () => {
      const client = new Redis(port, "127.0.0.1", {
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: () => null
      })
      client.on("error", () => {})
      client
        .connect()
        .then(() => client.ping())
        .then(() => {
          client.disconnect()
          clearTimeout(timer)
          child.removeAllListeners("exit")
          resolve(child)
        })
        .catch(() => {
          client.disconnect()
          setTimeout(probe, 20)
        })
    }
    child.stdout?.on("data", (d) => {
      output += String(d)
    })
    child.stderr?.on("data", (d) => {
      output += String(d)
    })
    probe()
  })

const terminate = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    if (child.pid !== undefined) process.kill(child.pid, "SIGTERM")
  })

/** Starts a redis-server for the scope. */
export const startRedis: Effect.Effect<RedisServer, never, Scope.Scope> = Effect.gen(function* () {
  const port = yield* Effect.promise(freePort)
  let child: ChildProcess | undefined = yield* Effect.promise(() => launch(port))
  const admin = new Redis(port, "127.0.0.1", { enableOfflineQueue: true, retryStrategy: () => 50 })
  admin.on("error", () => {})
  yield* Effect.addFinalizer(() =>
    Effect.promise(async () => {
      admin.disconnect()
      if (child !== undefined) await terminate(child)
    })
  )
  const commandStats = Effect.promise(async () => {
    const info = await admin.info("commandstats")
    const stats: Record<string, number> = {}
    for (const line of info.split("\n")) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
      if (m) stats[m[1]!] = Number(m[2])
    }
    return stats
  })
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    admin,
    stop: Effect.promise(async () => {
      if (child !== undefined) await terminate(child)
      child = undefined
    }),
    start: Effect.promise(async () => {
      if (child === undefined) child = await launch(port)
    }),
    commandStats,
    resetStats: Effect.promise(() => admin.config("RESETSTAT")).pipe(Effect.asVoid)
  }
})
