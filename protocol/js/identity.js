// The identity guard in the browser: what looks like an email address, a phone
// number, a NIR, an IBAN or a postal address in a message, found before it goes.
//
// Twin of server/core/identity.py, which explains what counts and why ordinary
// numbers raise no alarm; each pattern here is written as it is there (keep them in
// step). Both are tested against protocol/fixtures/identity.json
// (tests/js/identity.test.mjs, tests/unit/test_core_identity.py). Offsets are
// JavaScript string indices (UTF-16 code units).

export const KINDS = Object.freeze(["email", "phone", "nir", "iban", "address"]);

const L = "A-Za-zÀ-ÖØ-öø-ÿ";

const EMAIL = new RegExp(
  `(?<![${L}0-9._%+-])[${L}0-9._%+-]+` +
    String.raw`(?:@|\s?[(\[]at[)\]]\s?|\sarobase\s)` +
    String.raw`[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])`,
  "gi",
);
const PHONE_FR = /(?<![0-9A-Za-z+])0[1-9](?:[ .-]?[0-9]{2}){4}(?![0-9])/g;
const PHONE_INTL = /(?<![0-9A-Za-z+])(?:\+|00)[1-9](?:[ .-]?(?:\([0-9]{1,4}\)|[0-9])){7,16}(?![0-9])/g;
const NIR = new RegExp(
  String.raw`(?<![0-9A-Za-z])[1-478][ .-]?[0-9]{2}[ .-]?(?:0[1-9]|1[0-2]|[2-9][0-9])[ .-]?` +
    String.raw`(?:(?:[0-9]{2}|2[AB])[ .-]?[0-9]{3}|9[78][0-9][ .-]?[0-9]{2})` +
    String.raw`[ .-]?[0-9]{3}[ .-]?[0-9]{2}(?![0-9A-Za-z])`,
  "gi",
);
const IBAN = /(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![0-9A-Za-z])/gi;

// Street words and particles as typed: "rue", "Rue" or "RUE" (see identity.py).
const STREETS = [
  "rue", "avenue", "av.", "av", "boulevard", "bd", "allée", "allee", "impasse", "chemin",
  "quai", "square", "faubourg", "résidence", "residence", "lotissement", "hameau", "sentier",
];
const PARTICLES = ["de la", "de l'", "de l’", "du", "des", "de", "d'", "d’", "la", "le", "les", "l'", "l’"];

const escape = (word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const capitalize = (word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
const cases = (words) =>
  words.flatMap((word) => [word, capitalize(word), word.toUpperCase()].map(escape)).join("|");

const ADDRESS = new RegExp(
  `(?<![${L}0-9])[0-9]{1,4}(?: ?(?:bis|ter|quater|[a-dA-D]))?,? (?:${cases(STREETS)}) ` +
    `(?:(?:${cases(PARTICLES)}) ?)?[${L}][${L}'’-]*` +
    `(?: [A-ZÀ-ÖØ-Þ][${L}'’-]*)*` +
    `(?:,? [0-9]{5}(?![0-9])(?: [${L}][${L}'’-]*)?)?`,
  "g",
);

/** Matches of `pattern` in `text` as {start, end, text}. */
function matches(pattern, text) {
  return [...text.matchAll(pattern)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
}

const digits = (text) => text.replace(/[^0-9]/g, "");

/** What looks like identity in `text`: [{kind, start, end}], in order, never overlapping. */
export function find(text) {
  const found = [];
  const add = (kind, list) => {
    for (const m of list) found.push({ kind, start: m.start, end: m.end });
  };
  add("email", matches(EMAIL, text));
  add("phone", matches(PHONE_FR, text));
  add(
    "phone",
    matches(PHONE_INTL, text).filter((m) => {
      const count = digits(m.text.replaceAll("(0)", "")).length;
      return count >= 9 && count <= 15;
    }),
  );
  add("nir", matches(NIR, text).filter((m) => nirOk(m.text)));
  for (const m of matches(IBAN, text)) {
    const end = ibanEnd(m.text);
    if (end) found.push({ kind: "iban", start: m.start, end: m.start + end });
  }
  add("address", matches(ADDRESS, text));
  // The earliest first, the longest of those starting together (sort is stable).
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = [];
  for (const f of found) if (!kept.length || f.start >= kept[kept.length - 1].end) kept.push(f);
  return kept;
}

/** The kinds found in `text`, each once, in the order of KINDS. */
export function kindsIn(text) {
  const seen = new Set(find(text).map((f) => f.kind));
  return KINDS.filter((kind) => seen.has(kind));
}

/** `text` without what was found, spaces tidied where pieces were cut out. */
export function removeAll(text) {
  let out = "";
  let at = 0;
  for (const f of find(text)) {
    out += text.slice(at, f.start);
    at = f.end;
  }
  out += text.slice(at);
  if (at === 0) return text;
  return out
    .replace(/[ \t]{2,}/g, " ")
    .replace(/ +([,.)])/g, "$1")
    .replace(/[ \t]+$/gm, "")
    .replace(/^[ \t]+/gm, "")
    .trim();
}

/** Whether a NIR's key is right (Corsica's 2A and 2B count as 19 and 18). */
export function nirOk(candidate) {
  const compact = candidate.replace(/[ .-]/g, "").toUpperCase();
  const number = compact.slice(0, 13).replace("2A", "19").replace("2B", "18");
  if (!/^[0-9]{13}$/.test(number)) return false;
  return 97 - Number(BigInt(number) % 97n) === Number(compact.slice(13));
}

/** Whether an IBAN's length and mod-97 check hold (ISO 13616). */
export function ibanOk(candidate) {
  const compact = candidate.replaceAll(" ", "").toUpperCase();
  if (compact.length < 15 || compact.length > 34 || !/^[A-Z0-9]+$/.test(compact)) return false;
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const value = parseInt(ch, 36);
    rest = (rest * (value > 9 ? 100 : 10) + value) % 97;
  }
  return rest === 1;
}

/** How much of `candidate` is a valid IBAN, dropping groups written after it; 0 if none. */
function ibanEnd(candidate) {
  let end = candidate.length;
  while (end >= 15) {
    if (ibanOk(candidate.slice(0, end))) return end;
    const space = candidate.lastIndexOf(" ", end - 1);
    if (space < 0) return 0;
    end = space;
  }
  return 0;
}
