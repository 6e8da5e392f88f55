/**
 * Ollama runs llama.cpp (or its own engine on ggml) with its own defaults. Sources, in the ollama/ollama
 * repository:
 * - context length: OLLAMA_CONTEXT_LENGTH defaults to 0, meaning "4k/32k/256k based on VRAM"
 *   (envconfig/config.go, v0.33.3); the tiers were added in v0.15.5 by PR #13946 (server/routes.go):
 *   total VRAM >= 47 GiB -> 262144, >= 23 GiB -> 32768, else 4096. Before 0.15.5 the default was 4096
 *   (0.6.x-0.15.4) and 2048 before that. The model's own training context caps it.
 * - parallel requests: OLLAMA_NUM_PARALLEL defaults to 1 (envconfig/config.go); the KV cache holds
 *   num_ctx * num_parallel cells (llm/server.go, cited in PR #14120 / issue #14116), one share per slot:
 *   issue #9362's log shows "n_ctx = 8192", "n_ctx_per_seq = 2048" for num_ctx 2048 with the 4 slots that
 *   were the default then.
 * - engine: since PR #16031 Ollama runs llama.cpp's llama-server for GGML models, so the llama.cpp
 *   formulas apply to the buffers it allocates.
 * - per-GPU reservations: OLLAMA_GPU_OVERHEAD defaults to 0 bytes (envconfig/config.go); every CUDA or
 *   ROCm GPU keeps a minimum of 457 MiB free (discover/gpu.go: cudaMinimumMemory = rocmMinimumMemory =
 *   457 * format.MebiByte).
 * - KV cache type: OLLAMA_KV_CACHE_TYPE empty means f16; num_batch defaults to 512.
 */
import { VramfitError } from "../../core/errors.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const OLLAMA_DEFAULTS = {
  numParallel: 1,
  gpuOverheadBytes: 0,
  /** Free memory Ollama leaves on each CUDA / ROCm GPU. */
  minimumMemoryBytes: 457 * MiB,
  kvCacheType: "f16",
  numBatch: 512,
} as const;

/** Ollama's default num_ctx for a machine with `totalVramBytes` of GPU memory (v0.15.5+ tiers). */
export function ollamaDefaultContext(totalVramBytes: number, modelContext?: number): number {
  if (!Number.isFinite(totalVramBytes) || totalVramBytes < 0) throw new VramfitError("invalid_option", `VRAM must be a number of bytes, got ${totalVramBytes}`);
  const tier = totalVramBytes >= 47 * GiB ? 262144 : totalVramBytes >= 23 * GiB ? 32768 : 4096;
  return modelContext && modelContext > 0 ? Math.min(tier, modelContext) : tier;
}

/** What Ollama hands llama.cpp for a request of num_ctx tokens with num_parallel slots. */
export function ollamaLlamaCppContext(numCtx: number, numParallel: number = OLLAMA_DEFAULTS.numParallel): { nCtx: number; nSeq: number } {
  if (!Number.isSafeInteger(numCtx) || numCtx < 1) throw new VramfitError("invalid_option", `num_ctx must be a whole number of at least 1, got ${numCtx}`);
  if (!Number.isSafeInteger(numParallel) || numParallel < 1) throw new VramfitError("invalid_option", `OLLAMA_NUM_PARALLEL must be at least 1, got ${numParallel}`);
  return { nCtx: numCtx * numParallel, nSeq: numParallel };
}

/** Memory Ollama keeps off-limits on each GPU: OLLAMA_GPU_OVERHEAD plus its minimum free memory. */
export function ollamaReservedBytes(gpuOverheadBytes: number = OLLAMA_DEFAULTS.gpuOverheadBytes): number {
  return gpuOverheadBytes + OLLAMA_DEFAULTS.minimumMemoryBytes;
}
