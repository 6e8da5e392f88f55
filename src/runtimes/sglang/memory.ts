/**
 * How SGLang sizes its memory at startup, per GPU (docs/engines/sglang.md §3–§6; kv mixin
 * python/sglang/srt/model_executor/model_runner_kv_cache_mixin.py @226149ac `profile_max_num_token`):
 *
 *   free_before   = free device memory before the weights load (total − CUDA context − NCCL init)
 *   rest          = (free_before − weights) − free_before × (1 − mem_fraction_static)
 *   tokens        = rest // cell_size                  (capped by --max-total-tokens, floored to --page-size)
 *   cell_size     = kv_heads_per_rank × (head_dim + v_head_dim) × layers_per_rank × kv_bytes    (MHA/GQA)
 *                 = (kv_lora_rank + qk_rope_head_dim) × layers_per_rank × kv_bytes               (MLA)
 *
 * so weights + token pool ≈ mem_fraction_static × free_before; the rest of the GPU holds the request pool
 * (req_to_token), the attention backend's workspace, the CUDA graphs and the activations of one prefill chunk.
 * Checked against the printed pools of bench/accuracy/logs/sglang (QwQ-32B: rest 17.71 − 78.84 × 0.02 GiB
 * = 16.13 GiB / 262144 B = 66081 tokens; the log prints 66082). Pure: no I/O.
 */
import type { TransformerModel, TransformerShape } from "../../core/model.js";
import { dtypeBytes } from "../../core/precision.js";
import { weightsComponent } from "../../core/weights.js";
import { GiB, MiB, formatBytes } from "../../core/units.js";
import { attentionLayerCount, stateLayerCount, vllmStatePageBytes } from "../../core/state-cache.js";
import { profileActivationPeak } from "../vllm/memory.js";
import { defaultMaxRunningRequests } from "./defaults.js";

export interface SglangOptions {
  /** Driver-reported total memory of one GPU (torch total). */
  totalBytes: number;
  tp: number;
  pp: number;
  dtype: string;
  quant: string | null;
  /** vramfit KV dtype (bf16, fp16, fp8, fp32). */
  kvDtype: string;
  memFractionStatic: number;
  contextLength: number;
  /** Tokens per prefill chunk; -1 = chunking off (then maxPrefillTokens). */
  chunkedPrefillSize: number;
  maxPrefillTokens: number;
  /** --max-running-requests; undefined = SGLang's default from the pool. */
  maxRunningRequests?: number;
  maxTotalTokens?: number;
  pageSize: number;
  /** Largest decode batch captured as a CUDA graph; 0 = no CUDA graphs. */
  cudaGraphMaxBs: number;
  /** The attention backend's workspace (flashinfer's float workspace), bytes. */
  attentionWorkspaceBytes: number;
  /** CUDA context of the process (taken before SGLang measures free memory). */
  contextBytes: number;
  /** Hybrid/recurrent models: --mamba-full-memory-ratio (0.9), --max-mamba-cache-size, --disable-radix-cache, --mamba-ssm-dtype. */
  mambaFullMemoryRatio?: number;
  maxMambaCacheSize?: number;
  disableRadixCache?: boolean;
  mambaSsmDtype?: string;
}

export interface SglangMemory {
  freeBeforeBytes: number;
  ncclBytes: number;
  weightsBytes: number;
  weightsFormula: string;
  /** mem_fraction_static × free_before: what weights + token pool may take. */
  staticBudgetBytes: number;
  /** Bytes left for the token pool (negative: SGLang stops with "Not enough memory"). */
  restBytes: number;
  cellBytes: number;
  layersPerRank: number;
  kvHeadsPerRank: number;
  maxTotalNumTokens: number;
  kvBytes: number;
  maxRunningRequests: number;
  reqToTokenBytes: number;
  cudaGraphBytes: number;
  cudaGraphFormula: string;
  activationBytes: number;
  activationFormula: string;
  /** (1 − mem_fraction_static) × free_before: the share SGLang leaves for everything after the pool. */
  runtimeShareBytes: number;
  /** Hybrid/recurrent models: the Mamba state pool (0 otherwise). */
  mambaSlots: number;
  mambaBytes: number;
  mambaFormula: string;
}

