/**
 * "Will my config fit?": a training framework's own configuration file(s) → the per-GPU estimate with that
 * framework's profile, and — when it does not fit — what to change, in the file's own keys.
 *
 *   const r = await estimateTrainingConfig([{ name: "train.yaml", text }], { gpu: "rtx-4090" });
 *   r.estimate.gpu?.verdict; r.advice[0]?.edits;  // [{ file: "train.yaml", lines: ["gradient_checkpointing: true"] }]
 *
 * The model named in the file resolves like any model argument (catalog, Hugging Face id, local path); a torchtune
 * builder (`model._component_`) maps to its catalog model.
 */
import { isVramfitError, VramfitError } from "../core/errors.js";
import type { Estimate } from "../core/estimate-types.js";
import type { Estimator } from "../core/estimator.js";
import type { Gpu } from "../core/gpu.js";
import type { ModelDescription } from "../core/model.js";
import type { EstimateInput, Lever } from "../core/profile.js";
import { formatBytes } from "../core/units.js";
import { defaultEstimator } from "../default-estimator.js";
import { readTrainingConfig, type TrainingConfigRead } from "./config-files/index.js";
import { describeEdits, fileEdits, type FileEdit } from "./config-advice.js";
import { catalogIdByName, catalogIdForTorchtune, configWorkload, type ConfigWorkload } from "./config-workload.js";

export interface ConfigFile {
  name: string;
  text: string;
}

export interface ConfigEstimateOptions {
  gpu?: string | Gpu;
  /** GPUs in the job (default: the launcher file's num_processes × num_machines, else 1). */
  gpus?: number;
  /** torchtune-style `key=value` / `~key` overrides, applied to every file. */
  overrides?: readonly string[];
  /** A model that replaces the one the files name (catalog id, description). */
  model?: string | ModelDescription;
  /** How to read a model the catalog does not know (Hub id, local path): the library passes its resolveModel. */
  resolveModel?: (spec: string) => Promise<ModelDescription>;
  /** Options that win over the files (CLI flags given beside --config). */
  options?: EstimateInput;
  estimator?: Estimator;
}

export interface ConfigAdvice {
  /** The change in words (the profile's lever). */
  change: string;
  /** The same change in the files' own keys. */
  edits: FileEdit[];
  /** Per-GPU device total and verdict after the change. */
  device_bytes: number;
  saving_bytes: number;
  verdict: "fits" | "tight" | "does_not_fit";
}

export interface ConfigEstimate {
  estimate: Estimate;
  workload: ConfigWorkload;
  /** How the model was found: the spec in the file and what it resolved to. */
  model: { spec: string; from: string; resolved: string; note?: string };
  /** Keys that change memory but are not modelled, per file. */
  unmodelled: { file: string; key: string; why: string }[];
  /** Keys no reader recognised, per file. */
  unknown: { file: string; keys: string[] }[];
  notes: string[];
  /** Changes that make it fit (or come closest), best first; empty when it fits. */
  advice: ConfigAdvice[];
}

/** Reads each file (one-line errors for malformed ones). */
export function readConfigFiles(files: readonly ConfigFile[], overrides: readonly string[] = []): { read: TrainingConfigRead; file: string }[] {
  if (files.length === 0) throw new VramfitError("invalid_option", "no configuration file given", { suggestion: "--config train.yaml" });
  return files.map((f) => ({ read: readTrainingConfig(f.text, f.name, overrides), file: f.name }));
}

/** The model spec the files name, resolved offline where possible: torchtune builders and catalog names (mirrors, local folders). */
export function offlineModelSpec(cw: ConfigWorkload): { spec: string; resolved?: string; note?: string } | null {
  const m = cw.model;
  if (!m) return null;
  if (m.component) {
    const id = catalogIdForTorchtune(m.component);
    if (id) return { spec: m.component, resolved: id };
  }
  const byName = catalogIdByName(m.spec);
  if (byName) return { spec: m.spec, resolved: byName, ...(byName.toLowerCase() !== m.spec.toLowerCase() ? { note: `${m.spec} read as the catalog's ${byName} (same model name; its config.json is the catalog's)` } : {}) };
  return { spec: m.spec };
}

function estimateOptions(cw: ConfigWorkload, o: ConfigEstimateOptions): EstimateInput {
  return { ...cw.options, framework: cw.framework, ...(o.gpus ? { gpus: o.gpus } : {}), ...o.options, ...(o.gpu !== undefined ? { gpu: o.gpu } : {}) } as EstimateInput;
}

/** The estimate and advice for files already read and a model already resolved (the web page's path). */
export function estimateFromConfig(reads: readonly { read: TrainingConfigRead; file: string }[], model: ModelDescription, o: ConfigEstimateOptions & { modelNote?: { spec: string; from: string; note?: string } } = {}): ConfigEstimate {
  const est = o.estimator ?? defaultEstimator;
  const cw = configWorkload(reads);
  const opts = estimateOptions(cw, o);
  const e = est.estimate(model, opts);
  const advice = e.gpu && e.gpu.verdict !== "fits" ? adviseConfig(est, model, opts, e, cw) : [];
  const unknown = reads.filter((r) => r.read.unknown.length > 0).map((r) => ({ file: r.file, keys: r.read.unknown }));
  return {
    estimate: e,
    workload: cw,
    model: { spec: o.modelNote?.spec ?? model.id, from: o.modelNote?.from ?? "argument", resolved: model.id, ...(o.modelNote?.note ? { note: o.modelNote.note } : {}) },
    unmodelled: cw.unmodelled,
    unknown,
    notes: cw.notes,
    advice,
  };
}

