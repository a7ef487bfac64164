import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Tests run from sources: workspace packages resolve to their `src/` entry points. */
const alias = {
  "@basiq-effect/core/node": src("./packages/core/src/node.ts"),
  "@basiq-effect/core/errors": src("./packages/core/src/errors.ts"),
  "@basiq-effect/core/facade": src("./packages/core/src/facade.ts"),
  "@basiq-effect/core": src("./packages/core/src/index.ts"),
  "@basiq-effect/connections": src("./packages/connections/src/index.ts"),
  "@basiq-effect/users": src("./packages/users/src/index.ts"),
  "@basiq-effect/events": src("./packages/events/src/index.ts"),
  "@basiq-effect/testing": src("./packages/testing/src/index.ts"),
  "@basiq-effect/redis": src("./packages/redis/src/index.ts"),
  "basiq-effect/node": src("./packages/basiq/src/node.ts"),
  "basiq-effect": src("./packages/basiq/src/index.ts"),
  "#transport": src("./packages/connections/src/internal/transport.node.ts")
}

const project = (name: string, dir: string) => ({
  resolve: { alias },
  test: {
    name,
    include: [`${dir}/test/**/*.test.ts`],
    testTimeout: 30_000
  }
})

export default defineConfig({
  test: {
    projects: [
      project("core", "packages/core"),
      project("connections", "packages/connections"),
      project("users", "packages/users"),
      project("events", "packages/events"),
      project("basiq", "packages/basiq"),
      project("testing", "packages/testing"),
      project("redis", "packages/redis"),
      project("examples", "examples"),
      {
        test: {
          name: "packages-install",
          include: ["test/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000
        }
      },
      project("scripts", "scripts"),
      {
        resolve: { alias },
        test: { name: "browser", include: ["examples/browser/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 }
      }
    ]
  }
})
