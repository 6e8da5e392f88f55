/**
 * Hybrid and recurrent models: layers whose mixer keeps a fixed-size state (Mamba, Mamba-2, gated DeltaNet,
 * LFM2 short convolutions, lightning attention, RWKV) beside — or instead of — attention. Which layer holds
 * which mixer, and the state's widths, come from core/hybrid-config.ts (hybridLayout); the engine lays out the
 * attention tensors on attention layers and the mixer's recipe (spec.ts StateMixerSpec) on the others.
 */
import { LLAMA } from "./decoders.js";
import type { ArchEntry } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;

/** Mamba (state-spaces/mamba-*-hf): embeddings, one RMSNorm and one Mamba-1 mixer per layer, tied head. */
export const MAMBA: ArchEntry = {
  types: ["mamba", "falcon_mamba"],
  from: `${TF("mamba")}; falcon_mamba/modeling_falcon_mamba.py (same tensors; its B/C/dt RMSNorms have no weights)`,
  defaults: { vocab_size: 50280, hidden_size: 768, state_size: 16, num_hidden_layers: 32, expand: 2, conv_kernel: 4, use_bias: false, use_conv_bias: true, hidden_act: "silu", time_step_rank: "auto", tie_word_embeddings: true },
  keys: { maxPos: [] },
  embed: { tokens: "backbone.embeddings" },
  layer: "backbone.layers.{L}",
  attention: { prefix: "", layout: "none" },
  state: { prefix: "mixer", layout: "mamba", dtRank: "time_step_rank", projBias: "use_bias", convBias: "use_conv_bias" },
  mlp: { prefix: "", kind: "none" },
  norms: { kind: "rms", pre: ["norm"], final: "backbone.norm_f" },
  head: { name: "lm_head" },
};

export const MAMBA2: ArchEntry = {
  base: MAMBA,
  types: ["mamba2"],
  from: TF("mamba2"),
  defaults: { num_heads: 128, head_dim: 64, vocab_size: 32768, hidden_size: 4096, state_size: 128, num_hidden_layers: 64, expand: 2, conv_kernel: 4, n_groups: 8, use_bias: false, use_conv_bias: true, hidden_act: "silu", tie_word_embeddings: false },
  state: { prefix: "mixer", layout: "mamba2", projBias: "use_bias", convBias: "use_conv_bias" },
};

/** Jamba: attention every attn_layer_period layers, Mamba-1 (with dt/B/C norms) elsewhere, experts every expert_layer_period. */
export const JAMBA: ArchEntry = {
  base: LLAMA,
  types: ["jamba"],
  from: TF("jamba"),
  defaults: { vocab_size: 65536, tie_word_embeddings: false, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_act: "silu", max_position_embeddings: 262144, num_experts_per_tok: 2, num_experts: 16, expert_layer_period: 2, expert_layer_offset: 1, attn_layer_period: 8, attn_layer_offset: 4, mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2, mamba_dt_rank: "auto", mamba_conv_bias: true, mamba_proj_bias: false },
  attention: { prefix: "self_attn", layout: "qkvo" },
  state: { prefix: "mamba", layout: "mamba", dtRank: "mamba_dt_rank", dtNorms: true, projBias: "mamba_proj_bias", convBias: "mamba_conv_bias" },
  mlp: { prefix: "feed_forward", kind: "gated" },
  moe: {
    experts: ["num_experts", "num_local_experts"],
    topK: ["num_experts_per_tok"],
    width: ["intermediate_size"],
    prefix: "feed_forward",
    router: "router",
    layout: "per-expert",
    layers: { rule: "period", period: "expert_layer_period", offset: "expert_layer_offset" },
  },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["pre_ff_layernorm"], final: "model.final_layernorm" },
};

/** Bamba (IBM): attention on attn_layer_indices, Mamba-2 elsewhere, a SwiGLU feed_forward on every layer. */
export const BAMBA: ArchEntry = {
  base: LLAMA,
  types: ["bamba"],
  from: TF("bamba"),
  defaults: { vocab_size: 128000, tie_word_embeddings: false, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_act: "silu", max_position_embeddings: 262144, attn_layer_indices: null, mamba_n_heads: 128, mamba_d_head: "auto", mamba_n_groups: 1, mamba_d_state: 256, mamba_d_conv: 4, mamba_expand: 2, mamba_conv_bias: true, mamba_proj_bias: false, attention_bias: false, mlp_bias: false },
  state: { prefix: "mamba", layout: "mamba2", projBias: "mamba_proj_bias", convBias: "mamba_conv_bias" },
  mlp: { prefix: "feed_forward", kind: "gated", bias: "mlp_bias" },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["pre_ff_layernorm"], final: "model.final_layernorm" },
};

