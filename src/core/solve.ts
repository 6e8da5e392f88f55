/** The largest batch size or context length that fits a GPU: a search on the estimate's verdict. */
import { isVramfitError, VramfitError } from "./errors.js";
import { estimate, resolveGpu, resolveModelSync, type EstimateOptions } from "./estimate.js";
import type { Estimate } from "./estimate-types.js";
import type { ModelDescription } from "./model.js";

export interface SolveResult {
  /** Largest value whose high bound fits (the safe answer), or 0 when even 1 does not. */
  value: number;
  /** Largest value whose central estimate fits (what the estimate alone would allow). */
  central_value: number;
  /** The estimate at that value (or at 1 when nothing fits). */
  estimate: Estimate;
  /** The first value that does not fit, when the search met one below the limit. */
  next?: { value: number; device_bytes: number };
}

type Criterion = (e: Estimate) => boolean;
const safe: Criterion = (e) => e.gpu!.verdict === "fits";
const central: Criterion = (e) => e.gpu!.fits;

function solve(model: string | ModelDescription, options: EstimateOptions, key: "batch" | "seq", limit: number): SolveResult {
  if (options.gpu === undefined) throw new VramfitError("invalid_option", `max-${key} needs a GPU (--gpu)`);
  const gpu = resolveGpu(options.gpu);
  const m = resolveModelSync(model);
  const at = (v: number) => estimate(m, { ...options, gpu, [key]: v });
  const r = search(at, safe, limit);
  const c = search(at, central, limit);
  return { ...r, central_value: c.value };
}

function search(at: (v: number) => Estimate, fits: Criterion, limit: number): Omit<SolveResult, "central_value"> {
  const first = at(1);
  if (!fits(first)) return { value: 0, estimate: first };
  // Exponential search for a failing bound, then bisection: memory grows monotonically in batch and seq.
  let lo = 1;
  let hi = 2;
  let loEst = first;
  while (hi <= limit) {
    const e = at(hi);
    if (!fits(e)) break;
    lo = hi;
    loEst = e;
    hi *= 2;
  }
  if (hi > limit) {
    const e = at(limit);
    if (fits(e)) return { value: limit, estimate: e };
    hi = limit;
  }
  let hiDevice = at(hi).totals.device_bytes;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const e = at(mid);
    if (fits(e)) {
      lo = mid;
      loEst = e;
    } else {
      hi = mid;
      hiDevice = e.totals.device_bytes;
    }
  }
  return { value: lo, estimate: loEst, next: { value: hi, device_bytes: hiDevice } };
}

export function maxBatch(model: string | ModelDescription, options: EstimateOptions, limit = 1 << 16): SolveResult {
  return solve(model, options, "batch", limit);
}

/** Longest sequence that fits, up to the model's context length unless `limit` says otherwise. */
export function maxSeq(model: string | ModelDescription, options: EstimateOptions, limit?: number): SolveResult {
  const m = resolveModelSync(model);
  const cap = limit ?? m.transformer?.maxPositions ?? 1 << 20;
  return solve(m, options, "seq", cap);
}

/**
 * Largest image (keeping the aspect ratio of `options.image`, in steps of `step` pixels on the longer
 * side) whose high bound fits — for vision models. Memory grows with the pixel count.
 */
export function maxImage(
  model: string | ModelDescription,
  options: EstimateOptions,
  step = 32,
  limitSide = 8192,
): { image: [number, number]; central_image: [number, number] | null; estimate: Estimate | null } {
  if (options.gpu === undefined) throw new VramfitError("invalid_option", "max-image needs a GPU (--gpu)");
  const m = resolveModelSync(model);
  if (m.family !== "vision") throw new VramfitError("invalid_option", `${m.id} is not a vision model: use max-seq for language models`);
  const gpu = resolveGpu(options.gpu);
  const base = parseHw(options.image ?? 640);
  const ratio = base[0] / base[1];
  const sizeAt = (k: number): [number, number] => {
    const long = k * step;
    return ratio >= 1 ? [long, Math.max(step, Math.round(long / ratio / step) * step)] : [Math.max(step, Math.round((long * ratio) / step) * step), long];
  };
  const at = (k: number) => estimate(m, { ...options, gpu, image: sizeAt(k) });
  const find = (fits: Criterion) => {
    let lo = 0;
    let hi = Math.floor(limitSide / step);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(at(mid))) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const k = find(safe);
  const kc = find(central);
  return { image: k ? sizeAt(k) : [0, 0], central_image: kc ? sizeAt(kc) : null, estimate: k ? at(k) : null };
}

