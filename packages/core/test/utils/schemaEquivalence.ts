/**
 * Checks of `BasiqClient.json`'s decoding against Schema's own decoder, shared by the fast-path
 * tests of core (per AST node kind) and of the umbrella package (every exported schema).
 */
import { expect } from "@effect/vitest"
import { Either, Schema } from "effect"
import fc from "fast-check"
import * as BasiqClient from "../../src/BasiqClient.js"

/**
 * The decoder users run and Schema's own give the same value (same keys, same order) or the same
 * issue for `input`; returns ours.
 */
export const expectSameAsSchema = <A, I>(schema: Schema.Schema<A, I, never>, input: unknown) => {
  const ours = BasiqClient.json(schema).decode(input, 200)
  const theirs = Either.mapLeft(Schema.decodeUnknownEither(schema)(input), (e) => e.issue)
  expect(ours._tag).toBe(theirs._tag)
  if (Either.isRight(ours) && Either.isRight(theirs)) {
    expect(ours.right).toStrictEqual(theirs.right)
    // Same key order, and nothing of the input's extra keys.
    expect(JSON.stringify(ours.right)).toBe(JSON.stringify(theirs.right))
  } else if (Either.isLeft(ours) && Either.isLeft(theirs)) {
    expect(String(ours.left)).toBe(String(theirs.left))
  }
  return ours
}

/** Valid values from `valid`, the same with an extra key, and arbitrary JSON. */
export const bodies = (valid: fc.Arbitrary<unknown>): ReadonlyArray<fc.Arbitrary<unknown>> => [
  valid,
  fc
    .tuple(valid, fc.string(), fc.jsonValue())
    .map(([value, key, extra]) =>
      typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value, [key]: extra } : value
    ),
  fc.jsonValue()
]
