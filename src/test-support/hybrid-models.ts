/**
 * Test fixtures for issue #18: model descriptions of hybrid / recurrent, encoder-decoder and multimodal models
 * built from the real config.json files of the catalog (src/catalog/models, formerly incoming/), independent of the config
 * reader, so the engines can be checked before (and against) the table-driven reader. Tests only.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { hybridLayout } from "../core/hybrid-config.js";
import { encoderFromConfig } from "../core/encoder-decoder.js";
import type { TensorGroup, TransformerModel, TransformerShape } from "../core/model.js";
import { countParameters } from "../core/model.js";
import { REPO_ROOT } from "./paths.js";

export function readCatalogConfig(file: string): Record<string, any> {
  // Python-written configs may hold bare Infinity / NaN (time_step_limit [0.0, inf]): not JSON
  const dir = ["src/catalog/models", "src/catalog/incoming"].find((d) => existsSync(path.join(REPO_ROOT, d, file))) ?? "src/catalog/models";
  const text = readFileSync(path.join(REPO_ROOT, dir, file), "utf8").replace(/(?<=[\[,:]\s*)-?(Infinity|NaN)\b/g, "null");
  const j = JSON.parse(text);
  return j.config ?? j;
}

/** The text part of a wrapper config (text_config / llm_config / language_config), with the wrapper's type kept. */
export function textConfig(c: Record<string, any>): Record<string, any> {
  return c.text_config ?? c.llm_config ?? c.language_config ?? c;
}

/** A transformer shape from the common config keys (the hybrid layout from core/hybrid-config.ts). */
export function shapeFromConfig(c: Record<string, any>, modelType = c.model_type as string): TransformerShape {
  const layout = hybridLayout(modelType, c);
  const encoder = encoderFromConfig(modelType, c);
  const h = c.hidden_size ?? c.d_model;
  const heads = c.num_attention_heads ?? c.decoder_attention_heads ?? c.num_heads ?? 0;
  const kv = c.num_key_value_heads ?? heads;
  const headDim = c.head_dim ?? c.attention_head_dim ?? c.d_kv ?? (heads ? h / heads : 0);
  const L = layout?.layers ?? c.num_decoder_layers ?? c.decoder_layers ?? c.num_layers ?? c.num_hidden_layers;
  const pureRecurrent = layout && !layout.layerMixers.some((m) => m === "attention" || m === "attention+state");
  return {
    layers: L, hidden: h, heads: pureRecurrent ? 0 : heads, kvHeads: pureRecurrent ? 0 : kv, headDim: pureRecurrent ? 0 : headDim,
    vocab: c.vocab_size, intermediate: pureRecurrent ? 0 : (c.intermediate_size ?? c.d_ff ?? c.decoder_ffn_dim ?? 0), mlp: encoder ? encoder.mlp : "gated", activation: "silu", norm: "rms",
    tiedEmbeddings: !!c.tie_word_embeddings, maxPositions: c.max_target_positions ?? c.max_position_embeddings ?? c.n_positions ?? 0,
    layerTypes: new Array(L).fill("full"), slidingWindow: null, moe: null, mla: null, encoderOnly: false,
    attentionDropout: 0, hiddenDropout: 0,
    ...(layout ? { layerMixers: layout.layerMixers, state: layout.state } : {}),
    ...(encoder ? { encoder } : {}),
  };
}

/** A model around a shape, with weights approximated by one embedding + one block group (for runtime tests). */
export function modelFromShape(id: string, shape: TransformerShape, architecture: string, parameters: number): TransformerModel {
  const perLayer = Math.max(1, Math.round((parameters - shape.vocab * shape.hidden) / shape.layers / shape.hidden));
  const tensors: TensorGroup[] = [
    { name: "model.embed_tokens.weight", module: "embed_tokens", kind: "embedding", shape: [shape.vocab, shape.hidden], count: 1 },
    { name: "model.layers.{L}.mixer.weight", module: "in_proj", kind: "linear", shape: [perLayer, shape.hidden], count: shape.layers },
  ];
  const n = countParameters(tensors);
  return { id, family: "transformer", architecture, parameters: n, activeParameters: n, tensors, transformer: shape, source: { kind: "config", ref: id }, warnings: [] };
}
