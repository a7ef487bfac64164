import { inspect } from "node:util"
import { BasiqError } from "@basiq-effect/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as ConnectionFilter from "../src/ConnectionFilter.js"

const unsafeCoerce = <A>(u: unknown): A => u as A

const rendered = (filter: ConnectionFilter.Input): string => {
  const result = ConnectionFilter.render(filter)
  if (Either.isLeft(result)) throw new Error(`expected a rendered filter, got ${result.left.message}`)
  return result.right
}

const refused = (filter: ConnectionFilter.Input): BasiqError.BasiqInvalidRequestError => {
  const result = ConnectionFilter.render(filter)
  if (Either.isRight(result)) throw new Error("expected the filter to be refused")
  return result.left
}

describe("ConnectionFilter", () => {
  const fields = [
    ["id", ConnectionFilter.id],
    ["institution.id", ConnectionFilter.institutionId]
  ] as const

  for (const [property, field] of fields) {
    it(`renders every operator on ${property}`, () => {
      expect(rendered(field.eq("v1"))).toBe(`${property}.eq('v1')`)
      expect(rendered(field.ne("v1"))).toBe(`${property}.ne('v1')`)
      expect(rendered(field.gt("v1"))).toBe(`${property}.gt('v1')`)
      expect(rendered(field.gteq("v1"))).toBe(`${property}.gteq('v1')`)
      expect(rendered(field.lt("v1"))).toBe(`${property}.lt('v1')`)
      expect(rendered(field.lteq("v1"))).toBe(`${property}.lteq('v1')`)
      expect(rendered(field.bt("a", "b"))).toBe(`${property}.bt('a','b')`)
      expect(field.property).toBe(property)
    })
  }

  it("renders every operator on status, with every known status", () => {
    expect(ConnectionFilter.statuses).toEqual(["pending", "active", "invalid", "pre-init"])
    for (const value of ConnectionFilter.statuses) {
      expect(rendered(ConnectionFilter.status.eq(value))).toBe(`status.eq('${value}')`)
      expect(rendered(ConnectionFilter.status.ne(value))).toBe(`status.ne('${value}')`)
      expect(rendered(ConnectionFilter.status.gt(value))).toBe(`status.gt('${value}')`)
      expect(rendered(ConnectionFilter.status.gteq(value))).toBe(`status.gteq('${value}')`)
      expect(rendered(ConnectionFilter.status.lt(value))).toBe(`status.lt('${value}')`)
      expect(rendered(ConnectionFilter.status.lteq(value))).toBe(`status.lteq('${value}')`)
    }
    expect(rendered(ConnectionFilter.status.bt("active", "pending"))).toBe("status.bt('active','pending')")
    expect(ConnectionFilter.status.property).toBe("status")
  })

  it("refuses a status that is not a known one (from JavaScript), without echoing it; a raw string still can", () => {
    for (const filter of [
      ConnectionFilter.status.eq(unsafeCoerce("suspended-zz")),
      ConnectionFilter.status.ne(unsafeCoerce("Active")),
      ConnectionFilter.status.bt("active", unsafeCoerce("suspended-zz")),
      ConnectionFilter.and(ConnectionFilter.id.eq("c1"), ConnectionFilter.status.eq(unsafeCoerce("suspended-zz")))
    ]) {
      const error = refused(filter)
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      expect(error.fields).toEqual(["filter"])
      expect(error.reason).toContain("pending, active, invalid, pre-init")
      expect(error.message).not.toContain("suspended-zz")
    }
    expect(rendered("status.eq('suspended-zz')")).toBe("status.eq('suspended-zz')")
  })

  it(`bounds the rendered filter at maxLength (${ConnectionFilter.maxLength}) characters, raw strings included`, () => {
    expect(ConnectionFilter.maxLength).toBe(2048)
    // `id.eq('` + value + `')` is 9 characters around the value.
    const exact = ConnectionFilter.id.eq("x".repeat(2048 - 9))
    expect(rendered(exact)).toHaveLength(2048)
    const over = refused(ConnectionFilter.id.eq("x".repeat(2048 - 8)))
    expect(over).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
    expect(over.fields).toEqual(["filter"])
    expect(over.reason).toContain("2049")
    expect(over.reason).toContain("2048")
    // many short clauses add up
    const clauses = Array.from({ length: 200 }, (_, i) => ConnectionFilter.id.eq(`connection-${i}`))
    expect(refused(ConnectionFilter.and(...clauses)).fields).toEqual(["filter"])
    expect(rendered("y".repeat(2048))).toHaveLength(2048)
    expect(refused("y".repeat(2049)).fields).toEqual(["filter"])
  })

  it("combines filters with and, in order, flattening nested ones", () => {
    const filter = ConnectionFilter.and(
      ConnectionFilter.institutionId.eq("AU00000"),
      ConnectionFilter.status.eq("active")
    )
    expect(rendered(filter)).toBe("institution.id.eq('AU00000'),status.eq('active')")
    const nested = ConnectionFilter.and(filter, ConnectionFilter.and(ConnectionFilter.id.bt("a", "m")))
    expect(rendered(nested)).toBe("institution.id.eq('AU00000'),status.eq('active'),id.bt('a','m')")
    expect(nested.clauses).toHaveLength(3)
    expect(rendered(ConnectionFilter.and(ConnectionFilter.id.ne("x")))).toBe("id.ne('x')")
  })

  it("is plain data", () => {
    expect(ConnectionFilter.status.eq("pre-init")).toEqual({
      _tag: "ConnectionFilter",
      clauses: [{ property: "status", operator: "eq", values: ["pre-init"] }]
    })
  })

  it("keeps values Basiq's syntax allows: spaces, dots, dashes, unicode", () => {
    expect(rendered(ConnectionFilter.id.eq("a b.c-d_e~f"))).toBe("id.eq('a b.c-d_e~f')")
    expect(rendered(ConnectionFilter.id.eq("zoë"))).toBe("id.eq('zoë')")
  })

  it("passes a raw string through", () => {
    expect(rendered("institution.id.eq('AU00000')")).toBe("institution.id.eq('AU00000')")
    expect(rendered("anything Basiq will judge")).toBe("anything Basiq will judge")
  })

  it("refuses an empty raw string or a filter with no clauses", () => {
    for (const filter of ["", "   ", ConnectionFilter.and()]) {
      const error = refused(filter)
      expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
      expect(error._tag).toBe("BasiqInvalidRequestError")
      expect(error.fields).toEqual(["filter"])
    }
  })

  const secretish = "Secret-Value-1234"
  const forbidden: ReadonlyArray<readonly [string, string]> = [
    ["a quote", `${secretish}'`],
    ["a comma", `${secretish},status.eq('active')`],
    ["an opening parenthesis", `${secretish}(`],
    ["a closing parenthesis", `)${secretish}`],
    ["a newline", `${secretish}\n`],
    ["a NUL", `${secretish}\u0000`],
    ["a tab", `${secretish}\t`],
    ["DEL", `${secretish}\u007f`],
    ["a C1 control", `${secretish}\u0085`]
  ]

  for (const [what, value] of forbidden) {
    it(`refuses a value with ${what}, without echoing it`, () => {
      for (const filter of [
        ConnectionFilter.id.eq(value),
        ConnectionFilter.status.ne(unsafeCoerce(value)),
        ConnectionFilter.institutionId.bt("AU00000", value),
        ConnectionFilter.and(ConnectionFilter.status.eq("active"), ConnectionFilter.id.lteq(value))
      ]) {
        const error = refused(filter)
        expect(error).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
        expect(error.fields).toEqual(["filter"])
        for (const text of [error.message, error.reason, String(error), JSON.stringify(error), inspect(error)]) {
          expect(text).not.toContain(secretish)
        }
      }
    })
  }

  it("refuses an empty value", () => {
    const error = refused(ConnectionFilter.id.eq(""))
    expect(error.fields).toEqual(["filter"])
    expect(error.message).toContain("empty")
    expect(refused(ConnectionFilter.id.bt("a", "")).fields).toEqual(["filter"])
  })

  it("refuses forged filters: unknown property or operator, wrong arity, non-string values", () => {
    const forged = (clause: Record<string, unknown>) =>
      ({ _tag: "ConnectionFilter", clauses: [clause] }) as unknown as ConnectionFilter.Filter
    expect(refused(forged({ property: "user.id", operator: "eq", values: ["x"] })).fields).toEqual(["filter"])
    expect(refused(forged({ property: "id", operator: "like", values: ["x"] })).fields).toEqual(["filter"])
    expect(refused(forged({ property: "id", operator: "bt", values: ["x"] })).fields).toEqual(["filter"])
    expect(refused(forged({ property: "id", operator: "eq", values: ["x", "y"] })).fields).toEqual(["filter"])
    expect(refused(forged({ property: "id", operator: "eq", values: [42] })).fields).toEqual(["filter"])
    expect(refused(42 as unknown as ConnectionFilter.Input).fields).toEqual(["filter"])
  })

  it("refuses malformed forged filters with BasiqInvalidRequestError, never a TypeError", () => {
    const forgedClauses = (clauses: unknown) =>
      unsafeCoerce<ConnectionFilter.Filter>({ _tag: "ConnectionFilter", clauses })
    for (const filter of [
      forgedClauses([null]),
      forgedClauses([undefined]),
      forgedClauses(["id.eq('x')"]),
      forgedClauses([42]),
      forgedClauses([{ property: "id", operator: "eq", values: null }]),
      forgedClauses([{ property: "id", operator: "eq", values: "x" }]),
      forgedClauses([{ property: "id", operator: "eq", values: { length: 1, 0: "x" } }]),
      forgedClauses([{ property: "id", operator: "eq" }]),
      forgedClauses([{ property: 1, operator: "eq", values: ["x"] }]),
      forgedClauses([{ property: "id", operator: null, values: ["x"] }]),
      forgedClauses([{ property: "status", operator: "eq", values: [null] }]),
      null,
      undefined,
      { _tag: "ConnectionFilter", clauses: null }
    ]) {
      const result = ConnectionFilter.render(unsafeCoerce<ConnectionFilter.Input>(filter))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left).toBeInstanceOf(BasiqError.BasiqInvalidRequestError)
        expect(result.left.fields).toEqual(["filter"])
      }
    }
  })

  it("recognises built filters", () => {
    expect(ConnectionFilter.isFilter(ConnectionFilter.id.eq("x"))).toBe(true)
    expect(ConnectionFilter.isFilter(ConnectionFilter.and())).toBe(true)
    expect(ConnectionFilter.isFilter("id.eq('x')")).toBe(false)
    expect(ConnectionFilter.isFilter({ _tag: "ConnectionFilter" })).toBe(false)
    expect(ConnectionFilter.isFilter(null)).toBe(false)
  })

  it.effect("renders inside Effect programs (Either is an Effect)", () =>
    Effect.gen(function* () {
      const query = yield* ConnectionFilter.render(ConnectionFilter.status.eq("invalid"))
      expect(query).toBe("status.eq('invalid')")
      const error = yield* Effect.flip(ConnectionFilter.render(ConnectionFilter.status.eq(unsafeCoerce("it's"))))
      expect(error._tag).toBe("BasiqInvalidRequestError")
    })
  )
})
