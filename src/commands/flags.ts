/**
 * One table-driven option parser, configured to behave like each engine's own parser:
 * - argparse (vLLM, SGLang): `--flag value`, `--flag=value`, unique prefixes of long options
 *   (allow_abbrev), `-qVALUE` for one-letter options, values may start with '-' only when they are
 *   negative numbers, store_true flags take no value;
 * - llama.cpp's common_params_parse: exact spellings only, `--` options have '_' read as '-', the next
 *   word is always the value (even "-1"), no `=`;
 * - Go's pflag (Ollama): `--flag value`, `--flag=value`, `--bool=false`.
 */
import { clip, invalidOption, type EngineCommand, type FlagSpec, type FlagValue } from "./types.js";

export interface ParserStyle {
  /** Accept `--flag=value` (and `-f=value`). */
  equals: boolean;
  /** argparse allow_abbrev: a unique prefix of a --long option selects it. */
  abbreviations: boolean;
  /** Underscores in `--long_names` read as dashes (vLLM's FlexibleArgumentParser, llama.cpp). */
  underscores: boolean;
  /** One-letter short options take an attached value: -qawq (argparse). */
  attachedShort: boolean;
  /** Whether the word after a value-taking option may start with '-': argparse only for negative numbers. */
  dashValues: "numbers" | "always";
  /** How numbers are read: Python int()/float(), C++ std::stoi/stof (stops at the first bad character), Go strconv. */
  numbers: "python" | "stoi" | "go";
  /** Bool options accept `=true/false` (pflag) instead of refusing a value (argparse). */
  boolValues: boolean;
  /** Name of the engine, for messages. */
  engine: string;
}

interface Entry {
  spec: FlagSpec;
  negative: boolean;
}

export interface FlagIndex {
  exact: Map<string, Entry>;
  longNames: string[];
  specs: Map<string, FlagSpec>;
}

export function indexFlags(table: readonly FlagSpec[]): FlagIndex {
  const exact = new Map<string, Entry>();
  const specs = new Map<string, FlagSpec>();
  for (const spec of table) {
    if (specs.has(spec.name)) throw new Error(`duplicate canonical flag ${spec.name}`);
    specs.set(spec.name, spec);
    for (const n of spec.names) {
      if (exact.has(n)) throw new Error(`flag spelling ${n} is defined twice`);
      exact.set(n, { spec, negative: false });
    }
    for (const n of spec.negNames ?? []) {
      if (exact.has(n)) throw new Error(`flag spelling ${n} is defined twice`);
      exact.set(n, { spec, negative: true });
    }
  }
  const longNames = [...exact.keys()].filter((n) => n.startsWith("--"));
  return { exact, longNames, specs };
}

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

export interface ParseHooks {
  /** A word that is not an option: return true when consumed (the model, a subcommand). */
  positional?: (word: string, index: number) => boolean;
  /** Whether a positional (the model) is still expected: then an unknown option does not swallow the next word. */
  wantsPositional?: () => boolean;
}

