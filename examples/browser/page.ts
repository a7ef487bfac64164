/**
 * A page of a web app that uses the SDK in the browser, bundled by esbuild for the browser
 * (`FetchTransport` is the default transport there). It holds no API key: its back end (the
 * test's page server) mints a `CLIENT_ACCESS` token for the signed-in user at
 * `/api/client-token`, and the page calls Basiq with it. The browser test drives it through
 * `window.basiqPage`.
 */

import { Jobs } from "@basiq-effect/connections"
import { BasiqAuth, BasiqClient, BasiqConfig, BasiqError, FetchTransport } from "@basiq-effect/core"
import { Webhooks } from "@basiq-effect/events"
import { ConsentUi } from "@basiq-effect/users"
import { Effect, Either, Layer, ManagedRuntime, Redacted, Schedule } from "effect"

/** What the page offers the test (all results are plain, serializable values). */
export interface BasiqPage {
  /** The transport the SDK uses here. */
  readonly transport: string
  /** Reads the redirect back from the consent page (`location.href` by default). */
  readonly parseRedirect: (href?: string) => ConsentUi.Redirect
  /** Reads a job's status once. */
  readonly getJob: (jobId: string) => Promise<JobView>
  /** Waits until the job is done (polling every 10 ms, at most 10 s). */
  readonly waitForJob: (jobId: string) => Promise<JobView>
  /** A call that fails: the error's tag, status and message, as the SDK reports them. */
  readonly getJobError: (jobId: string) => Promise<{ readonly tag: string; readonly status: number | undefined }>
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

/** The SDK over `fetch`, authenticated with the client token only. */
const runtime = ManagedRuntime.make(
  Jobs.layer.pipe(
    Layer.provide(BasiqClient.layer),
    Layer.provide(
      Layer.succeed(BasiqAuth.BasiqAuth, {
        token: Effect.map(
          Effect.tryPromise({
            try: clientToken,
            catch: () =>
              new BasiqError.BasiqAuthenticationError({ reason: "the client token could not be read", attempts: 1 })
          }),
          Redacted.make
        ),
        invalidate: () => Effect.void,
        clientToken: () => Effect.dieMessage("the browser mints no client token")
      })
    ),
    Layer.provide(BasiqConfig.layer({ apiKey: "none-in-the-browser", baseUrl })),
    Layer.provide(FetchTransport.layer)
  )
)

const view = (job: Parameters<typeof Jobs.jobState>[0]): JobView => ({
  id: job.id,
  steps: job.steps.map((s) => ({ title: s.title, status: s.status })),
  state: Jobs.jobState(job)._tag
})

const page: BasiqPage = {
  transport: "fetch",
  parseRedirect: (href = window.location.href) => ConsentUi.parseRedirect(href),
  getJob: (jobId) =>
    runtime.runPromise(
      Effect.map(
        Effect.flatMap(Jobs.Jobs, (j) => j.getJob(jobId)),
        view
      )
    ),
  waitForJob: (jobId) =>
    runtime.runPromise(
      Effect.map(
        Effect.flatMap(Jobs.Jobs, (j) =>
          j.waitForJob(jobId, { schedule: Schedule.spaced("10 millis"), timeout: "10 seconds" })
        ),
        view
      )
    ),
  getJobError: (jobId) =>
    runtime.runPromise(
      Effect.flatMap(Jobs.Jobs, (j) => j.getJob(jobId)).pipe(
        Effect.either,
        Effect.map((result) =>
          Either.isRight(result)
            ? { tag: "none", status: undefined }
            : { tag: result.left._tag, status: "status" in result.left ? Number(result.left.status) : undefined }
        )
      )
    ),
  verify: ({ secret, body, headers }) =>
    Effect.runPromise(
      Webhooks.verify({ secret, payload: body, headers }).pipe(
        Effect.match({
          onSuccess: (n) => ({ ok: true, eventTypeId: n.eventTypeId, eventId: n.eventId }) as const,
          onFailure: (e) => ({ ok: false, reason: e.reason }) as const
        })
      )
    )
}

window.basiqPage = page
