/**
 * Sealing of server tokens for a `BasiqTokenStore`, with WebCrypto only (browsers, edge, Node).
 *
 * From the API key (HKDF-SHA256 input key material; salt: base URL and API version) two keys are
 * derived with different `info`: an AES-256-GCM key that seals the token, and 128 bits that name
 * the store's keys. The store never sees the API key, the token, or anything from which either
 * can be computed; another API key (or environment) gives other names and another sealing key.
 *
 * A sealed value is `version (1) | IV (12) | AES-GCM(ciphertext + tag)` over the JSON
 * `{"t": token, "e": expiresAt}`, with the key name as additional data (a value copied to another
 * key does not open).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const version = 1
const ivBytes = 12
const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

/** @internal */
export interface Keys {
  /** The store key of the server token. */
  readonly token: string
  /** The store key of the exchange lock. */
  readonly lock: string
  readonly aead: CryptoKey
}

/** @internal */
export interface Opened {
  readonly token: Redacted.Redacted<string>
  /** Epoch milliseconds after which the token is not used (the refresh margin already applied). */
  readonly expiresAt: number
}

const hex = (bytes: Uint8Array): string => {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}

/**
 * Derives the sealing key and the key names. Fails (as a defect-free `None`) only when WebCrypto is
 * missing, in which case the store is not used.
 *
 * @internal
 */
export const deriveKeys = (
  apiKey: Redacted.Redacted<string>,
  baseUrl: string,
  apiVersion: string
): Effect.Effect<Option.Option<Keys>> =>
  Effect.promise(async () => {
    const subtle = globalThis.crypto?.subtle
    if (subtle === undefined) return Option.none()
    const ikm = await subtle.importKey("raw", encoder.encode(Redacted.value(apiKey)), "HKDF", false, [
      "deriveKey",
      "deriveBits"
    ])
    const salt = encoder.encode(`basiq-effect token store\n${baseUrl}\n${apiVersion}`)
    const aead = await subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode("basiq-effect/token-seal/v1") },
      ikm,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"]
    )
    const nameBits = new Uint8Array(
      await subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode("basiq-effect/token-key-name/v1") },
        ikm,
        128
      )
    )
    const name = hex(nameBits)
    return Option.some({ token: `token:${name}`, lock: `lock:${name}`, aead })
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(Option.none<Keys>())))

/**
 * Seals a token.
 *
 * @internal
 */
export const seal = (keys: Keys, opened: Opened): Effect.Effect<Option.Option<Uint8Array>> =>
  Effect.promise(async () => {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(ivBytes))
    const plain = encoder.encode(JSON.stringify({ t: Redacted.value(opened.token), e: opened.expiresAt }))
    const cipher = new Uint8Array(
      await globalThis.crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(keys.token) },
        keys.aead,
        plain
      )
    )
    const out = new Uint8Array(1 + ivBytes + cipher.length)
    out[0] = version
    out.set(iv, 1)
    out.set(cipher, 1 + ivBytes)
    return Option.some(out)
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(Option.none<Uint8Array>())))

/** A token a header can carry (visible ASCII), as `BasiqAuth` accepts from `/token`. */
const tokenText = /^[\x21-\x7e]{1,8192}$/

/**
 * Opens a sealed value: `None` for anything that is not a value sealed with these keys for this
 * key name (tampered, foreign, truncated, another format).
 *
 * @internal
 */
export const open = (keys: Keys, given: Uint8Array): Effect.Effect<Option.Option<Opened>> => {
  if (!(given instanceof Uint8Array) || given.length < 1 + ivBytes + 16 || given[0] !== version) {
    return Effect.succeed(Option.none())
  }
  // A copy on a plain `ArrayBuffer` (the store may hand a view of a shared or pooled buffer).
  const sealed = new Uint8Array(given)
  return Effect.promise(async (): Promise<Option.Option<Opened>> => {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.subarray(1, 1 + ivBytes), additionalData: encoder.encode(keys.token) },
      keys.aead,
      sealed.subarray(1 + ivBytes)
    )
    const parsed: unknown = JSON.parse(decoder.decode(plain))
    if (typeof parsed !== "object" || parsed === null) return Option.none()
    const { e, t } = parsed as { readonly t?: unknown; readonly e?: unknown }
    if (typeof t !== "string" || !tokenText.test(t) || typeof e !== "number" || !Number.isFinite(e)) {
      return Option.none()
    }
    return Option.some({ token: Redacted.make(t), expiresAt: e })
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(Option.none<Opened>())))
}
