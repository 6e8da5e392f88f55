/**
 * Weight bytes of a diffusion component, tensor by tensor from its layer graph, in the storage a backend
 * gives it: 16/32-bit, bitsandbytes (LLM.int8, NF4/FP4), torchao (int8/int4/fp8/fp6/fp4 weight-only),
 * optimum-quanto (int8/int4/fp8), GGUF block types (diffusers' GGUF loader) and diffusers' layerwise fp8 casting.
 * Also what the offload modes need: the bytes of each top-level module group and of the largest leaf module.
 *
 * Which tensors a backend converts:
 * - bitsandbytes / torchao / quanto / GGUF replace nn.Linear weights only (diffusers quantizers/*, transformers
 *   quantizers/*); conv, norm and embedding tensors stay in the compute dtype.
 * - transformers keeps T5's and UMT5's `wo` out of every quantizer (`_keep_in_fp32_modules = ["wo"]`,
 *   quantizers/base.py get_modules_to_not_convert), in fp32 when the dtype is fp16 (modeling_utils dtype plan)
 *   and with bitsandbytes (checked: the NF4 T5-XXL index in the catalog stores `wo` as fp32, without absmax).
 * - layerwise casting (hooks/layerwise_casting.py) stores nn.Linear/Conv weights and biases in fp8, except
 *   modules whose name matches DEFAULT_SKIP_MODULES_PATTERN ("pos_embed", "patch_embed", "norm",
 *   "^proj_in$", "^proj_out$") — the AdaLN `norm*.linear` modulation layers stay 16-bit.
 */
import { bnb4bitBytes } from "../core/precision.js";
import { VramfitError } from "../core/errors.js";
import { ggmlBlock, ggmlBytes } from "../ggml/types.js";
import type { VisionGraph } from "../vision/graph.js";
import { numelOf } from "../vision/graph.js";

export const QUANT_BACKENDS = ["bitsandbytes", "torchao", "quanto", "gguf", "layerwise"] as const;
export type QuantBackend = (typeof QUANT_BACKENDS)[number];

/** Weight formats of diffusion components (GGUF block types are accepted too: q4_0, q4_1, q8_0, q2_k, ...). */
export const DIFFUSION_QUANTS = ["int8", "nf4", "fp4", "int4", "fp8", "fp6"] as const;

/** The backend a quant type implies when none is named. */
export function defaultBackend(quant: string): QuantBackend {
  if (ggmlBlock(quant)) return "gguf";
  if (quant === "int8" || quant === "nf4" || quant === "fp4") return "bitsandbytes";
  return "torchao";
}

const SUPPORTED: Record<QuantBackend, readonly string[]> = {
  bitsandbytes: ["int8", "nf4", "fp4"],
  torchao: ["int8", "int4", "fp8", "fp6", "fp4"],
  quanto: ["int8", "int4", "fp8"],
  gguf: [],
  layerwise: ["fp8"],
};

export function checkQuant(quant: string, backend: QuantBackend): void {
  const ok = backend === "gguf" ? ggmlBlock(quant) !== undefined && quant !== "f32" && quant !== "f16" && quant !== "bf16" : SUPPORTED[backend].includes(quant);
  if (!ok) {
    const choices = backend === "gguf" ? "GGUF block types (q4_0, q4_1, q5_k, q8_0, q2_k, ...)" : SUPPORTED[backend].join(", ");
    throw new VramfitError("invalid_option", `${backend} does not store weights as '${quant}' (it offers ${choices})`, { details: { key: "quant" } });
  }
}

/** How one component's tensors are stored. */
export interface Storage {
  /** Bytes per element of unconverted tensors (2 for fp16/bf16, 4 for fp32). */
  dense: number;
  quant: string | null;
  backend: QuantBackend | null;
  /** bitsandbytes 4-bit double quantization (diffusers/transformers default: off). */
  doubleQuant?: boolean;
  /** Modules kept out of quantization, and their bytes per element (T5's `wo`). */
  keep?: { pattern: RegExp; bytes: number };
}

/**
 * Bytes of one nn.Linear weight [out, in] under a backend:
 * - bitsandbytes LLM.int8: int8 + fp32 SCB per row (Int8Params); NF4/FP4: src/core/precision.ts bnb4bitBytes;
 * - torchao int8/fp8 weight-only: one byte per weight + a per-row scale (bf16 scale + zero point, fp32 scale);
 *   int4 weight-only: packed nibbles + bf16 scale and zero per group of 128 (int4_weight_only defaults);
 *   fp6 / fp4 (fpx_weight_only): packed bits + an fp16 scale per row;
 * - quanto: int8/fp8 with a per-output-channel scale in the model dtype; int4 with scale and shift per group of 128;
 * - GGUF: the ggml block type's bytes per row (src/ggml/types.ts);
 * - layerwise: fp8 storage, one byte per weight.
 */
