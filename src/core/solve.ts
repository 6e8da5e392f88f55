/** The largest batch size or context length that fits a GPU: a search on the estimate's verdict. */
import { VramfitError } from "./errors.js";
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
  if (options.gpu === undefined) throw new VramfitError(`max-${key} needs a GPU (--gpu)`);
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
