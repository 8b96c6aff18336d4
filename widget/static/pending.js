// The visitor's messages not yet acknowledged, kept in the iframe's sessionStorage
// next to the resume token so a page reload does not lose them.
//
// Only what the visitor typed, in their own tab, until the server's echo (the event
// carrying the same client_id) arrives; re-sent after the session is resumed with the
// same client_id, which the server stores at most once. Pure functions over a
// storage-like object (getItem/setItem/removeItem), unit-tested under Node
// (tests/js/pending.test.mjs). A storage that is missing, refuses access or is full
// never breaks the chat: the messages are then simply not kept across a reload.

export const PENDING_KEY = "parole:pending";

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `entry` looks like a message we stored: `{client_id, text}`. */
function isEntry(entry) {
  return (
    entry !== null &&
    typeof entry === "object" &&
    typeof entry.client_id === "string" &&
    CLIENT_ID.test(entry.client_id) &&
    typeof entry.text === "string" &&
    entry.text.length > 0
  );
}

/** What is kept of a message: its client_id, its text, and whether it came from the portfolio. */
function entryOf({ client_id, text, portfolio }) {
  return portfolio === true ? { client_id, text, portfolio } : { client_id, text };
}

/** The pending messages, oldest first; [] when there are none or the stored value is unusable. */
export function readPending(storage, key = PENDING_KEY) {
  let raw = null;
  try {
    raw = storage ? storage.getItem(key) : null;
  } catch {
    return [];
  }
  if (!raw) return [];
  let value;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const seen = new Set();
  const entries = [];
  for (const entry of value) {
    if (!isEntry(entry) || seen.has(entry.client_id)) continue;
    seen.add(entry.client_id);
    entries.push(entryOf(entry));
  }
  return entries;
}

/** Store `entries` (removing the key when empty); returns whether the storage took it. */
export function writePending(storage, entries, key = PENDING_KEY) {
  if (!storage) return false;
  try {
    const kept = entries.filter(isEntry).map(entryOf);
    if (kept.length === 0) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(kept));
    return true;
  } catch {
    return false; // private mode, quota: the message still goes out, it just does not survive a reload
  }
}

/** Add a message sent (`{client_id, text}`, e.g. a `send` frame), after the others. */
export function addPending(storage, frame, key = PENDING_KEY) {
  const entries = readPending(storage, key).filter((e) => e.client_id !== frame.client_id);
  entries.push(entryOf(frame));
  return writePending(storage, entries, key);
}

/** Forget a message once its echo (or a refusal) arrived. */
export function removePending(storage, clientId, key = PENDING_KEY) {
  const entries = readPending(storage, key);
  const kept = entries.filter((e) => e.client_id !== clientId);
  if (kept.length === entries.length) return false;
  return writePending(storage, kept, key);
}

/** Forget them all: the session ended, or the visitor starts over. */
export function clearPending(storage, key = PENDING_KEY) {
  return writePending(storage, [], key);
}