export function linearWeightBytes(out: number, inF: number, s: Storage): number {
  const n = out * inF;
  const q = s.quant!;
  switch (s.backend) {
    case "bitsandbytes":
      return q === "int8" ? n + 4 * out : bnb4bitBytes(n, s.doubleQuant ?? false);
    case "torchao":
      if (q === "int8") return n + 4 * out;
      if (q === "fp8") return n + 4 * out;
      if (q === "int4") return Math.ceil(n / 2) + Math.ceil(inF / 128) * out * 4;
      if (q === "fp6") return Math.ceil((n * 6) / 8) + 2 * out;
      return Math.ceil(n / 2) + 2 * out; // fp4
    case "quanto":
      if (q === "int4") return Math.ceil(n / 2) + Math.ceil(inF / 128) * out * 4;
      return n + 2 * out;
    case "gguf":
      return ggmlBytes(q, [inF, out]);
    case "layerwise":
      return n;
    default:
      return n * s.dense;
  }
}

/** One parameter-owning node of a component graph, with the module it belongs to. */
export interface ParamNode {
  /** Module path (down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q). */
  module: string;
  op: string;
  shapes: number[][];
}

export function paramNodes(g: VisionGraph): ParamNode[] {
  const out: ParamNode[] = [];
  for (const n of g.nodes) {
    if (n.shared || n.params.length === 0) continue;
    const dot = n.name.lastIndexOf(".");
    out.push({ module: dot < 0 ? "" : n.name.slice(0, dot), op: n.op, shapes: n.params });
  }
  return out;
}

/** Parameter count by kind (what a backend may convert). */
export function paramKinds(nodes: readonly ParamNode[]): Record<"linear_weight" | "linear_bias" | "conv" | "norm" | "embedding" | "other", number> {
  const k = { linear_weight: 0, linear_bias: 0, conv: 0, norm: 0, embedding: 0, other: 0 };
  for (const n of nodes) {
    const [w, ...rest] = n.shapes;
    if (n.op === "linear") {
      k.linear_weight += numelOf(w);
      for (const r of rest) k.linear_bias += numelOf(r);
    } else if (n.op === "conv2d" || n.op === "conv3d") for (const s of n.shapes) k.conv += numelOf(s);
    else if (/norm/.test(n.op)) for (const s of n.shapes) k.norm += numelOf(s);
    else if (n.op === "embedding") for (const s of n.shapes) k.embedding += numelOf(s);
    else for (const s of n.shapes) k.other += numelOf(s);
  }
  return k;
}

const LAYERWISE_SKIP = [/pos_embed/, /patch_embed/, /norm/, /^proj_in$/, /^proj_out$/];

/** Bytes of one node's parameters under a storage policy. */
export function nodeBytes(n: ParamNode, s: Storage): number {
  const kept = s.keep && s.keep.pattern.test(n.module);
  if (kept) return n.shapes.reduce((t, sh) => t + numelOf(sh) * s.keep!.bytes, 0);
  const [w, ...rest] = n.shapes;
  const dense = (sh: number[]) => numelOf(sh) * s.dense;
  if (s.quant && s.backend === "layerwise") {
    const cast = (n.op === "linear" || n.op === "conv2d" || n.op === "conv3d") && !LAYERWISE_SKIP.some((p) => p.test(n.module));
    return n.shapes.reduce((t, sh) => t + numelOf(sh) * (cast ? 1 : s.dense), 0);
  }
  if (s.quant && n.op === "linear") return linearWeightBytes(w[0], w[1], s) + rest.reduce((t, sh) => t + dense(sh), 0);
  return n.shapes.reduce((t, sh) => t + dense(sh), 0);
}

export interface WeightSummary {
  bytes: number;
  /** Bytes of each top-level module group as group offloading (block_level) forms them. */
  groups: { name: string; bytes: number; list: boolean }[];
  /** Bytes of the largest single module (what sequential CPU offload or leaf-level group offloading onloads at once). */
  largestLeaf: number;
  /** Bytes of the two largest consecutive leaf modules (leaf-level offloading with a prefetch stream). */
  largestLeafPair: number;
}

/**
 * Group offloading (hooks/group_offloading.py `_apply_group_offloading_block_level`): each top-level
 * nn.ModuleList child is split into groups of `blocksPerGroup` blocks; every other top-level child (and
 * parameters outside them) forms one "unmatched" group that stays onloaded for the whole forward.
 */
export function summarize(nodes: readonly ParamNode[], s: Storage, blocksPerGroup = 1, extraBytes = 0): WeightSummary {
  const groups = new Map<string, { bytes: number; list: boolean }>();
  let bytes = extraBytes;
  const leaves: number[] = [];
  for (const n of nodes) {
    const b = nodeBytes(n, s);
    bytes += b;
    leaves.push(b);
    const parts = n.module.split(".");
    const listIdx = parts.length > 1 && /^\d+$/.test(parts[1]) ? Number(parts[1]) : null;
    const key = listIdx === null ? "unmatched" : `${parts[0]}.${Math.floor(listIdx / blocksPerGroup) * blocksPerGroup}`;
    const g = groups.get(key) ?? { bytes: 0, list: listIdx !== null };
    g.bytes += b;
    groups.set(key, g);
  }
  const unmatched = groups.get("unmatched");
  if (unmatched) unmatched.bytes += extraBytes;
  else if (extraBytes) groups.set("unmatched", { bytes: extraBytes, list: false });
  let pair = 0;
  for (let i = 0; i < leaves.length; i++) pair = Math.max(pair, leaves[i] + (leaves[i + 1] ?? 0));
  return {
    bytes,
    groups: [...groups].map(([name, g]) => ({ name, ...g })),
    largestLeaf: leaves.reduce((m, x) => Math.max(m, x), 0),
    largestLeafPair: pair,
  };
}