function parseHw(v: number | [number, number] | string): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v)) return v;
  const m = /^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*$/i.exec(v);
  if (!m) throw new VramfitError("invalid_option", `cannot read image size '${v}'`, { suggestion: "use --image 640 or --image 1333x800 (width x height)" });
  // "W×H" as detection configs write it → [h, w]
  return m[2] ? [Number(m[2]), Number(m[1])] : [Number(m[1]), Number(m[1])];
}

export interface Lever {
  /** What to change, in words. */
  change: string;
  /** The options with the change applied. */
  options: EstimateOptions;
  /** High bound of the device total after the change. */
  device_high_bytes: number;
}

/**
 * For a "tight" verdict: the gentlest single change that makes even the high bound fit — a smaller batch
 * or sequence first (no quality cost); for training then checkpointing, 8-bit optimizer states, LoRA; for
 * inference a lower-precision KV cache, then weight quantization.
 */
export function leverForTight(model: string | ModelDescription, options: EstimateOptions): Lever | null {
  if (options.gpu === undefined) return null;
  const m = resolveModelSync(model);
  const base = estimate(m, options);
  if (base.gpu?.verdict !== "tight") return null;
  const w = base.workload as Record<string, unknown>;
  const candidates: [string, EstimateOptions][] = [];
  const batch = (w.batch as number) ?? 1;
  const seq = w.seq as number | undefined;
  // The largest batch / seq below the current one whose high bound fits, found by the solvers.
  if (batch > 1) {
    const r = maxBatch(m, options, batch - 1);
    if (r.value > 0) candidates.push([`batch ${batch} → ${r.value}`, { ...options, batch: r.value }]);
  }
  if (seq && seq > 1 && m.family !== "vision") {
    const r = maxSeq(m, options, seq - 1);
    if (r.value > 0) candidates.push([`sequence ${seq} → ${r.value} tokens`, { ...options, seq: r.value }]);
  }
  if (w.mode === "train") {
    if (!w.checkpointing && m.family !== "vision") candidates.push(["activation checkpointing (--checkpointing)", { ...options, checkpointing: true }]);
    if (w.optimizer === "adamw" || w.optimizer === "adam") candidates.push(["8-bit AdamW (--optimizer adamw-8bit)", { ...options, optimizer: "adamw-8bit" }]);
    if (!w.lora_rank && !w.qlora && m.family !== "vision") candidates.push(["LoRA adapters instead of full fine-tuning (--lora-rank 16)", { ...options, lora_rank: 16 }]);
  }
  if (w.mode !== "train" && m.family !== "vision" && w.kv_dtype !== "fp8" && (w.runtime === "transformers" || w.runtime === "vllm")) {
    candidates.push(["fp8 KV cache (--kv-dtype fp8)", { ...options, kv_dtype: "fp8" }]);
  }
  if (w.mode !== "train" && m.family !== "vision" && !w.quant && w.runtime !== "llama.cpp" && w.runtime !== "ollama") {
    candidates.push(["8-bit weights (--quant int8)", { ...options, quant: "int8" }]);
    candidates.push(["4-bit weights (--quant nf4)", { ...options, quant: "nf4" }]);
  }
  for (const [change, opts] of candidates) {
    try {
      const e = estimate(m, opts);
      if (e.gpu?.verdict === "fits") return { change, options: opts, device_high_bytes: e.totals.device_range?.[1] ?? e.totals.device_bytes };
    } catch (e) {
      // A lever the runtime refuses (fp8 KV in llama.cpp, int8 on a GGUF file) is no lever.
      if (!isVramfitError(e, "does_not_run", "invalid_option", "unsupported")) throw e;
    }
  }
  return null;
}