/** Granite 4.0-H (granitemoehybrid): Mamba-2 / attention layers (layer_types), fused experts plus a shared MLP. */
export const GRANITEMOEHYBRID: ArchEntry = {
  base: LLAMA,
  types: ["granitemoehybrid"],
  from: TF("granitemoehybrid"),
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, num_local_experts: 8, num_experts_per_tok: 2, shared_intermediate_size: 1024, mamba_n_heads: 128, mamba_n_groups: 1, mamba_d_state: 256, mamba_d_head: "auto", mamba_d_conv: 4, mamba_expand: 2, mamba_conv_bias: true, mamba_proj_bias: false },
  state: { prefix: "mamba", layout: "mamba2", projBias: "mamba_proj_bias", convBias: "mamba_conv_bias" },
  mlp: { prefix: "mlp", kind: "gated" },
  denseLayers: { rule: "none" },
  moe: {
    experts: ["num_local_experts"],
    topK: ["num_experts_per_tok"],
    width: ["intermediate_size"],
    prefix: "block_sparse_moe",
    router: "router.layer",
    layout: "fused",
    expertsPath: "",
    gate: "input_linear.weight",
    down: "output_linear.weight",
    layers: { rule: "all" },
  },
  extra: (t, c, d) => {
    // The shared MLP sits beside the experts on every layer (and alone when num_local_experts is 0).
    const w = c.int("shared_intermediate_size", 0);
    if (w > 0) {
      t.linear("model.layers.{L}.shared_mlp.input_linear", 2 * w, d.h, d.L);
      t.linear("model.layers.{L}.shared_mlp.output_linear", d.h, w, d.L);
    }
  },
};

/** Falcon-H1: attention and a Mamba-2 mixer in parallel in every layer, then a SwiGLU feed_forward. */
export const FALCON_H1: ArchEntry = {
  base: LLAMA,
  types: ["falcon_h1"],
  from: TF("falcon_h1"),
  defaults: { vocab_size: 128000, tie_word_embeddings: false, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_act: "silu", max_position_embeddings: 8192, mamba_d_ssm: 1024, mamba_n_heads: 128, mamba_d_head: "auto", mamba_n_groups: 1, mamba_d_state: 256, mamba_d_conv: 4, mamba_expand: 2, mamba_conv_bias: true, mamba_proj_bias: false, mamba_rms_norm: false, projectors_bias: false, attention_bias: false, mlp_bias: false },
  state: { prefix: "mamba", layout: "mamba2", projBias: "mamba_proj_bias", convBias: "mamba_conv_bias", gatedNorm: "mamba_rms_norm" },
  mlp: { prefix: "feed_forward", kind: "gated", bias: "mlp_bias" },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["pre_ff_layernorm"], final: "model.final_layernorm" },
};

/**
 * Nemotron-H / Nemotron 3 (hybrid_override_pattern: M Mamba-2, * attention, - ReLU² MLP, E experts): one mixer
 * and one RMSNorm per layer, under `backbone.` in the checkpoints. Experts are up/down only, optionally in a
 * latent width (moe_latent_size), with a shared expert and a score-correction bias.
 */
export const NEMOTRON_H: ArchEntry = {
  base: LLAMA,
  types: ["nemotron_h"],
  from: TF("nemotron_h"),
  defaults: { vocab_size: 131072, hidden_size: 4096, tie_word_embeddings: false, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 4096, attention_bias: false, intermediate_size: 21504, mlp_hidden_act: "relu2", mlp_bias: false, ssm_state_size: 128, mamba_num_heads: 128, mamba_head_dim: 64, n_groups: 8, conv_kernel: 4, expand: 2, use_conv_bias: true, mamba_proj_bias: false, n_routed_experts: 8, n_shared_experts: 1, moe_intermediate_size: 7688, moe_shared_expert_intermediate_size: 7688, moe_latent_size: null, num_experts_per_tok: 2 },
  keys: { act: ["mlp_hidden_act"] },
  // Newer configs (Nemotron 3 Ultra, 3.5) list layers_block_type instead of the pattern string.
  normalize: (raw) => {
    const types = raw.layers_block_type;
    if (typeof raw.hybrid_override_pattern === "string" || !Array.isArray(types)) return raw;
    const code: Record<string, string> = { mamba: "M", linear_attention: "M", attention: "*", full_attention: "*", mlp: "-", moe: "E" };
    const pattern = types.map((x) => code[String(x)] ?? "?").join("");
    return /^[M*\-E]+$/.test(pattern) ? { ...raw, hybrid_override_pattern: pattern } : raw;
  },
  layersFallback: (c) => {
    const p = c.raw.hybrid_override_pattern;
    return typeof p === "string" ? p.length : undefined;
  },
  embed: { tokens: "backbone.embeddings" },
  layer: "backbone.layers.{L}",
  attention: { prefix: "mixer", layout: "qkvo", qkvBias: "attention_bias" },
  state: { prefix: "mixer", layout: "mamba2", projBias: "mamba_proj_bias", convBias: "use_conv_bias" },
  mlp: { prefix: "mixer", kind: "plain", bias: "mlp_bias" },
  denseLayers: { rule: "pattern", key: "hybrid_override_pattern", char: "-" },
  moe: {
    experts: ["n_routed_experts", "num_local_experts"],
    topK: ["num_experts_per_tok"],
    width: ["moe_intermediate_size"],
    prefix: "mixer",
    router: "gate",
    layout: "plain-per-expert",
    latent: "moe_latent_size",
    correctionBias: { name: "gate.e_score_correction_bias" },
    shared: { name: "shared_experts", width: ["moe_shared_expert_intermediate_size"], kind: "plain" },
    layers: { rule: "pattern", key: "hybrid_override_pattern", char: "E" },
  },
  norms: { kind: "rms", pre: ["norm"], final: "backbone.norm_f" },
  notes: [
    { when: "mtp_hybrid_override_pattern", text: "the checkpoint's multi-token-prediction layers (mtp_hybrid_override_pattern) are not loaded by transformers; they are not counted" },
    { when: "num_nextn_predict_layers", text: "the checkpoint's multi-token-prediction layers (num_nextn_predict_layers) are not loaded by transformers; they are not counted" },
  ],
};

