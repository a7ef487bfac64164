/**
 * Bodies made on demand, for the hostile faults: huge, endless and compressed bodies are produced
 * chunk by chunk (never allocated whole), so the fake stays small whatever it claims to send.
 *
 * @internal
 */
import type { Fault } from "./types.js"

/** What a cursor gives: the next chunk, `null` at the end, or `"drop"`: the connection must be dropped. */
export type Chunk = Uint8Array<ArrayBuffer> | null | "drop"

/** One reading of a produced body. `close` is called once the reader is gone (cancelled, aborted, closed). */
export interface Cursor {
  readonly next: () => Chunk
  readonly close: () => void
}

/** A body produced chunk by chunk, on demand. */
export interface Streamed {
  /** Announced as `content-length`; `undefined`: none (served: chunked). */
  readonly length: number | undefined
  /** Real milliseconds after which a served connection still sending is destroyed, if any. */
  readonly maxDurationMs: number | undefined
  readonly open: () => Cursor
}

const CHUNK = 64 * 1024
const empty = new TextEncoder().encode('{"data":""}')
/** Where the string's content starts in `{"data":"..."}`, and how many bytes close it. */
const OPEN = 9
const CLOSE = 2

/** Byte `i` of a text of `total` bytes: `{"data":"fff...f"}`, or the first bytes of `{"data":""}` when shorter. */
const byteAt = (i: number, total: number, fill: number): number => {
  if (total < empty.length) return empty[i] ?? fill
  if (i < OPEN) return empty[i] ?? fill
  if (i >= total - CLOSE) return empty[empty.length - (total - i)] ?? fill
  return fill
}

/** Bytes `[offset, offset + size)` of that text, in a fresh chunk: only its first and last bytes differ from `fill`. */
const fillChunk = (offset: number, size: number, total: number, fill: number): Uint8Array<ArrayBuffer> => {
  const chunk = new Uint8Array(size).fill(fill)
  for (let i = offset; i < Math.min(offset + size, OPEN); i++) chunk[i - offset] = byteAt(i, total, fill)
  for (let i = Math.max(offset, total - CLOSE, 0); i < offset + size; i++) chunk[i - offset] = byteAt(i, total, fill)
  return chunk
}

/** A cursor over `total` bytes of `{"data":"fff...f"}`. */
export const jsonText = (total: number, fill: number, chunkSize = CHUNK): Cursor => {
  let offset = 0
  let closed = false
  return {
    next: () => {
      if (closed || offset >= total) return null
      const size = Math.min(chunkSize, total - offset)
      const chunk = fillChunk(offset, size, total, fill)
      offset += size
      return chunk
    },
    close: () => {
      closed = true
    }
  }
}

const X = 0x78
const ZERO = 0x30

/** `bytes` of JSON-looking text with `content-length` announced. */
export const huge = (bytes: number): Streamed => ({
  length: bytes,
  maxDurationMs: undefined,
  open: () => jsonText(bytes, X)
})

/** The bounds of an endless body, so a client that never stops reading cannot hang a test run. */
export interface Bounds {
  readonly maxBytes: number
  readonly maxDurationMs: number
  /** Real time in milliseconds (`performance.now` by default). */
  readonly now: () => number
}

export const defaultBounds: Bounds = {
  maxBytes: 1024 * 1024 * 1024,
  maxDurationMs: 60_000,
  now: () => performance.now()
}

/**
 * `{"data":"xxx...` that never ends until the reader goes away; after `maxBytes` or
 * `maxDurationMs` of real time, whichever comes first, the connection is dropped.
 */
export const endless = (bounds: Bounds = defaultBounds): Streamed => ({
  length: undefined,
  maxDurationMs: bounds.maxDurationMs,
  open: () => {
    const started = bounds.now()
    let sent = 0
    let closed = false
    return {
      next: () => {
        if (closed) return null
        if (sent >= bounds.maxBytes || bounds.now() - started >= bounds.maxDurationMs) return "drop"
        const chunk = fillChunk(sent, CHUNK, Number.POSITIVE_INFINITY, X)
        sent += CHUNK
        return chunk
      },
      close: () => {
        closed = true
      }
    }
  }
})

type GzipBomb = Extract<Fault, { readonly _tag: "GzipBomb" }>

/** The text's chunks, as an iterable. */
function* chunks(cursor: Cursor): Generator<Uint8Array<ArrayBuffer>> {
  for (let chunk = cursor.next(); chunk !== null && chunk !== "drop"; chunk = cursor.next()) yield chunk
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * Compresses `inflatedBytes` of `{"data":"000...0"}` as it is produced, so memory stays at a chunk
 * or so: with `node:zlib` (run-length strategy: 64 MiB in ~50 ms), else with `CompressionStream`.
 */
const compress = async (inflatedBytes: number, encoding: "gzip" | "deflate"): Promise<Uint8Array> => {
  const text = () => chunks(jsonText(inflatedBytes, ZERO, 1024 * 1024))
  const parts: Array<Uint8Array> = []
  const node = await import("node:zlib").then(
    (zlib) => zlib,
    () => undefined
  )
  if (node !== undefined) {
    const { Readable } = await import("node:stream")
    const options = { strategy: node.constants.Z_RLE, level: 9 }
    const zip = encoding === "gzip" ? node.createGzip(options) : node.createDeflate(options)
    for await (const part of Readable.from(text()).pipe(zip)) parts.push(part as Uint8Array)
    return concat(parts)
  }
  const source = text()
  const stream = new ReadableStream<BufferSource>({
    pull(controller) {
      const next = source.next()
      if (next.done === true) controller.close()
      else controller.enqueue(next.value)
    }
  })
  const reader = stream.pipeThrough(new CompressionStream(encoding)).getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read()) parts.push(read.value)
  return concat(parts)
}

const bombs = new WeakMap<GzipBomb, Promise<Uint8Array>>()

/** The compressed bytes of a gzip bomb, built once per fault (the constructor starts it). */
export const bombBytes = (fault: GzipBomb): Promise<Uint8Array> => {
  const known = bombs.get(fault)
  if (known !== undefined) return known
  const built = compress(fault.inflatedBytes, fault.encoding)
  // Observed by whoever dispatches the fault; this branch only keeps an unused failure quiet.
  built.catch(() => undefined)
  bombs.set(fault, built)
  return built
}