/** Reads the files, resolves their model, estimates, and advises in the files' keys. */
export async function estimateTrainingConfig(files: readonly ConfigFile[], o: ConfigEstimateOptions = {}): Promise<ConfigEstimate> {
  const est = o.estimator ?? defaultEstimator;
  const reads = readConfigFiles(files, o.overrides);
  const cw = configWorkload(reads);
  let model: ModelDescription;
  let modelNote: { spec: string; from: string; note?: string };
  if (o.model !== undefined) {
    model = est.resolveModel(o.model);
    modelNote = { spec: typeof o.model === "string" ? o.model : o.model.id, from: "argument" };
  } else {
    const off = offlineModelSpec(cw);
    if (!off) {
      throw new VramfitError("invalid_file", `${files.map((f) => f.name).join(", ")}: names no model`, { suggestion: "give the model too: vramfit estimate <model> --config …" });
    }
    const from = `${cw.model!.file} ${cw.model!.key}`;
    if (off.resolved) {
      model = est.resolveModel(off.resolved);
      modelNote = { spec: off.spec, from, ...(off.note ? { note: off.note } : {}) };
    } else {
      if (!o.resolveModel) throw new VramfitError("unknown_model", `${off.spec} (${from}) is not in the catalog`, { suggestion: "give the model as an argument, or resolve it with the library's resolveModel" });
      try {
        model = await o.resolveModel(off.spec);
      } catch (err) {
        if (!isVramfitError(err)) throw err;
        throw new VramfitError(err.code === "network" || err.code === "hub_http" ? err.code : "unknown_model", `${off.spec} (${from}) could not be read: ${err.message}`, {
          suggestion: "give the model as the first argument (a catalog id, a local config.json or folder), or run once online so the Hub read is cached",
          cause: err,
        });
      }
      modelNote = { spec: off.spec, from };
    }
  }
  return estimateFromConfig(reads, model, { ...o, estimator: est, modelNote });
}

function leversFor(est: Estimator, e: Estimate): Lever[] {
  const w = e.workload as Record<string, unknown>;
  const profile = est.training.find((t) => t.id === w.framework) ?? est.training[0];
  const own = profile.levers?.(w as never) ?? [];
  const batch = Number(w.batch ?? 1);
  const accum = Number(w.grad_accum ?? 1);
  // Smaller micro-batches keep the effective batch through gradient accumulation (every framework has both keys).
  const micro: Lever[] = [];
  for (let b = Math.floor(batch / 2); b >= 1; b = Math.floor(b / 2)) {
    micro.push({ change: `micro-batch ${b} with gradient accumulation ${Math.ceil((accum * batch) / b)}`, patch: { batch: b, grad_accum: Math.ceil((accum * batch) / b) } });
    if (b === 1) break;
  }
  return [...own.filter((l) => !("batch" in l.patch)), ...micro];
}

function adviseConfig(est: Estimator, model: ModelDescription, opts: EstimateInput, now: Estimate, cw: ConfigWorkload): ConfigAdvice[] {
  const out: ConfigAdvice[] = [];
  const current = now.workload as Record<string, unknown>;
  const tryPatch = (change: string, patch: Record<string, unknown>): ConfigAdvice | null => {
    // Only what changes goes into the file.
    const changed = Object.fromEntries(Object.entries(patch).filter(([k, v]) => current[k] !== v));
    const edits = fileEdits(changed, cw);
    if (!edits) return null;
    try {
      const e = est.estimate(model, { ...opts, ...patch } as EstimateInput);
      return { change, edits, device_bytes: e.totals.device_bytes, saving_bytes: now.totals.device_bytes - e.totals.device_bytes, verdict: e.gpu?.verdict ?? "does_not_fit" };
    } catch (err) {
      if (isVramfitError(err, "invalid_option", "does_not_run", "unsupported")) return null;
      throw err;
    }
  };
  const levers = leversFor(est, now);
  const singles: ConfigAdvice[] = [];
  for (const l of levers) {
    const a = tryPatch(l.change, l.patch);
    if (a && a.saving_bytes > 0) singles.push(a);
  }
  // The first micro-batch that fits is enough; smaller ones are no better advice.
  const fitting = singles.filter((a) => a.verdict === "fits").filter((a, i, all) => !/^micro-batch/.test(a.change) || all.findIndex((x) => /^micro-batch/.test(x.change)) === i);
  out.push(...fitting);
  if (fitting.length === 0) {
    // No single change is enough: the levers together, in the framework's order, until it fits.
    let patch: Record<string, unknown> = {};
    const names: string[] = [];
    for (const l of levers) {
      if (/^micro-batch/.test(l.change) && names.some((n) => /^micro-batch/.test(n))) continue;
      const next = { ...patch, ...l.patch };
      const a = tryPatch([...names, l.change].join(" + "), next);
      if (!a || a.saving_bytes <= 0) continue;
      patch = next;
      names.push(l.change);
      if (a.verdict === "fits") {
        out.push(a);
        break;
      }
    }
    out.push(...singles.sort((a, b) => b.saving_bytes - a.saving_bytes).slice(0, 3));
  }
  return out;
}

/** Text lines for the advice (CLI). */
export function adviceLines(r: ConfigEstimate): string[] {
  return r.advice.map((a) => `${a.verdict === "fits" ? "✔" : a.verdict === "tight" ? "~" : "·"} ${describeEdits(a.edits)}  → ${formatBytes(a.device_bytes)} per GPU (${a.verdict.replace(/_/g, " ")}; ${a.change})`);
}
