/**
 * Mixture-of-experts decoders. Expert tensors are named as the Hugging Face checkpoints store them
 * (per-expert `experts.{E}.gate_proj` or `w1/w2/w3`; fused 3-D tensors where the checkpoint holds them,
 * gpt-oss, Llama 4, Granite-MoE); transformers 5 fuses per-expert weights on load, with the same element
 * count. Score-correction biases are persistent buffers: they are stored in checkpoints and counted.
 */
import type { ConfigReader } from "../config-reader.js";
import { GLM, LLAMA, QWEN2, QWEN3 } from "./decoders.js";
import type { ArchEntry, MoeSpec } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;

// Expert keys list the config's own name first, then its attribute_map alias (transformers 5 may save either).
const MIXTRAL_EXPERTS: MoeSpec = {
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
};

export const MIXTRAL: ArchEntry = {
  base: LLAMA,
  types: ["mixtral"],
  from: TF("mixtral"),
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, sliding_window: null, num_experts_per_tok: 2, num_local_experts: 8 },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: MIXTRAL_EXPERTS,
};

/** Phi-3.5-MoE: Mixtral experts, LayerNorms with bias, optional biased head. */
export const PHIMOE: ArchEntry = {
  base: MIXTRAL,
  types: ["phimoe"],
  from: TF("phimoe"),
  defaults: { vocab_size: 32064, hidden_size: 4096, intermediate_size: 6400, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, sliding_window: null, num_experts_per_tok: 2, num_local_experts: 16, attention_bias: false, lm_head_bias: false },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias" },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
  extra: (t, c, d) => {
    if (c.bool("lm_head_bias", false)) t.add("lm_head.bias", "bias", [d.V], 1, { module: "lm_head" });
  },
};

/** MiniMax-M2: q/k RMSNorms over all heads, Mixtral-named experts, a sigmoid router with a score-correction bias. */
export const MINIMAX_M2: ArchEntry = {
  base: MIXTRAL,
  types: ["minimax_m2"],
  from: TF("minimax_m2"),
  defaults: { vocab_size: 200064, hidden_size: 3072, intermediate_size: 1536, num_hidden_layers: 62, num_attention_heads: 48, num_key_value_heads: 8, head_dim: 128, hidden_act: "silu", max_position_embeddings: 196608, tie_word_embeddings: false, num_experts_per_tok: 8, num_local_experts: 256, use_routing_bias: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkNorm: { names: ["q_norm", "k_norm"], width: "all" } },
  moe: { ...MIXTRAL_EXPERTS, correctionBias: { name: "e_score_correction_bias", when: "use_routing_bias" } },
  notes: [{ when: "num_mtp_modules", text: "MiniMax-M2's multi-token-prediction modules (num_mtp_modules) are not loaded by transformers; they are not counted" }],
};

const QWEN_EXPERTS: MoeSpec = {
  experts: ["num_experts", "num_local_experts"],
  topK: ["num_experts_per_tok"],
  width: ["moe_intermediate_size"],
  prefix: "mlp",
  router: "gate",
  layout: "per-expert",
  layers: { rule: "sparse-step", step: "decoder_sparse_step", only: "mlp_only_layers" },
};

export const QWEN2_MOE: ArchEntry = {
  base: QWEN2,
  types: ["qwen2_moe"],
  from: TF("qwen2_moe"),
  defaults: { vocab_size: 151936, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 24, num_attention_heads: 16, num_key_value_heads: 16, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28, decoder_sparse_step: 1, moe_intermediate_size: 1408, shared_expert_intermediate_size: 5632, num_experts_per_tok: 4, num_experts: 60, qkv_bias: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "qkv_bias", oBias: false },
  moe: { ...QWEN_EXPERTS, shared: { name: "shared_expert", width: ["shared_expert_intermediate_size"], gate: "shared_expert_gate" } },
};

export const QWEN3_MOE: ArchEntry = {
  base: QWEN3,
  types: ["qwen3_moe"],
  from: TF("qwen3_moe"),
  defaults: { vocab_size: 151936, hidden_size: 2048, intermediate_size: 6144, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, head_dim: null, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, attention_bias: false, use_sliding_window: false, sliding_window: 4096, decoder_sparse_step: 1, moe_intermediate_size: 768, num_experts_per_tok: 8, num_experts: 128 },
  moe: QWEN_EXPERTS,
};

