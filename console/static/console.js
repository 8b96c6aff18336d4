// The counsellor's console: queues of their poles, several conversations at once.
// Every visible text comes from the catalog embedded in the page; every message is
// drawn with textContent.

import { ParoleSocket, SeqTracker, TypingSender, newClientId, socketUrl } from "../protocol/client.js";
import * as frames from "../protocol/frames.js";
// The console reuses the widget's conversation thread component (and thread.css).
import { PendingLines, cardItem, dutyItem, dutyLines, eventWhen, flagLine, messageItem, systemItem } from "../widget/thread.js";
import { IdentityGuard } from "../widget/guard.js";
import { translator } from "../widget/texts.js";
import { Notifier, grown } from "./notify.js";
import { fillReply, matchReplies, replyQuery } from "./replies.js";

const TYPING_STALE = 8000; // hide a visitor's indicator if not refreshed
const TAKE_REFUSED = ["queue_empty", "capacity_reached", "paused", "not_your_pole", "unknown_pole", "unavailable", "rate_limited"];
const SINCE_REFRESH = 30000; // the longest waits grow while nobody is taken
const RING_RECENT = 15000; // a visitor's message older than this is history, not news
const SEARCH_PAUSE = 150; // ms of no typing before the card search is asked

const $ = (id) => document.getElementById(id);
const catalog = JSON.parse($("parole-i18n").textContent);
const lang = document.documentElement.lang || "fr";
const baseTitle = document.title;

// t(key, values): values.count picks the form of a text with a count (see texts.js).
const t = translator(catalog, lang);
const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });

const state = {
  poles: [],
  queues: {},
  since: {}, // pole -> first arrival of who waits there (ms), for the longest wait
  targets: [], // every pole a visitor may be sent to
  alias: "",
  colleagues: [], // as last listed by the server (`colleagues`), available ones first
  invitations: new Map(), // `${conversation}:${colleague}` -> invitation info, both ways
  replies: [], // canned replies: the counsellor's own, then those shared with their poles
  duty: [], // the counsellor's usual hours on duty, to share
  available: true,
  capacity: 0,
  conversations: new Map(), // id -> conversation view (see makeConversation)
  selected: null,
  seqs: new SeqTracker(),
  taking: false,
  everOpen: false,
};
let socket = null;
const notifier = new Notifier({ title: baseTitle });

// --- helpers ----------------------------------------------------------------------------
function poleName(id) {
  return (state.poles.find((p) => p.id === id) || state.targets.find((p) => p.id === id))?.name || id;
}

const list = new Intl.ListFormat(lang, { type: "conjunction" });

function person(p) {
  return t("widget.talking.person", { alias: p.alias, pole: poleName(p.pole) });
}

/** Who else is in the conversation (by alias; this counsellor's own alias once). */
function others(c) {
  const rest = [...c.people];
  const me = rest.findIndex((p) => p.alias === state.alias);
  if (me >= 0) rest.splice(me, 1);
  return rest;
}

function alertText(text) {
  $("alert").textContent = text || "";
}

function status(text) {
  $("status").textContent = text || "";
}

function banner(text) {
  $("banner-text").textContent = text || "";
  $("banner").classList.toggle("on", Boolean(text));
}

function activeCount() {
  let n = 0;
  for (const c of state.conversations.values()) if (!c.ended) n += 1;
  return n;
}

