/**
 * llama.cpp's compute buffer: the scratch memory of one forward graph of n_ubatch tokens, which
 * ggml-alloc sizes once at context creation (sched_reserve, "CUDA0 compute buffer size") by replaying the
 * graph and reusing freed tensors. Its size is the largest set of tensors alive at once, which for a
 * decoder is one of three moments:
 *
 * - the output: logits f32 [n_vocab, n_ubatch] (the reserve graph outputs every token) next to the last
 *   hidden states;
 * - attention without flash attention: the scores KQ f32 [n_kv, n_ubatch, n_head] and the f32 mask
 *   [n_kv, n_ubatch] (so n_kv (n_head + 1) values per token), next to the block input, Q, K and V;
 * - the feed-forward block: gate and up projections and their product.
 *
 * With flash attention the scores are never materialized and the output usually dominates.
 * Shape checked on bench/accuracy/llamacpp-cpu.jsonl (CPU, 14 architectures, 294 runs with a compute line): the KQ slope is
 * exact (4 n_ubatch (n_head + 1) bytes per KV cell on every model); the constant terms are per-backend
 * fits. CUDA constants from published CUDA logs (bench/accuracy/llamacpp-published.jsonl): Llama-2-7B and
 * Mistral-7B at n_ctx 2048 / 32768 without flash attention (164.00 / 2144.00 MiB), pythia-2.8b (162.00 MiB),
 * phi-2 (105.00 MiB, output-bound) and Qwen3-Coder-30B-A3B with flash attention (300.75 MiB, output-bound).
 * Error: see compute-buffer.spec.ts (CPU: median error under 0.01%, ~64% within 1%, ~87% within 10%, worst -17.7%, all misses under-estimates; CUDA: the
 * published logs above to 1%).
 */
import type { TransformerShape } from "../../core/model.js";
import { llamaCppKvCache, type LlamaCppKvOptions } from "./kv-cache.js";
import { attentionLayerCount } from "../../core/state-cache.js";

export type LlamaCppBackend = "cpu" | "cuda";

export interface LlamaCppComputeOptions extends Omit<LlamaCppKvOptions, "typeK" | "typeV"> {
  /** The model stores Q, K and V as one fused matrix (GPT-NeoX, Phi-2/3, Falcon, StarCoder): one more copy alive. */
  fusedQkv?: boolean;
}

export interface LlamaCppComputeBuffer {
  bytes: number;
  /** Which moment of the graph sets the size. */
  peak: "output" | "attention" | "ffn";
  outputBytes: number;
  attentionBytes: number;
  ffnBytes: number;
  /** KV cells one attention sees (the largest cache per stream). */
  nKv: number;
  nUbatch: number;
}

export function llamaCppComputeBuffer(
  shape: TransformerShape,
  opts: LlamaCppComputeOptions,
  backend: LlamaCppBackend,
): LlamaCppComputeBuffer {
  // the cache sizes decide n_kv; the cache types do not matter here
  const kv = llamaCppKvCache(shape, { ...opts, typeK: "f16", typeV: "f16" });
  const ub = kv.params.nUbatch;
  const nKv = Math.max(kv.cells, kv.swaCells ?? 0);
  const E = shape.hidden;
  const F32 = 4;
  const qWidth = shape.mla ? shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim) : shape.heads * shape.headDim;
  const kvWidth = shape.mla ? shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim : 2 * shape.kvHeads * shape.headDim;
  const cpu = backend === "cpu";

  // output: logits plus the final hidden states (CPU keeps one more n_embd copy than CUDA)
  const outputBytes = F32 * ub * (shape.vocab + (cpu ? 2 : 1) * E);

  // attention: block input and projections alive around the scores
  const projections = cpu ? 3 * E + 2 * qWidth + kvWidth : (opts.fusedQkv ? 6 : 4) * E;
  const scores = opts.flashAttn ? 0 : nKv * (shape.heads + 1);
  // recurrent models without attention layers (Mamba, RWKV) never build the KQ scores; their peak is the output
  // (bench/accuracy/llamacpp-recurrent-cpu.jsonl: Mamba-2.8B's compute buffer is 113.21 MiB at every n_ctx)
  const attentionBytes = attentionLayerCount(shape) > 0 ? F32 * ub * (scores + projections) : 0;

  // feed-forward: gate, up and their product (MoE: for the experts each token is routed to)
  const ff = shape.moe
    ? shape.moe.expertsPerToken * shape.moe.expertIntermediate + shape.moe.experts
    : shape.intermediate;
  const ffnBytes = F32 * ub * (3 * ff + 3 * E);

  const bytes = Math.max(outputBytes, attentionBytes, ffnBytes);
  const peak = bytes === outputBytes ? "output" : bytes === attentionBytes ? "attention" : "ffn";
  return { bytes, peak, outputBytes, attentionBytes, ffnBytes, nKv, nUbatch: ub };
}
