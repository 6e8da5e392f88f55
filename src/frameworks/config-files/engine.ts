/**
 * The key-table walker every format uses: each key path maps to a rule (a setting handler, "ignored", "unmodelled",
 * or a namespace to descend into); keys with no rule are `unknown`.
 */
import type { ConfigFormat, SettingValue, TrainingConfigRead, TrainingSetting } from "./types.js";
import { isOff, isPlainObject } from "./values.js";

export class Ctx {
  readonly out: TrainingConfigRead;
  /** Priority of the key that set each setting: explicit keys beat legacy aliases and derived values. */
  private readonly priority = new Map<TrainingSetting, number>();
  /** Raw values a format's finish() step combines (bf16 + dtype → precision, …). */
  readonly raw = new Map<string, { value: unknown; key: string }>();

  constructor(
    readonly fileName: string,
    format: ConfigFormat,
    framework: string,
  ) {
    this.out = { format, framework, settings: {}, unmodelled: [], ignored: [], unknown: [], notes: [] };
  }

  set(setting: TrainingSetting, value: SettingValue, key: string, priority = 1): void {
    const p = this.priority.get(setting);
    if (p !== undefined && p > priority) return;
    this.priority.set(setting, priority);
    this.out.settings[setting] = { value, key };
  }

  has(setting: TrainingSetting): boolean {
    return this.out.settings[setting] !== undefined;
  }

  get(setting: TrainingSetting): SettingValue | undefined {
    return this.out.settings[setting]?.value;
  }

  unmodelled(key: string, value: unknown, why: string): void {
    this.out.unmodelled.push({ key, value: summarize(value), why });
  }

  ignore(key: string): void {
    this.out.ignored.push(key);
  }

  note(line: string): void {
    if (!this.out.notes.includes(line)) this.out.notes.push(line);
  }

  keep(key: string, value: unknown): void {
    this.raw.set(key, { value, key });
  }
}

/** Keep reported values small: a config can hold a 10 KB chat template. */
function summarize(v: unknown): unknown {
  if (typeof v === "string") return v.length > 200 ? `${v.slice(0, 200)}…` : v;
  if (v === null || typeof v !== "object") return v;
  try {
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : v;
  } catch {
    return "[unprintable]";
  }
}

export type Handler = (value: unknown, key: string, ctx: Ctx) => void;
export type Rule = Handler | "ignored" | "namespace" | { unmodelled: string };
export type Table = Record<string, Rule>;

/** Ignore a list of keys. */
export function ignoring(keys: string[]): Table {
  const t: Table = {};
  for (const k of keys) t[k] = "ignored";
  return t;
}

/** Report keys as unmodelled when they are switched on (not null/false/empty); at their default they are ignored. */
export function unmodelledWhenOn(entries: Record<string, string>): Table {
  const t: Table = {};
  for (const [k, why] of Object.entries(entries)) t[k] = { unmodelled: why };
  return t;
}

function hasPrefix(table: Table, prefix: string): boolean {
  for (const k of Object.keys(table)) if (k.startsWith(prefix)) return true;
  return false;
}

export function walk(obj: Record<string, unknown>, table: Table, ctx: Ctx, prefix = ""): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix === "" ? k : `${prefix}.${k}`;
    const rule = Object.prototype.hasOwnProperty.call(table, path) ? table[path] : undefined;
    if (rule === undefined) {
      if (isPlainObject(v) && hasPrefix(table, `${path}.`)) walk(v, table, ctx, path);
      else ctx.out.unknown.push(path);
      continue;
    }
    if (rule === "ignored") {
      ctx.ignore(path);
    } else if (rule === "namespace") {
      if (isPlainObject(v)) walk(v, table, ctx, path);
      else if (isOff(v)) ctx.ignore(path);
      else ctx.out.unknown.push(path);
    } else if (typeof rule === "object") {
      if (isOff(v)) ctx.ignore(path);
      else ctx.unmodelled(path, v, rule.unmodelled);
    } else if (v === null || v === undefined) {
      // A key left empty (YAML `key:`) means the framework default.
      ctx.ignore(path);
    } else {
      rule(v, path, ctx);
    }
  }
}
