/**
 * The per-attempt deadline, the one mechanism for operations and `/token` alike.
 *
 * `Effect.timeoutFail` forks two fibers per call and races them (about 40 µs a call here). Every
 * attempt of a client has the same timeout, so deadlines registered one after another expire in
 * that order: one long-lived fiber per `Clock` sleeps until the earliest pending deadline and
 * fires the due ones, and each attempt only forks the fiber that runs it. The deadline runs on the
 * `Clock` of the calling fiber (a `TestClock` drives it like any sleep). A fired deadline
 * interrupts the attempt, which aborts its request on every transport.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"

interface Entry {
  readonly at: number
  /** Settled: the attempt ended, was interrupted, or the deadline fired. */
  done: boolean
  readonly fire: () => void
}

interface Timeline {
  readonly register: (entry: Entry) => void
}

/** Runs the due deadlines of a clock, in order, sleeping on that clock in between. */
const makeTimeline = (clock: Clock.Clock): Timeline => {
  let queue: Array<Entry> = []
  let head = 0
  let wake: Deferred.Deferred<void> | undefined
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    while (head < queue.length && queue[head]!.done) head++
    if (head >= queue.length) {
      queue = []
      head = 0
      const signal = Deferred.unsafeMake<void>(FiberId.none)
      wake = signal
      return Effect.zipRight(Deferred.await(signal), loop)
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    const entry = queue[head]!
    const now = clock.unsafeCurrentTimeMillis()
    if (entry.at <= now) {
      head++
      entry.done = true
      entry.fire()
      return loop
    }
    return Effect.zipRight(clock.sleep(Duration.millis(entry.at - now)), loop)
  })
  Effect.runFork(loop)
  return {
    register: (entry) => {
      // Later registrations expire later (same timeout, a clock that does not go back); an entry
      // out of order only fires late by the difference, never early.
      queue.push(entry)
      if (wake !== undefined) {
        const signal = wake
        wake = undefined
        Deferred.unsafeDone(signal, Exit.void)
      }
    }
  }
}

const timelines = new WeakMap<Clock.Clock, Timeline>()

const timelineOf = (clock: Clock.Clock): Timeline => {
  let timeline = timelines.get(clock)
  if (timeline === undefined) {
    timeline = makeTimeline(clock)
    timelines.set(clock, timeline)
  }
  return timeline
}

/**
 * Runs `self` with a deadline of `duration`; past it `self` is interrupted (and awaited) and the
 * call fails with `onTimeout()`. Interrupting the caller interrupts `self`.
 *
 * @internal
 */
export const withDeadline = <A, E, E2>(
  self: Effect.Effect<A, E>,
  duration: Duration.Duration,
  onTimeout: () => E2
): Effect.Effect<A, E | E2> => {
  const millis = Duration.toMillis(duration)
  if (!Number.isFinite(millis)) return self
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(self)), (child) =>
      Effect.withFiberRuntime<A, E | E2>((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        return Effect.async<A, E | E2>((resume) => {
          const onExit = (exit: Exit.Exit<A, E>) => {
            if (entry.done) return
            entry.done = true
            resume(exit)
          }
          const entry: Entry = {
            at: clock.unsafeCurrentTimeMillis() + millis,
            done: false,
            fire: () => {
              child.removeObserver(onExit)
              resume(Effect.zipRight(Fiber.interrupt(child), Effect.fail(onTimeout())))
            }
          }
          child.addObserver(onExit)
          if (!entry.done) timelineOf(clock).register(entry)
          return Effect.suspend(() => {
            entry.done = true
            child.removeObserver(onExit)
            return Fiber.interrupt(child)
          })
        })
      })
    )
  )
}
