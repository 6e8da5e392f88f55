/**
 * Accuracy cases: published or measured memory with the exact configuration, in one schema shared by every
 * category (the format is in bench/accuracy/README.md). One loader reads every case file:
 *   - bench/accuracy/*.jsonl and bench/accuracy/incoming/*.jsonl: lines with `workload` and `measured.bytes`;
 *   - bench/accuracy/vllm-published.jsonl: vLLM startup logs (weights and profile-run activation lines);
 *   - bench/measurements/*.jsonl: vramfit's own GPU runs (bench/measure), status "ok" only.
 *
 * A case is *active* when vramfit can express it: its model resolves (catalog id, a config in configs/, a
 * name a family resolves) and every workload key is an option of the live estimator, in scope for the
 * model's family, mode and runtime (`defaultEstimator.options`, plus `gpu`). Nothing here lists options by
 * hand: as helpers add options, cases activate by themselves. The others are *pending*, with their reasons.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultEstimator } from "../../src/index.js";
import { isVramfitError } from "../../src/core/errors.js";
import type { Component, Estimate } from "../../src/core/estimate-types.js";
import type { ModelDescription } from "../../src/core/model.js";
import { inScope } from "../../src/core/options.js";
import { modelFromHfConfig } from "../../src/models/hf-config.js";
import { findCatalogModel } from "../../src/catalog/models.js";
import { fittedOn } from "./fitted.js";

export const ACCURACY_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(ACCURACY_DIR, "../..");

export type Level = "allocated" | "reserved" | "device" | "component";

export type ModelRef =
  | string
  | { config: string; id?: string }
  | { hf: string }
  | { catalog: string; layers?: number };

export interface AccuracyCase {
  id: string;
  /** The independent source: all its cases are left out together when bands are calibrated. */
  source: string;
  category: string;
  source_url?: string;
  quote?: string;
  framework?: string;
  model: ModelRef;
  /** A GPU id or "<total>gb"; null when the source does not say. */
  gpu?: string | null;
  gpus?: number;
  workload: Record<string, unknown>;
  unexpressed?: string[];
  measured: { level: Level; component?: string; bytes: number; value?: number; unit?: string; what?: string };
  confidence?: "high" | "medium" | "low";
  /** "engine_estimate": a runtime's own prediction (Ollama's), not a measurement. */
  measured_kind?: string;
  /** The record itself says the figure cannot be right (e.g. below the bytes its own settings need). */
  impossible?: string;
  /** false: the figure is a sum over the GPUs (vramfit answers per GPU). */
  per_gpu?: boolean;
  notes?: string;
  /** The file it came from, relative to bench/accuracy. */
  file: string;
}

/** Why a case cannot be estimated yet; `key` groups cases for the report. */
export interface PendingReason {
  key: string;
  detail: string;
}

export interface CaseResult {
  case: AccuracyCase;
  estimateBytes: number;
  measuredBytes: number;
  /** (estimate − measured) / measured */
  error: number;
  baselineBytes: number | null;
  baselineError: number | null;
  estimate: Estimate;
  /** The band category the estimator used (bands.json is keyed by it). */
  bandCategory: string;
  /** Why the case is scored but kept out of calibration (null: it calibrates). */
  excluded: string | null;
  /** The estimator widened the band because no attention implementation was stated (src/core/estimator.ts). */
  attentionUnstated: boolean;
}

export interface PendingCase {
  case: AccuracyCase;
  reasons: PendingReason[];
  /**
   * Where only options are missing: the case estimated with those keys dropped (what a user gets who cannot
   * state them). Tells which missing option matters; never used for calibration.
   */
  shadow?: CaseResult;
}

// ---------------------------------------------------------------------------------------------------
// Loading

const KIND_CATEGORY: Record<string, string> = {
  llm_infer: "llm_inference",
  llm_train: "llm_training",
  vision_infer: "vision_inference",
  vision_train: "vision_training",
};

