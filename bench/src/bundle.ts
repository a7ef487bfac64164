/**
 * Bundle size of a browser program that imports the facade and calls one operation: esbuild,
 * minified, platform browser (so the `#transport` import resolves to fetch), from sources through
 * the `@basiq-effect/source` condition. Reports min and min+gzip, a breakdown by package (from the
 * metafile), and whether undici reached the bundle.
 */
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Zlib from "node:zlib"
import * as esbuild from "esbuild"

export interface BundleResult {
  readonly minBytes: number
  readonly gzipBytes: number
  readonly packages: ReadonlyArray<{ readonly name: string; readonly minBytes: number; readonly gzipEstimate: number }>
  readonly undiciInputs: ReadonlyArray<string>
  readonly fastCheckBytes: number
}

const benchDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

/** A browser program on `createConnectionsClient` (goal <= 100 KB min+gz). */
export const connectionsEntry = `
import { createConnectionsClient } from "@basiq-effect/connections"

const basiq = createConnectionsClient({ apiKey: "browser-demo-key" })
basiq.getConnection("user-1", "connection-1").then(
  (connection) => console.log(connection.id, connection.accounts?.data.length),
  (error) => console.error(error._tag)
)
`

/** A browser program on `createBasiqClient` using every group (goal <= 130 KB min+gz). */
export const basiqEntry = `
import { createBasiqClient } from "basiq-effect"

const basiq = createBasiqClient({ clientToken: () => fetch("/api/basiq-token").then((r) => r.text()) })
const run = async () => {
  const user = await basiq.users.getUser("user-1")
  const link = await basiq.consentUi.link(user.id, { state: "s" })
  const { jobIds } = basiq.consentUi.parseRedirect(location.href)
  const job = await basiq.jobs.waitForJob(jobIds[0], { onProgress: (j) => console.log(j.steps) })
  const connections = await basiq.connections.getConnections(user.id)
  const consents = await basiq.consents.getConsents(user.id)
  const events = await basiq.events.getEvents({ filter: "user.id.eq(user-1)" })
  const hooks = await basiq.webhooks.subscriptions.getSubscriptions()
  const n = await basiq.webhooks.verify("{}", {}, { secret: "whsec_AAAA" })
  console.log(link, job, connections, consents, events, hooks, n)
}
run().catch((error) => console.error(error._tag))
`

/** The package an input path belongs to (`effect`, `@effect/platform`, `@basiq-effect/core`...). */
const packageOf = (input: string): string => {
  const nm = input.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const parts = input.slice(nm + "node_modules/".length).split("/")
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const ws = /(?:^|\/)packages\/([^/]+)\//.exec(input)
  if (ws !== null) return `@basiq-effect/${ws[1]}`
  return "(entry)"
}

export const measureBundle = async (entry: string = connectionsEntry): Promise<BundleResult> => {
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: Path.join(benchDir, "src"), sourcefile: "facade-program.ts", loader: "ts" },
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    conditions: ["@basiq-effect/source"],
    metafile: true,
    write: false,
    logLevel: "silent",
    outfile: "out.js"
  })
  const file = result.outputFiles[0]!
  const minBytes = file.contents.length
  const gzipBytes = Zlib.gzipSync(file.contents, { level: 9 }).length
  const output = Object.values(result.metafile.outputs)[0]!
  const byPackage = new Map<string, number>()
  const undiciInputs: Array<string> = []
  for (const [input, info] of Object.entries(output.inputs)) {
    const name = packageOf(input)
    byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput)
    if (name === "undici" || input.includes("/undici/")) undiciInputs.push(input)
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    if ((packageOf(input) === "undici" || input.includes("/undici/")) && !undiciInputs.includes(input)) {
      undiciInputs.push(input)
    }
  }
  const total = [...byPackage.values()].reduce((a, b) => a + b, 0)
  const packages = [...byPackage.entries()]
    .map(([name, bytes]) => ({ name, minBytes: bytes, gzipEstimate: total === 0 ? 0 : (gzipBytes * bytes) / total }))
    .sort((a, b) => b.minBytes - a.minBytes)
  const fastCheckBytes = byPackage.get("fast-check") ?? 0
  return { minBytes, gzipBytes, packages, undiciInputs, fastCheckBytes }
}
