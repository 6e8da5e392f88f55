/**
 * The page's link to the core: the same estimate()/maxBatch()/maxSeq() the CLI calls, run in the
 * browser. Models come from the catalog, the vision and diffusion built-ins, a parameter count, or a
 * dropped file (kept here in memory under "file:<name>"; never uploaded). The families' built-ins are
 * known once they load (./estimator.ts); until then a name that needs them reads as loading.
 */
import { est, fullLoaded, loadFull } from "./estimator.js";
import type { EstimateInput as EstimateOptions } from "../../src/core/profile.js";
import type { Estimate } from "../../src/core/estimate-types.js";
import { VramfitError } from "../../src/core/errors.js";
import type { ModelDescription } from "../../src/core/model.js";
import { addCatalogConfigs, catalogConfigLoaded, catalogModelEntries, findCatalogModel } from "../../src/catalog/models.js";
import { findGpu, gpuCatalog } from "../../src/catalog/gpus.js";
import { modelFromHfConfig } from "../../src/models/hf-config.js";
import { parseParameterCount } from "../../src/models/param-count.js";
import { estimateOptions, type Family, type FieldContext } from "./fields.js";
import type { Config } from "./url-state.js";

export type { Estimate };

/** One entry of the model picker. */
export interface ModelChoice {
  id: string;
  label: string;
  /** Extra words to search (HF id, aliases). */
  keys: string;
  family: Family;
}

const CATALOG_CHOICES: ModelChoice[] = catalogModelEntries().map((e) => ({
  id: e.id,
  label: e.name ? `${e.name} — ${e.hf_id}` : e.hf_id,
  keys: [e.id, e.hf_id, e.name ?? "", ...(e.aliases ?? [])].join(" ").toLowerCase(),
  family: "llm" as const,
}));

/** The picker's entries: the catalog, then the families' built-ins once the families are loaded (listed on the first search). */
let familyChoices: ModelChoice[] | undefined;
function modelChoices(): ModelChoice[] {
  if (!fullLoaded()) return CATALOG_CHOICES;
  return (familyChoices ??= [...CATALOG_CHOICES, ...est.families.flatMap((f) => (f.builtins?.() ?? []).map((b) => ({ id: b.id, label: b.label, keys: b.keys, family: f.id as Family })))]);
}
const isBuiltin = (spec: string) => est.families.some((f) => f.resolveName?.(spec) !== undefined);

/** Loads the training stacks and model families (vision, diffusion); the families' built-ins join the picker. */
export async function ensureFull(): Promise<void> {
  await loadFull();
}

let configsLoading: Promise<void> | undefined;
/** Loads the catalog's config.json files the first load does not carry (web/catalog-split.ts). */
export function ensureCatalogConfigs(): Promise<void> {
  return (configsLoading ??= import("virtual:vramfit-catalog-configs").then((m) => addCatalogConfigs(m.default)));
}

/**
 * Whether estimating a configuration needs code or data the first load lacks: the training stacks (mode
 * train), a family (a name that may be its built-in), or a catalog model's config.json.
 */
export function needsLoading(c: Pick<Config, "model" | "opts">): boolean {
  return needsFamilies(c.model) || (c.opts.mode === "train" && !fullLoaded()) || !catalogConfigLoaded(c.model);
}

/** Loads what a configuration needs (see needsLoading). */
export async function ensureFor(c: Pick<Config, "model" | "opts">): Promise<void> {
  const full = needsFamilies(c.model) || (c.opts.mode === "train" && !fullLoaded());
  await Promise.all([full ? ensureFull() : undefined, catalogConfigLoaded(c.model) ? undefined : ensureCatalogConfigs()]);
}

/**
 * Whether a spec may name a family's built-in, so the families must be loaded to resolve it: not a
 * dropped file, a Hub id, a catalog entry or a parameter count (none of which is a family's name).
 */
export function needsFamilies(spec: string): boolean {
  if (fullLoaded() || dropped.has(spec) || spec.startsWith("hf:") || spec.startsWith("file:")) return false;
  return !findCatalogModel(spec) && parseParameterCount(spec) == null;
}