/** OLMoE: q/k norms over the whole projection, every layer sparse, experts of `intermediate_size`. */
export const OLMOE: ArchEntry = {
  base: LLAMA,
  types: ["olmoe"],
  from: TF("olmoe"),
  defaults: { vocab_size: 50304, hidden_size: 2048, intermediate_size: 2048, num_hidden_layers: 16, num_attention_heads: 16, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false, num_experts_per_tok: 8, num_experts: 64 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "all" } },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: { ...QWEN_EXPERTS, width: ["intermediate_size"], layers: { rule: "all" } },
};

const DEEPSEEK_EXPERTS: MoeSpec = {
  experts: ["n_routed_experts", "num_local_experts"],
  topK: ["num_experts_per_tok"],
  width: ["moe_intermediate_size"],
  prefix: "mlp",
  router: "gate",
  layout: "per-expert",
  shared: { name: "shared_experts", count: "n_shared_experts" },
  layers: { rule: "first-dense", first: "first_k_dense_replace", freq: "moe_layer_freq" },
};

const MTP_NOTE = { when: "num_nextn_predict_layers", text: "the checkpoint's multi-token-prediction layer(s) (num_nextn_predict_layers) are not loaded by transformers; they are not counted" };

/**
 * DeepSeek-V2 (and V2-Lite, V2.5): MLA, first_k_dense_replace dense layers, routed + shared experts.
 * q_lora_rank: DeepseekV2Config defaults it to 1536, but the Lite configs set it to null and copies that
 * drop null keys lose it, so an absent key is read as null (no query compression), as before.
 */
export const DEEPSEEK_V2: ArchEntry = {
  base: LLAMA,
  types: ["deepseek_v2"],
  from: TF("deepseek_v2"),
  defaults: { vocab_size: 102400, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, head_dim: null, first_k_dense_replace: 0, kv_lora_rank: 512, n_routed_experts: 64, n_shared_experts: 2, qk_nope_head_dim: 128, qk_rope_head_dim: 64, topk_method: "greedy", v_head_dim: 128, num_experts_per_tok: null, moe_intermediate_size: 1407 },
  attention: { prefix: "self_attn", layout: "mla", qkvBias: "attention_bias" },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: DEEPSEEK_EXPERTS,
};

const noauxTc = (c: ConfigReader) => c.str("topk_method", "noaux_tc") === "noaux_tc";

