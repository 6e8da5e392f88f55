/**
 * Encoder-decoders: T5 / Flan-T5 / mT5 / UMT5, BART / mBART, Whisper. The shape describes the decoder (its
 * self-attention KV cache); `encoder` (core/encoder-decoder.ts encoderFromConfig) describes the encoder, whose
 * output every decoder layer cross-attends to. Encoder tensors carry part "encoder".
 */
import { encoderFromConfig } from "../../core/encoder-decoder.js";
import type { ConfigReader } from "../config-reader.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchEntry, Dims } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;
const ENC = { part: "encoder" as const };

function attention(t: TensorList, P: string, h: number, inner: number, n: number, names: [string, string, string, string], bias: boolean | [boolean, boolean, boolean, boolean], extra = {}) {
  const b = Array.isArray(bias) ? bias : [bias, bias, bias, bias];
  t.linear(`${P}.${names[0]}`, inner, h, n, b[0], extra);
  t.linear(`${P}.${names[1]}`, inner, h, n, b[1], extra);
  t.linear(`${P}.${names[2]}`, inner, h, n, b[2], extra);
  t.linear(`${P}.${names[3]}`, h, inner, n, b[3], extra);
}

/**
 * T5 (modeling_t5.py): `shared` embedding; per block self-attention q/k/v/o without bias (inner num_heads·d_kv),
 * a relative-position bias table [buckets, heads] in block 0 (every block in UMT5), RMS layer norms, DenseReluDense
 * wi/wo or gated wi_0/wi_1/wo (feed_forward_proj gated-*), decoder blocks with EncDecAttention; lm_head unless tied.
 */
function t5Layers(t: TensorList, c: ConfigReader, d: Dims, perBlockBias: boolean) {
  const dm = d.h;
  const H = d.H;
  const inner = H * d.d;
  const Le = d.L;
  const Ld = c.int("num_decoder_layers", Le) || Le;
  const gated = c.str("feed_forward_proj", "relu").startsWith("gated");
  const buckets = c.int("relative_attention_num_buckets", 32);
  const ff = (P: string, n: number, extra = {}) => {
    if (gated) {
      t.linear(`${P}.wi_0`, d.I, dm, n, false, { module: "wi_0", ...extra });
      t.linear(`${P}.wi_1`, d.I, dm, n, false, { module: "wi_1", ...extra });
    } else t.linear(`${P}.wi`, d.I, dm, n, false, extra);
    t.linear(`${P}.wo`, dm, d.I, n, false, extra);
  };
  const E = "encoder.block.{L}";
  attention(t, `${E}.layer.0.SelfAttention`, dm, inner, Le, ["q", "k", "v", "o"], false, ENC);
  t.add(`encoder.block.${perBlockBias ? "{L}" : "0"}.layer.0.SelfAttention.relative_attention_bias.weight`, "other", [buckets, H], perBlockBias ? Le : 1, ENC);
  t.norm(`${E}.layer.0.layer_norm`, dm, Le);
  ff(`${E}.layer.1.DenseReluDense`, Le, ENC);
  t.norm(`${E}.layer.1.layer_norm`, dm, Le);
  t.norm("encoder.final_layer_norm", dm);
  const D = "decoder.block.{L}";
  attention(t, `${D}.layer.0.SelfAttention`, dm, inner, Ld, ["q", "k", "v", "o"], false);
  t.add(`decoder.block.${perBlockBias ? "{L}" : "0"}.layer.0.SelfAttention.relative_attention_bias.weight`, "other", [buckets, H], perBlockBias ? Ld : 1);
  t.norm(`${D}.layer.0.layer_norm`, dm, Ld);
  attention(t, `${D}.layer.1.EncDecAttention`, dm, inner, Ld, ["q", "k", "v", "o"], false, { kind: "linear" });
  t.norm(`${D}.layer.1.layer_norm`, dm, Ld);
  ff(`${D}.layer.2.DenseReluDense`, Ld);
  t.norm(`${D}.layer.2.layer_norm`, dm, Ld);
  t.norm("decoder.final_layer_norm", dm);
  if (!d.tie) t.add("lm_head.weight", "lm_head", [d.V, dm], 1, { module: "lm_head" });
  // The encoder shape is decoder-independent; the decoder has its own depth.
  for (const g of t.groups) if (g.name.startsWith("encoder.")) g.part = "encoder";
  return { layers: Ld, mlp: gated ? ("gated" as const) : ("plain" as const), activation: gated ? c.str("feed_forward_proj", "gated-gelu").slice(6) : "relu", norm: "rms" as const, maxPositions: c.int("n_positions", 512), encoder: encoderFromConfig(c.str("model_type", "t5"), c.raw), kvHeads: H };
}

