// Static checks of the browser code: the loader's size budget, no HTML parsing of
// strings, no wildcard postMessage target.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path) => readFileSync(join(root, path), "utf8");

const sources = [
  "widget/loader.js",
  ...["widget/static", "console/static", "protocol/js"].flatMap((dir) =>
    readdirSync(join(root, dir)).filter((f) => f.endsWith(".js")).map((f) => `${dir}/${f}`),
  ),
];

test("the loader stays under its 4 KB budget", () => {
  const size = Buffer.byteLength(read("widget/loader.js"));
  assert.ok(size < 4096, `widget/loader.js is ${size} bytes`);
});

test("no script parses strings as HTML or posts to any origin", () => {
  for (const path of sources) {
    const code = read(path);
    for (const bad of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]) {
      assert.ok(!code.includes(bad), `${path} uses ${bad}`);
    }
    assert.doesNotMatch(code, /postMessage\([^)]*["']\*["']/, `${path} posts to '*'`);
  }
});
