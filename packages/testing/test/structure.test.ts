/**
 * The package's shape: its sources import each other without cycles, and it depends on core only
 * (the fake is Basiq, not a client of the SDK's modules).
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const src = join(root, "src")

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : []
  })

/** Every module specifier a file imports or re-exports, type-only ones included. */
const specifiers = (file: string): ReadonlyArray<string> =>
  [
    ...readFileSync(file, "utf8").matchAll(
      /^\s*(?:import|export)\b[^"'`;]*?\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm
    )
  ].flatMap((match) => {
    const specifier = match[1] ?? match[2]
    return specifier === undefined ? [] : [specifier]
  })

const graph = new Map(
  sources(src).map((file) => [
    file,
    specifiers(file)
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, ".ts")))
  ])
)

/** The import cycles, each as a list of paths relative to `src`. */
const cycles = (): ReadonlyArray<ReadonlyArray<string>> => {
  const found: Array<ReadonlyArray<string>> = []
  const state = new Map<string, "open" | "done">()
  const stack: Array<string> = []
  const visit = (file: string) => {
    state.set(file, "open")
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open")
        found.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(src, f)))
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(file, "done")
  }
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file)
  return found
}

describe("package structure", () => {
  it("reads the imports it checks", () => {
    const engine = join(src, "internal", "engine.ts")
    expect(graph.get(engine)).toContain(join(src, "internal", "types.ts"))
    expect(graph.get(join(src, "InMemoryBasiq.ts"))).toContain(engine)
  })

  it("has no import cycle in src", () => {
    expect(cycles()).toEqual([])
  })

  it("depends on core only", () => {
    const external = [...graph.keys()].flatMap(specifiers).filter((s) => s.startsWith("@basiq-effect/"))
    expect(new Set(external)).toEqual(new Set(["@basiq-effect/core"]))
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      readonly dependencies?: Readonly<Record<string, string>>
    }
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(["@basiq-effect/core"])
  })
})