export const T5: ArchEntry = {
  types: ["t5", "mt5"],
  from: `${TF("t5")}; mt5/modeling_mt5.py`,
  defaults: { vocab_size: 32128, d_model: 512, d_kv: 64, d_ff: 2048, num_layers: 6, num_decoder_layers: null, num_heads: 8, relative_attention_num_buckets: 32, feed_forward_proj: "relu", tie_word_embeddings: true, dropout_rate: 0.1 },
  keys: { h: ["d_model"], L: ["num_layers"], H: ["num_heads"], d: ["d_kv"], I: ["d_ff"], maxPos: ["n_positions"], act: [], kv: [] },
  embed: { tokens: "shared" },
  layer: "decoder.block.{L}",
  attention: { prefix: "layer.0.SelfAttention", layout: "qkvo" },
  mlp: { prefix: "layer.2.DenseReluDense", kind: "plain" },
  norms: { kind: "rms", final: "decoder.final_layer_norm" },
  head: { name: "lm_head" },
  custom: (t, c, d) => t5Layers(t, c, d, false),
  dropout: { attention: ["dropout_rate"], hidden: ["dropout_rate"] },
};

/** UMT5: T5's layout with a relative-position bias table in every block. */
export const UMT5: ArchEntry = {
  base: T5,
  types: ["umt5"],
  from: TF("umt5"),
  defaults: { vocab_size: 250112, d_model: 512, d_kv: 64, d_ff: 1024, num_layers: 8, num_heads: 6, feed_forward_proj: "gated-gelu", tie_word_embeddings: true },
  custom: (t, c, d) => t5Layers(t, c, d, true),
};

/**
 * BART / mBART (modeling_bart.py, modeling_mbart.py): `model.shared` [V, d] tied to both embed_tokens and the
 * head; learned positions of max_position_embeddings + 2 rows per side; post-LN layers with biased projections;
 * layernorm_embedding; mBART adds a final layer_norm per side; final_logits_bias [1, V] is a stored buffer.
 */
function bartLayers(t: TensorList, c: ConfigReader, d: Dims, mbart: boolean) {
  const h = d.h;
  const Le = c.int("encoder_layers", 12);
  const Ld = c.int("decoder_layers", 12);
  const Ie = c.int("encoder_ffn_dim", 4096);
  const Id = c.int("decoder_ffn_dim", 4096);
  const pos = d.maxPos + 2;
  for (const [side, L, I, extra] of [["encoder", Le, Ie, ENC], ["decoder", Ld, Id, {}]] as const) {
    const P = `model.${side}.layers.{L}`;
    t.add(`model.${side}.embed_positions.weight`, "embedding", [pos, h], 1, extra);
    attention(t, `${P}.self_attn`, h, h, L, ["q_proj", "k_proj", "v_proj", "out_proj"], true, extra);
    t.norm(`${P}.self_attn_layer_norm`, h, L, true);
    if (side === "decoder") {
      attention(t, `${P}.encoder_attn`, h, h, L, ["q_proj", "k_proj", "v_proj", "out_proj"], true);
      t.norm(`${P}.encoder_attn_layer_norm`, h, L, true);
    }
    t.linear(`${P}.fc1`, I, h, L, true, extra);
    t.linear(`${P}.fc2`, h, I, L, true, extra);
    t.norm(`${P}.final_layer_norm`, h, L, true);
    t.norm(`model.${side}.layernorm_embedding`, h, 1, true);
    if (mbart) t.norm(`model.${side}.layer_norm`, h, 1, true);
  }
  for (const g of t.groups) if (g.name.startsWith("model.encoder.")) g.part = "encoder";
  t.add("final_logits_bias", "bias", [1, d.V], 1, { module: "lm_head" });
  const heads = c.int("decoder_attention_heads", 16);
  return { layers: Ld, heads, kvHeads: heads, headDim: Math.floor(h / heads), intermediate: Id, mlp: "plain" as const, norm: "layer" as const, tiedEmbeddings: true, encoder: encoderFromConfig(c.str("model_type", "bart"), c.raw) };
}

export const BART: ArchEntry = {
  types: ["bart"],
  from: TF("bart"),
  defaults: { vocab_size: 50265, max_position_embeddings: 1024, encoder_layers: 12, encoder_ffn_dim: 4096, encoder_attention_heads: 16, decoder_layers: 12, decoder_ffn_dim: 4096, decoder_attention_heads: 16, activation_function: "gelu", d_model: 1024, tie_word_embeddings: true, dropout: 0.1, attention_dropout: 0 },
  keys: { h: ["d_model"], L: ["decoder_layers"], H: ["decoder_attention_heads"], I: ["decoder_ffn_dim"], act: ["activation_function"], kv: [] },
  embed: { tokens: "model.shared" },
  layer: "model.decoder.layers.{L}",
  attention: { prefix: "self_attn", layout: "qkvo", o: "out_proj", qkvBias: true },
  mlp: { prefix: "", kind: "plain", up: "fc1", down: "fc2", bias: true },
  norms: { kind: "layer", final: null },
  head: { name: "lm_head", alwaysTied: true },
  custom: (t, c, d) => bartLayers(t, c, d, false),
  dropout: { attention: ["attention_dropout"], hidden: ["dropout"] },
};

