/**
 * Path templates: parsing, the fixed segments they declare, and path parameter validation.
 *
 * @internal
 */

/** @internal */
export type Segment = { readonly literal: string } | { readonly param: string }

/**
 * The segments of a template such as `/users/{userId}/connections`.
 *
 * @internal
 */
export const parseTemplate = (path: string): ReadonlyArray<Segment> => {
  const segments: Array<Segment> = []
  const re = /\{([^}]+)\}/g
  let last = 0
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m.index > last) segments.push({ literal: path.slice(last, m.index) })
    segments.push({ param: m[1]! })
    last = m.index + m[0].length
  }
  if (last < path.length) segments.push({ literal: path.slice(last) })
  return segments
}

/**
 * The fixed path segments (`users`, `connections`, ...) of a template, lower case.
 *
 * @internal
 */
export const fixedSegments = (path: string): ReadonlyArray<string> =>
  path
    .replace(/\{[^}]+\}/g, "/")
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => s.toLowerCase())

const idPattern = /^[A-Za-z0-9\-_.~]{1,256}$/

/**
 * Why a path parameter is refused, or `undefined` when it is fine. `reserved` holds the fixed
 * segments of the declared routes: an id equal to one would address a sibling route.
 *
 * @internal
 */
export const checkPathParam = (value: unknown, reserved: ReadonlySet<string>): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.length > 256) return "must be at most 256 characters"
  if (!idPattern.test(value)) return "may contain only letters, digits, '-', '_', '.' and '~'"
  if (value === "." || value === "..") return "must not be '.' or '..'"
  if (reserved.has(value.toLowerCase())) return "must not be a fixed segment of a Basiq route"
  return undefined
}
