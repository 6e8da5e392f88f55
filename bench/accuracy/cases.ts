/**
 * Accuracy cases: published or measured peak memory with the exact configuration, in one schema
 * shared by every category. A case file is any bench/accuracy/*.jsonl whose lines have `workload` and
 * `measured`. Each case is estimated with the library and compared with what was measured.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { estimate } from "../../src/index.js";
import type { Estimate } from "../../src/core/estimate-types.js";
import type { ModelDescription } from "../../src/core/model.js";
import { modelFromHfConfig } from "../../src/models/hf-config.js";
import { findCatalogModel } from "../../src/catalog/models.js";

export const ACCURACY_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface AccuracyCase {
  id: string;
  category: string;
  source_url?: string;
  quote?: string;
  /** A catalog id, or a config.json under bench/accuracy/configs. */
  model: string | { config: string; id?: string } | { catalog: string; layers?: number };
  workload: Record<string, unknown>;
  /** What was measured: a total (allocated/reserved/device) or one component's bytes. */
  measured: { level: "allocated" | "reserved" | "device" | "component"; component?: string; bytes: number };
  gpu?: string;
  notes?: string;
  file?: string;
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
}

const KIND_CATEGORY: Record<string, string> = {
  llm_infer: "llm_inference",
  llm_train: "llm_training",
  vision_infer: "vision_inference",
  vision_train: "vision_training",
};

/**
 * vramfit's own GPU measurements (bench/measurements/*.jsonl from bench/measure/run_cases.py): one
 * accuracy case per measured level. Only status "ok" lines are measurements; the last line per id wins.
 */
export function loadMeasuredCases(dir = path.resolve(ACCURACY_DIR, "../measurements")): AccuracyCase[] {
  if (!fs.existsSync(dir)) return [];
  const latest = new Map<string, Record<string, any>>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const m = JSON.parse(line);
      latest.set(m.id, { ...m, file: f });
    }
  }
  const cases: AccuracyCase[] = [];
  for (const m of latest.values()) {
    if (m.status !== "ok") continue;
    const workload = Object.fromEntries(Object.entries(m.case.workload ?? {}).filter(([, v]) => v !== null));
    let category = KIND_CATEGORY[m.case.kind] ?? m.case.kind;
    if (category === "llm_training" && (workload.lora_rank || workload.qlora)) category = "lora_qlora";
    const model = m.case.layers ? { catalog: m.case.model, layers: m.case.layers } : m.case.model;
    const levels: [AccuracyCase["measured"]["level"], string][] = [
      ["allocated", "allocated_peak_bytes"],
      ["reserved", "reserved_peak_bytes"],
      ["device", "device_bytes"],
    ];
    for (const [level, key] of levels) {
      if (typeof m[key] !== "number") continue;
      cases.push({
        id: `${m.id}@${level}`,
        category,
        source_url: `bench/measurements/${m.file} (${m.env?.gpu ?? "GPU"})`,
        model: model as AccuracyCase["model"],
        workload,
        measured: { level, bytes: m[key] },
        file: m.file,
      });
    }
  }
  return cases;
}

/**
 * vLLM startup logs (vllm-published.jsonl, see vllm-planner.md): the weights and the profile run's
 * activation peak each become a component case of the vLLM runtime on a GPU of the logged total memory.
 */
export function loadVllmCases(dir = ACCURACY_DIR): AccuracyCase[] {
  const file = path.join(dir, "vllm-published.jsonl");
  if (!fs.existsSync(file)) return [];
  const out: AccuracyCase[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
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
    const base = { category: "vllm", source_url: r.source_url, quote: r.quote, model: r.model, workload, gpu: `${r.gpu_total_gib}gb`, file: "vllm-published.jsonl" };
    if (typeof r.measured.weights_gib === "number") {
      out.push({ ...base, id: `${r.id}#weights`, measured: { level: "component", component: "weights", bytes: Math.round(r.measured.weights_gib * 2 ** 30) } });
    }
    if (typeof r.measured.activation_gib === "number" && r.engine === "v0") {
      out.push({ ...base, id: `${r.id}#activation`, measured: { level: "component", component: "activations", bytes: Math.round(r.measured.activation_gib * 2 ** 30) } });
    }
  }
  return out;
}

export function loadCases(dir = ACCURACY_DIR): AccuracyCase[] {
  const cases: AccuracyCase[] = dir === ACCURACY_DIR ? [...loadMeasuredCases(), ...loadVllmCases()] : [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const c = JSON.parse(line);
      if (c.workload && c.measured && typeof c.measured.bytes === "number") cases.push({ ...c, file: f });
    }
  }
  return cases;
}

const configCache = new Map<string, ModelDescription>();

export function caseModel(c: AccuracyCase): string | ModelDescription {
  if (typeof c.model === "string") return c.model.startsWith("configs/") ? caseModel({ ...c, model: { config: c.model } }) : c.model;
  if ("catalog" in c.model) {
    if (!c.model.layers) return c.model.catalog;
    // A measurement with fewer layers than the catalog model (to fit the harness's time budget).
    const entry = findCatalogModel(c.model.catalog);
    if (!entry) return c.model.catalog;
    const cfg = { ...entry.config, num_hidden_layers: c.model.layers, n_layer: c.model.layers };
    return modelFromHfConfig(cfg, { kind: "catalog", ref: entry.id }, { id: `${entry.id}-${c.model.layers}l` });
  }
  const file = path.join(ACCURACY_DIR, c.model.config);
  let m = configCache.get(file);
  if (!m) {
    const raw = JSON.parse(fs.readFileSync(file, "utf8"));
    m = modelFromHfConfig(raw, { kind: "config", ref: c.model.config }, { id: c.model.id ?? path.basename(file, ".json") });
    configCache.set(file, m);
  }
  return m;
}

/** The rule of thumb people use today: weights × 1.2 for inference, weights × 4 for training. */
export function ruleOfThumb(e: Estimate): number | null {
  const weights = e.components.find((c) => c.id === "weights")?.bytes;
  if (weights == null) return null;
  return Math.round(weights * (e.workload.mode === "train" ? 4 : 1.2));
}

export function evaluateCase(c: AccuracyCase): CaseResult {
  const e = estimate(caseModel(c), { ...(c.workload as object), ...(c.gpu ? { gpu: c.gpu } : {}) });
  let est: number;
  if (c.measured.level === "component") {
    const comp = e.components.find((x) => x.id === c.measured.component);
    if (!comp) throw new Error(`${c.id}: the estimate has no component '${c.measured.component}'`);
    est = comp.bytes;
  } else {
    est = e.totals[`${c.measured.level}_bytes`];
  }
  const meas = c.measured.bytes;
  // Cases without a category get the one the estimate falls in (the same rule the error bands use).
  if (!c.category) c.category = e.uncertainty!.category;
  const baseline = c.measured.level === "component" ? null : ruleOfThumb(e);
  return {
    case: c,
    estimateBytes: est,
    measuredBytes: meas,
    error: (est - meas) / meas,
    baselineBytes: baseline,
    baselineError: baseline == null ? null : (baseline - meas) / meas,
    estimate: e,
  };
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
