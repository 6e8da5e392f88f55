/**
 * KV cache bytes (docs/research/memory-model.md §5, mechanics.md §4.1):
 * 2 (K and V) × layers × kv_heads × head_dim × cached tokens × batch × bytes per element,
 * with sliding-window layers keeping only the window and multi-head latent attention (MLA) keeping
 * one compressed latent per token in runtimes that support it. Hybrid models (Jamba, Nemotron-H, Qwen3-Next, LFM2,
 * ...) keep K/V only in their attention layers (`layerMixers`); their recurrent layers' fixed-size state is
 * state-cache.ts's.
 */
import type { Component } from "./estimate-types.js";
import type { TransformerShape } from "./model.js";
import { kvBytes } from "./precision.js";
import { attentionLayerCount, hasAttention, layerMixers } from "./state-cache.js";

/** K+V values cached per token for one layer in a given runtime. */
export function kvValuesPerToken(shape: TransformerShape, runtime: string): number {
  if (shape.encoderOnly) return 0;
  if (shape.mla) {
    // vLLM and llama.cpp cache the latent (kv_lora_rank + qk_rope_head_dim = 576 for DeepSeek-V3);
    // transformers' DeepseekV3Attention caches the decompressed per-head K (nope+rope) and V.
    if (runtime === "transformers") {
      return shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim + shape.mla.vHeadDim);
    }
    return shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim;
  }
  return 2 * shape.kvHeads * shape.headDim;
}

/** Tokens each layer holds for a sequence of `seq` tokens (sliding layers keep at most the window). */
export function cachedTokens(shape: TransformerShape, layer: number, seq: number): number {
  if (shape.layerTypes[layer] === "sliding" && shape.slidingWindow) return Math.min(seq, shape.slidingWindow);
  return seq;
}

export function kvCacheBytes(shape: TransformerShape, opts: { batch: number; seq: number; kvDtype: string; runtime: string }): number {
  const perToken = kvValuesPerToken(shape, opts.runtime);
  if (perToken === 0) return 0;
  const mixers = layerMixers(shape);
  // Llama 3.2 Vision (mllama): its cross-attention layers keep image K/V, not text (multimodal.ts).
  const cross = new Set(shape.vision?.crossAttentionLayers ?? []);
  let total = 0;
  for (let l = 0; l < shape.layers; l++) {
    if (!hasAttention(mixers[l]) || cross.has(l)) continue;
    total += kvBytes(opts.kvDtype, perToken * cachedTokens(shape, l, opts.seq)) * opts.batch;
  }
  return total;
}

export function kvCacheComponent(
  shape: TransformerShape,
  opts: { batch: number; seq: number; kvDtype: string; runtime: string; shards?: number },
): Component {
  const shards = opts.shards ?? 1;
  const bytes = Math.ceil(kvCacheBytes(shape, opts) / shards);
  const perToken = kvValuesPerToken(shape, opts.runtime);
  const mixers = layerMixers(shape);
  const nAttn = attentionLayerCount(shape);
  const sliding = shape.layerTypes.filter((t, l) => t === "sliding" && hasAttention(mixers[l])).length;
  const layers = nAttn === shape.layers ? `${shape.layers} layers` : `${nAttn} attention layers (of ${shape.layers})`;
  let what: string;
  if (shape.mla && opts.runtime !== "transformers") what = `${layers} × (kv_lora_rank ${shape.mla.kvLoraRank} + rope ${shape.mla.qkRopeHeadDim})`;
  else if (shape.mla) what = `${layers} × ${shape.heads} heads × (K ${shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim} + V ${shape.mla.vHeadDim}) (decompressed MLA cache)`;
  else what = `2 × ${layers} × ${shape.kvHeads} kv_heads × ${shape.headDim} head_dim`;
  const tokens =
    sliding > 0
      ? `${nAttn - sliding} full layers × ${opts.seq} tokens + ${sliding} sliding layers × min(${opts.seq}, ${shape.slidingWindow})`
      : `${opts.seq} tokens`;
  return {
    id: "kv_cache",
    label: "KV cache",
    bytes,
    formula: `${what} × ${tokens} × batch ${opts.batch} × ${opts.kvDtype}${shards > 1 ? ` ÷ ${shards} GPUs` : ""} (${perToken} values/token/layer)`,
    level: "allocated",
  };
}
