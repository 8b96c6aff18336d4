// Canned replies in the compose box: "/" at the start, then a few letters, offers
// the counsellor's own replies and those shared with their poles; the one chosen
// replaces what was typed, its placeholders filled, to be edited before sending.
// Pure functions: the console wires them to its compose boxes.

/** What a search compares: no case, no accents ("Métier" finds "metier"). */
export function fold(text) {
  return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * The query a compose box holds, or null: its text starts with "/" and has no line
 * break (a reply being chosen, not a message that happens to start with a slash
 * followed by more lines).
 */
export function replyQuery(value) {
  if (!value.startsWith("/") || value.includes("\n")) return null;
  return value.slice(1);
}

/**
 * The replies matching `query`: names starting with it first, then names or texts
 * holding every word of it; each group in the order given. At most `limit`.
 */
export function matchReplies(replies, query, limit = 8) {
  const q = fold(query).trim();
  const words = q.split(/\s+/).filter(Boolean);
  const first = [];
  const then = [];
  for (const reply of replies) {
    const name = fold(reply.name);
    if (name.startsWith(q)) first.push(reply);
    else if (words.every((w) => name.includes(w) || fold(reply.text).includes(w))) then.push(reply);
  }
  return [...first, ...then].slice(0, limit);
}

/** `text` with {pseudonym} and {alias} replaced; any other brace left as written. */
export function fillReply(text, values) {
  return text.replace(/\{(pseudonym|alias)\}/g, (all, name) => (Object.hasOwn(values, name) ? String(values[name]) : all));
}
