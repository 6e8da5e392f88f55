/**
 * What makes a configuration that does not fit fit: the gentlest single changes, each with the memory it saves,
 * in the runtime's own words (issue #15, point 7). Gentlest first: a smaller batch or context and engine settings
 * that cost no quality (vLLM's --max-model-len, --gpu-memory-utilization, --enforce-eager; llama.cpp's slots and
 * context, MoE experts in host RAM), then more GPUs, then a lower-precision KV cache, then smaller weights, then
 * what the training stack or model family offers (checkpointing, 8-bit optimizer states, LoRA / QLoRA).
 * Each candidate is estimated; one is listed only when the estimate then fits.
 */
import { isVramfitError } from "../core/errors.js";
import type { Estimate } from "../core/estimate-types.js";
import type { Estimator } from "../core/estimator.js";
import type { ModelDescription } from "../core/model.js";
import type { EstimateInput } from "../core/profile.js";

export interface FitLever {
  /** The change, in the runtime's flags. */
  change: string;
  /** The options with the change applied (library keys). */
  patch: EstimateInput;
  /** Device total before minus after (per GPU); absent when the engine refused to start (its check, not memory, decided). */
  saves_bytes?: number;
  /** Device total after the change (per GPU). */
  device_bytes: number;
  verdict: "fits" | "tight";
}

const GGUF_SMALLER = ["q8_0", "q6_k", "q5_k_m", "q4_k_m", "q3_k_m", "q2_k"];

function candidates(est: Estimator, m: ModelDescription, base: Estimate, options: EstimateInput): [string, EstimateInput][] {
  const w = base.workload as Record<string, unknown>;
  const out: [string, EstimateInput][] = [];
  const runtime = w.mode === "train" ? undefined : (w.runtime as string | undefined);
  const llama = runtime === "llama.cpp" || runtime === "ollama";
  const vllm = runtime === "vllm";
  const batch = (w.batch as number) ?? 1;
  const seq = w.seq as number | undefined;
  const tryMax = (key: "batch" | "seq", below: number) => {
    try {
      const r = key === "batch" ? est.maxBatch(m, options, below) : est.maxSeq(m, options, below);
      return r.value > 0 ? r.value : null;
    } catch (e) {
      if (isVramfitError(e, "does_not_run", "invalid_option", "unsupported")) return null;
      throw e;
    }
  };
  // 1. Less work at once: the engine's own terms.
  if (vllm) {
    const len = (w.max_model_len as number | undefined) ?? seq;
    if (base.refusal && len && len > 1) {
      const r = tryMax("seq", len - 1);
      if (r) out.push([`--max-model-len ${r} (from ${len})`, { ...options, seq: r, max_model_len: undefined }]);
    }
    const util = (w.gpu_memory_utilization as number | undefined) ?? 0.9;
    if (base.refusal && util < 0.95) out.push([`--gpu-memory-utilization 0.95 (from ${util})`, { ...options, gpu_memory_utilization: 0.95 }]);
    if (!w.enforce_eager) out.push(["--enforce-eager (no CUDA graphs)", { ...options, enforce_eager: true }]);
  } else if (m.family === "transformer") {
    if (batch > 1) {
      const r = tryMax("batch", batch - 1);
      if (r) out.push([llama ? `--parallel ${r} (from ${batch} slots)` : `--batch ${r} (from ${batch})`, { ...options, batch: r, parallel: options.parallel === undefined ? undefined : r }]);
    }
    if (seq && seq > 1) {
      const r = tryMax("seq", seq - 1);
      if (r) out.push([llama ? `--ctx-size ${r} per slot (from ${seq})` : `--seq ${r} (from ${seq})`, { ...options, seq: r }]);
    }
  } else if (batch > 1) {
    const r = tryMax("batch", batch - 1);
    if (r) out.push([`--batch ${r} (from ${batch})`, { ...options, batch: r }]);
  }
  if (llama && m.family === "transformer" && m.transformer.moe && !w.cpu_moe) out.push(["--cpu-moe (MoE expert tensors in host RAM)", { ...options, cpu_moe: true }]);
  // 2. More GPUs (tensor parallel for vLLM/SGLang, layer split for llama.cpp).
  const gpus = (w.gpus as number) ?? 1;
  if (runtime && runtime !== "transformers") {
    for (const n of [2, 4, 8]) if (n > gpus) out.push([`--gpus ${n}${vllm || runtime === "sglang" ? " (tensor parallel)" : " (layers split)"}`, { ...options, gpus: n }]);
  }
  // 3. Lower precision: the KV cache, then the weights (the runtime's own levers, or llama.cpp's types).
  if (llama) {
    if (w.cache_type_k !== "q8_0" && w.cache_type_k !== "q4_0") out.push(["-ctk q8_0 -ctv q8_0 -fa on (8-bit KV cache)", { ...options, cache_type_k: "q8_0", cache_type_v: "q8_0", flash_attn: true }]);
    const q = String(w.quant ?? "");
    const i = GGUF_SMALLER.indexOf(q);
    for (const t of GGUF_SMALLER.slice(i >= 0 ? i + 1 : 3)) if (q && t !== q) out.push([`a ${t.toUpperCase()} GGUF (from ${q.toUpperCase()})`, { ...options, quant: t }]);
  }
  let own: { change: string; patch: Record<string, unknown> }[] = [];
  if (m.family !== "transformer") own = est.families.find((f) => f.id === m.family)?.levers?.(base) ?? [];
  else if (w.mode === "train") own = est.training.find((t) => t.id === (w.framework ?? est.training[0].id))?.levers?.(w as never) ?? [];
  else own = est.runtimes.find((r) => r.id === w.runtime)?.levers?.(w as never) ?? [];
  for (const l of own) out.push([l.change, { ...options, ...l.patch }]);
  // 4. Partial offload last for llama.cpp: it fits but runs the rest on the CPU.
  if (llama && m.family === "transformer") {
    const layers = m.transformer.layers;
    const at = (n: number) => {
      try {
        return est.estimate(m, { ...options, n_gpu_layers: n }).gpu?.verdict === "fits";
      } catch {
        return false;
      }
    };
    let lo = 0;
    let hi = layers;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (at(mid)) lo = mid;
      else hi = mid - 1;
    }
    if (lo > 0) out.push([`--n-gpu-layers ${lo} (of ${layers + 1}; the rest run on the CPU)`, { ...options, n_gpu_layers: lo }]);
  }
  return out;
}

