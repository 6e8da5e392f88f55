/**
 * Error bands: every component gets a [low, high] range and the totals follow, from how far the
 * estimates landed from real measurements (bench/accuracy, calibrated by bench/accuracy/calibrate.ts
 * into bands.json). Shapes and dtypes make weights, KV cache, gradients and optimizer states exact;
 * activations, workspaces and runtime overheads carry the measured spread of their category.
 */
import type { Component, Totals } from "./estimate-types.js";
import bandsData from "./bands.json" with { type: "json" };

export type UncertaintyClass = "exact" | "uncertain";

/** Components computed from shapes and dtypes alone. */
const EXACT_IDS = new Set([
  "weights",
  "kv_cache",
  "gradients",
  "optimizer_states",
  "master_weights",
  "lora_weights",
  "lora_gradients",
  "lora_optimizer_states",
  "model_buffer",
  "cublas_workspace",
]);

export function componentClass(c: Component): UncertaintyClass {
  return EXACT_IDS.has(c.id) ? "exact" : "uncertain";
}

export interface Band {
  /** Multipliers on the uncertain components: measured ≈ exact·(1+e) + uncertain·k. */
  uncertain: [number, number];
  /** Relative slack on the exact part (alignment, tensors the model description does not list). */
  exact: [number, number];
  /**
   * Multiplier ranges of single components that sources measured on their own (vLLM's weights and
   * activation lines, llama.cpp's buffers), where at least three sources did: tighter than the class range.
   */
  components?: Record<string, [number, number]>;
  /** Calibrating cases and the independent sources they come from. */
  cases: number;
  sources?: number;
  source: "measured" | "default";
  note?: string;
  /** How bench/accuracy/calibrate.ts chose the band: quantile level and stretch of the low and high sides, and the out-of-source coverage reached. */
  fit?: { quantile: [number, number]; stretch: [number, number]; inside: number; checked: number };
}

/** A category of answers calibrated together (llm_inference, vllm, lora_qlora, vision_training, ...): profiles name theirs. */
export type Category = string;

/** Used where a category has too few measured cases: wide and labelled as such. */
export const DEFAULT_BAND: Band = {
  uncertain: [0.7, 1.6],
  exact: [-0.01, 0.03],
  cases: 0,
  source: "default",
  note: "too few measured cases in this category: a wide default band",
};

const bands = bandsData as unknown as Record<string, Band | undefined>;

export function bandFor(category: Category): Band {
  return Object.hasOwn(bands, category) ? (bands[category] ?? DEFAULT_BAND) : DEFAULT_BAND;
}

const widenRange = (r: [number, number], factor: number): [number, number] => [Math.max(0, 1 - (1 - r[0]) * factor), 1 + (r[1] - 1) * factor];

/** Widen a band when the user left something uncertain unstated (e.g. the attention implementation). */
export function widen(b: Band, factor: number): Band {
  const components = b.components
    ? Object.fromEntries(Object.entries(b.components).map(([id, r]) => [id, EXACT_IDS.has(id) ? r : widenRange(r, factor)]))
    : undefined;
  return { ...b, uncertain: widenRange(b.uncertain, factor), ...(components ? { components } : {}) };
}

/** [low, high] bytes of one component under a band; always low ≤ bytes ≤ high. */
export function componentRange(c: Pick<Component, "id" | "bytes">, band: Band): [number, number] {
  const own = band.components && Object.hasOwn(band.components, c.id) ? band.components[c.id] : undefined;
  if (own) return [Math.floor(c.bytes * Math.min(1, own[0])), Math.ceil(c.bytes * Math.max(1, own[1]))];
  return EXACT_IDS.has(c.id)
    ? [Math.floor(c.bytes * (1 + Math.min(0, band.exact[0]))), Math.ceil(c.bytes * (1 + Math.max(0, band.exact[1])))]
    : [Math.floor(c.bytes * Math.min(1, band.uncertain[0])), Math.ceil(c.bytes * Math.max(1, band.uncertain[1]))];
}

export interface RangedTotals extends Totals {
  allocated_range: [number, number];
  reserved_range: [number, number];
  device_range: [number, number];
}

/** Adds `range_bytes` to each component and the three total ranges. Low ≤ estimate ≤ high always. */
export function applyBand(components: Component[], totals: Totals, band: Band): RangedTotals {
  const lo = { allocated: 0, reserved: 0, device: 0 };
  const hi = { allocated: 0, reserved: 0, device: 0 };
  for (const c of components) {
    const [l, h] = componentRange(c, band);
    c.range_bytes = [l, h];
    if (c.location === "cpu") continue;
    lo[c.level] += l;
    hi[c.level] += h;
  }
  return {
    ...totals,
    allocated_range: [lo.allocated, hi.allocated],
    reserved_range: [lo.allocated + lo.reserved, hi.allocated + hi.reserved],
    device_range: [lo.allocated + lo.reserved + lo.device, hi.allocated + hi.reserved + hi.device],
  };
}
