/**
 * Activations autograd saves for backward in one training step of a transformer, counted tensor by tensor
 * from what each op's backward formula needs (PyTorch tools/autograd/derivatives.yaml: an op saves only the
 * inputs the gradients of its differentiable inputs reference). docs/research/mechanics.md §3.2 and §9:
 * - nn.Linear saves its input only when its weight needs a gradient (or an adapter reads it); a frozen
 *   linear saves nothing but its weight, which is a parameter anyway.
 * - Under autocast every matmul casts its input to the compute dtype separately (only leaf weights are
 *   cached), so q, k and v each save their own 16-bit copy of the norm output; without autocast the
 *   three share one tensor.
 * - HF RMSNorm (LlamaRMSNorm.forward) saves an fp32 copy of its input (pow, mul) and the rsqrt, plus the
 *   normalized input when its weight trains; LayerNorm saves its input (fp32 under autocast) and mean/rstd.
 * - SDPA / flash attention save q, k, v, the output and the fp32 log-sum-exp (FlashAttention, arXiv
 *   2205.14135); transformers' SDPA path expands K/V with repeat_kv for grouped-query attention, flash
 *   attention 2 reads them unexpanded. Eager attention saves the b·heads·s² probabilities: the fp32
 *   softmax output (HF upcasts, autocast runs softmax in fp32), its 16-bit copy for the PV matmul, and a
 *   1-byte dropout mask when attention dropout is on (Korthikanti et al. 2022, arXiv 2205.05198).
 * - SwiGLU (LlamaMLP): act(gate) saves gate, the product saves act and up, down_proj saves the product;
 *   GELU saves its input, ReLU its output.
 * - Dropout saves a 1-byte mask (at::native_dropout); p = 0 returns the input and saves nothing.
 * - PEFT lora.Linear: lora_A saves its input (a cast copy under autocast: PEFT casts x to the adapter dtype,
 *   autocast casts it back), lora_dropout > 0 adds its mask.
 */
import type { TransformerModel as ModelDescription, TensorGroup, TransformerShape } from "../core/model.js";
import type { Attention } from "../core/workload.js";
import { isLinearWeight } from "./lora.js";

export type LinearRole = "attn_in" | "attn_inner" | "attn_out" | "mlp_in" | "mlp_out" | "router";

const MLP_IN = new Set(["gate_proj", "up_proj", "gate_up_proj", "c_fc", "fc1", "dense_h_to_4h", "w1", "w3"]);
const MLP_OUT = new Set(["down_proj", "fc2", "dense_4h_to_h", "w2"]);
const ATTN_OUT = new Set(["o_proj", "out_proj"]);

/** The role of a per-layer linear weight in the block, from its module name and path. */
export function linearRole(g: TensorGroup, hidden: number): LinearRole {
  if (g.kind === "router") return "router";
  const name = g.name;
  if (MLP_IN.has(g.module) || /\.intermediate\.dense\.weight$/.test(name)) return "mlp_in";
  if (MLP_OUT.has(g.module) || /\.mlp\.c_proj\.weight$/.test(name) || /\.\{L\}\.output\.dense\.weight$/.test(name)) return "mlp_out";
  if (ATTN_OUT.has(g.module) || /(attention\.output\.dense|attention\.dense|self_attention\.dense|attn\.c_proj)\.weight$/.test(name)) return "attn_out";
  return g.shape[1] === hidden ? "attn_in" : "attn_inner";
}

export interface ActivationContext {
  batch: number;
  seq: number;
  /** Bytes of matmul outputs (compute dtype). */
  compute: number;
  /** Bytes of the residual stream and of RMSNorm outputs (the weights' dtype). */
  residual: number;
  autocast: boolean;
  attention: Attention;
  /** Full fine-tuning: every weight trains. Otherwise only LoRA adapters (in `adapted`). */
  fullFineTune: boolean;
  /** Names of LoRA-adapted weight groups. */
  adapted: ReadonlySet<string>;
  /** Bytes per element of LoRA adapter weights. */
  adapterBytes: number;
  loraDropout: number;
  /** PyTorch < 1.11: softmax saves its input too (derivatives.yaml referenced `self`; fixed by pytorch#65242). */
  softmaxSavesInput?: boolean;
}