/** The gentlest changes (at most `limit`) after which the estimate fits; [] when it already fits or none does. */
export function leversToFit(est: Estimator, model: string | ModelDescription, options: EstimateInput, limit = 4): FitLever[] {
  if (options.gpu === undefined) return [];
  const m = est.resolveModel(model);
  const base = est.estimate(m, options);
  if (base.gpu?.verdict !== "does_not_fit") return [];
  const found: FitLever[] = [];
  const seen = new Set<string>();
  // Of a ladder (more GPUs, smaller GGUF types) only the first rung that fits is listed.
  const ladder = (change: string) => (change.startsWith("--gpus ") ? "gpus" : / GGUF \(from /.test(change) ? "gguf" : change);
  for (const [change, patch] of candidates(est, m, base, options)) {
    if (found.length >= limit) break;
    if (seen.has(ladder(change))) continue;
    try {
      const e = est.estimate(m, patch);
      const v = e.gpu?.verdict;
      if (v === "fits" || v === "tight") {
        seen.add(ladder(change));
        // When the engine refused to start, memory was not the measure: what the change saves is not stated.
        found.push({ change, patch, ...(base.refusal ? {} : { saves_bytes: base.totals.device_bytes - e.totals.device_bytes }), device_bytes: e.totals.device_bytes, verdict: v });
      }
    } catch (e) {
      // A change the runtime refuses (fp8 KV in llama.cpp, TP that does not divide the heads) is no lever.
      if (!isVramfitError(e, "does_not_run", "invalid_option", "unsupported")) throw e;
    }
  }
  // Fitting ones before tight ones, keeping the gentleness order within each.
  return [...found.filter((l) => l.verdict === "fits"), ...found.filter((l) => l.verdict === "tight")];
}
