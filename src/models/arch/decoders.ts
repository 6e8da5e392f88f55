/**
 * Llama-style decoders: `model.embed_tokens`, `model.layers.{L}.self_attn.{q,k,v,o}_proj`, a gated MLP,
 * RMSNorms, `lm_head`. Each entry names what differs. Layouts from the transformers 5.18.0 modeling files
 * (src/transformers/models/<type>/modeling_<type>.py at tag v5.18.0); defaults from the config classes
 * (configuration_<type>.py, same tag). Remote-code types say where their layout comes from.
 */
import { VramfitError } from "../../core/errors.js";
import type { LayerMixer, TensorGroup } from "../../core/model.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchEntry } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;

export const LLAMA: ArchEntry = {
  types: ["llama"],
  from: TF("llama"),
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, head_dim: null },
  keys: { act: ["hidden_act", "hidden_activation"] },
  embed: { tokens: "model.embed_tokens" },
  layer: "model.layers.{L}",
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias" },
  mlp: { prefix: "mlp", kind: "gated", bias: "mlp_bias" },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
  head: { name: "lm_head" },
};

export const MISTRAL: ArchEntry = {
  base: LLAMA,
  types: ["mistral"],
  from: TF("mistral"),
  // sliding_window only masks attention in transformers; the cache keeps every layer's tokens (as before).
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, sliding_window: 4096, attention_bias: false, mlp_bias: false },
};

export const MINISTRAL: ArchEntry = {
  base: MISTRAL,
  types: ["ministral", "ministral3"],
  // "ministral3" also names the Ministral 3 vision-language wrapper; only its text config is this layout.
  accepts: (c) => !c.obj("text_config"),
  from: `${TF("ministral")}; ministral3/modeling_ministral3.py (text model of Ministral 3)`,
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, sliding_window: 4096 },
};

export const QWEN2: ArchEntry = {
  base: LLAMA,
  types: ["qwen2"],
  from: TF("qwen2"),
  defaults: { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: true, oBias: false },
  mlp: { prefix: "mlp", kind: "gated" },
  layerTypes: { rule: "from-layer", when: "use_sliding_window", from: "max_window_layers" },
};

export const QWEN3: ArchEntry = {
  base: LLAMA,
  types: ["qwen3"],
  from: TF("qwen3"),
  defaults: { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, head_dim: 128, hidden_act: "silu", max_position_embeddings: 32768, tie_word_embeddings: false, attention_bias: false, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "head" } },
  mlp: { prefix: "mlp", kind: "gated" },
  layerTypes: { rule: "from-layer", when: "use_sliding_window", from: "max_window_layers" },
};

export const GEMMA: ArchEntry = {
  base: LLAMA,
  types: ["gemma"],
  from: TF("gemma"),
  defaults: { vocab_size: 256000, hidden_size: 3072, intermediate_size: 24576, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 16, head_dim: 256, hidden_act: "gelu_pytorch_tanh", max_position_embeddings: 8192, tie_word_embeddings: true, attention_bias: false },
  mlp: { prefix: "mlp", kind: "gated" },
  // GemmaForCausalLM ties lm_head to the embeddings whatever the config says.
  head: { name: "lm_head", alwaysTied: true },
};

export const GEMMA2: ArchEntry = {
  base: GEMMA,
  types: ["gemma2"],
  from: TF("gemma2"),
  defaults: { vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, hidden_activation: "gelu_pytorch_tanh", max_position_embeddings: 8192, tie_word_embeddings: true, attention_bias: false, sliding_window: 4096 },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["post_attention_layernorm", "pre_feedforward_layernorm"], post: ["post_feedforward_layernorm"], final: "model.norm" },
  layerTypes: { rule: "alternate" },
};

export const GEMMA3_TEXT: ArchEntry = {
  base: GEMMA2,
  types: ["gemma3_text"],
  from: TF("gemma3"),
  defaults: { vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, hidden_activation: "gelu_pytorch_tanh", max_position_embeddings: 131072, tie_word_embeddings: true, attention_bias: false, sliding_window: 4096, sliding_window_pattern: 6 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "head" } },
  layerTypes: { rule: "pattern", key: "sliding_window_pattern", fallback: 6 },
};

