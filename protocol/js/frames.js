// Every frame the browser sends on a Parole websocket, built in one place.
//
// One builder per client message of protocol/messages.py (visitor: hello, join,
// rename, send, typing, leave; console: hello, take, send, typing, end, presence,
// transfer). Each
// builder normalises what the protocol bounds, so what leaves the page is a frame
// the server decodes:
// - texts lose control and format characters (as the server's clean_text does,
//   keeping newlines, tabs and zero-width joiners), are trimmed and cut to 4000
//   characters (code points, as msgspec counts them; a surrogate pair is never split);
// - pseudonyms become one line with single spaces, cut to 40 characters;
// - optional fields that are absent (or out of bounds, like a malformed language tag
//   or resume token) are omitted, never sent as null.
// A field the frame cannot go without (an empty text, a pole that is not a slug...)
// is a caller's mistake: the builder throws a TypeError rather than send a frame
// the server would refuse. Callers check user input with cleanText/cleanPseudonym.
//
// tests/js/frames.test.mjs validates every builder's output against
// protocol/schema.json.

import { PROTOCOL_VERSIONS } from "./client.js";

export const MAX_TEXT = 4000;
export const MAX_PSEUDONYM = 40;
export const MAX_NOTE = 500;

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SLUG = /^[a-z0-9-]{1,64}$/;
const COLLEAGUE = /^[0-9a-f]{16}$/;
const LANG = /^[a-z]{2,3}(-[A-Z]{2})?$/;
// Category C (control, format, surrogate, private use, unassigned) but \n, \t, ZWNJ, ZWJ.
const INVISIBLE = /(?![\n\t\u200c\u200d])\p{C}/gu;
const JOINERS = /[\u200c\u200d]/g;

/** The first `max` code points of a string. */
function cut(text, max) {
  let count = 0;
  let end = 0;
  for (const ch of text) {
    if (count === max) return text.slice(0, end);
    count += 1;
    end += ch.length;
  }
  return text;
}

/** A message as the server will store it: no control characters, trimmed, ≤ 4000; "" if nothing is left. */
export function cleanText(value) {
  const text = String(value ?? "").replace(INVISIBLE, "").trim();
  if (!text.replace(JOINERS, "").trim()) return "";
  return cut(text, MAX_TEXT).trimEnd();
}

/** A pseudonym as the server will store it: one line, single spaces, ≤ 40; "" if nothing is left. */
export function cleanPseudonym(value) {
  const text = String(value ?? "")
    .replace(/[\n\t]/g, " ")
    .replace(JOINERS, "")
    .replace(INVISIBLE, "")
    .replace(/\s+/gu, " ")
    .trim();
  return cut(text, MAX_PSEUDONYM).trimEnd();
}

/** A language tag the protocol accepts ("fr", "en", "pt-BR"), or undefined. */
export function cleanLang(value) {
  if (typeof value !== "string") return undefined;
  const [primary, region] = value.trim().replace("_", "-").split("-");
  const tag = region && region.length === 2 ? `${primary.toLowerCase()}-${region.toUpperCase()}` : primary.toLowerCase();
  if (LANG.test(tag)) return tag;
  return LANG.test(primary.toLowerCase()) ? primary.toLowerCase() : undefined;
}

/** Whether a string can be sent as a resume token (16 to 128 characters). */
export function isToken(value) {
  if (typeof value !== "string") return false;
  const length = [...value].length;
  return length >= 16 && length <= 128;
}

function need(value, pattern, name) {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new TypeError(`${name} must match ${pattern}: ${JSON.stringify(value)}`);
  }
  return value;
}

function needText(value, clean, name) {
  const text = clean(value);
  if (!text) throw new TypeError(`${name} is empty`);
  return text;
}

function isSeq(value) {
  return Number.isSafeInteger(value) && value >= 0;
}

// --- visitor -> server ------------------------------------------------------------------

/** `hello`; with a resume token, `last_seq` is the highest seq shown (omitted when 0). */
export function visitorHello({ lang, resume, lastSeq, site } = {}) {
  const frame = { type: "hello", versions: [...PROTOCOL_VERSIONS] };
  const tag = cleanLang(lang);
  if (tag) frame.lang = tag;
  if (typeof site === "string" && SLUG.test(site)) frame.site = site; // else the main site
  if (isToken(resume)) {
    frame.resume = resume;
    if (isSeq(lastSeq) && lastSeq > 0) frame.last_seq = lastSeq;
  }
  return frame;
}

