/**
 * GPT-style decoders (`transformer.h.{L}`, learned or rotary positions, LayerNorms, non-gated MLPs) and the
 * other pre-Llama layouts: GPT-2, GPT-BigCode, GPT-Neo, GPT-NeoX, GPT-J, CodeGen, BLOOM, Falcon, MPT, OPT,
 * OpenAI GPT, and the remote-code Qwen 1, ChatGLM and Phi-2 (phi-msft). GPT-2-family Conv1D weights are
 * listed as [out, in] like nn.Linear (same element count).
 */
import type { ConfigReader } from "../config-reader.js";
import type { ArchEntry, Dims } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;

const GPT_KEYS = {
  h: ["n_embd", "hidden_size"],
  L: ["n_layer", "num_hidden_layers"],
  H: ["n_head", "num_attention_heads"],
  I: ["n_inner"],
  maxPos: ["n_positions", "max_position_embeddings"],
  act: ["activation_function"],
};
const GPT_DROPOUT = { attention: ["attention_dropout", "attn_pdrop"], hidden: ["hidden_dropout", "resid_pdrop"] };

export const GPT2: ArchEntry = {
  types: ["gpt2"],
  from: TF("gpt2"),
  defaults: { vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, activation_function: "gelu_new", tie_word_embeddings: true },
  keys: GPT_KEYS,
  embed: { tokens: "transformer.wte", positions: { name: "transformer.wpe" } },
  layer: "transformer.h.{L}",
  attention: { prefix: "attn", layout: "fused", qkv: "c_attn", o: "c_proj", qkvBias: true },
  mlp: { prefix: "mlp", kind: "plain", up: "c_fc", down: "c_proj", bias: true },
  norms: { kind: "layer", pre: ["ln_1"], mid: ["ln_2"], final: "transformer.ln_f" },
  head: { name: "lm_head" },
  dropout: GPT_DROPOUT,
};

/** GPT-BigCode (StarCoder, SantaCoder): GPT-2's block with multi-query attention (one KV head). */
export const GPT_BIGCODE: ArchEntry = {
  base: GPT2,
  types: ["gpt_bigcode"],
  from: TF("gpt_bigcode"),
  defaults: { vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, activation_function: "gelu_pytorch_tanh", multi_query: true, tie_word_embeddings: true },
  dims: (c, d) => ({ ...d, kv: c.bool("multi_query", true) ? 1 : d.H }),
};

/** OpenAI GPT (GPT-1): post-LN blocks, learned positions, no final norm, tied head. */
export const OPENAI_GPT: ArchEntry = {
  base: GPT2,
  types: ["openai-gpt"],
  from: "transformers v5.18.0 models/openai/modeling_openai.py",
  defaults: { vocab_size: 40478, n_positions: 512, n_embd: 768, n_layer: 12, n_head: 12, afn: "gelu", tie_word_embeddings: true },
  keys: { ...GPT_KEYS, act: ["afn"] },
  embed: { tokens: "transformer.tokens_embed", positions: { name: "transformer.positions_embed" } },
  norms: { kind: "layer", mid: ["ln_1"], post: ["ln_2"], final: null },
};

/** GPT-Neo: GPT-2 names with separate q/k/v (no bias) under attn.attention, out_proj with bias. */
export const GPT_NEO: ArchEntry = {
  base: GPT2,
  types: ["gpt_neo"],
  from: TF("gpt_neo"),
  defaults: { vocab_size: 50257, max_position_embeddings: 2048, hidden_size: 2048, num_layers: 24, num_heads: 16, intermediate_size: null, activation_function: "gelu_new", tie_word_embeddings: true },
  keys: { h: ["hidden_size"], L: ["num_layers", "num_hidden_layers"], H: ["num_heads", "num_attention_heads"], I: ["intermediate_size"], maxPos: ["max_position_embeddings"], act: ["activation_function"] },
  attention: { prefix: "attn.attention", layout: "qkvo", o: "out_proj", qkvBias: false, oBias: true },
};

/** GPT-J: separate q/k/v/out_proj without bias, parallel attention and MLP under one LayerNorm, biased head. */
export const GPTJ: ArchEntry = {
  base: GPT2,
  types: ["gptj"],
  from: TF("gptj"),
  defaults: { vocab_size: 50400, n_positions: 2048, n_embd: 4096, n_layer: 28, n_head: 16, rotary_dim: 64, n_inner: null, activation_function: "gelu_new", tie_word_embeddings: false },
  embed: { tokens: "transformer.wte" },
  attention: { prefix: "attn", layout: "qkvo", o: "out_proj", qkvBias: false },
  mlp: { prefix: "mlp", kind: "plain", up: "fc_in", down: "fc_out", bias: true },
  norms: { kind: "layer", pre: ["ln_1"], final: "transformer.ln_f" },
  head: { name: "lm_head", bias: true },
};