export const PHI3: ArchEntry = {
  base: LLAMA,
  types: ["phi3"],
  from: TF("phi3"),
  defaults: { vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, sliding_window: null },
  attention: { prefix: "self_attn", layout: "fused", qkv: "qkv_proj" },
  mlp: { prefix: "mlp", kind: "fused-gated", up: "gate_up_proj" },
};

export const GRANITE: ArchEntry = {
  base: LLAMA,
  types: ["granite"],
  from: TF("granite"),
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, mlp_bias: false },
};

export const SMOLLM3: ArchEntry = {
  base: LLAMA,
  types: ["smollm3"],
  from: TF("smollm3"),
  defaults: { vocab_size: 128256, hidden_size: 2048, intermediate_size: 11008, num_hidden_layers: 36, num_attention_heads: 16, num_key_value_heads: 4, hidden_act: "silu", max_position_embeddings: 32768, use_sliding_window: false, sliding_window: null, attention_bias: false, mlp_bias: false, tie_word_embeddings: true },
};

export const HELIUM: ArchEntry = {
  base: LLAMA,
  types: ["helium"],
  from: TF("helium"),
  defaults: { vocab_size: 48000, hidden_size: 2560, intermediate_size: 7040, num_hidden_layers: 24, num_attention_heads: 20, num_key_value_heads: 20, head_dim: 128, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false, mlp_bias: false },
};

/** Arcee (AFM): Llama attention, a non-gated ReLU² MLP. */
export const ARCEE: ArchEntry = {
  base: LLAMA,
  types: ["arcee"],
  from: TF("arcee"),
  defaults: { vocab_size: 32000, hidden_size: 2560, intermediate_size: 18432, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "relu2", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, head_dim: null },
  mlp: { prefix: "mlp", kind: "plain", bias: "mlp_bias" },
};

export const SEED_OSS: ArchEntry = {
  base: LLAMA,
  types: ["seed_oss"],
  from: TF("seed_oss"),
  defaults: { vocab_size: 155136, hidden_size: 4096, intermediate_size: 27648, num_hidden_layers: 64, num_attention_heads: 80, num_key_value_heads: 8, hidden_act: "silu", max_position_embeddings: 524288, tie_word_embeddings: false, attention_bias: true, attention_out_bias: false, mlp_bias: false, head_dim: 128 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", oBias: "attention_out_bias" },
};

/** Apertus: q/k norms per head, a non-gated xIELU MLP, norms named attention_layernorm / feedforward_layernorm. */
export const APERTUS: ArchEntry = {
  base: LLAMA,
  types: ["apertus"],
  from: TF("apertus"),
  defaults: { vocab_size: 131072, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "xielu", max_position_embeddings: 65536, tie_word_embeddings: false, attention_bias: false, mlp_bias: false },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "head" } },
  mlp: { prefix: "mlp", kind: "plain", bias: "mlp_bias" },
  norms: { kind: "rms", pre: ["attention_layernorm"], mid: ["feedforward_layernorm"], final: "model.norm" },
  // xIELU holds two learned scalars per layer (alpha_p, alpha_n).
  extra: (t, _c, d) => {
    t.add("model.layers.{L}.mlp.act_fn.alpha_p", "other", [1], d.L);
    t.add("model.layers.{L}.mlp.act_fn.alpha_n", "other", [1], d.L);
  },
};

/** Nemotron (Minitron): LayerNorm1P with bias, non-gated ReLU² MLP, partial rotary. */
export const NEMOTRON: ArchEntry = {
  base: LLAMA,
  types: ["nemotron"],
  from: TF("nemotron"),
  defaults: { vocab_size: 256000, hidden_size: 6144, intermediate_size: 24576, num_hidden_layers: 32, num_attention_heads: 48, head_dim: null, num_key_value_heads: null, hidden_act: "relu2", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false, mlp_bias: false },
  mlp: { prefix: "mlp", kind: "plain", bias: "mlp_bias" },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
};

