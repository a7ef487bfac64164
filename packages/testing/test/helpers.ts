import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect } from "effect"
import type { InMemoryBasiq } from "../src/index.js"
import * as Engine from "../src/internal/engine.js"
import * as Transport from "../src/internal/transport.js"

export const BASE = "https://au-api.basiq.io"

export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly body: unknown
}

export interface ErrorBody {
  readonly type: "list"
  readonly correlationId: string
  readonly data: ReadonlyArray<{
    readonly type: "error"
    readonly code: string
    readonly title: string
    readonly detail?: string
    readonly source?: { readonly parameter?: string; readonly pointer?: string }
  }>
}

export interface JobRef {
  readonly type: "job"
  readonly id: string
  readonly links: { readonly self: string }
}

export interface Step {
  readonly title: string
  readonly status: "pending" | "in-progress" | "success" | "failed"
  readonly result: null | {
    readonly type?: string
    readonly url?: string
    readonly code?: string
    readonly title?: string
    readonly detail?: string
    readonly method?: string
    readonly description?: string
    readonly input?: ReadonlyArray<string>
    readonly expiryMs?: number
    readonly links?: { readonly response: string }
  }
}

export interface Job {
  readonly type: "job"
  readonly id: string
  readonly created: string
  readonly updated: string
  readonly steps: ReadonlyArray<Step>
  readonly links: { readonly self: string; readonly source: string }
  readonly institution?: { readonly id: string }
}

export interface List<A> {
  readonly type: "list"
  readonly size?: number
  readonly data: ReadonlyArray<A>
  readonly links?: { readonly self: string }
}

export interface Summary {
  readonly id: string
  readonly status: string
  readonly institution: { readonly id: string }
}

export type Connection = InMemoryBasiq.Connection

export interface SendOptions {
  readonly token?: string
  readonly json?: unknown
  readonly body?: string
  readonly contentType?: string
  readonly headers?: Readonly<Record<string, string>>
}

/** Sends one request through the layer's HttpClient. */
export const request = (method: "GET" | "POST" | "DELETE" | "PUT", path: string, options: SendOptions = {}) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(`${BASE}${path}`)
    if (options.token !== undefined) request = HttpClientRequest.bearerToken(request, options.token)
    if (options.json !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, options.json)
    if (options.body !== undefined) {
      request = HttpClientRequest.bodyText(request, options.body, options.contentType ?? "application/json")
    }
    if (options.headers !== undefined) request = HttpClientRequest.setHeaders(request, options.headers)
    return yield* client.execute(request)
  })

/** Sends one request through the layer's HttpClient and reads the whole answer. */
export const send = (method: "GET" | "POST" | "DELETE" | "PUT", path: string, options: SendOptions = {}) =>
  Effect.gen(function* () {
    const response = yield* request(method, path, options)
    const text = yield* response.text
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: text === "" ? undefined : (JSON.parse(text) as unknown)
    } satisfies Reply
  }).pipe(Effect.orDie)

export const tokenHeaders = { authorization: "Basic test-key", "basiq-version": "3.0" }

/** A server token. */
export const token = Effect.map(
  send("POST", "/token", {
    headers: tokenHeaders,
    body: "scope=SERVER_ACCESS",
    contentType: "application/x-www-form-urlencoded"
  }),
  (reply) => (reply.body as { readonly access_token: string }).access_token
)

/** A token and a user created over the wire. */
export const setup = Effect.gen(function* () {
  const t = yield* token
  const user = yield* send("POST", "/users", { token: t, json: { email: "max@hooli.example" } })
  return { token: t, userId: (user.body as { readonly id: string }).id }
})

/** Starts a connection job and returns its id. */
export const connect = (t: string, userId: string, loginId: string, password: string, institutionId = "AU00000") =>
  Effect.map(
    send("POST", `/users/${userId}/connections`, {
      token: t,
      json: { loginId, password, institution: { id: institutionId } }
    }),
    (reply) => (reply.body as JobRef).id
  )

export const getJob = (t: string, jobId: string) =>
  Effect.map(send("GET", `/jobs/${jobId}`, { token: t }), (reply) => reply.body as Job)

export const statuses = (job: Job) => job.steps.map((step) => `${step.title}:${step.status}`)

export const connectionIdOf = (job: Job) => job.links.source.split("/").pop() ?? ""

export const errorOf = (reply: Reply) => (reply.body as ErrorBody).data[0]

/**
 * A fresh fake reached through its in-process `fetch` itself, with no `HttpClient` in between: what
 * the layer's `FetchTransport` is given. Its routes run on the caller's runtime (and `Clock`).
 */
export const inMemoryFetch = (options: InMemoryBasiq.LayerOptions = {}) =>
  Effect.map(Engine.make(options, BASE), (engine) => ({ fetch: Transport.makeFetch(engine), basiq: engine.control }))
