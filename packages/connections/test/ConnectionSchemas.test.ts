import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Redacted, Schema } from "effect"
import * as ConnectionSchemas from "../src/ConnectionSchemas.js"

const userId = "5b1c0e7a-2f44-4c1e-9d3a-8e61f0a4c2b7"
const connectionId = "c0ffee42"
const base = "https://au-api.basiq.io"

const account = (id: string, overrides: Record<string, unknown> = {}) => ({
  type: "account",
  id,
  accountNo: "083-170 4471 2290",
  name: "Everyday Saver",
  currency: "AUD",
  class: { type: "savings", product: "Hooli Everyday Saver" },
  balance: "-1820.40",
  availableFunds: "915.00",
  lastUpdated: "2024-03-02T22:14:31.118Z",
  status: "available",
  links: {
    self: `${base}/users/${userId}/accounts/${id}`,
    transactions: `${base}/users/${userId}/transactions?filter=account.id.eq('${id}')`
  },
  ...overrides
})

/** A full v2.1-style connection with the quirks of real answers, plus v3 fields and extras. */
const fullConnection = {
  type: "connection",
  id: connectionId,
  status: "pending",
  createdDate: "2024-03-02T22:14:30Z",
  lastUsed: "2024-03-01T08:00:12.000Z",
  method: "web",
  expiryDate: "",
  mfaEnabled: false,
  somethingBasiqAddedLater: { nested: [1, 2, 3] },
  institution: { type: "institution", id: "AU00000", links: { self: `${base}/institutions/AU00000` } },
  accounts: {
    type: "list",
    data: [
      account("acc-1"),
      account("acc-2", {
        balance: null,
        availableFunds: null,
        status: "unavailable",
        class: { type: "credit-card", product: "Hooli Platinum", meta: { creditLimit: "5000" } }
      }),
      account("acc-3", { class: { type: "mortgage", product: "Home Loan" }, lastUpdated: "2024-03-02T22:14:31Z" })
    ]
  },
  profile: {
    fullName: "Ada Quill",
    firstName: "Ada",
    lastName: "Quill",
    middleName: "",
    phoneNumbers: ["04## ### 117"],
    emailAddresses: ["a***@example.com"],
    physicalAddresses: [
      {
        addressLine1: "7 Lantern Lane",
        addressLine2: null,
        addressLine3: null,
        postcode: "2010",
        city: "Surry Hills",
        state: "NSW",
        country: "Australia",
        countryCode: "AU",
        formattedAddress: "Unit 2/7 Lantern Ln, Surry Hills NSW 2010, Australia"
      }
    ]
  },
  links: {
    self: `${base}/users/${userId}/connections/${connectionId}`,
    user: `${base}/users/${userId}`,
    accounts: `${base}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`,
    transactions: `${base}/users/${userId}/transactions?filter=institution.id.eq('AU00000')`
  }
}

const decodeEither = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownEither(schema)

/** The distinct paths of a parse error's issues, in order (the first is the deepest failure). */
const issuePaths = (error: ParseResult.ParseError): ReadonlyArray<string> => [
  ...new Set(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".")))
]

const expectLeft = <A>(result: Either.Either<A, ParseResult.ParseError>): ParseResult.ParseError => {
  if (Either.isRight(result)) throw new Error("expected a decode failure")
  return result.left
}