/** StableLM: LayerNorms with bias, optional per-head q/k LayerNorms, optional parallel residual (one norm). */
export const STABLELM: ArchEntry = {
  base: LLAMA,
  types: ["stablelm", "stablelm_epoch"],
  from: TF("stablelm"),
  defaults: { vocab_size: 50304, intermediate_size: 6912, hidden_size: 2560, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, use_qkv_bias: false, qk_layernorm: false, use_parallel_residual: false },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "use_qkv_bias", oBias: false, qkNorm: { names: ["q_layernorm", "k_layernorm"], width: "all", kind: "layer-nobias", when: "qk_layernorm" } },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: (c) => (c.bool("use_parallel_residual", false) ? [] : ["post_attention_layernorm"]), final: "model.norm" },
};

/** StarCoder 2: biases everywhere (use_bias), LayerNorms, non-gated MLP c_fc / c_proj. */
export const STARCODER2: ArchEntry = {
  base: LLAMA,
  types: ["starcoder2"],
  from: TF("starcoder2"),
  defaults: { vocab_size: 49152, hidden_size: 3072, intermediate_size: 12288, num_hidden_layers: 30, num_attention_heads: 24, num_key_value_heads: 2, hidden_act: "gelu_pytorch_tanh", max_position_embeddings: 4096, sliding_window: null, use_bias: true, tie_word_embeddings: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "use_bias" },
  mlp: { prefix: "mlp", kind: "plain", up: "c_fc", down: "c_proj", bias: "use_bias" },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
};

/** Cohere (Command R): weight-only LayerNorm, one norm per layer (attention and MLP in parallel), tied. */
export const COHERE: ArchEntry = {
  base: LLAMA,
  types: ["cohere"],
  from: TF("cohere"),
  defaults: { vocab_size: 256000, hidden_size: 8192, intermediate_size: 22528, num_hidden_layers: 40, num_attention_heads: 64, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 8192, tie_word_embeddings: true, attention_bias: false, use_qk_norm: false },
  // CohereLayerNorm over (heads, head_dim): q_norm [H·d], k_norm [kv·d].
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "all", kind: "layer-nobias", when: "use_qk_norm" } },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "layer-nobias", pre: ["input_layernorm"], final: "model.norm" },
};

export const COHERE2: ArchEntry = {
  base: COHERE,
  types: ["cohere2"],
  from: TF("cohere2"),
  defaults: { vocab_size: 256000, hidden_size: 8192, intermediate_size: 22528, num_hidden_layers: 40, num_attention_heads: 64, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 8192, tie_word_embeddings: true, attention_bias: false, sliding_window: 4096, sliding_window_pattern: 4 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias" },
  layerTypes: { rule: "pattern", key: "sliding_window_pattern", fallback: 4 },
};

/** OLMo: non-parametric LayerNorms (no weights at all). */
export const OLMO: ArchEntry = {
  base: LLAMA,
  types: ["olmo"],
  from: TF("olmo"),
  defaults: { vocab_size: 50304, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "none", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
};

/** OLMo 2: norms after attention and after the MLP only, q/k RMSNorms over the whole projection. */
export const OLMO2: ArchEntry = {
  base: LLAMA,
  types: ["olmo2"],
  from: TF("olmo2"),
  defaults: { vocab_size: 50304, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["q_norm", "k_norm"], width: "all" } },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "rms", mid: ["post_attention_layernorm"], post: ["post_feedforward_layernorm"], final: "model.norm" },
};

/** OLMo 3: OLMo 2's tensors with sliding-window layers (layer_types). */
export const OLMO3: ArchEntry = {
  base: OLMO2,
  types: ["olmo3"],
  from: TF("olmo3"),
  defaults: { vocab_size: 50304, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, sliding_window: 4096 },
  layerTypes: { rule: "pattern", key: "sliding_window_pattern", fallback: 4 },
};

