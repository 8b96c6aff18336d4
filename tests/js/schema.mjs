// A small JSON Schema (draft 2020-12) validator for protocol/schema.json, no dependencies.
//
// It implements exactly the keywords schema.json uses (see `KEYWORDS`) and nothing
// more. Any other keyword makes it throw, when the schema is loaded and again when
// a subschema is applied: a keyword it does not know can never pass silently. If
// msgspec starts emitting a new keyword, frames.test.mjs fails until it is added here.
//
//   const schema = loadSchema(json);          // throws on an unknown keyword
//   schema.errors("VisitorFrame", frame);     // [] when valid, else ["/path: why", ...]

/** Keywords that constrain a value, each implemented in `apply` below. */
const ASSERTIONS = new Set([
  "$ref",
  "anyOf",
  "type",
  "enum",
  "required",
  "properties",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
]);

/**
 * Keywords with no effect on validity here: annotations, and `discriminator`
 * (an OpenAPI hint; `anyOf` alone decides). `$schema`/`$defs` only at the root.
 */
const IGNORED = new Set(["title", "description", "default", "discriminator"]);
const ROOT_ONLY = new Set(["$schema", "$defs"]);

export const KEYWORDS = Object.freeze([...ASSERTIONS, ...IGNORED, ...ROOT_ONLY].sort());

const TYPES = new Set(["null", "boolean", "object", "array", "number", "integer", "string"]);

export class SchemaError extends Error {}

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value; // "boolean", "string", "object", or something JSON has not
}

function hasType(value, type) {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

/** JSON equality, for `enum`. */
function equal(a, b) {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b) || a === null || typeof a !== "object") return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
}

const isObject = (value) => typeOf(value) === "object";
const isCount = (value) => Number.isInteger(value) && value >= 0;
const codePoints = (text) => [...text].length;

/** Throw unless `schema` (at `where`) is a schema made only of known keywords, recursively. */
function checkSchema(schema, where, root = false) {
  if (typeof schema === "boolean") return;
  if (!isObject(schema)) throw new SchemaError(`${where}: a schema must be an object or a boolean`);
  for (const [keyword, value] of Object.entries(schema)) {
    const at = `${where}/${keyword}`;
    if (ROOT_ONLY.has(keyword) && !root) throw new SchemaError(`${at}: only supported at the root`);
    if (!ASSERTIONS.has(keyword) && !IGNORED.has(keyword) && !ROOT_ONLY.has(keyword)) {
      throw new SchemaError(`${at}: unsupported JSON Schema keyword "${keyword}"`);
    }
    switch (keyword) {
      case "$defs":
      case "properties":
        if (!isObject(value)) throw new SchemaError(`${at}: must be an object`);
        for (const [name, sub] of Object.entries(value)) checkSchema(sub, `${at}/${name}`);
        break;
      case "anyOf":
        if (!Array.isArray(value) || value.length === 0) throw new SchemaError(`${at}: must be a non-empty array`);
        value.forEach((sub, i) => checkSchema(sub, `${at}/${i}`));
        break;
      case "items":
      case "additionalProperties":
        checkSchema(value, at);
        break;
      case "$ref":
        if (typeof value !== "string" || !value.startsWith("#/$defs/")) {
          throw new SchemaError(`${at}: only local "#/$defs/..." references are supported`);
        }
        break;
      case "type":
        for (const type of Array.isArray(value) ? value : [value]) {
          if (!TYPES.has(type)) throw new SchemaError(`${at}: unknown type ${JSON.stringify(type)}`);
        }
        break;
      case "enum":
        if (!Array.isArray(value)) throw new SchemaError(`${at}: must be an array`);
        break;
      case "required":
        if (!Array.isArray(value) || !value.every((n) => typeof n === "string")) {
          throw new SchemaError(`${at}: must be an array of strings`);
        }
        break;
      case "minItems":
      case "maxItems":
      case "minLength":
      case "maxLength":
        if (!isCount(value)) throw new SchemaError(`${at}: must be a non-negative integer`);
        break;
      case "minimum":
      case "maximum":
        if (typeof value !== "number") throw new SchemaError(`${at}: must be a number`);
        break;
      case "pattern":
        if (typeof value !== "string") throw new SchemaError(`${at}: must be a string`);
        new RegExp(value, "u"); // throws on a pattern JavaScript cannot compile
        break;
      default:
        break;
    }
  }
}

