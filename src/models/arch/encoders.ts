/**
 * Encoder-only models (embeddings, rerankers, masked LMs): no KV cache, no generation. The head follows
 * `architectures`: *ForMaskedLM adds the MLM transform (its decoder is tied to the embeddings),
 * *ForPreTraining adds the pooler, MLM transform and next-sentence head, anything else (BertModel, the
 * sentence-transformers checkpoints) the pooler.
 */
import type { ConfigReader } from "../config-reader.js";
import type { TensorList } from "../tensor-list.js";
import type { ArchEntry, Dims } from "./spec.js";

const TF = (t: string) => `transformers v5.18.0 models/${t}/modeling_${t}.py`;

function architectures(c: ConfigReader): string {
  return (c.array("architectures") ?? []).map(String).join(",");
}

/** BERT-family heads: the pooler for base models, the MLM transform for masked LMs. */
function bertHead(prefix: string, mlm: { dense: string; norm: string; bias: string }) {
  return (t: TensorList, c: ConfigReader, d: Dims) => {
    const arch = architectures(c);
    const pretraining = /PreTraining/.test(arch);
    if (/MaskedLM|PreTraining/.test(arch)) {
      t.linear(mlm.dense, d.h, d.h, 1, true, { kind: "other", module: "dense" });
      t.norm(mlm.norm, d.h, 1, true);
      t.add(mlm.bias, "bias", [d.V]);
    }
    if (!/MaskedLM/.test(arch) || pretraining) t.linear(`${prefix}.pooler.dense`, d.h, d.h, 1, true, { kind: "other", module: "dense" });
    if (pretraining) t.linear("cls.seq_relationship", 2, d.h, 1, true, { kind: "other" });
  };
}

export const BERT: ArchEntry = {
  types: ["bert"],
  from: TF("bert"),
  defaults: { vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_act: "gelu", max_position_embeddings: 512, type_vocab_size: 2, tie_word_embeddings: true, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 },
  embed: {
    tokens: "bert.embeddings.word_embeddings",
    positions: { name: "bert.embeddings.position_embeddings" },
    tokenTypes: { name: "bert.embeddings.token_type_embeddings", key: "type_vocab_size" },
    norm: "bert.embeddings.LayerNorm",
  },
  layer: "bert.encoder.layer.{L}",
  attention: { prefix: "attention", layout: "qkvo", q: "self.query", k: "self.key", v: "self.value", o: "output.dense", qkvBias: true },
  mlp: { prefix: "", kind: "plain", up: "intermediate.dense", down: "output.dense", bias: true },
  norms: { kind: "layer", mid: ["attention.output.LayerNorm"], post: ["output.LayerNorm"], final: null },
  head: { name: "cls.predictions.decoder", none: true },
  encoderOnly: true,
  extra: bertHead("bert", { dense: "cls.predictions.transform.dense", norm: "cls.predictions.transform.LayerNorm", bias: "cls.predictions.bias" }),
  dropout: { attention: ["attention_probs_dropout_prob"], hidden: ["hidden_dropout_prob"] },
};

const ROBERTA_EMBED = {
  tokens: "roberta.embeddings.word_embeddings",
  positions: { name: "roberta.embeddings.position_embeddings" },
  tokenTypes: { name: "roberta.embeddings.token_type_embeddings", key: "type_vocab_size" },
  norm: "roberta.embeddings.LayerNorm",
};

/** RoBERTa, XLM-RoBERTa (BGE-M3, multilingual-e5, bge-reranker), CamemBERT: BERT's block under `roberta.`. */
export const ROBERTA: ArchEntry = {
  base: BERT,
  types: ["roberta", "xlm-roberta", "camembert"],
  from: `${TF("roberta")}; xlm_roberta/modeling_xlm_roberta.py; camembert/modeling_camembert.py`,
  defaults: { vocab_size: 50265, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_act: "gelu", max_position_embeddings: 512, type_vocab_size: 2, tie_word_embeddings: true },
  embed: ROBERTA_EMBED,
  layer: "roberta.encoder.layer.{L}",
  extra: bertHead("roberta", { dense: "lm_head.dense", norm: "lm_head.layer_norm", bias: "lm_head.bias" }),
};

/** MPNet (all-mpnet-base-v2): BERT's block with attention.attn.{q,k,v,o} and one relative-position bias table. */
export const MPNET: ArchEntry = {
  base: BERT,
  types: ["mpnet"],
  from: TF("mpnet"),
  defaults: { vocab_size: 30527, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_act: "gelu", max_position_embeddings: 512, relative_attention_num_buckets: 32, tie_word_embeddings: true },
  embed: { tokens: "mpnet.embeddings.word_embeddings", positions: { name: "mpnet.embeddings.position_embeddings" }, norm: "mpnet.embeddings.LayerNorm" },
  layer: "mpnet.encoder.layer.{L}",
  attention: { prefix: "attention", layout: "qkvo", q: "attn.q", k: "attn.k", v: "attn.v", o: "attn.o", qkvBias: true },
  norms: { kind: "layer", mid: ["attention.LayerNorm"], post: ["output.LayerNorm"], final: null },
  extra: (t, c, d) => {
    t.add("mpnet.encoder.relative_attention_bias.weight", "other", [c.int("relative_attention_num_buckets", 32), d.H]);
    bertHead("mpnet", { dense: "lm_head.dense", norm: "lm_head.layer_norm", bias: "lm_head.bias" })(t, c, d);
  },
};