describe("Connection", () => {
  it("decodes a full connection with accounts, profile and the quirks of real answers", () => {
    const connection = Schema.decodeUnknownSync(ConnectionSchemas.Connection)(fullConnection)
    expect(connection.id).toBe(connectionId)
    expect(connection.status).toBe("pending")
    expect(connection.method).toBe("web")
    expect(connection.expiryDate).toBe("")
    expect(connection.mfaEnabled).toBe(false)
    // timestamps stay as Basiq wrote them, even when lastUsed is earlier than createdDate
    expect(connection.createdDate).toBe("2024-03-02T22:14:30Z")
    expect(connection.lastUsed).toBe("2024-03-01T08:00:12.000Z")
    expect(connection.institution.id).toBe("AU00000")
    expect(connection.accounts?.data).toHaveLength(3)
    const [first, second, third] = connection.accounts?.data ?? []
    expect(first?.balance).toBe("-1820.40")
    expect(second?.balance).toBeNull()
    expect(second?.availableFunds).toBeNull()
    expect(second?.status).toBe("unavailable")
    expect(second?.class.meta).toEqual({ creditLimit: "5000" })
    expect(third?.lastUpdated).toBe("2024-03-02T22:14:31Z")
    expect(connection.profile?.middleName).toBe("")
    expect(connection.profile?.physicalAddresses[0]?.addressLine2).toBeNull()
    expect(connection.profile?.physicalAddresses[0]?.addressLine3).toBeNull()
    expect(connection.links.user).toBe(`${base}/users/${userId}`)
    // unknown fields are dropped
    expect("somethingBasiqAddedLater" in connection).toBe(false)
  })

  it("decodes a v3 connection: pre-init, open banking, no profile, accounts, createdDate or lastUsed", () => {
    const connection = Schema.decodeUnknownSync(ConnectionSchemas.Connection)({
      type: "connection",
      id: "ob-77",
      status: "pre-init",
      method: "open-banking",
      expiryDate: "2025-03-02T00:00:00.000Z",
      institution: { type: "institution", id: "AU00004", links: { self: `${base}/institutions/AU00004` } },
      links: { self: `${base}/users/${userId}/connections/ob-77`, user: `${base}/users/${userId}` }
    })
    expect(connection.status).toBe("pre-init")
    expect(connection.method).toBe("open-banking")
    expect(connection.expiryDate).toBe("2025-03-02T00:00:00.000Z")
    expect(connection.accounts).toBeUndefined()
    expect(connection.profile).toBeUndefined()
    expect(connection.createdDate).toBeUndefined()
  })

  it("keeps statuses, methods and account classes Basiq may add later", () => {
    const connection = Schema.decodeUnknownSync(ConnectionSchemas.Connection)({
      ...fullConnection,
      status: "suspended",
      method: "screen-scrape",
      accounts: { type: "list", data: [account("acc-9", { status: "frozen", class: { type: "term-deposit" } })] }
    })
    expect(connection.status).toBe("suspended")
    expect(connection.method).toBe("screen-scrape")
    expect(connection.accounts?.data[0]?.status).toBe("frozen")
    expect(connection.accounts?.data[0]?.class.product).toBeUndefined()
  })

  it("accepts the documented nulls only where Basiq documents them", () => {
    const connection = Schema.decodeUnknownSync(ConnectionSchemas.Connection)({
      ...fullConnection,
      accounts: { type: "list", data: [account("a", { balance: null, availableFunds: null })] }
    })
    expect(connection.accounts?.data[0]?.balance).toBeNull()
    expect(Either.isLeft(decodeEither(ConnectionSchemas.Connection)({ ...fullConnection, id: null }))).toBe(true)
  })

  it("fails with the path of a wrong field", () => {
    const bad = structuredClone(fullConnection) as { accounts: { data: Array<Record<string, unknown>> } }
    bad.accounts.data[1] = { ...bad.accounts.data[1], balance: 12.5 }
    const error = expectLeft(decodeEither(ConnectionSchemas.Connection)(bad))
    // the first issue is the field; the others are the `accounts` union's "or undefined" branch
    expect(issuePaths(error)[0]).toBe("accounts.data.1.balance")
  })

  it("fails with the path of a missing required field", () => {
    const { institution: _, ...withoutInstitution } = fullConnection
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.Connection)(withoutInstitution)))).toEqual([
      "institution"
    ])
    const noId = { ...fullConnection, id: undefined }
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.Connection)(noId)))).toEqual(["id"])
    const badMiddleName = { ...fullConnection, profile: { ...fullConnection.profile, middleName: null } }
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.Connection)(badMiddleName)))[0]).toBe(
      "profile.middleName"
    )
  })

  it("types open enums as the known literals or any string", () => {
    const known: ConnectionSchemas.ConnectionStatus = "active"
    const future: ConnectionSchemas.ConnectionStatus = "something-new"
    expect(Schema.is(ConnectionSchemas.ConnectionStatus)(known)).toBe(true)
    expect(Schema.is(ConnectionSchemas.ConnectionStatus)(future)).toBe(true)
    expect(Schema.is(ConnectionSchemas.ConnectionStatus)(1)).toBe(false)
  })
})

