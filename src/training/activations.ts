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
 *   GemmaRMSNorm (gemma, gemma2, gemma3) multiplies by (1 + w.float()) in fp32 before casting back, so the
 *   normalized input it keeps for the weight gradient is fp32 whatever the model dtype, and (1 + w) itself
 *   is saved once per norm (modeling_gemma2.py @006e869, Gemma2RMSNorm).
 * - SDPA / flash attention save q, k, v, the output and the fp32 log-sum-exp (FlashAttention, arXiv
 *   2205.14135). Grouped K/V: eager attention always expands them (repeat_kv); transformers' SDPA path
 *   passes enable_gqa=True instead when torch ≥ 2.5 and no attention mask is given
 *   (integrations/sdpa_attention.py @00c238bd `use_gqa_in_sdpa`, transformers PR #39412, July 2025), so
 *   the kernel saves K/V at kv_heads; a padded batch (a mask) or older torch/transformers expands them;
 *   flash-attention 2 never does. `kvExpanded` says which (the training engine decides from the workload).
 *   Eager attention saves the b·heads·s² probabilities: the fp32 softmax output (HF upcasts, autocast runs
 *   softmax in fp32), its 16-bit copy for the PV matmul, a 1-byte dropout mask when attention dropout is
 *   on (Korthikanti et al. 2022, arXiv 2205.05198), and for Gemma 2 the tanh of the soft-capped scores.
 * - SwiGLU (LlamaMLP): act(gate) saves gate, the product saves act and up, down_proj saves the product;
 *   GELU saves its input, ReLU its output.
 * - MoE (MixtralSparseMoeBlock, modeling_mixtral.py @00d4b3d): the router linear saves its input; the
 *   router softmax its fp32 output; topk its int64 indices; the in-place renormalisation a clone of the
 *   top-k weights and their sum; per routed row the two int64 index rows of torch.where, the gathered
 *   routing weight, the expert output (the mul) and index_add_'s source (the weighted output).
 * - Dropout saves a 1-byte mask (at::native_dropout); p = 0 returns the input and saves nothing.
 * - PEFT lora.Linear (tuners/lora/layer.py @5d602fd): lora_A saves its input (x cast to the adapter dtype:
 *   a copy per adapter when the dtypes differ; under autocast the compute-dtype cast), lora_B saves
 *   lora_A's output (rank values per token), lora_dropout > 0 adds its mask.
 *
 * Besides what is saved, one layer's backward needs a working set; `layerBackward*` give it per moment,
 * measured exactly on CPU under torch 2.13 (bench/torch2/COMPARISON.md, items 2 and 3;
 * bench/accuracy/llm-cpu-torch2-blocks.jsonl, checked by torch2-ground-truth.spec.ts).
 */
import type { TransformerModel as ModelDescription, TensorGroup, TransformerShape } from "../core/model.js";
import { numel } from "../core/model.js";
import type { Attention } from "../core/workload.js";
import { isLinearWeight } from "./lora.js";

export type LinearRole = "attn_in" | "attn_inner" | "attn_out" | "mlp_in" | "mlp_out" | "router";

const MLP_IN = new Set(["gate_proj", "up_proj", "gate_up_proj", "c_fc", "fc1", "dense_h_to_4h", "w1", "w3"]);
const MLP_OUT = new Set(["down_proj", "fc2", "dense_4h_to_h", "w2"]);
const ATTN_OUT = new Set(["o_proj", "out_proj"]);
/** Norms applied before attention (or inside it): their backward runs after the attention's. */
/** Norms applied to the MLP's output (Gemma 2): their backward runs before the MLP's. */
const POST_MLP_NORM = /(^|\.)post_feedforward_layernorm\.weight$/;
/** The norm a pre-norm layer applies to its input first (its backward ends the layer's). */
const INPUT_NORM = /(^|\.)(input_layernorm|ln_1|attention_norm|ln_attn|self_attn_layer_norm|norm1)\.weight$/;
const ATTN_SIDE_NORM = /(^|\.)(input_layernorm|ln_1|attention_norm|ln_attn|self_attn_layer_norm|norm1|q_norm|k_norm|q_layernorm|k_layernorm|q_a_layernorm|kv_a_layernorm)\.weight$/;

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
  /** LoRA rank: lora_B saves lora_A's output (rank values per token). 0/absent: not counted. */
  loraRank?: number;
  /** PyTorch < 1.11: softmax saves its input too (derivatives.yaml referenced `self`; fixed by pytorch#65242). */
  softmaxSavesInput?: boolean;
  /**
   * Grouped K/V reach the attention kernel expanded to every query head (repeat_kv). Eager attention
   * always expands. Default (absent): every attention but flash-attention 2, the torch-1 / pre-4.54
   * transformers behaviour.
   */
  kvExpanded?: boolean;
  /** Bytes per element of a trainable base weight's gradient (full fine-tuning). Default: `residual`. */
  gradBytes?: number;
  /**
   * Bytes per element of autocast's compute-dtype copy of one base weight of group `g` (0: none; the
   * engine decides from the stored dtype and quantization). Default: `compute` for every linear under
   * autocast with full fine-tuning, else 0.
   */
  weightCast?: (g: TensorGroup) => number;
}

