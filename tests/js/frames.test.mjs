// The frame builders of protocol/js/frames.js, checked against protocol/schema.json
// with the small validator of schema.mjs; and that validator checked against the
// shared fixtures (protocol/fixtures/frames.json), so a pass means something.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { PROTOCOL_VERSIONS, newClientId } from "../../protocol/js/client.js";
import {
  MAX_PSEUDONYM,
  MAX_TEXT,
  cleanLang,
  cleanPseudonym,
  cleanText,
  consoleFrames,
  isToken,
  visitorFrames,
} from "../../protocol/js/frames.js";
import { KEYWORDS, SchemaError, loadSchema } from "./schema.mjs";

const readJson = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
const document = readJson("../../protocol/schema.json");
const fixtures = readJson("../../protocol/fixtures/frames.json");
const schema = loadSchema(document);

/** What goes on the wire: the builder's output once through JSON. */
const wire = (frame) => JSON.parse(JSON.stringify(frame));

function assertValid(def, frame, label = JSON.stringify(frame).slice(0, 200)) {
  assert.deepEqual(schema.errors(def, wire(frame)), [], `${def}: ${label}`);
}

function assertInvalid(def, frame, label = JSON.stringify(frame).slice(0, 200)) {
  assert.notDeepEqual(schema.errors(def, wire(frame)), [], `${def} should refuse ${label}`);
}

/** No null, undefined or NaN anywhere: absent optional fields are omitted. */
function assertNoNulls(value, path = "") {
  if (value === null || value === undefined || Number.isNaN(value)) assert.fail(`${path || "/"} is ${value}`);
  if (typeof value === "object") for (const [k, v] of Object.entries(value)) assertNoNulls(v, `${path}/${k}`);
}

const LONG_TEXT = `  ${"é".repeat(5000)}  `;
const LONG_NAME = "Renard ".repeat(9).slice(0, 60); // 60 characters, spaces inside
const TOKEN = "0123456789abcdef0123456789abcdef";
const clientId = newClientId();

// --- the validator itself ---------------------------------------------------------------

test("schema.json uses only the keywords the validator implements", () => {
  const used = new Set();
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      for (const [key, sub] of Object.entries(value)) {
        used.add(key);
        walk(sub);
      }
    }
  };
  walk(document);
  // Every keyword the validator knows appears in the schema (nothing implemented for show)...
  for (const keyword of KEYWORDS) assert.ok(used.has(keyword), `${keyword} is not used by schema.json`);
  // ...and loading succeeded, so every keyword the schema uses is known (checked below too).
  assert.ok(schema.valid("Leave", { type: "leave" }));
});

test("the validator throws on keywords it does not implement, wherever they are", () => {
  const unknown = [
    { oneOf: [{ type: "string" }] },
    { const: 1 },
    { format: "email" },
    { type: "string", maxLength: 3, contentEncoding: "base64" },
    { properties: { a: { exclusiveMinimum: 0 } } },
    { items: { uniqueItems: true } },
    { anyOf: [{ type: "null" }, { not: { type: "string" } }] },
    { additionalProperties: { if: { type: "string" } } },
    { $defs: {} }, // only at the root
  ];
  for (const bad of unknown) {
    assert.throws(() => loadSchema({ $defs: { X: bad } }), SchemaError, JSON.stringify(bad));
    assert.throws(() => schema.errors(bad, "anything"), SchemaError, JSON.stringify(bad));
  }
  assert.throws(() => loadSchema({ $defs: { X: { type: "text" } } }), SchemaError);
  assert.throws(() => loadSchema({ $defs: { X: { $ref: "https://example.org/s.json" } } }), SchemaError);
  assert.throws(() => loadSchema({ $defs: { X: { $ref: "#/$defs/Nowhere" } } }).errors("X", 1), SchemaError);
  // A keyword slipped in after loading is caught when it is reached.
  const copy = structuredClone(document);
  const changed = loadSchema(copy);
  copy.$defs.Leave.properties.type.const = "leave";
  assert.throws(() => changed.errors("VisitorFrame", { type: "leave" }), SchemaError);
});

