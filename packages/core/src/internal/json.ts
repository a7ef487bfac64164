/**
 * JSON parsing for server bodies: a `__proto__` key never reaches a decoded value.
 *
 * `JSON.parse` keeps `"__proto__"` as an own data property, harmless by itself, but a schema that
 * copies keys into a new object (`Schema.Record`, open records such as an account's
 * `class.meta`) would assign it and change that object's prototype. Such keys are dropped while
 * parsing. The reviver costs several times the plain parse, so it runs only on a body that
 * could contain such a key (literally, or spelled with `\u` escapes).
 *
 * @internal
 */

function dropProto(this: unknown, key: string, value: unknown): unknown {
  return key === "__proto__" ? undefined : value
}

/**
 * Parses JSON text, dropping every `__proto__` key at any depth (`constructor` and `prototype`
 * keys stay plain data). Throws as `JSON.parse` does on invalid text.
 *
 * @internal
 */
export const parse = (text: string): unknown =>
  text.includes("__proto__") || text.includes("\\u") ? JSON.parse(text, dropProto) : JSON.parse(text)