// --- queues -----------------------------------------------------------------------------
function drawQueues() {
  const list = $("queues");
  const full = state.capacity > 0 && activeCount() >= state.capacity;
  $("queues-none").hidden = state.poles.length > 0;
  $("capacity").textContent = full
    ? t("console.capacity.full")
    : t("console.capacity", { n: activeCount(), max: state.capacity });
  for (const pole of state.poles) {
    let item = list.querySelector(`li[data-pole="${pole.id}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.pole = pole.id;
      item.className = "queue";
      const name = document.createElement("span");
      name.className = "queue-name";
      const count = document.createElement("span");
      count.className = "queue-count";
      const since = document.createElement("span");
      since.className = "queue-since";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "primary small take";
      button.textContent = t("console.take");
      button.addEventListener("click", () => take(pole.id));
      item.append(name, count, button, since);
      list.append(item);
    }
    // A manager may rename a pole while the console is open.
    item.querySelector(".queue-name").textContent = pole.name;
    item.querySelector(".take").setAttribute("aria-label", t("console.take.label", { pole: pole.name }));
    const waiting = state.queues[pole.id] ?? 0;
    item.classList.toggle("has-waiting", waiting > 0);
    item.querySelector(".queue-count").textContent = t("console.queues.waiting", { count: waiting });
    const first = waiting > 0 ? state.since[pole.id] : undefined;
    const minutes = first ? Math.max(Math.floor((Date.now() - first) / 60000), 0) : null;
    item.querySelector(".queue-since").textContent = minutes === null ? "" : t("console.queues.since", { count: minutes });
    // Not while paused or the service is down: the server would refuse the take.
    item.querySelector(".take").disabled =
      waiting === 0 || full || !state.available || state.taking || !socket?.available;
  }
  for (const item of [...list.children]) {
    if (!state.poles.some((p) => p.id === item.dataset.pole)) item.remove();
  }
}

// --- presence ---------------------------------------------------------------------------
function drawPresence() {
  $(state.available ? "presence-available" : "presence-paused").checked = true;
  $("presence-state").textContent = t(state.available ? "console.presence.available.state" : "console.presence.paused.state");
  $("presence-state").parentElement.classList.toggle("paused", !state.available);
}

for (const radio of document.querySelectorAll('input[name="presence"]')) {
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    // The server answers with `console`, to every tab of the account; until then, as asked.
    if (!socket.send(frames.presence(radio.value === "available"))) drawPresence();
  });
}

// Disabled in the page until now: a click before this script ran would be undone here.
$("notify").checked = notifier.on;
$("notify").disabled = false;
$("notify").addEventListener("change", async () => {
  const got = await notifier.set($("notify").checked);
  // Every outcome is said: the browser may answer the permission request late.
  const said = { granted: "console.notify.on", sound: "console.notify.sound", off: "console.notify.off" };
  status(t(said[got]));
});

function take(pole) {
  if (socket.send(frames.take(pole))) {
    state.taking = true;
    alertText("");
    drawQueues();
  }
}

// --- conversations ----------------------------------------------------------------------
function makeConversation(info) {
  const pane = $("pane-template").content.firstElementChild.cloneNode(true);
  pane.id = `pane-${info.id}`;
  const textarea = pane.querySelector(".compose textarea");
  textarea.id = `compose-${info.id}`;
  pane.querySelector(".compose label").htmlFor = textarea.id;
  const hint = pane.querySelector(".compose .hint");
  hint.id = `hint-${info.id}`;
  textarea.setAttribute("aria-describedby", hint.id);
  const confirmText = pane.querySelector(".confirm-text");
  confirmText.id = `confirm-${info.id}`;
  pane.querySelector(".confirm").setAttribute("aria-labelledby", confirmText.id);
  const title = pane.querySelector(".pane-title");
  title.id = `title-${info.id}`;
  pane.setAttribute("aria-labelledby", title.id);

  const item = document.createElement("li");
  const tab = document.createElement("button");
  tab.type = "button";
  tab.className = "conv-tab";
  tab.setAttribute("aria-controls", pane.id);
  const tabName = document.createElement("span");
  tabName.className = "conv-name";
  const tabPole = document.createElement("span");
  tabPole.className = "conv-pole";
  const tabState = document.createElement("span");
  tabState.className = "conv-state";
  const tabTyping = document.createElement("span");
  tabTyping.className = "conv-typing";
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  tab.append(tabName, tabPole, tabState, tabTyping, badge);
  item.append(tab);

  const c = {
    id: info.id,
    pole: info.pole,
    pseudonym: info.pseudonym,
    notes: info.notes || [],
    asked: new Map(), // seq of each request for a detail -> the detail asked
    people: [], // {alias, pole} of the counsellors in it, from its events
    transferring: null,
    ended: info.state === "ended",
    unread: 0,
    pending: new PendingLines(), // our lines not yet echoed by the server
    typing: new TypingSender((active) => !(active && c.ended) && socket.send(frames.consoleTyping(c.id, active))),
    typingStale: null,
    pane,
    item,
    tab,
    badge,
  };
  // The identity guard reminds the counsellor too: the conversation is anonymous (R1).
  c.guard = new IdentityGuard({
    box: textarea,
    before: hint,
    t,
    lang,
    notice: "console.guard.notice",
    sendAnyway: () => sendMessage(c),
  });
  tab.addEventListener("click", () => select(c.id, true));
  pane.querySelector(".compose").addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage(c);
    if (!c.guard.open) textarea.focus();
  });
  wireReplies(c, textarea);
  textarea.addEventListener("keydown", (event) => {
    if (event.defaultPrevented) return; // a canned reply was chosen with Enter
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendMessage(c);
    }
  });
  textarea.addEventListener("input", () => c.typing.update(textarea.value.trim() !== ""));
  pane.querySelector(".end").addEventListener("click", () => {
    pane.querySelector(".confirm").hidden = false;
    pane.querySelector(".end-no").focus();
  });
  pane.querySelector(".end-no").addEventListener("click", () => closeConfirm(c));
  pane.querySelector(".end-yes").addEventListener("click", () => {
    if (socket.send(frames.end(c.id))) pane.querySelector(".confirm").hidden = true; // not while the service is down
  });
  pane.querySelector(".dismiss").addEventListener("click", () => dismiss(c));
  const blockConfirm = pane.querySelector(".block-confirm");
  const blockText = pane.querySelector(".block-confirm-text");
  blockText.id = `block-confirm-${info.id}`;
  blockConfirm.setAttribute("aria-labelledby", blockText.id);
  pane.querySelector(".block").addEventListener("click", () => {
    blockConfirm.hidden = false;
    pane.querySelector(".block-no").focus();
  });
  const closeBlock = () => {
    blockConfirm.hidden = true;
    pane.querySelector(".block").focus();
  };
  pane.querySelector(".block-no").addEventListener("click", closeBlock);
  pane.querySelector(".block-yes").addEventListener("click", () => {
    if (socket.send(frames.block(c.id))) blockConfirm.hidden = true; // `ended` follows
  });
  wireInvite(c);
  wireCards(c);
  wireAsk(c);
  pane.querySelector(".leave").addEventListener("click", () => socket.send(frames.leaveConversation(c.id)));
  const transfer = pane.querySelector(".transfer");
  const transferOpen = pane.querySelector(".transfer-open");
  const select = pane.querySelector(".transfer-pole");
  select.id = `transfer-pole-${info.id}`;
  pane.querySelector(".transfer-pole-label").htmlFor = select.id;
  const to = pane.querySelector(".transfer-to");
  to.id = `transfer-to-${info.id}`;
  pane.querySelector(".transfer-to-label").htmlFor = to.id;
  select.addEventListener("change", () => drawTransferTo(c));
  const note = pane.querySelector(".transfer-note");
  note.id = `transfer-note-${info.id}`;
  pane.querySelector(".transfer-note-label").htmlFor = note.id;
  const transferHint = pane.querySelector(".transfer-hint");
  transferHint.id = `transfer-hint-${info.id}`;
  select.setAttribute("aria-describedby", transferHint.id);
  transferOpen.setAttribute("aria-controls", (transfer.id = `transfer-${info.id}`));
  transferOpen.addEventListener("click", () => (transfer.hidden ? openTransfer(c) : closeTransfer(c)));
  pane.querySelector(".transfer-cancel").addEventListener("click", () => closeTransfer(c));
  transfer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!select.value) return;
    const frame = frames.transfer({ conversation: c.id, pole: select.value, note: note.value, colleague: to.value });
    if (!socket.send(frame)) return;
    if (to.value) closeTransfer(c); // the colleague answers; `invitation` shows it waiting
    else c.transferring = select.value; // `released` confirms it
  });
  pane.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!blockConfirm.hidden) closeBlock();
    else if (!pane.querySelector(".confirm").hidden) closeConfirm(c);
    else if (!transfer.hidden) closeTransfer(c);
    else if (!pane.querySelector(".invite").hidden) closeInvite(c);
    else if (!pane.querySelector(".cards").hidden) closeCards(c);
    else if (!pane.querySelector(".ask").hidden) closeAsk(c);
  });

  state.conversations.set(c.id, c);
  $("conversation-list").append(item);
  $("panes").append(pane);
  $("conversations-none").hidden = true;
  drawConversation(c);
  if (c.ended) markEnded(c);
  return c;
}

/** The transfer form: every pole but the conversation's own, the accueil first. */
function openTransfer(c) {
  const select = c.pane.querySelector(".transfer-pole");
  select.replaceChildren();
  for (const pole of state.targets) {
    if (pole.id === c.pole) continue;
    const option = document.createElement("option");
    option.value = pole.id;
    option.textContent = pole.name;
    select.append(option);
  }
  c.pane.querySelector(".transfer").hidden = false;
  c.pane.querySelector(".transfer-open").setAttribute("aria-expanded", "true");
  drawTransferTo(c);
  socket.send(frames.colleagues()); // fresh availability for the "To" list
  select.focus();
}

/** The transfer's "To": the pole's queue, or an available colleague of that pole. */
function drawTransferTo(c) {
  const to = c.pane.querySelector(".transfer-to");
  const pole = c.pane.querySelector(".transfer-pole").value;
  const chosen = to.value;
  to.replaceChildren(new Option(t("console.transfer.to.queue"), ""));
  for (const colleague of state.colleagues) {
    if (!colleague.available || !colleague.poles.includes(pole)) continue;
    to.append(new Option(colleague.alias, colleague.id));
  }
  to.value = [...to.options].some((o) => o.value === chosen) ? chosen : "";
}

function closeTransfer(c) {
  c.pane.querySelector(".transfer").hidden = true;
  c.pane.querySelector(".transfer-note").value = "";
  c.pane.querySelector(".transfer-open").setAttribute("aria-expanded", "false");
  c.pane.querySelector(".transfer-open").focus();
}

/** Transfer notes written for whoever holds the conversation now (never shown to the visitor). */
function drawNotes(c) {
  const list = c.pane.querySelector(".notes");
  list.replaceChildren();
  for (const note of c.notes) {
    const item = document.createElement("li");
    item.textContent = t("console.note", { alias: note.alias, pole: poleName(note.pole), text: note.text });
    list.append(item);
  }
  list.hidden = c.notes.length === 0;
}

/** This console let the conversation go (transferred, from this tab or another). */
function onReleased(frame) {
  const c = state.conversations.get(frame.conversation);
  if (!c) return;
  const text = frame.pole
    ? t("console.transfer.done", { pseudonym: c.pseudonym, pole: poleName(frame.pole) })
    : t("console.leave.done", { pseudonym: c.pseudonym });
  c.ended = true; // so that nothing more is sent for it
  dismiss(c);
  status(text);
  drawQueues();
}

function closeConfirm(c) {
  c.pane.querySelector(".confirm").hidden = true;
  c.pane.querySelector(".end").focus();
}

function drawConversation(c) {
  c.tab.querySelector(".conv-name").textContent = c.pseudonym;
  c.tab.querySelector(".conv-pole").textContent = poleName(c.pole);
  c.tab.querySelector(".conv-state").textContent = c.ended ? t("console.conversation.ended") : "";
  c.badge.textContent = c.unread ? t("console.unread", { count: c.unread }) : "";
  c.badge.hidden = !c.unread;
  c.item.classList.toggle("ended", c.ended);
  c.pane.querySelector(".pane-title").textContent = c.pseudonym;
  c.pane.querySelector(".pane-pole").textContent = t("console.conversation.pole", { pole: poleName(c.pole) });
  c.pane.querySelector(".messages").setAttribute("aria-label", t("console.messages.label", { pseudonym: c.pseudonym }));
  c.pane.querySelector(".compose label").textContent = t("console.compose.label", { pseudonym: c.pseudonym });
  c.pane.querySelector(".confirm-text").textContent = t("console.end.confirm", { pseudonym: c.pseudonym });
  const rest = others(c);
  c.pane.querySelector(".pane-with").textContent = rest.length ? t("console.with", { people: list.format(rest.map(person)) }) : "";
  // Alone, one ends it or hands it over; with colleagues, one leaves it to them.
  c.pane.querySelector(".transfer-open").hidden = c.ended || rest.length > 0;
  c.pane.querySelector(".invite-open").hidden = c.ended;
  c.pane.querySelector(".leave").hidden = c.ended || rest.length === 0;
  c.pane.querySelector(".end").hidden = c.ended || rest.length > 0;
  drawOutgoing(c);
}

function select(id, focus = false) {
  state.selected = id;
  for (const c of state.conversations.values()) {
    const on = c.id === id;
    c.pane.hidden = !on;
    if (on) c.tab.setAttribute("aria-current", "true");
    else c.tab.removeAttribute("aria-current");
  }
  const c = state.conversations.get(id);
  if (!c) return;
  if (!document.hidden) clearUnread(c);
  const log = c.pane.querySelector(".messages");
  log.scrollTop = log.scrollHeight;
  if (focus) (c.ended ? c.pane.querySelector(".pane-title") : c.pane.querySelector(".compose textarea")).focus();
}

function clearUnread(c) {
  if (!c.unread) return;
  c.unread = 0;
  drawConversation(c);
  drawTitle();
}

function drawTitle() {
  let total = 0;
  for (const c of state.conversations.values()) total += c.unread;
  document.title = total ? `(${total}) ${baseTitle}` : baseTitle;
}

function dismiss(c) {
  state.conversations.delete(c.id);
  state.seqs.forget(c.id);
  socket.outbox.drop((frame) => frame.conversation === c.id);
  c.item.remove();
  c.pane.remove();
  $("conversations-none").hidden = state.conversations.size > 0;
  drawTitle();
  if (state.selected === c.id) {
    const next = state.conversations.keys().next();
    state.selected = null;
    if (!next.done) select(next.value, true);
    else $("conversations-heading").focus();
  }
}

function markEnded(c, notice = "console.conversation.ended.notice") {
  c.ended = true;
  c.guard.dismiss();
  c.typing.update(false);
  setTyping(c, false);
  c.pane.querySelector(".compose").hidden = true;
  c.pane.querySelector(".end").hidden = true;
  c.pane.querySelector(".block").hidden = true;
  c.pane.querySelector(".confirm").hidden = true;
  c.pane.querySelector(".block-confirm").hidden = true;
  c.pane.querySelector(".transfer").hidden = true;
  c.pane.querySelector(".invite").hidden = true;
  c.pane.querySelector(".dismiss").hidden = false;
  const note = c.pane.querySelector(".ended-notice");
  note.textContent = t(notice);
  note.hidden = false;
  c.pending.failAll(t("console.message.failed"));
  socket.outbox.drop((frame) => frame.conversation === c.id);
  drawConversation(c);
  drawQueues();
}

// --- messages ---------------------------------------------------------------------------
function addLine(c, li) {
  const log = c.pane.querySelector(".messages");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  c.pending.insert(c.pane.querySelector(".message-list"), li); // confirmed lines stay above pending ones
  if (atBottom || li.classList.contains("msg-mine")) log.scrollTop = log.scrollHeight;
}

function messageLine(c, author, text, at, pending = false, alias = state.alias) {
  // A colleague's line is theirs, by alias; this counsellor's reads "you".
  const mine = author === "counsellor" && (!alias || alias === state.alias);
  const who = author === "counsellor" ? (mine ? t("console.message.you") : alias) : c.pseudonym;
  const status = pending ? t("console.message.pending") : clock.format(new Date(at));
  return messageItem({ mine, author: who, status, text, pending });
}

function onEvent(event) {
  const c = state.conversations.get(event.conversation);
  if (!c || !state.seqs.accept(event.conversation, event.seq)) return;
  if (event.kind === "opened") {
    const pole = event.pole || c.pole;
    c.people = [{ alias: event.alias || "", pole }];
    c.pole = pole;
    const key = event.alias && event.alias !== state.alias ? "console.event.opened.other" : "console.event.opened";
    addLine(c, systemItem(t(key, { alias: event.alias || "", pseudonym: c.pseudonym, pole: poleName(pole) })));
    drawConversation(c);
  } else if (event.kind === "joined" || event.kind === "left") {
    const at = c.people.findIndex((p) => p.alias === event.alias);
    if (event.kind === "joined") c.people.push({ alias: event.alias || "", pole: event.pole || c.pole });
    else if (at >= 0) c.people.splice(at, 1);
    addLine(c, systemItem(t(`console.event.${event.kind}`, { alias: event.alias || "", pole: poleName(event.pole) })));
    drawConversation(c);
  } else if (event.kind === "message") {
    c.pending.settle(event.client_id); // its echo replaces our pending line
    if (event.author === "visitor") setTyping(c, false);
    const li = messageLine(c, event.author, event.text, event.at, false, event.alias);
    if (event.asked) consented(li);
    else if (event.portfolio) flagLine(li, t("console.message.portfolio"));
    addLine(c, li);
    if (event.author === "visitor" && (state.selected !== c.id || document.hidden)) {
      // Not for history caught up after a reload or reconnection.
      if (Date.now() - event.at < RING_RECENT) notifier.ring(t("console.notify.message", { pseudonym: c.pseudonym }), c.id);
      c.unread += 1;
      drawConversation(c);
      drawTitle();
    }
  } else if (event.kind === "card" && event.card) {
    c.pending.settle(event.client_id);
    addLine(c, cardLine(c, event));
  } else if (event.kind === "duty" && event.duty) {
    const mine = !event.alias || event.alias === state.alias;
    const alias = event.alias || state.alias;
    addLine(
      c,
      dutyItem({
        mine,
        author: mine ? t("console.message.you") : alias,
        status: clock.format(new Date(event.at)),
        heading: t("duty.heading", { alias }),
        lines: dutyLines(event.duty, t, lang, poleName),
        note: t("duty.note", { alias }),
      }),
    );
  } else if (event.kind === "asked" && event.ask) {
    c.pending.settle(event.client_id);
    const mine = !event.alias || event.alias === state.alias;
    const key = mine ? "console.event.asked" : "console.event.asked.other";
    const li = systemItem(t(key, { alias: event.alias || "", detail: event.ask.detail, purpose: event.ask.purpose }));
    c.asked.set(event.seq, event.ask.detail);
    addLine(c, li);
  } else if (event.kind === "declined") {
    const detail = c.asked.get(event.asked) ?? "";
    addLine(c, systemItem(t("console.event.declined", { pseudonym: c.pseudonym, detail })));
  } else if (event.kind === "transferred") {
    c.people = [];
    // History for whoever took the visitor next; the one who sent them gets `released`.
    addLine(c, systemItem(t("console.event.transferred", { alias: event.alias || "", pole: poleName(event.pole) })));
  } else if (event.kind === "renamed") {
    c.pseudonym = event.text;
    drawConversation(c);
    addLine(c, systemItem(t("console.event.renamed", { name: event.text })));
  } else if (event.kind === "ended") {
    const key = `console.event.ended.${event.author}`;
    addLine(c, systemItem(t(key in catalog ? key : "console.event.ended")));
    markEnded(c);
  }
}

/** A detail the visitor shared on request: flagged, with a reminder not to copy it elsewhere (R9). */
function consented(li) {
  flagLine(li, t("console.message.consented"));
  const reminder = document.createElement("p");
  reminder.className = "msg-flag-note hint";
  reminder.textContent = t("console.message.consented.note");
  li.append(reminder);
}

function setTyping(c, active) {
  clearTimeout(c.typingStale);
  const text = active ? t("console.typing", { pseudonym: c.pseudonym }) : "";
  c.pane.querySelector(".typing").textContent = text;
  c.tab.querySelector(".conv-typing").textContent = text;
  if (active) c.typingStale = setTimeout(() => setTyping(c, false), TYPING_STALE);
}

function sendMessage(c) {
  const box = c.pane.querySelector(".compose textarea");
  const text = frames.cleanText(box.value);
  if (!text || c.ended || !c.guard.allow(text)) return;
  const frame = frames.consoleSend({ conversation: c.id, clientId: newClientId(), text });
  const li = messageLine(c, "counsellor", frame.text, Date.now(), true);
  const log = c.pane.querySelector(".messages");
  c.pane.querySelector(".message-list").append(li);
  log.scrollTop = log.scrollHeight;
  c.pending.add(frame.client_id, li);
  box.value = "";
  c.typing.update(false);
  socket.sendReliable(frame);
}

// --- canned replies: "/" then a few letters in the compose box ---------------------------
function wireReplies(c, textarea) {
  const list = c.pane.querySelector(".reply-choices");
  const count = c.pane.querySelector(".reply-count");
  list.id = `replies-${c.id}`;
  textarea.setAttribute("aria-controls", list.id);
  let shown = [];
  let active = -1;
  const close = () => {
    list.hidden = true;
    shown = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  };
  const mark = (index, say = true) => {
    active = index;
    for (const [i, li] of [...list.children].entries()) li.setAttribute("aria-selected", String(i === active));
    const li = list.children[active];
    textarea.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
    if (say) count.textContent = shown[active].name; // moving through them: each is read
  };
  const insert = (reply) => {
    textarea.value = fillReply(reply.text, { pseudonym: c.pseudonym, alias: state.alias });
    close();
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    c.typing.update(true);
    count.textContent = t("console.replies.inserted", { name: reply.name });
  };
  textarea.addEventListener("input", () => {
    const query = replyQuery(textarea.value);
    if (query === null || !state.replies.length) return close();
    shown = matchReplies(state.replies, query);
    list.replaceChildren();
    for (const [i, reply] of shown.entries()) {
      const li = document.createElement("li");
      li.id = `${list.id}-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const name = document.createElement("span");
      name.className = "reply-name";
      name.textContent = reply.name;
      const text = document.createElement("span");
      text.className = "reply-text";
      text.textContent = fillReply(reply.text, { pseudonym: c.pseudonym, alias: state.alias });
      li.append(name, " ", text);
      li.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
      li.addEventListener("click", () => insert(reply));
      list.append(li);
    }
    list.hidden = !shown.length;
    count.textContent = shown.length ? t("console.replies.count", { count: shown.length }) : t("console.replies.none");
    if (shown.length) mark(0, false);
    else active = -1;
  });
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden || !shown.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      mark((active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      insert(shown[active]);
    } else if (event.key === "Escape") {
      event.stopPropagation(); // the pane's own Escape would close a form
      close();
      count.textContent = "";
    }
  });
  textarea.addEventListener("blur", () => setTimeout(() => document.activeElement !== textarea && close(), 0));
}

