/** The largest batch, context or image that fits a GPU, and the lever for a tight verdict: searches on the estimate's verdict. */
import { isVramfitError, VramfitError } from "./errors.js";
import type { Estimate } from "./estimate-types.js";
import type { Gpu } from "./gpu.js";
import type { ModelDescription } from "./model.js";
import type { EstimateInput, ModelFamily, RuntimeProfile, TrainingProfile, Lever as ProfileLever } from "./profile.js";

/** What the solvers need of an estimator. */
export interface Solvable {
  estimate(model: string | ModelDescription, options?: EstimateInput): Estimate;
  resolveModel(spec: string | ModelDescription): ModelDescription;
  resolveGpu(gpu: string | Gpu | undefined): Gpu | undefined;
  readonly runtimes: readonly RuntimeProfile<any>[];
  readonly training: readonly TrainingProfile<any>[];
  readonly families: readonly ModelFamily<any>[];
}

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

function solve(est: Solvable, model: string | ModelDescription, options: EstimateInput, key: "batch" | "seq", limit: number): SolveResult {
  if (options.gpu === undefined) throw new VramfitError("invalid_option", `max-${key} needs a GPU (--gpu)`);
  const gpu = est.resolveGpu(options.gpu);
  const m = est.resolveModel(model);
  const at = (v: number) => est.estimate(m, { ...options, gpu, [key]: v });
  // Serving engines with one pre-allocated pool (vLLM): memory does not grow with the batch; the pool decides how
  // many sequences run at once (the estimate's capacity), and that is the answer.
  const one = key === "batch" ? at(1) : undefined;
  if (one?.capacity) return { value: safe(one) ? one.capacity.sequences : 0, central_value: central(one) ? one.capacity.sequences : 0, estimate: one };
  const r = search(at, safe, limit);
  const c = search(at, central, limit);
  return { ...r, central_value: c.value };
}

