import { Clock, Duration, Effect, type Exit, Fiber } from "effect"

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
const d = Duration.seconds(30)
// one forked sleeper that completes a deferred; current fiber races via async on child
const oneFork = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(self)), (child) =>
      Effect.flatMap(Effect.fork(Effect.interruptible(Clock.sleep(d))), (sleeper) =>
        Effect.async<A, E | string>((resume) => {
          const onChild = (exit: Exit.Exit<A, E>) => {
            sleeper.removeObserver(onSleep)
            resume(Effect.zipRight(Fiber.interrupt(sleeper), exit))
          }
          const onSleep = () => {
            child.removeObserver(onChild)
            resume(Effect.zipRight(Fiber.interrupt(child), Effect.fail("timeout")))
          }
          child.addObserver(onChild)
          sleeper.addObserver(onSleep)
          return Effect.sync(() => {
            child.removeObserver(onChild)
            sleeper.removeObserver(onSleep)
          })
        }).pipe(Effect.onInterrupt(() => Effect.zipRight(Fiber.interrupt(child), Fiber.interrupt(sleeper))))
      )
    )
  )
await bench("none", (e) => e)
await bench("timeoutFail", (e) => Effect.timeoutFail(e, { duration: d, onTimeout: () => "t" }))
await bench("twoForksAsync", oneFork)
await bench("locally", (e) => e)
await bench("forkSleepOnly", (e) =>
  Effect.flatMap(Effect.fork(Clock.sleep(d)), (sleeper) => Effect.zipLeft(e, Fiber.interrupt(sleeper)))
)
await bench("forkSelfOnly", (e) => Effect.flatMap(Effect.fork(e), Fiber.join))
await bench("forkDaemonSleepInterruptFork", (e) =>
  Effect.flatMap(Effect.forkDaemon(Clock.sleep(d)), (sleeper) => Effect.zipLeft(e, Fiber.interruptFork(sleeper)))
)
const sleepCb = (e: Effect.Effect<number>) =>
  Effect.zipLeft(
    e,
    Effect.sync(() => {
      const t = setTimeout(() => {}, 30000)
      clearTimeout(t)
    })
  )
await bench("setTimeoutOnly", sleepCb)
