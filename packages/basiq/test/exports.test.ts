/**
 * The one import: every module of core, connections, users and events is re-exported (the same
 * objects), and every error class is exported by name.
 */
import * as Connections from "@basiq-effect/connections"
import * as Core from "@basiq-effect/core"
import * as CoreErrors from "@basiq-effect/core/errors"
import * as CoreNode from "@basiq-effect/core/node"
import * as Events from "@basiq-effect/events"
import * as Users from "@basiq-effect/users"
import * as BasiqEffect from "basiq-effect"
import * as BasiqEffectNode from "basiq-effect/node"
import { describe, expect, it } from "vitest"

const umbrella: Readonly<Record<string, unknown>> = BasiqEffect

describe("basiq-effect re-exports", () => {
  it.each([
    ["@basiq-effect/core", Core],
    ["@basiq-effect/connections", Connections],
    ["@basiq-effect/users", Users],
    ["@basiq-effect/events", Events]
  ] as const)("every export of %s, as the same object", (_, pkg) => {
    const names = Object.keys(pkg)
    expect(names.length).toBeGreaterThan(5)
    for (const name of names) {
      expect(umbrella[name], name).toBe((pkg as Readonly<Record<string, unknown>>)[name])
    }
  })

  it("every error class by name: core's list, the job errors, WebhookVerificationError", () => {
    const classes: Record<string, unknown> = {
      ...CoreErrors,
      BasiqJobFailedError: Connections.BasiqJobFailedError,
      BasiqJobTimeoutError: Connections.BasiqJobTimeoutError,
      BasiqMfaRequiredError: Connections.BasiqMfaRequiredError,
      WebhookVerificationError: Events.WebhookVerificationError
    }
    const errorNames = Object.keys(classes).filter((name) => name.endsWith("Error"))
    expect(errorNames.length).toBeGreaterThanOrEqual(17)
    for (const name of errorNames) {
      expect(typeof umbrella[name], name).toBe("function")
      expect(umbrella[name], name).toBe(classes[name])
    }
    // (`BasiqError` and `JobError` are the modules, not classes.)
    const errorExports = Object.keys(umbrella).filter(
      (name) => /Error$/.test(name) && typeof umbrella[name] === "function"
    )
    expect(errorExports.sort()).toEqual(errorNames.sort())
  })

  it("the all-in-one layers and the promise client", () => {
    expect(typeof BasiqEffect.Basiq.layer).toBe("function")
    expect(typeof BasiqEffect.Basiq.layerConfig).toBe("function")
    expect(typeof BasiqEffect.Basiq.layerWithoutHttpClient).toBe("function")
    expect(typeof BasiqEffect.createBasiqClient).toBe("function")
    expect(BasiqEffect.createConnectionsClient).toBe(Connections.createConnectionsClient)
  })

  it("basiq-effect/node is @basiq-effect/core/node", () => {
    expect(BasiqEffectNode.UndiciHttpClient).toBe(CoreNode.UndiciHttpClient)
  })
})
