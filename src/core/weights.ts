/** Weight memory: every tensor group in its real format. */
import type { Component } from "./estimate-types.js";
import type { ModelDescription, TensorGroup } from "./model.js";
import { numel } from "./model.js";
import { isGgufQuant, isQuantized, tensorBytes, type QuantOptions } from "./precision.js";
import { formatCount } from "./units.js";
import { storedBytes } from "./dtypes.js";
import { VramfitError } from "./errors.js";
import { ggufTensorTypes } from "../ggml/quantizer.js";
import { ggufTensorsFromGroups } from "../ggml/tensor-names.js";

export interface WeightBreakdown {
  bytes: number;
  quantizedParams: number;
  plainParams: number;
  /** Bytes per tensor group (one tensor's bytes × count), for the allocator and sharding. */
  perGroup: { group: TensorGroup; bytes: number }[];
}

/** Bytes of one tensor of a group that a file told us the real dtype of (safetensors/GGUF), else null. */
export function bytesFromFileDtype(g: TensorGroup): number | null {
  return g.dtype ? (storedBytes(g.dtype, g.shape) ?? null) : null;
}

/**
 * Bytes of each group's tensors in a GGUF file type, typed tensor by tensor as llama.cpp's quantizer does
 * (src/ggml/quantizer.ts): the total per group (layers of one group may get different types, Q4_K_M's
 * attn_v and ffn_down). Groups the converter does not write get their dense size.
 */
export function ggufGroupBytes(model: ModelDescription, fileType: string): number[] {
  if (model.family !== "transformer") throw new VramfitError("unsupported", `${model.id}: GGUF quantization is modelled for transformer language models`);
  const shape = model.transformer;
  const typed = ggufTensorTypes(ggufTensorsFromGroups(model.tensors, shape), fileType, {
    architecture: model.architecture, layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads, experts: shape.moe?.experts ?? 0,
  });
  const total = new Array<number>(model.tensors.length).fill(0);
  const seen = new Array<boolean>(model.tensors.length).fill(false);
  for (const t of typed) {
    if (t.group === undefined) continue;
    total[t.group] += t.bytes;
    seen[t.group] = true;
  }
  model.tensors.forEach((g, i) => {
    if (!seen[i]) total[i] = numel(g.shape) * (g.kind === "norm" || g.shape.length < 2 ? 4 : 2) * g.count;
  });
  return total;
}

function isPlainFloat(dtype: string | undefined): boolean {
  return dtype == null || ["f32", "fp32", "f16", "fp16", "bf16", "float32", "float16", "bfloat16"].includes(dtype.toLowerCase());
}

export function weightBreakdown(model: ModelDescription, dtype: string, quant: string | null, opts: QuantOptions = {}): WeightBreakdown {
  let bytes = 0;
  let quantizedParams = 0;
  let plainParams = 0;
  const perGroup: WeightBreakdown["perGroup"] = [];
  const gguf = isGgufQuant(quant) ? ggufGroupBytes(model, quant!) : null;
  model.tensors.forEach((g, i) => {
    // A file's quantized storage (GGUF blocks, int8, fp8) is kept unless the user asks for another format;
    // plain float tensors follow the workload dtype (frameworks cast them on load).
    // GGUF tensors are used exactly as stored (llama.cpp never casts them).
    const fromFile = quant == null && (model.source.kind === "gguf" || !isPlainFloat(g.dtype)) ? bytesFromFileDtype(g) : null;
    const all = gguf ? gguf[i] : (fromFile ?? tensorBytes(g, dtype, quant, opts)) * g.count;
    const n = numel(g.shape) * g.count;
    if (isQuantized(g, quant) && fromFile == null) quantizedParams += n;
    else plainParams += n;
    bytes += all;
    perGroup.push({ group: g, bytes: all / g.count });
  });
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
