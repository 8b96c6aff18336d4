// The visitor's chat page, inside the widget's iframe on Parole's own origin.
// Views: poles -> question -> waiting -> talk -> ended. Every visible text comes
// from the catalog embedded in the page; every message is drawn with textContent.

import { ParoleSocket, SeqTracker, TypingSender, newClientId, socketUrl } from "../protocol/client.js";
import * as frames from "../protocol/frames.js";
import { IdentityGuard } from "./guard.js";
import { addPending, clearPending, readPending, removePending } from "./pending.js";
import { setupPortfolio } from "./portfolio_panel.js";
import { setupProof } from "./proof.js";
import { translator } from "./texts.js";
import {
  PendingLines,
  cardBody,
  cardItem,
  dutyItem,
  dutyLines,
  eventWhen,
  flagLine,
  messageItem,
  metaLine,
  systemItem,
} from "./thread.js";

const TOKEN_KEY = "parole:token";
const READ_KEY = "parole:read";
const DRAFT_KEY = "parole:draft"; // the pole chosen and question typed, until joined
const COMPOSE_KEY = "parole:compose"; // a reply typed while talking, not sent yet
const QUESTION_KEY = "parole:question"; // the question sent, shown while waiting
const TYPING_STALE = 8000; // hide the counsellor's indicator if not refreshed

const body = document.body;
const hostOrigin = body.dataset.hostOrigin || "";
const lang = body.dataset.lang || document.documentElement.lang || "fr";
const catalog = JSON.parse(document.getElementById("parole-i18n").textContent);
const $ = (id) => document.getElementById(id);

// --- texts ------------------------------------------------------------------------------
// t(key, values): values.count picks the form of a text with a count (see texts.js).
const t = translator(catalog, lang);
// Times are shown in the visitor's own time zone, the browser's (R5).
const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const moment = new Intl.DateTimeFormat(lang, {
  weekday: "long",
  day: "numeric",
  month: "long",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});
const DAY = 24 * 3600 * 1000;
const LONG_WAIT = 15 * 60; // s: from this estimate on, the waiting view offers to come or call
const SITE = /^[a-z0-9-]{1,64}$/.test(body.dataset.site || "") ? body.dataset.site : "";

// The iframe's sessionStorage: the resume token, the last seq read, and the messages
// not yet acknowledged (see pending.js). Where the browser refuses it (a private
// window, or third-party storage blocked, on a Cité's site), a stand-in that lasts as
// long as the page: a lost connection still resumes, but a reload would start afresh,
// so the visitor is told and offered to go on in a tab of Parole's own (`lasting`).
function memoryStorage() {
  const kept = new Map();
  return {
    getItem: (key) => (kept.has(key) ? kept.get(key) : null),
    setItem: (key, value) => kept.set(key, String(value)),
    removeItem: (key) => kept.delete(key),
  };
}
const { store, lasting } = (() => {
  try {
    const session = window.sessionStorage;
    session.setItem("parole:probe", "1");
    session.removeItem("parole:probe");
    return { store: session, lasting: true };
  } catch {
    return { store: memoryStorage(), lasting: false };
  }
})();

function storage(action, key, value) {
  try {
    if (action === "get") return store.getItem(key);
    if (action === "set") store.setItem(key, value);
    if (action === "del") store.removeItem(key);
  } catch {
    // storage full or withdrawn meanwhile: the chat still works, without resume
  }
  return null;
}

// A session handed over by a frame that could not keep it: the token comes in the
// fragment (never sent to a server), is kept here and taken off the address at once.
const fragment = new URLSearchParams(location.hash.slice(1));
const handed = fragment.get("resume");
if (location.hash) history.replaceState(null, "", location.pathname + location.search);
if (frames.isToken(handed)) storage("set", TOKEN_KEY, handed);

/** While a session runs in a page that cannot keep it: say so, offer a tab of its own. */
function drawLasting() {
  const show = !lasting && Boolean(state.session) && state.session.state !== "ended";
  if (show === $("lasting").classList.contains("open")) return;
  $("lasting").classList.toggle("open", show);
  $("lasting-text").textContent = show ? t("widget.lasting.notice") : "";
  $("lasting-open").hidden = !(show && hostOrigin);
}

$("lasting-open").addEventListener("click", () => {
  const token = storage("get", TOKEN_KEY);
  if (!frames.isToken(token)) return;
  const url = new URL(location.href);
  url.searchParams.delete("host"); // a page of its own, framed by nobody
  url.hash = new URLSearchParams({ resume: token }).toString();
  window.open(url.href, "_blank", "noopener");
});

// --- state ------------------------------------------------------------------------------
const state = {
  poles: new Map(), // id -> {name, description}, every pole ever shown
  citeLoaded: false,
  status: null, // the site's last `status`: open, accepting, poles, next opening
  statusLive: false, // it came from the socket (newer than any fetch)
  position: null, // the last `position` frame
  draft: null, // {pole, question} typed before a reload, put back once the poles are known
  chosen: null, // pole id picked before joining
  asked: null, // a partner link's pole, chosen once the list shows (see askPole)
  reported: false, // this visitor ended the conversation with a report
  rateDone: false, // answered or skipped "how was it?" (asked once)
  askedSeen: null, // the last one asked: asked once, not at every showing of the panel
  question: "",
  joinFrame: null, // a join to send once connected
  session: null, // last `session` frame
  conversation: null,
  alias: "", // who holds the conversation
  pole: "",
  people: [], // {alias, pole} of every counsellor in it (a colleague may be invited)
  asks: new Map(), // seq -> a counsellor's request for a detail still awaiting an answer
  seqs: new SeqTracker(),
  pending: new PendingLines(), // our lines not yet echoed by the server
  restored: [], // unacknowledged messages found in storage after a reload, re-sent once talking
  visible: !hostOrigin, // the host shows the panel (or we are not framed)
  readSeq: Number(storage("get", READ_KEY) || 0),
  unread: 0,
  typingStale: null,
  everOpen: false,
  view: null,
};
let socket = null;
// The visitor's own "typing" frames, sent only while talking.
const typing = new TypingSender(
  (active) => state.session?.state === "talking" && socket.send(frames.visitorTyping(active)),
);

