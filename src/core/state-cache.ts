/**
 * State caches: the fixed-size, per-sequence memory of recurrent and linear-attention layers (Mamba, Mamba-2,
 * gated DeltaNet, Kimi Delta Attention, LFM2 short convolutions, lightning attention, RWKV). Unlike a KV cache
 * it does not grow with the context: each sequence keeps a causal-conv window and a recurrent state per layer.
 * Hybrid models keep it beside the KV cache of their attention layers (`TransformerShape.layerMixers`).
 *
 * The builders (`mambaState`, `mamba2State`, ...) turn a config's keys into a `StateShape`; the byte functions
 * size it as each runtime allocates it:
 *
 * - transformers 5.18.0 (cache_utils.py `LinearAttentionLayer.lazy_initialization`): the conv state is
 *   `zeros(*conv_states.shape[:-1], conv_kernel_size)` — all K columns — in the dtype of the activations that
 *   fill it (the model dtype); the recurrent state is `zeros_like` the state the mixer returns, which every mixer
 *   computes in fp32 (modeling_mamba.py: `discrete_A` from `A_log.float()`; modeling_qwen3_next.py
 *   `torch_chunk_gated_delta_rule` casts q/k/v `.to(torch.float32)`; modeling_kimi_linear.py likewise).
 *   RWKV-4 (modeling_rwkv.py RwkvModel): 5 vectors of `hidden` per layer, the two token shifts in the model dtype
 *   and num/den/max in fp32.
 * - llama.cpp (llama-memory-recurrent.cpp, bundled in node-llama-cpp 3.22.1): per recurrent layer one tensor
 *   r [n_embd_r, rows] and one s [n_embd_s, rows], both GGML_TYPE_F32 (llama-model.cpp create_memory), rows =
 *   max(1, n_seq_max); n_embd_r = (d_conv − 1)·conv channels (RWKV: token_shift_count·n_embd), n_embd_s = the
 *   recurrent state (llama-hparams.cpp n_embd_r / n_embd_s). The first conv column is shifted out each step, so
 *   llama.cpp (and vLLM) keep K − 1 columns.
 * - vLLM (vllm/model_executor/layers/mamba/mamba_utils.py @02d71083, MambaStateShapeCalculator /
 *   MambaStateDtypeCalculator): conv (K − 1) × conv_dim / tp in the mamba cache dtype (auto: the model dtype),
 *   temporal state in mamba_ssm_cache_dtype (auto: the conv dtype), KDA's recurrent state always fp32; Mamba-2
 *   groups that do not divide the TP size are replicated (extra_groups_for_head_shards). One page
 *   (`MambaSpec.page_size_bytes` = Σ prod(shape) × dtype size) holds one sequence's state of one layer.
 *
 * SGLang's Mamba state pool (mem_cache/memory_pool.py MambaPool) uses the same shapes as vLLM; the SGLang profile
 * reuses `vllmStatePageBytes`.
 */
import { VramfitError } from "./errors.js";
import type { Component } from "./estimate-types.js";
import type { LayerMixer, StateShape, TransformerShape } from "./model.js";
import { dtypeBytes } from "./precision.js";

// ---------------------------------------------------------------------------------------------------------------
// Builders: config keys → StateShape. Every count is checked (configs are user input).

function count(what: string, n: number, min = 1): number {
  if (!Number.isSafeInteger(n) || n < min || n > 2 ** 31) {
    throw new VramfitError("invalid_file", `state shape: ${what} must be a whole number ≥ ${min}, got ${String(n)}`);
  }
  return n;
}

/** Mamba-1 (mamba, jamba, falcon-mamba): in_proj → conv over d_inner channels; ssm state [d_inner, d_state]. */
export function mambaState(p: { inner: number; dState: number; dConv: number }): StateShape {
  const inner = count("d_inner", p.inner);
  const n = count("d_state", p.dState);
  return { kind: "mamba", convKernel: count("d_conv", p.dConv), convChannels: inner, recurrentShape: [inner, n], shiftValues: 0, heads: 0, groups: 0, inner, stateSize: n };
}

/**
 * Mamba-2 (mamba2, bamba, granitemoehybrid, nemotron_h, falcon_h1, zamba2): conv over
 * d_inner + 2·n_groups·d_state channels (x, B, C); ssm state [heads, head_dim, d_state] (modeling_mamba2.py, mamba_utils.py).
 */
