/**
 * vLLM's defaults for the options that size its memory, with where each comes from in vLLM's source.
 */
import type { Gpu } from "../../core/gpu.js";
import { gpuUsableBytes } from "../../core/gpu.js";
import { GiB } from "../../core/units.js";

/** CacheConfig.gpu_memory_utilization: 0.9 (vllm/config/cache.py; 0.92 in some later releases — pass it when it matters). */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;
/** CacheConfig.block_size: 16 tokens per KV block on CUDA (vllm/config/cache.py). */
export const DEFAULT_BLOCK_SIZE = 16;

/**
 * Scheduler batch defaults of the OpenAI server (`vllm serve`), EngineArgs.get_batch_defaults in
 * vllm/engine/arg_utils.py (V1 engine): GPUs with ≥ 70 GiB that are not an A100 get
 * max_num_batched_tokens 8192 and max_num_seqs 1024; every other GPU 2048 and 256. (The V0 engine with
 * chunked prefill off profiled max(max_model_len, 2048) tokens instead.)
 */
export function vllmBatchDefaults(gpu: Gpu | undefined): { maxNumBatchedTokens: number; maxNumSeqs: number; rule: string } {
  const total = gpu ? gpuUsableBytes(gpu) : 0;
  const isA100 = gpu != null && /a100/i.test(`${gpu.id} ${gpu.name}`);
  if (total >= 70 * GiB && !isA100) {
    return { maxNumBatchedTokens: 8192, maxNumSeqs: 1024, rule: "≥ 70 GiB and not an A100: 8192 tokens / 1024 seqs (EngineArgs.get_batch_defaults)" };
  }
  return { maxNumBatchedTokens: 2048, maxNumSeqs: 256, rule: "2048 tokens / 256 seqs (EngineArgs.get_batch_defaults, GPUs below 70 GiB or A100)" };
}
