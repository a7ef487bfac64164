/**
 * The fake as one engine: journal, faults and routes, run on the runtime it was built in. The
 * in-memory `fetch` and the HTTP server both translate its outcomes into their transport.
 *
 * @internal
 */
import { HttpApp, HttpMiddleware } from "@effect/platform"
import { Clock, Duration, Effect, Exit, Ref, Runtime, Scope, Stream, SubscriptionRef } from "effect"
import * as Bodies from "./bodies.js"
import * as Errors from "./errors.js"
import { UnknownConnectionError, UnknownConsentError, UnknownUserError } from "./errors.js"
import * as Events from "./events.js"
import * as Model from "./model.js"
import * as Ops from "./ops.js"
import * as Routes from "./routes.js"
import * as Sandbox from "./sandbox.js"
import type { AccountSeed, Fault, JournalEntry, LayerOptions, Service } from "./types.js"
import * as Webhooks from "./webhooks.js"

/** A request as the transport received it. */
export interface Incoming {
  readonly method: string
  readonly url: URL
  readonly headers: Headers
  readonly body: Uint8Array<ArrayBuffer>
}

/** A complete response. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Uint8Array
}

/** A response whose body is produced as it is read. */
export interface StreamAnswer {
  readonly status: number
  readonly headers: Headers
  readonly body: Bodies.Streamed
}

/** What the transport must do with a request. */
export type Outcome =
  | { readonly _tag: "Respond"; readonly answer: Answer }
  | { readonly _tag: "Stream"; readonly answer: StreamAnswer }
  | { readonly _tag: "Reset"; readonly applied: boolean }
  | { readonly _tag: "Truncate"; readonly answer: Answer }

export interface Engine {
  readonly control: Service
  readonly dispatch: (incoming: Incoming, signal: AbortSignal) => Promise<Outcome>
  /** Stops the fake's own fibers (job watchers, webhook deliveries). */
  readonly close: Effect.Effect<void>
}

interface Rule {
  readonly method: string | undefined
  readonly path: string | RegExp | undefined
  readonly remaining: number
  readonly fault: Fault
}

const REDACTED = "<redacted>"
const secrets: ReadonlySet<string> = new Set([
  "loginId",
  "password",
  "securityCode",
  "secondaryLoginId",
  "mfa-response",
  "userToken",
  "token"
])

const redact = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(redact)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secrets.has(k) ? REDACTED : redact(v)]))
}

const parseJson = (text: string): { readonly value: unknown } | undefined => {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}

/** The body as the journal keeps it: parsed JSON or form with credentials redacted; other text redacted whole. */
const journalBody = (headers: Headers, bytes: Uint8Array): unknown => {
  if (bytes.length === 0) return undefined
  const text = new TextDecoder().decode(bytes)
  const json = parseJson(text)
  if (json !== undefined) return redact(json.value)
  if (Routes.mediaType(headers.get("content-type")) === "application/x-www-form-urlencoded") {
    return redact(Object.fromEntries(new URLSearchParams(text).entries()))
  }
  return REDACTED
}

const journalEntry = (incoming: Incoming): JournalEntry => {
  const headers: Record<string, string> = {}
  incoming.headers.forEach((value, key) => {
    headers[key] = key === "authorization" ? REDACTED : value
  })
  return {
    method: incoming.method.toUpperCase(),
    path: incoming.url.pathname,
    query: Object.fromEntries(
      [...incoming.url.searchParams.entries()].map(([k, v]) => [k, secrets.has(k) ? REDACTED : v])
    ),
    headers,
    body: journalBody(incoming.headers, incoming.body)
  }
}

const encoder = new TextEncoder()

const statusAnswer = (fault: Extract<Fault, { readonly _tag: "Status" }>): Answer => {
  const headers = new Headers()
  let body: Uint8Array = new Uint8Array()
  if (fault.body === undefined) {
    if (fault.status >= 400) {
      body = encoder.encode(JSON.stringify(Errors.envelope([Errors.defaultItem(fault.status)])))
      headers.set("content-type", "application/json")
    }
  } else if (typeof fault.body === "string") {
    body = encoder.encode(fault.body)
    headers.set("content-type", "text/plain; charset=utf-8")
  } else {
    body = encoder.encode(JSON.stringify(fault.body))
    headers.set("content-type", "application/json")
  }
  if (fault.contentType !== undefined) headers.set("content-type", fault.contentType)
  if (fault.retryAfter !== undefined) headers.set("retry-after", String(fault.retryAfter))
  return { status: fault.status, headers, body }
}