export const MBART: ArchEntry = {
  base: BART,
  types: ["mbart"],
  from: TF("mbart"),
  defaults: { vocab_size: 50265 },
  custom: (t, c, d) => bartLayers(t, c, d, true),
};

/**
 * Whisper (modeling_whisper.py): encoder conv1 [d, mels, 3], conv2 [d, d, 3] (biases), positions
 * [max_source_positions, d], pre-LN layers whose k_proj has no bias, a final layer_norm; the decoder has its
 * token embedding (tied to proj_out), positions [max_target_positions, d], self- and cross-attention.
 */
function whisperLayers(t: TensorList, c: ConfigReader, d: Dims) {
  const h = d.h;
  const Le = c.int("encoder_layers", 12);
  const Ld = c.int("decoder_layers", 12);
  const Ie = c.int("encoder_ffn_dim", 1536);
  const Id = c.int("decoder_ffn_dim", 1536);
  const mels = c.int("num_mel_bins", 80);
  const E = "model.encoder";
  t.add(`${E}.conv1.weight`, "other", [h, mels, 3], 1, ENC);
  t.add(`${E}.conv1.bias`, "bias", [h], 1, ENC);
  t.add(`${E}.conv2.weight`, "other", [h, h, 3], 1, ENC);
  t.add(`${E}.conv2.bias`, "bias", [h], 1, ENC);
  t.add(`${E}.embed_positions.weight`, "embedding", [c.int("max_source_positions", 1500), h], 1, ENC);
  t.add("model.decoder.embed_positions.weight", "embedding", [c.int("max_target_positions", 448), h]);
  const qkvo: [boolean, boolean, boolean, boolean] = [true, false, true, true];
  for (const [side, L, I, extra] of [["encoder", Le, Ie, ENC], ["decoder", Ld, Id, {}]] as const) {
    const P = `model.${side}.layers.{L}`;
    attention(t, `${P}.self_attn`, h, h, L, ["q_proj", "k_proj", "v_proj", "out_proj"], qkvo, extra);
    t.norm(`${P}.self_attn_layer_norm`, h, L, true);
    if (side === "decoder") {
      attention(t, `${P}.encoder_attn`, h, h, L, ["q_proj", "k_proj", "v_proj", "out_proj"], qkvo);
      t.norm(`${P}.encoder_attn_layer_norm`, h, L, true);
    }
    t.linear(`${P}.fc1`, I, h, L, true, extra);
    t.linear(`${P}.fc2`, h, I, L, true, extra);
    t.norm(`${P}.final_layer_norm`, h, L, true);
    t.norm(`model.${side}.layer_norm`, h, 1, true);
  }
  for (const g of t.groups) if (g.name.startsWith("model.encoder.")) g.part = "encoder";
  const heads = c.int("decoder_attention_heads", 6);
  return { layers: Ld, heads, kvHeads: heads, headDim: Math.floor(h / heads), intermediate: Id, mlp: "plain" as const, norm: "layer" as const, tiedEmbeddings: true, maxPositions: c.int("max_target_positions", 448), encoder: encoderFromConfig("whisper", c.raw) };
}

export const WHISPER: ArchEntry = {
  types: ["whisper"],
  from: TF("whisper"),
  defaults: { vocab_size: 51865, num_mel_bins: 80, encoder_layers: 4, encoder_attention_heads: 6, decoder_layers: 4, decoder_attention_heads: 6, decoder_ffn_dim: 1536, encoder_ffn_dim: 1536, activation_function: "gelu", d_model: 384, max_source_positions: 1500, max_target_positions: 448, tie_word_embeddings: true, dropout: 0, attention_dropout: 0 },
  keys: { h: ["d_model"], L: ["decoder_layers"], H: ["decoder_attention_heads"], I: ["decoder_ffn_dim"], maxPos: ["max_target_positions"], act: ["activation_function"], kv: [] },
  embed: { tokens: "model.decoder.embed_tokens" },
  layer: "model.decoder.layers.{L}",
  attention: { prefix: "self_attn", layout: "qkvo", o: "out_proj", qkvBias: true },
  mlp: { prefix: "", kind: "plain", up: "fc1", down: "fc2", bias: true },
  norms: { kind: "layer", final: "model.decoder.layer_norm" },
  head: { name: "proj_out", alwaysTied: true },
  custom: whisperLayers,
  dropout: { attention: ["attention_dropout"], hidden: ["dropout"] },
};
