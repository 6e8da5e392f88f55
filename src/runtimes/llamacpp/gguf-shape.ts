/**
 * A TransformerShape from GGUF metadata (the `{arch}.*` keys llama.cpp's converter writes, see
 * gguf-py/gguf/constants.py). Enough for the KV cache and compute buffer formulas; the tensor table
 * gives the weights. Pure: the caller reads the file.
 */
import { VramfitError } from "../../core/errors.js";
import type { TransformerShape } from "../../core/model.js";

export type GgufMetadata = Record<string, unknown>;

export function transformerShapeFromGguf(meta: GgufMetadata, vocab: number): TransformerShape {
  const arch = meta["general.architecture"];
  if (typeof arch !== "string") throw new VramfitError("invalid_file", "GGUF metadata has no general.architecture");
  const num = (key: string): number | undefined => {
    const v = meta[`${arch}.${key}`];
    if (v === undefined) return undefined;
    const n = Array.isArray(v) ? Math.max(...(v as number[])) : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new VramfitError("invalid_file", `GGUF metadata ${arch}.${key} is not a valid number`);
    return n;
  };
  const need = (key: string): number => {
    const n = num(key);
    if (n === undefined) throw new VramfitError("invalid_file", `GGUF metadata lacks ${arch}.${key}`);
    return n;
  };
  const layers = need("block_count");
  const hidden = need("embedding_length");
  const heads = need("attention.head_count");
  const kvHeads = num("attention.head_count_kv") ?? heads;
  const headDim = num("attention.key_length") ?? hidden / heads;
  const kvLoraRank = num("attention.kv_lora_rank");
  const experts = num("expert_count") ?? 0;
  const window = num("attention.sliding_window") ?? null;
  const rope = num("rope.dimension_count") ?? headDim;
  const mla =
    kvLoraRank && kvLoraRank > 0
      ? {
          kvLoraRank,
          qLoraRank: num("attention.q_lora_rank") ?? null,
          qkRopeHeadDim: rope,
          qkNopeHeadDim: (num("attention.key_length_mla") ?? headDim) - rope,
          vHeadDim: num("attention.value_length_mla") ?? num("attention.value_length") ?? headDim,
        }
      : null;
  const dense = num("leading_dense_block_count") ?? 0;
  return {
    layers,
    hidden,
    heads,
    kvHeads,
    headDim,
    vocab,
    intermediate: num("feed_forward_length") ?? 4 * hidden,
    mlp: ["gptneox", "phi2", "falcon", "starcoder", "gpt2"].includes(arch) ? "plain" : "gated",
    activation: "silu",
    norm: meta[`${arch}.attention.layer_norm_epsilon`] !== undefined ? "layer" : "rms",
    tiedEmbeddings: false,
    maxPositions: num("context_length") ?? 0,
    layerTypes: Array.from({ length: layers }, () => "full" as const),
    slidingWindow: window && window > 0 ? window : null,
    moe:
      experts > 1
        ? {
            experts,
            expertsPerToken: num("expert_used_count") ?? 1,
            sharedExperts: num("expert_shared_count") ?? 0,
            expertIntermediate: num("expert_feed_forward_length") ?? 0,
            moeLayers: layers - dense,
          }
        : null,
    mla,
    encoderOnly: false,
    attentionDropout: 0,
    hiddenDropout: 0,
  };
}
