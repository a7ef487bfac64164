/**
 * Parse-issue text: where a decode failed and what was expected there, never the value.
 *
 * @internal
 */
import type * as ParseResult from "effect/ParseResult"
import * as SchemaAST from "effect/SchemaAST"

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