export interface ActivationBreakdown {
  /** Saved for backward by all decoder/encoder layers together. */
  layersBytes: number;
  /** Per layer (average), for checkpointing and the backward sweep. */
  perLayerBytes: number;
  /** Saved outside the layers: embedding dropout/LayerNorm, final norm, head input(s). */
  outsideBytes: number;
  /** One layer's backward working set (activation gradients) on top of what is saved. */
  layerBackwardTransient: number;
  /** With gradient checkpointing: what each layer keeps (its input). */
  checkpointPerLayer: number;
  /** Per-token bytes of one layer, for the formula. */
  perTokenPerLayer: number;
  formula: string;
}

interface Consumer {
  trainable: boolean;
  adapted: boolean;
}

/**
 * Bytes saved for backward per token by the linears reading one input of `width` values in `dtype` bytes.
 * `alreadySaved`: another op already keeps this very tensor (SDPA's output feeding o_proj, ReLU's output).
 */
function linearInputs(width: number, dtype: number, consumers: Consumer[], alreadySaved: boolean, ctx: ActivationContext): number {
  let shared = alreadySaved;
  let bytes = 0;
  for (const c of consumers) {
    if (c.trainable) {
      if (ctx.autocast && dtype !== ctx.compute) bytes += ctx.compute * width;
      else if (!shared) {
        bytes += dtype * width;
        shared = true;
      }
    }
    if (c.adapted) {
      const castTo = ctx.autocast ? ctx.compute : ctx.adapterBytes;
      if (ctx.loraDropout > 0) bytes += (1 + castTo) * width;
      else if (ctx.autocast || dtype !== ctx.adapterBytes) bytes += castTo * width;
      else if (!shared) {
        bytes += dtype * width;
        shared = true;
      }
    }
  }
  return bytes;
}

function normSaved(kind: "rms" | "layer", width: number, trainable: boolean, ctx: ActivationContext): number {
  if (kind === "rms") return 4 * width + 4 + (trainable ? ctx.residual * width : 0);
  return (ctx.autocast ? 4 : ctx.residual) * width + 8;
}

/** A tensor of the language model's repeated layers (a vision tower's layers are not run on text). */
function isLayerGroup(g: TensorGroup): boolean {
  return g.name.includes("{L}") && !isVisionTower(g);
}

function isVisionTower(g: TensorGroup): boolean {
  return g.name.startsWith("vision_tower.") || g.name.startsWith("multi_modal_projector.") || g.module.startsWith("vision_");
}

