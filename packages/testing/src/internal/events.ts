/**
 * Basiq's events as the fake keeps them: records appended by the state changes (pure), their wire
 * shape, the catalogue of event types, and the `GET /events` filter.
 *
 * @internal
 */
import type { ConnectionRecord, EventRecord, Settled, State, Subject } from "./model.js"
import * as Model from "./model.js"

export type { EventRecord, Subject } from "./model.js"

/** How long `GET /events` keeps an event: 7 days. */
export const RETENTION_MS = 7 * 24 * 3600 * 1000
/** At most this many events are kept, whatever their age (the oldest go first). */
export const MAX_EVENTS = 10_000

/** The event types Basiq lists at `GET /events/types`, with the fake's descriptions. */
export const types: ReadonlyArray<readonly [id: string, description: string]> = [
  ["account.updated", "When an account is updated"],
  ["connection.activated", "When a connection becomes active"],
  ["connection.created", "When a connection is created"],
  ["connection.deleted", "When a connection is deleted"],
  ["connection.invalidated", "When a connection becomes invalid"],
  ["consent.created", "When a consent is created"],
  ["consent.expired", "When a consent expires"],
  ["consent.reminder", "90 days after a consent was last updated"],
  ["consent.revoked", "When a consent is revoked"],
  ["consent.updated", "When a consent is updated"],
  ["consent.warning", "7 days before a consent expires"],
  ["transactions.updated", "When transactions are updated"],
  ["user.created", "When a user is created"],
  ["user.deleted", "When a user is deleted"],
  ["user.updated", "When a user is updated"]
]

export const typeIds: ReadonlySet<string> = new Set(types.map(([id]) => id))

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/** 64 hex characters, as Basiq's event ids look. */
export const newEventId = (): string => hex(crypto.getRandomValues(new Uint8Array(32)))

const subjectUser = (subject: Subject): string =>
  subject._tag === "user"
    ? subject.user.id
    : subject._tag === "connection"
      ? subject.connection.userId
      : subject.consent.userId

/** `s` with the event appended (and events past retention, or beyond the cap, dropped). */
export const emit = (s: State, now: number, typeId: string, subject: Subject): State => {
  const [entity = "", eventType = ""] = typeId.split(".")
  const record: EventRecord = {
    seq: s.eventSeq + 1,
    id: newEventId(),
    at: now,
    entity,
    eventType,
    userId: subjectUser(subject),
    subject
  }
  const kept = s.events.filter((e) => e.at > now - RETENTION_MS)
  const events = [...(kept.length >= MAX_EVENTS ? kept.slice(kept.length - MAX_EVENTS + 1) : kept), record]
  return { ...s, events, eventSeq: record.seq }
}

/** The events still within retention at `now`, oldest first. */
export const live = (s: State, now: number): ReadonlyArray<EventRecord> =>
  s.events.filter((e) => e.at > now - RETENTION_MS && e.at <= now)

const iso = (millis: number) => new Date(millis).toISOString()

/** The affected resource's URL: the event's `dataRef` and a webhook's `links.eventEntity`. */
export const dataRef = (origin: string, e: EventRecord): string => {
  const { subject } = e
  switch (subject._tag) {
    case "user":
      return `${origin}/users/${subject.user.id}`
    case "connection":
      return Model.connectionUrl(origin, subject.connection.userId, subject.connection.id)
    case "consent":
      return `${origin}/users/${subject.consent.userId}/consents/${subject.consent.id}`
  }
}

/** A connection snapshot in the 2.1 shape events carry (an invalid connection reads `invalid-connection`). */
const connectionData = (origin: string, c: ConnectionRecord, settled: Settled) => {
  const wire = Model.connectionWire(origin, c, settled)
  return {
    createdDate: wire.createdDate,
    id: wire.id,
    institution: wire.institution,
    lastUsed: wire.lastUsed,
    links: { accounts: wire.links.accounts, self: wire.links.self, transactions: wire.links.transactions },
    mfaEnabled: false,
    status: settled.status === "invalid" ? "invalid-connection" : settled.status,
    type: "connection"
  }
}

