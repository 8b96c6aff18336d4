// The locale catalogs (locales/*.json) embedded in the chat page and the console:
// every language has the same keys, and the texts the browser code asks for exist.
// locales/plurals.json, beside them, is the plural rule table (not a language).

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const folder = join(root, "locales");
const catalogs = Object.fromEntries(
  readdirSync(folder)
    .filter((name) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\.json$/.test(name)) // not plurals.json
    .map((name) => [name.slice(0, -5), JSON.parse(readFileSync(join(folder, name), "utf8"))]),
);

test("every catalog has the same keys as the French one", () => {
  assert.ok("fr" in catalogs && "en" in catalogs, Object.keys(catalogs).join());
  const keys = Object.keys(catalogs.fr).sort();
  for (const [lang, catalog] of Object.entries(catalogs)) {
    assert.deepEqual(Object.keys(catalog).sort(), keys, `locales/${lang}.json`);
    for (const [key, value] of Object.entries(catalog)) {
      // A text, or plural forms (see texts.test.mjs), one of them "other".
      const forms = typeof value === "string" ? [value] : Object.values(value);
      assert.ok(forms.length && forms.every((text) => typeof text === "string" && text), `${lang}: ${key}`);
      assert.ok(typeof value === "string" || "other" in value, `${lang}: ${key}`);
    }
  }
});

test("the keys the widget and the console name literally exist", () => {
  const code = ["widget/static/chat.js", "console/static/console.js"].map((p) => readFileSync(join(root, p), "utf8")).join("\n");
  const named = new Set([...code.matchAll(/\bt\("((?:widget|console|error)\.[a-z_.]+)"/g)].map((m) => m[1]));
  assert.ok(named.has("widget.service.unavailable") && named.has("console.service.unavailable"));
  for (const key of named) for (const [lang, catalog] of Object.entries(catalogs)) assert.ok(key in catalog, `${lang}: ${key}`);
});
