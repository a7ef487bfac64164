/**
 * Decode cost of a connection with the decoder the SDK compiles for getConnection
 * (`BasiqClient.json(ConnectionSchemas.Connection)`), on already parsed JSON; `JSON.parse` is
 * measured separately for reference.
 */

import { ConnectionSchemas } from "@basiq-effect/connections"
import { BasiqClient } from "@basiq-effect/core"
import { Either } from "effect"
import { largeJson, smallJson } from "./fixtures.js"
import { type Summary, summarize } from "./stats.js"

export interface DecodeResult {
  readonly label: string
  readonly bytes: number
  readonly accounts: number
  /** Microseconds per decode. */
  readonly decodeUs: Summary
  /** Microseconds per JSON.parse of the same body. */
  readonly parseUs: Summary
}

let sink = 0

const timePerOp = (iterations: number, f: () => void): number => {
  const t0 = performance.now()
  for (let i = 0; i < iterations; i++) f()
  return ((performance.now() - t0) * 1000) / iterations
}

const measure = (label: string, json: string, iterations: number, rounds: number): DecodeResult => {
  const decoder = BasiqClient.json(ConnectionSchemas.Connection)
  const parsed: unknown = JSON.parse(json)
  const check = decoder.decode(parsed, 200)
  if (Either.isLeft(check)) throw new Error(`the ${label} fixture does not decode`)
  const accounts = check.right.accounts?.data.length ?? 0
  const decode = () => {
    const r = decoder.decode(parsed, 200)
    if (Either.isRight(r)) sink += r.right.id.length
  }
  const parse = () => {
    sink += (JSON.parse(json) as { readonly id: string }).id.length
  }
  // Warm up the JIT.
  timePerOp(iterations, decode)
  timePerOp(iterations, parse)
  const decodeRounds: Array<number> = []
  const parseRounds: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    decodeRounds.push(timePerOp(iterations, decode))
    parseRounds.push(timePerOp(iterations, parse))
  }
  return {
    label,
    bytes: Buffer.byteLength(json),
    accounts,
    decodeUs: summarize(decodeRounds),
    parseUs: summarize(parseRounds)
  }
}

export const measureDecode = (rounds: number): ReadonlyArray<DecodeResult> => {
  const out = [measure("2 KB connection", smallJson, 10_000, rounds), measure("500 accounts", largeJson, 60, rounds)]
  if (sink === -1) throw new Error("unreachable")
  return out
}
