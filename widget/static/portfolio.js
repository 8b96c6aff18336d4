// The visitor's e-portfolio (R9): what they chose to keep — messages, cards, hours on
// duty, notes of their own — held by them alone. Sealed by vault.js on every change;
// on their own device the envelope stays in this origin's IndexedDB, on a shared one
// nothing is written and the portfolio leaves as a file or a code. Nothing here talks
// to the server: an item reaches a conversation only when the visitor sends it.

import * as vault from "./vault.js";

const DB = "parole-portfolio";
const STORE = "vault";
const SLOT = "portfolio";
export const MAX_ITEMS = 500;
const KINDS = ["message", "card", "duty", "note"];
const CARD_FIELDS = ["kind", "title", "text", "url", "day", "start", "place"];

// --- the device's copy ------------------------------------------------------------------
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function slot(mode, act) {
  const open = indexedDB.open(DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await done(open);
  try {
    return await done(act(db.transaction(STORE, mode).objectStore(STORE)));
  } finally {
    db.close();
  }
}

/** The envelope kept on this device, or null (none, or storage refused). */
export async function loadStored() {
  try {
    return (await slot("readonly", (s) => s.get(SLOT))) ?? null;
  } catch {
    return null;
  }
}

const saveStored = (envelope) => slot("readwrite", (s) => s.put(envelope, SLOT));
const eraseStored = () => slot("readwrite", (s) => s.delete(SLOT));

// --- items ------------------------------------------------------------------------------
function text(value, max) {
  return typeof value === "string" ? [...value].slice(0, max).join("") : "";
}

/** One item as kept, or null: whatever a file holds, only known fields of known kinds. */
export function cleanItem(raw) {
  if (typeof raw !== "object" || raw === null || !KINDS.includes(raw.kind)) return null;
  const id = text(raw.id, 80);
  if (!id || !Number.isSafeInteger(raw.at)) return null;
  const item = { id, kind: raw.kind, at: raw.at, pole: text(raw.pole, 200), author: text(raw.author, 40) };
  if (raw.kind === "card") {
    if (typeof raw.card !== "object" || raw.card === null) return null;
    item.card = {};
    for (const field of CARD_FIELDS) item.card[field] = text(raw.card[field], field === "text" ? 600 : 300);
    if (!item.card.title) return null;
  } else if (raw.kind === "duty") {
    item.lines = Array.isArray(raw.lines) ? raw.lines.slice(0, 6).map((line) => text(line, 300)).filter(Boolean) : [];
    if (!item.lines.length) return null;
  } else {
    item.text = text(raw.text, 4000);
    if (!item.text.trim()) return null;
  }
  return item;
}

/** The items of an opened envelope's content, cleaned, oldest first, one per id. */
export function cleanItems(content) {
  const list = Array.isArray(content?.items) ? content.items : [];
  return merge([], list.map(cleanItem).filter(Boolean));
}

/** `items` and `more`, one per id, oldest first, at most MAX_ITEMS (the newest). */
export function merge(items, more) {
  const byId = new Map(items.map((item) => [item.id, item]));
  for (const item of more) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => a.at - b.at).slice(-MAX_ITEMS);
}

/** The words an item becomes when the visitor sends it into a conversation. */
export function itemText(item, when = "") {
  if (item.kind === "card") {
    const c = item.card;
    return [c.title, [when, c.place].filter(Boolean).join(" · "), c.text, c.url].filter(Boolean).join("\n");
  }
  if (item.kind === "duty") return item.lines.join("\n");
  return item.text;
}

// --- the portfolio ----------------------------------------------------------------------
/**
 * The visitor's portfolio while this page lives. Locked until created, unlocked or
 * imported; the key is a non-extractable CryptoKey that never leaves memory.
 */
export class Portfolio {
  constructor() {
    this.items = [];
    this.header = null;
    this.key = null;
    this.device = null; // "own": kept in this browser; "shared": nothing written here
    this.envelope = null; // the latest seal, for export
    this.stored = null; // the envelope found on this device when the page opened
    this.failures = 0;
    this.waitUntil = 0;
  }

  get unlocked() {
    return this.key !== null;
  }

  async load() {
    this.stored = await loadStored();
    return this.stored;
  }

  /** A new, empty portfolio under a new secret; `device`: "own" or "shared". */
  async create(kind, secret, device) {
    const header = vault.newHeader(kind);
    this.key = await vault.deriveKey(header, secret);
    this.header = header;
    this.device = device;
    this.items = [];
    await this.persist();
  }

  /** Open the portfolio kept on this device; raises VaultError, slowed after failures. */
  async unlock(secret) {
    await this.openEnvelope(this.stored, secret);
    this.device = "own";
  }

  /** Open an exported file or code: into this portfolio if open, else as this one. */
  async importText(fileText, secret, device) {
    const envelope = vault.readEnvelope(fileText);
    if (this.unlocked) {
      const opened = await this.tryOpen(envelope, secret);
      this.items = merge(this.items, cleanItems(opened.content));
    } else {
      await this.openEnvelope(envelope, secret);
      this.device = device;
    }
    await this.persist();
  }

  async openEnvelope(envelope, secret) {
    const opened = await this.tryOpen(envelope, secret);
    this.header = opened.header;
    this.key = opened.key;
    this.items = cleanItems(opened.content);
    this.envelope = envelope;
  }

  /** Seconds before another secret may be tried (0: now). */
  wait() {
    return Math.max(0, Math.ceil((this.waitUntil - Date.now()) / 1000));
  }

  async tryOpen(envelope, secret) {
    if (this.wait() > 0) throw new vault.VaultError("wait");
    try {
      const opened = await vault.open(envelope, secret);
      this.failures = 0;
      return opened;
    } catch (error) {
      if (error.code === "secret") {
        this.failures += 1;
        this.waitUntil = Date.now() + vault.retryDelay(this.failures) * 1000;
      }
      throw error;
    }
  }

  has(id) {
    return this.items.some((item) => item.id === id);
  }

  async keep(item) {
    this.items = merge(this.items, [item]);
    await this.persist();
  }

  async remove(id) {
    this.items = this.items.filter((item) => item.id !== id);
    await this.persist();
  }

  /** Seal again (a fresh nonce) and, on the visitor's own device, store. */
  async persist() {
    this.envelope = await vault.seal(this.header, this.key, { v: 1, items: this.items });
    if (this.device === "own") {
      await saveStored(this.envelope);
      this.stored = this.envelope;
    }
  }

  /** Forget the key and the items: the page holds nothing readable any more. */
  lock() {
    this.key = null;
    this.header = null;
    this.items = [];
  }

  /** Erase this device's copy (an export elsewhere stays the visitor's). */
  async forget() {
    this.lock();
    this.envelope = null;
    this.stored = null;
    await eraseStored();
  }
}
