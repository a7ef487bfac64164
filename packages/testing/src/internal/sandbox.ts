/**
 * Basiq's sandbox, as the fake models it: institutions, logins and what each login does.
 *
 * @internal
 */

/** A failed job step's `result`. */
export interface StepError {
  readonly code: string
  readonly title: string
  readonly detail: string
}

/** An MFA challenge and the answer that passes it. */
export interface MfaSpec {
  readonly method: "token" | "security-questions"
  readonly description: string
  readonly input: ReadonlyArray<string>
  readonly answer: ReadonlyArray<string>
}

/** What a job started with some credentials at some institution does. */
export interface Outcome {
  readonly failure?: StepError
  readonly mfa?: MfaSpec
  readonly name?: readonly [first: string, last: string]
}

/** Hooli, the sandbox test bank. */
export const HOOLI = "AU00000"
/** The institution whose MFA logins stop at `mfa-challenge`. */
export const HOOLI_MFA = "AU00002"

/** The sandbox institutions, by id, with a display name. */
export const institutions: ReadonlyMap<string, string> = new Map([
  [HOOLI, "Hooli"],
  [HOOLI_MFA, "Hooli (MFA)"],
  ["AU00004", "HooliGov Bank"]
])

export const isKnownInstitution = (id: string): boolean => institutions.has(id)

const credentials = (detail: string): StepError => ({
  code: "invalid-credentials",
  title: "Cannot login to target institution using supplied credentials.",
  detail
})

export const wrongMfaAnswer: StepError = credentials("The MFA response was not correct.")

export const mfaExpired: StepError = {
  code: "job-timed-out",
  title: "MFA challenge expired.",
  detail: "No MFA response was received before the challenge expired."
}

export const MFA_EXPIRY_MS = 120_000

const token: MfaSpec = {
  method: "token",
  description: "An SMS code has been sent to your device, please enter it",
  input: ["OTP Password"],
  answer: ["1234"]
}

const oneQuestion: MfaSpec = {
  method: "security-questions",
  description: "Please answer the security question",
  input: ["What is the name of your employer?"],
  answer: ["Hooli"]
}

const twoQuestions: MfaSpec = {
  method: "security-questions",
  description: "Please answer the security questions",
  input: ["Which company built this sandbox?", "What is your bank's institution id?"],
  answer: ["Basiq", "AU00000"]
}

interface Login {
  readonly password: string
  readonly name: readonly [string, string]
  readonly mfa?: MfaSpec
  readonly failure?: StepError
}

const logins: ReadonlyMap<string, Login> = new Map<string, Login>([
  ["Wentworth-Smith", { password: "whislter", name: ["Wentworth", "Smith"], mfa: twoQuestions }],
  ["Whistler", { password: "ShowBox", name: ["Jane", "Whistler"], mfa: twoQuestions }],
  ["gavinBelson", { password: "hooli2016", name: ["Gavin", "Belson"], mfa: oneQuestion }],
  ["Gilfoyle", { password: "PiedPiper", name: ["Bertram", "Gilfoyle"], mfa: oneQuestion }],
  ["jared", { password: "django", name: ["Jared", "Dunn"], mfa: token }],
  ["richard", { password: "tabsnotspaces", name: ["Richard", "Hendricks"], mfa: token }],
  ["laurieBream", { password: "business2024", name: ["Laurie", "Bream"] }],
  ["ashMann", { password: "hooli2024", name: ["Ash", "Mann"] }],
  ["bighead", { password: "password", name: ["Nelson", "Bighetti"], failure: credentials("Account is locked") }],
  [
    "erlich",
    {
      password: "aviato",
      name: ["Erlich", "Bachman"],
      failure: {
        code: "account-not-accessible-requires-user-action",
        title: "Account not accessible, user action is required.",
        detail: "Log in to the institution's website and complete the action it asks for, then retry."
      }
    }
  ],
  [
    "jianYang",
    {
      password: "nothotdog",
      name: ["Jian", "Yang"],
      failure: {
        code: "service-unavailable",
        title: "Institution service is currently unavailable.",
        detail: "The institution is temporarily unavailable. Please try again later."
      }
    }
  ]
])

/** Each sandbox login with its password and, in words, what a job with it does at each institution. */
export const loginList = (): ReadonlyArray<{
  readonly loginId: string
  readonly password: string
  readonly does: string
}> =>
  [...logins].map(([loginId, login]) => ({
    loginId,
    password: login.password,
    does:
      login.failure !== undefined
        ? `fails: ${login.failure.code}`
        : login.mfa === undefined
          ? "connects"
          : `connects; at ${HOOLI_MFA} asks for MFA (${login.mfa.method}, answer ${login.mfa.answer.join(", ")})`
  }))

/**
 * What a job does for these credentials. `undefined` credentials (a seeded connection) always
 * succeed without MFA.
 */
export const outcomeFor = (
  institutionId: string,
  credentials_: { readonly loginId: string; readonly password: string } | undefined
): Outcome => {
  if (!isKnownInstitution(institutionId)) {
    return {
      failure: {
        code: "institution-not-found",
        title: "Institution not found.",
        detail: `Institution with id '${institutionId}' does not exist.`
      }
    }
  }
  if (credentials_ === undefined) return {}
  const login = logins.get(credentials_.loginId)
  if (login === undefined || login.password !== credentials_.password) {
    return { failure: credentials("Invalid username or password.") }
  }
  if (login.failure !== undefined) return { failure: login.failure, name: login.name }
  if (institutionId === HOOLI_MFA && login.mfa !== undefined) return { mfa: login.mfa, name: login.name }
  return { name: login.name }
}

/** The accounts a sandbox login brings, before ids and timestamps are added. */
export const defaultAccounts: ReadonlyArray<{
  readonly name: string
  readonly accountNo: string
  readonly class: { readonly type: string; readonly product: string }
  readonly balance: string | null
  readonly availableFunds: string | null
}> = [
  {
    name: "Hooli Everyday",
    accountNo: "600000-157441965",
    class: { type: "transaction", product: "Everyday Account" },
    balance: "1523.47",
    availableFunds: "1523.47"
  },
  {
    name: "Hooli Savings",
    accountNo: "600000-157441973",
    class: { type: "savings", product: "Online Saver" },
    balance: "12000.00",
    availableFunds: "12000.00"
  },
  {
    name: "Hooli Platinum",
    accountNo: "4513-XXXX-XXXX-3854",
    class: { type: "credit-card", product: "Platinum Credit Card" },
    balance: "-2345.10",
    availableFunds: "7654.90"
  },
  {
    name: "Hooli Home Loan",
    accountNo: "600000-346454",
    class: { type: "mortgage", product: "Variable Home Loan" },
    balance: "-299292.25",
    availableFunds: null
  }
]