/**
 * NCCL / torch.distributed initialisation under tensor or pipeline parallelism, taken before SGLang measures
 * free memory: "Init torch distributed ends. mem usage=0.20 GB" (TP2, A800, yuy4o-qwen3-next-80b-a800-tp2.log
 * and yuy4o-gpt-oss-120b-a800-tp2-oom.log) and "mem usage=0.19 GB" (TP4, A100 40GB,
 * yuy4o-kimi-linear-48b-a100-40g-tp4.log); 0.00 GB at TP1. Read off these logs (GB there is GiB).
 */
export const SGLANG_NCCL_INIT_BYTES = Math.round(0.2 * GiB);

/**
 * CUDA graph capture ("Capture cuda graph end ... mem usage=X GB"): 0.06, 0.11, 0.14, 0.13 and 0.11 GiB in the five
 * yuy4o-llm logs, each capturing batch sizes up to 4. FITTED: the median, 0.11 GiB, as the part that does not grow
 * with the batch (graph pools, per-graph buffers); the largest graph's decode activations and fp32 logits are added
 * by mechanism. Cases: sglang-yuy4o-*-cuda-graphs (in-sample).
 */
export const SGLANG_CUDA_GRAPH_BASE = Math.round(0.11 * GiB);

/** Flashinfer's float workspace: SGLANG_FLASHINFER_WORKSPACE_SIZE = 384 MiB (python/sglang/srt/environ.py), raised to
 *  512 MiB for Qwen2/Qwen3/MiMo architectures (layers/attention/flashinfer_backend.py). */
export const FLASHINFER_WORKSPACE = 384 * MiB;
export const FLASHINFER_WORKSPACE_QWEN = 512 * MiB;

/** KV heads each rank keeps: get_num_kv_heads(tp) = max(1, kv_heads // tp) (replicated when fewer heads than ranks). */
export function sglangKvHeadsPerRank(shape: TransformerShape, tp: number): number {
  return Math.max(1, Math.floor(shape.kvHeads / tp));
}

/** Bytes one token takes in this rank's pool (kv mixin get_cell_size_per_token). */
export function sglangCellBytes(shape: TransformerShape, kvDtype: string, tp: number, layersPerRank: number): number {
  const e = dtypeBytes(kvDtype);
  if (shape.mla) return (shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim) * layersPerRank * e;
  return sglangKvHeadsPerRank(shape, tp) * (shape.headDim + shape.headDim) * layersPerRank * e;
}

