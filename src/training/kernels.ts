/**
 * Fused kernels and compilation: what they stop autograd from saving, as a change to the activations that
 * activations.ts counts for transformers' eager modules. Each rule compares what the eager ops save with what the
 * fused op saves, from the same shape:
 *
 * - Fused RMSNorm (Liger `LigerRMSNormFunction`, Unsloth/foak `fast_rms_layernorm`: `ctx.save_for_backward(X, W, r)`,
 *   unsloth/kernels/rms_layernorm.py; torch.compile) saves the input in its own dtype and an fp32 rstd per row,
 *   instead of transformers' fp32 copy of the input, the rsqrt and (when the weight trains) the normalized input.
 * - Fused SwiGLU (Liger `LigerSiLUMulFunction`, swiglu.py `ctx.save_for_backward(a, b)`; torch.compile) saves the
 *   gate and up projections only; silu(gate) is recomputed in backward.
 * - torch.compile: AOTAutograd's min-cut partitioner (torch/_functorch/partitioners.py,
 *   min_cut_rematerialization_partition, the default for compiled training) recomputes fusible pointwise ops in
 *   backward rather than saving their outputs, so the RMSNorm upcast and the SiLU output are not kept: the same
 *   two rules as the fused kernels.
 * - Fused LoRA ops (Unsloth `LoRA_MLP` / `LoRA_QKV` / `LoRA_W`, unsloth/kernels/fast_lora.py; the same code in
 *   fms-acceleration foak and axolotl's lora_*_kernel): `LoRA_MLP` saves X, e = gate(X), g = up(X) (fast_lora.py#L110);
 *   `LoRA_QKV` saves X once for q, k and v; `LoRA_W` saves its input, the attention output autograd keeps anyway.
 *   Applied when all of gate/up/down (resp. q/k/v) carry adapters, as both libraries require.
 * The eager side of each rule is measured with activations.ts itself (the same model with and without those
 * adapters), so the two stay consistent.
 */
import type { TransformerModel as ModelDescription, TensorGroup } from "../core/model.js";
import { linearRole, savedActivations, type ActivationBreakdown, type ActivationContext } from "./activations.js";

export interface Kernels {
  /** Fused RMSNorm (Liger, Unsloth/foak, torch.compile). */
  rmsNorm: boolean;
  /** Fused SwiGLU (Liger, torch.compile). */
  swiglu: boolean;
  /** Unsloth-style fused LoRA autograd functions (Unsloth, foak, axolotl lora kernels). */
  loraFused: boolean;
  /** bitsandbytes < 0.43.2: every 4-bit linear keeps its input (MatMul4Bit `ctx.tensors = (A, B)`, fixed by bitsandbytes#1270). */
  bnb4bitSavesInput?: boolean;
}

export const NO_KERNELS: Kernels = { rmsNorm: false, swiglu: false, loraFused: false };

const MLP = ["gate_proj", "up_proj", "down_proj"];
const QKV = ["q_proj", "k_proj", "v_proj"];
const O = ["o_proj"];

function inLayers(g: TensorGroup): boolean {
  return g.name.includes("{L}");
}

/** The adapted dense groups of one module family in the layers, when every one of `modules` is adapted. */
function fullyAdapted(model: ModelDescription, adapted: ReadonlySet<string>, modules: string[]): string[] | null {
  const groups = model.tensors.filter((g) => inLayers(g) && !g.expert && modules.includes(g.module) && g.name.endsWith(".weight"));
  if (groups.length === 0) return null;
  const present = new Set(groups.map((g) => g.module));
  if (modules.some((m) => !present.has(m))) return null;
  return groups.every((g) => adapted.has(g.name)) ? groups.map((g) => g.name) : null;
}

/**
 * The activations with the kernels applied. `ctx` is the context the eager activations were counted with.
 * Returns the same object when no kernel changes anything.
 */
