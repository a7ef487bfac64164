/**
 * Shared request machinery: error mapping, retry rules, decode-issue paths, path validation.
 *
 * @internal
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as SchemaAST from "effect/SchemaAST"
import * as BasiqError from "../BasiqError.js"
import type * as BasiqRetry from "../BasiqRetry.js"

/** @internal */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/** @internal */
export interface RequestContext {
  readonly method: BasiqError.Method
  readonly route: string
  readonly idempotent: boolean
}

const refusedCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH"])

/** The first `code` found along an error's `cause` chain (e.g. `ECONNRESET`). */
const causeCode = (u: unknown): string | undefined => {
  let current: unknown = u
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code)) return code
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

/**
 * Maps a platform error to a transport error, keeping only a secret-free code (the platform
 * error itself prints the request headers, so it is never kept).
 *
 * @internal
 */
export const transportError = (
  ctx: RequestContext,
  attempts: number,
  error: HttpClientError.HttpClientError
): BasiqError.BasiqTransportError => {
  if (error._tag === "RequestError") {
    const code = causeCode(error.cause)
    const notSent = error.reason !== "Transport" || (code !== undefined && refusedCodes.has(code))
    return new BasiqError.BasiqTransportError({
      method: ctx.method,
      route: ctx.route,
      attempts,
      reason: notSent ? "ConnectionRefused" : "ConnectionReset",
      detail: error.reason === "Transport" ? (code ?? "network error") : `request ${error.reason.toLowerCase()} error`,
      outcomeUnknown: !notSent && !ctx.idempotent
    })
  }
  return bodyError(ctx, attempts, error.cause)
}

/** @internal */
export const bodyError = (ctx: RequestContext, attempts: number, cause: unknown): BasiqError.BasiqTransportError =>
  new BasiqError.BasiqTransportError({
    method: ctx.method,
    route: ctx.route,
    attempts,
    reason: "ResponseBody",
    detail: causeCode(cause) ?? "the response body could not be read",
    outcomeUnknown: !ctx.idempotent
  })

/** @internal */
export const timeoutError = (
  ctx: RequestContext,
  attempts: number,
  timeout: Duration.Duration
): BasiqError.BasiqTransportError =>
  new BasiqError.BasiqTransportError({
    method: ctx.method,
    route: ctx.route,
    attempts,
    reason: "Timeout",
    detail: `no response within ${Duration.format(timeout)}`,
    outcomeUnknown: !ctx.idempotent
  })

/** @internal */
export interface Envelope {
  readonly code: string | undefined
  readonly errors: ReadonlyArray<BasiqError.ErrorItem>
  readonly correlationId: string | undefined
}

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

/**
 * Reads Basiq's error envelope leniently: anything that is not one (HTML, empty) gives no errors.
 *
 * @internal
 */
export const parseEnvelope = (text: string): Envelope => {
  let json: unknown
  try {
    json = text.length === 0 ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  if (typeof json !== "object" || json === null) return { code: undefined, errors: [], correlationId: undefined }
  const record = json as { readonly correlationId?: unknown; readonly data?: unknown }
  const errors: Array<BasiqError.ErrorItem> = []
  if (Array.isArray(record.data)) {
    for (const item of record.data as ReadonlyArray<unknown>) {
      if (typeof item !== "object" || item === null) continue
      const e = item as Record<string, unknown>
      const code = str(e.code)
      if (code === undefined) continue
      const title = str(e.title)
      const detail = str(e.detail)
      const rawSource = e.source
      let source: BasiqError.ErrorItem["source"]
      if (typeof rawSource === "object" && rawSource !== null) {
        const s = rawSource as Record<string, unknown>
        const parameter = str(s.parameter)
        const pointer = str(s.pointer)
        source = {
          ...(parameter === undefined ? {} : { parameter }),
          ...(pointer === undefined ? {} : { pointer })
        }
      }
      errors.push({
        code,
        ...(title === undefined ? {} : { title }),
        ...(detail === undefined ? {} : { detail }),
        ...(source === undefined ? {} : { source })
      })
    }
  }
  return { code: errors[0]?.code, errors, correlationId: str(record.correlationId) }
}

/**
 * `Retry-After` in seconds or as an HTTP date, relative to `now`.
 *
 * @internal
 */
export const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Duration.millis(Math.max(0, date - now))
}

/**
 * The typed error for a non-2xx status.
 *
 * @internal
 */
export const statusError = (
  ctx: RequestContext,
  attempts: number,
  status: number,
  envelope: Envelope,
  retryAfter: Duration.Duration | undefined
): BasiqError.StatusError => {
  const fields = {
    method: ctx.method,
    route: ctx.route,
    attempts,
    status,
    errors: envelope.errors,
    ...(envelope.code === undefined ? {} : { code: envelope.code }),
    ...(envelope.correlationId === undefined ? {} : { correlationId: envelope.correlationId })
  }
  switch (status) {
    case 400:
      return new BasiqError.BasiqBadRequestError(fields)
    case 401:
      return new BasiqError.BasiqUnauthorizedError(fields)
    case 403:
      return new BasiqError.BasiqForbiddenError(fields)
    case 404:
      return new BasiqError.BasiqNotFoundError(fields)
    case 415:
      return new BasiqError.BasiqUnsupportedMediaTypeError(fields)
    case 429:
      return new BasiqError.BasiqRateLimitError(retryAfter === undefined ? fields : { ...fields, retryAfter })
  }
  if (status >= 500 && status <= 599) {
    return new BasiqError.BasiqServerError({ ...fields, outcomeUnknown: !ctx.idempotent && status !== 503 })
  }
  return new BasiqError.BasiqUnexpectedStatusError(fields)
}