test("each keyword the validator implements refuses what it should", () => {
  const cases = [
    // [schema, valid values, invalid values]
    [{ type: "integer" }, [0, -3, 2 ** 40], [1.5, "1", null, true]],
    [{ type: "number" }, [1, 1.5], ["1", null]],
    [{ type: "null" }, [null], [0, "", false]],
    [{ type: "boolean" }, [true, false], [0, "true", null]],
    [{ type: "string" }, ["", "a"], [1, null, ["a"]]],
    [{ type: "array" }, [[], [1]], [{}, "[]"]],
    [{ type: "object" }, [{}, { a: 1 }], [[], null, "{}"]],
    [{ enum: ["a", "b"] }, ["a", "b"], ["c", null, ["a"]]],
    [{ required: ["a"] }, [{ a: null }, "not an object"], [{}, { b: 1 }]],
    [{ properties: { a: { type: "string" } } }, [{}, { a: "x" }, { b: 1 }], [{ a: 1 }]],
    [{ properties: { a: {} }, additionalProperties: false }, [{}, { a: 1 }], [{ b: 1 }]],
    [{ additionalProperties: { type: "integer", minimum: 0 } }, [{}, { x: 3 }], [{ x: -1 }, { x: "3" }]],
    [{ items: { type: "integer" } }, [[], [1, 2]], [[1, "2"], [null]]],
    [{ minItems: 1, maxItems: 2 }, [[1], [1, 2]], [[], [1, 2, 3]]],
    [{ minLength: 2, maxLength: 3 }, ["ab", "abc", "😀😀"], ["a", "abcd", "😀"]],
    [{ pattern: "^[a-z]+(?!\\n)$" }, ["abc"], ["abc\n", "ab c", "", "ABC"]],
    [{ pattern: "^.$" }, ["😀"], ["ab"]], // the u flag: one code point is one character
    [{ minimum: 0 }, [0, 5, "not a number"], [-1, -0.5]],
    [{ anyOf: [{ type: "string" }, { type: "null" }] }, ["x", null], [1, {}]],
    [{ $ref: "#/$defs/Leave" }, [{ type: "leave" }], [{ type: "leave", extra: 1 }, {}]],
    [{ title: "t", description: "d", default: 1, discriminator: { propertyName: "type" } }, [1, null, "x"], []],
  ];
  for (const [rule, good, bad] of cases) {
    for (const value of good) assert.deepEqual(schema.errors(rule, value), [], `${JSON.stringify(rule)} ~ ${JSON.stringify(value)}`);
    for (const value of bad) assert.notDeepEqual(schema.errors(rule, value), [], `${JSON.stringify(rule)} !~ ${JSON.stringify(value)}`);
  }
});

test("every accepted fixture frame validates; every refused one with a frame does not", () => {
  const endpoints = { visitor: "VisitorFrame", console: "CounsellorFrame" };
  let accepted = 0;
  let refused = 0;
  for (const [endpoint, def] of Object.entries(endpoints)) {
    const { accept, refuse } = fixtures[endpoint];
    assert.ok(accept.length > 0 && refuse.length > 0, `fixtures for ${endpoint}`);
    for (const frame of accept) {
      assertValid(def, frame);
      accepted += 1;
    }
    for (const { frame, code } of refuse) {
      if (frame === undefined) continue; // a `raw` case: not JSON, nothing to validate
      assertInvalid(def, frame, `${JSON.stringify(frame)} (${code})`);
      refused += 1;
    }
  }
  assert.ok(accepted >= 14 && refused >= 17, `${accepted} accepted, ${refused} refused`);
});

test("every server fixture frame validates against ServerFrame", () => {
  assert.ok(fixtures.server.length > 0);
  for (const frame of fixtures.server) assertValid("ServerFrame", frame);
  // ...and the union is not a blank cheque.
  assertInvalid("ServerFrame", { type: "welcome", v: "1", lang: "fr" });
  assertInvalid("ServerFrame", { type: "event", conversation: "a", seq: 1, kind: "shouted", author: "system", at: 0 });
  assertInvalid("ServerFrame", { type: "hello", versions: [1] });
});