// --- host page --------------------------------------------------------------------------
function toHost(message) {
  if (hostOrigin && window.parent !== window) window.parent.postMessage(message, hostOrigin);
}

window.addEventListener("message", (event) => {
  if (!hostOrigin || event.origin !== hostOrigin || event.source !== window.parent) return;
  const type = event.data && event.data.type;
  if (type === "parole:shown") {
    state.visible = true;
    markRead();
    focusView();
  } else if (type === "parole:hidden") {
    state.visible = false;
  }
  if (type === "parole:shown") askPole(event.data.pole);
});

if (hostOrigin) {
  $("close").hidden = false;
  $("close").addEventListener("click", () => toHost({ type: "parole:close" }));
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!$("end-confirm").hidden) {
    closeConfirm();
  } else if (!$("rename-form").hidden) {
    closeRename();
  } else if (hostOrigin) {
    toHost({ type: "parole:close" });
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.visible) markRead();
});

function markRead() {
  if (state.conversation) {
    state.readSeq = state.seqs.last(state.conversation);
    storage("set", READ_KEY, String(state.readSeq));
  }
  if (state.unread) {
    state.unread = 0;
    toHost({ type: "parole:unread", count: 0 });
  }
}

function countUnread(event) {
  if (event.author !== "counsellor" || event.seq <= state.readSeq) return;
  if (state.visible && !document.hidden) {
    markRead();
    return;
  }
  state.unread += 1;
  toHost({ type: "parole:unread", count: state.unread, label: t("widget.unread", { count: state.unread }) });
}

// --- views ------------------------------------------------------------------------------
const VIEWS = ["loading", "poles", "question", "waiting", "talk", "ended"];

function show(...names) {
  const changed = names.join() !== state.view;
  state.view = names.join();
  for (const name of VIEWS) $(`view-${name}`).hidden = !names.includes(name);
  placePseudonym();
  if (changed) focusView();
  if (state.view === "poles") applyAsked(); // a partner's link waits for the pole list
}

/**
 * The pseudonym and its rename control: one element, moved into the view that
 * allows renaming (waiting, or talking), hidden elsewhere (e.g. once ended).
 */
function placePseudonym() {
  const box = $("pseudonym-box");
  const slot = { waiting: $("waiting-pseudonym-slot"), talk: $("talk-pseudonym-slot") }[state.view] || null;
  box.hidden = !slot;
  document.body.dataset.view = state.view || "";
  // While talking the control is folded to one line: a short visible label, the full
  // one as its accessible name (which contains the visible one, WCAG 2.5.3).
  const button = $("rename-open");
  const short = state.view === "talk";
  button.textContent = t(short ? "widget.pseudonym.change.short" : "widget.pseudonym.change");
  if (short) button.setAttribute("aria-label", t("widget.pseudonym.change"));
  else button.removeAttribute("aria-label");
  if (!slot || box.parentElement === slot) return;
  $("rename-form").hidden = true; // a form half-filled in another view is dropped
  $("rename-open").setAttribute("aria-expanded", "false");
  slot.append(box);
}

function focusView() {
  const view = state.view || "";
  let target = null;
  if (view === "poles") target = $("poles-heading");
  else if (view === "question") target = $("question");
  else if (view === "waiting") target = $("waiting-heading");
  else if (view === "talk") target = $("compose-text");
  else if (view.includes("ended")) target = $("ended-heading");
  if (target && (state.visible || !hostOrigin)) target.focus({ preventScroll: view === "talk" });
}

function alertText(text) {
  $("alert").textContent = text || "";
}

function banner(text, takeback = false) {
  $("banner-text").textContent = text || "";
  $("banner").classList.toggle("on", Boolean(text));
  $("takeback").hidden = !takeback;
}