export const GPUS = gpuCatalog();

const dropped = new Map<string, ModelDescription>();

/** Search-as-you-type: every word must appear in the entry's id, name, HF id or aliases. */
export function searchModels(query: string, limit = 12): ModelChoice[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const choices = modelChoices();
  if (words.length === 0) return choices.slice(0, limit);
  const hits = choices.filter((m) => words.every((w) => m.keys.includes(w)));
  // Exact and prefix id matches first.
  const q = query.trim().toLowerCase();
  hits.sort((a, b) => rank(a, q) - rank(b, q));
  return hits.slice(0, limit);
}
const rank = (m: ModelChoice, q: string) => (m.id === q ? 0 : m.id.startsWith(q) ? 1 : 2);


/** Registers a model read from a dropped file; returns its spec ("file:<name>"). */
export function addDroppedModel(name: string, model: ModelDescription): string {
  const spec = `file:${name}`;
  dropped.set(spec, model);
  return spec;
}

const builtinCache = new Map<string, ModelDescription>();

/** A Hugging Face repo id ("org/name"), as the Hub accepts it. */
export const HF_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
export const HUB_URL = "https://huggingface.co";

/**
 * Reads a public model's config.json from the Hugging Face Hub — only when the user asks (a button, or a
 * link naming "hf:<id>"). Registers it as "hf:<id>". Gated and private models need a token: the CLI.
 */
export async function fetchHubModel(id: string, fetchImpl: typeof fetch = fetch, timeoutMs = 15_000): Promise<string> {
  if (!HF_ID.test(id)) throw new VramfitError("invalid_option", `'${id}' is not a Hugging Face model id (org/name)`);
  const spec = `hf:${id}`;
  if (dropped.has(spec)) return spec;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res: Response;
  try {
    res = await fetchImpl(`${HUB_URL}/${id}/resolve/main/config.json`, { signal: ctl.signal, credentials: "omit" });
  } catch (e) {
    throw new VramfitError("network", `could not reach huggingface.co for ${id} (${ctl.signal.aborted ? "timed out" : e instanceof Error ? e.message : String(e)})`, { suggestion: "offline? drop the model's config.json on the page instead" });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    throw new VramfitError("hub_http", `${id}: no public config.json on the Hub (missing, private or gated)`, { suggestion: "for gated models run `vramfit " + id + "` with HF_TOKEN set, or drop the config.json here" });
  }
  if (!res.ok) throw new VramfitError("hub_http", `${id}: the Hub answered ${res.status}`);
  const text = await res.text();
  if (text.length > 16 * 1024 * 1024) throw new VramfitError("invalid_file", `${id}: config.json is implausibly large`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VramfitError("invalid_file", `${id}: config.json on the Hub is not valid JSON`);
  }
  dropped.set(spec, modelFromHfConfig(json, { kind: "hub", ref: id }, { id: id.split("/")[1], hfId: id }));
  return spec;
}

export function isLoaded(spec: string): boolean {
  return dropped.has(spec);
}

/** The model description for a spec, or a VramfitError explaining why there is none. */
export function modelFor(spec: string): ModelDescription {
  const d = dropped.get(spec);
  if (d) return d;
  if (spec.startsWith("file:")) throw new VramfitError("not_found", `the file ${spec.slice(5)} is not loaded`, { suggestion: "drop it on the page again" });
  if (spec.startsWith("hf:")) throw new VramfitError("network", `reading ${spec.slice(3)} from the Hugging Face Hub…`);
  if (needsFamilies(spec)) throw new VramfitError("network", "reading the vision and diffusion models…");
  const cached = builtinCache.get(spec);
  if (cached) return cached;
  try {
    const m = est.resolveModel(spec);
    // A family's built-in (vision, diffusion) builds its graph: kept, not rebuilt on every estimate.
    if (m.family !== "transformer" && m.family !== "generic") builtinCache.set(spec, m);
    return m;
  } catch (e) {
    if (e instanceof VramfitError && /^[\w.-]+\/[\w.-]+$/.test(spec.trim())) {
      throw new VramfitError("unknown_model", `'${spec}' is not in the offline catalog`, { suggestion: "read its config.json from the Hub with the button below, drop it (or a .safetensors / .gguf / .onnx file) on the page, or run `vramfit " + spec + "` in a terminal" });
    }
    throw e;
  }
}

