// The links found in a message (widget/static/links.js): only http(s) addresses, with
// an ASCII host shown as the browser reads it and no credentials; everything else,
// hostile or merely odd, stays text. The pieces always join back into the message.

import assert from "node:assert/strict";
import { test } from "node:test";

import { linkPieces } from "../../widget/static/links.js";

/** The message as [text, href] pairs, href null for plain text. */
function pieces(text) {
  const found = linkPieces(text);
  assert.equal(found.map((p) => p.text).join(""), text, "the pieces join back into the message");
  for (const piece of found) if (piece.href) assert.match(piece.href, /^https?:\/\//);
  return found.map((p) => [p.text, p.href ?? null]);
}

const links = (text) => pieces(text).filter(([, href]) => href);
const plain = (text) => assert.deepEqual(pieces(text), [[text, null]], JSON.stringify(text));

test("an http(s) address is a link, as typed; the href is the address parsed", () => {
  assert.deepEqual(pieces("Voir https://www.cidj.com/metiers ici"), [
    ["Voir ", null],
    ["https://www.cidj.com/metiers", "https://www.cidj.com/metiers"],
    [" ici", null],
  ]);
  assert.deepEqual(links("http://example.org"), [["http://example.org", "http://example.org/"]]);
  assert.deepEqual(links("HTTPS://Example.ORG/Page"), [["HTTPS://Example.ORG/Page", "https://example.org/Page"]]);
  assert.deepEqual(links("https://example.org:8443/a?b=1&c=2#d"), [
    ["https://example.org:8443/a?b=1&c=2#d", "https://example.org:8443/a?b=1&c=2#d"],
  ]);
  assert.deepEqual(links("https://fr.wikipedia.org/wiki/Cité_des_métiers"), [
    ["https://fr.wikipedia.org/wiki/Cité_des_métiers", "https://fr.wikipedia.org/wiki/Cit%C3%A9_des_m%C3%A9tiers"],
  ]);
  assert.deepEqual(links("http://127.0.0.1:8000/demo"), [["http://127.0.0.1:8000/demo", "http://127.0.0.1:8000/demo"]]);
});

test("other schemes stay text", () => {
  for (const text of [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.org/a",
    "mailto:a@example.org",
    "//example.org/a",
    "www.example.org",
    "https:example.org",
    "https:/example.org",
    "https://",
    "https:// example.org",
  ]) {
    plain(text);
  }
});

test("a scheme is only ever ASCII http or https, and starts a word", () => {
  plain("ｈttps://example.org"); // fullwidth h
  plain("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｏｒｇ");
  plain("httpｓ://example.org");
  plain("httpſ://example.org"); // long s, which case folding would turn into s
  plain("https：//example.org"); // fullwidth colon
  plain("xhttps://example.org");
  plain("évhttps://example.org");
  assert.deepEqual(links("javascript:https://example.org"), [["https://example.org", "https://example.org/"]]);
});

test("a look-alike host (any non-ASCII character in it) stays text", () => {
  plain("https://раураl.com/login"); // Cyrillic letters
  plain("https://exаmple.org"); // one Cyrillic a
  plain("https://ｅxample.org"); // fullwidth e, which URL() would quietly turn into e
  plain("https://exam\u00adple.org"); // an invisible soft hyphen, which URL() would drop
  plain("https://bücher.de");
  plain("https://example.org\u2024com"); // one dot leader
  // Hosts URL() would rewrite (numbers, percent escapes) are not shown as the browser reads them.
  plain("http://2130706433/");
  plain("http://0x7f.1/");
  plain("https://%65xample.org/");
  // Punycode typed as such is shown as typed: what it looks like is what it is.
  assert.deepEqual(links("https://xn--80ak6aa92e.com"), [["https://xn--80ak6aa92e.com", "https://xn--80ak6aa92e.com/"]]);
});

test("an address with a bidirectional or invisible control in it stays text, whole", () => {
  const rlo = "\u202e"; // right-to-left override: "…/\u202egpj.exe" reads "…/exe.jpg"
  plain(`https://example.org/${rlo}gpj.exe`);
  plain(`https://exa${rlo}mple.org`);
  for (const control of ["\u200b", "\u200e", "\u2066", "\ufeff", "\u0000", "\u0085"]) {
    plain(`https://example.org/a${control}b`);
  }
  // A control before the address is not in the link (which the page isolates, dir=ltr).
  assert.deepEqual(pieces(`${rlo}https://example.org`), [
    [rlo, null],
    ["https://example.org", "https://example.org/"],
  ]);
});

test("markup typed as text stays text; only the address inside it is linked", () => {
  assert.deepEqual(pieces('<a href="https://x">clic</a>'), [
    ['<a href="', null],
    ["https://x", "https://x/"],
    ['">clic</a>', null],
  ]);
  assert.deepEqual(pieces("<https://example.org/a>"), [
    ["<", null],
    ["https://example.org/a", "https://example.org/a"],
    [">", null],
  ]);
  assert.deepEqual(links("<img src=https://example.org/x.png onerror=alert(1)>"), [
    ["https://example.org/x.png", "https://example.org/x.png"],
  ]);
  assert.deepEqual(links("'https://example.org/a'"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("`https://example.org/a`"), [["https://example.org/a", "https://example.org/a"]]);
});

test("trailing punctuation and unbalanced brackets are not part of the link", () => {
  assert.deepEqual(pieces("https://example.org/a."), [
    ["https://example.org/a", "https://example.org/a"],
    [".", null],
  ]);
  assert.deepEqual(pieces("(https://example.org/a)"), [
    ["(", null],
    ["https://example.org/a", "https://example.org/a"],
    [")", null],
  ]);
  assert.deepEqual(pieces("(voir https://example.org/a)."), [
    ["(voir ", null],
    ["https://example.org/a", "https://example.org/a"],
    [").", null],
  ]);
  assert.deepEqual(links("https://example.org/a, https://example.org/b; https://example.org/c!"), [
    ["https://example.org/a", "https://example.org/a"],
    ["https://example.org/b", "https://example.org/b"],
    ["https://example.org/c", "https://example.org/c"],
  ]);
  assert.deepEqual(links("Et https://example.org/a ?"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("« https://example.org/a »"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("«https://example.org/a»"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("https://example.org/a…"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("https://example.org/a?"), [["https://example.org/a", "https://example.org/a"]]);
  // Brackets that belong to the address stay in it.
  assert.deepEqual(links("https://en.wikipedia.org/wiki/Mercury_(planet)."), [
    ["https://en.wikipedia.org/wiki/Mercury_(planet)", "https://en.wikipedia.org/wiki/Mercury_(planet)"],
  ]);
  assert.deepEqual(links("[https://example.org/a]"), [["https://example.org/a", "https://example.org/a"]]);
  assert.deepEqual(links("https://example.org/?q=a."), [["https://example.org/?q=a", "https://example.org/?q=a"]]);
  plain("https://.");
});

test("an address with credentials stays text", () => {
  plain("https://user:pw@example.org/");
  plain("https://user@example.org");
  plain("https://@example.org");
  plain("https://www.impots.gouv.fr@evil.example/login");
  plain("https://a:b@c");
  // An @ further on is part of the path, not of the host.
  assert.deepEqual(links("https://example.org/@camille"), [["https://example.org/@camille", "https://example.org/@camille"]]);
  // Backslashes end an address: URL() would read them as slashes and move the host.
  assert.deepEqual(pieces("https://evil.example\\@example.org"), [
    ["https://evil.example", "https://evil.example/"],
    ["\\@example.org", null],
  ]);
});

test("a very long address is one link, whole, and found in linear time", () => {
  const long = `https://example.org/${"a".repeat(3900)}`;
  assert.deepEqual(links(long), [[long, long]]);
  const many = `${"https://example.org/( ".repeat(400)}`;
  assert.equal(links(many).length, 400);
  const started = performance.now();
  linkPieces(`https://example.org/${"(".repeat(4000)}`);
  linkPieces(`${"http://".repeat(600)}`);
  linkPieces(`https://${"a.".repeat(2000)}`);
  assert.ok(performance.now() - started < 1000);
});

test("several addresses in one message, text between them kept", () => {
  assert.deepEqual(pieces("1: https://a.example 2: http://b.example/x\n3: https://c.example/y."), [
    ["1: ", null],
    ["https://a.example", "https://a.example/"],
    [" 2: ", null],
    ["http://b.example/x", "http://b.example/x"],
    ["\n3: ", null],
    ["https://c.example/y", "https://c.example/y"],
    [".", null],
  ]);
  assert.deepEqual(pieces(""), []);
  plain("Bonjour, pas de lien ici.");
});
