// Unit tests of the conversation thread (widget/static/thread.js) under Node, over a
// small stand-in for the few DOM calls it makes.

import assert from "node:assert/strict";
import { test } from "node:test";

class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.children = [];
    this.parent = null;
    this.ownText = "";
    const classes = () => new Set(this.className.split(" ").filter(Boolean));
    this.classList = {
      contains: (name) => classes().has(name),
      add: (name) => (this.className = [...classes().add(name)].join(" ")),
      remove: (name) => (this.className = [...classes()].filter((c) => c !== name).join(" ")),
    };
  }
  set textContent(text) {
    this.children = [];
    this.ownText = String(text);
  }
  get textContent() {
    return this.ownText + this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }
  get isConnected() {
    return this.parent !== null;
  }
  append(...nodes) {
    for (const node of nodes) this.insertBefore(node, null);
  }
  insertBefore(node, before) {
    if (typeof node !== "string") node.parent = this;
    const at = before ? this.children.indexOf(before) : -1;
    this.children.splice(at < 0 ? this.children.length : at, 0, node);
  }
  remove() {
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }
  querySelector(selector) {
    for (const child of this.children) {
      if (typeof child === "string") continue;
      if (child.classList.contains(selector.slice(1))) return child;
      const found = child.querySelector(selector);
      if (found) return found;
    }
    return null;
  }
}

globalThis.document = { createElement: (tag) => new FakeElement(tag) };
const { PendingLines, markFailed, messageItem, systemItem } = await import("../../widget/static/thread.js");

const texts = (list) => list.children.map((li) => li.querySelector(".msg-text")?.textContent ?? li.textContent);

test("a message is a meta line (author, status) over its text, mine or theirs", () => {
  const mine = messageItem({ mine: true, author: "Vous", status: "12:00", text: "<b>Bonjour</b>" });
  assert.equal(mine.className, "msg msg-mine");
  assert.equal(mine.querySelector(".msg-author").textContent, "Vous");
  assert.equal(mine.querySelector(".msg-status").textContent, "12:00");
  assert.equal(mine.querySelector(".msg-meta").textContent, "Vous 12:00");
  assert.equal(mine.querySelector(".msg-text").textContent, "<b>Bonjour</b>");
  const theirs = messageItem({ mine: false, author: "Camille", status: "envoi…", text: "x", pending: true });
  assert.equal(theirs.className, "msg msg-theirs pending");
  assert.equal(systemItem("Camille a rejoint").className, "msg msg-system");
});

test("the addresses of a message are links opening in a new tab, the rest is text", () => {
  const text = "Voir https://example.org/a. Pas javascript:alert(1) ni <a href='x'>";
  const bubble = messageItem({ mine: false, author: "Camille", status: "", text }).querySelector(".msg-text");
  assert.equal(bubble.textContent, text);
  const links = bubble.children.filter((child) => typeof child !== "string");
  assert.equal(links.length, 1);
  const [link] = links;
  assert.equal(link.tagName, "A");
  assert.deepEqual(
    [link.href, link.target, link.rel, link.dir, link.textContent],
    ["https://example.org/a", "_blank", "noopener noreferrer", "ltr", "https://example.org/a"],
  );
  assert.deepEqual(bubble.children, ["Voir ", link, ". Pas javascript:alert(1) ni <a href='x'>"]);
});

test("a failed line loses its pending look and says so", () => {
  const li = messageItem({ mine: true, author: "Vous", status: "envoi…", text: "x", pending: true });
  markFailed(li, "non envoyé");
  assert.equal(li.className, "msg msg-mine failed");
  assert.equal(li.querySelector(".msg-status").textContent, "non envoyé");
});

test("pending lines stay below confirmed ones until echoed, failed, or all failed", () => {
  const list = new FakeElement("ol");
  const pending = new PendingLines();
  const line = (text, isPending = false) =>
    messageItem({ mine: true, author: "Vous", status: "", text, pending: isPending });
  pending.insert(list, line("un"));
  for (const id of ["a", "b"]) {
    const li = line(`pending ${id}`, true);
    list.append(li);
    pending.add(id, li);
  }
  pending.insert(list, line("deux"));
  assert.deepEqual(texts(list), ["un", "deux", "pending a", "pending b"]);

  pending.settle("a");
  pending.insert(list, line("pending a, echoed"));
  assert.deepEqual(texts(list), ["un", "deux", "pending a, echoed", "pending b"]);
  assert.equal(pending.has("a"), false);
  pending.settle(undefined); // an event without client_id

  pending.fail("b", "non envoyé");
  assert.equal(pending.has("b"), false);
  pending.insert(list, line("trois"));
  assert.deepEqual(texts(list), ["un", "deux", "pending a, echoed", "pending b", "trois"]);
  assert.ok(list.children[3].classList.contains("failed"));

  const last = line("pending c", true);
  list.append(last);
  pending.add("c", last);
  pending.failAll("non envoyé");
  assert.equal(last.className, "msg msg-mine failed");
  assert.equal(pending.has("c"), false);
});