/** EXAONE 4: post-norms only, q/k norms per head, 3 local : 1 global layers. */
export const EXAONE4: ArchEntry = {
  base: LLAMA,
  types: ["exaone4"],
  from: TF("exaone4"),
  defaults: { vocab_size: 102400, hidden_size: 4096, intermediate_size: 16384, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, sliding_window: 4096, sliding_window_pattern: 4 },
  attention: { prefix: "self_attn", layout: "qkvo", qkNorm: { names: ["q_norm", "k_norm"], width: "head" } },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "rms", mid: ["post_attention_layernorm"], post: ["post_feedforward_layernorm"], final: "model.norm" },
  layerTypes: { rule: "pattern", key: "sliding_window_pattern", fallback: 4 },
};

/**
 * EXAONE 3 / 3.5 (remote code LGAI-EXAONE/EXAONE-3.5-*: modeling_exaone.py): GPT-style names over a
 * Llama block: transformer.h.{L}.attn.attention.{q,k,v,out}_proj, mlp.c_fc_0 (gate), c_fc_1 (up), c_proj.
 */
export const EXAONE: ArchEntry = {
  base: LLAMA,
  types: ["exaone"],
  from: "remote code LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct modeling_exaone.py (not in transformers)",
  defaults: { vocab_size: 102400, max_position_embeddings: 2048, hidden_size: 2048, num_layers: 32, num_attention_heads: 32, num_key_value_heads: null, intermediate_size: null, activation_function: "silu", tie_word_embeddings: true, head_dim: null },
  keys: { L: ["num_layers", "num_hidden_layers"], act: ["activation_function"] },
  embed: { tokens: "transformer.wte" },
  layer: "transformer.h.{L}",
  attention: { prefix: "attn.attention", layout: "qkvo", o: "out_proj" },
  mlp: { prefix: "mlp", kind: "gated", gate: "c_fc_0", up: "c_fc_1", down: "c_proj" },
  norms: { kind: "rms", pre: ["ln_1"], mid: ["ln_2"], final: "transformer.ln_f" },
};

/** GLM (GLM-4-9B in transformers): q/k/v biases, fused gate_up MLP, partial rotary. */
export const GLM: ArchEntry = {
  base: LLAMA,
  types: ["glm"],
  from: TF("glm"),
  defaults: { vocab_size: 151552, hidden_size: 4096, intermediate_size: 13696, num_hidden_layers: 40, num_attention_heads: 32, num_key_value_heads: 2, head_dim: 128, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: false, attention_bias: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", oBias: false },
  mlp: { prefix: "mlp", kind: "fused-gated", up: "gate_up_proj" },
};

/** GLM-4 (0414): GLM plus a norm after attention and after the MLP. */
export const GLM4: ArchEntry = {
  base: GLM,
  types: ["glm4"],
  from: TF("glm4"),
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["post_self_attn_layernorm", "post_attention_layernorm"], post: ["post_mlp_layernorm"], final: "model.norm" },
};

export const ERNIE4_5: ArchEntry = {
  base: LLAMA,
  types: ["ernie4_5"],
  from: TF("ernie4_5"),
  defaults: { vocab_size: 103424, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 18, num_attention_heads: 16, num_key_value_heads: 2, hidden_act: "silu", max_position_embeddings: 131072, tie_word_embeddings: true, use_bias: false, head_dim: 128 },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "use_bias" },
  mlp: { prefix: "mlp", kind: "gated", bias: "use_bias" },
};

/** Hunyuan dense: per-head query/key RMSNorms named query_layernorm / key_layernorm. */
export const HUNYUAN_DENSE: ArchEntry = {
  base: LLAMA,
  types: ["hunyuan_v1_dense"],
  from: TF("hunyuan_v1_dense"),
  defaults: { vocab_size: 290943, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, attention_bias: false, head_dim: null },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "attention_bias", qkNorm: { names: ["query_layernorm", "key_layernorm"], width: "head" } },
  mlp: { prefix: "mlp", kind: "gated" },
};

