// The visitor's e-portfolio, sealed (R9): what the visitor kept, encrypted on their
// device with WebCrypto's AES-256-GCM under a key only they can make again — from a
// generated recovery code (HKDF-SHA-256) or from a passphrase they chose
// (PBKDF2-SHA-256, 600,000 iterations, as OWASP advises). The envelope is the
// `.parole` file, documented in PROTOCOL.md ("The portfolio file"); nothing here
// talks to the server. Runs unchanged in the browser and in `node --test`.

export const FORMAT = "parole-portfolio";
export const VERSION = 1;
export const PBKDF2_ITERATIONS = 600_000;
export const CODE_BYTES = 20; // 160 random bits, 32 characters of base 32
export const PASSPHRASE_MIN = 12;
export const MAX_FILE = 1_000_000; // characters of a file or text code
export const TEXT_CODE_MAX = 3000; // above, the portfolio goes as a file only
const TEXT_PREFIX = "PAROLE1:";
const INFO = "parole portfolio v1";
// Crockford's base 32: no I, L, O, U; read back I and L as 1, O as 0.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A refused secret or file; `code` names the reason (widget.portfolio.error.<code>). */
export class VaultError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function toBase64(bytes) {
  let text = "";
  // By chunks: one call per 32 KiB rather than a string step per byte.
  for (let at = 0; at < bytes.length; at += 0x8000) text += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64(text, length) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) throw new VaultError("damaged");
  let binary;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new VaultError("damaged");
  }
  const bytes = new Uint8Array(binary.length);
  for (let at = 0; at < binary.length; at++) bytes[at] = binary.charCodeAt(at);
  if (length !== undefined && bytes.length !== length) throw new VaultError("damaged");
  return bytes;
}

/** A new recovery code: 160 random bits as eight groups of four characters. */
export function newCode() {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_BYTES));
  let bits = 0;
  let value = 0;
  let text = "";
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += ALPHABET[(value >> bits) & 31];
    }
  }
  return text.match(/.{4}/g).join("-");
}

/** The bytes of a recovery code as typed: case, spaces and dashes ignored. */
export function codeBytes(code) {
  const clean = String(code).toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (clean.length !== (CODE_BYTES * 8) / 5) throw new VaultError("code_length");
  const bytes = new Uint8Array(CODE_BYTES);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of clean) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new VaultError("code_letters");
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (value >> bits) & 255;
    }
  }
  return bytes;
}

/** The key-derivation header for a new portfolio: `kind` is "code" or "passphrase". */
export function newHeader(kind) {
  const salt = toBase64(crypto.getRandomValues(new Uint8Array(16)));
  const kdf = kind === "code" ? { name: "HKDF-SHA-256" } : { name: "PBKDF2-SHA-256", iterations: PBKDF2_ITERATIONS };
  return { format: FORMAT, v: VERSION, kdf, salt };
}

/** Is this the secret's kind: a recovery code ("code") or a passphrase? */
export function secretKind(header) {
  return header.kdf.name === "HKDF-SHA-256" ? "code" : "passphrase";
}

/** The AES-256-GCM key of `header` from `secret`; a non-extractable CryptoKey. */
export async function deriveKey(header, secret) {
  const salt = fromBase64(header.salt, 16);
  const usage = ["encrypt", "decrypt"];
  const aes = { name: "AES-GCM", length: 256 };
  if (header.kdf.name === "HKDF-SHA-256") {
    const base = await crypto.subtle.importKey("raw", codeBytes(secret), "HKDF", false, ["deriveKey"]);
    const params = { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(INFO) };
    return crypto.subtle.deriveKey(params, base, aes, false, usage);
  }
  if ([...String(secret)].length < PASSPHRASE_MIN) throw new VaultError("passphrase_short");
  const base = await crypto.subtle.importKey("raw", encoder.encode(String(secret).normalize("NFC")), "PBKDF2", false, [
    "deriveKey",
  ]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt, iterations: header.kdf.iterations };
  return crypto.subtle.deriveKey(params, base, aes, false, usage);
}