export function mamba2State(p: { inner: number; heads: number; headDim: number; groups: number; dState: number; dConv: number; ssmDtype?: string }): StateShape {
  const inner = count("d_inner", p.inner);
  const groups = count("n_groups", p.groups);
  const n = count("d_state", p.dState);
  const heads = count("mamba heads", p.heads);
  return {
    kind: "mamba2", convKernel: count("d_conv", p.dConv), convChannels: inner + 2 * groups * n,
    recurrentShape: [heads, count("mamba head_dim", p.headDim), n], shiftValues: 0, heads, groups, inner, stateSize: n,
    ...(p.ssmDtype ? { ssmDtype: p.ssmDtype } : {}),
  };
}

/**
 * Gated DeltaNet (qwen3_next, qwen3_5): conv over q, k, v = 2·key_dim + value_dim channels; recurrent state
 * [v_heads, k_head_dim, v_head_dim] (modeling_qwen3_next.py; vLLM gated_delta_net_state_shape; llama.cpp maps
 * d_inner = value_dim, d_state = k_head_dim, n_group = k_heads).
 */
export function gatedDeltaNetState(p: { kHeads: number; vHeads: number; kDim: number; vDim: number; dConv: number }): StateShape {
  const kHeads = count("linear_num_key_heads", p.kHeads);
  const vHeads = count("linear_num_value_heads", p.vHeads);
  const kDim = count("linear_key_head_dim", p.kDim);
  const vDim = count("linear_value_head_dim", p.vDim);
  const keyDim = kHeads * kDim;
  const valueDim = vHeads * vDim;
  return {
    kind: "gated_deltanet", convKernel: count("linear_conv_kernel_dim", p.dConv), convChannels: 2 * keyDim + valueDim,
    recurrentShape: [vHeads, kDim, vDim], shiftValues: 0, heads: vHeads, groups: kHeads, inner: valueDim, stateSize: kDim,
  };
}

/** Kimi Delta Attention (kimi_linear): separate short convs on q, k, v (3·heads·head_dim channels); recurrent [heads, hd, hd]. */
export function kdaState(p: { heads: number; headDim: number; dConv: number }): StateShape {
  const heads = count("linear heads", p.heads);
  const hd = count("linear head_dim", p.headDim);
  return { kind: "kda", convKernel: count("linear_conv_kernel_dim", p.dConv), convChannels: 3 * heads * hd, recurrentShape: [heads, hd, hd], shiftValues: 0, heads, groups: heads, inner: heads * hd, stateSize: hd };
}

/** LFM2 short convolution: a depthwise conv over `hidden` channels of width conv_L_cache; no recurrent state. */
export function shortConvState(p: { hidden: number; lCache: number }): StateShape {
  const h = count("hidden_size", p.hidden);
  return { kind: "short_conv", convKernel: count("conv_L_cache", p.lCache), convChannels: h, recurrentShape: [], shiftValues: 0, heads: 0, groups: 0, inner: h, stateSize: 0 };
}

/** MiniMax-Text-01 lightning (linear) attention: recurrent [heads, head_dim, head_dim], no conv. */
export function lightningState(p: { heads: number; headDim: number }): StateShape {
  const heads = count("heads", p.heads);
  const hd = count("head_dim", p.headDim);
  return { kind: "lightning", convKernel: 0, convChannels: 0, recurrentShape: [heads, hd, hd], shiftValues: 0, heads, groups: heads, inner: heads * hd, stateSize: hd };
}

/**
 * RWKV. v5–v7: token shift of 2·hidden (time-mix and channel-mix) and a wkv state [hidden/head_size, head_size,
 * head_size] (llama-hparams.cpp: n_embd_r = token_shift_count·n_embd, n_embd_s = n_embd·wkv_head_size). v4
 * (transformers RwkvModel): token shifts 2·hidden plus num/den/max (3·hidden).
 */