// --- poles ------------------------------------------------------------------------------
async function loadCite() {
  $("poles-message").hidden = true;
  $("poles-retry").hidden = true;
  try {
    const query = SITE ? `?site=${encodeURIComponent(SITE)}` : "";
    const response = await fetch(`/api/cite${query}`, { credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const status = await response.json();
    if (!state.statusLive) drawStatus(status);
  } catch {
    $("poles-message").textContent = t("widget.poles.error");
    $("poles-message").hidden = false;
    $("poles-retry").hidden = false;
  }
  refreshTalkHead();
}

/** The site's `status` (socket or /api/cite): hours, next opening, poles open now. */
function drawStatus(status) {
  state.status = status;
  state.citeLoaded = true;
  for (const pole of status.poles) state.poles.set(pole.id, pole);
  drawHours(status);
  drawPoles(status);
  drawEvents(status);
  // The pole being chosen is not taking anyone any more: back to the list, saying why.
  if (state.view === "question" && !status.poles.some((p) => p.id === state.chosen && status.accepting)) {
    state.chosen = null;
    show("poles");
    alertText(t("error.closed"));
  }
  refreshTalkHead();
  drawClosing();
  drawReach();
  restoreDraft();
  applyAsked();
}

/** After a reload before joining: the same pole and question, if still offered. */
function restoreDraft() {
  const draft = state.draft;
  if (!draft || state.session || state.view !== "poles") return;
  state.draft = null;
  if (!state.status.accepting || !state.status.poles.some((p) => p.id === draft.pole)) return;
  choosePole(draft.pole);
  $("question").value = draft.question;
}

function saveDraft() {
  if (state.chosen) storage("set", DRAFT_KEY, JSON.stringify({ pole: state.chosen, question: $("question").value }));
}

function drawHours(status) {
  let hours;
  if (status.accepting && status.closes_at - Date.now() > DAY) {
    hours = t("widget.status.open_now"); // open around the clock: no closing time to give
  } else if (status.accepting && status.last_entry < status.closes_at) {
    hours = t("widget.status.last_entry", {
      time: clock.format(status.closes_at),
      last: clock.format(status.last_entry),
    });
  } else if (status.accepting) {
    hours = t("widget.status.open", { time: clock.format(status.closes_at) });
  } else if (status.open) {
    hours = t("widget.status.no_more", { time: clock.format(status.closes_at) });
  } else {
    hours = t("widget.status.closed");
  }
  $("site-hours").textContent = hours;
  $("site-next").hidden = status.accepting;
  $("site-next").textContent = status.next_opening
    ? t("widget.status.next", { when: moment.format(status.next_opening) })
    : t("widget.status.unknown");
}

function drawPoles(status) {
  const list = $("poles");
  const accueil = $("accueil-list");
  list.replaceChildren();
  accueil.replaceChildren();
  $("accueil").hidden = true;
  $("poles-message").hidden = true;
  if (!status.accepting) return; // the hours above say when to come back
  if (status.poles.length === 0) {
    $("poles-message").textContent = t("widget.poles.none");
    $("poles-message").hidden = false;
    return;
  }
  // The accueil first, for whoever does not know which pole fits; the poles beneath.
  for (const pole of status.poles) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = pole.accueil ? "pole pole-accueil" : "pole";
    button.dataset.pole = pole.id;
    const name = document.createElement("span");
    name.className = "pole-name";
    name.textContent = pole.name;
    button.append(name);
    if (pole.description) {
      const description = document.createElement("span");
      description.className = "pole-description";
      description.textContent = pole.description;
      button.append(description);
    }
    button.addEventListener("click", () => choosePole(pole.id));
    item.append(button);
    (pole.accueil ? accueil : list).append(item);
  }
  $("accueil").hidden = accueil.children.length === 0;
  $("poles-others").hidden = list.children.length === 0;
  if (state.view === "poles") focusView();
}

function poleName(id) {
  return state.poles.get(id)?.name || id || "";
}

function cardLabels(card) {
  return {
    kind: t(`card.kind.${card.kind}`),
    when: eventWhen(card, lang),
    open: t("card.open"),
    openLabel: t("card.open.label", { title: card.title }),
  };
}

/** The site's address and phone, as lines of text and a tel: link ("(0)" dropped from it). */
function fillReach(box, status) {
  box.replaceChildren();
  const name = document.createElement("p");
  name.className = "reach-site";
  name.textContent = status.site_name;
  box.append(name);
  if (status.site_address) {
    const address = document.createElement("p");
    address.className = "reach-address";
    address.textContent = status.site_address; // its lines kept by white-space: pre-line
    box.append(address);
  }
  if (status.site_phone) {
    const line = document.createElement("p");
    const link = document.createElement("a");
    const number = status.site_phone.replace(/\(0\)/g, "");
    link.href = `tel:${number.startsWith("+") ? "+" : ""}${number.replace(/\D/g, "")}`;
    link.textContent = status.site_phone;
    link.setAttribute("aria-label", t("widget.reach.call", { phone: status.site_phone }));
    line.append(t("widget.reach.phone"), " ", link);
    box.append(line);
  }
}

/**
 * How to reach the Cité otherwise: the chat is one channel among others, never a wall.
 * Under the poles while the chat is open, first and highlighted when it is closed; while
 * waiting, when the wait is long (a quarter of an hour or more, nobody available to take
 * visitors, or the pole closing before one's turn).
 */
function drawReach() {
  const status = state.status;
  const known = Boolean(status && (status.site_address || status.site_phone));
  const reach = $("reach");
  reach.hidden = !known;
  if (known) {
    fillReach(reach.querySelector(".reach-body"), status);
    reach.classList.toggle("prominent", !status.accepting);
    if (status.accepting) $("events").after(reach);
    else $("site-status").after(reach);
  }
  const p = state.position;
  const long = Boolean(p && (p.staffed === 0 || (p.estimate && p.estimate.low >= LONG_WAIT) || !$("closing").hidden));
  const waiting = $("reach-waiting");
  waiting.hidden = !(known && long);
  if (known && long) fillReach(waiting.querySelector(".reach-body"), status);
}

/** The Cité's next workshops and events (R7), open or closed: no need to wait for anyone. */
function drawEvents(status) {
  const list = $("events-list");
  list.replaceChildren();
  for (const card of status.events || []) {
    const item = document.createElement("li");
    item.append(cardBody(card, cardLabels(card)));
    addKeep(item, { id: `event-${card.id}-${card.day || ""}`, kind: "card", at: Date.now(), pole: poleName(card.pole), card }, card.title);
    list.append(item);
  }
  $("events").hidden = list.children.length === 0;
}

/**
 * A partner's link opened the widget on a pole ("#parole=<pole>" on the Cité's page,
 * or "#pole=<pole>" on this one): that pole is chosen, once, if it is offered and
 * taking visitors now and the visitor has no session; else the list shows as usual.
 * It is only a shortcut: nothing of it is sent to the server or kept.
 */
function askPole(pole) {
  if (typeof pole !== "string" || !/^[a-z0-9-]{1,64}$/.test(pole) || pole === state.askedSeen) return;
  state.askedSeen = pole;
  state.asked = pole;
  applyAsked();
}

function applyAsked() {
  const pole = state.asked;
  if (!pole || !state.status || state.view === "loading") return;
  state.asked = null;
  if (state.session || state.view !== "poles") return;
  if (state.status.accepting && state.status.poles.some((p) => p.id === pole)) choosePole(pole);
}

function choosePole(id) {
  state.chosen = id;
  $("chosen-pole").textContent = poleName(id);
  alertText("");
  show("question");
  saveDraft();
}

$("question").addEventListener("input", saveDraft);

$("poles-retry").addEventListener("click", loadCite);
$("change-pole").addEventListener("click", () => show("poles"));

// The identity guard (R1): what looks like an email, a phone number... is pointed out
// before it goes, in the question as in the replies.
const guard = (box, before, sendAnyway) =>
  new IdentityGuard({ box, before, t, lang, notice: "widget.guard.notice", sendAnyway });
const questionGuard = guard($("question"), $("join"), () => $("join-form").requestSubmit());
const composeGuard = guard($("compose-text"), $("compose-hint"), () => sendMessage());

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!state.chosen) return;
  const question = frames.cleanText($("question").value);
  if (question && !questionGuard.allow(question)) return;
  const frame = frames.join({ pole: state.chosen, question, clientId: question ? newClientId() : undefined });
  state.question = question;
  alertText("");
  $("join").disabled = true;
  state.joinFrame = frame;
  if (socket.send(frame)) state.joinFrame = null;
});