/**
 * `join` a pole's queue. `question` is optional; `clientId` names the question's
 * message, so it is sent only with a question.
 */
export function join({ pole, pseudonym, question, clientId } = {}) {
  const frame = { type: "join", pole: need(pole, SLUG, "pole") };
  const name = cleanPseudonym(pseudonym);
  if (name) frame.pseudonym = name;
  const text = cleanText(question);
  if (text) {
    frame.question = text;
    if (clientId !== undefined && clientId !== null) frame.client_id = need(clientId, CLIENT_ID, "client_id");
  }
  return frame;
}

export function rename(pseudonym) {
  return { type: "rename", pseudonym: needText(pseudonym, cleanPseudonym, "pseudonym") };
}

/** A visitor's message; a retry must reuse the same `clientId`. */
/** A message; `portfolio`: an item the visitor sends from their e-portfolio. */
export function visitorSend({ clientId, text, portfolio = false } = {}) {
  const frame = {
    type: "send",
    client_id: need(clientId, CLIENT_ID, "client_id"),
    text: needText(text, cleanText, "text"),
  };
  if (portfolio) frame.portfolio = true;
  return frame;
}

export const PUBLICS = Object.freeze({
  situation: ["student", "employed", "jobseeker", "training", "creating", "other"],
  age: ["under_18", "18_25", "26_44", "45_54", "55_plus"],
  origin: ["town", "departement", "region", "country", "abroad"],
});

/** One optional answer about who the visitor is (counted alone, per pole and month). */
export function tell(question, answer) {
  if (!Object.hasOwn(PUBLICS, question) || !PUBLICS[question].includes(answer)) throw new TypeError("tell: a question and one of its answers");
  return { type: "tell", question, answer };
}

/** Answer the counsellor's request (`asked`: its event's seq): `text` shares the detail, none declines. */
export function answer({ asked, clientId, text } = {}) {
  if (!Number.isInteger(asked) || asked < 1) throw new TypeError("asked: a seq");
  const frame = { type: "answer", asked, client_id: need(clientId, CLIENT_ID, "client_id") };
  if (text !== undefined && text !== null) frame.text = needText(text, cleanText, "text");
  return frame;
}

export function visitorTyping(active) {
  return { type: "typing", active: Boolean(active) };
}

/** Leave the queue or end the conversation; `report`: and report it as inappropriate. */
export function leave({ report = false } = {}) {
  return report ? { type: "leave", report: true } : { type: "leave" };
}

export const MAX_COMMENT = 500;

/** The one answer to "how was it?": a score 1 to 5 and maybe a comment (cleaned, cut). */
export function rate({ conversation, score, comment } = {}) {
  if (!Number.isInteger(score) || score < 1 || score > 5) throw new TypeError("score: 1 to 5");
  const frame = { type: "rate", conversation: need(conversation, SLUG, "conversation"), score };
  const text = cut(cleanText(comment ?? ""), MAX_COMMENT);
  if (text) frame.comment = text;
  return frame;
}

// --- counsellor -> server ---------------------------------------------------------------

/** The console's `hello`; `lastSeq` maps conversation ids to the last seq seen (empty: omitted). */
export function consoleHello({ lang, lastSeq } = {}) {
  const frame = { type: "hello", versions: [...PROTOCOL_VERSIONS] };
  const tag = cleanLang(lang);
  if (tag) frame.lang = tag;
  const seqs = {};
  for (const [conversation, seq] of Object.entries(lastSeq ?? {})) {
    if (SLUG.test(conversation) && isSeq(seq)) seqs[conversation] = seq;
  }
  if (Object.keys(seqs).length) frame.last_seq = seqs;
  return frame;
}

export function take(pole) {
  return { type: "take", pole: need(pole, SLUG, "pole") };
}

export function consoleSend({ conversation, clientId, text } = {}) {
  return {
    type: "send",
    conversation: need(conversation, SLUG, "conversation"),
    client_id: need(clientId, CLIENT_ID, "client_id"),
    text: needText(text, cleanText, "text"),
  };
}

