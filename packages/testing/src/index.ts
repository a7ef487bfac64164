export * as InMemoryBasiq from "./InMemoryBasiq.js"