export function applyKernels(model: ModelDescription, acts: ActivationBreakdown, ctx: ActivationContext, k: Kernels): ActivationBreakdown {
  if (!k.rmsNorm && !k.swiglu && !k.loraFused && !k.bnb4bitSavesInput) return acts;
  const shape = model.transformer;
  const L = shape.layers;
  const h = shape.hidden;
  const e = ctx.compute;
  const r = ctx.residual;
  const T = ctx.batch * ctx.seq;
  const base = acts.perTokenPerLayer * L; // all layers, per token
  let perToken = base;
  let outside = acts.outsideBytes / T;
  const notes: string[] = [];

  // Fused LoRA ops first: LoRA_MLP also takes over the SwiGLU internals.
  let mlpFused = false;
  if (k.loraFused && !ctx.fullFineTune && ctx.adapted.size > 0) {
    const without = (names: string[]) => {
      const rest = new Set([...ctx.adapted].filter((n) => !names.includes(n)));
      return savedActivations(model, { ...ctx, adapted: rest }).perTokenPerLayer * L;
    };
    const mlp = fullyAdapted(model, ctx.adapted, MLP);
    if (mlp && shape.mlp === "gated") {
      const eager = base - without(mlp);
      const I = denseIntermediate(model);
      // Eager keeps the adapters' inputs (counted in `eager`) and silu(gate); LoRA_MLP keeps X, gate and up.
      perToken += -eager + layersWith(model, "down_proj") * (e * h - e * I);
      mlpFused = true;
      notes.push("fused LoRA MLP saves X, gate and up");
    }
    const qkv = fullyAdapted(model, ctx.adapted, QKV);
    if (qkv) {
      const eager = base - without(qkv);
      perToken += -eager + layersWith(model, "q_proj") * e * h;
      notes.push("fused LoRA QKV saves X once");
    }
    const o = fullyAdapted(model, ctx.adapted, O);
    if (o) {
      perToken -= base - without(o);
      notes.push("fused LoRA O reuses the attention output");
    }
  }

  if (k.rmsNorm && shape.norm === "rms") {
    // Eager (activations.ts normSaved): 4·w + 4 + (trainable ? r·w : 0); fused: r·w + 4.
    const delta = (w: number) => 4 * w + (ctx.fullFineTune ? r * w : 0) - r * w;
    for (const g of model.tensors) {
      if (g.kind !== "norm" || !g.name.endsWith(".weight") || g.shape[0] !== h) continue;
      if (inLayers(g)) perToken -= delta(h) * g.count;
      else if (!g.name.startsWith("vision_")) outside -= delta(h);
    }
    notes.push("fused RMSNorm saves its input and rstd");
  }

  if (k.swiglu && shape.mlp === "gated" && !mlpFused) {
    // silu(gate) is recomputed: e·I less per MLP (routed experts weighted by their share of tokens).
    const moe = shape.moe;
    for (const g of model.tensors) {
      if (!inLayers(g) || g.kind !== "linear" || !["down_proj", "w2"].includes(g.module) || !g.name.endsWith(".weight")) continue;
      const share = g.expert && moe ? moe.expertsPerToken / moe.experts : 1;
      perToken -= e * g.shape[1] * share * g.count;
    }
    notes.push("fused SwiGLU saves gate and up");
  }

  if (k.bnb4bitSavesInput) {
    // Each distinct input of the 4-bit linears stays alive: the attention input (shared by q/k/v), the attention
    // output read by o_proj, the MLP input (shared by gate/up) and the down projection's input. An input an adapter
    // already keeps as the same tensor (no autocast cast in between) is not counted twice.
    const roles = new Map<string, { adapted: boolean; width: number; layers: number }>();
    for (const g of model.tensors) {
      if (!inLayers(g) || g.kind !== "linear" || !g.name.endsWith(".weight") || g.expert) continue;
      const role = linearRole(g, h);
      if (role === "attn_inner" || role === "router") continue;
      const r0 = roles.get(role) ?? { adapted: false, width: g.shape[1], layers: 0 };
      r0.adapted ||= ctx.adapted.has(g.name);
      r0.layers = Math.max(r0.layers, Math.min(L, g.count));
      roles.set(role, r0);
    }
    let added = 0;
    for (const r0 of roles.values()) if (!(r0.adapted && !ctx.autocast)) added += e * r0.width * r0.layers;
    perToken += added;
    notes.push("bitsandbytes < 0.43.2 keeps every 4-bit linear's input");
  }

  perToken = Math.max(0, perToken);
  const perTokenPerLayer = perToken / L;
  return {
    ...acts,
    layersBytes: Math.ceil(perToken * T),
    perLayerBytes: Math.ceil(perTokenPerLayer * T),
    outsideBytes: Math.ceil(Math.max(0, outside) * T),
    perTokenPerLayer,
    formula: `${acts.formula}; kernels: ${notes.join(", ")} → ${Math.round(perTokenPerLayer)} B/token/layer`,
  };
}

function denseIntermediate(model: ModelDescription): number {
  const g = model.tensors.find((x) => inLayers(x) && !x.expert && x.module === "down_proj" && x.name.endsWith(".weight"));
  return g ? g.shape[1] : model.transformer.intermediate;
}

/** Layers that have a module (its group count, capped at the layer count). */
function layersWith(model: ModelDescription, module: string): number {
  let n = 0;
  for (const g of model.tensors) if (inLayers(g) && !g.expert && g.module === module && g.name.endsWith(".weight")) n = Math.max(n, Math.min(model.transformer.layers, g.count));
  return n;
}
