/**
 * The page's inputs ⇄ the URL query string, so a link reproduces an estimate exactly.
 *
 * Format (version 1): `model=…&gpu=…&<option>=<value>…` for the first configuration, and the same keys
 * prefixed `2.` / `3.` for the configurations compared beside it (`2.model=…&2.batch=8`). Only values
 * that differ from the defaults are written. Decoding never fails: an unknown key, a bad value, an
 * unknown model or GPU, or a link from a newer version falls back to the default with a note the page
 * shows.
 */
import { DEFAULT_GPU, DEFAULT_MODEL } from "./defaults.js";
import { FIELD_BY_KEY, defaultOf, formatFieldValue, parseFieldValue, type Value } from "./fields.js";

export const URL_VERSION = 1;
export const MAX_CONFIGS = 3;

export interface Config {
  /** Catalog id, Hugging Face id in the catalog, vision model, parameter count ("7b"), "hf:<org/name>" (read from the Hub
   *  when the page opens), or "file:<name>" for a dropped file. */
  model: string;
  /** GPU id from the catalog or a size such as "24gb". */
  gpu: string;
  /** estimate() options that differ from the defaults, keyed as in the CLI's JSON (snake_case). */
  opts: Record<string, Value>;
}

export interface PageState {
  configs: Config[];
  /** Which configuration the form edits (0-based). */
  active: number;
}

export const DEFAULT_CONFIG: Config = { model: DEFAULT_MODEL, gpu: DEFAULT_GPU, opts: {} };

export function defaultState(): PageState {
  return { configs: [cloneConfig(DEFAULT_CONFIG)], active: 0 };
}

export function cloneConfig(c: Config): Config {
  return { model: c.model, gpu: c.gpu, opts: { ...c.opts } };
}

export interface Validators {
  /** Whether a model spec can be estimated offline (catalog, vision built-in, parameter count). */
  isModel(spec: string): boolean;
  isGpu(spec: string): boolean;
}

const prefixOf = (i: number) => (i === 0 ? "" : `${i + 1}.`);

/** The query string (without "?") for a state. */
export function encodeState(state: PageState): string {
  const p = new URLSearchParams();
  state.configs.slice(0, MAX_CONFIGS).forEach((c, i) => {
    const pre = prefixOf(i);
    p.set(`${pre}model`, c.model);
    p.set(`${pre}gpu`, c.gpu);
    for (const [k, v] of Object.entries(c.opts)) {
      const f = FIELD_BY_KEY.get(k);
      if (!f || v === undefined || v === defaultOf(f)) continue;
      p.set(`${pre}${k}`, formatFieldValue(f, v));
    }
  });
  if (state.active > 0 && state.active < state.configs.length) p.set("edit", String(state.active + 1));
  return p.toString();
}

export interface Decoded {
  state: PageState;
  /** Human-readable notes about what the link asked for and did not get. */
  notes: string[];
}

/** Parses a query string (with or without "?"); never throws. */
export function decodeState(query: string, check: Validators): Decoded {
  const notes: string[] = [];
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  } catch {
    return { state: defaultState(), notes: ["This link could not be read; showing the defaults."] };
  }
  const version = params.get("v");
  if (version !== null && version !== String(URL_VERSION)) {
    notes.push(`This link was made by another version of the page (v=${version}); settings it names that this version knows are used, the rest are defaults.`);
  }
  const groups = new Map<number, Map<string, string>>();
  for (const [rawKey, value] of params) {
    if (rawKey === "v" || rawKey === "edit") continue;
    const m = /^(?:([23])\.)?([a-z_]+)$/.exec(rawKey);
    if (!m) {
      notes.push(`Ignored '${truncate(rawKey)}': not a setting this page knows.`);
      continue;
    }
    const idx = m[1] ? Number(m[1]) - 1 : 0;
    if (!groups.has(idx)) groups.set(idx, new Map());
    groups.get(idx)!.set(m[2], value);
  }
  const configs: Config[] = [];
  for (const idx of [0, 1, 2]) {
    const g = groups.get(idx);
    if (!g) continue;
    if (idx > configs.length) {
      notes.push(`Configuration ${idx + 1} was read as configuration ${configs.length + 1} (the one before it is missing).`);
    }
    configs.push(decodeConfig(g, configs.length + 1, check, notes));
  }
  if (configs.length === 0) configs.push(cloneConfig(DEFAULT_CONFIG));
  const edit = Number(params.get("edit") ?? "1");
  const active = Number.isInteger(edit) && edit >= 1 && edit <= configs.length ? edit - 1 : 0;
  return { state: { configs, active }, notes };
}

function decodeConfig(g: Map<string, string>, n: number, check: Validators, notes: string[]): Config {
  const c = cloneConfig(DEFAULT_CONFIG);
  const where = n === 1 ? "" : ` (configuration ${n})`;
  const model = g.get("model");
  if (model !== undefined) {
    if (model.startsWith("file:")) {
      notes.push(`The link names a dropped file '${truncate(model.slice(5))}'${where}: files never leave your computer, so drop it again. Showing ${c.model} meanwhile.`);
    } else if (check.isModel(model)) c.model = model;
    else notes.push(`Unknown model '${truncate(model)}'${where}; showing ${c.model} instead.`);
  }
  const gpu = g.get("gpu");
  if (gpu !== undefined) {
    if (check.isGpu(gpu)) c.gpu = gpu;
    else notes.push(`Unknown GPU '${truncate(gpu)}'${where}; showing ${c.gpu} instead.`);
  }
  for (const [k, raw] of g) {
    if (k === "model" || k === "gpu") continue;
    const f = FIELD_BY_KEY.get(k);
    if (!f) {
      notes.push(`Ignored '${truncate(k)}'${where}: not a setting this page knows.`);
      continue;
    }
    const v = parseFieldValue(f, raw);
    if (v === undefined) {
      const d = defaultOf(f);
      notes.push(`'${k}=${truncate(raw)}'${where} is not a valid ${f.label.toLowerCase()}; using ${d === undefined ? "the default" : formatFieldValue(f, d)}.`);
      continue;
    }
    if (v !== defaultOf(f)) c.opts[k] = v;
  }
  return c;
}

/**
 * Whether decoding this link needs more than the first load knows: a model for which `needsModel` says
 * so (a family's built-in), a setting that is no field yet (a family's option), or a value a field does
 * not take yet (a family's choice). The page loads the model families first, so the link decodes exactly
 * as with everything loaded.
 */
export function linkNeedsMore(query: string, needsModel: (spec: string) => boolean): boolean {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  } catch {
    return false;
  }
  for (const [rawKey, value] of params) {
    const m = /^(?:[23]\.)?([a-z_]+)$/.exec(rawKey);
    if (!m || rawKey === "v" || rawKey === "edit" || m[1] === "gpu") continue;
    if (m[1] === "model") {
      if (!value.startsWith("file:") && needsModel(value)) return true;
      continue;
    }
    const f = FIELD_BY_KEY.get(m[1]);
    if (!f || parseFieldValue(f, value) === undefined) return true;
  }
  return false;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
