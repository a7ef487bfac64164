/**
 * A typed builder for the `filter` of `getConnections`.
 *
 * ```ts
 * import { ConnectionFilter } from "@basiq-effect/connections"
 *
 * const filter = ConnectionFilter.and(
 *   ConnectionFilter.institutionId.eq("AU00000"),
 *   ConnectionFilter.status.eq("active")
 * )
 * // ConnectionFilter.render(filter) => Either.right("institution.id.eq('AU00000'),status.eq('active')")
 * ```
 *
 * Building a filter is pure and never fails: a `Filter` is plain data. `render` validates and
 * serialises it to Basiq's syntax (`property.operator('value')`, clauses joined by `,`, which
 * Basiq reads as AND); `getConnections` renders before any I/O, so an invalid filter fails with
 * `BasiqInvalidRequestError` and nothing is sent.
 *
 * Basiq documents no escaping for filter values, so a value containing `'`, `,`, `(` or `)`
 * (which would change the filter's meaning), a control character, a lone UTF-16 surrogate (which
 * URL encoding would turn into U+FFFD), or nothing at all is refused rather than escaped. The error names the `filter` field, never the value.
 *
 * @since 0.1.0
 */
import { BasiqError } from "@basiq-effect/core"
import * as Either from "effect/Either"
import * as Predicate from "effect/Predicate"

/**
 * The connection properties Basiq can filter on, as serialised.
 *
 * @since 0.1.0
 * @category models
 */
export type Property = "id" | "status" | "institution.id"

/**
 * Basiq's filter operators. `bt` takes two values (an inclusive range).
 *
 * @since 0.1.0
 * @category models
 */
export type Operator = "eq" | "ne" | "gt" | "gteq" | "lt" | "lteq" | "bt"

/**
 * One condition: a property, an operator and its value(s).
 *
 * @since 0.1.0
 * @category models
 */
export interface Clause {
  readonly property: Property
  readonly operator: Operator
  readonly values: readonly [string] | readonly [string, string]
}

/**
 * A built filter: the conjunction (AND) of its clauses. Plain data; `render` turns it into
 * Basiq's syntax.
 *
 * @since 0.1.0
 * @category models
 */
export interface Filter {
  readonly _tag: "ConnectionFilter"
  readonly clauses: ReadonlyArray<Clause>
}

/**
 * What `getConnections` accepts as `filter`: a built `Filter`, or a raw string in Basiq's syntax
 * that is sent as it is (only an empty one is refused).
 *
 * @since 0.1.0
 * @category models
 */
export type Input = Filter | string

/**
 * The operators of one filterable property.
 *
 * @since 0.1.0
 * @category models
 */
export interface Field<in A extends string = string> {
  readonly property: Property
  /** Equal to. */
  readonly eq: (value: A) => Filter
  /** Not equal to. */
  readonly ne: (value: A) => Filter
  /** Greater than. */
  readonly gt: (value: A) => Filter
  /** Greater than or equal to. */
  readonly gteq: (value: A) => Filter
  /** Less than. */
  readonly lt: (value: A) => Filter
  /** Less than or equal to. */
  readonly lteq: (value: A) => Filter
  /** Between `from` and `to`, inclusive. */
  readonly bt: (from: A, to: A) => Filter
}

const make = (clauses: ReadonlyArray<Clause>): Filter => ({ _tag: "ConnectionFilter", clauses })

const field = <A extends string>(property: Property): Field<A> => {
  const single =
    (operator: Exclude<Operator, "bt">) =>
    (value: A): Filter =>
      make([{ property, operator, values: [value] }])
  return {
    property,
    eq: single("eq"),
    ne: single("ne"),
    gt: single("gt"),
    gteq: single("gteq"),
    lt: single("lt"),
    lteq: single("lteq"),
    bt: (from, to) => make([{ property, operator: "bt", values: [from, to] }])
  }
}

/**
 * Filters on the connection id (`id.eq('...')`).
 *
 * @since 0.1.0
 * @category fields
 */
export const id: Field<string> = /* @__PURE__ */ field("id")

/**
 * The statuses a built `status` filter accepts: the ones Basiq documents. A status Basiq adds
 * later can still be filtered on with a raw string filter (`"status.eq('new-status')"`).
 *
 * @since 0.1.0
 * @category models
 */
export type Status = "active" | "pending" | "invalid" | "pre-init"

/**
 * The known statuses, in the order Basiq documents them; `render` refuses any other value in a
 * built `status` clause.
 *
 * @since 0.1.0
 * @category constants
 */
export const statuses: ReadonlyArray<Status> = ["pending", "active", "invalid", "pre-init"]

/**
 * Filters on the connection status (`status.eq('active')`). Only the known statuses
 * ({@link Status}) are accepted, by the type and by `render`; use a raw string filter for any
 * other value.
 *
 * @since 0.1.0
 * @category fields
 */
export const status: Field<Status> = /* @__PURE__ */ field("status")

/**
 * Filters on the institution id, serialised as `institution.id` (`institution.id.eq('AU00000')`).
 *
 * @since 0.1.0
 * @category fields
 */
export const institutionId: Field<string> = /* @__PURE__ */ field("institution.id")

/**
 * Combines filters: every clause must hold (Basiq joins clauses with `,`, meaning AND).
 *
 * @since 0.1.0
 * @category combinators
 */