// --- resource cards: search as one types, share in one click (R7) ------------------------
function cardLabels(card) {
  return {
    kind: t(`card.kind.${card.kind}`),
    when: eventWhen(card, lang),
    open: t("card.open"),
    openLabel: t("card.open.label", { title: card.title }),
  };
}

function cardLine(c, event) {
  const mine = !event.alias || event.alias === state.alias;
  const author = mine ? t("console.message.you") : event.alias;
  return cardItem({ mine, author, status: clock.format(new Date(event.at)), card: event.card, labels: cardLabels(event.card) });
}

function wireCards(c) {
  const { form, open, input: query } = panelParts(c, "cards", "query");
  c.cardQuery = null; // the query whose answer this pane waits for
  let pause = null;
  const ask = () => {
    clearTimeout(pause);
    c.cardQuery = [...query.value.trim()].slice(0, 100).join("");
    socket.send(frames.findCards(c.cardQuery, c.ended ? null : c.id));
  };
  open.addEventListener("click", () => {
    if (!form.hidden) return closeCards(c);
    form.hidden = false;
    open.setAttribute("aria-expanded", "true");
    query.focus();
    ask();
  });
  query.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(ask, SEARCH_PAUSE);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask();
  });
  c.pane.querySelector(".cards-close").addEventListener("click", () => closeCards(c));
  c.pane.querySelector(".duty-share").addEventListener("click", () => {
    if (c.ended || !state.duty.length) return;
    socket.sendReliable(frames.shareDuty(c.id, newClientId())); // the echo draws it
    status(t("console.duty.shared"));
  });
  drawDutyShare(c);
}