export function savedActivations(model: ModelDescription, ctx: ActivationContext): ActivationBreakdown {
  const shape = model.transformer;
  const L = shape.layers;
  const h = shape.hidden;
  const a = shape.heads;
  const s = ctx.seq;
  const T = ctx.batch * ctx.seq;
  const e = ctx.compute;
  const r = ctx.residual;
  const normOut = shape.norm === "layer" && ctx.autocast ? 4 : r;

  const mla = shape.mla;
  const qDim = mla ? a * (mla.qkNopeHeadDim + mla.qkRopeHeadDim) : a * shape.headDim;
  const kvDim = mla ? qDim : shape.kvHeads * shape.headDim;
  const vDim = mla ? a * mla.vHeadDim : kvDim;
  // transformers' SDPA and eager paths expand grouped K/V to all heads (repeat_kv); flash-attention 2 does not.
  const expand = ctx.attention !== "flash" && shape.kvHeads < a && !mla;
  const kW = expand ? qDim : kvDim;
  const vW = expand ? a * shape.headDim : vDim;
  const oDim = mla ? a * mla.vHeadDim : qDim;

  // Per-token bytes summed over all layers (so MoE and mixed layers add up exactly), then averaged.
  let perTokenAll = 0;
  const parts: string[] = [];

  // Norms inside the layers.
  let norms = 0;
  for (const g of model.tensors) {
    if (g.kind !== "norm" || !isLayerGroup(g) || !g.name.endsWith(".weight")) continue;
    let width = g.shape[0];
    if (width === shape.headDim && width !== h) width = g.module.startsWith("k") ? kvDim : qDim;
    norms += normSaved(shape.norm, width, ctx.fullFineTune, ctx) * g.count;
  }
  perTokenAll += norms;

  // Linear inputs, grouped by the tensor they read.
  const moe = shape.moe;
  const routedShare = (g: TensorGroup) => (g.expert && moe ? moe.expertsPerToken / moe.experts : 1);
  const byRole = new Map<LinearRole, { g: TensorGroup; c: Consumer }[]>();
  for (const g of model.tensors) {
    if (!isLinearWeight(g) || !isLayerGroup(g)) continue;
    const role = linearRole(g, h);
    const list = byRole.get(role) ?? [];
    list.push({ g, c: { trainable: ctx.fullFineTune, adapted: ctx.adapted.has(g.name) } });
    byRole.set(role, list);
  }
  const consumersPerLayer = (role: LinearRole, filter: (g: TensorGroup) => boolean = () => true) => {
    // Expand grouped consumers to one layer's worth: a group of count L is one consumer per layer.
    const out: Consumer[] = [];
    for (const { g, c } of byRole.get(role) ?? []) {
      if (!filter(g)) continue;
      const perLayer = Math.max(1, Math.round(g.count / L));
      for (let i = 0; i < perLayer; i++) out.push(c);
    }
    return out;
  };
  const layersWith = (role: LinearRole, filter: (g: TensorGroup) => boolean = () => true) => {
    let n = 0;
    for (const { g } of byRole.get(role) ?? []) if (filter(g)) n = Math.max(n, Math.min(L, g.count));
    return n;
  };
  const dense = (g: TensorGroup) => !g.expert;
  const linearBytes =
    linearInputs(h, normOut, consumersPerLayer("attn_in"), false, ctx) * layersWith("attn_in") +
    linearInputs(h, normOut, consumersPerLayer("mlp_in", dense), false, ctx) * layersWith("mlp_in", dense);
  let inner = 0;
  for (const { g, c } of byRole.get("attn_inner") ?? []) inner += linearInputs(g.shape[1], normOut, [c], false, ctx) * g.count;
  perTokenAll += linearBytes + inner;

  // Attention core.
  let core = e * (qDim + kW + vW);
  let probs = 0;
  if (ctx.attention === "eager") {
    // Llama-family eager attention upcasts the softmax to fp32 (softmax(..., dtype=torch.float32)); autocast
    // runs softmax in fp32 anyway; GPT-2/BERT-style code keeps the input dtype.
    const softmaxOut = ctx.autocast || shape.norm === "rms" ? 4 : e;
    const drop = shape.attentionDropout > 0;
    // Before PyTorch 1.11 the softmax also kept its input: the fp32 scores under autocast, else the scores.
    const softmaxIn = ctx.softmaxSavesInput ? (ctx.autocast ? 4 : e) : 0;
    const perScore = softmaxOut + (drop ? 1 : 0) + (softmaxOut !== e || drop ? e : 0) + softmaxIn;
    probs = a * s * perScore;
    core += probs;
  } else {
    core += e * oDim + 4 * a; // output + fp32 logsumexp
  }
  perTokenAll += core * L;
  const attnOut = linearInputs(oDim, e, consumersPerLayer("attn_out"), ctx.attention !== "eager", ctx) * layersWith("attn_out");
  perTokenAll += attnOut;

  // MLP internals and the down-projection input.
  const relu = /relu/i.test(shape.activation);
  let mlp = 0;
  for (const { g, c } of byRole.get("mlp_out") ?? []) {
    const I = g.shape[1];
    const share = routedShare(g);
    const internals = shape.mlp === "gated" ? 3 * e * I : relu ? 0 : e * I;
    mlp += (internals + linearInputs(I, e, [c], shape.mlp !== "gated" && relu, ctx)) * share * g.count;
    if (g.expert) {
      // Routed tokens: the gathered input read by the expert's gate/up (w1/w3), and the expert output
      // scaled by its routing weight (the mul saves the expert output).
      const ins = (byRole.get("mlp_in") ?? []).filter((x) => x.g.expert).map((x) => x.c);
      mlp += (linearInputs(h, normOut, ins, false, ctx) + e * h) * share * g.count;
    }
  }
  if (moe) mlp += 4 * moe.experts * moe.moeLayers; // router softmax in fp32
  perTokenAll += mlp;

  // Hidden dropout masks (BERT, GPT-2): after the attention output and after the MLP.
  if (shape.hiddenDropout > 0) perTokenAll += 2 * h * L;

  const perTokenPerLayer = perTokenAll / L;
  const layersBytes = Math.ceil(perTokenAll * T);
  const perLayerBytes = Math.ceil(perTokenPerLayer * T);

  // Outside the layers: embedding LayerNorm/dropout, final norm, LM-head inputs.
  let outside = 0;
  for (const g of model.tensors) {
    if (g.kind !== "norm" || g.name.includes("{L}") || isVisionTower(g) || !g.name.endsWith(".weight")) continue;
    outside += normSaved(shape.norm, g.shape[0], ctx.fullFineTune, ctx);
  }
  if (shape.hiddenDropout > 0) outside += h; // embedding dropout mask
  const heads = lmHeadGroups(model);
  for (const hg of heads) {
    outside += linearInputs(h, normOut, [{ trainable: ctx.fullFineTune, adapted: ctx.adapted.has(hg.name) }], false, ctx);
  }
  const mlmTransform = model.tensors.find((g) => /predictions\.transform\.dense\.weight$|^lm_head\.dense\.weight$/.test(g.name));
  if (mlmTransform) outside += linearInputs(h, r, [{ trainable: ctx.fullFineTune, adapted: false }], false, ctx) + e * h;
  const outsideBytes = Math.ceil(outside * T);

  // Backward of one layer: gradients of its activations on top of what is saved.
  const I = shape.moe ? shape.moe.expertIntermediate * shape.moe.expertsPerToken : shape.intermediate;
  const mlpT = (shape.mlp === "gated" ? 3 : 2) * e * I + 2 * Math.max(r, 4) * h;
  const attnT = e * (qDim + kW + vW) + 2 * Math.max(r, 4) * h + (ctx.attention === "eager" ? 8 * a * s : 0);
  const layerBackwardTransient = Math.ceil(Math.max(mlpT, attnT) * T);

  parts.push(`${Math.round(perTokenPerLayer)} B/token/layer`);
  if (ctx.attention === "eager") parts.push(`incl. ${a}·${s} attention probabilities per token`);
  const formula = `${L} layers × T=${T} tokens × ${parts.join(" ")} (norms, linear inputs${ctx.autocast ? " cast per matmul" : ""}, ${ctx.attention === "eager" ? "eager attention" : "SDPA/flash q,k,v,out,lse"}, ${shape.mlp === "gated" ? "SwiGLU" : "MLP"}) + ${Math.round(outside)} B/token outside the layers`;
  return {
    layersBytes,
    perLayerBytes,
    outsideBytes,
    layerBackwardTransient,
    checkpointPerLayer: r * h * T,
    perTokenPerLayer,
    formula,
  };
}

/** Weight groups that compute the vocabulary logits (lm_head, or the tied embedding of a decoder). */
export function lmHeadGroups(model: ModelDescription): TensorGroup[] {
  const shape = model.transformer;
  const head = model.tensors.filter((g) => g.kind === "lm_head");
  if (head.length > 0) return head;
  if (!hasVocabHead(model)) return [];
  const emb = model.tensors.find((g) => g.kind === "embedding" && g.shape[0] === shape.vocab);
  return emb ? [emb] : [];
}

/** Does the model compute logits over the vocabulary (causal LM, masked LM) rather than a small classifier? */
export function hasVocabHead(model: ModelDescription): boolean {
  const shape = model.transformer;
  if (!shape.encoderOnly) return true;
  return model.tensors.some((g) => /predictions\.bias$|^lm_head\./.test(g.name));
}

export function shapeOf(model: ModelDescription): TransformerShape {
  return model.transformer;
}
