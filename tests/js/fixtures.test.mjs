// Shared protocol fixtures (protocol/fixtures/*.json).
//
// The fixtures are written for both the Python and the JavaScript tests: every file
// must parse, and every object with a string `type` found in it must go through the
// client's frame parser unchanged. They are part of the repository: a missing folder,
// an empty one or a missing frames.json fails these tests (nothing is skipped).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { SeqTracker, parseFrame } from "../../protocol/js/client.js";

const folder = fileURLToPath(new URL("../../protocol/fixtures/", import.meta.url));

function* typedObjects(value) {
  if (Array.isArray(value)) {
    for (const item of value) yield* typedObjects(item);
  } else if (value && typeof value === "object") {
    if (typeof value.type === "string") yield value;
    else for (const item of Object.values(value)) yield* typedObjects(item);
  }
}

test("protocol fixtures parse and their frames go through parseFrame", () => {
  const files = readdirSync(folder).filter((name) => name.endsWith(".json")).sort();
  assert.ok(files.includes("frames.json"), `protocol/fixtures holds ${JSON.stringify(files)}`);
  let frames = 0;
  for (const name of files) {
    const text = readFileSync(join(folder, name), "utf8");
    let value;
    assert.doesNotThrow(() => {
      value = JSON.parse(text);
    }, `${name} is not valid JSON`);
    for (const frame of typedObjects(value)) {
      assert.deepEqual(parseFrame(JSON.stringify(frame)), frame, `${name}: ${frame.type}`);
      frames += 1;
    }
  }
  assert.ok(frames > 0, "no typed frame in protocol/fixtures");
});

// frames.json documents its layout in its "about" field: "server" lists frames the
// server sends. Replayed twice, each event is shown once and in seq order.
const framesFile = join(folder, "frames.json");

test("server frames of frames.json: each event seq accepted once, in order", () => {
  const serverFrames = JSON.parse(readFileSync(framesFile, "utf8")).server;
  assert.ok(Array.isArray(serverFrames) && serverFrames.length > 0, "frames.json has no server frames");
  const seqs = new SeqTracker();
  const shown = [];
  for (const frame of [...serverFrames, ...serverFrames]) {
    const parsed = parseFrame(JSON.stringify(frame));
    assert.ok(parsed, `unparsed: ${JSON.stringify(frame)}`);
    if (parsed.type === "event" && seqs.accept(parsed.conversation, parsed.seq)) {
      shown.push(`${parsed.conversation}:${parsed.seq}`);
    }
  }
  const events = serverFrames.filter((f) => f.type === "event");
  assert.equal(shown.length, events.length);
  assert.deepEqual(shown, events.map((f) => `${f.conversation}:${f.seq}`));
});