// --- waiting ----------------------------------------------------------------------------
function drawWaiting() {
  $("pseudonym").textContent = state.session?.pseudonym || "";
  $("waiting-question").hidden = !state.question || Boolean(state.session?.conversation);
  $("waiting-question-text").textContent = state.question;
}

function drawPosition(frame) {
  state.position = frame;
  $("position-number").textContent = String(frame.position);
  $("position-text").textContent =
    frame.position <= 1 ? t("widget.position.first") : t("widget.position.other", { n: frame.position });
  $("waiting-count").textContent = t("widget.waiting.count", { count: frame.waiting });
  $("estimate").textContent = estimateText(frame.estimate);
  $("estimate-note").hidden = !frame.estimate;
  // Said once when it becomes true (a live region), not at every refresh.
  const unstaffed = frame.staffed === 0;
  if ($("unstaffed").hidden === unstaffed) {
    $("unstaffed").hidden = !unstaffed;
    $("unstaffed").textContent = unstaffed ? t("widget.estimate.unstaffed") : "";
  }
  drawClosing();
  drawReach();
}

/** A range in whole minutes, never a promise; nothing invented when the server has no figure. */
function estimateText(estimate) {
  if (!estimate) return t("widget.estimate.none");
  const low = Math.floor(estimate.low / 60);
  const high = Math.max(Math.ceil(estimate.high / 60), 1);
  // The form agrees with the last number said: "moins d'une minute", "entre 1 et 4 minutes".
  if (low >= 120) return t("widget.estimate.long", { count: low });
  if (low < 1) return t("widget.estimate.under", { count: high });
  return t("widget.estimate.range", { low, count: high });
}

/**
 * Said while waiting, once arrivals are closed or within the last hour, or as soon
 * as the estimate runs past closing time: a visitor still waiting then is not served.
 */
function drawClosing() {
  const box = $("closing");
  const frame = state.position;
  const closes = frame?.closes_at;
  if (!closes || state.session?.state !== "waiting") {
    box.hidden = true;
    return;
  }
  const time = clock.format(closes);
  const soon = (state.status && !state.status.accepting) || closes - Date.now() < 3600 * 1000;
  const risk = Boolean(frame.estimate) && Date.now() + frame.estimate.high * 1000 > closes;
  const lines = [];
  if (soon) lines.push(t("widget.closing.soon", { time }));
  if (risk) lines.push(t("widget.closing.risk", { time }));
  box.textContent = lines.join(" ");
  box.hidden = lines.length === 0;
}

function openRename() {
  $("rename-form").hidden = false;
  $("rename-open").setAttribute("aria-expanded", "true");
  $("rename-input").value = state.session?.pseudonym || "";
  $("rename-input").focus();
  $("rename-input").select();
}

function closeRename() {
  $("rename-form").hidden = true;
  $("rename-open").setAttribute("aria-expanded", "false");
  $("rename-open").focus();
}

$("rename-open").addEventListener("click", () => ($("rename-form").hidden ? openRename() : closeRename()));
$("rename-cancel").addEventListener("click", closeRename);
$("rename-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const pseudonym = frames.cleanPseudonym($("rename-input").value);
  if (pseudonym && socket.send(frames.rename(pseudonym))) closeRename();
});

$("leave").addEventListener("click", () => socket.send(frames.leave()));

// --- talking ----------------------------------------------------------------------------
const names = new Intl.ListFormat(lang, { type: "conjunction" });

