// The conversation thread, shared by the visitor's chat page and the counsellor's
// console (which imports it as ../widget/thread.js). Lines are "mine" (the
// page's own user) or "theirs", styled by thread.css. Every text is passed in by
// the caller from its catalog and drawn as text nodes, never parsed as HTML; the
// http(s) addresses of a message become links built node by node (see links.js).

import { linkPieces } from "./links.js";

/**
 * One message: a meta line (author, then time or status) above the text bubble.
 * `author` and `status` are display texts; `pending` greys the line until its echo.
 */
export function messageItem({ mine, author, status, text, pending = false }) {
  const li = document.createElement("li");
  li.className = `msg ${mine ? "msg-mine" : "msg-theirs"}${pending ? " pending" : ""}`;
  const meta = metaLine(author, status);
  const bubble = document.createElement("p");
  bubble.className = "msg-text";
  appendLinked(bubble, text);
  li.append(meta, bubble);
  return li;
}

/** The line above an item: who, then when (or its status). */
export function metaLine(author, status) {
  const meta = document.createElement("p");
  meta.className = "msg-meta";
  const who = document.createElement("span");
  who.className = "msg-author";
  who.textContent = author;
  const when = document.createElement("span");
  when.className = "msg-status";
  when.textContent = status;
  meta.append(who, " ", when);
  return meta;
}

/**
 * `text` into `parent`: text as text, each address an <a> opening in a new tab that
 * gets no handle on this page (noopener) and no referrer (noreferrer). dir="ltr" isolates
 * the link from bidirectional controls written before it, so it reads as it goes.
 */
function appendLinked(parent, text) {
  for (const piece of linkPieces(text)) {
    if (!piece.href) {
      parent.append(piece.text);
      continue;
    }
    const link = document.createElement("a");
    link.href = piece.href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.dir = "ltr";
    link.textContent = piece.text;
    parent.append(link);
  }
}

/** A flag beside a line's author: "shared with consent", "from my portfolio". */
export function flagLine(li, text) {
  const flag = document.createElement("span");
  flag.className = "msg-flag";
  flag.textContent = text;
  li.querySelector(".msg-meta").append(" ", flag);
}

/** A centred line about the conversation itself (opened, renamed, ended). */
export function systemItem(text) {
  const li = document.createElement("li");
  li.className = "msg msg-system";
  li.textContent = text;
  return li;
}

/** A pending line that will never be delivered: shown as failed, with `label` as its status. */
export function markFailed(li, label) {
  li.classList.remove("pending");
  li.classList.add("failed");
  const status = li.querySelector(".msg-status");
  if (status) status.textContent = label;
}

/**
 * The lines sent but not yet echoed by the server, by client_id. They stay at the
 * bottom of the thread: `insert` puts every confirmed line above them.
 */
export class PendingLines {
  constructor() {
    this.lines = new Map();
  }

  add(clientId, li) {
    this.lines.set(clientId, li);
  }

  has(clientId) {
    return this.lines.has(clientId);
  }

  /** Insert a confirmed line into `list`, above the pending ones. */
  insert(list, li) {
    let before = null;
    for (const line of this.lines.values()) {
      if (line.isConnected) {
        before = line;
        break;
      }
    }
    list.insertBefore(li, before);
  }

  /** The server echoed `clientId`: its pending line goes (the echo replaces it). */
  settle(clientId) {
    this.lines.get(clientId)?.remove();
    this.lines.delete(clientId);
  }

  /** `clientId` will never be delivered: its line stays, marked failed. */
  fail(clientId, label) {
    const li = this.lines.get(clientId);
    if (li) markFailed(li, label);
    this.lines.delete(clientId);
  }

  /** Nothing more can be sent (the conversation is over): every pending line fails. */
  failAll(label) {
    for (const li of this.lines.values()) markFailed(li, label);
    this.lines.clear();
  }

  clear() {
    this.lines.clear();
  }
}

const WEB = /^https?:\/\//i;

/**
 * A resource card (R7) shared in the conversation: kind, title, text, an event's
 * day, time and place, and its link, opened in a new tab without a handle on this
 * page. `labels` holds the caller's texts: `kind` (the kind's name), `when` (the
 * event's day and time, formatted), `open` (the link's text) and `openLabel` (its
 * accessible name, with the title). The link is drawn only for an http(s) address,
 * whatever the server sent.
 */
export function cardItem({ mine, author, status, card, labels }) {
  return boxedItem(mine, author, status, cardBody(card, labels));
}

/** A line of the thread holding a box (a card), framed apart from the bubbles. */
function boxedItem(mine, author, status, box) {
  const li = document.createElement("li");
  li.className = `msg msg-card ${mine ? "msg-mine" : "msg-theirs"}`;
  li.append(metaLine(author, status), box);
  return li;
}

/** The card itself, also used for the widget's upcoming events. */
export function cardBody(card, labels) {
  const box = document.createElement("article");
  box.className = `resource resource-${card.kind}`;
  const kind = document.createElement("p");
  kind.className = "resource-kind";
  kind.textContent = labels.kind;
  const title = document.createElement("p");
  title.className = "resource-title";
  title.textContent = card.title;
  box.append(kind, title);
  if (labels.when || card.place) {
    const at = document.createElement("p");
    at.className = "resource-when";
    at.textContent = [labels.when, card.place].filter(Boolean).join(" · ");
    box.append(at);
  }
  if (card.text) {
    const text = document.createElement("p");
    text.className = "resource-text";
    text.textContent = card.text;
    box.append(text);
  }
  if (card.url && WEB.test(card.url)) {
    const link = document.createElement("a");
    link.className = "resource-link";
    link.href = card.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = labels.open;
    link.setAttribute("aria-label", labels.openLabel);
    box.append(link);
  }
  return box;
}

/** An event's day ("2026-12-09") and start ("14:00") in words, in `lang`. */
export function eventWhen(card, lang) {
  if (!card.day) return "";
  const [y, m, d] = card.day.split("-").map(Number);
  const day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
  const text = day.format(new Date(Date.UTC(y, m - 1, d)));
  return card.start ? `${text}, ${card.start}` : text;
}

const WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/**
 * A counsellor's usual hours on duty, one text per line: "au pôle « Emploi » le mardi
 * et le jeudi, de 14:00 à 18:00". `t` is the page's translator (keys `duty.line` and
 * `duty.day`), `poleName` turns a pole id into its name.
 */
export function dutyLines(duty, t, lang, poleName) {
  const names = new Intl.DateTimeFormat(lang, { weekday: "long", timeZone: "UTC" });
  const list = new Intl.ListFormat(lang, { type: "conjunction" });
  return duty.map((slot) => {
    const days = slot.days
      .filter((day) => WEEK.includes(day))
      .map((day) => t("duty.day", { day: names.format(new Date(Date.UTC(2024, 0, 1 + WEEK.indexOf(day)))) }));
    return t("duty.line", { pole: poleName(slot.pole), days: list.format(days), start: slot.start, end: slot.end });
  });
}

/** The `duty` event: who, when they are usually there, and that it is no appointment. */
export function dutyItem({ mine, author, status, heading, lines, note }) {
  const box = document.createElement("article");
  box.className = "resource resource-duty";
  const title = document.createElement("p");
  title.className = "resource-title";
  title.textContent = heading;
  const items = document.createElement("ul");
  items.className = "resource-lines";
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    items.append(item);
  }
  const fine = document.createElement("p");
  fine.className = "resource-text";
  fine.textContent = note;
  box.append(title, items, fine);
  return boxedItem(mine, author, status, box);
}