/** Whether a spec can be estimated without a file (URL validation). */
export function isKnownModel(spec: string): boolean {
  if (dropped.has(spec)) return true;
  if (spec.startsWith("hf:")) return HF_ID.test(spec.slice(3));
  return Boolean(findCatalogModel(spec)) || isBuiltin(spec) || parseParameterCount(spec) != null;
}

export function isKnownGpu(spec: string): boolean {
  try {
    findGpu(spec);
    return true;
  } catch {
    return false;
  }
}

export function familyOf(spec: string): Family {
  try {
    const f = modelFor(spec).family;
    return f === "transformer" || f === "generic" ? "llm" : f;
  } catch {
    return "llm";
  }
}

export function contextOf(c: Config): FieldContext {
  return { family: familyOf(c.model), mode: String(c.opts.mode ?? "infer"), runtime: String(c.opts.runtime ?? ""), opts: c.opts };
}

/** The estimate() options of a configuration (exactly what the page passes to the library). */
export function optionsOf(c: Config): EstimateOptions {
  return { ...(estimateOptions(contextOf(c)) as EstimateOptions), gpu: c.gpu };
}

export type Outcome = { ok: true; estimate: Estimate } | { ok: false; message: string; suggestion?: string };

export function errorOutcome(e: unknown): Outcome & { ok: false } {
  if (e instanceof VramfitError) return { ok: false, message: e.message, suggestion: e.suggestion };
  return { ok: false, message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

export function runEstimate(c: Config, override: Record<string, unknown> = {}): Outcome {
  try {
    return { ok: true, estimate: est.estimate(modelFor(c.model), { ...optionsOf(c), ...override } as EstimateOptions) };
  } catch (e) {
    return errorOutcome(e);
  }
}

export interface Limits {
  batch?: number;
  /** Longest sequence (LLMs). */
  seq?: number;
  seqCap?: number;
  /** Largest image (vision: [height, width] at the workload's aspect ratio; [0, 0] when none fits). */
  image?: [number, number];
}

/** Largest batch and context whose high bound fits (the library's maxBatch / maxSeq). */
export function limitsOf(c: Config): Limits {
  const out: Limits = {};
  try {
    const m = modelFor(c.model);
    const o = optionsOf(c);
    out.batch = est.maxBatch(m, o, 1 << 14).value;
    if (m.family === "transformer") {
      out.seqCap = m.transformer.maxPositions;
      out.seq = est.maxSeq(m, o).value;
    }
    if ((m.family === "vision" || m.family === "diffusion") && o.gpu !== undefined) out.image = est.maxImage(m, o, 32, 4096).image;
  } catch {
    /* shown by the main estimate's error */
  }
  return out;
}

export interface SweepPoint {
  x: number;
  device?: number;
  allocated?: number;
  high?: number;
}

/** Memory against one input (batch, seq or image side), at powers of two up to `max`. */
export function sweep(c: Config, key: "batch" | "seq" | "image", max: number, min = 1): SweepPoint[] {
  const pts: SweepPoint[] = [];
  let m: ModelDescription;
  try {
    m = modelFor(c.model);
  } catch {
    return pts;
  }
  const o = optionsOf(c);
  for (let x = min; x <= max; x *= 2) {
    try {
      const e = est.estimate(m, { ...o, [key]: key === "image" ? String(x) : x } as EstimateOptions);
      pts.push({ x, device: e.totals.device_bytes, allocated: e.totals.allocated_bytes, high: e.totals.device_range?.[1] });
    } catch {
      pts.push({ x });
    }
  }
  return pts;
}
