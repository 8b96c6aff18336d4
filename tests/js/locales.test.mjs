// The locale catalogs (locales/*.json) embedded in the chat page and the console:
// every language has the same keys, and the texts the browser code asks for exist.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const folder = join(root, "locales");
const catalogs = Object.fromEntries(
  readdirSync(folder)
    .filter((name) => name.endsWith(".json"))
    .map((name) => [name.slice(0, -5), JSON.parse(readFileSync(join(folder, name), "utf8"))]),
);

test("every catalog has the same keys as the French one", () => {
  assert.ok("fr" in catalogs && "en" in catalogs, Object.keys(catalogs).join());
  const keys = Object.keys(catalogs.fr).sort();
  for (const [lang, catalog] of Object.entries(catalogs)) {
    assert.deepEqual(Object.keys(catalog).sort(), keys, `locales/${lang}.json`);
    for (const [key, text] of Object.entries(catalog)) assert.ok(typeof text === "string" && text, `${lang}: ${key}`);
  }
});

test("the keys the widget and the console name literally exist", () => {
  const code = ["widget/static/chat.js", "console/static/console.js"].map((p) => readFileSync(join(root, p), "utf8")).join("\n");
  const named = new Set([...code.matchAll(/\bt\("((?:widget|console|error)\.[a-z_.]+)"/g)].map((m) => m[1]));
  assert.ok(named.has("widget.service.unavailable") && named.has("console.service.unavailable"));
  for (const key of named) for (const [lang, catalog] of Object.entries(catalogs)) assert.ok(key in catalog, `${lang}: ${key}`);
});
