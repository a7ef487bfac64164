/**
 * Basiq's events, decoded leniently: a union of the known events (by `entity` + `eventType`,
 * tagged `ConnectionEvent`, `UserEvent`, ...), and an `UnknownEvent` for an unknown type or a known
 * type whose `data` does not decode. Decoding an `Event` never fails, so one odd event never fails
 * a page.
 *
 * Basiq's documentation shows an event's `data` as an object, as an array of one object, or not at
 * all, and `links` as an object or an array of one object: both are accepted and normalised to the
 * single object.
 *
 * @since 0.1.0
 */
import { ConnectionSchemas } from "@basiq-effect/connections"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

// -------------------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------------------

/** An object, or an array holding exactly that one object, normalised to the object. */
const oneOf = <A, I>(schema: Schema.Schema<A, I, never>): Schema.Schema<A, I | ReadonlyArray<I>, never> =>
  Schema.transform(Schema.Union(schema, Schema.Tuple(schema)), Schema.typeSchema(schema), {
    strict: true,
    decode: (value) => (Array.isArray(value) ? (value as readonly [A])[0] : (value as A)),
    encode: (value) => value
  }) as Schema.Schema<A, I | ReadonlyArray<I>, never>

/**
 * The links of an event: `self` is `https://au-api.basiq.io/events/{id}`.
 *
 * @since 0.1.0
 * @category models
 */
export const EventLinks = Schema.Struct({ self: Schema.optional(Schema.String) })

/**
 * @since 0.1.0
 * @category models
 */
export type EventLinks = typeof EventLinks.Type

const baseFields = {
  /** Always `"event"`. */
  type: Schema.optional(Schema.String),
  /** 64 hex characters in Basiq's examples (once `"61723"`). */
  id: Schema.String,
  /** RFC 3339. */
  createdDate: Schema.optional(Schema.String),
  userId: Schema.optional(Schema.String),
  /** The URL of the resource the event is about. */
  dataRef: Schema.optional(Schema.String),
  links: Schema.optional(oneOf(EventLinks))
}

// -------------------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------------------

/**
 * A user snapshot, as `user.*` events carry it.
 *
 * @since 0.1.0
 * @category models
 */