const redirectAnswer = (fault: Extract<Fault, { readonly _tag: "Redirect" }>): Answer => ({
  status: fault.status,
  headers: new Headers({ location: fault.location }),
  body: new Uint8Array()
})

const rawAnswer = (fault: Extract<Fault, { readonly _tag: "Body" }>): Answer => ({
  status: fault.status,
  headers: new Headers(fault.headers),
  body: typeof fault.body === "string" ? encoder.encode(fault.body) : fault.body
})

const hugeAnswer = (fault: Extract<Fault, { readonly _tag: "HugeBody" }>): StreamAnswer => ({
  status: fault.status,
  headers: new Headers({ "content-type": "application/json", "content-length": String(fault.bytes) }),
  body: Bodies.huge(fault.bytes)
})

const endlessAnswer = (fault: Extract<Fault, { readonly _tag: "EndlessBody" }>): StreamAnswer => ({
  status: fault.status,
  headers: new Headers({ "content-type": "application/json" }),
  body: Bodies.endless()
})

const bombAnswer = (fault: Extract<Fault, { readonly _tag: "GzipBomb" }>) =>
  Effect.map(
    Effect.promise(() => Bodies.bombBytes(fault)),
    (body): Answer => ({
      status: 200,
      headers: new Headers({ "content-type": "application/json", "content-encoding": fault.encoding }),
      body
    })
  )

const noBody = (method: string) => method === "GET" || method === "HEAD"

/**
 * Builds a fresh fake: its state, routes and controls. Runs on the runtime (and `Clock`) of the
 * caller. `consentPage` (served mode) adds the consent page, redirecting to `redirectUrl`.
 */