export function sglangMemory(model: TransformerModel, o: SglangOptions): SglangMemory {
  const shape = model.transformer;
  const nccl = o.tp * o.pp > 1 ? SGLANG_NCCL_INIT_BYTES : 0;
  const freeBefore = Math.max(0, o.totalBytes - o.contextBytes - nccl);
  const { component: w } = weightsComponent(model, o.dtype, o.quant, o.tp * o.pp);
  // Hybrid models keep KV only in their attention layers (get_cell_size_per_token counts the full-attention layers).
  const layersPerRank = Math.ceil(attentionLayerCount(shape) / o.pp);
  const cell = sglangCellBytes(shape, o.kvDtype, o.tp, layersPerRank);
  const staticBudget = Math.floor(freeBefore * o.memFractionStatic);
  let rest = freeBefore - w.bytes - (freeBefore - staticBudget);
  // Mamba/linear-attention state pool (kv mixin handle_max_mamba_cache, docs/engines/sglang.md §3): --max-mamba-cache-size
  // slots, or max_running_requests with --disable-radix-cache, else rest × ratio / (1 + ratio) (ratio 0.9); it comes out
  // of the rest before the token pool. Slot shapes as vLLM's (mem_cache/memory_pool.py MambaPool; core/state-cache.ts).
  let mambaSlots = 0;
  let mambaBytes = 0;
  let mambaFormula = "";
  const stateLayers = Math.ceil(stateLayerCount(shape) / o.pp);
  if (stateLayers > 0 && shape.state) {
    const page = vllmStatePageBytes(shape.state, { tp: o.tp, dtype: o.dtype, ssmCacheDtype: o.mambaSsmDtype ?? "fp32" });
    const perRequest = page.bytes * stateLayers;
    const ratio = o.mambaFullMemoryRatio ?? 0.9;
    if (o.maxMambaCacheSize !== undefined) mambaSlots = o.maxMambaCacheSize;
    else if (o.disableRadixCache && o.maxRunningRequests !== undefined) mambaSlots = o.maxRunningRequests;
    else mambaSlots = rest > 0 ? Math.floor((rest * ratio) / (1 + ratio) / perRequest) : 0;
    rest -= mambaSlots * perRequest;
    // The pool holds one slot more than max_mamba_cache_size: Qwen3-Next-80B TP2 prints "max_mamba_cache_size: 30,
    // conv_state size: 0.03GB, ssm_state size: 1.09GB" = 31 × 36 layers × 1 MiB (yuy4o-qwen3-next-80b-a800-tp2.log),
    // while its token pool (#tokens 110539) is what is left after 30 slots.
    mambaBytes = (mambaSlots + 1) * perRequest;
    mambaFormula = `(${mambaSlots} + 1) slots × ${stateLayers} state layers × (${page.formula})${o.maxMambaCacheSize === undefined && !o.disableRadixCache ? `; ${mambaSlots} = rest × ${ratio}/(1 + ${ratio}) ÷ slot (--mamba-full-memory-ratio)` : ""}`;
  }
  let tokens = rest > 0 ? Math.floor(rest / cell) : 0;
  if (o.maxTotalTokens !== undefined) tokens = Math.min(tokens, o.maxTotalTokens);
  tokens = Math.floor(tokens / o.pageSize) * o.pageSize;
  let mrr = o.maxRunningRequests ?? defaultMaxRunningRequests(Math.max(tokens, 1), o.contextLength);
  // Hybrid models: at most max_mamba_cache_size // 3 running requests (server_args, ratio 3 with the radix cache on).
  if (mambaSlots > 0 && !o.disableRadixCache) mrr = Math.max(1, Math.min(mrr, Math.floor(mambaSlots / 3)));
  // ReqToTokenPool(size=max_running_requests, max_context_len=context_len + 4), int32 token indices.
  const reqToToken = mrr * (o.contextLength + 4) * 4;

  const graphBs = Math.min(o.cudaGraphMaxBs, mrr);
  let cudaGraphBytes = 0;
  let cudaGraphFormula = "--disable-cuda-graph: no CUDA graphs";
  if (graphBs > 0) {
    const decode = profileActivationPeak(shape, { tokens: graphBs, seqs: 0, dtype: o.dtype, tp: o.tp });
    const logits = graphBs * shape.vocab * 4;
    cudaGraphBytes = SGLANG_CUDA_GRAPH_BASE + decode.bytes + logits;
    cudaGraphFormula = `0.11 GiB fitted base (5 yuy4o-llm logs) + the largest graph (batch ${graphBs}): decode activations ${formatBytes(decode.bytes)} + fp32 logits ${graphBs} × vocab ${shape.vocab} × 4 B`;
  }
  const chunk = o.chunkedPrefillSize > 0 ? o.chunkedPrefillSize : o.maxPrefillTokens;
  const act = profileActivationPeak(shape, { tokens: chunk, seqs: 1, dtype: o.dtype, tp: o.tp });
  return {
    freeBeforeBytes: freeBefore,
    ncclBytes: nccl,
    weightsBytes: w.bytes,
    weightsFormula: w.formula,
    staticBudgetBytes: staticBudget,
    restBytes: rest,
    cellBytes: cell,
    layersPerRank,
    kvHeadsPerRank: shape.mla ? 1 : sglangKvHeadsPerRank(shape, o.tp),
    maxTotalNumTokens: tokens,
    kvBytes: tokens * cell,
    maxRunningRequests: mrr,
    reqToTokenBytes: reqToToken,
    cudaGraphBytes,
    cudaGraphFormula,
    activationBytes: act.bytes,
    activationFormula: `prefill of one ${chunk}-token chunk: ${act.formula}`,
    runtimeShareBytes: freeBefore - staticBudget,
    mambaSlots,
    mambaBytes,
    mambaFormula,
  };
}
