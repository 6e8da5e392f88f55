/** Weight memory: every tensor group in its real format. */
import type { Component } from "./estimate-types.js";
import type { ModelDescription, TensorGroup } from "./model.js";
import { numel } from "./model.js";
import { GGML_BLOCKS, isQuantized, tensorBytes, type QuantOptions } from "./precision.js";
import { formatCount } from "./units.js";
import { storedBytes } from "../readers/dtypes.js";
import { lookup } from "./lookup.js";

export interface WeightBreakdown {
  bytes: number;
  quantizedParams: number;
  plainParams: number;
  /** Bytes per tensor group (one tensor's bytes × count), for the allocator and sharding. */
  perGroup: { group: TensorGroup; bytes: number }[];
}

/** Bytes of one tensor of a group that a file told us the real dtype of (safetensors/GGUF), else null. */
export function bytesFromFileDtype(g: TensorGroup): number | null {
  if (!g.dtype) return null;
  const d = g.dtype.toLowerCase();
  const n = numel(g.shape);
  const dense: Record<string, number> = { f32: 4, f16: 2, f8_e4m3: 1, f8_e5m2: 1, i8: 1, u8: 1, i32: 4, i64: 8 };
  const denseBytes = lookup(dense, d);
  if (denseBytes !== undefined) return n * denseBytes;
  const block = lookup(GGML_BLOCKS, d);
  if (block) return Math.ceil(n / block[0]) * block[1];
  return storedBytes(d, n) ?? null;
}

function isPlainFloat(dtype: string | undefined): boolean {
  return dtype == null || ["f32", "fp32", "f16", "fp16", "bf16", "float32", "float16", "bfloat16"].includes(dtype.toLowerCase());
}

export function weightBreakdown(model: ModelDescription, dtype: string, quant: string | null, opts: QuantOptions = {}): WeightBreakdown {
  let bytes = 0;
  let quantizedParams = 0;
  let plainParams = 0;
  const perGroup: WeightBreakdown["perGroup"] = [];
  for (const g of model.tensors) {
    // A file's quantized storage (GGUF blocks, int8, fp8) is kept unless the user asks for another format;
    // plain float tensors follow the workload dtype (frameworks cast them on load).
    // GGUF tensors are used exactly as stored (llama.cpp never casts them).
    const fromFile = quant == null && (model.source.kind === "gguf" || !isPlainFloat(g.dtype)) ? bytesFromFileDtype(g) : null;
    const one = fromFile ?? tensorBytes(g, dtype, quant, opts);
    const n = numel(g.shape) * g.count;
    if (isQuantized(g, quant) && fromFile == null) quantizedParams += n;
    else plainParams += n;
    bytes += one * g.count;
    perGroup.push({ group: g, bytes: one });
  }
  return { bytes, quantizedParams, plainParams, perGroup };
}

export function weightsComponent(
  model: ModelDescription,
  dtype: string,
  quant: string | null,
  shards = 1,
  opts: QuantOptions = {},
): { component: Component; breakdown: WeightBreakdown } {
  const b = weightBreakdown(model, dtype, quant, opts);
  const bytes = Math.ceil(b.bytes / shards);
  const parts: string[] = [];
  if (b.quantizedParams > 0) {
    const qBytes = b.perGroup.filter((p) => isQuantized(p.group, quant)).reduce((s, p) => s + p.bytes * p.group.count, 0);
    parts.push(`${formatCount(b.quantizedParams)} params in ${quant} (${((qBytes * 8) / b.quantizedParams).toFixed(3)} bits/param incl. scales)`);
  }
  if (b.plainParams > 0) {
    const pBytes = b.bytes - (b.quantizedParams > 0 ? b.perGroup.filter((p) => isQuantized(p.group, quant)).reduce((s, p) => s + p.bytes * p.group.count, 0) : 0);
    parts.push(`${formatCount(b.plainParams)} params at ${((pBytes * 8) / b.plainParams).toFixed(1)} bits`);
  }
  const formula = parts.join(" + ") + (shards > 1 ? ` ÷ ${shards} GPUs` : "");
  return {
    component: { id: "weights", label: "Model weights", bytes, formula, level: "allocated" },
    breakdown: b,
  };
}
