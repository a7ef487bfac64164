#!/usr/bin/env node
/**
 * Builds the workspace and packs every publishable package (`packages/*` not marked `private`)
 * with `pnpm pack` into one directory (default `dist-packs/`), then checks each tarball as a user
 * would receive it:
 *
 * - it holds only `package.json`, `README.md`, `LICENSE` and `dist/**` (no sources, no
 *   `.tsbuildinfo`);
 * - its manifest has no `workspace:` ranges and no `@basiq-effect/source` condition (the
 *   `publishConfig` overrides replace `exports` / `imports`);
 * - every file its manifest points at (`main`, `types`, `bin`, `exports`, `imports`) is in it.
 *
 *   node scripts/pack-all.mjs [--out DIR] [--no-build]
 *
 * Prints one line per tarball (its absolute path); exits 1 naming every problem found.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const root = resolve(import.meta.dirname, "..")
const { values } = parseArgs({
  options: { out: { type: "string", default: join(root, "dist-packs") }, "no-build": { type: "boolean" } }
})
const out = resolve(values.out)

const pnpm = (args, cwd) => execFileSync("pnpm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })

/** The publishable packages, by directory. */
const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, "packages", entry.name, "package.json")))
  .map((entry) => join(root, "packages", entry.name))
  .filter((dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private !== true)

if (!values["no-build"]) pnpm(["-s", "build"], root)

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

/** Every relative file path a manifest field points at (strings found anywhere inside it). */
const targets = (value) =>
  typeof value === "string"
    ? [value]
    : value !== null && typeof value === "object"
      ? Object.values(value).flatMap(targets)
      : []

/** A manifest field without the `@basiq-effect/source` condition, at any depth. */
const withoutSource = (value) =>
  value !== null && typeof value === "object"
    ? Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => key !== "@basiq-effect/source")
          .map(([key, inner]) => [key, withoutSource(inner)])
      )
    : value

const problems = []
const tarballs = []
for (const dir of packages) {
  const before = new Set(readdirSync(out))
  pnpm(["pack", "--pack-destination", out], dir)
  const made = readdirSync(out).filter((name) => !before.has(name) && name.endsWith(".tgz"))
  if (made.length !== 1) {
    problems.push(`${dir}: pnpm pack made ${made.length} tarballs`)
    continue
  }
  const tarball = join(out, made[0])
  tarballs.push(tarball)
  const entries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^package\//, ""))
  const files = new Set(entries)
  for (const entry of entries) {
    const allowed = ["package.json", "README.md", "LICENSE"].includes(entry) || entry.startsWith("dist/")
    if (!allowed) problems.push(`${made[0]}: ships ${entry} (only dist/, README.md and LICENSE belong in it)`)
    if (entry.endsWith(".tsbuildinfo")) problems.push(`${made[0]}: ships ${entry}`)
  }
  for (const required of ["package.json", "README.md", "LICENSE"]) {
    if (!files.has(required)) problems.push(`${made[0]}: has no ${required}`)
  }
  const manifestText = execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" })
  if (manifestText.includes("workspace:")) problems.push(`${made[0]}: package.json keeps a workspace: range`)
  if (manifestText.includes("@basiq-effect/source")) {
    problems.push(
      `${made[0]}: package.json keeps the @basiq-effect/source condition (add publishConfig.exports/imports without it)`
    )
  }
  const manifest = JSON.parse(manifestText)
  // The packed `exports` / `imports` are the workspace ones without the source condition: a
  // subpath added to `exports` but not to `publishConfig.exports` would be missing from the package.
  const source = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  for (const field of ["exports", "imports"]) {
    const expected = JSON.stringify(withoutSource(source[field]))
    if (JSON.stringify(manifest[field]) !== expected) {
      problems.push(
        `${made[0]}: packed ${field} differ from package.json ${field} without @basiq-effect/source (update publishConfig.${field})`
      )
    }
  }
  if (manifest.license !== "MIT") problems.push(`${made[0]}: license is ${String(manifest.license)}, not MIT`)
  for (const field of ["main", "types", "bin", "exports", "imports"]) {
    for (const target of targets(manifest[field])) {
      const path = target.replace(/^\.\//, "")
      if (!path.includes("*") && !files.has(path))
        problems.push(`${made[0]}: ${field} points at ${target}, not in the tarball`)
    }
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`pack-all: ${problem}`)
  process.exit(1)
}
for (const tarball of tarballs) console.log(tarball)