// --- the builders -----------------------------------------------------------------------

const visitorCases = [
  ["hello", visitorFrames.hello()],
  ["hello", visitorFrames.hello({ lang: "fr" })],
  ["hello", visitorFrames.hello({ lang: "en", resume: TOKEN, lastSeq: 0 })],
  ["hello", visitorFrames.hello({ lang: "fr-fr", resume: TOKEN, lastSeq: 12 })],
  ["hello", visitorFrames.hello({ lang: "fr", site: "evry-centre" })],
  ["hello", visitorFrames.hello({ site: "Not A Site<script>" })],
  ["hello", visitorFrames.hello({ lang: "not a language", resume: "short", lastSeq: -1 })],
  ["join", visitorFrames.join({ pole: "emploi" })],
  ["join", visitorFrames.join({ pole: "emploi", question: "   ", clientId })],
  ["join", visitorFrames.join({ pole: "emploi", question: LONG_TEXT, clientId, pseudonym: LONG_NAME })],
  ["join", visitorFrames.join({ pole: "emploi", pseudonym: null, question: null, clientId: null })],
  ["rename", visitorFrames.rename("Héron")],
  ["rename", visitorFrames.rename(LONG_NAME)],
  ["rename", visitorFrames.rename("  Deux\n\tlignes\u0000 ")],
  ["send", visitorFrames.send({ clientId, text: "Bonjour <b>vous</b>" })],
  ["send", visitorFrames.send({ clientId, text: LONG_TEXT })],
  ["send", visitorFrames.send({ clientId, text: "😀".repeat(5000) })],
  ["typing", visitorFrames.typing(true)],
  ["typing", visitorFrames.typing(0)],
  ["leave", visitorFrames.leave()],
  ["leave", visitorFrames.leave({ report: true })],
  ["rate", visitorFrames.rate({ conversation: "a1b2", score: 5 })],
  ["rate", visitorFrames.rate({ conversation: "a1b2", score: 1, comment: "é".repeat(900) })],
  ["send", visitorFrames.send({ clientId, text: "Atelier CV, mardi", portfolio: true })],
  ["answer", visitorFrames.answer({ asked: 7, clientId, text: " lynx@example.org " })],
  ["answer", visitorFrames.answer({ asked: 7, clientId })],
  ["tell", visitorFrames.tell("situation", "jobseeker")],
  ["tell", visitorFrames.tell("origin", "abroad")],
];

test("a question about the visitor takes one of its own answers only", () => {
  assert.throws(() => visitorFrames.tell("situation", "abroad"), TypeError);
  assert.throws(() => visitorFrames.tell("name", "x"), TypeError);
  assert.deepEqual(visitorFrames.tell("age", "18_25"), { type: "tell", question: "age", answer: "18_25" });
});

test("an answer names its request by seq, and declining sends no text", () => {
  assert.throws(() => visitorFrames.answer({ asked: 0, clientId: "a" }), TypeError);
  assert.throws(() => visitorFrames.answer({ asked: "3", clientId: "a" }), TypeError);
  assert.throws(() => visitorFrames.answer({ asked: 3, clientId: "a", text: "  " }), TypeError);
  assert.equal(visitorFrames.answer({ asked: 3, clientId: "a", text: " x " }).text, "x");
  assert.equal("text" in visitorFrames.answer({ asked: 3, clientId: "a" }), false);
  assert.equal("portfolio" in visitorFrames.send({ clientId: "a", text: "x" }), false);
});

test("a score is 1 to 5, and a comment is cleaned and cut to 500 characters", () => {
  assert.throws(() => visitorFrames.rate({ conversation: "a1b2", score: 6 }), TypeError);
  assert.throws(() => visitorFrames.rate({ conversation: "a1b2", score: "5" }), TypeError);
  assert.equal([...visitorFrames.rate({ conversation: "a", score: 3, comment: "é".repeat(900) }).comment].length, 500);
  assert.equal(visitorFrames.rate({ conversation: "a", score: 3, comment: " \u0000 " }).comment, undefined);
  assert.deepEqual(visitorFrames.leave({ report: false }), { type: "leave" });
});

