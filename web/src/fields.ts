/**
 * Every input of the page, as data, derived from the library's option list: each profile (runtime,
 * training stack, model family) declares its options once (OptionSpec with a `web` entry), and the form,
 * the URL codec and the "make it fit" search read the fields built here. A new runtime's flags appear on
 * the page by being declared in its profile. `when` hides a field where the engine ignores it.
 */
import { variantFor, type MergedOption } from "../../src/core/options.js";
import { est, onEstimatorChange } from "./estimator.js";

export type Value = string | number | boolean;
/** "llm" for transformer language models, else the model family id (vision, ...). */
export type Family = "llm" | "vision" | (string & {});

/** What decides which fields apply. */
export interface FieldContext {
  family: Family;
  mode: string;
  runtime: string;
  opts: Record<string, Value>;
}

interface Base {
  key: string;
  label: string;
  group: GroupId;
  help?: string;
  when?: (c: FieldContext) => boolean;
}
export interface SelectField extends Base {
  kind: "select";
  choices: readonly string[];
  /** The choices offered for this configuration (default: all of `choices`, which the URL accepts). */
  choicesFor?: (c: FieldContext) => readonly string[];
  /** Label of the empty choice ("" = let the library decide); absent: a value is always set. */
  auto?: string;
  def?: string;
  /** Values the select shows as on/off but sends as booleans. */
  boolean?: boolean;
}
export interface IntField extends Base {
  kind: "int";
  min: number;
  max: number;
  def?: number;
  /** Placeholder when empty (the library's default). */
  auto?: string;
}
export interface BoolField extends Base {
  kind: "bool";
  def: boolean;
}
export interface TextField extends Base {
  kind: "text";
  pattern: RegExp;
  auto?: string;
  example: string;
  /** Sent to the library as a number (the text keeps the user's spelling in the URL). */
  numeric?: boolean;
}
export type Field = SelectField | IntField | BoolField | TextField;

export type GroupId = string;

/** A group's id and heading from the owner's group label ("llama.cpp / Ollama (--runtime ...)" → "llama.cpp / Ollama"). */
function groupOf(label: string): { id: GroupId; label: string } {
  const short = label.replace(/\s*\(.*\)\s*$/, "").trim();
  return { id: short.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, ""), label: short };
}

const LAST_GROUP = "device-and-output";

const library = (c: FieldContext) => ({ family: c.family === "llm" ? "transformer" : c.family, mode: c.mode, runtime: c.runtime, values: c.opts });

function fieldOf(o: MergedOption): Field | undefined {
  const web = o.web ?? o.variants.find((v) => v.web)?.web;
  if (!web) return undefined;
  const base = {
    key: o.key,
    label: web.label,
    group: groupOf(o.group).id,
    help: o.help,
    when: (c: FieldContext) => variantFor(o, library(c)) !== undefined,
  };
  switch (web.kind) {
    case "select":
      return {
        ...base,
        kind: "select",
        choices: web.choices ?? [],
        ...(o.variants.length > 1 ? { choicesFor: (c: FieldContext) => variantFor(o, library(c))?.web?.choices ?? web.choices ?? [] } : {}),
        ...(web.auto !== undefined ? { auto: web.auto } : {}),
        ...(web.def !== undefined ? { def: String(web.def) } : {}),
        ...(web.boolean ? { boolean: true } : {}),
      };
    case "int":
      return { ...base, kind: "int", min: web.min ?? 1, max: web.max ?? 2 ** 31, ...(web.def !== undefined ? { def: Number(web.def) } : {}), ...(web.auto !== undefined ? { auto: web.auto } : {}) };
    case "bool":
      return { ...base, kind: "bool", def: Boolean(web.def) };
    case "text":
      return { ...base, kind: "text", pattern: web.pattern ?? /^.+$/, example: web.example ?? "", ...(web.auto !== undefined ? { auto: web.auto } : {}), ...(web.numeric ? { numeric: true } : {}) };
  }
}

// Built from the estimator's options, and rebuilt in place when the model families load (their fields
// join; the arrays and the map keep their identity, so importers always see the current list).
export const FIELDS: Field[] = [];
export const GROUPS: { id: GroupId; label: string }[] = [];
export const FIELD_BY_KEY = new Map<string, Field>();

function buildFields(options: readonly MergedOption[]): void {
  FIELDS.splice(0, FIELDS.length, ...options.map(fieldOf).filter((f): f is Field => f !== undefined));
  const seen = new Map<string, string>();
  for (const o of options) if (o.web || o.variants.some((v) => v.web)) {
    const g = groupOf(o.group);
    if (!seen.has(g.id)) seen.set(g.id, g.label);
  }
  GROUPS.splice(0, GROUPS.length, ...[...seen].map(([id, label]) => ({ id, label })).sort((a, b) => Number(a.id === LAST_GROUP) - Number(b.id === LAST_GROUP)));
  FIELD_BY_KEY.clear();
  for (const f of FIELDS) FIELD_BY_KEY.set(f.key, f);
}
buildFields(est.options);
onEstimatorChange(() => buildFields(est.options));

/** The fields that apply to this configuration. */
export function visibleFields(ctx: FieldContext): Field[] {
  return FIELDS.filter((f) => !f.when || f.when(ctx));
}

/** The value the library uses when the key is absent (undefined: the library decides). */
export function defaultOf(f: Field): Value | undefined {
  return f.kind === "text" ? undefined : f.def;
}

/** Parses one text value (URL or form) for a field; undefined when it is not valid. */
export function parseFieldValue(f: Field, raw: string): Value | undefined {
  const s = raw.trim();
  switch (f.kind) {
    case "select":
      if (f.boolean) return s === "on" || s === "true" || s === "1" ? true : s === "off" || s === "false" || s === "0" ? false : undefined;
      return f.choices.includes(s) ? s : undefined;
    case "int": {
      if (!/^-?\d{1,10}$/.test(s)) return undefined;
      const n = Number(s);
      return n >= f.min && n <= f.max ? n : undefined;
    }
    case "bool":
      return s === "1" || s === "true" || s === "on" ? true : s === "0" || s === "false" || s === "off" ? false : undefined;
    case "text":
      return f.pattern.test(s) ? s : undefined;
  }
}

/** The text form of a value (URL and form controls). */
export function formatFieldValue(f: Field, v: Value): string {
  if (f.kind === "bool") return v ? "1" : "0";
  if (f.kind === "select" && f.boolean) return v ? "on" : "off";
  return String(v);
}

/** Options for estimate(): the visible, set fields, with text values converted where the library wants numbers. */
export function estimateOptions(ctx: FieldContext): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of visibleFields(ctx)) {
    const v = ctx.opts[f.key];
    if (v === undefined) continue;
    out[f.key] = f.kind === "text" && f.numeric ? Number(v) : v;
  }
  return out;
}
