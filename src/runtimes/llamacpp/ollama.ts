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

/**
 * The Ollama release whose defaults apply (--ollama-version, default: current). Defaults that changed, in the
 * ollama/ollama repository (git tags containing each commit):
 * - flash attention with OLLAMA_FLASH_ATTENTION unset: off before v0.13.4 (envconfig.FlashAttention(false); from v0.11.8,
 *   commit 85ccf7354 "gptoss: enable flash attention by default", the Ollama engine's own models such as gpt-oss turn it
 *   on: fs/ggml/ggml.go FlashAttention()); from v0.13.4 (commit bd6c1d6b4, PR #13052 "flash attn: add auto mode for llama
 *   engine") the llama engine passes auto; since v0.30.0 (PR #16031, llama-server only) llm/llama_server.go
 *   LlamaServerFlashAttention passes --flash-attn auto when every GPU supports it (ml/device.go FlashAttentionSupported:
 *   CUDA compute ≥ 6.0 and not 7.2, ROCm, Metal, Vulkan), else off. llama.cpp's auto turns it on for CUDA.
 * - default num_ctx: the VRAM tiers from v0.15.5 (PR #13946), 4096 before.
 */
export const OLLAMA_CURRENT_VERSION = "0.32.15";

export function parseOllamaVersion(v: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-rc\d+)?$/.exec(v.trim());
  if (!m) throw new VramfitError("invalid_option", `ollama_version takes a release such as 0.13.4, got '${v.slice(0, 40)}'`, { details: { key: "ollama_version" } });
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function ollamaAtLeast(version: string | undefined, min: string): boolean {
  const a = parseOllamaVersion(version ?? OLLAMA_CURRENT_VERSION);
  const b = parseOllamaVersion(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** Ollama's own flash-attention choice with OLLAMA_FLASH_ATTENTION unset, and why. */
export function ollamaFlashAttnDefault(version: string | undefined, arch: string, gpu?: { vendor?: string; compute_capability?: string }): { on: boolean; why: string } {
  const v = version ?? OLLAMA_CURRENT_VERSION;
  if (!ollamaAtLeast(v, "0.13.4")) {
    if (ollamaAtLeast(v, "0.11.8") && arch === "gpt_oss") return { on: true, why: `Ollama ${v} turns flash attention on for gpt-oss (fs/ggml/ggml.go FlashAttention(), since v0.11.8)` };
    return { on: false, why: `flash attention off: Ollama ${v}'s default with OLLAMA_FLASH_ATTENTION unset (--flash-attn auto only from v0.13.4)` };
  }
  const cc = gpu?.compute_capability ? gpu.compute_capability.split(".").map(Number) : undefined;
  if (gpu?.vendor === "nvidia" && cc && (cc[0] < 6 || (cc[0] === 7 && cc[1] === 2))) return { on: false, why: `flash attention off: Ollama ${v} passes --flash-attn off on CUDA compute ${gpu.compute_capability} (ml/device.go FlashAttentionSupported)` };
  return { on: true, why: `flash attention on: Ollama ${v} passes --flash-attn auto with OLLAMA_FLASH_ATTENTION unset (since v0.13.4), and llama.cpp's auto enables it on this GPU` };
}