/** DistilBERT: six BERT blocks with q_lin/k_lin/v_lin/out_lin, no token types, no pooler. */
export const DISTILBERT: ArchEntry = {
  base: BERT,
  types: ["distilbert"],
  from: TF("distilbert"),
  defaults: { vocab_size: 30522, max_position_embeddings: 512, n_layers: 6, n_heads: 12, dim: 768, hidden_dim: 3072, activation: "gelu", tie_word_embeddings: true, dropout: 0.1, attention_dropout: 0.1 },
  keys: { h: ["dim", "hidden_size"], L: ["n_layers", "num_hidden_layers"], H: ["n_heads", "num_attention_heads"], I: ["hidden_dim"], act: ["activation"] },
  embed: { tokens: "distilbert.embeddings.word_embeddings", positions: { name: "distilbert.embeddings.position_embeddings" }, norm: "distilbert.embeddings.LayerNorm" },
  layer: "distilbert.transformer.layer.{L}",
  attention: { prefix: "attention", layout: "qkvo", q: "q_lin", k: "k_lin", v: "v_lin", o: "out_lin", qkvBias: true },
  mlp: { prefix: "ffn", kind: "plain", up: "lin1", down: "lin2", bias: true },
  norms: { kind: "layer", mid: ["sa_layer_norm"], post: ["output_layer_norm"], final: null },
  extra: (t, c, d) => {
    if (/MaskedLM/.test(architectures(c))) {
      t.linear("vocab_transform", d.h, d.h, 1, true, { kind: "other" });
      t.norm("vocab_layer_norm", d.h, 1, true);
      t.add("vocab_projector.bias", "bias", [d.V]);
    }
  },
  dropout: { attention: ["attention_dropout"], hidden: ["dropout"] },
};

/**
 * ModernBERT: fused Wqkv, GeGLU Wi [2I, h], weight-only LayerNorms (norm_bias), no attention norm in layer 0,
 * rotary positions; the masked-LM head (head.dense, head.norm, decoder bias) for *ForMaskedLM.
 */
export const MODERNBERT: ArchEntry = {
  types: ["modernbert"],
  from: TF("modernbert"),
  defaults: { vocab_size: 50368, hidden_size: 768, intermediate_size: 1152, num_hidden_layers: 22, num_attention_heads: 12, hidden_activation: "gelu", max_position_embeddings: 8192, norm_bias: false, attention_bias: false, mlp_bias: false, classifier_bias: false, decoder_bias: true, tie_word_embeddings: true },
  keys: { act: ["hidden_activation"] },
  embed: { tokens: "model.embeddings.tok_embeddings", norm: "model.embeddings.norm" },
  layer: "model.layers.{L}",
  attention: { prefix: "attn", layout: "fused", qkv: "Wqkv", o: "Wo", qkvBias: "attention_bias" },
  mlp: { prefix: "mlp", kind: "fused-gated", up: "Wi", down: "Wo", bias: "mlp_bias" },
  norms: { kind: "layer-nobias", mid: ["mlp_norm"], final: "model.final_norm" },
  head: { name: "decoder", none: true },
  encoderOnly: true,
  dims: (c, d) => d,
  extra: (t, c, d) => {
    const norm = (name: string, count: number) => t.norm(name, d.h, count, c.bool("norm_bias", false));
    norm("model.layers.{L}.attn_norm", d.L - 1);
    if (/MaskedLM/.test(architectures(c))) {
      t.linear("head.dense", d.h, d.h, 1, c.bool("classifier_bias", false), { kind: "other" });
      norm("head.norm", 1);
      if (c.bool("decoder_bias", true)) t.add("decoder.bias", "bias", [d.V]);
    }
  },
  dropout: { attention: ["attention_dropout"] },
};

/**
 * Nomic BERT (nomic-embed-text v1/v1.5, remote code nomic-ai/nomic-bert-2048 modeling_hf_nomic_bert.py):
 * fused Wqkv, SwiGLU fc11 (up) / fc12 (gate) / fc2, post-LN norm1/norm2, rotary positions, token types.
 */
export const NOMIC_BERT: ArchEntry = {
  types: ["nomic_bert"],
  from: "remote code nomic-ai/nomic-bert-2048 modeling_hf_nomic_bert.py (not in transformers); not checked against an index file here",
  defaults: { vocab_size: 30528, n_positions: 2048, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, activation_function: "swiglu", type_vocab_size: 2, qkv_proj_bias: false, mlp_fc1_bias: false, mlp_fc2_bias: false, tie_word_embeddings: true },
  keys: { h: ["n_embd"], L: ["n_layer"], H: ["n_head"], I: ["n_inner"], maxPos: ["n_positions"], act: ["activation_function"] },
  embed: { tokens: "embeddings.word_embeddings", tokenTypes: { name: "embeddings.token_type_embeddings", key: "type_vocab_size" }, norm: "emb_ln" },
  layer: "encoder.layers.{L}",
  attention: { prefix: "attn", layout: "fused", qkv: "Wqkv", o: "out_proj", qkvBias: "qkv_proj_bias" },
  mlp: { prefix: "mlp", kind: "gated", gate: "fc12", up: "fc11", down: "fc2", bias: "mlp_fc1_bias" },
  norms: { kind: "layer", mid: ["norm1"], post: ["norm2"], final: null },
  head: { name: "lm_head", none: true },
  encoderOnly: true,
};
