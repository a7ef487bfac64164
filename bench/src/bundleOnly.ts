/**
 * `pnpm bench:bundle`: the two browser bundles alone (the full `pnpm bench` reports them too).
 */
import { basiqEntry, connectionsEntry, measureBundle } from "./bundle.js"

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

for (const [name, entry, goal] of [
  ["createConnectionsClient program", connectionsEntry, 100],
  ["createBasiqClient program", basiqEntry, 130]
] as const) {
  const result = await measureBundle(entry)
  const top = result.packages
    .slice(0, 6)
    .map((p) => `${p.name} ${kb(p.gzipEstimate)}`)
    .join(", ")
  process.stdout.write(
    `${name}: ${kb(result.minBytes)} min, ${kb(result.gzipBytes)} min+gz (goal <= ${goal} KB: ${
      result.gzipBytes <= goal * 1024 ? "met" : "NOT MET"
    }), undici ${result.undiciInputs.length === 0 ? "absent" : "PRESENT"}; ${top}\n`
  )
}