/** CodeGen: GPT-J's block with a fused qkv_proj (no bias). */
export const CODEGEN: ArchEntry = {
  base: GPTJ,
  types: ["codegen"],
  from: TF("codegen"),
  attention: { prefix: "attn", layout: "fused", qkv: "qkv_proj", o: "out_proj", qkvBias: false },
};

/** GPT-NeoX / Pythia: fused query_key_value with bias, two LayerNorms, untied `embed_out`. */
export const GPT_NEOX: ArchEntry = {
  types: ["gpt_neox"],
  from: TF("gpt_neox"),
  defaults: { vocab_size: 50432, hidden_size: 6144, num_hidden_layers: 44, num_attention_heads: 64, intermediate_size: 24576, hidden_act: "gelu", max_position_embeddings: 2048, tie_word_embeddings: false, use_parallel_residual: true, attention_bias: true },
  embed: { tokens: "gpt_neox.embed_in" },
  layer: "gpt_neox.layers.{L}",
  attention: { prefix: "attention", layout: "fused", qkv: "query_key_value", o: "dense", qkvBias: "attention_bias" },
  mlp: { prefix: "mlp", kind: "plain", up: "dense_h_to_4h", down: "dense_4h_to_h", bias: true },
  norms: { kind: "layer", pre: ["input_layernorm", "post_attention_layernorm"], final: "gpt_neox.final_layer_norm" },
  head: { name: "embed_out" },
  dropout: GPT_DROPOUT,
};

/** BLOOM: ALiBi, a LayerNorm after the embeddings, fused query_key_value with bias; keys n_embed / n_layer / n_head. */
export const BLOOM: ArchEntry = {
  types: ["bloom"],
  from: TF("bloom"),
  defaults: { vocab_size: 250880, hidden_size: 64, n_layer: 2, n_head: 8, tie_word_embeddings: true },
  keys: { h: ["hidden_size", "n_embed"], L: ["n_layer", "num_hidden_layers"], H: ["n_head", "num_attention_heads"], maxPos: ["seq_length", "max_position_embeddings"], act: [] },
  embed: { tokens: "transformer.word_embeddings", norm: "transformer.word_embeddings_layernorm" },
  layer: "transformer.h.{L}",
  attention: { prefix: "self_attention", layout: "fused", qkv: "query_key_value", o: "dense", qkvBias: true },
  mlp: { prefix: "mlp", kind: "plain", up: "dense_h_to_4h", down: "dense_4h_to_h", bias: true },
  norms: { kind: "layer", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "transformer.ln_f" },
  head: { name: "lm_head" },
  dims: (_c, d) => ({ ...d, act: "gelu" }),
  dropout: GPT_DROPOUT,
};

/**
 * Falcon: the new decoder architecture (40B/180B: grouped KV, ln_attn + ln_mlp) or the 7B one (multi-query,
 * one input_layernorm, parallel attention). RefinedWeb / RefinedWebModel are the remote-code names of the
 * same two layouts (keys n_layer, n_head, n_head_kv).
 */
export const FALCON: ArchEntry = {
  types: ["falcon"],
  from: TF("falcon"),
  defaults: { vocab_size: 65024, hidden_size: 4544, num_hidden_layers: 32, num_attention_heads: 71, num_ln_in_parallel_attn: null, num_kv_heads: null, new_decoder_architecture: false, multi_query: true, parallel_attn: true, bias: false, max_position_embeddings: 2048, ffn_hidden_size: null, tie_word_embeddings: true },
  keys: { L: ["num_hidden_layers", "n_layer"], H: ["num_attention_heads", "n_head"], I: ["ffn_hidden_size"], act: [] },
  embed: { tokens: "transformer.word_embeddings" },
  layer: "transformer.h.{L}",
  attention: { prefix: "self_attention", layout: "fused", qkv: "query_key_value", o: "dense", qkvBias: "bias" },
  mlp: { prefix: "mlp", kind: "plain", up: "dense_h_to_4h", down: "dense_4h_to_h", bias: "bias" },
  norms: {
    kind: "layer",
    pre: (c) => {
      if (c.bool("new_decoder_architecture", false) && (c.has("num_ln_in_parallel_attn") ? c.int("num_ln_in_parallel_attn") : 2) === 2) return ["ln_attn", "ln_mlp"];
      return c.bool("parallel_attn", true) ? ["input_layernorm"] : ["input_layernorm", "post_attention_layernorm"];
    },
    final: "transformer.ln_f",
  },
  head: { name: "lm_head" },
  dims: falconDims,
  dropout: GPT_DROPOUT,
};