function readJsonl(file: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new Error(`${path.relative(REPO_ROOT, file)}:${i + 1}: not JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/**
 * vramfit's own GPU measurements (bench/measurements/*.jsonl from bench/measure/run_cases.py): one
 * accuracy case per measured level. Only status "ok" lines are measurements; the last line per id wins.
 */
export function loadMeasuredCases(dir = path.resolve(ACCURACY_DIR, "../measurements")): AccuracyCase[] {
  if (!fs.existsSync(dir)) return [];
  const latest = new Map<string, Record<string, any>>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    for (const m of readJsonl(path.join(dir, f))) latest.set(m.id, { ...m, file: f });
  }
  const cases: AccuracyCase[] = [];
  for (const m of latest.values()) {
    if (m.status !== "ok") continue;
    const workload = Object.fromEntries(Object.entries(m.case.workload ?? {}).filter(([, v]) => v !== null));
    let category = KIND_CATEGORY[m.case.kind] ?? m.case.kind;
    if (category === "llm_training" && (workload.lora_rank || workload.qlora)) category = "lora_qlora";
    const model = m.case.layers ? { catalog: m.case.model, layers: m.case.layers } : m.case.model;
    const levels: [Level, string][] = [
      ["allocated", "allocated_peak_bytes"],
      ["reserved", "reserved_peak_bytes"],
      ["device", "device_bytes"],
    ];
    for (const [level, key] of levels) {
      if (typeof m[key] !== "number") continue;
      cases.push({
        id: `${m.id}@${level}`,
        // One GPU run of the harness is one source (same machine, same software).
        source: `vramfit-measure-${String(m.env?.gpu ?? "gpu").toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
        category,
        source_url: `bench/measurements/${m.file} (${m.env?.gpu ?? "GPU"})`,
        model: model as ModelRef,
        workload,
        measured: { level, bytes: m[key] },
        confidence: "high",
        file: `../measurements/${m.file}`,
      });
    }
  }
  return cases;
}

/**
 * vLLM startup logs (vllm-published.jsonl, see vllm-planner.md): the weights and the V0 profile run's
 * activation peak each become a component case of the vLLM runtime on a GPU of the logged total memory.
 */
export function loadVllmCases(dir = ACCURACY_DIR): AccuracyCase[] {
  const file = path.join(dir, "vllm-published.jsonl");
  if (!fs.existsSync(file)) return [];
  const out: AccuracyCase[] = [];
  for (const r of readJsonl(file)) {
    if (!r.gpu_total_gib || !r.measured || r.max_position_embeddings) continue;
    const workload: Record<string, unknown> = {
      mode: "infer",
      runtime: "vllm",
      dtype: r.dtype === "fp16" ? "fp16" : "bf16",
      ...(r.quant ? { quant: r.quant } : {}),
      ...(r.block_size ? { block_size: r.block_size } : {}),
      ...(r.gpu_memory_utilization ? { gpu_memory_utilization: r.gpu_memory_utilization } : {}),
      ...(r.max_model_len ? { max_model_len: r.max_model_len } : {}),
      ...(r.max_num_batched_tokens ? { max_num_batched_tokens: r.max_num_batched_tokens } : {}),
      ...(r.max_num_seqs ? { max_num_seqs: r.max_num_seqs } : {}),
      ...(r.tp > 1 ? { gpus: r.tp } : {}),
    };
    const base = {
      source: r.source ?? r.id,
      category: "vllm",
      source_url: r.source_url,
      quote: r.quote,
      framework: "vllm",
      model: r.model,
      workload,
      gpu: `${r.gpu_total_gib}gb`,
      confidence: r.confidence ?? "high",
      file: "vllm-published.jsonl",
    } as const;
    if (typeof r.measured.weights_gib === "number") {
      out.push({ ...base, id: `${r.id}#weights`, measured: { level: "component", component: "weights", bytes: Math.round(r.measured.weights_gib * 2 ** 30), value: r.measured.weights_gib, unit: "GiB" } });
    }
    if (typeof r.measured.activation_gib === "number" && r.engine === "v0") {
      out.push({ ...base, id: `${r.id}#activation`, measured: { level: "component", component: "activations", bytes: Math.round(r.measured.activation_gib * 2 ** 30), value: r.measured.activation_gib, unit: "GiB" } });
    }
  }
  return out;
}

/** Files in the common case format: bench/accuracy/*.jsonl and bench/accuracy/incoming/*.jsonl. */
export function caseFiles(dir = ACCURACY_DIR): string[] {
  const files: string[] = [];
  for (const sub of ["", "incoming"]) {
    const d = path.join(dir, sub);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).filter((x) => x.endsWith(".jsonl")).sort()) files.push(path.join(sub, f));
  }
  return files;
}

/** Lines of a case file that are cases (other files there hold CPU ground truth, file sizes, ...). */
function isCase(r: Record<string, any>): boolean {
  return r.workload != null && typeof r.workload === "object" && r.measured != null && typeof r.measured === "object" && typeof r.measured.bytes === "number";
}

