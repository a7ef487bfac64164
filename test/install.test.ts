/**
 * The packages as an outside app gets them: `pnpm pack:all` builds and packs every publishable
 * package, then a fresh npm app and a fresh pnpm app in the OS temp directory (outside the
 * workspace) install the tarballs from disk (and effect, @effect/platform, TypeScript from the npm
 * registry), type-check a small program with strict settings, run it against the in-memory fake,
 * check that one copy of effect and @effect/platform is installed, and run the `basiq-fake` bin
 * through the package manager's wrapper.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { once } from "node:events"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join, relative } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../", import.meta.url))
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>
}

/** The environment without what pnpm passes to the scripts it runs (`npm_config_*`, ...). */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|PNPM_|INIT_CWD$|NODE_OPTIONS$)/i.test(name))
)

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end; a non-zero exit fails with its output. */
const run = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<Ran> => {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const [code] = (await once(child, "exit")) as [number | null]
  return { code, stdout, stderr }
}

const ok = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<Ran> => {
  const ran = await run(command, args, cwd)
  if (ran.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${ran.code}\n${ran.stdout}\n${ran.stderr}`)
  }
  return ran
}

interface Tarball {
  readonly name: string
  readonly file: string
  readonly peerDependencies: Readonly<Record<string, string>>
}

let work: string
let tarballs: ReadonlyArray<Tarball>

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "basiq-effect-install-"))
  const packs = join(work, "packs")
  const packed = await ok("node", [join(root, "scripts/pack-all.mjs"), "--out", packs], root)
  tarballs = packed.stdout
    .split("\n")
    .filter((line) => line.endsWith(".tgz"))
    .map((file) => {
      const manifest = JSON.parse(
        execFileSync("tar", ["-xzOf", file, "package/package.json"], { encoding: "utf8" })
      ) as {
        name: string
        peerDependencies?: Record<string, string>
      }
      return { name: manifest.name, file, peerDependencies: manifest.peerDependencies ?? {} }
    })
}, 300_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** A fresh app directory: the tarballs (by relative `file:` path), their peers, TypeScript, the program. */
const makeApp = (name: string, extra: Record<string, unknown> = {}): string => {
  const dir = join(work, name)
  mkdirSync(dir)
  const ours = new Set(tarballs.map((tarball) => tarball.name))
  const dependencies: Record<string, string> = {}
  for (const tarball of tarballs) dependencies[tarball.name] = `file:${relative(dir, tarball.file)}`
  for (const tarball of tarballs) {
    for (const [peer, range] of Object.entries(tarball.peerDependencies)) {
      if (!ours.has(peer)) dependencies[peer] ??= range
    }
  }
  const manifest = {
    name,
    private: true,
    type: "module",
    dependencies,
    devDependencies: {
      typescript: rootManifest.devDependencies.typescript,
      "@types/node": rootManifest.devDependencies["@types/node"]
    },
    ...extra
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        // @effect/platform's own declarations name DOM types (Storage, Transferable), so its users need them.
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        types: ["node"],
        outDir: "dist"
      },
      include: ["main.ts"]
    })
  )
  copyFileSync(join(root, "test/install-app/main.ts"), join(dir, "main.ts"))
  return dir
}

/** Every peer dependency of the packages (effect, @effect/platform, ...): each must be installed once. */
const peers = (): ReadonlyArray<string> => {
  const ours = new Set(tarballs.map((tarball) => tarball.name))
  const names = new Set(tarballs.flatMap((tarball) => Object.keys(tarball.peerDependencies)))
  const list = [...names].filter((name) => !ours.has(name)).sort()
  expect(list).toContain("effect")
  return list
}

/** What the program prints when every style works. */
const expected = {
  effect: { connections: 1, missing: "BasiqNotFoundError" },
  promise: { steps: ["success", "success", "success"], notFound: true, umbrellaUser: "umbrella@example.com" },
  webhook: "connection.created",
  redirect: { jobIds: ["j1", "j2"], state: "s" }
}

/**
 * Starts `basiq-fake` through a package manager's wrapper (in its own process group), checks that
 * it serves, sends `signal` to the wrapper only, and checks that the server is gone.
 */
const binStopsThroughWrapper = async (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  signal: NodeJS.Signals
) => {
  const child: ChildProcess = spawn(command, [...args, "--port", "0", "--api-key", "k"], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"]
  })
  const exited = once(child, "exit")
  let url = ""
  try {
    const lines = createInterface({ input: child.stdout! })
    const [first] = (await Promise.race([
      once(lines, "line"),
      exited.then(() => Promise.reject(new Error(`${command} basiq-fake exited before listening`)))
    ])) as [string]
    expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
    url = first.slice("listening on ".length)
    const token = await fetch(`${url}/token`, {
      method: "POST",
      headers: { Authorization: "Basic k", "basiq-version": "3.0" },
      body: new URLSearchParams({ scope: "SERVER_ACCESS" })
    })
    expect(token.status).toBe(200)
    child.kill(signal)
    // The wrapper ends with exit code 0 or by re-raising the signal, as npm and pnpm do.
    const [code, by] = (await exited) as [number | null, NodeJS.Signals | null]
    expect(code === 0 || by === signal).toBe(true)
    // The server went with the wrapper: nothing answers on its port and no process of the group
    // is left (bounded polls).
    const deadline = Date.now() + 10_000
    let refused = false
    while (!refused && Date.now() < deadline) {
      refused = await fetch(`${url}/token`, { method: "POST" }).then(
        () => false,
        () => true
      )
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    let groupGone = false
    while (!groupGone && Date.now() < deadline) {
      groupGone = !alive(-(child.pid ?? 0))
      if (!groupGone) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(groupGone).toBe(true)
    expect(refused).toBe(true)
  } finally {
    // Whatever happened, nothing of this group outlives the test.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {
        // already gone
      }
    }
  }
}

/** Whether a process (or, negative, a process group) exists. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Every directory under `node_modules` holding a package called `name` (one copy = one path). */
const copiesOnDisk = (dir: string, name: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (modules: string, depth: number) => {
    if (depth > 8) return
    let entries: Array<string>
    try {
      entries = readdirSync(modules)
    } catch {
      return
    }
    for (const entry of entries) {
      const dirs = entry.startsWith("@")
        ? readdirSync(join(modules, entry)).map((scoped) => join(modules, entry, scoped))
        : [join(modules, entry)]
      for (const pkg of dirs) {
        try {
          const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
            name?: string
            version?: string
          }
          if (manifest.name === name) found.push(`${pkg}@${manifest.version}`)
        } catch {
          // not a package
        }
        walk(join(pkg, "node_modules"), depth + 1)
      }
    }
  }
  walk(join(dir, "node_modules"), 0)
  // pnpm keeps packages under node_modules/.pnpm/<name>@<version>/node_modules/<name>
  walk(join(dir, "node_modules", ".pnpm"), 0)
  return found
}

describe("the packed packages in an outside app", () => {
  it("every publishable package was packed", () => {
    const dirs = readdirSync(join(root, "packages")).filter((dir) => {
      try {
        return JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")).private !== true
      } catch {
        return false
      }
    })
    expect(tarballs.map((tarball) => tarball.name).sort()).toEqual(
      dirs.map((dir) => JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")).name).sort()
    )
    for (const tarball of tarballs) expect(basename(tarball.file)).toMatch(/\.tgz$/)
  })

  it("npm: installs, type-checks strictly, runs, one copy of each peer, and npx basiq-fake stops on SIGTERM", async () => {
    const app = makeApp("npm-app")
    await ok("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app)
    await ok(join(app, "node_modules/.bin/tsc"), ["-p", "."], app)
    const ran = await ok("node", ["dist/main.js"], app)
    expect(JSON.parse(ran.stdout.trim())).toEqual(expected)

    for (const name of peers()) {
      const listed = await ok("npm", ["ls", name, "--all", "--parseable"], app)
      expect(new Set(listed.stdout.split("\n").filter((line) => line !== "")).size).toBe(1)
      expect(copiesOnDisk(app, name)).toHaveLength(1)
    }

    const help = await ok("npx", ["basiq-fake", "--help"], app)
    expect(help.stdout).toMatch(/^usage: basiq-fake/)
    await binStopsThroughWrapper("npx", ["basiq-fake"], app, "SIGTERM")
  }, 600_000)

  it("pnpm: installs, type-checks strictly, runs, one copy of each peer, and pnpm exec basiq-fake stops on SIGINT", async () => {
    // pnpm resolves a dependency between tarballs from the registry unless told otherwise.
    const overrides = Object.fromEntries(tarballs.map((tarball) => [tarball.name, `file:${tarball.file}`]))
    const app = makeApp("pnpm-app", { pnpm: { overrides } })
    await ok("pnpm", ["install", "--reporter=silent"], app)
    await ok(join(app, "node_modules/.bin/tsc"), ["-p", "."], app)
    const ran = await ok("node", ["dist/main.js"], app)
    expect(JSON.parse(ran.stdout.trim())).toEqual(expected)

    for (const name of peers()) {
      const copies = new Set(copiesOnDisk(app, name).map((found) => found.slice(found.lastIndexOf("@"))))
      expect([...copies]).toHaveLength(1)
      const stores = readdirSync(join(app, "node_modules/.pnpm")).filter((entry) =>
        entry.startsWith(`${name.replace("/", "+")}@`)
      )
      expect(stores).toHaveLength(1)
    }

    const help = await ok("pnpm", ["exec", "basiq-fake", "--help"], app)
    expect(help.stdout).toMatch(/^usage: basiq-fake/)
    await binStopsThroughWrapper("pnpm", ["exec", "basiq-fake"], app, "SIGINT")
  }, 600_000)
})