function falconDims(c: ConfigReader, d: Dims): Dims {
  const kv = c.bool("new_decoder_architecture", false) ? c.int(["num_kv_heads", "n_head_kv"], d.H) || d.H : c.bool("multi_query", true) ? 1 : d.H;
  return { ...d, kv, d: Math.floor(d.h / d.H), act: "gelu" };
}

export const REFINED_WEB: ArchEntry = {
  base: FALCON,
  types: ["RefinedWeb"],
  from: "remote code tiiuae/falcon-40b modelling_RW.py (RefinedWeb: the new decoder architecture)",
  defaults: { new_decoder_architecture: true },
};

export const REFINED_WEB_MODEL: ArchEntry = {
  base: FALCON,
  types: ["RefinedWebModel"],
  from: "remote code tiiuae/falcon-7b modelling_RW.py (RefinedWebModel: multi-query, parallel attention)",
  defaults: { new_decoder_architecture: false },
};

/** MPT: ALiBi, fused Wqkv, weight-only LayerNorms, MLP of expansion_ratio × d_model, no biases, tied. */
export const MPT: ArchEntry = {
  types: ["mpt"],
  from: TF("mpt"),
  defaults: { d_model: 2048, n_heads: 16, n_layers: 24, expansion_ratio: 4, max_seq_len: 2048, vocab_size: 50368, tie_word_embeddings: true, no_bias: true },
  keys: { h: ["d_model", "hidden_size"], L: ["n_layers", "num_hidden_layers"], H: ["n_heads", "num_attention_heads"], maxPos: ["max_seq_len"], act: [], I: [] },
  embed: { tokens: "transformer.wte" },
  layer: "transformer.blocks.{L}",
  attention: { prefix: "attn", layout: "fused", qkv: "Wqkv", o: "out_proj", qkvBias: "!no_bias" },
  mlp: { prefix: "ffn", kind: "plain", up: "up_proj", down: "down_proj", bias: "!no_bias" },
  norms: { kind: "layer-nobias", pre: ["norm_1"], mid: ["norm_2"], final: "transformer.norm_f" },
  head: { name: "lm_head", alwaysTied: true },
  dims: (c, d) => {
    const attn = c.obj("attn_config");
    const kv = attn && typeof attn.kv_n_heads === "number" && attn.kv_n_heads > 0 ? attn.kv_n_heads : d.H;
    return { ...d, kv, I: Math.round(c.num("expansion_ratio", 4) * d.h), act: "gelu" };
  },
};

/** OPT: learned positions with 2 offset rows, optional project_in/out (350m), biases (enable_bias), tied head. */
export const OPT: ArchEntry = {
  types: ["opt"],
  from: TF("opt"),
  defaults: { vocab_size: 50272, hidden_size: 768, num_hidden_layers: 12, ffn_dim: 3072, max_position_embeddings: 2048, do_layer_norm_before: true, word_embed_proj_dim: null, num_attention_heads: 12, activation_function: "relu", enable_bias: true, tie_word_embeddings: true },
  keys: { I: ["ffn_dim"], act: ["activation_function"] },
  embed: { tokens: "model.decoder.embed_tokens", positions: { name: "model.decoder.embed_positions", offset: 2 }, widthKey: "word_embed_proj_dim" },
  layer: "model.decoder.layers.{L}",
  attention: { prefix: "self_attn", layout: "qkvo", o: "out_proj", qkvBias: "enable_bias" },
  mlp: { prefix: "", kind: "plain", up: "fc1", down: "fc2", bias: "enable_bias" },
  norms: {
    kind: "layer",
    mid: ["self_attn_layer_norm"],
    post: ["final_layer_norm"],
    final: (c) => (c.bool("do_layer_norm_before", true) && !c.bool("_remove_final_layer_norm", false) ? "model.decoder.final_layer_norm" : null),
  },
  head: { name: "lm_head", alwaysTied: true },
  extra: (t, c, d) => {
    const wp = c.int("word_embed_proj_dim", d.h) || d.h;
    if (wp !== d.h) {
      t.linear("model.decoder.project_out", wp, d.h, 1, false, { kind: "other" });
      t.linear("model.decoder.project_in", d.h, wp, 1, false, { kind: "other" });
    }
  },
  dropout: GPT_DROPOUT,
};