describe("ConnectionList and ConnectionSummary", () => {
  const summary = (id: string, extra: Record<string, unknown> = {}) => ({
    type: "connection",
    id,
    status: "active",
    createdDate: "2024-02-11T03:00:01Z",
    lastUsed: "2024-02-11T03:00:44.512Z",
    institution: { type: "institution", id: "AU00000", links: { self: `${base}/institutions/AU00000` } },
    links: {
      self: `${base}/users/${userId}/connections/${id}`,
      institution: `${base}/institutions/AU00000`,
      accounts: `${base}/users/${userId}/accounts?filter=institution.id.eq('AU00000')`
    },
    ...extra
  })

  it("decodes a list of v2.1 and v3 summaries", () => {
    const list = Schema.decodeUnknownSync(ConnectionSchemas.ConnectionList)({
      type: "list",
      data: [
        summary("c1", { mfaEnabled: true }),
        summary("c2", { method: "openbanking", expiryDate: "2025-01-01T00:00:00Z" })
      ],
      links: { self: `${base}/users/${userId}/connections` }
    })
    expect(list.data.map((c) => c.id)).toEqual(["c1", "c2"])
    expect(list.data[0]?.mfaEnabled).toBe(true)
    expect(list.data[0]?.links.institution).toBe(`${base}/institutions/AU00000`)
    expect(list.data[1]?.method).toBe("openbanking")
    expect(list.links?.self).toBe(`${base}/users/${userId}/connections`)
  })

  it("decodes a list without data or links as an empty list", () => {
    const list = Schema.decodeUnknownSync(ConnectionSchemas.ConnectionList)({ type: "list" })
    expect(list.data).toEqual([])
    expect(list.links).toBeUndefined()
    expect(Schema.decodeUnknownSync(ConnectionSchemas.ConnectionList)({ type: "list", data: null }).data).toEqual([])
  })

  it("fails with the path inside the list", () => {
    const error = expectLeft(
      decodeEither(ConnectionSchemas.ConnectionList)({ type: "list", data: [summary("c1"), summary("c2", { id: 7 })] })
    )
    expect(issuePaths(error)[0]).toBe("data.1.id")
  })

  it("decodes a summary alone", () => {
    const decoded = Schema.decodeUnknownSync(ConnectionSchemas.ConnectionSummary)(summary("c3"))
    expect(decoded.institution.id).toBe("AU00000")
  })
})

describe("Account, Profile, Institution", () => {
  it("decodes an account with nullable money", () => {
    const decoded = Schema.decodeUnknownSync(ConnectionSchemas.Account)(account("a", { balance: null }))
    expect(decoded.balance).toBeNull()
    expect(decoded.availableFunds).toBe("915.00")
  })

  it("requires balance to be a string or null", () => {
    const { balance: _, ...noBalance } = account("a")
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.Account)(noBalance)))).toEqual(["balance"])
  })

  it("decodes a profile with empty middle name and null address lines", () => {
    const profile = Schema.decodeUnknownSync(ConnectionSchemas.Profile)(fullConnection.profile)
    expect(profile.middleName).toBe("")
    expect(profile.physicalAddresses[0]?.formattedAddress).not.toBe(profile.physicalAddresses[0]?.addressLine1)
  })

  it("decodes an institution reference", () => {
    expect(Schema.decodeUnknownSync(ConnectionSchemas.Institution)({ id: "AU00002" })).toEqual({ id: "AU00002" })
  })
})

describe("JobRef and JobRefList", () => {
  const jobRef = (id: string) => ({ type: "job", id, links: { self: `${base}/jobs/${id}` } })

  it("decodes a job reference", () => {
    expect(Schema.decodeUnknownSync(ConnectionSchemas.JobRef)(jobRef("j-1"))).toEqual(jobRef("j-1"))
  })

  it("tolerates a running job in place of a reference (refresh answered 200)", () => {
    const ref = Schema.decodeUnknownSync(ConnectionSchemas.JobRef)({
      id: "j-2",
      created: "2024-03-02T22:14:30Z",
      steps: [{ title: "verify-credentials", status: "in-progress", result: null }],
      links: { self: "/jobs/j-2", source: `/users/${userId}/connections/${connectionId}` }
    })
    expect(ref).toEqual({ type: "job", id: "j-2", links: { self: "/jobs/j-2" } })
  })

  it("tolerates missing or null links, but not a missing id", () => {
    expect(Schema.decodeUnknownSync(ConnectionSchemas.JobRef)({ type: "job", id: "j-3" }).links).toBeUndefined()
    expect(Schema.decodeUnknownSync(ConnectionSchemas.JobRef)({ type: "job", id: "j-3", links: null }).links).toBe(
      undefined
    )
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.JobRef)({ type: "job" })))).toEqual(["id"])
  })

  it("decodes the list refreshConnections returns", () => {
    const list = Schema.decodeUnknownSync(ConnectionSchemas.JobRefList)({
      type: "list",
      data: [jobRef("j-4"), jobRef("j-5")]
    })
    expect(list.data.map((ref) => ref.id)).toEqual(["j-4", "j-5"])
    expect(issuePaths(expectLeft(decodeEither(ConnectionSchemas.JobRefList)({ type: "list", data: [{}] })))).toEqual([
      "data.0.id"
    ])
  })
})