/** Persimmon / Fuyu's decoder: fused QKV with bias, per-head q/k LayerNorms, ReLU² MLP, LayerNorms. */
export const PERSIMMON: ArchEntry = {
  base: LLAMA,
  types: ["persimmon"],
  from: TF("persimmon"),
  defaults: { vocab_size: 262144, hidden_size: 4096, intermediate_size: 16384, num_hidden_layers: 36, num_attention_heads: 64, hidden_act: "relu2", max_position_embeddings: 16384, tie_word_embeddings: false, qk_layernorm: true },
  attention: { prefix: "self_attn", layout: "fused", qkv: "query_key_value", o: "dense", qkvBias: true, qkNorm: { names: ["q_layernorm", "k_layernorm"], width: "head", kind: "layer", when: "qk_layernorm" } },
  mlp: { prefix: "mlp", kind: "plain", up: "dense_h_to_4h", down: "dense_4h_to_h", bias: true },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.final_layernorm" },
};

/** Phi-1 / 1.5 / 2 in transformers: biased q/k/v and `dense`, parallel blocks (one LayerNorm), fc1/fc2, biased head. */
export const PHI: ArchEntry = {
  base: LLAMA,
  types: ["phi"],
  from: TF("phi"),
  defaults: { vocab_size: 51200, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "gelu_new", max_position_embeddings: 2048, tie_word_embeddings: false, qk_layernorm: false },
  attention: { prefix: "self_attn", layout: "qkvo", o: "dense", qkvBias: true, qkNorm: { names: ["q_layernorm", "k_layernorm"], width: "head", kind: "layer", when: "qk_layernorm" } },
  mlp: { prefix: "mlp", kind: "plain", up: "fc1", down: "fc2", bias: true },
  norms: { kind: "layer", pre: ["input_layernorm"], final: "model.final_layernorm" },
  head: { name: "lm_head", bias: true },
  dropout: { attention: ["attention_dropout"], hidden: ["resid_pdrop"] },
};

/** InternLM (v1, remote code internlm/internlm-7b modeling_internlm.py): Llama with biases on q/k/v/o (`bias`). */
export const INTERNLM: ArchEntry = {
  base: LLAMA,
  types: ["internlm"],
  from: "remote code internlm/internlm-7b modeling_internlm.py (not in transformers)",
  defaults: { vocab_size: 103168, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, bias: true },
  attention: { prefix: "self_attn", layout: "qkvo", qkvBias: "bias" },
  mlp: { prefix: "mlp", kind: "gated" },
};

/**
 * InternLM 2 / 2.5 (remote code internlm/internlm2-chat-7b modeling_internlm2.py): fused `wqkv`
 * [(H + 2·kv)·d, h] (grouped per KV head), `wo`, feed_forward w1 (gate) / w3 (up) / w2 (down), norms
 * attention_norm / ffn_norm, `tok_embeddings`, head `output`.
 */
export const INTERNLM2: ArchEntry = {
  base: LLAMA,
  types: ["internlm2"],
  from: "remote code internlm/internlm2-chat-7b modeling_internlm2.py (not in transformers)",
  defaults: { vocab_size: 103168, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: false, bias: true },
  embed: { tokens: "model.tok_embeddings" },
  attention: { prefix: "attention", layout: "fused", qkv: "wqkv", o: "wo", qkvBias: "bias" },
  mlp: { prefix: "feed_forward", kind: "gated", gate: "w1", up: "w3", down: "w2" },
  norms: { kind: "rms", pre: ["attention_norm"], mid: ["ffn_norm"], final: "model.norm" },
  head: { name: "output" },
};

/**
 * Baichuan 2 (remote code baichuan-inc/Baichuan2-7B-Base modeling_baichuan.py): fused `W_pack` [3h, h]
 * without bias; the head is a NormHead (a plain [V, h] weight).
 */
export const BAICHUAN: ArchEntry = {
  base: LLAMA,
  types: ["baichuan"],
  from: "remote code baichuan-inc/Baichuan2-7B-Base modeling_baichuan.py (not in transformers)",
  defaults: { vocab_size: 125696, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false },
  attention: { prefix: "self_attn", layout: "fused", qkv: "W_pack" },
  mlp: { prefix: "mlp", kind: "gated" },
};