const consoleCases = [
  ["hello", consoleFrames.hello()],
  ["hello", consoleFrames.hello({ lang: "fr", lastSeq: {} })],
  ["hello", consoleFrames.hello({ lang: "fr", lastSeq: { a1b2: 3, "c3-d4": 0 } })],
  ["hello", consoleFrames.hello({ lastSeq: { "Not A Slug": 2, ok: -1, fine: 1.5, good: 7 } })],
  ["take", consoleFrames.take("orientation")],
  ["send", consoleFrames.send({ conversation: "a1b2", clientId, text: "Bonjour !" })],
  ["send", consoleFrames.send({ conversation: "a1b2", clientId, text: LONG_TEXT })],
  ["typing", consoleFrames.typing("a1b2", true)],
  ["typing", consoleFrames.typing("a1b2", undefined)],
  ["end", consoleFrames.end("a1b2")],
  ["presence", consoleFrames.presence(false)],
  ["presence", consoleFrames.presence(1)],
  ["transfer", consoleFrames.transfer({ conversation: "a1b2", pole: "formation" })],
  ["transfer", consoleFrames.transfer({ conversation: "a1b2", pole: "formation", note: "   " })],
  ["transfer", consoleFrames.transfer({ conversation: "a1b2", pole: "formation", note: LONG_TEXT })],
  ["transfer", consoleFrames.transfer({ conversation: "a1b2", pole: "formation", colleague: "0123456789abcdef" })],
  ["colleagues", consoleFrames.colleagues()],
  ["invite", consoleFrames.invite("a1b2", "0123456789abcdef")],
  ["invite_reply", consoleFrames.invite_reply("a1b2", true)],
  ["invite_reply", consoleFrames.invite_reply("a1b2", 0)],
  ["withdraw", consoleFrames.withdraw("a1b2", "0123456789abcdef")],
  ["leave_conversation", consoleFrames.leave_conversation("a1b2")],
  ["find_cards", consoleFrames.find_cards("atelier cv", "a1b2")],
  ["find_cards", consoleFrames.find_cards("x".repeat(300))],
  ["share_card", consoleFrames.share_card("a1b2", "atelier-cv", "c-7")],
  ["share_duty", consoleFrames.share_duty("a1b2", "d-7")],
  ["block", consoleFrames.block("a1b2")],
  ["ask", consoleFrames.ask({ conversation: "a1b2", clientId, detail: "Adresse e-mail", purpose: "Recevoir le dossier" })],
  ["ask", consoleFrames.ask({ conversation: "a1b2", clientId, detail: "é".repeat(200), purpose: LONG_TEXT })],
];

test("a request names a detail and a purpose, both needed and cut to their bounds", () => {
  const long = consoleFrames.ask({ conversation: "a", clientId: "c", detail: "é".repeat(200), purpose: "x".repeat(900) });
  assert.equal([...long.detail].length, 80);
  assert.equal(long.purpose.length, 300);
  assert.throws(() => consoleFrames.ask({ conversation: "a", clientId: "c", detail: "Email", purpose: " " }), TypeError);
  assert.throws(() => consoleFrames.ask({ conversation: "a", clientId: "c", purpose: "why" }), TypeError);
});

test("a card is named by its id", () => {
  assert.throws(() => consoleFrames.share_card("a1b2", "Atelier CV", "c-7"), TypeError);
  assert.equal(consoleFrames.find_cards("x".repeat(300)).query.length, 100);
  assert.equal(consoleFrames.find_cards("cv", null).conversation, undefined);
});

test("a colleague is named by their 16-hex id only", () => {
  assert.throws(() => consoleFrames.invite("a1b2", "dominique"), TypeError);
  assert.throws(() => consoleFrames.transfer({ conversation: "a", pole: "b", colleague: "XYZ" }), TypeError);
});