describe("PostConnectionBody", () => {
  const secret = "s3cr3t-Passw0rd!"

  it("encodes to Basiq's wire JSON with plain strings", () => {
    const body = ConnectionSchemas.makePostConnectionBody({
      loginId: "ada.quill",
      password: Redacted.make(secret),
      institution: { id: "AU00000" },
      securityCode: "4321"
    })
    const wire = Schema.encodeSync(ConnectionSchemas.PostConnectionBody)(body)
    expect(wire).toEqual({
      loginId: "ada.quill",
      password: secret,
      institution: { id: "AU00000" },
      securityCode: "4321"
    })
    expect(JSON.parse(JSON.stringify(wire))).toEqual(wire)
    expect("secondaryLoginId" in wire).toBe(false)
  })

  it("decodes wire JSON into Redacted credentials", () => {
    const body = Schema.decodeUnknownSync(ConnectionSchemas.PostConnectionBody)({
      loginId: "ada.quill",
      password: secret,
      institution: { id: "AU00000" },
      secondaryLoginId: "branch-7"
    })
    expect(Redacted.isRedacted(body.password)).toBe(true)
    expect(Redacted.value(body.password)).toBe(secret)
    expect(body.secondaryLoginId && Redacted.value(body.secondaryLoginId)).toBe("branch-7")
  })

  it("accepts the institution as a plain id in the helper", () => {
    const body = ConnectionSchemas.makePostConnectionBody({ loginId: "a", password: "b", institution: "AU00002" })
    expect(body.institution).toEqual({ id: "AU00002" })
    expect(Object.keys(body).sort()).toEqual(["institution", "loginId", "password"])
  })

  it("refuses empty required fields with the field's path", () => {
    const encode = Schema.encodeEither(ConnectionSchemas.PostConnectionBody)
    const empty = ConnectionSchemas.makePostConnectionBody({ loginId: "", password: "", institution: { id: "" } })
    const error = expectLeft(encode(empty))
    expect(issuePaths(error)).toEqual(["loginId"])
    const all = Schema.encodeEither(ConnectionSchemas.PostConnectionBody, { errors: "all" })(empty)
    expect(issuePaths(expectLeft(all))).toEqual(["loginId", "password", "institution.id"])
    const emptyCode = ConnectionSchemas.makePostConnectionBody({
      loginId: "a",
      password: "b",
      institution: "AU00000",
      securityCode: ""
    })
    expect(issuePaths(expectLeft(encode(emptyCode)))).toEqual(["securityCode"])
  })

  it("refuses empty fields when decoding too", () => {
    const decode = Schema.decodeUnknownEither(ConnectionSchemas.PostConnectionBody, { errors: "all" })
    const error = expectLeft(decode({ loginId: "a", password: "", institution: {} }))
    expect(issuePaths(error)).toEqual(["password", "institution.id"])
  })

  it("never shows a credential in String, JSON.stringify, inspect or a parse error", () => {
    const body = Schema.decodeUnknownSync(ConnectionSchemas.PostConnectionBody)({
      loginId: "ada.quill.login",
      password: secret,
      institution: { id: "AU00000" },
      securityCode: "998877"
    })
    for (const text of [String(body), JSON.stringify(body), inspect(body, { depth: 10 }), `${body.password}`]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain("ada.quill.login")
      expect(text).not.toContain("998877")
    }
    expect(JSON.stringify(body)).toContain("<redacted>")
    // an encoding failure elsewhere in the body does not print the credentials
    const bad = { ...body, institution: { id: "" } }
    const error = expectLeft(Schema.encodeEither(ConnectionSchemas.PostConnectionBody)(bad))
    expect(issuePaths(error)).toEqual(["institution.id"])
    expect(error.message).not.toContain(secret)
    expect(inspect(error, { depth: 10 })).not.toContain(secret)
  })
})

describe("UpdateConnectionBody", () => {
  it("encodes to the wire JSON", () => {
    const body = ConnectionSchemas.makeUpdateConnectionBody({ password: "n3w-pass", secondaryLoginId: "x-1" })
    expect(Schema.encodeSync(ConnectionSchemas.UpdateConnectionBody)(body)).toEqual({
      password: "n3w-pass",
      secondaryLoginId: "x-1"
    })
  })

  it("refuses an empty password with its path", () => {
    const body = ConnectionSchemas.makeUpdateConnectionBody({ password: Redacted.make("") })
    const error = expectLeft(Schema.encodeEither(ConnectionSchemas.UpdateConnectionBody)(body))
    expect(issuePaths(error)).toEqual(["password"])
  })

  it("refuses a plain string where a Redacted is expected", () => {
    const error = expectLeft(
      Schema.encodeUnknownEither(ConnectionSchemas.UpdateConnectionBody)({ password: "plain-secret-value" })
    )
    expect(issuePaths(error)).toEqual(["password"])
    expect(error.message).not.toContain("plain-secret-value")
  })

  it("never shows the password", () => {
    const body = ConnectionSchemas.makeUpdateConnectionBody({ password: "n3w-pass" })
    expect(inspect(body)).not.toContain("n3w-pass")
    expect(JSON.stringify(body)).not.toContain("n3w-pass")
  })
})