/** The "share my hours on duty" button, or where to set them first. */
function drawDutyShare(c) {
  const has = state.duty.length > 0;
  c.pane.querySelector(".duty-share").hidden = !has;
  c.pane.querySelector(".duty-none").hidden = has;
}

function closeCards(c) {
  c.pane.querySelector(".cards").hidden = true;
  c.cardQuery = null;
  c.pane.querySelector(".cards-open").setAttribute("aria-expanded", "false");
  c.pane.querySelector(".cards-open").focus();
}

/** A `cards` answer: shown in the panes waiting for that very query (others are stale). */
function onCards(frame) {
  for (const c of state.conversations.values()) {
    if (c.cardQuery !== frame.query) continue;
    const list = c.pane.querySelector(".cards-found");
    list.replaceChildren();
    for (const card of frame.cards) {
      const li = document.createElement("li");
      li.className = "card-found";
      const name = document.createElement("p");
      name.className = "card-found-title";
      name.textContent = card.title;
      const about = document.createElement("p");
      about.className = "card-found-about muted";
      about.textContent = [t(`card.kind.${card.kind}`), poleName(card.pole), eventWhen(card, lang)].filter(Boolean).join(" · ");
      const share = document.createElement("button");
      share.type = "button";
      share.className = "primary small";
      share.textContent = t("console.cards.share");
      share.setAttribute("aria-label", t("console.cards.share.label", { title: card.title }));
      share.disabled = c.ended;
      share.addEventListener("click", () => shareCard(c, card));
      li.append(name, about);
      if (card.text) {
        const text = document.createElement("p");
        text.className = "card-found-text";
        text.textContent = card.text;
        li.append(text);
      }
      li.append(share);
      list.append(li);
    }
    c.pane.querySelector(".cards-count").textContent = frame.cards.length
      ? t("console.cards.count", { count: frame.cards.length })
      : t("console.cards.none");
  }
}