test("a transfer note is cleaned and cut to 500 characters, and an empty one is left out", () => {
  assert.equal(consoleFrames.transfer({ conversation: "a1b2", pole: "emploi", note: " \u0000 " }).note, undefined);
  assert.equal([...consoleFrames.transfer({ conversation: "a", pole: "b", note: "é".repeat(900) }).note].length, 500);
  assert.throws(() => consoleFrames.transfer({ conversation: "a1b2", pole: "Trouver un emploi" }), TypeError);
});

test("every client message has a builder, and every builder is exercised", () => {
  const tags = (def) => document.$defs[def].anyOf.map((ref) => document.$defs[ref.$ref.slice(8)].properties.type.enum[0]);
  assert.deepEqual(Object.keys(visitorFrames).sort(), tags("VisitorFrame").sort());
  assert.deepEqual(Object.keys(consoleFrames).sort(), tags("CounsellorFrame").sort());
  assert.deepEqual([...new Set(visitorCases.map(([name]) => name))].sort(), Object.keys(visitorFrames).sort());
  assert.deepEqual([...new Set(consoleCases.map(([name]) => name))].sort(), Object.keys(consoleFrames).sort());
});

test("every visitor builder's output validates against VisitorFrame, with no nulls", () => {
  for (const [name, frame] of visitorCases) {
    assert.equal(frame.type, name);
    assertNoNulls(frame);
    assertValid("VisitorFrame", frame);
    if (name !== "hello") assertInvalid("CounsellorFrame", frame); // not a console frame too
  }
});

test("every console builder's output validates against CounsellorFrame, with no nulls", () => {
  for (const [name, frame] of consoleCases) {
    assert.equal(frame.type, name);
    assertNoNulls(frame);
    assertValid("CounsellorFrame", frame);
  }
});

test("builders normalise what the protocol bounds", () => {
  const long = visitorFrames.send({ clientId, text: LONG_TEXT });
  assert.equal([...long.text].length, MAX_TEXT);
  assert.equal(long.text, "é".repeat(MAX_TEXT));
  const emoji = visitorFrames.send({ clientId, text: "😀".repeat(5000) }).text;
  assert.equal([...emoji].length, MAX_TEXT);
  assert.ok(emoji.endsWith("😀"), "a surrogate pair is never cut in half");

  const name = visitorFrames.rename(LONG_NAME).pseudonym;
  assert.ok([...name].length <= MAX_PSEUDONYM && name === name.trim(), JSON.stringify(name));
  assert.equal(visitorFrames.rename("  Deux\n\tlignes\u0000 ").pseudonym, "Deux lignes");
  assert.equal(cleanText(" \u0007 a\u200b\nb \u0000"), "a\nb");
  assert.equal(cleanText("\u200d \u200c"), "", "joiners alone are an empty text, as for the server");
  assert.equal(cleanText("👨\u200d👩\u200d👧"), "👨\u200d👩\u200d👧", "emoji sequences keep their joiners");
  assert.equal(cleanPseudonym("\u200dA\u200c  b"), "A b");

  assert.deepEqual(visitorFrames.hello(), { type: "hello", versions: PROTOCOL_VERSIONS });
  assert.deepEqual(visitorFrames.hello({ lang: "fr", resume: TOKEN, lastSeq: 12 }), {
    type: "hello", versions: PROTOCOL_VERSIONS, lang: "fr", resume: TOKEN, last_seq: 12,
  });
  assert.deepEqual(visitorFrames.hello({ lang: "fr", resume: TOKEN, lastSeq: 0 }), {
    type: "hello", versions: PROTOCOL_VERSIONS, lang: "fr", resume: TOKEN,
  });
  assert.deepEqual(visitorFrames.hello({ lang: "??", lastSeq: 5 }), { type: "hello", versions: PROTOCOL_VERSIONS });
  assert.equal(visitorFrames.hello({ resume: "short" }).resume, undefined);
  assert.equal(visitorFrames.hello({ site: "evry" }).site, "evry");
  assert.equal(visitorFrames.hello({ site: "Evry centre" }).site, undefined);
  assert.equal(visitorFrames.hello({ site: "" }).site, undefined);
  assert.equal(cleanLang("fr-fr"), "fr-FR");
  assert.equal(cleanLang("zh-Hant"), "zh");
  assert.equal(cleanLang(undefined), undefined);
  assert.ok(isToken(TOKEN) && !isToken("x".repeat(15)) && !isToken("x".repeat(129)) && !isToken(null));

  assert.deepEqual(visitorFrames.join({ pole: "emploi", question: "  ", clientId }), { type: "join", pole: "emploi" });
  assert.deepEqual(visitorFrames.join({ pole: "emploi", question: " Un CV ? ", clientId: "q-1" }), {
    type: "join", pole: "emploi", question: "Un CV ?", client_id: "q-1",
  });
  assert.deepEqual(consoleFrames.hello({ lang: "fr", lastSeq: {} }), { type: "hello", versions: PROTOCOL_VERSIONS, lang: "fr" });
  assert.deepEqual(consoleFrames.hello({ lastSeq: { "Not A Slug": 2, ok: -1, fine: 1.5, good: 7 } }).last_seq, { good: 7 });
  assert.deepEqual(visitorFrames.typing("yes"), { type: "typing", active: true });
  // The versions array is the builder's own: changing a frame does not change the next one.
  visitorFrames.hello().versions.push(99);
  assert.deepEqual(visitorFrames.hello().versions, PROTOCOL_VERSIONS);
});