// The header is authenticated with the ciphertext: changing the KDF, its iterations
// or the salt makes the file fail to open, as changing one byte of the text does.
function additional(header) {
  const kdf = header.kdf;
  return encoder.encode(JSON.stringify([header.format, header.v, kdf.name, kdf.iterations ?? 0, header.salt]));
}

/** The envelope of `content` (any JSON value) under `key`, with a fresh nonce. */
export async function seal(header, key, content) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const params = { name: "AES-GCM", iv: nonce, additionalData: additional(header) };
  const sealed = await crypto.subtle.encrypt(params, key, encoder.encode(JSON.stringify(content)));
  return { ...header, nonce: toBase64(nonce), ciphertext: toBase64(new Uint8Array(sealed)) };
}

/** The header of an envelope, checked: raises VaultError for anything else. */
export function readHeader(envelope) {
  if (typeof envelope !== "object" || envelope === null || Array.isArray(envelope)) throw new VaultError("not_portfolio");
  if (envelope.format !== FORMAT) throw new VaultError("not_portfolio");
  if (envelope.v !== VERSION) throw new VaultError("version");
  const kdf = envelope.kdf;
  let checked;
  if (kdf?.name === "HKDF-SHA-256" && Object.keys(kdf).length === 1) checked = { name: kdf.name };
  else if (
    kdf?.name === "PBKDF2-SHA-256" &&
    Number.isInteger(kdf.iterations) &&
    kdf.iterations >= PBKDF2_ITERATIONS &&
    kdf.iterations <= 10 * PBKDF2_ITERATIONS
  )
    checked = { name: kdf.name, iterations: kdf.iterations };
  else throw new VaultError("damaged");
  fromBase64(envelope.salt, 16);
  fromBase64(envelope.nonce, 12);
  if (fromBase64(envelope.ciphertext).length < 16) throw new VaultError("damaged");
  return { format: FORMAT, v: VERSION, kdf: checked, salt: envelope.salt };
}

/** The content sealed in `envelope`; VaultError("secret") if the key does not open it. */
export async function unseal(envelope, key) {
  const header = readHeader(envelope);
  const params = { name: "AES-GCM", iv: fromBase64(envelope.nonce, 12), additionalData: additional(header) };
  let plain;
  try {
    plain = await crypto.subtle.decrypt(params, key, fromBase64(envelope.ciphertext));
  } catch {
    throw new VaultError("secret"); // a wrong secret and a changed byte look the same
  }
  try {
    return JSON.parse(decoder.decode(plain));
  } catch {
    throw new VaultError("damaged");
  }
}

/** Open an envelope with a secret as typed: { header, key, content }. */
export async function open(envelope, secret) {
  const header = readHeader(envelope);
  const key = await deriveKey(header, secret);
  return { header, key, content: await unseal(envelope, key) };
}

/** The `.parole` file's text. */
export function fileText(envelope) {
  return `${JSON.stringify(envelope, null, 1)}\n`;
}

/** The envelope as a text code a person can paste, or null when too long for one. */
export function textCode(envelope) {
  const code = TEXT_PREFIX + toBase64(encoder.encode(JSON.stringify(envelope)));
  return code.length <= TEXT_CODE_MAX ? code : null;
}

/** The envelope in a file's text or a text code; VaultError when it holds none. */
export function readEnvelope(text) {
  if (typeof text !== "string" || text.length > MAX_FILE) throw new VaultError("not_portfolio");
  let clean = text.trim();
  if (clean.toUpperCase().startsWith(TEXT_PREFIX)) {
    try {
      clean = decoder.decode(fromBase64(clean.slice(TEXT_PREFIX.length).replace(/\s/g, "")));
    } catch {
      throw new VaultError("damaged");
    }
  }
  let envelope;
  try {
    envelope = JSON.parse(clean);
  } catch {
    throw new VaultError(clean.startsWith("{") ? "damaged" : "not_portfolio");
  }
  readHeader(envelope);
  return envelope;
}

/** Seconds to wait before the next try after `failures` wrong secrets in a row. */
export function retryDelay(failures) {
  return failures < 2 ? 0 : Math.min(30, 2 ** (failures - 2));
}