export const and = (...filters: ReadonlyArray<Filter>): Filter => make(filters.flatMap((filter) => filter.clauses))

/**
 * Whether a value is a built `Filter`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFilter = (u: unknown): u is Filter =>
  Predicate.hasProperty(u, "_tag") &&
  u._tag === "ConnectionFilter" &&
  Predicate.hasProperty(u, "clauses") &&
  Array.isArray(u.clauses)

/**
 * The longest rendered filter `render` accepts, in characters (before URL encoding). This is our
 * chosen conservative bound for a URL query, not a documented Basiq limit: URLs much longer than
 * about 2 KB are refused by some proxies and servers, so a longer filter fails with
 * `BasiqInvalidRequestError` before anything is sent. It applies to raw strings too.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLength = 2048

const properties: ReadonlySet<string> = new Set<Property>(["id", "status", "institution.id"])
const operators: ReadonlySet<string> = new Set<Operator>(["eq", "ne", "gt", "gteq", "lt", "lteq", "bt"])

// Basiq documents no escaping: a quote ends the value, a comma starts a new clause, parentheses
// end the operator's argument list. Control characters (C0, DEL, C1) have no place in a value.
const forbiddenSyntax = /['(),]/

const hasControlCharacter = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true
  }
  return false
}

// A lone UTF-16 surrogate cannot be URL-encoded: it would be sent as U+FFFD, another value.
const loneSurrogate = /\p{Cs}/u

const invalid = (reason: string): BasiqError.BasiqInvalidRequestError =>
  new BasiqError.BasiqInvalidRequestError({ reason, fields: ["filter"] })

const checkValue = (property: string, value: unknown): BasiqError.BasiqInvalidRequestError | undefined => {
  if (typeof value !== "string") return invalid(`a value for ${property} is not a string`)
  if (value.length === 0) return invalid(`a value for ${property} is empty`)
  if (forbiddenSyntax.test(value)) {
    return invalid(
      `a value for ${property} contains ' , ( or ), which Basiq's filter syntax cannot escape (the value is not shown)`
    )
  }
  if (hasControlCharacter(value)) {
    return invalid(`a value for ${property} contains a control character (the value is not shown)`)
  }
  if (loneSurrogate.test(value)) {
    return invalid(`a value for ${property} contains a lone UTF-16 surrogate (the value is not shown)`)
  }
  return undefined
}

const knownStatuses: ReadonlySet<unknown> = new Set<unknown>(statuses)

// A clause may come from JavaScript or be forged: every part is checked before it is read.
const renderClause = (clause: unknown): Either.Either<string, BasiqError.BasiqInvalidRequestError> => {
  if (!Predicate.isRecord(clause)) return Either.left(invalid("a filter clause is not an object"))
  const { operator, property, values } = clause
  if (typeof property !== "string" || !properties.has(property)) {
    return Either.left(invalid("the filter has an unknown property"))
  }
  if (typeof operator !== "string" || !operators.has(operator)) {
    return Either.left(invalid("the filter has an unknown operator"))
  }
  const arity = operator === "bt" ? 2 : 1
  if (!Array.isArray(values) || values.length !== arity) {
    return Either.left(invalid(`${property}.${operator} takes ${arity} value${arity > 1 ? "s" : ""}`))
  }
  const quoted: Array<string> = []
  for (const value of values as ReadonlyArray<unknown>) {
    const error = checkValue(property, value)
    if (error !== undefined) return Either.left(error)
    if (property === "status" && !knownStatuses.has(value)) {
      return Either.left(
        invalid(`a value for status is not one of ${statuses.join(", ")} (use a raw string filter for another status)`)
      )
    }
    quoted.push(`'${value}'`)
  }
  return Either.right(`${property}.${operator}(${quoted.join(",")})`)
}

const checkLength = (rendered: string): Either.Either<string, BasiqError.BasiqInvalidRequestError> =>
  rendered.length > maxLength
    ? Either.left(invalid(`the filter is ${rendered.length} characters long, more than the ${maxLength} allowed`))
    : Either.right(rendered)

/**
 * Validates a filter and renders it in Basiq's syntax, e.g.
 * `institution.id.eq('AU00000'),status.eq('active')` or `id.bt('a','b')`. A raw string is
 * returned as it is. Fails with `BasiqInvalidRequestError` (fields `["filter"]`, never the value)
 * for an empty filter or raw string, a value that is empty or contains `'`, `,`, `(`, `)`, a
 * control character or a lone surrogate (Basiq documents no escaping for filter values), a
 * `status` value that is not one of {@link statuses}, or a result longer than {@link maxLength}.
 *
 * The result is not URL-encoded; the HTTP client encodes the query parameter.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (filter: Input): Either.Either<string, BasiqError.BasiqInvalidRequestError> => {
  if (typeof filter === "string") {
    return filter.trim().length === 0 ? Either.left(invalid("the filter is empty")) : checkLength(filter)
  }
  if (!isFilter(filter)) return Either.left(invalid("the filter is neither a built filter nor a string"))
  if (filter.clauses.length === 0) {
    return Either.left(invalid("the filter has no clauses (omit the filter to list every connection)"))
  }
  const parts: Array<string> = []
  for (const clause of filter.clauses as ReadonlyArray<unknown>) {
    const rendered = renderClause(clause)
    if (Either.isLeft(rendered)) return rendered
    parts.push(rendered.right)
  }
  return checkLength(parts.join(","))
}