/**
 * Qwen (v1, remote code Qwen/Qwen-7B modeling_qwen.py): transformer.h.{L}.attn.c_attn [3h, h] with bias,
 * c_proj without; MLP w1, w2 [I/2, h] and c_proj [h, I/2] (intermediate_size is twice the branch width).
 */
export const QWEN1: ArchEntry = {
  types: ["qwen"],
  from: "remote code Qwen/Qwen-7B modeling_qwen.py (not in transformers)",
  defaults: { vocab_size: 151936, hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, intermediate_size: 22016, max_position_embeddings: 8192, tie_word_embeddings: false },
  keys: { maxPos: ["seq_length", "max_position_embeddings"], act: [] },
  embed: { tokens: "transformer.wte" },
  layer: "transformer.h.{L}",
  attention: { prefix: "attn", layout: "fused", qkv: "c_attn", o: "c_proj", qkvBias: true, oBias: false },
  mlp: { prefix: "mlp", kind: "gated", gate: "w2", up: "w1", down: "c_proj" },
  norms: { kind: "rms", pre: ["ln_1"], mid: ["ln_2"], final: "transformer.ln_f" },
  head: { name: "lm_head" },
  dims: (c, d) => ({ ...d, d: c.int("kv_channels", Math.floor(d.h / d.H)) || Math.floor(d.h / d.H), I: Math.floor(d.I / 2), act: "silu" }),
};

/**
 * ChatGLM 2/3 and GLM-4-9B (remote code THUDM/chatglm3-6b modeling_chatglm.py): one fused
 * query_key_value [(H + 2·groups)·kv_channels, h] (bias add_qkv_bias), dense, a fused SwiGLU
 * dense_h_to_4h [2·ffn_hidden_size, h], RMSNorms, untied `output_layer` [padded_vocab_size, h].
 */
export const CHATGLM: ArchEntry = {
  types: ["chatglm"],
  from: "remote code THUDM/chatglm3-6b modeling_chatglm.py (not in transformers)",
  defaults: { padded_vocab_size: 65024, hidden_size: 4096, num_layers: 28, num_attention_heads: 32, kv_channels: 128, ffn_hidden_size: 13696, seq_length: 2048, multi_query_attention: false, multi_query_group_num: 1, add_bias_linear: false, add_qkv_bias: false, post_layer_norm: true, rmsnorm: true, tie_word_embeddings: false },
  keys: { L: ["num_layers", "num_hidden_layers"], V: ["padded_vocab_size", "vocab_size"], d: ["kv_channels"], I: ["ffn_hidden_size"], maxPos: ["seq_length"], act: [] },
  embed: { tokens: "transformer.embedding.word_embeddings" },
  layer: "transformer.encoder.layers.{L}",
  attention: { prefix: "self_attention", layout: "fused", qkv: "query_key_value", o: "dense", qkvBias: "add_qkv_bias", oBias: "add_bias_linear" },
  mlp: { prefix: "mlp", kind: "fused-gated", up: "dense_h_to_4h", down: "dense_4h_to_h", bias: "add_bias_linear" },
  norms: { kind: "rms", pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: (c) => (c.bool("post_layer_norm", true) ? "transformer.encoder.final_layernorm" : null) },
  head: { name: "transformer.output_layer" },
  dims: (c, d) => ({ ...d, kv: c.bool("multi_query_attention", false) ? c.int("multi_query_group_num", 1) || 1 : d.H, act: "silu" }),
};

/**
 * Phi-1.5 / Phi-2 as first published (remote code microsoft/phi-2 modeling_phi.py, model_type phi-msft):
 * transformer.embd.wte, mixer.Wqkv and out_proj with bias, fc1/fc2, one LayerNorm `ln`, head lm_head.ln + lm_head.linear.
 */
export const PHI_MSFT: ArchEntry = {
  types: ["phi-msft", "mixformer-sequential"],
  from: "remote code microsoft/phi-2 modeling_phi.py (before transformers' phi; not in transformers)",
  defaults: { vocab_size: 50304, n_positions: 2048, n_embd: 1024, n_layer: 20, n_inner: null, n_head: 16, activation_function: "gelu_new", tie_word_embeddings: false },
  keys: GPT_KEYS,
  embed: { tokens: "transformer.embd.wte" },
  layer: "transformer.h.{L}",
  attention: { prefix: "mixer", layout: "fused", qkv: "Wqkv", o: "out_proj", qkvBias: true },
  mlp: { prefix: "mlp", kind: "plain", up: "fc1", down: "fc2", bias: true },
  norms: { kind: "layer", pre: ["ln"], final: "lm_head.ln" },
  head: { name: "lm_head.linear", bias: true },
  dropout: GPT_DROPOUT,
};
