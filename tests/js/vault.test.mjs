// The portfolio's envelope (widget/static/vault.js) with Node's own WebCrypto: round
// trips under both key kinds, and every way a secret or a file can be wrong.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as vault from "../../widget/static/vault.js";

const CONTENT = { v: 1, items: [{ id: "a1", kind: "note", at: 1765000000000, text: "Relancer l'agence — « é » 🙂" }] };
const PASSPHRASE = "trois chevaux verts dansent";

async function sealed(kind, secret) {
  const header = vault.newHeader(kind);
  return vault.seal(header, await vault.deriveKey(header, secret), CONTENT);
}

async function refused(promise, code) {
  await assert.rejects(promise, (error) => error instanceof vault.VaultError && error.code === code);
}

test("a recovery code is 160 random bits in eight groups, read back however it is typed", () => {
  const code = vault.newCode();
  assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.notEqual(vault.newCode(), code);
  const bytes = vault.codeBytes(code);
  assert.equal(bytes.length, 20);
  assert.deepEqual(vault.codeBytes(` ${code.toLowerCase().replace(/-/g, " ")} `), bytes);
  assert.deepEqual(vault.codeBytes("O".repeat(32)), vault.codeBytes("0".repeat(32)));
  assert.deepEqual(vault.codeBytes("IL".repeat(16)), vault.codeBytes("1".repeat(32)));
  assert.throws(() => vault.codeBytes(code.slice(0, -1)), { code: "code_length" });
  assert.throws(() => vault.codeBytes(`${code.slice(0, -1)}U`), { code: "code_letters" });
});

test("a portfolio sealed under a code opens with that code, and only with it", async () => {
  const code = vault.newCode();
  const envelope = await sealed("code", code);
  assert.equal(envelope.format, "parole-portfolio");
  assert.equal(envelope.v, 1);
  assert.deepEqual(envelope.kdf, { name: "HKDF-SHA-256" });
  assert.ok(!JSON.stringify(envelope).includes("Relancer"), "the text is not in the file");
  const opened = await vault.open(envelope, code.toLowerCase());
  assert.deepEqual(opened.content, CONTENT);
  assert.equal(vault.secretKind(opened.header), "code");
  await refused(vault.open(envelope, vault.newCode()), "secret");
});

test("a portfolio sealed under a passphrase takes PBKDF2 at 600,000 iterations and a 16-byte salt", async () => {
  const envelope = await sealed("passphrase", PASSPHRASE);
  assert.deepEqual(envelope.kdf, { name: "PBKDF2-SHA-256", iterations: 600000 });
  assert.equal(Buffer.from(envelope.salt, "base64url").length, 16);
  assert.equal(Buffer.from(envelope.nonce, "base64url").length, 12);
  const opened = await vault.open(envelope, PASSPHRASE);
  assert.deepEqual(opened.content, CONTENT);
  assert.equal(vault.secretKind(opened.header), "passphrase");
  await refused(vault.open(envelope, `${PASSPHRASE}!`), "secret");
  await refused(vault.open(envelope, "short"), "passphrase_short");
  // Two seals of one content differ (fresh nonce), and a new portfolio gets a new salt.
  const key = opened.key;
  const again = await vault.seal(opened.header, key, CONTENT);
  assert.notEqual(again.nonce, envelope.nonce);
  assert.notEqual(again.ciphertext, envelope.ciphertext);
  assert.notEqual(vault.newHeader("passphrase").salt, envelope.salt);
});

test("one flipped byte of the text, the nonce, the salt or the iterations: the file does not open", async () => {
  const code = vault.newCode();
  const envelope = await sealed("code", code);
  const bytes = Buffer.from(envelope.ciphertext, "base64url");
  for (const at of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const flipped = Buffer.from(bytes);
    flipped[at] ^= 1;
    await refused(vault.open({ ...envelope, ciphertext: flipped.toString("base64url") }, code), "secret");
  }
  const nonce = Buffer.from(envelope.nonce, "base64url");
  nonce[0] ^= 1;
  await refused(vault.open({ ...envelope, nonce: nonce.toString("base64url") }, code), "secret");
  const salt = Buffer.from(envelope.salt, "base64url");
  salt[3] ^= 1;
  await refused(vault.open({ ...envelope, salt: salt.toString("base64url") }, code), "secret");
  const strong = await sealed("passphrase", PASSPHRASE);
  const changed = { ...strong, kdf: { name: "PBKDF2-SHA-256", iterations: 600001 } };
  await refused(vault.open(changed, PASSPHRASE), "secret");
});

test("a truncated file, another version, another kind of file or a weak header is refused", async () => {
  const code = vault.newCode();
  const envelope = await sealed("code", code);
  const text = vault.fileText(envelope);
  assert.deepEqual(vault.readEnvelope(text), envelope);
  assert.throws(() => vault.readEnvelope(text.slice(0, text.length / 2)), { code: "damaged" });
  const short = { ...envelope, ciphertext: envelope.ciphertext.slice(0, 10) };
  assert.throws(() => vault.readHeader(short), { code: "damaged" });
  await refused(vault.open({ ...envelope, ciphertext: envelope.ciphertext.slice(0, -4) }, code), "secret");
  assert.throws(() => vault.readEnvelope(JSON.stringify({ ...envelope, v: 2 })), { code: "version" });
  assert.throws(() => vault.readEnvelope(JSON.stringify({ ...envelope, format: "other" })), { code: "not_portfolio" });
  assert.throws(() => vault.readEnvelope("%PDF-1.7 binary"), { code: "not_portfolio" });
  assert.throws(() => vault.readEnvelope("[1, 2]"), { code: "not_portfolio" });
  assert.throws(() => vault.readEnvelope("x".repeat(vault.MAX_FILE + 1)), { code: "not_portfolio" });
  const weak = { ...envelope, kdf: { name: "PBKDF2-SHA-256", iterations: 1000 } };
  assert.throws(() => vault.readHeader(weak), { code: "damaged" });
  assert.throws(() => vault.readHeader({ ...envelope, kdf: { name: "MD5" } }), { code: "damaged" });
  assert.throws(() => vault.readHeader({ ...envelope, salt: "not base64!" }), { code: "damaged" });
  assert.throws(() => vault.readHeader({ ...envelope, nonce: envelope.salt }), { code: "damaged" });
});

test("the text code carries the same envelope, and a long portfolio goes as a file only", async () => {
  const code = vault.newCode();
  const envelope = await sealed("code", code);
  const text = vault.textCode(envelope);
  assert.match(text, /^PAROLE1:[A-Za-z0-9_-]+$/);
  assert.deepEqual(vault.readEnvelope(`  ${text.slice(0, 40)}\n${text.slice(40)} `), envelope);
  assert.deepEqual((await vault.open(vault.readEnvelope(text), code)).content, CONTENT);
  assert.throws(() => vault.readEnvelope(`${text.slice(0, -6)}`), { code: "damaged" });
  const header = vault.newHeader("code");
  const big = await vault.seal(header, await vault.deriveKey(header, code), { v: 1, items: ["x".repeat(4000)] });
  assert.equal(vault.textCode(big), null);
});

test("wrong secrets in a row wait longer each time, up to 30 seconds", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(vault.retryDelay), [0, 0, 1, 2, 4, 8, 16, 30, 30]);
});
