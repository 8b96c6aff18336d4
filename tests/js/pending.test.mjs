// The visitor's unacknowledged messages kept in sessionStorage across a reload
// (widget/static/pending.js), over a Map-backed stand-in for sessionStorage.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Outbox } from "../../protocol/js/client.js";
import { visitorSend } from "../../protocol/js/frames.js";
import {
  PENDING_KEY,
  addPending,
  clearPending,
  readPending,
  removePending,
  writePending,
} from "../../widget/static/pending.js";

/** The Storage interface the code uses, over a Map; `fail` makes it throw like a full or refused storage. */
class FakeStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
    this.fail = false;
  }
  getItem(key) {
    if (this.fail) throw new Error("SecurityError");
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setItem(key, value) {
    if (this.fail) throw new Error("QuotaExceededError");
    this.map.set(key, String(value));
  }
  removeItem(key) {
    if (this.fail) throw new Error("SecurityError");
    this.map.delete(key);
  }
}

const one = visitorSend({ clientId: "aaa111", text: "Vous êtes là ?" });
const two = visitorSend({ clientId: "bbb222", text: "Je reviens\nvers vous" });
const three = visitorSend({ clientId: "ccc333", text: "😀 <b>ok</b>" });

test("pending messages are kept in order, without the frame type, and read back", () => {
  const storage = new FakeStorage();
  assert.deepEqual(readPending(storage), []);
  assert.ok(addPending(storage, one));
  assert.ok(addPending(storage, two));
  assert.ok(addPending(storage, three));
  assert.deepEqual(JSON.parse(storage.map.get(PENDING_KEY)), [
    { client_id: "aaa111", text: "Vous êtes là ?" },
    { client_id: "bbb222", text: "Je reviens\nvers vous" },
    { client_id: "ccc333", text: "😀 <b>ok</b>" },
  ]);
  // What a reload gives back rebuilds the very same frames (same client_id: the server dedupes).
  const again = readPending(storage).map((e) => visitorSend({ clientId: e.client_id, text: e.text }));
  assert.deepEqual(again, [one, two, three]);
});

test("an item sent from the portfolio is re-sent as one, after a reload too", () => {
  const storage = new FakeStorage();
  const kept = visitorSend({ clientId: "ddd444", text: "Atelier CV", portfolio: true });
  addPending(storage, kept);
  addPending(storage, one);
  const back = readPending(storage);
  assert.deepEqual(back, [{ client_id: "ddd444", text: "Atelier CV", portfolio: true }, { client_id: "aaa111", text: "Vous êtes là ?" }]);
  const again = back.map((e) => visitorSend({ clientId: e.client_id, text: e.text, portfolio: e.portfolio }));
  assert.deepEqual(again, [kept, one]);
  storage.setItem(PENDING_KEY, JSON.stringify([{ client_id: "eee555", text: "x", portfolio: "yes" }]));
  assert.deepEqual(readPending(storage), [{ client_id: "eee555", text: "x" }]);
});

test("adding the same client_id twice keeps one entry", () => {
  const storage = new FakeStorage();
  addPending(storage, one);
  addPending(storage, two);
  addPending(storage, one);
  assert.deepEqual(readPending(storage).map((e) => e.client_id), ["bbb222", "aaa111"]);
});

test("an echo removes its message; the last one removes the key", () => {
  const storage = new FakeStorage();
  addPending(storage, one);
  addPending(storage, two);
  assert.ok(removePending(storage, "aaa111"));
  assert.deepEqual(readPending(storage), [{ client_id: "bbb222", text: two.text }]);
  assert.equal(removePending(storage, "unknown"), false);
  assert.ok(removePending(storage, "bbb222"));
  assert.equal(storage.map.has(PENDING_KEY), false, "no empty list left behind");
});

test("ending or starting over clears everything", () => {
  const storage = new FakeStorage({ other: "kept" });
  addPending(storage, one);
  addPending(storage, two);
  assert.ok(clearPending(storage));
  assert.deepEqual(readPending(storage), []);
  assert.deepEqual([...storage.map.keys()], ["other"]);
});

test("a corrupted or tampered value reads as what is usable in it", () => {
  for (const raw of ["not json", "{}", "null", "42", '"text"', "[null, 1, []]"]) {
    assert.deepEqual(readPending(new FakeStorage({ [PENDING_KEY]: raw })), [], raw);
  }
  const mixed = JSON.stringify([
    { client_id: "ok-1", text: "fine", extra: "dropped" },
    { client_id: "bad id", text: "x" },
    { client_id: "ok-2", text: "" },
    { client_id: "ok-3", text: 5 },
    { client_id: "ok-1", text: "a duplicate" },
    { text: "no id" },
  ]);
  assert.deepEqual(readPending(new FakeStorage({ [PENDING_KEY]: mixed })), [{ client_id: "ok-1", text: "fine" }]);
});

test("a missing, refused or full storage never throws", () => {
  for (const storage of [null, undefined]) {
    assert.deepEqual(readPending(storage), []);
    assert.equal(addPending(storage, one), false);
    assert.equal(removePending(storage, "aaa111"), false);
    assert.equal(clearPending(storage), false);
  }
  const broken = new FakeStorage();
  addPending(broken, one);
  broken.fail = true;
  assert.deepEqual(readPending(broken), []);
  assert.equal(addPending(broken, two), false);
  assert.equal(clearPending(broken), false);
  assert.equal(writePending(broken, [one]), false);
});

test("a reload in the middle: the restored messages go back to the outbox and leave on their echo", () => {
  // Before the reload: two messages typed while offline, one older one already echoed.
  const tab = new FakeStorage();
  for (const frame of [one, two, three]) addPending(tab, frame);
  removePending(tab, one.client_id); // its echo arrived before the connection dropped

  // After the reload (same tab, same sessionStorage): a fresh outbox gets what is left.
  const outbox = new Outbox();
  for (const entry of readPending(tab)) outbox.add(visitorSend({ clientId: entry.client_id, text: entry.text }));
  assert.deepEqual(outbox.pending(), [two, three]);

  // The server replays the stored events, then echoes the retries; each echo clears its entry.
  for (const clientId of [two.client_id, three.client_id]) {
    outbox.take(clientId);
    removePending(tab, clientId);
  }
  assert.equal(outbox.size, 0);
  assert.deepEqual(readPending(tab), []);
  assert.equal(tab.map.size, 0);
});