function shareCard(c, card) {
  if (c.ended) return;
  const frame = frames.shareCard(c.id, card.id, newClientId());
  // Sent again after a reconnection until echoed; the echo draws it, once.
  socket.sendReliable(frame);
  status(t("console.cards.shared", { title: card.title }));
}

// --- colleagues: invitations and direct transfers ----------------------------------------
/**
 * A pane's panel `.${name}`, opened by `.${name}-open`, and its one field
 * `.${name}-${field}`: ids unique to the conversation, the label, the hint and the
 * opener's aria-controls linked.
 */
function panelParts(c, name, field) {
  const form = c.pane.querySelector(`.${name}`);
  const open = c.pane.querySelector(`.${name}-open`);
  const input = c.pane.querySelector(`.${name}-${field}`);
  input.id = `${name}-${field}-${c.id}`;
  c.pane.querySelector(`.${name}-${field}-label`).htmlFor = input.id;
  const hint = c.pane.querySelector(`.${name}-hint`);
  hint.id = `${name}-hint-${c.id}`;
  input.setAttribute("aria-describedby", hint.id);
  open.setAttribute("aria-controls", (form.id = `${name}-${c.id}`));
  return { form, open, input };
}

/** The "ask for a detail" panel: what, and why; the visitor sees both and may decline. */
function wireAsk(c) {
  const { form, open, input: detail } = panelParts(c, "ask", "detail");
  const purpose = c.pane.querySelector(".ask-purpose");
  purpose.id = `ask-purpose-${c.id}`;
  c.pane.querySelector(".ask-purpose-label").htmlFor = purpose.id;
  open.addEventListener("click", () => {
    if (!form.hidden) return closeAsk(c);
    form.hidden = false;
    open.setAttribute("aria-expanded", "true");
    detail.focus();
  });
  c.pane.querySelector(".ask-cancel").addEventListener("click", () => closeAsk(c));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (c.ended || !frames.cleanText(detail.value) || !frames.cleanText(purpose.value)) return;
    const frame = frames.ask({ conversation: c.id, clientId: newClientId(), detail: detail.value, purpose: purpose.value });
    socket.sendReliable(frame); // the echo draws it
    detail.value = "";
    purpose.value = "";
    closeAsk(c);
    status(t("console.ask.sent", { detail: frame.detail }));
  });
}

