/** Small statistics helpers: medians, percentiles, spreads and formatting. */

export const sorted = (xs: ReadonlyArray<number>): Array<number> => [...xs].sort((a, b) => a - b)

/** The q-quantile (0..1) of already sorted values, nearest rank. */
export const quantileSorted = (xs: ArrayLike<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const index = Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))
  return xs[index]!
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median and min..max of rounds. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
}

export const summarize = (xs: ReadonlyArray<number>): Summary => {
  const s = sorted(xs)
  return { median: median(s), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN }
}

/** Spread as +-% of the median (half the min..max range). */
export const spreadPct = (s: Summary): number => (s.median === 0 ? 0 : ((s.max - s.min) / 2 / s.median) * 100)

export const fmt = (x: number, digits = 0): string =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a"

export const fmtSummary = (s: Summary, digits = 0): string => `${fmt(s.median, digits)} ±${fmt(spreadPct(s), 0)}%`

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

/** A Markdown table. */
export const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
  const sep = `|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 2)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`
  return [line(head), sep, ...rows.map(line)].join("\n")
}