const dataOf = (origin: string, e: EventRecord): unknown => {
  const { subject } = e
  switch (subject._tag) {
    case "user":
      return Model.userWire(origin, subject.user)
    case "connection":
      return connectionData(origin, subject.connection, subject.settled)
    case "consent":
      return Model.consentWire(origin, subject.consent, e.at)
  }
}

export const eventWire = (origin: string, e: EventRecord) => ({
  type: "event",
  id: e.id,
  createdDate: iso(e.at),
  entity: e.entity,
  eventType: e.eventType,
  userId: e.userId,
  dataRef: dataRef(origin, e),
  data: dataOf(origin, e),
  links: { self: `${origin}/events/${e.id}` }
})

/** The thin body a webhook delivers for an event. */
export const notification = (origin: string, e: EventRecord) => ({
  eventTypeId: `${e.entity}.${e.eventType}`,
  eventId: e.id,
  links: { event: `${origin}/events/${e.id}`, eventEntity: dataRef(origin, e) }
})

export const typeWire = (origin: string, [id, description]: readonly [string, string]) => ({
  type: "eventType",
  id,
  description,
  links: { self: `${origin}/events/types/${id}` }
})

// ---------------------------------------------------------------------------------------------
// GET /events filter
// ---------------------------------------------------------------------------------------------

export type Property = "user.id" | "event.entity" | "event.type"

export interface Clause {
  readonly property: Property
  readonly value: string
}

const clausePattern = /^(user\.id|event\.entity|event\.type)\.eq\((?:'([^']*)'|"([^"]*)"|([^()'",\s]*))\)$/

/** Splits on `separator` outside parentheses and quotes. */
const splitTop = (input: string, separator: RegExp): ReadonlyArray<string> => {
  const parts: Array<string> = []
  let depth = 0
  let quote: string | undefined
  let start = 0
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] ?? ""
    if (quote !== undefined) {
      if (ch === quote) quote = undefined
      continue
    }
    if (ch === "'" || ch === '"') quote = ch
    else if (ch === "(") depth++
    else if (ch === ")") depth--
    else if (depth === 0) {
      separator.lastIndex = i
      const match = separator.exec(input)
      if (match !== null) {
        parts.push(input.slice(start, i))
        start = i + match[0].length
        i = start - 1
      }
    }
  }
  parts.push(input.slice(start))
  return parts
}

/**
 * Parses `GET /events`'s filter: clauses `user.id.eq(v)`, `event.entity.eq(v)`, `event.type.eq(v)`
 * (values bare or quoted), joined by ` OR ` and by `,` (AND); `,` binds loosest, so
 * `a OR b, c` is `(a OR b) AND c`. `undefined` when malformed.
 */
export const parseFilter = (input: string): ReadonlyArray<ReadonlyArray<Clause>> | undefined => {
  const groups: Array<ReadonlyArray<Clause>> = []
  for (const group of splitTop(input, /,/y)) {
    const clauses: Array<Clause> = []
    for (const part of splitTop(group.trim(), /\s+OR\s+/iy)) {
      const match = clausePattern.exec(part.trim())
      if (match === null) return undefined
      const value = match[2] ?? match[3] ?? match[4] ?? ""
      if (value === "") return undefined
      clauses.push({ property: match[1] as Property, value })
    }
    groups.push(clauses)
  }
  return groups
}

const holds = (e: EventRecord, { property, value }: Clause): boolean => {
  switch (property) {
    case "user.id":
      return e.userId === value
    case "event.entity":
      return e.entity === value
    case "event.type":
      return e.eventType === value || `${e.entity}.${e.eventType}` === value
  }
}

export const matches = (groups: ReadonlyArray<ReadonlyArray<Clause>>, e: EventRecord): boolean =>
  groups.every((group) => group.some((clause) => holds(e, clause)))
