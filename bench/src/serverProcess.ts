/** Starts the bench server (`server.ts`) in a child process and talks to it over IPC. */
import { fork } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

export interface ServerStats {
  readonly tokens: number
  readonly requests: number
}

export interface ServerHandle {
  readonly baseUrl: string
  readonly stats: () => Promise<ServerStats>
  readonly reset: () => Promise<void>
  readonly close: () => Promise<void>
}

interface Message {
  readonly type: string
  readonly port?: number
  readonly tokens?: number
  readonly requests?: number
}

export const startServer = (): Promise<ServerHandle> => {
  const script = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "server.ts")
  const child = fork(script, [], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const waiters: Array<{ readonly type: string; readonly resolve: (m: Message) => void }> = []
  child.on("message", (m: Message) => {
    const index = waiters.findIndex((w) => w.type === m.type)
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(m)
  })
  const next = (type: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bench server did not answer ${type}`)), 10_000)
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        }
      })
    })
  const ask = (type: string): Promise<Message> => {
    const answer = next(type)
    child.send({ type })
    return answer
  }
  return next("listening").then((m) => ({
    baseUrl: `http://127.0.0.1:${m.port}`,
    stats: () => ask("stats").then((s) => ({ tokens: s.tokens ?? 0, requests: s.requests ?? 0 })),
    reset: () => ask("reset").then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.send({ type: "close" })
        setTimeout(() => {
          if (child.exitCode === null) child.kill()
        }, 2_000).unref()
      })
  }))
}