export function rwkvState(p: { version: 4 | 5 | 6 | 7; hidden: number; headSize?: number; tokenShiftCount?: number }): StateShape {
  const h = count("hidden_size", p.hidden);
  const shift = count("token_shift_count", p.tokenShiftCount ?? 2) * h;
  if (p.version === 4) return { kind: "rwkv4", convKernel: 0, convChannels: 0, recurrentShape: [3, h], shiftValues: shift, heads: 0, groups: 0, inner: h, stateSize: 1 };
  const hs = count("head_size", p.headSize ?? 64);
  if (h % hs !== 0) throw new VramfitError("invalid_file", `state shape: hidden_size ${h} is not a multiple of head_size ${hs}`);
  const kind = p.version === 5 ? "rwkv5" : p.version === 6 ? "rwkv6" : "rwkv7";
  return { kind, convKernel: 0, convChannels: 0, recurrentShape: [h / hs, hs, hs], shiftValues: shift, heads: h / hs, groups: h / hs, inner: h, stateSize: hs };
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/** The mixer of each layer (absent list: all attention). */
export function layerMixers(shape: TransformerShape): LayerMixer[] {
  if (shape.layerMixers && shape.layerMixers.length > 0) return shape.layerMixers;
  return new Array<LayerMixer>(shape.layers).fill("attention");
}

export const hasAttention = (m: LayerMixer) => m === "attention" || m === "attention+state";
export const hasState = (m: LayerMixer) => m === "state" || m === "attention+state";

/** Layers that keep a KV cache. */
export function attentionLayerCount(shape: TransformerShape): number {
  if (shape.encoderOnly) return 0;
  return layerMixers(shape).filter(hasAttention).length;
}

/** Layers that keep a recurrent state (0 without a `state`). */
export function stateLayerCount(shape: TransformerShape): number {
  if (!shape.state) return 0;
  return layerMixers(shape).filter(hasState).length;
}

export function isHybridOrRecurrent(shape: TransformerShape): boolean {
  return stateLayerCount(shape) > 0;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Recurrent-state values per sequence and layer (RWKV-4: num/den/max). */
export function recurrentValues(s: StateShape): number {
  return s.recurrentShape.length ? prod(s.recurrentShape) : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// transformers

export interface StateBytes {
  /** Bytes of all state layers for all sequences. */
  bytes: number;
  convBytes: number;
  recurrentBytes: number;
  layers: number;
  formula: string;
}

/**
 * transformers' cache for the state layers: conv [B, channels, K] in the model dtype + recurrent state in fp32
 * (RWKV-4: 2·hidden shifts in the model dtype + 3·hidden fp32). Sequences = batch.
 */
export function transformersStateBytes(shape: TransformerShape, opts: { batch: number; dtype: string; shards?: number }): StateBytes {
  const s = shape.state;
  const L = stateLayerCount(shape);
  if (!s || L === 0) return { bytes: 0, convBytes: 0, recurrentBytes: 0, layers: 0, formula: "" };
  const e = dtypeBytes(opts.dtype);
  const shards = opts.shards ?? 1;
  const conv = s.convChannels * s.convKernel * e + s.shiftValues * e;
  const rec = recurrentValues(s) * 4;
  const convBytes = Math.ceil((L * opts.batch * conv) / shards);
  const recurrentBytes = Math.ceil((L * opts.batch * rec) / shards);
  const parts: string[] = [];
  if (s.convKernel > 0) parts.push(`conv ${s.convChannels} ch × ${s.convKernel} (K) × ${e} B`);
  if (s.shiftValues > 0) parts.push(`token shift ${s.shiftValues} × ${e} B`);
  if (rec > 0) parts.push(`recurrent [${s.recurrentShape.join(", ")}] × 4 B fp32`);
  return {
    bytes: convBytes + recurrentBytes, convBytes, recurrentBytes, layers: L,
    formula: `${L} ${s.kind} layers × batch ${opts.batch} × (${parts.join(" + ")})${shards > 1 ? ` ÷ ${shards} GPUs` : ""} — fixed per sequence (transformers cache_utils LinearAttentionLayer: conv keeps K columns in the model dtype; states computed in fp32)`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// llama.cpp

/** llama.cpp's n_embd_r: conv columns kept (K − 1) × channels, or RWKV's token shift. */
export function llamaCppEmbdR(s: StateShape): number {
  if (s.shiftValues > 0) return s.shiftValues;
  return s.convKernel > 0 ? (s.convKernel - 1) * s.convChannels : 0;
}

/** llama.cpp's n_embd_s: the recurrent state. */
export function llamaCppEmbdS(s: StateShape): number {
  return recurrentValues(s);
}

export interface LlamaCppStateCache {
  rBytes: number;
  sBytes: number;
  totalBytes: number;
  /** Rows per layer: max(1, n_seq_max). */
  rows: number;
  /** Layer indices that hold a recurrent state. */
  layers: number[];
  perLayerBytes: number;
}

/**
 * llama.cpp's recurrent-state memory (llama_memory_recurrent): per state layer r [n_embd_r, rows] + s [n_embd_s,
 * rows] in F32, rows = max(1, n_seq_max) — independent of n_ctx.
 */
export function llamaCppStateCache(shape: TransformerShape, opts: { nSeq: number }): LlamaCppStateCache {
  const s = shape.state;
  if (!s) return { rBytes: 0, sBytes: 0, totalBytes: 0, rows: 0, layers: [], perLayerBytes: 0 };
  // llama.cpp's RWKV architectures are RWKV-6 and RWKV-7 (LLM_ARCH_RWKV6, RWKV6QWEN2, RWKV7, ARWKV7); RWKV-4 (the
  // transformers `rwkv` type) and RWKV-5 have no loader there.
  if (s.kind === "rwkv4" || s.kind === "rwkv5") {
    throw new VramfitError("unsupported", `llama.cpp has no ${s.kind === "rwkv4" ? "RWKV-4" : "RWKV-5"} architecture (it runs RWKV-6 and RWKV-7)`, { suggestion: "use --runtime transformers" });
  }
  const rows = Math.max(1, opts.nSeq);
  const layers: number[] = [];
  layerMixers(shape).forEach((m, i) => {
    if (hasState(m)) layers.push(i);
  });
  const r = llamaCppEmbdR(s) * rows * 4;
  const sb = llamaCppEmbdS(s) * rows * 4;
  return { rBytes: r * layers.length, sBytes: sb * layers.length, totalBytes: (r + sb) * layers.length, rows, layers, perLayerBytes: r + sb };
}

// ---------------------------------------------------------------------------------------------------------------
// vLLM (and SGLang)

export interface VllmStatePage {
  /** Bytes of one sequence's state of one layer on one GPU (MambaSpec.page_size_bytes before padding). */
  bytes: number;
  convShape: number[];
  recurrentShape: number[];
  convDtype: string;
  ssmDtype: string;
  formula: string;
}

function divide(a: number, b: number, what: string): number {
  if (a % b !== 0) throw new VramfitError("does_not_run", `vLLM splits ${what} (${a}) over ${b} GPUs and needs it to divide evenly`, { suggestion: "choose a tensor-parallel size that divides the model's heads" });
  return a / b;
}

/**
 * vLLM's per-layer state page on one GPU (mamba_utils.py MambaStateShapeCalculator/MambaStateDtypeCalculator @02d71083).
 * `cacheDtype` is --mamba-cache-dtype / the KV dtype rule (auto: model dtype); `ssmCacheDtype` is
 * --mamba-ssm-cache-dtype (auto: the conv dtype, or the checkpoint's stated ssm dtype).
 */
export function vllmStatePageBytes(s: StateShape, opts: { tp: number; dtype: string; cacheDtype?: string; ssmCacheDtype?: string; numSpec?: number }): VllmStatePage {
  const tp = opts.tp;
  const convDtype = opts.cacheDtype ?? opts.dtype;
  let ssmDtype = opts.ssmCacheDtype && opts.ssmCacheDtype !== "auto" ? opts.ssmCacheDtype : (s.ssmDtype ?? convDtype);
  const spec = opts.numSpec ?? 0;
  let convShape: number[] = [];
  let recShape: number[] = [];
  switch (s.kind) {
    case "mamba":
      convShape = [s.convKernel - 1, divide(s.inner, tp, "d_inner")];
      recShape = [divide(s.inner, tp, "d_inner"), s.stateSize];
      break;
    case "mamba2": {
      const groups = s.groups % tp === 0 ? s.groups : s.groups + (tp - s.groups); // extra_groups_for_head_shards
      const convDim = s.inner + 2 * groups * s.stateSize;
      convShape = [s.convKernel - 1 + spec, divide(convDim, tp, "the conv channels")];
      recShape = [divide(s.heads, tp, "mamba heads"), s.recurrentShape[1], s.stateSize];
      break;
    }
    case "gated_deltanet":
      convShape = [s.convKernel - 1 + spec, divide(s.convChannels, tp, "the conv channels")];
      recShape = [divide(s.heads, tp, "linear value heads"), s.recurrentShape[2], s.recurrentShape[1]];
      break;
    case "kda":
      convShape = [s.convKernel - 1 + spec, divide(s.convChannels, tp, "the conv channels")];
      recShape = [divide(s.heads, tp, "linear heads"), s.stateSize, s.stateSize];
      ssmDtype = "fp32"; // kda_state_dtype: (state_dtype, torch.float32)
      break;
    case "short_conv":
      convShape = [s.convKernel - 1, divide(s.convChannels, tp, "hidden")];
      break;
    case "lightning":
      recShape = [divide(s.heads, tp, "heads"), s.stateSize, s.stateSize];
      ssmDtype = convDtype; // linear_attention_state_dtype: one state in the cache dtype
      break;
    default:
      throw new VramfitError("unsupported", `vLLM has no state cache for ${s.kind} layers`, { suggestion: "use --runtime transformers or llama.cpp" });
  }
  const ce = dtypeBytes(convDtype);
  const se = dtypeBytes(ssmDtype);
  const convBytes = convShape.length ? prod(convShape) * ce : 0;
  const recBytes = recShape.length ? prod(recShape) * se : 0;
  const parts = [
    convShape.length ? `conv [${convShape.join(", ")}] × ${ce} B` : "",
    recShape.length ? `ssm [${recShape.join(", ")}] × ${se} B` : "",
  ].filter(Boolean);
  return { bytes: convBytes + recBytes, convShape, recurrentShape: recShape, convDtype, ssmDtype, formula: parts.join(" + ") };
}

// ---------------------------------------------------------------------------------------------------------------
// Prefill activations of a state mixer (transformers with the fused kernels: mamba-ssm / causal-conv1d for Mamba,
// flash-linear-attention for gated DeltaNet and KDA). Derived from the modeling files' live tensors in one mixer
// (in_proj output, conv output, scan output, gated-norm output, beside the residual stream and the normed input);
// not yet measured.

/** Width of the mixer's input projection per token. */
export function stateInProjWidth(s: StateShape, hidden: number): number {
  switch (s.kind) {
    case "mamba":
      return 2 * s.inner; // in_proj: x and gate
    case "mamba2":
      return 2 * s.inner + 2 * s.groups * s.stateSize + s.heads; // z, xBC, dt
    case "gated_deltanet":
      return s.convChannels + s.inner + 2 * s.heads; // qkv, z, b and a
    case "kda":
      return s.convChannels + 2 * s.inner; // q, k, v, forget and output gates (low-rank f_a/g_a are small)
    case "short_conv":
      return 3 * hidden; // B, C, x
    case "lightning":
      return 3 * s.inner + hidden; // qkv and the output gate
    default:
      return 4 * hidden; // RWKV: receptance, key, value, gate
  }
}

export interface StatePrefillPeak {
  bytes: number;
  formula: string;
}

/** The live set inside one state mixer during prefill of `tokens` tokens. */
export function statePrefillPeak(shape: TransformerShape, opts: { batch: number; tokens: number; bytesPerValue: number }): StatePrefillPeak | null {
  const s = shape.state;
  if (!s || stateLayerCount(shape) === 0) return null;
  const T = opts.batch * opts.tokens;
  const e = opts.bytesPerValue;
  const proj = stateInProjWidth(s, shape.hidden);
  const values = 2 * shape.hidden + proj + s.convChannels + 2 * s.inner;
  return {
    bytes: Math.ceil(T * values * e),
    formula: `one ${s.kind} mixer: T=${T} tokens × (2·hidden ${shape.hidden} + in_proj ${proj} + conv ${s.convChannels} + 2·inner ${s.inner}) × ${e} B (fused kernels; derived, not measured)`,
  };
}

/** transformers' state cache as a component (absent when the model has no recurrent layers). */
export function transformersStateComponent(shape: TransformerShape, opts: { batch: number; dtype: string; shards?: number }): Component | null {
  const b = transformersStateBytes(shape, opts);
  if (b.layers === 0) return null;
  return { id: "state_cache", label: "Recurrent state (conv + SSM)", bytes: b.bytes, formula: b.formula, level: "allocated" };
}
