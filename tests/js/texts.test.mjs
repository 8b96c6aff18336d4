// Catalog texts as the chat page and the console read them (widget/static/texts.js),
// plural forms picked by the browser's Intl.PluralRules. The same cases
// (protocol/fixtures/plurals.json) run in tests/unit/test_catalogs.py against the
// server's rule table (locales/plurals.json): both sides must agree.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { fill, translator } from "../../widget/static/texts.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path) => JSON.parse(readFileSync(join(root, path), "utf8"));
const cases = read("protocol/fixtures/plurals.json");
const table = read("locales/plurals.json");
const catalogs = Object.fromEntries(
  readdirSync(join(root, "locales"))
    .filter((name) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\.json$/.test(name))
    .map((name) => [name.slice(0, -5), read(`locales/${name}`)]),
);

test("the browser picks the category the server's rule table gives", () => {
  assert.ok(cases.categories.length > 20);
  for (const [lang, count, category] of cases.categories) {
    assert.equal(new Intl.PluralRules(lang).select(count), category, `${lang} ${count}`);
  }
});

test("each language of the rule table has the categories the browser knows", () => {
  for (const [lang, rules] of Object.entries(table.languages)) {
    const known = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    assert.deepEqual([...Object.keys(rules), "other"].sort(), [...known].sort(), lang);
  }
  for (const lang of Object.keys(catalogs)) assert.ok(lang in table.languages, `no plural rules for ${lang}`);
});

test("the shared cases read the same text as on the server", () => {
  assert.ok(cases.texts.length > 20);
  for (const [lang, key, values, text] of cases.texts) {
    assert.equal(translator(catalogs[lang], lang)(key, values), text, `${lang} ${key} ${JSON.stringify(values)}`);
  }
});

test("every count below a thousand finds a form of its own in every plural text", () => {
  for (const [lang, catalog] of Object.entries(catalogs)) {
    const rules = new Intl.PluralRules(lang);
    for (const [key, value] of Object.entries(catalog)) {
      if (typeof value === "string") continue;
      for (let n = 0; n < 1000; n += 1) {
        assert.ok(`=${n}` in value || rules.select(n) in value, `${lang}: ${key} has no form for ${n}`);
      }
    }
  }
});

test("texts fill the values they are given and leave the others as written", () => {
  assert.equal(fill("{a} et {b} ({a})", { a: 1 }), "1 et {b} (1)");
  const t = translator({ plain: "x {n}", counted: { "=0": "aucun", one: "{count} seul", other: "{count} tous" } }, "fr");
  assert.equal(t("plain", { n: 3 }), "x 3");
  assert.deepEqual([0, 1, 2].map((count) => t("counted", { count })), ["aucun", "1 seul", "2 tous"]);
  assert.equal(t("counted"), "{count} tous"); // no count: the general form, visibly unfilled
  assert.equal(t("missing.key"), "missing.key");
});
