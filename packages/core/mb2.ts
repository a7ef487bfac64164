import { Clock, Deferred, Duration, Effect, Exit, Fiber, Scope } from "effect"

const io = Effect.async<number>((resume) => {
  setImmediate(() => resume(Effect.succeed(1)))
})
const N = 20000
const bench = async (name: string, f: (e: Effect.Effect<number>) => Effect.Effect<number, unknown>) => {
  for (let r = 0; r < 3; r++) {
    const t0 = process.cpuUsage()
    await Effect.runPromise(Effect.forEach(Array.from({ length: N }), () => f(io), { concurrency: 50, discard: true }))
    const c = process.cpuUsage(t0)
    if (r === 2) console.log(name, ((c.user + c.system) / N).toFixed(1), "us/call")
  }
}
interface Entry {
  readonly at: number
  done: boolean
  readonly fire: () => void
}
const makeDeadlines = Effect.gen(function* () {
  const queue: Array<Entry> = []
  let head = 0
  let wake: Deferred.Deferred<void> | undefined
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    while (head < queue.length && queue[head]!.done) head++
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head)
      head = 0
    }
    if (head >= queue.length) {
      const d = Deferred.unsafeMake<void>(undefined as never)
      wake = d
      return Effect.zipRight(Deferred.await(d), loop)
    }
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const e = queue[head]!
      if (e.at <= now) {
        head++
        e.done = true
        e.fire()
        return loop
      }
      return Effect.zipRight(Clock.sleep(Duration.millis(e.at - now)), loop)
    })
  })
  yield* Effect.forkDaemon(loop)
  return (e: Entry) => {
    queue.push(e)
    if (wake !== undefined) {
      const w = wake
      wake = undefined
      Deferred.unsafeDone(w, Exit.void)
    }
  }
})
const register = await Effect.runPromise(makeDeadlines)
const d = 30000
const withDeadline = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(self)), (child) =>
      Effect.clockWith((clock) =>
        Effect.async<A, E | string>((resume) => {
          const entry: Entry = {
            at: clock.unsafeCurrentTimeMillis() + d,
            done: false,
            fire: () => {
              child.removeObserver(obs)
              resume(Effect.zipRight(Fiber.interrupt(child), Effect.fail("timeout")))
            }
          }
          const obs = (exit: Exit.Exit<A, E>) => {
            if (entry.done) return
            entry.done = true
            resume(exit)
          }
          child.addObserver(obs)
          if (!entry.done) register(entry)
          return Effect.zipRight(
            Effect.sync(() => {
              entry.done = true
              child.removeObserver(obs)
            }),
            Fiber.interrupt(child)
          )
        })
      )
    )
  )
await bench("none", (e) => e)
await bench("timeoutFail", (e) => Effect.timeoutFail(e, { duration: Duration.millis(d), onTimeout: () => "t" }))
await bench("sharedDeadline", withDeadline)
await bench("none", (e) => e)
await bench("timeoutFail", (e) => Effect.timeoutFail(e, { duration: Duration.millis(d), onTimeout: () => "t" }))
await bench("sharedDeadline", withDeadline)
