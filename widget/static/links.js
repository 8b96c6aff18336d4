// The web addresses in a message, found for the thread (thread.js) on both sides:
// only plain http(s) addresses become links, and only those whose host reads exactly
// as the browser will go to it. Everything else stays text, drawn as text.
//
// Why so strict. A visitor may have little computer habit and reads the chat on a
// phone, where no hover shows where a link goes; a counsellor's pane shows what a
// stranger typed. So an address is linked only when what is shown is where it leads:
// - http and https only; javascript:, data:, vbscript:, file:… are never links;
// - the scheme is ASCII, at the start of a word: fullwidth "ｈttps" or "httpſ" is text;
// - the host is ASCII letters, digits, dots and dashes (or an IPv6 literal) and is the
//   host URL() reads: a Cyrillic "а", a fullwidth letter, a soft hyphen, a number that
//   URL() turns into 127.0.0.1 — look-alikes, all left as text. An address with a
//   non-ASCII host (a rare, genuine IDN too) can still be copied, but is not one tap
//   away; punycode typed as such ("xn--…") is linked as typed: it looks like what it is;
// - no credentials: "https://www.impots.gouv.fr@evil.example" goes to evil.example;
// - no control or invisible character (bidi overrides like U+202E, which make
//   "…/\u202egpj.exe" read "…/exe.jpg", zero-width spaces…) anywhere in the address:
//   the whole address stays text. The page isolates each link (dir="ltr") from
//   controls written before it;
// - trailing punctuation and unbalanced closing brackets are the sentence's, not the
//   address's: "(voir https://example.org/a)." links https://example.org/a.
// The link's text is the address as typed; its href is URL(…).href.

const SCHEME = /[Hh][Tt][Tt][Pp][Ss]?:\/\//g;
// What ends an address: white space, the ASCII characters RFC 3986 never allows in one
// ("<", '"', "\" — URL() would read it as "/"…), and the quotes and ellipsis written
// around addresses in French and English texts.
const END = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000<>"`\\{}|^«»‹›“”„‘’‚…]/;
const WORD = /[\p{L}\p{N}\p{M}]/u;
// Control, format (bidi, zero-width), private-use and lone surrogate characters.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const PUNCTUATION = /\p{P}/u;
const ASCII_TRAILING = ".,:;!?'*";
// The host part as typed, then an optional port; no "@", nothing non-ASCII.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** The parsed href of `candidate` if it may be a link (see above), else null. */
function safeHref(candidate) {
  if (HIDDEN.test(candidate)) return null;
  const rest = candidate.slice(candidate.indexOf("//") + 2);
  const authority = AUTHORITY.exec(rest.split(/[/?#]/, 1)[0]);
  if (!authority) return null;
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  if (url.hostname !== authority[1].toLowerCase()) return null;
  return url.href;
}

/** Where an address starting at `start` and running to `end` stops, its trailing
 *  punctuation and unbalanced closing brackets left out. */
function trimmed(text, start, end) {
  const open = { ")": 0, "]": 0 };
  const close = { ")": 0, "]": 0 };
  for (let i = start; i < end; i += 1) {
    if (text[i] === "(") open[")"] += 1;
    else if (text[i] === "[") open["]"] += 1;
    else if (text[i] in close) close[text[i]] += 1;
  }
  let stop = end;
  while (stop > start) {
    const last = text[stop - 1];
    if (last in close && close[last] > open[last]) close[last] -= 1;
    else if (!(last < "\x80" ? ASCII_TRAILING.includes(last) : PUNCTUATION.test(last))) break;
    stop -= 1;
  }
  return stop;
}

function startsWord(text, at) {
  const before = Array.from(text.slice(Math.max(0, at - 2), at)).pop();
  return before === undefined || !WORD.test(before);
}

/**
 * `text` cut into pieces `{text}` and `{text, href}` (a link) that join back into it,
 * adjacent text merged. One pass: each address is linked whole or not at all.
 */
export function linkPieces(text) {
  const pieces = [];
  let from = 0; // the start of the text not yet in a piece
  const plain = (to) => {
    if (to <= from) return;
    const last = pieces.at(-1);
    if (last && !last.href) last.text += text.slice(from, to);
    else pieces.push({ text: text.slice(from, to) });
    from = to;
  };
  const scheme = new RegExp(SCHEME);
  for (let match = scheme.exec(text); match !== null; match = scheme.exec(text)) {
    const start = match.index;
    if (!startsWord(text, start)) continue;
    let end = start + match[0].length;
    while (end < text.length && !END.test(text[end])) end += 1;
    scheme.lastIndex = end;
    const stop = trimmed(text, start, end);
    const href = safeHref(text.slice(start, stop));
    if (href === null) continue;
    plain(start);
    pieces.push({ text: text.slice(start, stop), href });
    from = stop;
  }
  plain(text.length);
  return pieces;
}