/** Orion (remote code OrionStarAI/Orion-14B-Base modeling_orion.py): Llama tensors with LayerNorms (weight and bias). */
export const ORION: ArchEntry = {
  base: LLAMA,
  types: ["orion"],
  from: "remote code OrionStarAI/Orion-14B-Base modeling_orion.py (not in transformers)",
  defaults: { vocab_size: 84608, hidden_size: 4096, intermediate_size: 15360, num_hidden_layers: 40, num_attention_heads: 40, hidden_act: "silu", max_position_embeddings: 4096, tie_word_embeddings: false, attention_bias: false },
  mlp: { prefix: "mlp", kind: "gated" },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
};

/** openPangu-Embedded (remote code FreedomIntelligence/openPangu-Embedded-7B): InternLM-style biases on q/k/v/o. */
export const PANGU_EMBEDDED: ArchEntry = {
  base: INTERNLM,
  types: ["PanguEmbedded"],
  from: "remote code openPangu-Embedded-7B modeling_openpangu_dense.py (not in transformers); tensors read from its model.safetensors.index.json",
  defaults: { bias: false },
};

/**
 * MiMo (remote code XiaomiMiMo/MiMo-7B-Base modeling_mimo.py): Qwen2's decoder plus num_nextn_predict_layers
 * multi-token-prediction layers stored and built as model.mtp_layers.{i} (token/hidden norms, input_proj [h, 2h],
 * a Qwen2 attention and MLP, final_layernorm); counted, as the checkpoint holds them.
 */
export const MIMO: ArchEntry = {
  base: QWEN2,
  types: ["mimo"],
  from: "remote code XiaomiMiMo/MiMo-7B-Base modeling_mimo.py (not in transformers); MTP tensors read from its model.safetensors.index.json",
  extra: (t, c, d) => {
    const n = c.int("num_nextn_predict_layers", 0);
    if (n === 0) return;
    const M = "model.mtp_layers.{M}";
    for (const norm of ["input_layernorm", "token_layernorm", "hidden_layernorm", "post_attention_layernorm", "final_layernorm"]) t.norm(`${M}.${norm}`, d.h, n);
    t.linear(`${M}.input_proj`, d.h, 2 * d.h, n);
    t.linear(`${M}.self_attn.q_proj`, d.H * d.d, d.h, n, true);
    t.linear(`${M}.self_attn.k_proj`, d.kv * d.d, d.h, n, true);
    t.linear(`${M}.self_attn.v_proj`, d.kv * d.d, d.h, n, true);
    t.linear(`${M}.self_attn.o_proj`, d.h, d.H * d.d, n);
    t.linear(`${M}.mlp.gate_proj`, d.I, d.h, n);
    t.linear(`${M}.mlp.up_proj`, d.I, d.h, n);
    t.linear(`${M}.mlp.down_proj`, d.h, d.I, n);
  },
};

/**
 * MiniCPM (remote code openbmb/MiniCPM-2B-sft-bf16 modeling_minicpm.py): Llama tensors (scale_emb, scale_depth and
 * dim_model_base only scale activations); the MoE variant (num_experts) routes over experts of intermediate_size.
 * Expert tensor names are not verified against a checkpoint; their sizes follow the config.
 */
export const MINICPM: ArchEntry = {
  base: LLAMA,
  types: ["minicpm"],
  from: "remote code openbmb/MiniCPM-2B-sft-bf16 and MiniCPM-MoE-8x2B modeling_minicpm.py (not in transformers)",
  defaults: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, hidden_act: "silu", max_position_embeddings: 2048, tie_word_embeddings: true, num_experts: 0, num_experts_per_tok: 2 },
  mlp: { prefix: "mlp", kind: "gated" },
  moe: { experts: ["num_experts"], topK: ["num_experts_per_tok"], width: ["intermediate_size"], prefix: "mlp", router: "gate", layout: "per-expert", gate: "w1", up: "w3", down: "w2", layers: { rule: "all" } },
};