function refreshTalkHead() {
  if (!state.alias) return;
  const people = state.people.length ? state.people : [{ alias: state.alias, pole: state.pole }];
  $("talk-title").textContent = t("widget.talking.with", { alias: names.format(people.map((p) => p.alias)) });
  $("talk-pole").textContent =
    people.length > 1
      ? names.format(people.map((p) => t("widget.talking.person", { alias: p.alias, pole: poleName(p.pole) })))
      : t("widget.talking.pole", { pole: poleName(state.pole) });
}

function addLine(li) {
  state.pending.insert($("messages"), li); // confirmed lines stay above pending ones
  if (state.view === "talk" || state.view?.includes("talk")) li.scrollIntoView({ block: "end" });
}

function messageLine(author, text, at, pending = false, alias = state.alias) {
  const mine = author === "visitor";
  const status = pending ? t("widget.message.pending") : clock.format(new Date(at));
  return messageItem({ mine, author: mine ? t("widget.message.you") : alias || state.alias, status, text, pending });
}

function onEvent(event) {
  if (event.kind === "message" && event.author === "visitor" && event.client_id) {
    removePending(store, event.client_id); // acknowledged: nothing to re-send after a reload
  }
  if (!state.seqs.accept(event.conversation, event.seq)) return;
  if (event.kind === "opened") {
    state.alias = event.alias || "";
    state.pole = event.pole || state.session?.pole || "";
    state.people = [{ alias: state.alias, pole: state.pole }];
    refreshTalkHead();
    addLine(systemItem(t("widget.event.opened", { alias: state.alias, pole: poleName(state.pole) })));
  } else if (event.kind === "message") {
    state.pending.settle(event.client_id); // its echo replaces our pending line
    if (event.author === "counsellor") setTyping(false);
    const li = messageLine(event.author, event.text, event.at, false, event.alias);
    if (event.asked) {
      flagLine(li, t("widget.message.consented"));
      settleAsk(event.asked, "widget.ask.shared");
    } else if (event.portfolio) flagLine(li, t("widget.message.portfolio"));
    const author = event.author === "visitor" ? t("widget.message.you") : event.alias || state.alias;
    addKeep(li, { ...keptBase(event), kind: "message", author, text: event.text }, event.text);
    addLine(li);
    countUnread(event);
  } else if (event.kind === "card" && event.card) {
    if (event.author === "counsellor") setTyping(false);
    const status = clock.format(new Date(event.at));
    const author = event.alias || state.alias;
    const li = cardItem({ mine: false, author, status, card: event.card, labels: cardLabels(event.card) });
    addKeep(li, { ...keptBase(event), kind: "card", author, pole: poleName(event.card.pole), card: event.card }, event.card.title);
    addLine(li);
    countUnread(event);
  } else if (event.kind === "duty" && event.duty) {
    const alias = event.alias || state.alias;
    const heading = t("duty.heading", { alias });
    const lines = dutyLines(event.duty, t, lang, poleName);
    const li = dutyItem({
      mine: false,
      author: alias,
      status: clock.format(new Date(event.at)),
      heading,
      lines,
      note: t("duty.note", { alias }),
    });
    addKeep(li, { ...keptBase(event), kind: "duty", author: alias, lines: [heading, ...lines] }, heading);
    addLine(li);
    countUnread(event);
  } else if (event.kind === "asked" && event.ask) {
    if (event.author === "counsellor") setTyping(false);
    addLine(askLine(event));
    countUnread(event);
  } else if (event.kind === "declined") {
    settleAsk(event.asked, "widget.ask.declined");
  } else if (event.kind === "joined" || event.kind === "left") {
    if (event.kind === "left") voidAsks(event.alias);
    const at = state.people.findIndex((p) => p.alias === event.alias);
    if (event.kind === "joined") state.people.push({ alias: event.alias || "", pole: event.pole || state.pole });
    else if (at >= 0) state.people.splice(at, 1);
    // Whoever holds it now (the first one left when the holder leaves).
    if (state.people.length) state.alias = state.people[0].alias;
    refreshTalkHead();
    addLine(systemItem(t(`widget.event.${event.kind}`, { alias: event.alias || "", pole: poleName(event.pole) })));
  } else if (event.kind === "renamed") {
    addLine(systemItem(t("widget.event.renamed", { name: event.text })));
  } else if (event.kind === "transferred") {
    state.people = [];
    voidAsks();
    setTyping(false);
    addLine(systemItem(t("widget.event.transferred", { alias: event.alias || state.alias, pole: poleName(event.pole) })));
  } else if (event.kind === "ended") {
    voidAsks();
    const key = `widget.event.ended.${event.author}`;
    addLine(systemItem(t(key in catalog ? key : "widget.event.ended")));
    setTyping(false);
  }
}

// --- keeping, and requests for a detail ---------------------------------------------------
/** What every item kept from the conversation holds: an id unique to the event, when, the pole. */
function keptBase(event) {
  return { id: `${event.conversation}-${event.seq}`, at: event.at, pole: poleName(state.pole) };
}

/** A "keep" button under a line: into the visitor's portfolio, on their device only (R9). */
function addKeep(li, item, name) {
  const row = document.createElement("p");
  row.className = "msg-keep";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link small";
  button.textContent = t("widget.portfolio.keep");
  button.dataset.keep = item.id; // the panel keeps it in step (kept, removed, locked)
  button.dataset.name = [...name].slice(0, 60).join("");
  button.setAttribute("aria-label", t("widget.portfolio.keep.label", { name: button.dataset.name }));
  button.addEventListener("click", () => keeper.keep(item, button));
  keeper.mark(button);
  row.append(button);
  li.append(row);
}

