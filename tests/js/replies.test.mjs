import assert from "node:assert/strict";
import { test } from "node:test";

import { fillReply, fold, matchReplies, replyQuery } from "../../console/static/replies.js";

const REPLIES = [
  { id: "a", name: "bonjour", text: "Bonjour {pseudonym}, je suis {alias}." },
  { id: "b", name: "CV", text: "Voici l'atelier CV du pôle." },
  { id: "c", name: "au revoir", text: "Bonne journée, revenez quand vous voulez." },
  { id: "d", name: "Bienvenue à l'accueil", text: "Je vous oriente." },
];

test("a reply is asked for by a slash at the very start, on one line", () => {
  assert.equal(replyQuery("/bon"), "bon");
  assert.equal(replyQuery("/"), "");
  assert.equal(replyQuery("bonjour /bon"), null);
  assert.equal(replyQuery("/etc/passwd\nest un fichier"), null);
});

test("names starting with the query come first, then any word of name or text", () => {
  assert.deepEqual(matchReplies(REPLIES, "b").map((r) => r.id), ["a", "d", "c"]); // "Bonne journée"
  assert.deepEqual(matchReplies(REPLIES, "atelier").map((r) => r.id), ["b"]);
  assert.deepEqual(matchReplies(REPLIES, "ACCUEIL").map((r) => r.id), ["d"]);
  assert.deepEqual(matchReplies(REPLIES, "bienvenue a").map((r) => r.id), ["d"]); // accents folded
  assert.deepEqual(matchReplies(REPLIES, "").map((r) => r.id), ["a", "b", "c", "d"]);
  assert.deepEqual(matchReplies(REPLIES, "zzz"), []);
  assert.equal(matchReplies(REPLIES, "", 2).length, 2);
  assert.equal(fold("Élève MÉTIER"), "eleve metier");
});

test("placeholders are filled, and nothing else", () => {
  const values = { pseudonym: "Lynx 12", alias: "Camille" };
  assert.equal(fillReply(REPLIES[0].text, values), "Bonjour Lynx 12, je suis Camille.");
  assert.equal(fillReply("{pseudonym} {autre} {alias}", values), "Lynx 12 {autre} Camille");
  // A pseudonym that looks like a placeholder is not filled again.
  assert.equal(fillReply("{pseudonym} {alias}", { pseudonym: "{alias}", alias: "C" }), "{alias} C");
});