/** Parse argv (without the program words) into `cmd`. */
export function parseFlags(argv: readonly string[], index: FlagIndex, style: ParserStyle, cmd: EngineCommand, hooks: ParseHooks = {}): void {
  let i = 0;
  while (i < argv.length) {
    const word = argv[i];
    if (word === "--" && style.engine !== "llama.cpp") {
      for (let j = i + 1; j < argv.length; j++) positional(argv[j], j);
      return;
    }
    if (!word.startsWith("-") || word === "-" || (style.dashValues === "numbers" && NEGATIVE_NUMBER.test(word))) {
      positional(word, i);
      i++;
      continue;
    }
    let name = word;
    let inline: string | undefined;
    if (style.equals) {
      const eq = word.indexOf("=");
      if (eq > 0) {
        name = word.slice(0, eq);
        inline = word.slice(eq + 1);
      }
    }
    const asTyped = name;
    if (style.underscores && name.startsWith("--")) name = name.replace(/_/g, "-");
    let entry = index.exact.get(name);
    let dottedKey: string | undefined;

    if (!entry && name.startsWith("--") && name.includes(".")) {
      const base = name.slice(0, name.indexOf("."));
      const e = index.exact.get(base);
      if (e?.spec.dotted) {
        entry = e;
        dottedKey = name.slice(base.length + 1);
      }
    }
    if (!entry && style.abbreviations && name.startsWith("--") && name.length > 3) {
      const hits = index.longNames.filter((n) => n.startsWith(name));
      const specsHit = new Set(hits.map((h) => index.exact.get(h)!.spec.name + (index.exact.get(h)!.negative ? "-" : "+")));
      if (specsHit.size === 1) entry = index.exact.get(hits[0]);
      else if (specsHit.size > 1) {
        throw invalidOption(
          `${style.engine}: ambiguous option ${clip(name)} could match ${hits.slice(0, 6).join(", ")}`,
          "spell the option out in full",
        );
      }
    }
    if (!entry && style.attachedShort && /^-[A-Za-z]./.test(word) && !word.startsWith("--")) {
      const e = index.exact.get(word.slice(0, 2));
      if (e && e.spec.type !== "bool") {
        entry = e;
        name = word.slice(0, 2);
        inline = word.slice(2).replace(/^=/, "");
      }
    }
    if (!entry) {
      cmd.unknown.push(clip(asTyped));
      // Without knowing the option we cannot know whether it takes a value; the next plain word most
      // likely is its value (vLLM and SGLang take the model only as the first positional or via a flag).
      if (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("-") && !(hooks.wantsPositional?.() ?? false)) i++;
      i++;
      continue;
    }
    const { spec, negative } = entry;
    let value: FlagValue;
    if (spec.type === "bool") {
      if (inline !== undefined) {
        if (!style.boolValues) throw invalidOption(`${style.engine}: ${clip(name)} takes no value (got '${clip(inline)}')`);
        const b = parseGoBool(inline);
        if (b === undefined) throw invalidOption(`${style.engine}: ${clip(name)} expects true or false, got '${clip(inline)}'`);
        value = negative ? !b : b;
      } else {
        value = !negative;
      }
      i++;
    } else if (spec.values === 2) {
      const a = argv[i + 1];
      const b = argv[i + 2];
      if (a === undefined || b === undefined) throw invalidOption(`${style.engine}: ${clip(name)} expects two values`);
      const prev = cmd.flags[spec.name];
      value = [...(Array.isArray(prev) ? prev : []), `${a}:${b}`];
      i += 3;
    } else {
      let raw: string;
      if (inline !== undefined) {
        raw = inline;
        i++;
      } else if (spec.optionalValue !== undefined) {
        raw = spec.optionalValue;
        i++;
      } else if (spec.bareValue !== undefined && (argv[i + 1] === undefined || (argv[i + 1].startsWith("-") && !NEGATIVE_NUMBER.test(argv[i + 1])))) {
        raw = spec.bareValue;
        cmd.warnings.push(
          argv[i + 1] === undefined
            ? `${clip(name)} without a value is the old syntax: current ${style.engine} expects ${clip(name)} ${spec.bareValue}`
            : `${clip(name)} without a value is the old syntax: current ${style.engine} reads '${clip(argv[i + 1])}' as its value and stops; write ${clip(name)} ${spec.bareValue}`,
        );
        i++;
      } else {
        const next = argv[i + 1];
        if (next === undefined) throw invalidOption(`${style.engine}: ${clip(name)} expects a value`);
        if (style.dashValues === "numbers" && next.startsWith("-") && !NEGATIVE_NUMBER.test(next) && next !== "-") {
          throw invalidOption(`${style.engine}: ${clip(name)} expects a value, got the option ${clip(next)}`);
        }
        raw = next;
        i += 2;
      }
      if (spec.multi) {
        const items = [raw];
        while (i < argv.length && !(argv[i].startsWith("-") && !NEGATIVE_NUMBER.test(argv[i]))) items.push(argv[i++]);
        value = items.map((it) => String(typed(spec, it, name, style)));
        if (spec.type !== "list" && items.length === 1) value = typed(spec, raw, name, style);
      } else if (spec.type === "list") {
        const prev = dottedKey ? undefined : cmd.flags[spec.name];
        const items = splitList(spec, raw, name, style);
        value = [...(Array.isArray(prev) ? prev : []), ...items];
      } else {
        value = typed(spec, raw, name, style);
      }
    }
    const key = dottedKey ? `${spec.name}.${dottedKey.replace(/-/g, "_")}` : spec.name;
    const spelling = name.length === 2 && asTyped.startsWith(name) && !asTyped.startsWith("--") ? name : asTyped;
    cmd.flags[key] = value;
    cmd.spelled[key] = clip(spelling);
    if (spec.model && typeof value === "string") cmd.model = value;
    if (!spec.memory && !cmd.ignored.includes(clip(spelling))) cmd.ignored.push(clip(spelling));
  }

  function positional(word: string, at: number): void {
    if (hooks.positional?.(word, at)) return;
    cmd.unknown.push(clip(word));
  }
}

function splitList(spec: FlagSpec, raw: string, name: string, style: ParserStyle): string[] {
  const parts = spec.name === "tensor_split" ? raw.split(/[,/]+/) : spec.name === "override_tensor" || spec.name === "override_tensor_draft" ? raw.split(",") : [raw];
  return parts.map((p) => {
    const v = typed({ ...spec, type: spec.name === "tensor_split" ? "float" : "string" }, p, name, style);
    if (spec.check) {
      const err = spec.check(v as string | number);
      if (err) throw invalidOption(`${style.engine}: ${clip(name)} ${err}`);
    }
    return String(v);
  });
}