/**
 * A counsellor's request for one detail (R9): who asks, what, why, who will see it,
 * and that refusing costs nothing; the visitor shares or declines, once.
 */
function askLine(event) {
  const alias = event.alias || state.alias;
  const seq = event.seq;
  const li = document.createElement("li");
  li.className = "msg msg-theirs msg-card";
  const form = document.createElement("form");
  form.className = "ask-box";
  form.setAttribute("aria-label", t("widget.ask.label", { alias }));
  const line = (text, className = "") => {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  };
  const inputId = `ask-${event.conversation}-${seq}`;
  const label = document.createElement("label");
  label.htmlFor = inputId;
  label.textContent = event.ask.detail;
  const input = document.createElement("input");
  input.id = inputId;
  input.type = "text";
  input.maxLength = 4000;
  input.autocomplete = "off";
  const row = document.createElement("div");
  row.className = "row";
  const share = document.createElement("button");
  share.type = "submit";
  share.className = "primary small";
  share.textContent = t("widget.ask.share");
  const refuse = document.createElement("button");
  refuse.type = "button";
  refuse.className = "secondary small";
  refuse.textContent = t("widget.ask.refuse");
  row.append(share, refuse);
  const outcome = line("", "ask-outcome");
  outcome.setAttribute("role", "status");
  const controls = document.createElement("div");
  controls.append(label, input, row);
  form.append(
    line(t("widget.ask.who", { alias, pole: poleName(state.pole), detail: event.ask.detail })),
    line(t("widget.ask.why", { purpose: event.ask.purpose })),
    line(t("widget.ask.seen"), "hint"),
    controls,
    outcome,
  );
  const answer = (text) => {
    if (state.session?.state !== "talking") return;
    socket.sendReliable(frames.answer({ asked: seq, clientId: newClientId(), text }));
    for (const control of [input, share, refuse]) control.disabled = true;
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = frames.cleanText(input.value);
    if (text) answer(text);
    else input.focus();
  });
  refuse.addEventListener("click", () => answer(undefined));
  li.append(metaLine(alias, clock.format(new Date(event.at))), form);
  state.asks.set(seq, { alias, controls, outcome });
  return li;
}

/** Request `seq` is answered (or void): its form goes, a line says what happened. */
function settleAsk(seq, key) {
  const ask = state.asks.get(seq);
  if (!ask) return;
  state.asks.delete(seq);
  ask.controls.remove();
  ask.outcome.textContent = t(key);
}

/** The asker left (or, with no alias, the conversation moved on): their requests are void. */
function voidAsks(alias) {
  for (const [seq, ask] of state.asks) if (!alias || ask.alias === alias) settleAsk(seq, "widget.ask.void");
}

/** An item of the portfolio into the conversation, marked as such; false when not talking. */
function sendFromPortfolio(text) {
  const clean = frames.cleanText(text);
  if (!clean || state.session?.state !== "talking") return false;
  const frame = frames.visitorSend({ clientId: newClientId(), text: clean, portfolio: true });
  pendingLine(frame.client_id, frame.text).scrollIntoView({ block: "end" });
  addPending(store, frame);
  socket.sendReliable(frame);
  return true;
}

function setTyping(active) {
  clearTimeout(state.typingStale);
  $("typing").textContent = active ? t("widget.typing", { alias: state.alias }) : "";
  if (active) state.typingStale = setTimeout(() => setTyping(false), TYPING_STALE);
}

/** A line greyed as pending until the server's echo of `client_id` replaces it. */
function pendingLine(clientId, text) {
  const li = messageLine("visitor", text, Date.now(), true);
  li.dataset.clientId = clientId;
  $("messages").append(li);
  state.pending.add(clientId, li);
  return li;
}

function sendMessage() {
  const box = $("compose-text");
  const text = frames.cleanText(box.value);
  if (!text || state.session?.state !== "talking" || !composeGuard.allow(text)) return;
  const frame = frames.visitorSend({ clientId: newClientId(), text });
  pendingLine(frame.client_id, frame.text).scrollIntoView({ block: "end" });
  box.value = "";
  storage("del", COMPOSE_KEY);
  typing.update(false);
  addPending(store, frame); // kept across a reload until its echo arrives
  socket.sendReliable(frame);
}

/** After a reload: send again what was typed but not acknowledged (same client_id: stored once). */
function resendRestored() {
  const restored = state.restored;
  state.restored = [];
  for (const entry of restored) {
    if (!state.pending.has(entry.client_id)) continue; // its echo came already
    let frame;
    try {
      frame = frames.visitorSend({ clientId: entry.client_id, text: entry.text, portfolio: entry.portfolio });
    } catch {
      state.pending.fail(entry.client_id, t("widget.message.failed"));
      removePending(store, entry.client_id);
      continue;
    }
    socket.sendReliable(frame);
  }
}