/** DeepSeek-MoE (v1, remote code deepseek-ai/deepseek-moe-16b-base modeling_deepseek.py): Llama attention, V2's experts. */
export const DEEPSEEK_V1: ArchEntry = {
  base: LLAMA,
  types: ["deepseek"],
  from: "remote code deepseek-ai/deepseek-moe-16b-base modeling_deepseek.py (not in transformers)",
  defaults: { vocab_size: 102400, hidden_size: 4096, intermediate_size: 11008, moe_intermediate_size: 1407, num_hidden_layers: 30, num_attention_heads: 32, n_shared_experts: null, n_routed_experts: null, num_experts_per_tok: null, moe_layer_freq: 1, first_k_dense_replace: 0, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: DEEPSEEK_EXPERTS,
};

/** DeepSeek-V3 / R1 and Kimi K2 (DeepseekV3 code): V2's layout plus the noaux_tc score-correction bias. */
export const DEEPSEEK_V3: ArchEntry = {
  base: DEEPSEEK_V2,
  types: ["deepseek_v3", "kimi_k2"],
  from: `${TF("deepseek_v3")}; kimi_k2 is moonshotai/Kimi-K2-Instruct's remote DeepseekV3 code`,
  defaults: { vocab_size: 129280, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048, num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, n_shared_experts: 1, n_routed_experts: 256, kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, v_head_dim: 128, qk_nope_head_dim: 128, num_experts_per_tok: 8, first_k_dense_replace: 3, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false, topk_method: "noaux_tc" },
  moe: { ...DEEPSEEK_EXPERTS, correctionBias: { name: "gate.e_score_correction_bias", when: noauxTc } },
  notes: [MTP_NOTE],
};

/**
 * DeepSeek-V3.2 and GLM-5 (glm_moe_dsa): V3 plus the DeepSeek Sparse Attention indexer in every layer:
 * wq_b [index_n_heads·index_head_dim, q_lora_rank], wk [index_head_dim, h], k_norm (LayerNorm), weights_proj [n, h].
 */
export const DEEPSEEK_V32: ArchEntry = {
  base: DEEPSEEK_V3,
  types: ["deepseek_v32", "glm_moe_dsa"],
  from: `${TF("deepseek_v32")}; ${TF("glm_moe_dsa")}`,
  defaults: { index_n_heads: 64, index_head_dim: 128 },
  moe: { ...DEEPSEEK_EXPERTS, correctionBias: { name: "gate.e_score_correction_bias" }, layers: { rule: "mask", key: "mlp_layer_types", otherwise: { rule: "first-dense", first: "first_k_dense_replace", freq: "moe_layer_freq" } } },
  extra: (t, c, d) => {
    const n = c.int("index_n_heads", 64);
    const hd = c.int("index_head_dim", 128);
    // GLM-5.2: layers marked "shared" in indexer_types reuse the previous layer's top-k and hold no indexer.
    const types = c.array("indexer_types");
    const L = types && types.length === d.L ? types.filter((x) => x !== "shared").length : d.L;
    const I = "model.layers.{L}.self_attn.indexer";
    t.linear(`${I}.wq_b`, n * hd, c.int("q_lora_rank"), L);
    t.linear(`${I}.wk`, hd, d.h, L);
    t.norm(`${I}.k_norm`, hd, L, true);
    t.linear(`${I}.weights_proj`, n, d.h, L);
  },
};

/** dots.llm1: per-head q/k norms, DeepSeek-style experts with a score-correction bias. */
export const DOTS1: ArchEntry = {
  base: QWEN3,
  types: ["dots1"],
  from: TF("dots1"),
  defaults: { vocab_size: 152064, hidden_size: 4608, intermediate_size: 10944, moe_intermediate_size: 1408, num_hidden_layers: 62, num_attention_heads: 32, num_key_value_heads: 32, head_dim: null, n_shared_experts: null, n_routed_experts: null, num_experts_per_tok: null, first_k_dense_replace: 0, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, sliding_window: 4096, max_window_layers: 62 },
  moe: { ...DEEPSEEK_EXPERTS, layers: { rule: "first-dense", first: "first_k_dense_replace" }, correctionBias: { name: "gate.e_score_correction_bias" } },
};

/** GLM-4.5 / 4.6 / 4.7 (glm4_moe): q/k/v biases, optional per-head q/k norms, DeepSeek-style experts. */
export const GLM4_MOE: ArchEntry = {
  base: GLM,
  types: ["glm4_moe"],
  from: TF("glm4_moe"),
  defaults: { vocab_size: 151552, hidden_size: 4096, intermediate_size: 10944, num_hidden_layers: 46, num_attention_heads: 96, num_key_value_heads: 8, head_dim: null, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, attention_bias: false, moe_intermediate_size: 1408, num_experts_per_tok: 8, n_shared_experts: 1, n_routed_experts: 128, first_k_dense_replace: 1, use_qk_norm: false },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", oBias: false, qkNorm: { names: ["q_norm", "k_norm"], width: "head", when: "use_qk_norm" } },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: { ...DEEPSEEK_EXPERTS, layers: { rule: "first-dense", first: "first_k_dense_replace" }, correctionBias: { name: "gate.e_score_correction_bias" } },
  notes: [MTP_NOTE],
};

/** ERNIE 4.5 MoE: experts from moe_layer_start_index every moe_layer_interval, shared experts, score statistics. */
export const ERNIE4_5_MOE: ArchEntry = {
  base: LLAMA,
  types: ["ernie4_5_moe"],
  from: TF("ernie4_5_moe"),
  defaults: { vocab_size: 103424, hidden_size: 2560, intermediate_size: 12288, num_hidden_layers: 28, num_attention_heads: 20, num_key_value_heads: 4, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: true, use_bias: false, moe_intermediate_size: 1536, moe_k: 6, moe_num_experts: 64, moe_num_shared_experts: 2, moe_layer_start_index: 1, moe_layer_end_index: -1, moe_layer_interval: 1 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "use_bias" },
  mlp: { prefix: "mlp", kind: "gated", bias: "use_bias" },
  moe: {
    experts: ["moe_num_experts", "num_experts"],
    topK: ["moe_k", "num_experts_per_tok"],
    width: ["moe_intermediate_size"],
    prefix: "mlp",
    router: "gate",
    layout: "per-expert",
    correctionBias: { name: "moe_statics.e_score_correction_bias" },
    shared: { name: "shared_experts", count: "moe_num_shared_experts" },
    layers: { rule: "start-interval", start: "moe_layer_start_index", interval: "moe_layer_interval", end: "moe_layer_end_index" },
  },
};

/** Hunyuan MoE (A13B): per-head query/key norms, a shared MLP of intermediate_size beside the experts, router `gate.wg`. */
export const HUNYUAN_MOE: ArchEntry = {
  base: LLAMA,
  types: ["hunyuan_v1_moe"],
  from: TF("hunyuan_v1_moe"),
  defaults: { vocab_size: 290943, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, num_experts: 1, moe_topk: 1, head_dim: null },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["query_layernorm", "key_layernorm"], width: "head" } },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: {
    experts: ["num_experts", "num_local_experts"],
    topK: ["moe_topk", "num_experts_per_tok"],
    width: ["intermediate_size"],
    prefix: "mlp",
    router: "gate.wg",
    layout: "per-expert",
    shared: { name: "shared_mlp", width: ["intermediate_size"] },
    layers: { rule: "all" },
  },
};

