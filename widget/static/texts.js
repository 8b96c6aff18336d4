// Catalog texts, for the chat page and the console (which imports this module as
// ../widget/texts.js). A catalog value is a text, or for a text with a count a
// plural object: {"=0": …, "one": "{count} minute", "other": "{count} minutes"}. The
// form is picked as server/web/i18n.py picks it — an exact "=N" form, then the count's
// CLDR category from the browser's Intl.PluralRules, then "other" — so both sides
// write the same words (protocol/fixtures/plurals.json holds them to it).

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** `text` with each `{name}` given in `values` replaced; the others left as written. */
export function fill(text, values = {}) {
  return text.replace(PLACEHOLDER, (all, name) => (Object.hasOwn(values, name) ? String(values[name]) : all));
}

/** The form of a catalog value for `count` (a text is its own only form). */
export function choose(value, count, rules) {
  if (typeof value === "string") return value;
  if (Number.isInteger(count) && count >= 0) {
    const exact = value[`=${count}`];
    if (typeof exact === "string") return exact;
    const form = value[rules.select(count)];
    if (typeof form === "string") return form;
  }
  return value.other;
}

/**
 * `t(key, values)` for one catalog and its language: the text of `key` (the key
 * itself if unknown), its form chosen by `values.count`, with `values` filled in.
 */
export function translator(catalog, lang) {
  const rules = new Intl.PluralRules(lang);
  return (key, values = {}) => fill(choose(Object.hasOwn(catalog, key) ? catalog[key] : key, values.count, rules), values);
}
