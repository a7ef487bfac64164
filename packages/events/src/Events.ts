/**
 * Basiq's events API as Effects: `GET /events` (the last 7 days, optionally filtered),
 * `GET /events/{id}` and `GET /events/types`.
 *
 * ```ts
 * import { Events } from "@basiq-effect/events"
 *
 * const events = Effect.flatMap(Events.Events, (events) =>
 *   events.getEvents({ filter: Events.and(Events.userId.eq(userId), Events.entity.eq("connection")) })
 * )
 * ```
 *
 * @since 0.1.0
 */
import { BasiqClient, BasiqError } from "@basiq-effect/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import * as EventSchemas from "./EventSchemas.js"

// -------------------------------------------------------------------------------------------------
// filter
// -------------------------------------------------------------------------------------------------

/**
 * The properties `GET /events` can filter on, as serialised.
 *
 * @since 0.1.0
 * @category filter
 */
export type Property = "user.id" | "event.entity" | "event.type"

/**
 * One `eq` condition.
 *
 * @since 0.1.0
 * @category filter
 */
export interface Clause {
  readonly property: Property
  readonly value: string
}

/**
 * A built filter: the conjunction (AND) of its clauses. Plain data; `renderFilter` turns it into
 * Basiq's syntax.
 *
 * @since 0.1.0
 * @category filter
 */
export interface Filter {
  readonly _tag: "EventFilter"
  readonly clauses: ReadonlyArray<Clause>
}

/**
 * What `getEvents` accepts as `filter`: a built `Filter`, or a raw string in Basiq's syntax sent as
 * it is (only an empty or overlong one is refused).
 *
 * @since 0.1.0
 * @category filter
 */
export type FilterInput = Filter | string

/**
 * The one operator Basiq documents for events.
 *
 * @since 0.1.0
 * @category filter
 */
export interface Field<in A extends string = string> {
  readonly property: Property
  /** Equal to. */
  readonly eq: (value: A) => Filter
}

const field = <A extends string>(property: Property): Field<A> => ({
  property,
  eq: (value) => ({ _tag: "EventFilter", clauses: [{ property, value }] })
})

/**
 * Filters on the user id (`user.id.eq(<id>)`).
 *
 * @since 0.1.0
 * @category filter
 */
export const userId: Field<string> = field("user.id")

/**
 * Filters on the entity (`event.entity.eq(connection)`).
 *
 * @since 0.1.0
 * @category filter
 */
export const entity: Field<"connection" | "consent" | "user" | "account" | "transactions" | (string & {})> =
  field("event.entity")

/**
 * Filters on the event type (`event.type.eq(<type>)`). Whether Basiq expects `created` or
 * `connection.created` is not documented; the value is sent as given.
 *
 * @since 0.1.0
 * @category filter
 */
export const type: Field<string> = field("event.type")

/**
 * Every clause must hold (Basiq joins clauses with `,`).
 *
 * @since 0.1.0
 * @category filter
 */
export const and = (...filters: ReadonlyArray<Filter>): Filter => ({
  _tag: "EventFilter",
  clauses: filters.flatMap((filter) => filter.clauses)
})

/**
 * The longest rendered filter accepted, in characters (a conservative bound for a URL query).
 *
 * @since 0.1.0
 * @category filter
 */
export const maxFilterLength = 2048

const properties: ReadonlySet<unknown> = new Set<Property>(["user.id", "event.entity", "event.type"])

// Event filter values are sent unquoted (CONTRACT: `user.id.eq(userId)`), so only characters that
// cannot change the filter's meaning are allowed: no quotes, commas, parentheses or spaces.
const safeValue = /^[A-Za-z0-9._~:@+-]+$/

const invalid = (reason: string): BasiqError.BasiqInvalidRequestError =>
  new BasiqError.BasiqInvalidRequestError({ reason, fields: ["filter"] })

const checkLength = (rendered: string): Either.Either<string, BasiqError.BasiqInvalidRequestError> =>
  rendered.length > maxFilterLength
    ? Either.left(invalid(`the filter is ${rendered.length} characters long, more than the ${maxFilterLength} allowed`))
    : Either.right(rendered)

/**
 * Validates a filter and renders it in Basiq's syntax, e.g.
 * `user.id.eq(u1),event.entity.eq(connection)`. Values are unquoted, as Basiq's events examples
 * show, so a value must be non-empty and made of letters, digits and `. _ ~ : @ + -` only; anything
 * else fails with `BasiqInvalidRequestError` (field `filter`, never the value) and nothing is sent.
 *
 * @since 0.1.0
 * @category filter
 */