function closeAsk(c) {
  c.pane.querySelector(".ask").hidden = true;
  c.pane.querySelector(".ask-open").setAttribute("aria-expanded", "false");
  c.pane.querySelector(".ask-open").focus();
}

function wireInvite(c) {
  const { form, open, input: select } = panelParts(c, "invite", "colleague");
  open.addEventListener("click", () => {
    if (!form.hidden) return closeInvite(c);
    form.hidden = false;
    open.setAttribute("aria-expanded", "true");
    drawColleagues();
    socket.send(frames.colleagues());
    select.focus();
  });
  c.pane.querySelector(".invite-cancel").addEventListener("click", () => closeInvite(c));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (select.value && socket.send(frames.invite(c.id, select.value))) closeInvite(c);
  });
}

function closeInvite(c) {
  c.pane.querySelector(".invite").hidden = true;
  c.pane.querySelector(".invite-open").setAttribute("aria-expanded", "false");
  c.pane.querySelector(".invite-open").focus();
}

/** Every open invite form and transfer "To" list, from the latest `colleagues`. */
function drawColleagues() {
  for (const c of state.conversations.values()) {
    const select = c.pane.querySelector(".invite-colleague");
    const chosen = select.value;
    select.replaceChildren();
    for (const colleague of state.colleagues) {
      const poles = list.format(colleague.poles.map(poleName));
      const key = colleague.available ? "console.colleague.option" : "console.colleague.option.busy";
      const option = new Option(t(key, { alias: colleague.alias, poles }), colleague.id);
      option.disabled = !colleague.available; // the server would refuse it
      select.append(option);
    }
    const usable = [...select.options].filter((o) => !o.disabled);
    select.value = usable.some((o) => o.value === chosen) ? chosen : usable[0]?.value || "";
    c.pane.querySelector(".invite-none").hidden = usable.length > 0;
    if (!c.pane.querySelector(".transfer").hidden) drawTransferTo(c);
  }
}

