/**
 * Text → plain JS value, with limits: configuration files are small, so anything large, deeply nested or alias-heavy
 * is refused with one line instead of being parsed.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import { VramfitError } from "../../core/errors.js";

/** Largest configuration text accepted, in UTF-16 code units (the longest real config seen is ~11 KB). */
export const MAX_CONFIG_CHARS = 256 * 1024;
/** YAML aliases resolved at most (the yaml package's own default is 100; configs use a handful). */
export const MAX_YAML_ALIASES = 50;
/** Nesting depth of the parsed value. */
export const MAX_DEPTH = 64;
/** Values (scalars, lists, maps) in the parsed file. */
export const MAX_NODES = 100_000;

export function invalid(fileName: string, message: string, cause?: unknown): VramfitError {
  return new VramfitError("invalid_file", `${fileName}: ${message}`, cause === undefined ? {} : { cause });
}

/** One line of an error message from a parser (no stack, no code frame). */
function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split("\n").find((l) => l.trim() !== "") ?? "unreadable";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Parse a JSON or YAML configuration into a plain object. Throws VramfitError("invalid_file") for anything else. */
export function parseConfigText(text: string, fileName: string): Record<string, unknown> {
  if (typeof text !== "string") throw invalid(fileName, "expected text");
  if (text.length > MAX_CONFIG_CHARS) {
    throw invalid(fileName, `${text.length} characters is too large for a training configuration (limit ${MAX_CONFIG_CHARS})`);
  }
  if (text.includes("\u0000")) throw invalid(fileName, "binary data, not a text configuration file");
  // Cheap guard against pathological nesting before any parser recurses into it.
  let depth = 0;
  let maxDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  if (maxDepth > MAX_DEPTH) throw invalid(fileName, `nested more than ${MAX_DEPTH} levels deep`);

  const looksJson = /\.json$/i.test(fileName) || /^\s*[{[]/.test(text);
  let value: unknown;
  if (looksJson) {
    try {
      value = JSON.parse(text);
    } catch (e) {
      if (/\.json$/i.test(fileName)) throw invalid(fileName, `not valid JSON (${firstLine(e)})`);
      value = parseYaml(text, fileName);
    }
  } else {
    value = parseYaml(text, fileName);
  }
  checkShape(value, fileName);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(fileName, "not a training configuration (expected a mapping of keys to values at the top level)");
  }
  return value as Record<string, unknown>;
}

function parseYaml(text: string, fileName: string): unknown {
  let doc;
  try {
    // The yaml package's own duplicate-key check compares every key with every other (quadratic: 40 s for 60k
    // keys); duplicates are found below with a Set instead.
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, stringKeys: true });
  } catch (e) {
    throw invalid(fileName, `not valid YAML (${firstLine(e)})`, e);
  }
  if (doc.errors.length > 0) throw invalid(fileName, `not valid YAML (${firstLine(doc.errors[0])})`);
  const dup = duplicateKey(doc.contents);
  if (dup !== undefined) throw invalid(fileName, `not valid YAML (the key '${dup.slice(0, 80)}' appears twice in one mapping)`);
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw invalid(fileName, `not a usable YAML document (${firstLine(e)})`, e);
  }
}

/** The first key that appears twice in one mapping, walking the YAML node tree iteratively. */
function duplicateKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (k !== "<<" && seen.has(k)) return k;
        seen.add(k);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isAlias(node)) {
      continue;
    }
  }
  return undefined;
}

/** Depth and size limits on the parsed value (aliases can expand a small text into a large value). */
function checkShape(value: unknown, fileName: string): void {
  let nodes = 0;
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (++nodes > MAX_NODES) throw invalid(fileName, `more than ${MAX_NODES} values: too large for a training configuration`);
    if (d > MAX_DEPTH) throw invalid(fileName, `nested more than ${MAX_DEPTH} levels deep`);
    if (v !== null && typeof v === "object") {
      if (v instanceof Map || v instanceof Set) throw invalid(fileName, "unsupported YAML collection (use plain mappings and lists)");
      const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
      for (const c of children) stack.push({ v: c, d: d + 1 });
    }
  }
}

/** Parse one `key=value` override value the way torchtune's CLI does (a YAML scalar or flow collection). */
export function parseOverrideValue(raw: string, fileName: string): unknown {
  if (raw.length > 10_000) throw invalid(fileName, "override value too long");
  const v = parseYaml(raw, fileName);
  checkShape(v, fileName);
  return v;
}