/**
 * Llama-Nemotron NAS (DeciLM, remote code nvidia/Llama-3_3-Nemotron-Super-49B-v1 modeling_decilm.py): Llama
 * layers whose block_configs[i] drop attention (no_op: no input_layernorm, no KV cache), replace it or the MLP
 * with one [h, h] linear, set KV heads as heads / n_heads_in_group, and size each MLP from ffn_mult
 * (find_multiple(int(2·ffn_mult·h/3), 256)). The shape's MLP width is the layers' mean (parameters are exact).
 */
export const NEMOTRON_NAS: ArchEntry = {
  base: LLAMA,
  types: ["nemotron-nas", "deci"],
  from: "remote code nvidia/Llama-3_3-Nemotron-Super-49B-v1 modeling_decilm.py / block_config.py (not in transformers)",
  defaults: { intermediate_size: null, num_key_value_heads: null },
  custom: (t, c, d) => {
    const blocks = c.array("block_configs") ?? [];
    if (blocks.length !== d.L) throw new VramfitError("invalid_file", `${c.where}: block_configs must list ${d.L} layers`);
    const P = "model.layers.{L}";
    const mixers: LayerMixer[] = [];
    let kv = 0;
    let widths = 0;
    let mlps = 0;
    for (const b of blocks as { attention?: Record<string, unknown>; ffn?: Record<string, unknown> }[]) {
      const a = b?.attention ?? {};
      const f = b?.ffn ?? {};
      if (a.no_op) mixers.push("none");
      else if (a.replace_with_linear) {
        mixers.push("none");
        t.norm(`${P}.input_layernorm`, d.h);
        t.linear(`${P}.self_attn.linear_attn`, d.h, d.h);
      } else {
        const group = typeof a.n_heads_in_group === "number" && a.n_heads_in_group > 0 ? a.n_heads_in_group : 1;
        const heads = Math.floor(d.H / group);
        kv = Math.max(kv, heads);
        mixers.push("attention");
        t.norm(`${P}.input_layernorm`, d.h);
        t.linear(`${P}.self_attn.q_proj`, d.H * d.d, d.h);
        t.linear(`${P}.self_attn.k_proj`, heads * d.d, d.h);
        t.linear(`${P}.self_attn.v_proj`, heads * d.d, d.h);
        t.linear(`${P}.self_attn.o_proj`, d.h, d.H * d.d);
      }
      if (f.no_op) continue;
      t.norm(`${P}.post_attention_layernorm`, d.h);
      if (f.replace_with_linear) t.linear(`${P}.mlp.linear_mlp`, d.h, d.h);
      else {
        const raw = Math.floor((2 * Number(f.ffn_mult ?? 1) * d.h) / 3);
        const I = raw % 256 === 0 ? raw : raw + 256 - (raw % 256);
        t.linear(`${P}.mlp.gate_proj`, I, d.h);
        t.linear(`${P}.mlp.up_proj`, I, d.h);
        t.linear(`${P}.mlp.down_proj`, d.h, I);
        widths += I;
        mlps++;
      }
    }
    merge(t);
    t.norm("model.norm", d.h);
    if (!d.tie) t.add("lm_head.weight", "lm_head", [d.V, d.h], 1, { module: "lm_head" });
    return { layerMixers: mixers, kvHeads: kv || d.H, intermediate: mlps ? Math.round(widths / mlps) : 0 };
  },
};

/** Folds groups with the same name and shape (one per layer above) into counted groups. */
function merge(t: TensorList) {
  const seen = new Map<string, TensorGroup>();
  const out: TensorGroup[] = [];
  for (const g of t.groups) {
    const key = `${g.name}|${g.shape.join("x")}`;
    const prev = seen.get(key);
    if (prev) prev.count += g.count;
    else {
      seen.set(key, g);
      out.push(g);
    }
  }
  t.groups.splice(0, t.groups.length, ...out);
}
