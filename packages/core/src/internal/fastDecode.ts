/**
 * A fast path for decoding JSON response bodies, compiled from a schema's AST.
 *
 * `Schema.decodeUnknownEither` allocates an `Either` per value, candidate lists per union and an
 * issue tree on the way; for the plain JSON shapes of Basiq's bodies (structs of strings, numbers,
 * booleans, literals, arrays and unions of those) that is most of the cost of a call (a 2 KB
 * connection: ~20 KB of garbage per decode). For those AST nodes this module compiles a decoder
 * that gives exactly what Schema's decoder gives (a fresh object with the declared keys only, in
 * declaration order, fresh arrays, primitives as they are) or {@link Miss} when the input is not
 * valid. Every other node (refinements, transformations, declarations, records, unions of several
 * structs, annotated parse options) is decoded by Schema itself, at that node.
 *
 * A miss decides nothing: the caller then runs Schema's decoder on the whole body, so failures
 * (and their issues) are always Schema's own. Property tests check that wherever the fast path
 * gives a value, Schema gives the same one.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

/**
 * What a fast decoder returns when it cannot give the value (the input is invalid there).
 *
 * @internal
 */
export const Miss: unique symbol = Symbol.for("@basiq-effect/core/fastDecode/Miss")

/** @internal */
export type Decode = (input: unknown) => unknown

const hasOwn = Object.prototype.hasOwnProperty

/** Nodes whose output is their input (when it is accepted): a test of the input. */
const primitiveTest = (ast: AST.AST): ((u: unknown) => boolean) | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "NumberKeyword":
      return (u) => typeof u === "number"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "UndefinedKeyword":
      return (u) => u === undefined
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => true
    default:
      return undefined
  }
}

/** Whether Schema's parser for this node is wrapped (parse options, decoding fallback). */
const isWrapped = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

/** Schema's own decoder for a node the fast path does not cover. */
const bySchema = (ast: AST.AST): Decode => {
  const decode = ParseResult.decodeUnknownEither({ ast } as Parameters<typeof ParseResult.decodeUnknownEither>[0])
  return (u) => {
    const result = decode(u)
    return Either.isRight(result) ? result.right : Miss
  }
}

interface Compiled {
  readonly decode: Decode
  /** Whether any part of this node is decoded by the fast path (else the whole of it is Schema's). */
  readonly fast: boolean
  /** A test when the output is the input itself (primitives and unions of them). */
  readonly test?: ((u: unknown) => boolean) | undefined
}

const compileNode = (ast: AST.AST, memo: Map<AST.AST, Compiled>): Compiled => {
  const known = memo.get(ast)
  if (known !== undefined) return known
  const compiled = compileUncached(ast, memo)
  memo.set(ast, compiled)
  return compiled
}

const compileUncached = (ast: AST.AST, memo: Map<AST.AST, Compiled>): Compiled => {
  if (isWrapped(ast)) return { decode: bySchema(ast), fast: false }
  const test = primitiveTest(ast)
  if (test !== undefined) return { decode: (u) => (test(u) ? u : Miss), fast: true, test }
  switch (ast._tag) {
    case "TypeLiteral": {
      if (ast.indexSignatures.length > 0) break
      const names: Array<string> = []
      const optional: Array<boolean> = []
      const decoders: Array<Decode> = []
      for (const ps of ast.propertySignatures) {
        if (typeof ps.name !== "string") return { decode: bySchema(ast), fast: false }
        names.push(ps.name)
        optional.push(ps.isOptional)
        decoders.push(compileNode(ps.type, memo).decode)
      }
      const n = names.length
      return {
        fast: true,
        decode: (input) => {
          if (typeof input !== "object" || input === null || Array.isArray(input)) return Miss
          const record = input as { readonly [key: string]: unknown }
          const output: Record<string, unknown> = {}
          for (let i = 0; i < n; i++) {
            const name = names[i]!
            // As Schema (not exact): a missing optional key is skipped, a missing required one is
            // decoded as the value read (`undefined`).
            if (optional[i] && !hasOwn.call(record, name)) continue
            const value = decoders[i]!(record[name])
            if (value === Miss) return Miss
            output[name] = value
          }
          return output
        }
      }
    }
    case "TupleType": {
      // Arrays only (`Schema.Array(item)`): no fixed elements, one rest type.
      if (ast.elements.length > 0 || ast.rest.length !== 1) break
      const item = compileNode(ast.rest[0]!.type, memo)
      const decode = item.decode
      return {
        fast: true,
        decode: (input) => {
          if (!Array.isArray(input)) return Miss
          const length = input.length
          const output = new Array<unknown>(length)
          for (let i = 0; i < length; i++) {
            const value = decode(input[i])
            if (value === Miss) return Miss
            output[i] = value
          }
          return output
        }
      }
    }
    case "Union": {
      // Members whose output is their input (primitives, unions of them) and at most one struct,
      // array or union holding one: only objects and arrays reach that one, and no other member
      // accepts them, so the order in which Schema tries the members does not matter.
      const tests: Array<(u: unknown) => boolean> = []
      let structural: Compiled | undefined
      for (const member of ast.types) {
        const compiled = compileNode(member, memo)
        if (compiled.test !== undefined) {
          tests.push(compiled.test)
          continue
        }
        const structuralTag = member._tag === "TypeLiteral" || member._tag === "TupleType" || member._tag === "Union"
        if (structural !== undefined || !structuralTag || !compiled.fast) return { decode: bySchema(ast), fast: false }
        structural = compiled
      }
      const accepts = (u: unknown): boolean => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(u)) return true
        return false
      }
      if (structural === undefined) return { decode: (u) => (accepts(u) ? u : Miss), fast: true, test: accepts }
      const decodeStructural = structural.decode
      return { fast: true, decode: (u) => (accepts(u) ? u : decodeStructural(u)) }
    }
    default:
      break
  }
  return { decode: bySchema(ast), fast: false }
}

/**
 * The fast decoder of a schema's AST, or `undefined` when no part of it is covered (Schema's
 * decoder is then the only one).
 *
 * @internal
 */
export const compile = (ast: AST.AST): Decode | undefined => {
  const compiled = compileNode(ast, new Map())
  return compiled.fast ? compiled.decode : undefined
}