export const make = (
  options: LayerOptions,
  origin: string,
  consentPage?: { readonly redirectUrl: string }
): Effect.Effect<Engine> =>
  Effect.gen(function* () {
    const stepMs = Duration.toMillis(Duration.decode(options.stepDuration ?? "1 second"))
    const journalSize = options.journal === false ? 0 : Math.max(0, Math.floor(options.journal ?? 1000))
    const state = yield* SubscriptionRef.make(Model.emptyState)
    const scope = yield* Scope.make()
    const faults = yield* Ref.make<ReadonlyArray<Rule>>([])
    const apiKeys = options.apiKeys === undefined ? undefined : new Set(options.apiKeys)
    const runtime = yield* Effect.runtime<never>().pipe(HttpMiddleware.withTracerDisabledWhenEffect(() => true))
    const deliverer = Webhooks.make({
      origin,
      served: consentPage !== undefined,
      handler: options.webhookHandler,
      scale: Math.max(0, options.webhookRetryScale ?? 1),
      state,
      scope
    })
    const webhooks = { served: consentPage !== undefined, secret: options.webhookSecret, deliverer }
    const handler = HttpApp.toWebHandlerRuntime(runtime)(
      Routes.make({ state, stepMs, apiKeys, origin, consentPage, webhooks })
    )
    const run = Runtime.runPromise(runtime)

    // A ring: `next` is where the next entry goes once the buffer is full.
    const ring: Array<JournalEntry> = []
    let next = 0
    const record = (incoming: Incoming) =>
      Effect.sync(() => {
        if (journalSize === 0) return
        if (ring.length < journalSize) ring.push(journalEntry(incoming))
        else ring[next] = journalEntry(incoming)
        next = (next + 1) % journalSize
      })
    const journal = Effect.sync(() =>
      ring.length < journalSize ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]
    )

    const takeFault = (method: string, path: string) =>
      Ref.modify(faults, (rules): readonly [Fault | undefined, ReadonlyArray<Rule>] => {
        const index = rules.findIndex(
          (rule) =>
            (rule.method === undefined || rule.method.toUpperCase() === method.toUpperCase()) &&
            (rule.path === undefined ||
              (typeof rule.path === "string" ? rule.path === path : path.search(rule.path) >= 0))
        )
        const rule = rules[index]
        if (rule === undefined) return [undefined, rules]
        const rest =
          rule.remaining <= 1
            ? rules.filter((_, i) => i !== index)
            : rules.map((r, i) => (i === index ? { ...r, remaining: r.remaining - 1 } : r))
        return [rule.fault, rest]
      })

    const apply = (incoming: Incoming) =>
      Effect.promise((signal) =>
        handler(
          new Request(incoming.url, {
            method: incoming.method,
            headers: incoming.headers,
            ...(noBody(incoming.method.toUpperCase()) || incoming.body.length === 0 ? {} : { body: incoming.body }),
            signal
          })
        )
      ).pipe(
        Effect.flatMap((response) =>
          Effect.promise(
            async (): Promise<Answer> => ({
              status: response.status,
              headers: response.headers,
              body: new Uint8Array(await response.arrayBuffer())
            })
          )
        )
      )

    const dispatch = (incoming: Incoming) =>
      Effect.gen(function* () {
        yield* record(incoming)
        const fault = yield* takeFault(incoming.method, incoming.url.pathname)
        switch (fault?._tag) {
          case undefined:
            return { _tag: "Respond", answer: yield* apply(incoming) } as const
          case "Status":
            return { _tag: "Respond", answer: statusAnswer(fault) } as const
          case "Delay":
            yield* Effect.sleep(fault.duration)
            return { _tag: "Respond", answer: yield* apply(incoming) } as const
          case "ResetBeforeApply":
            return { _tag: "Reset", applied: false } as const
          case "ResetAfterApply":
            yield* apply(incoming)
            return { _tag: "Reset", applied: true } as const
          case "Truncate":
            return { _tag: "Truncate", answer: yield* apply(incoming) } as const
          case "Redirect":
            return { _tag: "Respond", answer: redirectAnswer(fault) } as const
          case "Body":
            return { _tag: "Respond", answer: rawAnswer(fault) } as const
          case "HugeBody":
            return { _tag: "Stream", answer: hugeAnswer(fault) } as const
          case "EndlessBody":
            return { _tag: "Stream", answer: endlessAnswer(fault) } as const
          case "GzipBomb":
            return { _tag: "Respond", answer: yield* bombAnswer(fault) } as const
        }
      })

    const control: Service = {
      createUser: (userOptions) =>
        Effect.gen(function* () {
          const user = Ops.newUser(userOptions ?? {})
          const t = yield* Clock.currentTimeMillis
          yield* Ref.update(state, (s) => Ops.addUser(s, user, t))
          return Model.userWire(origin, user)
        }),
      seedConnection: (seed) =>
        Effect.gen(function* () {
          const s = yield* Ref.get(state)
          if (!s.users.has(seed.userId)) return yield* Effect.dieMessage(`seedConnection: unknown user ${seed.userId}`)
          const t = yield* Clock.currentTimeMillis
          const seeds: ReadonlyArray<AccountSeed> = seed.accounts ?? Sandbox.defaultAccounts
          const connection: Model.ConnectionRecord = {
            id: Model.newId(),
            userId: seed.userId,
            institutionId: seed.institutionId ?? Sandbox.HOOLI,
            createdAt: t,
            credentials: undefined,
            accounts: seeds.map((a, i) => ({
              id: a.id ?? Model.newId(),
              accountNo: a.accountNo ?? `600000-${String(157441965 + i)}`,
              name: a.name ?? `Account ${i + 1}`,
              currency: a.currency ?? "AUD",
              class: a.class ?? { type: "transaction", product: "Everyday Account" },
              balance: a.balance === undefined ? "0.00" : a.balance,
              availableFunds: a.availableFunds === undefined ? "0.00" : a.availableFunds,
              status: a.status ?? "available"
            })),
            profile: undefined,
            settled: { status: seed.status ?? "active", lastUsed: t, synced: t },
            jobId: undefined,
            purgedAt: undefined
          }
          yield* Ref.update(state, (current) => Ops.addConnection(current, connection, t))
          return Model.connectionWire(origin, connection, connection.settled)
        }),
      journal,
      deliveries: deliverer.deliveries,
      expireTokens: () =>
        Ref.update(state, (s) => ({
          ...s,
          tokens: new Map([...s.tokens].map(([token, record]) => [token, { ...record, revoked: true }]))
        })),
      injectFault: ({ fault, method, path, times }) =>
        Ref.update(faults, (rules) => [...rules, { fault, method, path, remaining: times ?? 1 }]),
      completeConsent: (consent) =>
        Effect.gen(function* () {
          const t = yield* Clock.currentTimeMillis
          const jobIds = yield* Ref.modify(state, (s) =>
            s.users.has(consent.userId)
              ? Ops.completeConsent(
                  s,
                  {
                    userId: consent.userId,
                    institutionId: consent.institutionId ?? Sandbox.HOOLI,
                    loginId: consent.loginId,
                    password: consent.password
                  },
                  t,
                  stepMs
                )
              : ([undefined, s] as const)
          )
          if (jobIds === undefined) return yield* new UnknownUserError({ userId: consent.userId })
          return { jobIds }
        }),
      revokeConsent: ({ userId, consentId }) =>
        Effect.gen(function* () {
          const t = yield* Clock.currentTimeMillis
          const result = yield* Ref.modify(
            state,
            (s): readonly [Model.ConsentRecord | UnknownUserError | UnknownConsentError, Model.State] => {
              if (!s.users.has(userId)) return [new UnknownUserError({ userId }), s]
              const found = consentId === undefined ? Ops.activeConsent(s, userId, t) : s.consents.get(consentId)
              if (found === undefined || found.userId !== userId) {
                return [new UnknownConsentError({ userId, consentId }), s]
              }
              const next = Ops.revokeConsent(s, found, t, stepMs)
              return [next.consents.get(found.id) ?? found, next]
            }
          )
          if (result instanceof UnknownUserError || result instanceof UnknownConsentError) return yield* result
          return Model.consentWire(origin, result, t)
        }),
      invalidateConnection: ({ userId, connectionId }) =>
        Effect.gen(function* () {
          const t = yield* Clock.currentTimeMillis
          const result = yield* Ref.modify(
            state,
            (s): readonly [Model.State | UnknownUserError | UnknownConnectionError, Model.State] => {
              if (!s.users.has(userId)) return [new UnknownUserError({ userId }), s]
              const found = s.connections.get(connectionId)
              if (found === undefined || found.userId !== userId) {
                return [new UnknownConnectionError({ userId, connectionId }), s]
              }
              const next = Ops.invalidateConnection(s, found, t, stepMs)
              return [next, next]
            }
          )
          if (result instanceof UnknownUserError || result instanceof UnknownConnectionError) return yield* result
          const c = result.connections.get(connectionId)
          return c === undefined
            ? yield* Effect.dieMessage("invalidateConnection: connection vanished")
            : Model.connectionWire(origin, c, c.settled)
        })
    }

    // Watches each job until it finishes, then settles it (emitting its connection's event).
    const watchJob = (jobId: string) =>
      Effect.gen(function* () {
        for (let round = 0; round < 100_000; round++) {
          const job = (yield* Ref.get(state)).jobs.get(jobId)
          if (job === undefined) return
          const t = yield* Clock.currentTimeMillis
          const view = Model.viewJob(job, t, stepMs)
          if (view.finishedAt !== undefined) {
            return yield* Ref.update(state, (s) => Ops.settleJob(s, jobId, t, stepMs))
          }
          // The next step boundary; while waiting for an MFA answer, look again every step.
          const wait = view.awaitingMfa ? Math.max(stepMs, 50) : Math.max(1, view.updated + stepMs - t)
          yield* Effect.sleep(Duration.millis(wait))
        }
      })

    // Reacts to every state change: new jobs get a watcher.
    const watched = new Set<string>()
    let lastJobs: Model.State["jobs"] | undefined
    let lastSeq = 0
    const react = (s: Model.State) =>
      Effect.gen(function* () {
        if (s.eventSeq > lastSeq) {
          for (const e of s.events) {
            if (e.seq <= lastSeq) continue
            const typeId = `${e.entity}.${e.eventType}`
            for (const webhook of s.webhooks.values()) {
              if (webhook.subscribedEvents.includes(typeId)) {
                yield* deliverer.send(webhook, Events.notification(origin, e))
              }
            }
          }
          lastSeq = s.eventSeq
        }
        if (s.jobs !== lastJobs) {
          lastJobs = s.jobs
          for (const id of watched) if (!s.jobs.has(id)) watched.delete(id)
          for (const id of s.jobs.keys()) {
            if (watched.has(id)) continue
            watched.add(id)
            yield* Effect.forkIn(Effect.interruptible(watchJob(id)), scope)
          }
        }
      })
    // Interruptible: a layer is built in an uninterruptible region, which forked fibers would inherit.
    yield* Effect.forkIn(Effect.interruptible(Stream.runForEach(state.changes, react)), scope)

    return {
      control,
      dispatch: (incoming, signal) => run(dispatch(incoming), { signal }),
      close: Scope.close(scope, Exit.void)
    }
  })