/** Validate `schema` documents: `loadSchema(json).errors(defName, value)`. */
export function loadSchema(document) {
  checkSchema(document, "#", true);
  const defs = document.$defs ?? {};
  const patterns = new Map();
  const regex = (source) => {
    if (!patterns.has(source)) patterns.set(source, new RegExp(source, "u"));
    return patterns.get(source);
  };

  function resolve(ref) {
    const name = ref.slice("#/$defs/".length);
    if (!Object.hasOwn(defs, name)) throw new SchemaError(`unresolved $ref ${ref}`);
    return defs[name];
  }

  /** Push into `errors` why `value` (at `path`) does not match `schema`. */
  function apply(schema, value, path, errors) {
    if (schema === true) return;
    if (schema === false) {
      errors.push(`${path || "/"}: not allowed`);
      return;
    }
    for (const [keyword, rule] of Object.entries(schema)) {
      if (IGNORED.has(keyword) || ROOT_ONLY.has(keyword)) continue;
      const where = path || "/";
      switch (keyword) {
        case "$ref":
          apply(resolve(rule), value, path, errors);
          break;
        case "anyOf": {
          const branches = rule.map((sub) => {
            const found = [];
            apply(sub, value, path, found);
            return found;
          });
          if (!branches.some((found) => found.length === 0)) {
            errors.push(`${where}: matches none of anyOf (${branches.map((f) => f[0]).join(" | ")})`);
          }
          break;
        }
        case "type": {
          const types = Array.isArray(rule) ? rule : [rule];
          if (!types.some((type) => hasType(value, type))) {
            errors.push(`${where}: expected ${types.join(" or ")}, got ${typeOf(value)}`);
          }
          break;
        }
        case "enum":
          if (!rule.some((option) => equal(option, value))) {
            errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(rule)}`);
          }
          break;
        case "required":
          if (isObject(value)) {
            for (const name of rule) if (!Object.hasOwn(value, name)) errors.push(`${where}: "${name}" is required`);
          }
          break;
        case "properties":
          if (isObject(value)) {
            for (const [name, sub] of Object.entries(rule)) {
              if (Object.hasOwn(value, name)) apply(sub, value[name], `${path}/${name}`, errors);
            }
          }
          break;
        case "additionalProperties":
          if (isObject(value)) {
            const known = schema.properties ?? {};
            for (const name of Object.keys(value)) {
              if (Object.hasOwn(known, name)) continue;
              if (rule === false) errors.push(`${where}: unknown property "${name}"`);
              else apply(rule, value[name], `${path}/${name}`, errors);
            }
          }
          break;
        case "items":
          if (Array.isArray(value)) value.forEach((item, i) => apply(rule, item, `${path}/${i}`, errors));
          break;
        case "minItems":
          if (Array.isArray(value) && value.length < rule) errors.push(`${where}: fewer than ${rule} items`);
          break;
        case "maxItems":
          if (Array.isArray(value) && value.length > rule) errors.push(`${where}: more than ${rule} items`);
          break;
        case "minLength":
          if (typeof value === "string" && codePoints(value) < rule) errors.push(`${where}: shorter than ${rule}`);
          break;
        case "maxLength":
          if (typeof value === "string" && codePoints(value) > rule) errors.push(`${where}: longer than ${rule}`);
          break;
        case "pattern":
          if (typeof value === "string" && !regex(rule).test(value)) {
            errors.push(`${where}: ${JSON.stringify(value)} does not match ${rule}`);
          }
          break;
        case "minimum":
          if (typeof value === "number" && value < rule) errors.push(`${where}: below ${rule}`);
          break;
        case "maximum":
          if (typeof value === "number" && value > rule) errors.push(`${where}: above ${rule}`);
          break;
        default:
          // checkSchema refused it already; this guards schemas changed after loading.
          throw new SchemaError(`unsupported JSON Schema keyword "${keyword}"`);
      }
    }
  }

  return {
    document,
    /** Reasons `value` does not match `$defs/<name>` (or a schema object): [] when it does. */
    errors(name, value) {
      const schema = typeof name === "string" ? resolve(`#/$defs/${name}`) : name;
      if (typeof name !== "string") checkSchema(schema, "#");
      const errors = [];
      apply(schema, value, "", errors);
      return errors;
    },
    valid(name, value) {
      return this.errors(name, value).length === 0;
    },
  };
}