/** Every case, in one schema. Ids are unique (a repeated id is a data error and throws). */
export function loadCases(dir = ACCURACY_DIR): AccuracyCase[] {
  const cases: AccuracyCase[] = dir === ACCURACY_DIR ? [...loadMeasuredCases(), ...loadVllmCases()] : [];
  for (const f of caseFiles(dir)) {
    for (const r of readJsonl(path.join(dir, f))) {
      if (!isCase(r)) continue;
      if (!r.source) throw new Error(`${f}: case ${r.id} has no source id`);
      cases.push({ ...r, file: f } as AccuracyCase);
    }
  }
  const seen = new Map<string, string>();
  for (const c of cases) {
    const prev = seen.get(c.id);
    if (prev) throw new Error(`case id ${c.id} appears twice (${prev}, ${c.file})`);
    seen.set(c.id, c.file);
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------
// Models

const configCache = new Map<string, ModelDescription>();

/** The model of a case as the library takes it, or a pending reason. */
export function resolveCaseModel(c: AccuracyCase): ModelDescription | PendingReason {
  const m = c.model;
  try {
    if (typeof m === "string") {
      if (m.startsWith("configs/")) return resolveCaseModel({ ...c, model: { config: m } });
      return defaultEstimator.resolveModel(m);
    }
    if ("hf" in m) return defaultEstimator.resolveModel(m.hf);
    if ("catalog" in m) {
      const entry = findCatalogModel(m.catalog);
      if (!entry) return { key: "model", detail: `catalog id ${m.catalog}` };
      if (!m.layers) return defaultEstimator.resolveModel(m.catalog);
      // A measurement with fewer layers than the catalog model (to fit the harness's time budget).
      const cfg = { ...entry.config, num_hidden_layers: m.layers, n_layer: m.layers };
      return modelFromHfConfig(cfg, { kind: "catalog", ref: entry.id }, { id: `${entry.id}-${m.layers}l` });
    }
    const file = path.join(ACCURACY_DIR, m.config);
    let d = configCache.get(file);
    if (!d) {
      const raw = JSON.parse(fs.readFileSync(file, "utf8"));
      d = modelFromHfConfig(raw, { kind: "config", ref: m.config }, { id: m.id ?? path.basename(file, ".json") });
      configCache.set(file, d);
    }
    return d;
  } catch (e) {
    if (isVramfitError(e)) return { key: "model", detail: modelLabel(m) };
    throw e;
  }
}

export function modelLabel(m: ModelRef): string {
  if (typeof m === "string") return m;
  if ("hf" in m) return `hf:${m.hf}`;
  if ("catalog" in m) return m.catalog;
  return m.config;
}

// ---------------------------------------------------------------------------------------------------
// Expressibility: from the live option list

const optionByKey = new Map(defaultEstimator.options.map((o) => [o.key, o]));

/**
 * The workload the library gets, or why it cannot: every key must be an option in scope for this model's
 * family, mode and runtime. A proposed option set to `false` (a feature switched off: packing, compile,
 * cpu_offload) is what vramfit models anyway, so it does not block a case; any other value does.
 */
export function expressWorkload(c: AccuracyCase, model: ModelDescription): { workload: Record<string, unknown>; reasons: PendingReason[] } {
  const workload: Record<string, unknown> = {};
  const reasons: PendingReason[] = [];
  const mode = c.workload.mode === "train" ? "train" : "infer";
  const runtime = typeof c.workload.runtime === "string" ? c.workload.runtime : "";
  const ctx = { family: model.family, mode, runtime };
  for (const [k, v] of Object.entries(c.workload)) {
    if (v === null || v === undefined) continue;
    if (k === "gpu") {
      workload[k] = v;
      continue;
    }
    const opt = optionByKey.get(k);
    if (!opt) {
      if (v === false) continue;
      reasons.push({ key: `option ${k}`, detail: `${k}=${JSON.stringify(v)}` });
      continue;
    }
    if (!opt.variants.some((x) => inScope(x.scope, ctx))) {
      if (v === false) continue;
      reasons.push({ key: `option ${k} (${model.family} ${mode}${runtime ? ` ${runtime}` : ""})`, detail: `${k}=${JSON.stringify(v)} is not an option here` });
      continue;
    }
    workload[k] = v;
  }
  return { workload, reasons };
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** The rule of thumb people use today: weights × 1.2 for inference, weights × 4 for training. */
export function ruleOfThumb(e: Estimate): number | null {
  const weights = e.components.find((c) => c.id === "weights")?.bytes;
  if (weights == null) return null;
  return Math.round(weights * (e.workload.mode === "train" ? 4 : 1.2));
}

/** Why a scored case stays out of calibration (null: it calibrates). */
export function exclusion(c: AccuracyCase): string | null {
  if (c.measured_kind === "engine_estimate") return "an engine's own estimate, not a measurement";
  if (c.impossible) return `flagged impossible by its record: ${c.impossible}`;
  if (c.confidence === "low") return "low confidence";
  const f = fittedOn(c.id);
  if (f) return `in-sample: ${f.constant} was fitted on it`;
  return null;
}

export function measuredComponent(e: Estimate, name: string): Component | undefined {
  return e.components.find((x) => x.id === name);
}

/** Estimates one case; a case vramfit cannot express yet comes back as pending with its reasons. */
export function evaluateCase(c: AccuracyCase): CaseResult | PendingCase {
  if (c.per_gpu === false && (c.gpus ?? 1) > 1) {
    return { case: c, reasons: [{ key: "sum over GPUs", detail: `the figure adds ${c.gpus} GPUs; vramfit answers per GPU` }] };
  }
  const model = resolveCaseModel(c);
  if (!("family" in model)) return { case: c, reasons: [model] };
  const { workload, reasons } = expressWorkload(c, model);
  if (reasons.length) {
    const shadow = reasons.every((r) => r.key.startsWith("option ")) ? score(c, model, workload) : undefined;
    return { case: c, reasons, ...(shadow && isResult(shadow) ? { shadow } : {}) };
  }
  return score(c, model, workload);
}

/** Estimates a case with the given (expressible) workload and compares it with the measurement. */
function score(c: AccuracyCase, model: ModelDescription, workload: Record<string, unknown>): CaseResult | PendingCase {
  let e: Estimate;
  try {
    e = defaultEstimator.estimate(model, { ...workload, ...(c.gpu ? { gpu: c.gpu } : {}) } as never);
  } catch (err) {
    if (!isVramfitError(err)) throw err;
    const key = (err.details as { key?: string } | undefined)?.key;
    if (err.code === "invalid_option" && key) {
      return { case: c, reasons: [{ key: `value of ${key}`, detail: `${key}=${JSON.stringify(c.workload[key])}: ${err.message}` }] };
    }
    if (err.code === "unknown_gpu") return { case: c, reasons: [{ key: "gpu", detail: String(c.gpu) }] };
    return { case: c, reasons: [{ key: `refused (${err.code})`, detail: err.message }] };
  }
  let est: number;
  if (c.measured.level === "component") {
    const comp = measuredComponent(e, c.measured.component ?? "");
    if (!comp) return { case: c, reasons: [{ key: `component ${c.measured.component}`, detail: `the estimate has no '${c.measured.component}' component` }] };
    est = comp.bytes;
  } else {
    est = e.totals[`${c.measured.level}_bytes`];
  }
  const meas = c.measured.bytes;
  const baseline = c.measured.level === "component" ? null : ruleOfThumb(e);
  return {
    case: c,
    estimateBytes: est,
    measuredBytes: meas,
    error: (est - meas) / meas,
    baselineBytes: baseline,
    baselineError: baseline == null ? null : (baseline - meas) / meas,
    estimate: e,
    bandCategory: e.uncertainty!.category,
    excluded: exclusion(c),
    attentionUnstated: workload.attention === undefined && !(model.family === "transformer" && model.transformer.encoderOnly),
  };
}

export function isResult(r: CaseResult | PendingCase): r is CaseResult {
  return "estimate" in r;
}

export interface Evaluation {
  results: CaseResult[];
  pending: PendingCase[];
}

let cached: Evaluation | null = null;

/** Every case estimated once per process (the report, the calibration and the specs share it). */
export function evaluateAll(cases?: AccuracyCase[]): Evaluation {
  if (!cases && cached) return cached;
  const results: CaseResult[] = [];
  const pending: PendingCase[] = [];
  for (const c of cases ?? loadCases()) {
    const r = evaluateCase(c);
    if (isResult(r)) results.push(r);
    else pending.push(r);
  }
  const out = { results, pending };
  if (!cases) cached = out;
  return out;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