$("compose").addEventListener("submit", (event) => {
  event.preventDefault();
  sendMessage();
  if (!composeGuard.open) $("compose-text").focus();
});
$("compose-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});
$("compose-text").addEventListener("input", () => {
  const text = $("compose-text").value;
  typing.update(text.trim() !== "");
  // Kept beside the pending messages, so that a reload does not lose a half-typed reply.
  if (text) storage("set", COMPOSE_KEY, text);
  else storage("del", COMPOSE_KEY);
});

function closeConfirm() {
  $("end-confirm").hidden = true;
  $("end").focus();
}
$("end").addEventListener("click", () => {
  $("end-confirm").hidden = false;
  $("end-no").focus();
});
$("end-no").addEventListener("click", closeConfirm);
$("end-yes").addEventListener("click", () => {
  if (socket.send(frames.leave())) $("end-confirm").hidden = true; // not while the service is down
});
$("end-report").addEventListener("click", () => {
  if (!socket.send(frames.leave({ report: true }))) return;
  $("end-confirm").hidden = true;
  state.reported = true;
});

// --- "how was it?", once, after a conversation ------------------------------------------
$("rate").addEventListener("submit", (event) => {
  event.preventDefault();
  const chosen = $("rate").querySelector("input[name=score]:checked");
  if (!chosen) {
    alertText(t("widget.rate.pick"));
    $("rate-1").focus();
    return;
  }
  const frame = frames.rate({ conversation: state.conversation, score: Number(chosen.value), comment: $("rate-comment").value });
  if (!socket.send(frame)) return;
  $("rate-send").disabled = true; // `rated` thanks the visitor
  // Each optional answer about who they are goes on its own, counted alone (R11).
  for (const question of Object.keys(frames.PUBLICS)) {
    const answer = $("rate").querySelector(`input[name="tell-${question}"]:checked`);
    if (answer) socket.send(frames.tell(question, answer.value));
  }
});
$("rate-skip").addEventListener("click", () => {
  // One click, nothing sent, nothing counted.
  state.rateDone = true;
  $("rate").hidden = true;
  $("ended-heading").focus();
});

function onRated() {
  state.rateDone = true;
  $("rate").hidden = true;
  $("rate-thanks").textContent = t("widget.rate.thanks");
  $("ended-heading").focus();
}

// --- ended, and starting again ----------------------------------------------------------
function showEnded() {
  storage("del", COMPOSE_KEY); // nobody left to send it to
  storage("del", QUESTION_KEY);
  typing.update(false);
  setTyping(false);
  $("compose").hidden = true;
  $("end").hidden = true;
  $("end-confirm").hidden = true;
  const closed = Boolean(state.session?.closed);
  const blocked = Boolean(state.session?.blocked);
  $("ended-left").hidden = Boolean(state.conversation) || closed;
  $("ended-closed").hidden = !closed;
  $("ended-blocked").hidden = !blocked;
  $("ended-reported").hidden = !state.reported;
  // Asked once a conversation took place (not after a block or a report).
  const asked = state.conversation && !blocked && !state.reported && !state.session?.rated;
  $("rate").hidden = !asked || state.rateDone;
  if (blocked) storage("del", TOKEN_KEY); // refused from now on: a reload starts afresh
  const next = state.status?.next_opening;
  $("ended-next").hidden = !(closed && next);
  $("ended-next").textContent = next ? t("widget.status.next", { when: moment.format(next) }) : "";
  state.pending.failAll(t("widget.message.failed"));
  state.restored = [];
  socket.outbox.drop(); // the conversation is over: nothing can be sent any more
  clearPending(store);
  toHost({ type: "parole:active", active: false });
  drawLasting();
  if (state.conversation) show("talk", "ended");
  else show("ended");
  $("message-log").scrollTop = $("message-log").scrollHeight;
}

function reset() {
  storage("del", TOKEN_KEY);
  storage("del", READ_KEY);
  storage("del", DRAFT_KEY);
  storage("del", COMPOSE_KEY);
  storage("del", QUESTION_KEY);
  clearPending(store);
  state.restored = [];
  Object.assign(state, {
    chosen: null,
    question: "",
    joinFrame: null,
    session: null,
    conversation: null,
    position: null,
    alias: "",
    pole: "",
    people: [],
    asks: new Map(),
    readSeq: 0,
    unread: 0,
    reported: false,
    rateDone: false,
  });
  $("rate").reset();
  $("rate-send").disabled = false;
  $("rate-thanks").textContent = "";
  drawLasting();
  typing.reset();
  state.seqs.clear();
  state.pending.clear();
  $("messages").replaceChildren();
  $("question").value = "";
  $("compose-text").value = "";
  questionGuard.dismiss();
  composeGuard.dismiss();
  $("compose").hidden = false;
  $("end").hidden = false;
  $("join").disabled = false;
  $("position-number").textContent = "–";
  $("position-text").textContent = "";
  $("waiting-count").textContent = "";
  $("estimate").textContent = "";
  $("estimate-note").hidden = true;
  $("closing").hidden = true;
  $("unstaffed").hidden = true;
  $("unstaffed").textContent = "";
  $("transferred").hidden = true;
  $("transferred").textContent = "";
  $("talk-title").textContent = "";
  $("talk-pole").textContent = "";
  setTyping(false);
  toHost({ type: "parole:active", active: false });
  toHost({ type: "parole:unread", count: 0 });
}

$("restart").addEventListener("click", () => {
  socket.stop();
  reset();
  alertText("");
  show("poles");
  startSocket();
});

// --- the connection ---------------------------------------------------------------------
function onSession(frame) {
  if (frame.token) {
    storage("set", TOKEN_KEY, frame.token);
    storage("del", DRAFT_KEY); // joined: the question travels with the session now
    if (state.question) storage("set", QUESTION_KEY, state.question);
    toHost({ type: "parole:active", active: true });
  }
  state.session = frame;
  state.joinFrame = null;
  drawLasting();
  $("join").disabled = false;
  if (frame.conversation) state.conversation = frame.conversation;
  $("pseudonym").textContent = frame.pseudonym || "";
  if (frame.state === "waiting") {
    drawWaiting();
    show("waiting");
    // Sent on by a counsellor: the conversation goes on in another pole, same turn.
    // Shown first, filled next: a live region is announced when its text changes.
    const moved = Boolean(frame.conversation);
    $("transferred").hidden = !moved;
    const text = moved ? t("widget.waiting.transferred", { pole: poleName(frame.pole) }) : "";
    requestAnimationFrame(() => ($("transferred").textContent = text));
  } else if (frame.state === "talking") {
    $("compose").hidden = false;
    $("end").hidden = false;
    show("talk");
    resendRestored();
  } else {
    showEnded();
  }
  keeper.refresh(); // sending from the portfolio follows the conversation
}

function onError(frame) {
  // Refused during an outage: the banner says so, and pending messages stay pending.
  if (frame.code === "unavailable" && !socket.available) return;
  if (frame.code === "resume_failed") {
    socket.stop();
    reset();
    show("poles");
    alertText(frame.message);
    startSocket();
    return;
  }
  $("join").disabled = false;
  alertText(frame.message);
}

function onFrame(frame) {
  switch (frame.type) {
    case "welcome":
      if (state.joinFrame && !state.session && socket.send(state.joinFrame)) state.joinFrame = null;
      break;
    case "session":
      alertText("");
      onSession(frame);
      break;
    case "status":
      state.statusLive = true;
      drawStatus(frame);
      break;
    case "position":
      drawPosition(frame);
      break;
    case "event":
      onEvent(frame);
      break;
    case "typing":
      if (frame.author === "counsellor") setTyping(frame.active);
      break;
    case "error":
      onError(frame);
      break;
    case "rated":
      onRated();
      break;
    default:
      break;
  }
}

/**
 * The server lost its shared state (false) or has it back (true). Meanwhile the
 * visitor can still type and send: messages stay greyed as pending and go out once
 * the service is back (ParoleSocket re-sends them).
 */
function onService(available) {
  if (socket.state !== "open") return; // the connection banner takes precedence
  banner(available ? "" : t("widget.service.unavailable"));
  if (available && state.joinFrame && !state.session && socket.send(state.joinFrame)) state.joinFrame = null;
}

function onState(name, detail) {
  $("main").inert = name === "replaced";
  if (name === "open") {
    state.everOpen = true;
    banner(socket.available ? "" : t("widget.service.unavailable"));
  } else if (name === "waiting") {
    banner(t(state.everOpen ? "widget.connection.lost" : "widget.connection.connecting"));
  } else if (name === "replaced") {
    banner(t("widget.connection.replaced"), true);
    $("takeback").focus();
  } else if (name === "stopped" && detail) {
    banner(t(detail === 4002 ? "error.unsupported_version" : "widget.connection.stopped"));
  }
}

function startSocket() {
  socket = new ParoleSocket({
    url: socketUrl("/ws/visitor"),
    hello: () =>
      frames.visitorHello({
        lang,
        site: SITE || undefined,
        resume: storage("get", TOKEN_KEY) ?? undefined,
        lastSeq: state.conversation ? state.seqs.last(state.conversation) : 0,
      }),
    onFrame,
    onState,
    onService,
    onRefused: (frame, error) => {
      state.pending.fail(frame.client_id, t("widget.message.failed"));
      removePending(store, frame.client_id);
      alertText(error.message);
    },
  });
  socket.connect();
}

$("takeback").addEventListener("click", () => {
  banner("");
  socket.connect();
});
window.addEventListener("online", () => socket.nudge());

// --- start ------------------------------------------------------------------------------
const keeper = setupPortfolio({
  t,
  lang,
  share: sendFromPortfolio,
  canShare: () => state.session?.state === "talking",
  when: (card) => eventWhen(card, lang),
});
if (!frames.isToken(storage("get", TOKEN_KEY))) storage("del", TOKEN_KEY); // none, or unusable
if (storage("get", TOKEN_KEY)) {
  show("loading"); // the session comes back with `session` (or resume_failed)
  toHost({ type: "parole:active", active: true });
  // Messages typed before the reload and never acknowledged: shown greyed below the
  // replayed conversation, re-sent once the session is back in a conversation.
  state.restored = readPending(store);
  for (const entry of state.restored) pendingLine(entry.client_id, entry.text);
  $("compose-text").value = (storage("get", COMPOSE_KEY) || "").slice(0, 4000);
  state.question = (storage("get", QUESTION_KEY) || "").slice(0, 4000);
} else {
  clearPending(store);
  storage("del", COMPOSE_KEY);
  storage("del", QUESTION_KEY);
  try {
    const draft = JSON.parse(storage("get", DRAFT_KEY) || "null");
    if (draft && typeof draft.pole === "string" && typeof draft.question === "string") state.draft = draft;
  } catch {
    storage("del", DRAFT_KEY); // unreadable: forget it
  }
  show("poles");
}
askPole(fragment.get("pole")); // this page opened on its own as /chat#pole=<pole>
setupProof(
  t,
  {
    panel: $("proof"),
    heading: $("proof-heading"),
    openers: [$("proof-open"), $("proof-open-ended")],
    form: $("proof-form"),
    name: $("proof-name"),
    error: $("proof-error"),
    sheet: $("proof-sheet"),
    print: $("proof-print"),
    close: $("proof-close"),
  },
  () => storage("get", TOKEN_KEY),
);
// The page came with the site's status (one round trip less); without it, ask for it.
const served = document.getElementById("parole-status");
if (served) drawStatus(JSON.parse(served.textContent));
else loadCite();
startSocket();