export const UserData = Schema.Struct({
  type: Schema.optional(Schema.String),
  id: Schema.String,
  email: Schema.optional(Schema.NullOr(Schema.String)),
  mobile: Schema.optional(Schema.NullOr(Schema.String)),
  links: Schema.optional(Schema.Struct({ self: Schema.optional(Schema.String) }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type UserData = typeof UserData.Type

/**
 * What `transactions.updated` carries: the connection and how many transactions changed (Basiq
 * sends the count as a string; a number is accepted and kept as its decimal text).
 *
 * @since 0.1.0
 * @category models
 */
export const TransactionsData = Schema.Struct({
  type: Schema.optional(Schema.String),
  connection: Schema.optional(
    Schema.Struct({
      id: Schema.String,
      type: Schema.optional(Schema.String),
      links: Schema.optional(Schema.Struct({ self: Schema.optional(Schema.String) }))
    })
  ),
  count: Schema.optional(
    Schema.Union(
      Schema.String,
      Schema.transform(Schema.Number, Schema.String, { strict: true, decode: String, encode: Number })
    )
  ),
  links: Schema.optional(Schema.Struct({ self: Schema.optional(Schema.String) }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type TransactionsData = typeof TransactionsData.Type

// -------------------------------------------------------------------------------------------------
// events
// -------------------------------------------------------------------------------------------------

const DataLinks = Schema.Struct({ self: Schema.optional(Schema.String) })

/**
 * `connection.created`, `connection.activated`, `connection.updated` or `connection.invalidated`,
 * with the connection snapshot decoded by `ConnectionSchemas.Connection` (v2.1 shape: `mfaEnabled`;
 * an invalidated connection has `status: "invalid-connection"`).
 *
 * @since 0.1.0
 * @category events
 */
export const ConnectionEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("connection"),
  eventType: Schema.Literal("created", "activated", "updated", "invalidated"),
  data: oneOf(ConnectionSchemas.Connection)
}).pipe(Schema.attachPropertySignature("_tag", "ConnectionEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type ConnectionEvent = typeof ConnectionEvent.Type

/**
 * `connection.deleted`: Basiq does not document its `data`; when present it is decoded as a
 * connection.
 *
 * @since 0.1.0
 * @category events
 */
export const ConnectionDeletedEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("connection"),
  eventType: Schema.Literal("deleted"),
  data: Schema.optional(oneOf(ConnectionSchemas.Connection))
}).pipe(Schema.attachPropertySignature("_tag", "ConnectionDeletedEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type ConnectionDeletedEvent = typeof ConnectionDeletedEvent.Type

/**
 * `user.created`, `user.updated` or `user.deleted`, with the user snapshot when Basiq sends one.
 *
 * @since 0.1.0
 * @category events
 */
export const UserEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("user"),
  eventType: Schema.Literal("created", "updated", "deleted"),
  data: Schema.optional(oneOf(UserData))
}).pipe(Schema.attachPropertySignature("_tag", "UserEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type UserEvent = typeof UserEvent.Type

/**
 * A consent event (`consent.created`, `updated`, `revoked`, `expired`, `archived`, `deleted`,
 * `warning` (7 days before expiry), `reminder` (90 days after the last update)). Basiq does not
 * document its `data`, so it is kept as sent.
 *
 * @since 0.1.0
 * @category events
 */
export const ConsentEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("consent"),
  eventType: Schema.Literal("created", "updated", "revoked", "expired", "archived", "deleted", "warning", "reminder"),
  data: Schema.optional(Schema.Unknown)
}).pipe(Schema.attachPropertySignature("_tag", "ConsentEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type ConsentEvent = typeof ConsentEvent.Type

/**
 * `transactions.updated`: new or changed transactions on a connection.
 *
 * @since 0.1.0
 * @category events
 */
export const TransactionsEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("transactions"),
  eventType: Schema.Literal("updated"),
  data: Schema.optional(oneOf(TransactionsData))
}).pipe(Schema.attachPropertySignature("_tag", "TransactionsEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type TransactionsEvent = typeof TransactionsEvent.Type

/**
 * `account.updated`. Basiq does not document its `data`, so it is kept as sent.
 *
 * @since 0.1.0
 * @category events
 */
export const AccountEvent = Schema.Struct({
  ...baseFields,
  entity: Schema.Literal("account"),
  eventType: Schema.Literal("updated"),
  data: Schema.optional(Schema.Unknown)
}).pipe(Schema.attachPropertySignature("_tag", "AccountEvent"))

/**
 * @since 0.1.0
 * @category events
 */
export type AccountEvent = typeof AccountEvent.Type

/**
 * An event of a type this SDK does not know, or of a known type whose `data` (or another field)
 * does not decode. Keeps what could be read (`entity`, `eventType`, `id`, `userId`, each `""` or
 * absent when missing), the raw `data`, and a short `issue` saying why it is not a known event
 * (field paths only, never values).
 *
 * @since 0.1.0
 * @category events
 */
export const UnknownEvent = Schema.TaggedStruct("UnknownEvent", {
  entity: Schema.String,
  eventType: Schema.String,
  id: Schema.String,
  userId: Schema.optional(Schema.String),
  createdDate: Schema.optional(Schema.String),
  dataRef: Schema.optional(Schema.String),
  data: Schema.Unknown,
  issue: Schema.String
})

/**
 * @since 0.1.0
 * @category events
 */
export type UnknownEvent = typeof UnknownEvent.Type

/**
 * Every known event (all but `UnknownEvent`).
 *
 * @since 0.1.0
 * @category events
 */
export type KnownEvent =
  | ConnectionEvent
  | ConnectionDeletedEvent
  | UserEvent
  | ConsentEvent
  | TransactionsEvent
  | AccountEvent

/**
 * A decoded event: narrow with `_tag`, or with `entity` and then `eventType`.
 *
 * @since 0.1.0
 * @category events
 */
export type Event = KnownEvent | UnknownEvent

type AnyKnown = Schema.Schema<KnownEvent, unknown, never>

const known: ReadonlyMap<string, AnyKnown> = new Map(
  (
    [
      [ConnectionEvent, "connection", ["created", "activated", "updated", "invalidated"]],
      [ConnectionDeletedEvent, "connection", ["deleted"]],
      [UserEvent, "user", ["created", "updated", "deleted"]],
      [
        ConsentEvent,
        "consent",
        ["created", "updated", "revoked", "expired", "archived", "deleted", "warning", "reminder"]
      ],
      [TransactionsEvent, "transactions", ["updated"]],
      [AccountEvent, "account", ["updated"]]
    ] as ReadonlyArray<readonly [Schema.Schema.AnyNoContext, string, ReadonlyArray<string>]>
  ).flatMap(([schema, entity, types]) =>
    types.map((type) => [`${entity}.${type}`, schema as unknown as AnyKnown] as const)
  )
)

const decoders = new Map([...known].map(([id, schema]) => [id, Schema.decodeUnknownEither(schema)] as const))

/**
 * The event type ids this SDK decodes into a known event (`connection.created`, ...).
 *
 * @since 0.1.0
 * @category constants
 */
export const knownEventTypeIds: ReadonlyArray<string> = [...known.keys()]

const describeTag: Record<string, string> = { Missing: "missing", Type: "wrong type", Unexpected: "unexpected" }

/** A short, value-free summary of a parse issue: its first problem's kind and path. */
const summarise = (issue: ParseResult.ParseIssue): string => {
  const problems = ParseResult.ArrayFormatter.formatIssueSync(issue)
  const first = problems[0]
  if (first === undefined) return "does not decode"
  const path = first.path.map(String).join(".")
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""
  return `${describeTag[first._tag] ?? "invalid"} at ${path === "" ? "the top" : path}${more}`
}

const text = (record: { readonly [key: string]: unknown }, key: string): string | undefined => {
  const value = record[key]
  return typeof value === "string" ? value : undefined
}

const unknownEvent = (raw: unknown, issue: string): UnknownEvent => {
  if (!Predicate.isRecord(raw)) {
    return { _tag: "UnknownEvent", entity: "", eventType: "", id: "", data: undefined, issue }
  }
  const userId = text(raw, "userId")
  const createdDate = text(raw, "createdDate")
  const dataRef = text(raw, "dataRef")
  return {
    _tag: "UnknownEvent",
    entity: text(raw, "entity") ?? "",
    eventType: text(raw, "eventType") ?? "",
    id: text(raw, "id") ?? "",
    ...(userId === undefined ? {} : { userId }),
    ...(createdDate === undefined ? {} : { createdDate }),
    ...(dataRef === undefined ? {} : { dataRef }),
    data: raw.data,
    issue
  }
}

/**
 * Decodes one event as Basiq sends it. Never fails: anything that is not a known event becomes
 * an `UnknownEvent` with the reason in `issue`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEvent = (raw: unknown): Event => {
  if (!Predicate.isRecord(raw)) return unknownEvent(raw, "the event is not an object")
  const entity = text(raw, "entity")
  const eventType = text(raw, "eventType")
  if (entity === undefined || eventType === undefined) {
    return unknownEvent(raw, "the event has no entity or eventType")
  }
  const decode = decoders.get(`${entity}.${eventType}`)
  if (decode === undefined) return unknownEvent(raw, `unknown event type ${entity}.${eventType}`)
  return Either.match(decode(raw), {
    onLeft: (error) => unknownEvent(raw, `${entity}.${eventType} does not decode: ${summarise(error.issue)}`),
    onRight: (event) => event
  })
}

const EventType = Schema.typeSchema(
  Schema.Union(
    ConnectionEvent,
    ConnectionDeletedEvent,
    UserEvent,
    ConsentEvent,
    TransactionsEvent,
    AccountEvent,
    UnknownEvent
  )
)

const encodeEvent = (event: Event): Either.Either<unknown, ParseResult.ParseIssue> => {
  if (event._tag === "UnknownEvent") {
    const { _tag, issue, ...rest } = event
    return ParseResult.succeed({ type: "event", ...rest })
  }
  const schema = known.get(`${event.entity}.${event.eventType}`)
  return schema === undefined
    ? ParseResult.fail(new ParseResult.Forbidden(EventType.ast, event, "not a known event"))
    : ParseResult.encodeUnknownEither(schema)(event)
}

/**
 * An event: decodes any JSON value (see `decodeEvent`; it never fails), encodes back to Basiq's
 * shape.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event, unknown> = Schema.transformOrFail(Schema.Unknown, EventType, {
  strict: true,
  decode: (raw) => ParseResult.succeed(decodeEvent(raw)),
  encode: encodeEvent
})

/**
 * The type id of an event, `<entity>.<eventType>` (as webhook notifications carry it).
 *
 * @since 0.1.0
 * @category getters
 */
export const eventTypeId = (event: Event): string => `${event.entity}.${event.eventType}`

/**
 * The list links: `next` is followed by `getEvents` when Basiq sends one.
 *
 * @since 0.1.0
 * @category models
 */
export const ListLinks = Schema.Struct({ self: Schema.optional(Schema.String), next: Schema.optional(Schema.String) })

/**
 * @since 0.1.0
 * @category models
 */
export type ListLinks = typeof ListLinks.Type

/**
 * A page of `GET /events`. A page with no `data` decodes as empty.
 *
 * @since 0.1.0
 * @category models
 */
export const EventList = Schema.Struct({
  type: Schema.optional(Schema.String),
  data: Schema.optionalWith(Schema.Array(Event), { default: () => [] }),
  links: Schema.optional(oneOf(ListLinks))
})

/**
 * @since 0.1.0
 * @category models
 */
export type EventList = typeof EventList.Type

/**
 * An event type from `GET /events/types`, e.g. `{ id: "user.created", description: "when an user
 * is created" }`.
 *
 * @since 0.1.0
 * @category models
 */
export const EventTypeInfo = Schema.Struct({
  type: Schema.optional(Schema.String),
  id: Schema.String,
  description: Schema.optional(Schema.String),
  links: Schema.optional(DataLinks)
})

/**
 * @since 0.1.0
 * @category models
 */
export type EventTypeInfo = typeof EventTypeInfo.Type

/**
 * A page of `GET /events/types`.
 *
 * @since 0.1.0
 * @category models
 */
export const EventTypeList = Schema.Struct({
  type: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  count: Schema.optional(Schema.Number),
  data: Schema.optionalWith(Schema.Array(EventTypeInfo), { default: () => [] }),
  links: Schema.optional(ListLinks)
})

/**
 * @since 0.1.0
 * @category models
 */
export type EventTypeList = typeof EventTypeList.Type