/**
 * Whether the token a request used was rejected (expired or invalid): the call re-authenticates
 * once.
 *
 * @internal
 */
export const isTokenRejected = (e: Failure): boolean =>
  e._tag === "BasiqUnauthorizedError" || (e._tag === "BasiqForbiddenError" && e.code === "access-denied")

/**
 * Whether a failed attempt may have been applied by Basiq (the request may have reached it): a
 * broken connection after sending, a timeout, a cut-off body, or a 5xx other than 503.
 *
 * @internal
 */
export const mayHaveApplied = (e: Failure): boolean =>
  (e._tag === "BasiqTransportError" && e.reason !== "ConnectionRefused") ||
  (e._tag === "BasiqServerError" && e.status !== 503)

const idempotentStatuses = new Set([408, 429, 500, 502, 503, 504])

/**
 * The SDK's retry rules (which failures are retried; the policy decides when and how often).
 *
 * @internal
 */
export const isRetryable = (e: Failure, idempotent: boolean, maxRetryAfter: Duration.Duration): boolean => {
  switch (e._tag) {
    case "BasiqRateLimitError":
      return e.retryAfter === undefined || Duration.lessThanOrEqualTo(e.retryAfter, maxRetryAfter)
    case "BasiqTransportError":
      return idempotent || e.reason === "ConnectionRefused"
    case "BasiqServerError":
      return idempotent ? idempotentStatuses.has(e.status) : e.status === 503
    case "BasiqUnexpectedStatusError":
      return idempotent && e.status === 408
    default:
      return false
  }
}

/**
 * The retry schedule of a policy for idempotent or non-idempotent requests: the policy's delays,
 * replaced by `Retry-After` where Basiq sent one, and only for retryable failures.
 *
 * @internal
 */
export const retrySchedule = (policy: BasiqRetry.Policy, idempotent: boolean): Schedule.Schedule<unknown, Failure> =>
  // Decode errors are never retried: `whileInput` stops before the policy could act on one.
  (policy.schedule as Schedule.Schedule<unknown, Failure>).pipe(
    Schedule.whileInput((e: Failure) => isRetryable(e, idempotent, policy.maxRetryAfter)),
    Schedule.intersect(Schedule.identity<Failure>()),
    Schedule.modifyDelay(([, e], delay) =>
      e._tag === "BasiqRateLimitError" && e.retryAfter !== undefined ? e.retryAfter : delay
    )
  )

/** Fixed segments of Basiq routes: an id equal to one would address a sibling route. */
const reservedSegments = new Set([
  "users",
  "connections",
  "refresh",
  "purge",
  "jobs",
  "mfa",
  "token",
  "accounts",
  "transactions",
  "institutions",
  "auth_link"
])

const idPattern = /^[A-Za-z0-9\-_.~]{1,256}$/

/**
 * Why a path parameter is refused, or `undefined` when it is fine.
 *
 * @internal
 */
export const checkPathParam = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.length > 256) return "must be at most 256 characters"
  if (!idPattern.test(value)) return "may contain only letters, digits, '-', '_', '.' and '~'"
  if (value === "." || value === "..") return "must not be '.' or '..'"
  if (reservedSegments.has(value.toLowerCase())) return "must not be a fixed segment of a Basiq route"
  return undefined
}

/**
 * A short description of what a schema node expects ("a string", "an object", ...), never a value.
 *
 * @internal
 */
export const describeAst = (ast: SchemaAST.AST, depth = 0): string => {
  const id = SchemaAST.getIdentifierAnnotation(ast)
  if (id._tag === "Some") return id.value
  switch (ast._tag) {
    case "StringKeyword":
    case "TemplateLiteral":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "a boolean"
    case "Literal":
      return ast.literal === null ? "null" : JSON.stringify(ast.literal)
    case "UndefinedKeyword":
      return "undefined"
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "Enums":
      return "an enum member"
    case "Refinement": {
      const description = SchemaAST.getDescriptionAnnotation(ast)
      return description._tag === "Some" ? description.value : describeAst(ast.from, depth + 1)
    }
    case "Transformation":
      return describeAst(ast.from, depth + 1)
    case "Suspend":
      return depth > 5 ? "a value" : describeAst(ast.f(), depth + 1)
    case "Union": {
      const members = [...new Set(ast.types.map((t) => describeAst(t, depth + 1)))]
      return members.length > 4 ? "one of several shapes" : members.join(" or ")
    }
    default:
      return "a value"
  }
}

const render = (u: PropertyKey): string => (typeof u === "number" ? `[${u}]` : String(u))

const joinPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    const part = render(key)
    out += part.startsWith("[") ? part : out.length === 0 ? part : `.${part}`
  }
  return out
}

/**
 * The location (`accounts.data[0].balance`) and expectation of the first leaf of a parse issue,
 * without the actual value.
 *
 * @internal
 */
export const issueLocation = (issue: ParseResult.ParseIssue): { readonly at: string; readonly expected: string } => {
  const path: Array<PropertyKey> = []
  let current: ParseResult.ParseIssue = issue
  for (let depth = 0; depth < 100; depth++) {
    switch (current._tag) {
      case "Pointer": {
        const p = current.path
        if (Array.isArray(p)) path.push(...(p as ReadonlyArray<PropertyKey>))
        else path.push(p as PropertyKey)
        current = current.issue
        continue
      }
      case "Composite": {
        const issues = current.issues
        const first = Array.isArray(issues) ? issues[0] : issues
        if (first === undefined) return { at: joinPath(path), expected: describeAst(current.ast) }
        current = first as ParseResult.ParseIssue
        continue
      }
      case "Refinement":
      case "Transformation":
        if (current._tag === "Refinement" && current.kind === "Predicate") {
          return { at: joinPath(path), expected: describeAst(current.ast) }
        }
        current = current.issue
        continue
      case "Missing":
        return { at: joinPath(path), expected: "a value (the field is missing)" }
      case "Unexpected":
        return { at: joinPath(path), expected: "no such key" }
      case "Forbidden":
      case "Type":
        return { at: joinPath(path), expected: describeAst(current.ast) }
    }
  }
  return { at: joinPath(path), expected: "a valid value" }
}

/**
 * The paths of every leaf of a parse issue (for naming the invalid fields of a body).
 *
 * @internal
 */
export const issuePaths = (issue: ParseResult.ParseIssue): ReadonlyArray<string> => {
  const out = new Set<string>()
  const walk = (i: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): void => {
    switch (i._tag) {
      case "Pointer": {
        const p = i.path
        walk(i.issue, Array.isArray(p) ? [...path, ...(p as ReadonlyArray<PropertyKey>)] : [...path, p as PropertyKey])
        return
      }
      case "Composite": {
        const issues = Array.isArray(i.issues) ? (i.issues as ReadonlyArray<ParseResult.ParseIssue>) : [i.issues]
        for (const sub of issues) walk(sub as ParseResult.ParseIssue, path)
        return
      }
      case "Refinement":
      case "Transformation":
        walk(i.issue, path)
        return
      default:
        out.add(path.length === 0 ? "body" : joinPath(path))
    }
  }
  walk(issue, [])
  return [...out]
}

/** @internal */
export const getOption = <A>(o: Option.Option<A>, fallback: A): A => (Option.isSome(o) ? o.value : fallback)

/**
 * Effect's live clock: when a fiber's clock is this one (not a `TestClock`), a plain timer
 * measures the same time.
 *
 * @internal
 */
export const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, Clock.Clock)

/**
 * The longest delay `setTimeout` takes as given (longer ones fire at once).
 *
 * @internal
 */
export const maxTimerMillis = 2_147_483_647

/**
 * `Effect.timeoutFail`, cheaper on the live clock: `self` runs in one forked fiber and a plain
 * timer stands for the sleeping one (`Effect.timeoutFail` races two forked fibers, which costs
 * about twice as much per call). Under another clock (`TestClock`) it is `Effect.timeoutFail`
 * itself. As there: on success the fiber refs of `self` are inherited; on timeout `self` is
 * interrupted, and awaited, before failing with `onTimeout()`; interrupting the caller interrupts
 * `self`.
 *
 * @internal
 */
export const timeoutFail = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  duration: Duration.Duration,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> => {
  const millis = Duration.toMillis(duration)
  const viaEffect = Effect.timeoutFail(self, { duration, onTimeout })
  if (!(millis > 0 && millis <= maxTimerMillis)) return viaEffect
  return Effect.withFiberRuntime<A, E | E2, R>((fiber) => {
    if (Context.get(fiber.currentDefaultServices, Clock.Clock) !== liveClock) return viaEffect
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.fork(restore(self)), (child) =>
        Effect.onInterrupt(
          restore(
            Effect.async<A, E | E2>((resume) => {
              let timer: ReturnType<typeof setTimeout> | undefined
              const observer = (exit: Exit.Exit<A, E>) => {
                if (timer !== undefined) clearTimeout(timer)
                timer = undefined
                resume(Exit.isSuccess(exit) ? Effect.as(child.inheritAll, exit.value) : Effect.failCause(exit.cause))
              }
              timer = setTimeout(() => {
                timer = undefined
                child.removeObserver(observer)
                resume(Effect.zipRight(Fiber.interrupt(child), Effect.fail(onTimeout())))
              }, millis)
              child.addObserver(observer)
              return Effect.sync(() => {
                if (timer !== undefined) clearTimeout(timer)
                timer = undefined
                child.removeObserver(observer)
              })
            })
          ),
          () => Fiber.interrupt(child)
        )
      )
    )
  })
}
