#!/usr/bin/env node
/**
 * Builds the API reference with @effect/docgen: for every publishable package (`packages/*` not
 * marked `private`) it runs docgen in the package (its `docgen.json`; every export needs a JSDoc
 * with `@since`, and `@example` blocks are type-checked and run), then gathers the module pages
 * into `docs/<package dir>/` with an index at `docs/README.md`.
 *
 *   node scripts/docs.mjs [package dir]...
 *
 * Workspace packages are read from their sources (`@basiq-effect/source`), so no build is needed.
 * Exits 1 naming the package whose docs failed.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { delimiter, join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const only = process.argv.slice(2)

const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, "packages", entry.name, "package.json")))
  .map((entry) => ({ dir: entry.name, path: join(root, "packages", entry.name) }))
  .map((pkg) => ({ ...pkg, manifest: JSON.parse(readFileSync(join(pkg.path, "package.json"), "utf8")) }))
  .filter((pkg) => pkg.manifest.private !== true)
  .filter((pkg) => only.length === 0 || only.includes(pkg.dir))

const env = {
  ...process.env,
  // docgen runs `tsc` and `tsx` from the PATH.
  PATH: [join(root, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  NODE_OPTIONS: [process.env.NODE_OPTIONS, "--conditions=@basiq-effect/source"].filter(Boolean).join(" ")
}

const out = join(root, "docs")
if (only.length === 0) rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const failed = []
for (const pkg of packages) {
  if (!existsSync(join(pkg.path, "docgen.json"))) {
    failed.push(`${pkg.dir}: no docgen.json (copy one from another package)`)
    continue
  }
  if (typeof pkg.manifest.homepage !== "string") {
    failed.push(`${pkg.dir}: package.json has no homepage (docgen needs one)`)
    continue
  }
  const started = Date.now()
  const ran = spawnSync("docgen", [], { cwd: pkg.path, env, encoding: "utf8" })
  if (ran.status !== 0) {
    process.stderr.write(`${ran.stdout}${ran.stderr}`)
    failed.push(`${pkg.dir}: docgen failed (above)`)
    continue
  }
  const target = join(out, pkg.dir)
  rmSync(target, { recursive: true, force: true })
  cpSync(join(pkg.path, "docs", "modules"), target, { recursive: true })
  console.log(`docs: ${pkg.manifest.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

if (failed.length > 0) {
  for (const line of failed) console.error(`docs: ${line}`)
  process.exit(1)
}

/** The index: each package and its module pages. */
const all = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(out, entry.name)))
  .map((entry) => ({
    dir: entry.name,
    manifest: JSON.parse(readFileSync(join(root, "packages", entry.name, "package.json"), "utf8"))
  }))
const lines = [
  "# API reference",
  "",
  "Generated from the JSDoc by `pnpm docs` (@effect/docgen); not committed. Each module page lists its",
  "exports by category, with their signatures, `@since` versions and examples.",
  ""
]
for (const pkg of all) {
  lines.push(`## ${pkg.manifest.name}`, "", pkg.manifest.description ?? "", "")
  const pages = readdirSync(join(out, pkg.dir))
    .filter((file) => file.endsWith(".ts.md") && file !== "index.ts.md")
    .sort()
  for (const page of pages) lines.push(`- [${page.replace(/\.ts\.md$/, "")}](${pkg.dir}/${page})`)
  lines.push("")
}
writeFileSync(join(out, "README.md"), lines.join("\n"))
