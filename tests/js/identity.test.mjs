// The identity guard in the browser (protocol/js/identity.js) finds what the server's
// twin finds in the shared corpus, nothing in ordinary numbers, and removes what it
// found without leaving stray spaces.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { KINDS, find, ibanOk, kindsIn, nirOk, removeAll } from "../../protocol/js/identity.js";

const corpus = JSON.parse(readFileSync(new URL("../../protocol/fixtures/identity.json", import.meta.url)));
const found = (text) => find(text).map((f) => [f.kind, text.slice(f.start, f.end)]);

test("the corpus: each text finds exactly what it lists", () => {
  assert.equal(corpus.version, 1);
  assert.ok(corpus.found.length >= 20);
  for (const { text, found: expected } of corpus.found) assert.deepEqual(found(text), expected, text);
  const kinds = new Set(corpus.found.flatMap((c) => c.found.map(([kind]) => kind)));
  assert.deepEqual([...kinds].sort(), [...KINDS].sort());
});

test("the corpus: ordinary texts raise no alarm and are left as they are", () => {
  for (const text of corpus.ordinary) {
    assert.deepEqual(find(text), [], text);
    assert.equal(removeAll(text), text);
    assert.deepEqual(kindsIn(text), []);
  }
});

test("removeAll cuts what was found, and nothing of it remains", () => {
  for (const { text, found: expected } of corpus.found) {
    const left = removeAll(text);
    for (const [, value] of expected) assert.ok(!left.includes(value), `${value} left in ${left}`);
    assert.deepEqual(find(left), [], left);
    assert.ok(!/ {2}| ,|^ | $/.test(left), `untidy: ${JSON.stringify(left)}`);
  }
  assert.equal(removeAll("Mon mail est jean@exemple.fr, merci"), "Mon mail est, merci");
  assert.equal(removeAll("Appelez le 06 12 34 56 78 le soir"), "Appelez le le soir");
  assert.equal(removeAll("jean@exemple.fr"), "");
  assert.equal(removeAll("ligne 1\n06 12 34 56 78\nligne 3"), "ligne 1\n\nligne 3");
});

test("kindsIn names each kind once, in a fixed order", () => {
  assert.deepEqual(kindsIn("06 12 34 56 78 ou a@b.fr ou 07 11 22 33 44"), ["email", "phone"]);
});

test("keys are checked: a wrong key is no NIR, a wrong check no IBAN", () => {
  assert.ok(nirOk("184057511542307"));
  assert.ok(!nirOk("184057511542308"));
  assert.ok(nirOk("2 90 05 2A 004 123 52"));
  assert.ok(!nirOk("2 90 05 2B 004 123 52"));
  assert.ok(ibanOk("FR76 3000 6000 0112 3456 7890 189"));
  assert.ok(!ibanOk("FR76 3000 6000 0112 3456 7890 188"));
  assert.ok(!ibanOk("FR76 3000"));
  assert.ok(!ibanOk("FR76 3000 6000 0112 3456 7890 1é9"));
  assert.deepEqual(found("FR76 3000 6000 0112 3456 7890 189 AB12"), [["iban", "FR76 3000 6000 0112 3456 7890 189"]]);
});

test("overlaps keep the earliest and longest finding", () => {
  assert.deepEqual(found("0612345678@sfr.fr"), [["email", "0612345678@sfr.fr"]]);
  assert.deepEqual(
    find("au 12 rue Victor Hugo, 0612345678").map((f) => f.kind),
    ["address", "phone"],
  );
});

test("long hostile texts are scanned quickly enough to return", () => {
  for (const hostile of [
    "1".repeat(4000),
    "a".repeat(3999) + "@",
    "x@" + "a.".repeat(1990) + "-",
    "+1".repeat(2000),
    "12 rue ".repeat(570),
    "FR76 " + "0000 ".repeat(799),
    "0" + " 12".repeat(1333),
  ]) {
    for (const f of find(hostile)) assert.ok(f.end - f.start <= 64);
  }
});