/** Read one value as the engine would, or throw a one-line VramfitError. */
export function typed(spec: FlagSpec, raw: string, name: string, style: ParserStyle): string | number {
  const where = `${style.engine}: ${clip(name)}`;
  const word = raw.trim().toLowerCase();
  if (spec.words?.includes(word)) return word;
  let v: string | number;
  switch (spec.type) {
    case "int":
      v = parseInteger(raw, where, style);
      break;
    case "hint":
      v = parseHumanInt(raw, where);
      break;
    case "float":
      v = parseFloatValue(raw, where, style);
      break;
    case "enum": {
      const norm = spec.normalize ? spec.normalize(raw) : raw;
      if (!spec.choices?.includes(norm)) {
        throw invalidOption(`${where}: '${clip(raw)}' is not one of ${spec.choices?.join(", ")}`);
      }
      v = norm;
      break;
    }
    default:
      v = spec.normalize ? spec.normalize(raw) : raw;
  }
  if (spec.check && spec.type !== "list") {
    const err = spec.check(v);
    if (err) throw invalidOption(`${where} ${err}`);
  }
  return v;
}

function parseInteger(raw: string, where: string, style: ParserStyle): number {
  if (style.numbers === "stoi") {
    // std::stoi: skips leading blanks, reads an optional sign and digits, stops at the first other character.
    const m = /^[ \t\n\r\f\v]*([+-]?\d+)(.*)$/s.exec(raw);
    if (!m) throw invalidOption(`${where} expects a whole number, got '${clip(raw)}'`);
    const n = Number(m[1]);
    if (m[2].length > 0) {
      throw invalidOption(
        `${where} '${clip(raw)}' would be read by llama.cpp as ${m[1]} (std::stoi stops at '${clip(m[2], 10)}')`,
        `write the number in full, e.g. ${/^\d+[kK]$/.test(raw.trim()) ? Number(raw.trim().slice(0, -1)) * 1024 : m[1]}`,
      );
    }
    if (n > 2147483647 || n < -2147483648) throw invalidOption(`${where} ${m[1]} is out of range for a 32-bit int (llama.cpp throws out_of_range)`);
    return n;
  }
  const s = style.numbers === "python" ? raw.trim() : raw;
  const re = style.numbers === "python" ? /^[+-]?\d+(_\d+)*$/ : /^[+-]?\d+$/;
  if (!re.test(s)) throw invalidOption(`${where} expects a whole number, got '${clip(raw)}'`);
  const n = Number(s.replace(/_/g, ""));
  if (!Number.isSafeInteger(n)) throw invalidOption(`${where} ${clip(raw)} is too large`);
  return n;
}

/** vLLM/SGLang human_readable_int: 1k = 1000, 1K = 1024, 25.6k = 25600; decimals only with k/m/g/t. */
export function parseHumanInt(raw: string, where: string): number {
  const s = raw.trim();
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT])$/.exec(s);
  if (m) {
    const dec: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
    const bin: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
    let n: number;
    if (m[2] in dec) n = Math.trunc(Number(m[1]) * dec[m[2]]);
    else {
      if (m[1].includes(".")) throw invalidOption(`${where} decimals are not allowed with binary suffixes like ${m[2]} (did you mean ${m[1]}${m[2].toLowerCase()}?)`);
      n = Number(m[1]) * bin[m[2]];
    }
    if (!Number.isSafeInteger(n)) throw invalidOption(`${where} ${clip(raw)} is too large`);
    return n;
  }
  if (!/^[+-]?\d+(_\d+)*$/.test(s)) throw invalidOption(`${where} expects a whole number (1k = 1000, 1K = 1024 also work), got '${clip(raw)}'`);
  const n = Number(s.replace(/_/g, ""));
  if (!Number.isSafeInteger(n)) throw invalidOption(`${where} ${clip(raw)} is too large`);
  return n;
}

function parseFloatValue(raw: string, where: string, style: ParserStyle): number {
  let s = style.numbers === "go" ? raw : raw.trim();
  if (style.numbers === "stoi") {
    const m = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)(.*)$/s.exec(s);
    if (!m) throw invalidOption(`${where} expects a number, got '${clip(raw)}'`);
    if (m[4].length > 0) throw invalidOption(`${where} '${clip(raw)}' would be read by llama.cpp as ${m[1]} (std::stof stops at '${clip(m[4], 10)}')`);
    s = m[1];
  }
  if (!/^[+-]?(\d+(_\d+)*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw invalidOption(`${where} expects a number, got '${clip(raw)}'`);
  const n = Number(s.replace(/_/g, ""));
  if (!Number.isFinite(n)) throw invalidOption(`${where} ${clip(raw)} is not a finite number`);
  return n;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** llama.cpp's is_truthy / is_falsey / is_autoy (common/arg.cpp). */
export function llamaTriState(s: string): string {
  if (["on", "enabled", "true", "1"].includes(s)) return "on";
  if (["off", "disabled", "false", "0"].includes(s)) return "off";
  if (["auto", "-1"].includes(s)) return "auto";
  return s;
}

/** Checks shared by the tables. */
export const atLeast = (min: number) => (v: number | string) => (typeof v === "number" && v < min ? `must be at least ${min}, got ${v}` : undefined);
export const fraction = (v: number | string) => (typeof v === "number" && !(v > 0 && v <= 1) ? `must be in (0, 1], got ${v}` : undefined);