export interface ActivationBreakdown {
  /** Saved for backward by all decoder/encoder layers together. */
  layersBytes: number;
  /** Per layer (average), for checkpointing and the backward sweep. */
  perLayerBytes: number;
  /** Saved outside the layers: embedding dropout/LayerNorm, final norm, head input(s). */
  outsideBytes: number;
  /** Autocast weight copies one layer's matmuls save (average layer), adapters included. */
  castPerLayer: number;
  /**
   * One layer's backward working set on top of its saved tensors and weight copies, at its largest moment,
   * when every parameter gradient is accumulated into a gradient that already exists (gradient
   * accumulation, set_to_none=False, offloaded or in-backward optimizers): only the gradient being produced
   * counts.
   */
  layerBackwardTransient: number;
  /**
   * The same when gradients start as None (set_to_none=True, the default since PyTorch 2.0): the layer's
   * own gradients appear during its backward and stay, so those produced before the moment count too.
   */
  layerBackwardTransientFresh: number;
  /** With gradient checkpointing: what each layer keeps (its input). */
  checkpointPerLayer: number;
  /**
   * Bytes of the layer's input that its own saved tensors already hold (an fp32 RMSNorm input is saved as
   * itself): the recomputed layer saves it again as the same storage the checkpoint keeps.
   */
  checkpointInputShared: number;
  /** Per-token bytes of one layer, for the formula. */
  perTokenPerLayer: number;
  /** Which moment sets the layer's backward working set. */
  backwardMoment: "mlp" | "attention";
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

/** GemmaRMSNorm: (1 + w) applied in fp32 (gemma, gemma2, gemma3 text models). */
export function gemmaStyleNorm(model: ModelDescription): boolean {
  return /^gemma($|2$|3)/.test(model.architecture);
}

function normSaved(kind: "rms" | "layer", width: number, trainable: boolean, gemma: boolean, ctx: ActivationContext): number {
  if (kind === "rms") return 4 * width + 4 + (trainable ? (gemma ? 4 : ctx.residual) * width : 0);
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
  const g = ctx.gradBytes ?? r;
  const normOut = shape.norm === "layer" && ctx.autocast ? 4 : r;
  const gemma = gemmaStyleNorm(model);
  const rank = ctx.loraRank ?? 0;
  const weightCast = ctx.weightCast ?? ((x: TensorGroup) => (ctx.autocast && ctx.fullFineTune && isLinearWeight(x) ? e : 0));

  const mla = shape.mla;
  const qDim = mla ? a * (mla.qkNopeHeadDim + mla.qkRopeHeadDim) : a * shape.headDim;
  const kvDim = mla ? qDim : shape.kvHeads * shape.headDim;
  const vDim = mla ? a * mla.vHeadDim : kvDim;
  // Eager attention always runs repeat_kv; SDPA follows the context; flash-attention 2 reads K/V as they are.
  const expandedPath = ctx.attention === "eager" || (ctx.attention === "sdpa" && (ctx.kvExpanded ?? true));
  const expand = expandedPath && shape.kvHeads < a && !mla;
  const kW = expand ? qDim : kvDim;
  const vW = expand ? a * shape.headDim : vDim;
  const oDim = mla ? a * mla.vHeadDim : qDim;

  // Per-token bytes summed over all layers (so MoE and mixed layers add up exactly), then averaged;
  // split by the side of the layer whose backward frees them (attention side: freed last).
  let attnTok = 0;
  let mlpTok = 0;
  let postMlpTok = 0; // part of mlpTok saved after the down projection (freed before its backward)
  let inputNormTok = 0; // what the layer's first norm saved
  let constAll = 0; // per-layer tensors that do not scale with tokens ((1 + w) of Gemma norms)
  const parts: string[] = [];

  // Norms inside the layers.
  for (const n of model.tensors) {
    if (n.kind !== "norm" || !isLayerGroup(n) || !n.name.endsWith(".weight")) continue;
    let width = n.shape[0];
    if (width === shape.headDim && width !== h) width = n.module.startsWith("k") ? kvDim : qDim;
    const bytes = normSaved(shape.norm, width, ctx.fullFineTune, gemma, ctx) * n.count;
    if (ATTN_SIDE_NORM.test(n.name)) attnTok += bytes;
    else mlpTok += bytes;
    if (POST_MLP_NORM.test(n.name)) postMlpTok += bytes;
    if (INPUT_NORM.test(n.name)) inputNormTok += bytes;
    if (gemma && shape.norm === "rms") constAll += 4 * n.shape[0] * n.count;
  }

  // Linear inputs, grouped by the tensor they read.
  const moe = shape.moe;
  const routedShare = (x: TensorGroup) => (x.expert && moe ? moe.expertsPerToken / moe.experts : 1);
  const byRole = new Map<LinearRole, { g: TensorGroup; c: Consumer }[]>();
  for (const x of model.tensors) {
    if (!isLinearWeight(x) || !isLayerGroup(x)) continue;
    const role = linearRole(x, h);
    const list = byRole.get(role) ?? [];
    list.push({ g: x, c: { trainable: ctx.fullFineTune, adapted: ctx.adapted.has(x.name) } });
    byRole.set(role, list);
  }
  const consumersPerLayer = (role: LinearRole, filter: (x: TensorGroup) => boolean = () => true) => {
    // Expand grouped consumers to one layer's worth: a group of count L is one consumer per layer.
    const out: Consumer[] = [];
    for (const { g: x, c } of byRole.get(role) ?? []) {
      if (!filter(x)) continue;
      const perLayer = Math.max(1, Math.round(x.count / L));
      for (let i = 0; i < perLayer; i++) out.push(c);
    }
    return out;
  };
  const layersWith = (role: LinearRole, filter: (x: TensorGroup) => boolean = () => true) => {
    let n = 0;
    for (const { g: x } of byRole.get(role) ?? []) if (filter(x)) n = Math.max(n, Math.min(L, x.count));
    return n;
  };
  const dense = (x: TensorGroup) => !x.expert;
  attnTok += linearInputs(h, normOut, consumersPerLayer("attn_in"), false, ctx) * layersWith("attn_in");
  mlpTok += linearInputs(h, normOut, consumersPerLayer("mlp_in", dense), false, ctx) * layersWith("mlp_in", dense);
  for (const { g: x, c } of byRole.get("attn_inner") ?? []) attnTok += linearInputs(x.shape[1], normOut, [c], false, ctx) * x.count;

  // Attention core.
  let core = e * (qDim + kW + vW);
  if (ctx.attention === "eager") {
    // Llama-family eager attention upcasts the softmax to fp32 (softmax(..., dtype=torch.float32)); autocast
    // runs softmax in fp32 anyway; GPT-2/BERT-style code keeps the input dtype.
    const softmaxOut = ctx.autocast || shape.norm === "rms" ? 4 : e;
    const drop = shape.attentionDropout > 0;
    // Before PyTorch 1.11 the softmax also kept its input: the fp32 scores under autocast, else the scores.
    const softmaxIn = ctx.softmaxSavesInput ? (ctx.autocast ? 4 : e) : 0;
    // Gemma 2 soft-caps the scores (tanh(w / cap) · cap): tanh saves its output, in the scores' dtype.
    const softcap = model.architecture === "gemma2" ? e : 0;
    const perScore = softmaxOut + (drop ? 1 : 0) + (softmaxOut !== e || drop ? e : 0) + softmaxIn + softcap;
    core += a * s * perScore;
  } else {
    core += e * oDim + 4 * a; // output + fp32 logsumexp
  }
  attnTok += core * L;
  attnTok += linearInputs(oDim, e, consumersPerLayer("attn_out"), ctx.attention !== "eager", ctx) * layersWith("attn_out");

  // MLP internals and the down-projection input.
  const relu = /relu/i.test(shape.activation);
  for (const { g: x, c } of byRole.get("mlp_out") ?? []) {
    const I = x.shape[1];
    const share = routedShare(x);
    const internals = shape.mlp === "gated" ? 3 * e * I : relu ? 0 : e * I;
    mlpTok += (internals + linearInputs(I, e, [c], shape.mlp !== "gated" && relu, ctx)) * share * x.count;
    if (x.expert) {
      // Routed tokens: the gathered input read by the expert's gate/up (w1/w3), the expert output the
      // routing-weight mul saves, index_add_'s source (expert output × weight: fp32 under autocast, where the
      // weights follow the fp32 hidden states), the gathered routing weight and torch.where's two int64 rows.
      const ins = (byRole.get("mlp_in") ?? []).filter((y) => y.g.expert).map((y) => y.c);
      const rw = normOut; // routing_weights.to(hidden_states.dtype)
      const weighted = Math.max(e, rw); // bf16 expert output × fp32 weight promotes to fp32
      mlpTok += (linearInputs(h, normOut, ins, false, ctx) + e * h + weighted * h + rw + 16) * share * x.count;
    }
  }
  if (moe) {
    const k = moe.expertsPerToken;
    // Router: its input, the fp32 softmax, topk's int64 indices, the renormalised weights' clone and sum.
    const routers = byRole.get("router") ?? [];
    let routerIn = 0;
    for (const { g: x, c } of routers) routerIn += linearInputs(h, normOut, [c], false, ctx) * x.count;
    mlpTok += routerIn + (4 * moe.experts + 8 * k + 4 * k + 4) * moe.moeLayers;
  }

  // LoRA: lora_B keeps lora_A's output (rank values in the adapter dtype, the compute dtype under autocast).
  if (rank > 0) {
    for (const [role, list] of byRole) {
      for (const { g: x, c } of list) {
        if (!c.adapted) continue;
        const b = rank * (ctx.autocast ? e : ctx.adapterBytes) * x.count * routedShare(x);
        if (role === "attn_in" || role === "attn_inner" || role === "attn_out") attnTok += b;
        else mlpTok += b;
      }
    }
  }

  // Hidden dropout masks (BERT, GPT-2): after the attention output and after the MLP.
  if (shape.hiddenDropout > 0) {
    attnTok += h * L;
    mlpTok += h * L;
  }

  const perTokenAll = attnTok + mlpTok;
  const perTokenPerLayer = perTokenAll / L;
  const layersBytes = Math.ceil(perTokenAll * T + constAll);
  const perLayerBytes = Math.ceil(perTokenPerLayer * T + constAll / L);
  const attnPerLayer = (attnTok / L) * T;

  // Autocast weight copies and the trainable weights' gradient bytes of one (average) layer, by side.
  let castAttn = 0;
  let castMlp = 0;
  let gradMlpSide = 0; // MLP weights and the norms freed before attention's backward
  let gradLayer = 0; // every trainable weight of the layer
  let gradAttnOut = 0;
  let gradDownOne = 0; // the down projection's weight gradient (one expert's for MoE)
  let gradExpertOne = 0; // one expert's weight gradients
  let castDownOne = 0; // the down projection's weight copy (one expert's for MoE)
  for (const x of model.tensors) {
    if (!isLayerGroup(x)) continue;
    const n = numel(x.shape) * x.count;
    const role = isLinearWeight(x) ? linearRole(x, h) : null;
    const mlpSide = role === "mlp_in" || role === "mlp_out" || role === "router" || (x.kind === "norm" && !ATTN_SIDE_NORM.test(x.name) && x.name.endsWith(".weight"));
    if (role) {
      const c = weightCast(x) * n;
      if (mlpSide) castMlp += c;
      else castAttn += c;
      if (role === "mlp_out") castDownOne = Math.max(castDownOne, weightCast(x) * numel(x.shape));
    }
    if (ctx.fullFineTune) {
      gradLayer += n * g;
      if (mlpSide) gradMlpSide += n * g;
      if (role === "attn_out") gradAttnOut += n * g;
      if (role === "mlp_out") gradDownOne = Math.max(gradDownOne, numel(x.shape) * g);
      if (x.expert && role) gradExpertOne += numel(x.shape) * g * (x.count / (L * (moe?.experts ?? 1)));
    }
    if (ctx.adapted.has(x.name) && rank > 0) {
      const [out, inp] = x.shape;
      const adapterN = rank * (inp + out) * x.count;
      if (ctx.autocast && ctx.adapterBytes !== e) {
        if (mlpSide) castMlp += adapterN * e;
        else castAttn += adapterN * e;
      }
      const ga = adapterN * ctx.adapterBytes;
      gradLayer += ga;
      if (mlpSide) gradMlpSide += ga;
      if (role === "attn_out") gradAttnOut += ga;
      if (role === "mlp_out") gradDownOne = Math.max(gradDownOne, rank * (inp + out) * ctx.adapterBytes);
    }
  }
  castAttn /= L;
  castMlp /= L;
  gradMlpSide /= L;
  gradAttnOut /= L;
  gradLayer /= L;
  const castPerLayer = Math.ceil(castAttn + castMlp);

  // ---- One layer's backward, moment by moment (bench/torch2/COMPARISON.md items 2 and 3). ----
  // r = bytes of the residual-stream gradient. Gated MLP, in the order autograd runs it:
  //  (a) down_proj's backward: the incoming gradient (and its cast to the compute dtype when the MLP's output
  //      was promoted into an fp32 residual under autocast), down_proj's input gradient and its weight
  //      gradient, in the compute dtype under autocast;
  //  (b) under autocast, that weight gradient cast to the master dtype (ToCopyBackward of autocast's weight
  //      copy): down_proj's saved input and weight copy are freed by then;
  //  (c) the SwiGLU product's MulBackward: the product's gradient and the two it makes, with the incoming
  //      gradient; what down_proj's consumers saved of the product is freed by then (the product itself for
  //      a trainable down_proj, an adapter's dropout mask and dropped copy or its dtype cast, lora_A's
  //      output), and down_proj's weight copy.
  // What ops after the MLP saved (Gemma 2's post-MLP norm) is freed before all three.
  const I = shape.moe ? shape.moe.expertIntermediate : shape.intermediate;
  const postMlp = (postMlpTok / L) * T;
  const downIn = (byRole.get("mlp_out") ?? [])[0]?.c;
  const downSaved = downIn ? linearInputs(I, e, [downIn], false, ctx) + (downIn.adapted ? rank * (ctx.autocast ? e : ctx.adapterBytes) : 0) : 0;
  const productFreed = !!downIn && downIn.trainable;
  const castDown = ctx.fullFineTune ? castDownOne : 0;
  const dyCast = ctx.autocast && r !== e ? e * h : 0;
  let mlpPersist: number;
  let mlpFresh: number;
  if (shape.moe) {
    // One expert at a time: the incoming gradient and the busiest expert's rows (even routing: T·k/E) through
    // its down projection's input gradient and the product it saved; under set_to_none the expert's weight
    // gradients accumulate as it goes.
    const rows = Math.ceil((T * shape.moe.expertsPerToken) / shape.moe.experts);
    const expert = rows * e * (I + h);
    mlpPersist = T * r * h + expert - postMlp;
    mlpFresh = T * r * h + expert + gradExpertOne - postMlp;
  } else {
    const grads = shape.mlp === "gated" ? 3 : relu ? 3 : 2;
    const down = T * (r * h + dyCast + e * I) + (castDown > 0 ? castDown : gradDownOne) - postMlp;
    const cast = castDown > 0 ? T * (r * h + (productFreed ? 0 : e * I)) + gradDownOne - postMlp : 0;
    const mul = T * (r * h + grads * e * I - downSaved) - postMlp - castDownOne;
    mlpPersist = Math.max(down, cast, mul);
    mlpFresh = Math.max(down, cast, mul + gradDownOne);
  }
  // Attention: what the attention side saved, its weight copies, the gradients of the attention output
  // and of the residual, and the kernel's backward: for SDPA/flash dq, dk, dv; for eager the gradients of
  // the probabilities while the fp32 softmax output is still saved (SoftmaxBackward: its incoming and
  // outgoing gradients, 4 B each per score).
  let attnWork = T * (r * h + e * oDim);
  if (ctx.attention === "eager") attnWork += ctx.batch * a * s * s * 8 - (e !== 4 ? T * a * s * e : 0);
  else attnWork += T * e * (qDim + kW + vW);
  const attnPersist = attnPerLayer + castAttn + attnWork;
  const attnFresh = attnPersist + gradMlpSide + gradAttnOut;
  const savedLayer = perLayerBytes + castPerLayer;
  // RMSNorm's backward runs in fp32 (the input was upcast): the incoming gradient and four fp32 vectors
  // (the upcast gradient, its product with rsqrt, pow's and the division's) — measured on Gemma 2's post-MLP
  // norm, the first op a Gemma 2 layer back-propagates, with everything still saved. The layer's input norm
  // ends its backward: with set_to_none every weight gradient of the layer exists by then, beside what that
  // norm saved and the residual gradient and the normed input's gradient.
  const rmsWork = shape.norm === "rms" ? 16 * h : 0;
  const postNorm = postMlpTok > 0 ? T * (r * h + rmsWork) : 0;
  const tailFresh = shape.norm === "rms" ? (inputNormTok / L) * T + gradLayer + T * (2 * r * h + rmsWork) : 0;
  const layerBackwardTransient = Math.ceil(Math.max(mlpPersist, postNorm, attnPersist - savedLayer));
  const layerBackwardTransientFresh = Math.ceil(Math.max(mlpFresh, postNorm, attnFresh - savedLayer, tailFresh - savedLayer));
  const backwardMoment = Math.max(attnFresh, tailFresh) - savedLayer > Math.max(mlpFresh, postNorm) ? "attention" : "mlp";

  // Outside the layers: embedding LayerNorm/dropout, final norm, LM-head inputs.
  let outside = 0;
  for (const n of model.tensors) {
    if (n.kind !== "norm" || n.name.includes("{L}") || isVisionTower(n) || !n.name.endsWith(".weight")) continue;
    outside += normSaved(shape.norm, n.shape[0], ctx.fullFineTune, gemma, ctx);
  }
  if (shape.hiddenDropout > 0) outside += h; // embedding dropout mask
  const heads = lmHeadGroups(model);
  for (const hg of heads) {
    outside += linearInputs(h, normOut, [{ trainable: ctx.fullFineTune, adapted: ctx.adapted.has(hg.name) }], false, ctx);
  }
  const mlmTransform = model.tensors.find((x) => /predictions\.transform\.dense\.weight$|^lm_head\.dense\.weight$/.test(x.name));
  if (mlmTransform) outside += linearInputs(h, r, [{ trainable: ctx.fullFineTune, adapted: false }], false, ctx) + e * h;
  const outsideBytes = Math.ceil(outside * T);

  // The layer input a checkpointed layer's recomputation saves as itself: a pre-norm layer's first norm
  // keeps its fp32 input (the input itself when the residual stream is fp32; LayerNorm keeps its input as
  // is, fp32 under autocast); a post-norm encoder's input is read by q/k/v (shared only without autocast).
  const preNormKeepsInput = shape.encoderOnly ? !ctx.autocast && ctx.fullFineTune : shape.norm === "layer" ? (ctx.autocast ? 4 : r) === r : r === 4;
  const checkpointInputShared = preNormKeepsInput ? r * h * T : 0;

  parts.push(`${Math.round(perTokenPerLayer)} B/token/layer`);
  if (ctx.attention === "eager") parts.push(`incl. ${a}·${s} attention probabilities per token`);
  const kvNote = shape.kvHeads < a && !mla && ctx.attention !== "eager" ? `, K/V ${expand ? "expanded to every head" : "at kv_heads"}` : "";
  const formula = `${L} layers × T=${T} tokens × ${parts.join(" ")} (norms, linear inputs${ctx.autocast ? " cast per matmul" : ""}, ${ctx.attention === "eager" ? "eager attention" : "SDPA/flash q,k,v,out,lse"}${kvNote}, ${shape.moe ? "MoE routing + experts" : shape.mlp === "gated" ? "SwiGLU" : "MLP"}${rank > 0 ? ", LoRA A outputs" : ""}) + ${Math.round(outside)} B/token outside the layers`;
  return {
    layersBytes,
    perLayerBytes,
    outsideBytes,
    castPerLayer,
    layerBackwardTransient,
    layerBackwardTransientFresh,
    checkpointPerLayer: r * h * T,
    checkpointInputShared,
    perTokenPerLayer,
    backwardMoment,
    formula,
  };
}

/**
 * The LM head's backward (final norm, lm_head, ForCausalLMLoss) at its largest moment, on top of the
 * activations saved outside the layers: either the cross-entropy backward (`lossBackward`, logits-loss.ts)
 * or lm_head's own backward, which allocates the head's weight gradient and then the gradient of its input
 * while the gradient of the logits is still live (fp32 logits: the loss's fp32 gradient is the logits'
 * gradient; 16-bit logits: it is cast back and the fp32 one freed first). Exact in all 19 head
 * configurations of llm-cpu-torch2-blocks.jsonl (COMPARISON.md item 8).
 * `headGradBytes`: the lm_head weight gradient being produced (0 when the head is frozen).
 */
export function headBackwardBytes(tokens: number, vocab: number, hidden: number, compute: number, lossBackward: number, headGradBytes: number): number {
  const logitsGrad = compute === 4 ? 4 * tokens * vocab : 0;
  return Math.max(lossBackward, headGradBytes + compute * tokens * hidden + logitsGrad);
}

/** Weight groups that compute the vocabulary logits (lm_head, or the tied embedding of a decoder). */
export function lmHeadGroups(model: ModelDescription): TensorGroup[] {
  const shape = model.transformer;
  const head = model.tensors.filter((x) => x.kind === "lm_head");
  if (head.length > 0) return head;
  if (!hasVocabHead(model)) return [];
  const emb = model.tensors.find((x) => x.kind === "embedding" && x.shape[0] === shape.vocab);
  return emb ? [emb] : [];
}

/** Does the model compute logits over the vocabulary (causal LM, masked LM) rather than a small classifier? */
export function hasVocabHead(model: ModelDescription): boolean {
  const shape = model.transformer;
  if (!shape.encoderOnly) return true;
  return model.tensors.some((x) => /predictions\.bias$|^lm_head\./.test(x.name));
}

export function shapeOf(model: ModelDescription): TransformerShape {
  return model.transformer;
}
