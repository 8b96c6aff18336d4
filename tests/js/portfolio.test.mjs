// What the portfolio keeps (widget/static/portfolio.js), without a browser: items
// cleaned whatever a file holds, merged one per id, turned into words to send; and a
// portfolio on a shared device (nothing stored) carried to another and reopened.

import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_ITEMS, Portfolio, cleanItem, cleanItems, itemText, merge } from "../../widget/static/portfolio.js";
import * as vault from "../../widget/static/vault.js";

const NOTE = { id: "note-1", kind: "note", at: 3, pole: "", author: "", text: "Appeler l'agence" };
const CARD = {
  id: "c1-4",
  kind: "card",
  at: 2,
  pole: "Trouver un emploi",
  author: "Camille",
  card: { kind: "event", title: "Atelier CV", text: "Apportez votre CV", url: "https://example.org/cv", place: "Salle 2" },
};
const DUTY = { id: "c1-5", kind: "duty", at: 1, pole: "Trouver un emploi", author: "Camille", lines: ["Camille est là :", "le mardi"] };

test("an item keeps known fields of known kinds only, within bounds", () => {
  assert.deepEqual(cleanItem(NOTE), NOTE);
  assert.equal(cleanItem({ ...NOTE, kind: "script" }), null);
  assert.equal(cleanItem({ ...NOTE, at: "yesterday" }), null);
  assert.equal(cleanItem({ ...NOTE, id: "" }), null);
  assert.equal(cleanItem({ ...NOTE, text: "  " }), null);
  assert.equal(cleanItem({ ...CARD, card: { title: "" } }), null);
  assert.equal(cleanItem({ ...DUTY, lines: [] }), null);
  assert.equal(cleanItem(null), null);
  const hostile = cleanItem({ ...NOTE, text: "x".repeat(5000), onclick: "alert(1)", author: 7 });
  assert.equal(hostile.text.length, 4000);
  assert.equal(hostile.author, "");
  assert.equal("onclick" in hostile, false);
  const card = cleanItem({ ...CARD, card: { ...CARD.card, script: "x" } });
  assert.deepEqual(Object.keys(card.card), ["kind", "title", "text", "url", "day", "start", "place"]);
});

test("items merge one per id, oldest first, the newest kept past the bound", () => {
  assert.deepEqual(
    merge([NOTE], [CARD, { ...NOTE, text: "autre" }, DUTY]).map((i) => i.id),
    ["c1-5", "c1-4", "note-1"],
  );
  assert.equal(merge([NOTE], [{ ...NOTE, text: "autre" }])[0].text, "Appeler l'agence");
  const many = Array.from({ length: MAX_ITEMS + 10 }, (_, at) => ({ ...NOTE, id: `n${at}`, at }));
  const kept = merge([], many);
  assert.equal(kept.length, MAX_ITEMS);
  assert.equal(kept[0].id, "n10");
  assert.deepEqual(cleanItems({ items: [NOTE, { kind: "x" }, "y"] }), [NOTE]);
  assert.deepEqual(cleanItems({}), []);
});

test("an item becomes the words sent into a conversation", () => {
  assert.equal(itemText(NOTE), "Appeler l'agence");
  assert.equal(itemText(CARD, "mardi 9 décembre, 14:00"), "Atelier CV\nmardi 9 décembre, 14:00 · Salle 2\nApportez votre CV\nhttps://example.org/cv");
  assert.equal(itemText(DUTY), "Camille est là :\nle mardi");
});

test("a shared device's portfolio is exported, reopened elsewhere, and wrong secrets slow down", async () => {
  const code = vault.newCode();
  const here = new Portfolio();
  await here.create("code", code, "shared");
  await here.keep(NOTE);
  await here.keep(CARD);
  await here.keep(NOTE); // kept once
  assert.equal(here.items.length, 2);
  await here.remove(NOTE.id);
  await here.keep(DUTY);
  const file = vault.fileText(here.envelope);
  assert.ok(!file.includes("Atelier"), "the file is sealed");

  const there = new Portfolio();
  await assert.rejects(there.importText(file, vault.newCode(), "shared"), { code: "secret" });
  assert.equal(there.wait(), 0, "the first mistake costs nothing");
  await assert.rejects(there.importText(file, vault.newCode(), "shared"), { code: "secret" });
  assert.ok(there.wait() >= 1, "the second one waits");
  await assert.rejects(there.importText(file, code, "shared"), { code: "wait" });
  assert.equal(there.unlocked, false);
  there.waitUntil = 0; // the wait is over
  await there.importText(file, code, "shared");
  assert.deepEqual(there.items.map((i) => i.id), ["c1-5", "c1-4"]);
  assert.equal(there.failures, 0);

  // Another portfolio merged into this open one, under its own secret.
  const other = new Portfolio();
  await other.create("passphrase", "une autre phrase assez longue", "shared");
  await other.keep(NOTE);
  await there.importText(vault.textCode(other.envelope), "une autre phrase assez longue", "shared");
  assert.deepEqual(there.items.map((i) => i.id), ["c1-5", "c1-4", "note-1"]);
  // Still sealed under its first code.
  assert.equal((await vault.open(there.envelope, code)).content.items.length, 3);
  there.lock();
  assert.equal(there.unlocked, false);
  assert.deepEqual(there.items, []);
});