export function consoleTyping(conversation, active) {
  return { type: "typing", conversation: need(conversation, SLUG, "conversation"), active: Boolean(active) };
}

export function end(conversation) {
  return { type: "end", conversation: need(conversation, SLUG, "conversation") };
}

/** Available (takes visitors) or paused, for every console of the account. */
export function presence(available) {
  return { type: "presence", available: Boolean(available) };
}

/** Send a conversation's visitor to another pole's queue, keeping their turn; `note` for colleagues only. */
/** With `colleague`, directly to them: they accept or decline, else the queue. */
export function transfer({ conversation, pole, note, colleague } = {}) {
  const frame = { type: "transfer", conversation: need(conversation, SLUG, "conversation"), pole: need(pole, SLUG, "pole") };
  const text = cut(cleanText(note ?? ""), MAX_NOTE);
  if (text) frame.note = text;
  if (colleague) frame.colleague = need(colleague, COLLEAGUE, "colleague");
  return frame;
}

/** Ask for the colleagues one may invite (answered by `colleagues`). */
export function colleagues() {
  return { type: "colleagues" };
}

export function invite(conversation, colleague) {
  return { type: "invite", conversation: need(conversation, SLUG, "conversation"), colleague: need(colleague, COLLEAGUE, "colleague") };
}

export function inviteReply(conversation, accept) {
  return { type: "invite_reply", conversation: need(conversation, SLUG, "conversation"), accept: Boolean(accept) };
}

export function withdraw(conversation, colleague) {
  return { type: "withdraw", conversation: need(conversation, SLUG, "conversation"), colleague: need(colleague, COLLEAGUE, "colleague") };
}

/** End an abusive conversation and block its source for a while. */
export function block(conversation) {
  return { type: "block", conversation: need(conversation, SLUG, "conversation") };
}

export function leaveConversation(conversation) {
  return { type: "leave_conversation", conversation: need(conversation, SLUG, "conversation") };
}

/** Search the resource cards (answered by `cards`); the query is cut to 100 characters. */
export function findCards(query, conversation) {
  const frame = { type: "find_cards", query: [...String(query ?? "")].slice(0, 100).join("") };
  if (conversation !== undefined && conversation !== null) frame.conversation = need(conversation, SLUG, "conversation");
  return frame;
}

export function shareCard(conversation, card, clientId) {
  return {
    type: "share_card",
    conversation: need(conversation, SLUG, "conversation"),
    card: need(card, SLUG, "card"),
    client_id: need(clientId, CLIENT_ID, "client_id"),
  };
}

export function shareDuty(conversation, clientId) {
  return { type: "share_duty", conversation: need(conversation, SLUG, "conversation"), client_id: need(clientId, CLIENT_ID, "client_id") };
}

export const MAX_DETAIL = 80;
export const MAX_PURPOSE = 300;

/** Ask the visitor for one `detail` for a stated `purpose` (both cleaned and cut). */
export function ask({ conversation, clientId, detail, purpose } = {}) {
  return {
    type: "ask",
    conversation: need(conversation, SLUG, "conversation"),
    client_id: need(clientId, CLIENT_ID, "client_id"),
    detail: cut(needText(detail, cleanText, "detail"), MAX_DETAIL).trimEnd(),
    purpose: cut(needText(purpose, cleanText, "purpose"), MAX_PURPOSE).trimEnd(),
  };
}

/** The builders by endpoint, for tests and for anyone who wants to enumerate them. */
export const visitorFrames = Object.freeze({
  hello: visitorHello,
  join,
  rename,
  send: visitorSend,
  typing: visitorTyping,
  leave,
  rate,
  answer,
  tell,
});

export const consoleFrames = Object.freeze({
  hello: consoleHello,
  take,
  send: consoleSend,
  typing: consoleTyping,
  end,
  presence,
  transfer,
  colleagues,
  invite,
  invite_reply: inviteReply,
  withdraw,
  leave_conversation: leaveConversation,
  block,
  find_cards: findCards,
  share_card: shareCard,
  share_duty: shareDuty,
  ask,
});