function search(atOrThrow: (v: number) => Estimate, fits: Criterion, limit: number): Omit<SolveResult, "central_value"> {
  // A value the runtime refuses (llama.cpp's 256 parallel sequences) is one that does not fit.
  let refused: Estimate | undefined;
  const at = (v: number): Estimate => {
    try {
      return atOrThrow(v);
    } catch (e) {
      if (!refused || !isVramfitError(e, "does_not_run")) throw e;
      return { ...refused, gpu: { ...refused.gpu!, fits: false, verdict: "does_not_fit" } };
    }
  };
  const first = atOrThrow(1);
  refused = first;
  if (!fits(first)) return { value: 0, estimate: first };
  // Exponential search for a failing bound, then bisection: memory grows with batch and seq.
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

export function maxBatch(est: Solvable, model: string | ModelDescription, options: EstimateInput, limit = 1 << 16): SolveResult {
  return solve(est, model, options, "batch", limit);
}

/** Longest sequence that fits, up to the model's context length unless `limit` says otherwise. */
export function maxSeq(est: Solvable, model: string | ModelDescription, options: EstimateInput, limit?: number): SolveResult {
  const m = est.resolveModel(model);
  if (m.family !== "transformer") throw new VramfitError("invalid_option", `${m.id} has no sequence length: use max-batch${hasImage(est, m) ? " or max-image" : ""}`);
  const cap = limit ?? (m.transformer.maxPositions || 1 << 20);
  return solve(est, m, options, "seq", cap);
}

function hasImage(est: Solvable, m: ModelDescription): boolean {
  return est.families.some((f) => f.id === m.family && f.options.some((o) => o.key === "image"));
}

/**
 * Largest image (keeping the aspect ratio of `options.image`, in steps of `step` pixels on the longer
 * side) whose high bound fits — for families with an image size. Memory grows with the pixel count.
 */
export function maxImage(
  est: Solvable,
  model: string | ModelDescription,
  options: EstimateInput,
  step = 32,
  limitSide = 8192,
): { image: [number, number]; central_image: [number, number] | null; estimate: Estimate | null } {
  if (options.gpu === undefined) throw new VramfitError("invalid_option", "max-image needs a GPU (--gpu)");
  const m = est.resolveModel(model);
  if (!hasImage(est, m)) throw new VramfitError("invalid_option", `${m.id} takes no image size: use max-seq or max-batch`);
  const gpu = est.resolveGpu(options.gpu);
  const base = parseHw((options.image as number | [number, number] | string | undefined) ?? 640);
  const ratio = base[0] / base[1];
  const sizeAt = (k: number): [number, number] => {
    const long = k * step;
    return ratio >= 1 ? [long, Math.max(step, Math.round(long / ratio / step) * step)] : [Math.max(step, Math.round((long * ratio) / step) * step), long];
  };
  // A size the model cannot run at (SD3 beyond its position-embedding grid: does_not_run) is one that does not fit.
  const at = (k: number): Estimate => {
    try {
      return est.estimate(m, { ...options, gpu, image: sizeAt(k) });
    } catch (e) {
      // A model that takes one image size only (an ONNX graph with fixed height and width) has no larger image.
      const fixed = isVramfitError(e, "does_not_run") ? (e.details?.fixed_image as [number, number] | undefined) : undefined;
      if (fixed) {
        throw new VramfitError("unsupported", `${m.id} takes only ${fixed[1]}x${fixed[0]} images (fixed height and width): there is no larger image to search for`, {
          suggestion: "vramfit estimate says whether that size fits; max-batch finds the largest batch",
        });
      }
      if (k <= 1 || !isVramfitError(e, "does_not_run")) throw e;
      const small = est.estimate(m, { ...options, gpu, image: sizeAt(1) });
      return { ...small, gpu: { ...small.gpu!, fits: false, verdict: "does_not_fit" } };
    }
  };
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
  options: EstimateInput;
  /** High bound of the device total after the change. */
  device_high_bytes: number;
}

/**
 * For a "tight" verdict: the gentlest single change that makes even the high bound fit — a smaller batch
 * or sequence first (no quality cost), then what the training stack, runtime or family in use offers
 * (checkpointing, 8-bit optimizer states, LoRA; a lower-precision KV cache; weight quantization).
 */
export function leverForTight(est: Solvable, model: string | ModelDescription, options: EstimateInput): Lever | null {
  if (options.gpu === undefined) return null;
  const m = est.resolveModel(model);
  const base = est.estimate(m, options);
  if (base.gpu?.verdict !== "tight") return null;
  const w = base.workload as Record<string, unknown>;
  const candidates: [string, EstimateInput][] = [];
  const batch = (w.batch as number) ?? 1;
  const seq = w.seq as number | undefined;
  // The largest batch / seq below the current one whose high bound fits, found by the solvers.
  if (batch > 1) {
    const r = maxBatch(est, m, options, batch - 1);
    if (r.value > 0) candidates.push([`batch ${batch} → ${r.value}`, { ...options, batch: r.value }]);
  }
  if (seq && seq > 1 && m.family === "transformer") {
    const r = maxSeq(est, m, options, seq - 1);
    if (r.value > 0) candidates.push([`sequence ${seq} → ${r.value} tokens`, { ...options, seq: r.value }]);
  }
  let own: ProfileLever[] = [];
  if (m.family !== "transformer") own = est.families.find((f) => f.id === m.family)?.levers?.(base) ?? [];
  else if (w.mode === "train") own = est.training.find((t) => t.id === (w.framework ?? est.training[0].id))?.levers?.(w as never) ?? [];
  else own = est.runtimes.find((r) => r.id === w.runtime)?.levers?.(w as never) ?? [];
  for (const l of own) candidates.push([l.change, { ...options, ...l.patch }]);
  for (const [change, opts] of candidates) {
    try {
      const e = est.estimate(m, opts);
      if (e.gpu?.verdict === "fits") return { change, options: opts, device_high_bytes: e.totals.device_range?.[1] ?? e.totals.device_bytes };
    } catch (e) {
      // A lever the runtime refuses (fp8 KV in llama.cpp, int8 on a GGUF file) is no lever.
      if (!isVramfitError(e, "does_not_run", "invalid_option", "unsupported")) throw e;
    }
  }
  return null;
}
