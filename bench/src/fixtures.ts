/**
 * Realistic Basiq connection bodies (v2.1/v3 shape, as `getConnection` returns them): a ~2 KB
 * connection with two accounts and a profile, and a ~200 KB one with 500 accounts.
 */

const origin = "https://au-api.basiq.io"
export const userId = "ea3a81ba-a9b3-4a0e-a8f5-4e4d3ab9e6c1"
export const connectionId = "8fce3b9c-8bd1-4a3a-9ac3-2bd8c2fbbb1d"
const institutionId = "AU00000"

const classes = [
  { type: "transaction", product: "Everyday Account" },
  { type: "savings", product: "Online Saver" },
  { type: "credit-card", product: "Platinum Credit Card" },
  { type: "mortgage", product: "Variable Home Loan" }
] as const

const account = (i: number) => {
  const id = `55bf3f2a-${String(1000 + (i % 9000)).padStart(4, "0")}-4b2c-9f1e-${String(i).padStart(12, "0")}`
  const user = `${origin}/users/${userId}`
  return {
    type: "account",
    id,
    accountNo: `600000-${String(157441965 + i)}`,
    name: ["Hooli Everyday", "Hooli Savings", "Hooli Platinum", "Hooli Home Loan"][i % 4],
    currency: "AUD",
    class: classes[i % 4],
    balance: i % 4 === 3 ? "-299292.25" : `${(1523.47 + i * 17.31).toFixed(2)}`,
    availableFunds: i % 4 === 3 ? null : `${(1523.47 + i * 17.31).toFixed(2)}`,
    lastUpdated: "2024-03-18T04:21:37Z",
    status: "available",
    links: { self: `${user}/accounts/${id}` }
  }
}

/** A connection as Basiq's `GET /users/{userId}/connections/{connectionId}` answers it. */
export const connection = (accounts: number, withProfile: boolean) => {
  const user = `${origin}/users/${userId}`
  return {
    type: "connection",
    id: connectionId,
    status: "active",
    createdDate: "2024-03-18T04:20:11.512Z",
    lastUsed: "2024-03-18T04:21:37Z",
    method: "web",
    mfaEnabled: false,
    institution: { type: "institution", id: institutionId, links: { self: `${origin}/institutions/${institutionId}` } },
    accounts: { type: "list", data: Array.from({ length: accounts }, (_, i) => account(i)) },
    ...(withProfile
      ? {
          profile: {
            fullName: "Gavin Belson",
            firstName: "Gavin",
            lastName: "Belson",
            middleName: "",
            phoneNumbers: ["040534555 ### 991"],
            emailAddresses: ["gavin@hooli.example"],
            physicalAddresses: [
              {
                addressLine1: "91 Fisher Road",
                addressLine2: null,
                addressLine3: null,
                postcode: "2099",
                city: "Dee Why",
                state: "NSW",
                country: "Australia",
                countryCode: "AU",
                formattedAddress: "13/91 Fisher Rd, Dee Why NSW 2099, Australia"
              }
            ]
          }
        }
      : {}),
    links: {
      self: `${user}/connections/${connectionId}`,
      user,
      accounts: `${user}/accounts?filter=institution.id.eq('${institutionId}')`,
      transactions: `${user}/transactions?filter=institution.id.eq('${institutionId}')`
    }
  }
}

/** The ~2 KB body served by the bench server. */
export const smallJson: string = JSON.stringify(connection(2, true))
/** The ~200 KB body with 500 accounts (decode benchmark). */
export const largeJson: string = JSON.stringify(connection(500, true))

/** A JWT-sized server token (Basiq's are ~1 KB). */
export const accessToken: string = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${"Q".repeat(900)}.${"s".repeat(86)}`
