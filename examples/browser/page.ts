/**
 * A page of a web app that uses the SDK's promise client (`createBasiqClient` from
 * `basiq-effect`) in the browser, bundled by esbuild for the browser (`FetchTransport` is the
 * default transport there). It holds no API key: its back end (the
 * test's page server) mints a `CLIENT_ACCESS` token for the signed-in user at
 * `/api/client-token`, and the page calls Basiq with it. The browser test drives it through
 * `window.basiqPage`.
 */

import { type ConsentUi, createBasiqClient, Jobs } from "basiq-effect"
import { Duration, Schedule } from "effect"

/** What the page offers the test (all results are plain, serializable values). */
export interface BasiqPage {
  /** How many requests to Basiq went through the browser's own `fetch` (the SDK's transport here). */
  readonly fetchCalls: () => number
  /** Reads the redirect back from the consent page (`location.href` by default). */
  readonly parseRedirect: (href?: string) => ConsentUi.Redirect
  /** Reads a job's status once. */
  readonly getJob: (jobId: string) => Promise<JobView>
  /** Waits until the job is done (polling every 10 ms, at most 10 s). */
  readonly waitForJob: (jobId: string) => Promise<JobView>
  /** A call that fails (one attempt, no retries): the error's tag, status and reason, as the SDK reports them. */
  readonly getJobError: (jobId: string) => Promise<CallError>
  /** Verifies a webhook delivery with WebCrypto. */
  readonly verify: (delivery: {
    readonly secret: string
    readonly body: string
    readonly headers: Readonly<Record<string, string>>
  }) => Promise<
    | { readonly ok: true; readonly eventTypeId: string; readonly eventId: string }
    | { readonly ok: false; readonly reason: string }
  >
}

/** A failed call as the page shows it. */
export interface CallError {
  readonly tag: string
  readonly status: number | undefined
  readonly reason: string | undefined
  /** `Retry-After` in seconds, when the SDK could read it (the fake exposes it to browsers). */
  readonly retryAfterSeconds: number | undefined
}

/** A job as the page shows it. */
export interface JobView {
  readonly id: string
  readonly steps: ReadonlyArray<{ readonly title: string; readonly status: string }>
  readonly state: Jobs.JobState["_tag"]
}

declare global {
  interface Window {
    basiqPage?: BasiqPage
  }
}

/** The app's own back end: it mints the user's client token (the API key stays there). */
const clientToken = async (): Promise<string> => {
  const response = await fetch("/api/client-token", { method: "POST" })
  if (!response.ok) throw new Error(`the app's back end refused a client token (${response.status})`)
  return response.text()
}

const baseUrl = document.body.dataset.basiqUrl ?? ""

// The app counts the requests to Basiq made with the browser's `fetch` (the SDK looks it up per request).
let fetchCalls = 0
const browserFetch = window.fetch.bind(window)
window.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  if (baseUrl !== "" && url.startsWith(baseUrl)) fetchCalls++
  return browserFetch(input, init)
}

/**
 * The promise client with a client token instead of an API key: it calls `clientToken` for a
 * token, and again when Basiq rejects it (expired). The default transport here is `fetch`.
 */
const basiq = createBasiqClient({ clientToken, baseUrl })

/** The same, without retries (to see a failure at once). */
const once = createBasiqClient({ clientToken, baseUrl, retry: false })

const field = (error: unknown, name: string): unknown =>
  typeof error === "object" && error !== null && name in error ? (error as Record<string, unknown>)[name] : undefined

const view = (job: Parameters<typeof Jobs.jobState>[0]): JobView => ({
  id: job.id,
  steps: job.steps.map((s) => ({ title: s.title, status: s.status })),
  state: Jobs.jobState(job)._tag
})

const page: BasiqPage = {
  fetchCalls: () => fetchCalls,
  parseRedirect: (href = window.location.href) => basiq.consentUi.parseRedirect(href),
  getJob: (jobId) => basiq.jobs.getJob(jobId).then(view),
  waitForJob: (jobId) =>
    basiq.jobs.waitForJob(jobId, { schedule: Schedule.spaced("10 millis"), timeout: "10 seconds" }).then(view),
  getJobError: (jobId) =>
    once.jobs.getJob(jobId).then(
      (): CallError => ({ tag: "none", status: undefined, reason: undefined, retryAfterSeconds: undefined }),
      (error: unknown): CallError => {
        const status = field(error, "status")
        const reason = field(error, "reason")
        const retryAfter = field(error, "retryAfter")
        return {
          tag: String(field(error, "_tag") ?? error),
          status: typeof status === "number" ? status : undefined,
          reason: typeof reason === "string" ? reason : undefined,
          retryAfterSeconds: Duration.isDuration(retryAfter) ? Duration.toSeconds(retryAfter) : undefined
        }
      }
    ),
  verify: ({ secret, body, headers }) =>
    basiq.webhooks.verify(body, headers, { secret }).then(
      (n) => ({ ok: true, eventTypeId: n.eventTypeId, eventId: n.eventId }) as const,
      (error: unknown) => ({ ok: false, reason: String(field(error, "reason") ?? error) }) as const
    )
}

window.basiqPage = page