/** Granite 3 MoE: every layer sparse, experts stored fused (input_linear [E·2I, h], output_linear [E·h, I]). */
export const GRANITEMOE: ArchEntry = {
  base: LLAMA,
  types: ["granitemoe"],
  from: TF("granitemoe"),
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, num_local_experts: 8, num_experts_per_tok: 2 },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: {
    experts: ["num_local_experts", "num_experts"],
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
};

export const GRANITEMOESHARED: ArchEntry = {
  base: GRANITEMOE,
  types: ["granitemoeshared"],
  from: TF("granitemoeshared"),
  defaults: { shared_intermediate_size: 0 },
  moe: { ...GRANITEMOE.moe!, shared: { name: "shared_mlp", width: ["shared_intermediate_size"], kind: "fused-gated", up: "input_linear", down: "output_linear" } },
};

/**
 * Llama 4 text: experts on every interleave_moe_layer_step-th layer (or the `moe_layers` list), stored
 * fused (experts.gate_up_proj [E, h, 2I], experts.down_proj [E, I, h]) with a shared expert; dense layers
 * use intermediate_size_mlp. RoPE layers use chunked attention (attention_chunk_size), read as a window.
 */
export const LLAMA4_TEXT: ArchEntry = {
  base: LLAMA,
  types: ["llama4_text"],
  from: TF("llama4"),
  defaults: { vocab_size: 202048, hidden_size: 5120, intermediate_size: 8192, intermediate_size_mlp: 16384, num_hidden_layers: 48, num_attention_heads: 40, num_key_value_heads: 8, head_dim: 128, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, num_experts_per_tok: 1, num_local_experts: 16, moe_layers: null, interleave_moe_layer_step: 1, use_qk_norm: true, attention_bias: false, attention_chunk_size: 8192 },
  keys: { I: ["intermediate_size_mlp"] },
  mlp: { prefix: "feed_forward", kind: "gated" },
  moe: {
    experts: ["num_local_experts"],
    topK: ["num_experts_per_tok"],
    width: ["intermediate_size"],
    prefix: "feed_forward",
    router: "router",
    layout: "fused",
    shared: { name: "shared_expert", width: ["intermediate_size"] },
    layers: { rule: "list-or-step", list: "moe_layers", step: "interleave_moe_layer_step" },
  },
  slidingWindow: { key: "attention_chunk_size", fallback: 8192 },
};

/** gpt-oss: biased attention with a learned sink per head, every layer sparse with fused, biased experts. */
export const GPT_OSS: ArchEntry = {
  base: LLAMA,
  types: ["gpt_oss"],
  from: TF("gpt_oss"),
  defaults: { num_hidden_layers: 36, num_local_experts: 128, vocab_size: 201088, hidden_size: 2880, intermediate_size: 2880, head_dim: 64, num_attention_heads: 64, num_key_value_heads: 8, sliding_window: 128, tie_word_embeddings: false, hidden_act: "silu", max_position_embeddings: 131072, num_experts_per_tok: 4, attention_bias: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", sinks: true },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: {
    experts: ["num_local_experts", "num_experts"],
    topK: ["num_experts_per_tok", "experts_per_token"],
    width: ["intermediate_size"],
    prefix: "mlp",
    router: "router",
    routerBias: true,
    layout: "fused",
    expertBias: true,
    layers: { rule: "all" },
  },
  slidingWindow: { key: "sliding_window", fallback: 128 },
};