/** Qwen3-Next: gated DeltaNet layers, every full_attention_interval-th layer gated attention (query + gate), experts + shared expert. */
export const QWEN3_NEXT: ArchEntry = {
  base: LLAMA,
  types: ["qwen3_next"],
  from: TF("qwen3_next"),
  defaults: { vocab_size: 151936, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 48, num_attention_heads: 16, num_key_value_heads: 2, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, attention_bias: false, head_dim: 256, linear_conv_kernel_dim: 4, linear_key_head_dim: 128, linear_value_head_dim: 128, linear_num_key_heads: 16, linear_num_value_heads: 32, decoder_sparse_step: 1, moe_intermediate_size: 512, shared_expert_intermediate_size: 512, num_experts_per_tok: 10, num_experts: 512 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", gatedQuery: true, qkNorm: { names: ["q_norm", "k_norm"], width: "head" } },
  state: { prefix: "linear_attn", layout: "gdn" },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: {
    experts: ["num_experts", "num_local_experts"],
    topK: ["num_experts_per_tok"],
    width: ["moe_intermediate_size"],
    prefix: "mlp",
    router: "gate",
    layout: "per-expert",
    shared: { name: "shared_expert", width: ["shared_expert_intermediate_size"], gate: "shared_expert_gate" },
    layers: { rule: "sparse-step", step: "decoder_sparse_step", only: "mlp_only_layers" },
  },
};

/** Qwen3.5 text (dense): Qwen3-Next's mixers with split DeltaNet projections and a dense SwiGLU MLP. */
export const QWEN3_5_TEXT: ArchEntry = {
  base: QWEN3_NEXT,
  types: ["qwen3_5_text"],
  from: TF("qwen3_5"),
  defaults: { vocab_size: 248320, hidden_size: 4096, intermediate_size: 12288, num_hidden_layers: 32, num_attention_heads: 16, num_key_value_heads: 4, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, attention_bias: false, head_dim: 256, linear_conv_kernel_dim: 4, linear_key_head_dim: 128, linear_value_head_dim: 128, linear_num_key_heads: 16, linear_num_value_heads: 32, num_experts: 0 },
  state: { prefix: "linear_attn", layout: "gdn-split" },
  moe: undefined,
};

/** Qwen3.5 MoE text: every layer sparse, experts + gated shared expert. */
export const QWEN3_5_MOE_TEXT: ArchEntry = {
  base: QWEN3_NEXT,
  types: ["qwen3_5_moe_text"],
  from: TF("qwen3_5_moe"),
  defaults: { vocab_size: 248320, hidden_size: 2048, num_hidden_layers: 40, num_attention_heads: 16, num_key_value_heads: 2, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, attention_bias: false, head_dim: 256, linear_conv_kernel_dim: 4, linear_key_head_dim: 128, linear_value_head_dim: 128, linear_num_key_heads: 16, linear_num_value_heads: 32, moe_intermediate_size: 512, shared_expert_intermediate_size: 512, num_experts_per_tok: 8, num_experts: 256 },
  state: { prefix: "linear_attn", layout: "gdn-split" },
  moe: { ...QWEN3_NEXT.moe!, layers: { rule: "all" } },
};

/**
 * LFM2: short-convolution layers and attention layers (layer_types), a SwiGLU feed_forward (w1, w3, w2) whose
 * width is auto-adjusted (2/3 × intermediate_size × block_ffn_dim_multiplier, rounded up to block_multiple_of).
 */
export const LFM2: ArchEntry = {
  base: LLAMA,
  types: ["lfm2"],
  from: TF("lfm2"),
  defaults: { vocab_size: 65536, hidden_size: 2560, intermediate_size: 12288, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 128000, tie_word_embeddings: true, conv_bias: false, conv_L_cache: 3, block_multiple_of: 256, block_ffn_dim_multiplier: 1.0, block_auto_adjust_ff_dim: true },
  keys: { I: ["block_ff_dim", "intermediate_size"] },
  attention: { prefix: "self_attn", layout: "qkvo", o: "out_proj", qkNorm: { names: ["q_layernorm", "k_layernorm"], width: "head" } },
  state: { prefix: "conv", layout: "short_conv", convBias: "conv_bias" },
  mlp: { prefix: "feed_forward", kind: "gated", gate: "w1", up: "w3", down: "w2" },
  norms: { kind: "rms", pre: ["operator_norm"], mid: ["ffn_norm"], final: "model.embedding_norm" },
  dims: (c, d) => {
    let I = d.I;
    if (c.bool("block_auto_adjust_ff_dim", true)) {
      I = Math.floor((2 * I) / 3);
      const mult = c.num("block_ffn_dim_multiplier", 1);
      if (mult) I = Math.floor(mult * I);
      const m = c.int("block_multiple_of", 256) || 1;
      I = m * Math.ceil(I / m);
    }
    return { ...d, I };
  },
};

/** MiniMax-Text-01 / MiniMax-M1: lightning (linear) attention layers and softmax layers, Mixtral-named experts. */
export const MINIMAX: ArchEntry = {
  base: LLAMA,
  types: ["minimax", "minimax_m1"],
  from: `${TF("minimax")}; minimax_m1 is MiniMaxAI/MiniMax-M1's remote code with the same tensors`,
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, sliding_window: null, num_experts_per_tok: 2, num_local_experts: 8 },
  attention: { prefix: "self_attn", layout: "qkvo" },
  state: { prefix: "self_attn", layout: "lightning" },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: {
    experts: ["num_local_experts", "num_experts"],
    topK: ["num_experts_per_tok"],
    width: ["intermediate_size"],
    prefix: "block_sparse_moe",
    router: "gate",
    layout: "per-expert",
    gate: "w1",
    up: "w3",
    down: "w2",
    layers: { rule: "all" },
  },
};

