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
  /** Called when the deadline passes; dropped once the entry leaves the timeline. */
  fire: (() => void) | undefined
  prev: Entry | undefined
  next: Entry | undefined
  linked: boolean
}

interface Timeline {
  readonly add: (entry: Entry) => void
  readonly remove: (entry: Entry) => void
}

/**
 * The pending deadlines of a clock, oldest first, as a linked list (an attempt that ends leaves it
 * at once, so nothing accumulates), and the fiber that fires them on that clock.
 */
const makeTimeline = (clock: Clock.Clock): Timeline => {
  let head: Entry | undefined
  let tail: Entry | undefined
  let wake: Deferred.Deferred<void> | undefined
  const remove = (entry: Entry) => {
    if (!entry.linked) return
    entry.linked = false
    if (entry.prev === undefined) head = entry.next
    else entry.prev.next = entry.next
    if (entry.next === undefined) tail = entry.prev
    else entry.next.prev = entry.prev
    entry.prev = undefined
    entry.next = undefined
  }
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    if (head === undefined) {
      const signal = Deferred.unsafeMake<void>(FiberId.none)
      wake = signal
      return Effect.zipRight(Deferred.await(signal), loop)
    }
    const entry = head
    const now = clock.unsafeCurrentTimeMillis()
    if (entry.at <= now) {
      remove(entry)
      const fire = entry.fire
      entry.fire = undefined
      fire?.()
      return loop
    }
    // Woken early when the head ends first: it then sleeps until the next deadline.
    return Effect.zipRight(clock.sleep(Duration.millis(entry.at - now)), loop)
  })
  Effect.runFork(loop)
  return {
    add: (entry) => {
      // Later additions expire later (same timeout, a clock that does not go back); an entry out
      // of order only fires late by the difference, never early.
      entry.linked = true
      entry.prev = tail
      if (tail === undefined) head = entry
      else tail.next = entry
      tail = entry
      if (wake !== undefined) {
        const signal = wake
        wake = undefined
        Deferred.unsafeDone(signal, Exit.void)
      }
    },
    remove: (entry) => {
      remove(entry)
      entry.fire = undefined
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
        const timeline = timelineOf(clock)
        return Effect.async<A, E | E2>((resume) => {
          let settled = false
          const entry: Entry = {
            at: clock.unsafeCurrentTimeMillis() + millis,
            fire: () => {
              if (settled) return
              settled = true
              child.removeObserver(onExit)
              resume(Effect.zipRight(Fiber.interrupt(child), Effect.fail(onTimeout())))
            },
            prev: undefined,
            next: undefined,
            linked: false
          }
          const onExit = (exit: Exit.Exit<A, E>) => {
            if (settled) return
            settled = true
            timeline.remove(entry)
            resume(exit)
          }
          child.addObserver(onExit)
          if (!settled) timeline.add(entry)
          return Effect.suspend(() => {
            settled = true
            timeline.remove(entry)
            child.removeObserver(onExit)
            return Fiber.interrupt(child)
          })
        })
      })
    )
  )
}

/**
 * The deadline of the current attempt, for a transport that takes part in it: the SDK's two
 * transports arm it when they start a request (`arm`), so the timeline aborts the request itself
 * and the attempt needs no fiber of its own. `honored` tells the pipeline the client took part.
 *
 * @internal
 */
export interface AttemptDeadline {
  readonly millis: number
  honored: boolean
}

/** The deadline of the attempt each fiber is sending (set by the pipeline, taken by a transport). */
const attemptDeadlines = new WeakMap<object, AttemptDeadline>()

/**
 * Sets the deadline of the attempt the fiber is about to send (a table by fiber: cheaper than
 * `Effect.locally` on a `FiberRef`). A transport that takes part removes it when it arms it.
 *
 * @internal
 */
export const setAttemptDeadline = (fiber: object, deadline: AttemptDeadline): void => {
  attemptDeadlines.set(fiber, deadline)
}

/**
 * The deadline of the attempt passed (raised by a transport that took part in it).
 *
 * @internal
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super("the per-attempt deadline passed")
    this.name = "DeadlineExceeded"
  }
}

/**
 * For a transport: when the calling fiber's attempt has a deadline, registers it on the fiber's
 * clock with `onFire` (abort the request, fail with `DeadlineExceeded`) and returns the function
 * that removes it once the request settled; `undefined` when there is no deadline.
 *
 * @internal
 */
export const arm = (
  fiber: { readonly currentDefaultServices: Context.Context<never> },
  onFire: () => void
): (() => void) | undefined => {
  const deadline = attemptDeadlines.get(fiber)
  if (deadline === undefined) return undefined
  attemptDeadlines.delete(fiber)
  deadline.honored = true
  const clock = Context.get(fiber.currentDefaultServices as Context.Context<Clock.Clock>, Clock.Clock)
  const timeline = timelineOf(clock)
  const entry: Entry = {
    at: clock.unsafeCurrentTimeMillis() + deadline.millis,
    fire: onFire,
    prev: undefined,
    next: undefined,
    linked: false
  }
  timeline.add(entry)
  return () => timeline.remove(entry)
}