function invitationKey(info) {
  return `${info.conversation}:${info.colleague}`;
}

function onInvitation(info) {
  state.invitations.set(invitationKey(info), info);
  drawInvitations();
  if (info.incoming) status(t("console.invitation.arrived", { by: info.by }));
}

function onInvitationClosed(frame) {
  const key = invitationKey(frame);
  const info = state.invitations.get(key);
  state.invitations.delete(key);
  drawInvitations();
  if (!info || info.incoming) return;
  // The one who asked is told how it went.
  let text = t(`console.invitation.${frame.outcome}`, { alias: info.to });
  const c = state.conversations.get(frame.conversation);
  if (frame.queued) text += ` ${t("console.invitation.queued", { pseudonym: info.pseudonym, pole: poleName(info.pole) })}`;
  status(text);
  if (c) drawOutgoing(c);
}

/** Invitations waiting for this counsellor's answer, in the side panel. */
function drawInvitations() {
  const box = $("invitations");
  box.replaceChildren();
  for (const info of state.invitations.values()) {
    if (!info.incoming || info.until <= Date.now()) continue;
    const item = document.createElement("li");
    item.className = "invitation";
    const text = document.createElement("p");
    const key = info.transfer ? "console.invitation.incoming.transfer" : "console.invitation.incoming";
    text.textContent = t(key, { by: info.by, pseudonym: info.pseudonym, pole: poleName(info.pole) });
    item.append(text);
    if (info.note) {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = t("console.invitation.note", { text: info.note });
      item.append(note);
    }
    const row = document.createElement("div");
    row.className = "row";
    for (const [accept, cls] of [[true, "primary"], [false, "secondary"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `${cls} small ${accept ? "invitation-accept" : "invitation-decline"}`;
      button.textContent = t(accept ? "console.invitation.accept" : "console.invitation.decline");
      button.setAttribute("aria-label", t(accept ? "console.invitation.accept.label" : "console.invitation.decline.label", { by: info.by }));
      button.addEventListener("click", () => socket.send(frames.inviteReply(info.conversation, accept)));
      row.append(button);
    }
    item.append(row);
    box.append(item);
  }
  $("invitations-panel").hidden = box.children.length === 0;
  for (const c of state.conversations.values()) drawOutgoing(c);
}

/** The invitations this counsellor sent for a conversation, each with "Withdraw". */
function drawOutgoing(c) {
  const box = c.pane.querySelector(".outgoing");
  box.replaceChildren();
  for (const info of state.invitations.values()) {
    if (info.incoming || info.conversation !== c.id || info.until <= Date.now()) continue;
    const item = document.createElement("li");
    const text = document.createElement("span");
    const key = info.transfer ? "console.invitation.sent.transfer" : "console.invitation.sent";
    text.textContent = t(key, { alias: info.to, pole: poleName(info.pole) });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small withdraw";
    button.textContent = t("console.invitation.withdraw");
    button.setAttribute("aria-label", t("console.invitation.withdraw.label", { alias: info.to }));
    button.addEventListener("click", () => socket.send(frames.withdraw(info.conversation, info.colleague)));
    item.append(text, " ", button);
    box.append(item);
  }
  box.hidden = box.children.length === 0;
}

// --- frames -----------------------------------------------------------------------------
function onConsole(frame) {
  // Sent again when a manager changes the account or the Cité: the alias and poles may differ.
  $("who").textContent = t("console.signed_in", { alias: frame.alias });
  state.alias = frame.alias;
  state.poles = frame.poles;
  state.queues = { ...frame.queues };
  state.since = { ...(frame.since || {}) };
  state.targets = frame.targets || [];
  state.available = frame.available !== false;
  state.capacity = frame.capacity;
  state.replies = frame.replies || [];
  state.duty = frame.duty || [];
  for (const c of state.conversations.values()) drawDutyShare(c);
  drawPresence();
  const held = new Set();
  for (const info of frame.conversations) {
    held.add(info.id);
    const c = state.conversations.get(info.id) || makeConversation(info);
    c.pseudonym = info.pseudonym; // renamed while this console was away
    c.notes = info.notes || [];
    drawNotes(c);
    if (info.state === "ended" && !c.ended) markEnded(c);
  }
  for (const c of state.conversations.values()) {
    if (!held.has(c.id) && !c.ended) markEnded(c, "console.conversation.lost");
  }
  for (const c of state.conversations.values()) drawConversation(c);
  if (!state.selected && state.conversations.size) select(state.conversations.keys().next().value);
  state.invitations.clear();
  for (const info of frame.invitations || []) state.invitations.set(invitationKey(info), info);
  drawInvitations();
  drawQueues();
}

function onConversation(info) {
  const existing = state.conversations.get(info.id);
  const c = existing || makeConversation(info);
  c.notes = info.notes || [];
  drawNotes(c);
  if (existing && info.pseudonym !== c.pseudonym) {
    c.pseudonym = info.pseudonym;
    drawConversation(c);
  }
  const mine = state.taking;
  state.taking = false;
  if (!existing && (mine || !state.selected)) select(c.id, mine);
  drawQueues();
}

function onFrame(frame) {
  switch (frame.type) {
    case "console":
      onConsole(frame);
      break;
    case "queues":
      if (state.available) {
        for (const pole of grown(state.queues, frame.counts)) notifier.ring(t("console.notify.joined", { pole: poleName(pole) }), pole);
      }
      Object.assign(state.queues, frame.counts);
      for (const pole of Object.keys(frame.counts)) {
        if (frame.since?.[pole]) state.since[pole] = frame.since[pole];
        else delete state.since[pole];
      }
      drawQueues();
      break;
    case "released":
      onReleased(frame);
      break;
    case "colleagues":
      state.colleagues = frame.colleagues;
      drawColleagues();
      break;
    case "invitation":
      onInvitation(frame.info);
      break;
    case "invitation_closed":
      onInvitationClosed(frame);
      break;
    case "conversation":
      onConversation(frame.info);
      break;
    case "cards":
      onCards(frame);
      break;
    case "event":
      onEvent(frame);
      break;
    case "typing": {
      const c = state.conversations.get(frame.conversation);
      if (c && frame.author === "visitor" && !c.ended) setTyping(c, frame.active);
      break;
    }
    case "error":
      // A refused take (errors without a ref): the buttons are usable again.
      if (!frame.ref && TAKE_REFUSED.includes(frame.code)) {
        state.taking = false;
        drawQueues();
      }
      // Refused during an outage: the banner says so, and sends stay pending.
      if (frame.code !== "unavailable" || socket.available) alertText(frame.message);
      break;
    default:
      break;
  }
}

/**
 * The server lost its shared state (false) or has it back (true). Meanwhile the
 * counsellor can still type and send (messages stay pending and go out once the
 * service is back); taking the next visitor waits.
 */
function onService(available) {
  drawQueues();
  if (socket.state === "open") banner(available ? "" : t("console.service.unavailable"));
}

function onState(name, detail) {
  if (name === "open") {
    state.everOpen = true;
    banner(socket.available ? "" : t("console.service.unavailable"));
  } else if (name === "waiting") {
    state.taking = false;
    banner(t(state.everOpen ? "console.connection.lost" : "console.connection.connecting"));
  } else if (name === "stopped" && detail) {
    banner(t(detail === 4002 ? "error.unsupported_version" : "console.connection.stopped"));
  }
}

/** After a drop: is the staff session still valid? If not, stop and say so. */
async function stillSignedIn() {
  try {
    const response = await fetch("/console", { redirect: "manual", cache: "no-store", credentials: "same-origin" });
    if (response.type === "opaqueredirect" || response.status === 303) {
      banner(t("console.connection.expired"));
      setTimeout(() => location.assign("/console/login"), 3000);
      return false;
    }
  } catch {
    // offline: keep trying to reconnect
  }
  return true;
}

socket = new ParoleSocket({
  url: socketUrl("/ws/console"),
  hello: () => frames.consoleHello({ lang, lastSeq: state.seqs.toObject() }),
  onFrame,
  onState,
  onService,
  onClose: stillSignedIn,
  onRefused: (frame, error) => {
    state.conversations.get(frame.conversation)?.pending.fail(frame.client_id, t("console.message.failed"));
    alertText(error.message);
  },
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  const c = state.conversations.get(state.selected);
  if (c) clearUnread(c);
});
window.addEventListener("online", () => socket.nudge());

setInterval(drawQueues, SINCE_REFRESH);
// An unanswered invitation is void at its `until`; the server's `invitation_closed` follows.
setInterval(() => {
  const over = [...state.invitations].filter(([, info]) => info.until <= Date.now());
  for (const [key] of over) state.invitations.delete(key);
  if (over.length) drawInvitations(); // not otherwise: a redraw would lose the focus
}, 1000);
drawQueues();
socket.connect();
