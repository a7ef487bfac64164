/**
 * Basiq's filter grammar: `property.op('value')`, `property.bt('a','b')`, comma = AND.
 *
 * @internal
 */

type Op = "eq" | "ne" | "gt" | "gteq" | "lt" | "lteq" | "bt"

/** One parsed clause. */
export interface Clause {
  readonly property: string
  readonly op: Op
  readonly values: readonly [string] | readonly [string, string]
}

const clause = /([A-Za-z][A-Za-z.]*?)\.(eq|ne|gteq|gt|lteq|lt|bt)\('([^']*)'(?:\s*,\s*'([^']*)')?\)/y

/** Parses a filter, or `undefined` when it is malformed or names a property not in `properties`. */
export const parse = (input: string, properties: ReadonlyArray<string>): ReadonlyArray<Clause> | undefined => {
  const clauses: Array<Clause> = []
  let position = 0
  for (;;) {
    clause.lastIndex = position
    const match = clause.exec(input)
    if (match === null) return undefined
    const [, property = "", op = "eq", first = "", second] = match
    if (!properties.includes(property) || (op === "bt") !== (second !== undefined)) return undefined
    clauses.push({ property, op: op as Op, values: second === undefined ? [first] : [first, second] })
    position = clause.lastIndex
    if (position === input.length) return clauses
    if (input[position] !== ",") return undefined
    position = position + 1
    while (input[position] === " ") position++
  }
}

const test = (value: string, { op, values: [a, b] }: Clause): boolean => {
  switch (op) {
    case "eq":
      return value === a
    case "ne":
      return value !== a
    case "gt":
      return value > a
    case "gteq":
      return value >= a
    case "lt":
      return value < a
    case "lteq":
      return value <= a
    case "bt":
      return a <= value && value <= (b ?? a)
  }
}

/** Whether every clause holds for the item whose properties `get` reads. */
export const matches = (clauses: ReadonlyArray<Clause>, get: (property: string) => string): boolean =>
  clauses.every((c) => test(get(c.property), c))