export const renderFilter = (filter: FilterInput): Either.Either<string, BasiqError.BasiqInvalidRequestError> => {
  if (typeof filter === "string") {
    return filter.trim().length === 0 ? Either.left(invalid("the filter is empty")) : checkLength(filter)
  }
  if (!Predicate.isRecord(filter) || filter._tag !== "EventFilter" || !Array.isArray(filter.clauses)) {
    return Either.left(invalid("the filter is neither a built filter nor a string"))
  }
  if (filter.clauses.length === 0) return Either.left(invalid("the filter has no clauses"))
  const parts: Array<string> = []
  for (const clause of filter.clauses as ReadonlyArray<unknown>) {
    if (!Predicate.isRecord(clause) || !properties.has(clause.property)) {
      return Either.left(invalid("the filter has an unknown property"))
    }
    const { property, value } = clause
    if (typeof value !== "string" || value.length === 0) {
      return Either.left(invalid(`a value for ${String(property)} is empty or not a string`))
    }
    if (!safeValue.test(value)) {
      return Either.left(
        invalid(
          `a value for ${String(property)} has a character Basiq's unquoted filter syntax cannot carry (the value is not shown)`
        )
      )
    }
    parts.push(`${String(property)}.eq(${value})`)
  }
  return checkLength(parts.join(","))
}

// -------------------------------------------------------------------------------------------------
// service
// -------------------------------------------------------------------------------------------------

/**
 * The error channel of operations that read a body.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = BasiqError.RequestFailure | BasiqError.BasiqDecodeError

/**
 * Options of `getEvents`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GetEventsOptions {
  /** A filter built with `userId`, `entity`, `type` and `and`, or a raw Basiq filter string. */
  readonly filter?: FilterInput | undefined
}

/**
 * The most pages `getEvents` follows (Basiq documents no paging for events; a `links.next` is
 * followed if it ever appears, up to this bound).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxPages = 100

/**
 * The Events service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * `GET /events`: the events of the last 7 days, every page (following `links.next`, bounded by
   * `maxPages`). An event that is not a known one is an `UnknownEvent`; it never fails the page.
   */
  readonly getEvents: (options?: GetEventsOptions) => Effect.Effect<ReadonlyArray<EventSchemas.Event>, Failure>
  /** `GET /events/{eventId}`. */
  readonly getEvent: (eventId: string) => Effect.Effect<EventSchemas.Event, Failure>
  /** `GET /events/types`: every event type Basiq can send. */
  readonly getEventTypes: () => Effect.Effect<ReadonlyArray<EventSchemas.EventTypeInfo>, Failure>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Events extends Context.Tag("@basiq-effect/events/Events")<Events, Service>() {}

/** The query of a `next` link, if it points at `path`; anything else ends the paging. */
const nextQuery = (next: string | undefined, path: string): Record<string, string> | undefined => {
  if (next === undefined || next.length === 0) return undefined
  let url: URL
  try {
    url = new URL(next, "https://au-api.basiq.io")
  } catch {
    return undefined
  }
  if (url.pathname !== path) return undefined
  const query: Record<string, string> = {}
  for (const [key, value] of url.searchParams) query[key] = value
  return query
}

/**
 * Builds the service on the core client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, BasiqClient.BasiqClient> = Effect.gen(function* () {
  const client = yield* BasiqClient.BasiqClient
  const list = client.operation({
    name: "getEvents",
    span: "basiq.events.getEvents",
    method: "GET",
    path: "/events",
    success: BasiqClient.json(EventSchemas.EventList),
    idempotent: true
  })
  const get = client.operation({
    name: "getEvent",
    span: "basiq.events.getEvent",
    method: "GET",
    path: "/events/{eventId}",
    success: BasiqClient.json(EventSchemas.Event),
    idempotent: true
  })
  const types = client.operation({
    name: "getEventTypes",
    span: "basiq.events.getEventTypes",
    method: "GET",
    path: "/events/types",
    success: BasiqClient.json(EventSchemas.EventTypeList),
    idempotent: true
  })

  const allPages = (
    query: Record<string, string> | undefined
  ): Effect.Effect<ReadonlyArray<EventSchemas.Event>, Failure> =>
    Effect.gen(function* () {
      const out: Array<EventSchemas.Event> = []
      const seen = new Set<string>()
      let current = query
      for (let page = 0; page < maxPages; page++) {
        const answer = yield* list(current === undefined ? { params: {} } : { params: {}, query: current })
        out.push(...answer.data)
        const self = answer.links?.self
        if (self !== undefined) seen.add(self)
        const next = answer.links?.next
        if (next === undefined || seen.has(next)) break
        seen.add(next)
        current = nextQuery(next, "/events")
        if (current === undefined) break
      }
      return out
    })

  return Events.of({
    getEvents: (options) => {
      if (options?.filter === undefined) return allPages(undefined)
      const filter = renderFilter(options.filter)
      return Either.isLeft(filter) ? Effect.fail(filter.left) : allPages({ filter: filter.right })
    },
    getEvent: (eventId) => get({ params: { eventId } }),
    getEventTypes: () => Effect.map(types({ params: {} }), (answer) => answer.data)
  })
})

/**
 * The Events layer (requires the core `BasiqClient`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Events, never, BasiqClient.BasiqClient> = Layer.effect(Events, make)