/** RWKV-4 (transformers RwkvModel): time-mix and channel-mix blocks, LayerNorms, `head`. */
export const RWKV: ArchEntry = {
  types: ["rwkv"],
  from: TF("rwkv"),
  defaults: { vocab_size: 50277, hidden_size: 4096, num_hidden_layers: 32, attention_hidden_size: null, intermediate_size: null, tie_word_embeddings: false, context_length: 1024 },
  keys: { maxPos: ["context_length", "max_position_embeddings"], act: [] },
  embed: { tokens: "rwkv.embeddings" },
  layer: "rwkv.blocks.{L}",
  attention: { prefix: "", layout: "none" },
  state: { prefix: "attention", layout: "by-extra" },
  mlp: { prefix: "", kind: "none" },
  norms: { kind: "layer", pre: ["ln1"], mid: ["ln2"], final: "rwkv.ln_out" },
  head: { name: "head" },
  extra: (t, c, d) => {
    const A = c.int("attention_hidden_size", d.h) || d.h;
    const B = "rwkv.blocks.{L}";
    t.norm("rwkv.blocks.0.pre_ln", d.h, 1, true);
    for (const p of ["time_decay", "time_first"]) t.add(`${B}.attention.${p}`, "other", [A], d.L);
    for (const p of ["time_mix_key", "time_mix_value", "time_mix_receptance"]) t.add(`${B}.attention.${p}`, "other", [d.h], d.L);
    for (const p of ["key", "value", "receptance"]) t.linear(`${B}.attention.${p}`, A, d.h, d.L);
    t.linear(`${B}.attention.output`, d.h, A, d.L);
    for (const p of ["time_mix_key", "time_mix_receptance"]) t.add(`${B}.feed_forward.${p}`, "other", [d.h], d.L);
    t.linear(`${B}.feed_forward.key`, d.I, d.h, d.L);
    t.linear(`${B}.feed_forward.receptance`, d.h, d.h, d.L);
    t.linear(`${B}.feed_forward.value`, d.h, d.I, d.L);
  },
};