test("builders throw rather than build a frame the server would refuse", () => {
  const bad = [
    () => visitorFrames.send({ clientId, text: "  \u0000 " }),
    () => visitorFrames.send({ clientId: "a b", text: "hi" }),
    () => visitorFrames.send({ text: "hi" }),
    () => visitorFrames.rename(" \n "),
    () => visitorFrames.join({ pole: "Trouver un emploi" }),
    () => visitorFrames.join({ pole: "emploi", question: "Q", clientId: "not valid!" }),
    () => consoleFrames.take(undefined),
    () => consoleFrames.send({ conversation: "a1b2", clientId, text: "" }),
    () => consoleFrames.send({ conversation: 12, clientId, text: "hi" }),
    () => consoleFrames.typing("A B", true),
    () => consoleFrames.end(""),
  ];
  for (const build of bad) assert.throws(build, TypeError, String(build));
});

test("a few hundred random inputs: the builders' frames are always valid", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const alphabet = ["a", "Z", " ", "\n", "\t", "\u0000", "\u200d", "\u200b", "é", "😀", "<", "\ud800", "\u2028"];
  const randomText = (max) => Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  let built = 0;
  for (let i = 0; i < 300; i++) {
    const text = randomText(i % 10 === 0 ? 6000 : 60);
    const cases = [
      ["VisitorFrame", cleanText(text), () => visitorFrames.send({ clientId, text })],
      ["VisitorFrame", cleanPseudonym(text), () => visitorFrames.rename(text)],
      ["VisitorFrame", "always", () => visitorFrames.join({ pole: "emploi", pseudonym: text, question: text, clientId })],
      ["CounsellorFrame", cleanText(text), () => consoleFrames.send({ conversation: "a1b2", clientId, text })],
    ];
    for (const [def, cleaned, build] of cases) {
      if (!cleaned) {
        assert.throws(build, TypeError, JSON.stringify(text));
        continue;
      }
      const frame = build();
      assertValid(def, frame, JSON.stringify(text).slice(0, 80));
      for (const value of [frame.text, frame.question, frame.pseudonym]) {
        if (value !== undefined) assert.doesNotMatch(value, /\p{C}(?<![\n\t\u200c\u200d])/u, "no control, format or lone surrogate left");
      }
      built += 1;
    }
  }
  assert.ok(built > 500, `${built} frames built`);
});
