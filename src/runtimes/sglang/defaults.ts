/**
 * SGLang's defaults for the options that size its memory, as the server-args resolution computes them when
 * the user leaves them unset. Facts and versions: docs/engines/sglang.md (§1, §2, §4):
 * - *current memory*: `handle_gpu_memory_settings` / `reserve_for_graph_mb` (the server-args resolution module,
 *   index file id 57672074322, same generation as server_args.py with --cuda-graph-max-bs-decode);
 * - *kv mixin*: python/sglang/srt/model_executor/model_runner_kv_cache_mixin.py @226149ac.
 * `gpu_mem` is `get_device_memory_capacity()`: nvidia-smi `memory.total` in MiB, the minimum over the visible
 * GPUs (utils/common.py).
 */
import { MiB } from "../../core/units.js";

/** The GPU tier SGLang picks its defaults by (docs/engines/sglang.md §1). `gpuMemMiB` undefined: no GPU info. */
export interface SglangTier {
  chunkedPrefillSize: number;
  cudaGraphMaxBs: number;
  rule: string;
}

export function sglangTier(gpuMemMiB: number | undefined, tp: number): SglangTier {
  if (gpuMemMiB === undefined) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: 160, rule: "no GPU information: chunked prefill 4096, decode graphs up to 160" };
  const g = gpuMemMiB;
  const gib = (n: number) => n * 1024;
  if (g < gib(20)) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: 8, rule: "< 20 GiB (T4, 4080): chunked prefill 2048, decode graphs up to 8" };
  if (g < gib(35)) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: tp < 4 ? 48 : 160, rule: `< 35 GiB (A10, 4090, 5090): chunked prefill 4096 (2048 in v0.5.x), decode graphs up to ${tp < 4 ? 48 : 160} (tp ${tp < 4 ? "< 4" : "≥ 4"})` };
  if (g < gib(60)) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: tp < 4 ? 32 : 160, rule: `< 60 GiB (A100 40GB, L40): chunked prefill 4096, decode graphs up to ${tp < 4 ? 32 : 160}` };
  if (g < gib(160)) return { chunkedPrefillSize: 8192, cudaGraphMaxBs: tp < 4 ? 256 : 512, rule: `< 160 GiB (H100, A100 80GB, H200): chunked prefill 8192, decode graphs up to ${tp < 4 ? 256 : 512}` };
  return { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512, rule: "≥ 160 GiB (B200, MI300): chunked prefill 16384, decode graphs up to 512" };
}

/** `gpu_mem` as SGLang reads it: nvidia-smi memory.total in MiB, i.e. the card's capacity. */
export function sglangGpuMemMiB(capacityBytes: number): number {
  return Math.floor(capacityBytes / MiB);
}

export interface MemFractionInput {
  gpuMemMiB: number | undefined;
  chunkedPrefillSize: number;
  /** --max-prefill-tokens (used when chunked prefill is off, -1). */
  maxPrefillTokens: number;
  tp: number;
  pp: number;
  /** Largest decode batch captured as a CUDA graph (0 when decode graphs are off). */
  cudaGraphMaxBs: number;
}

/**
 * The default `mem_fraction_static` (*current memory* handle_gpu_memory_settings, all in MiB):
 *   reserved = 512 + max(chunked_prefill_size, 2048) × 1.5 + tp × pp / 8 × 1024 + decode_max_bs × 2
 *   reserved = max(reserved, 10 × 1024) when gpu_mem > 60 × 1024
 *   mem_fraction_static = round((gpu_mem − reserved) / gpu_mem, 3); 0.95 when gpu_mem is unknown.
 * Prefill CUDA graphs, DP attention, DeepEP, speculative decoding and multimodal models add terms that are
 * not modelled here (their flags are named in the estimate's assumptions).
 */
export function defaultMemFractionStatic(i: MemFractionInput): { value: number; reservedMiB: number; formula: string } {
  if (i.gpuMemMiB === undefined) return { value: 0.95, reservedMiB: 0, formula: "0.95: SGLang's value when the GPU's memory is unknown" };
  const activationTokens = Math.max(i.chunkedPrefillSize > 0 ? i.chunkedPrefillSize : i.maxPrefillTokens, 2048);
  let reserved = 512 + activationTokens * 1.5 + ((i.tp * i.pp) / 8) * 1024 + i.cudaGraphMaxBs * 2;
  const floor = i.gpuMemMiB > 60 * 1024;
  if (floor) reserved = Math.max(reserved, 10 * 1024);
  const value = Math.round(((i.gpuMemMiB - reserved) / i.gpuMemMiB) * 1000) / 1000;
  const formula =
    `round((${i.gpuMemMiB} − ${reserved}) / ${i.gpuMemMiB}, 3) MiB: reserve 512 + ${activationTokens} tokens × 1.5 + tp×pp ${i.tp * i.pp}/8 × 1024 + ${i.cudaGraphMaxBs} graph batch × 2` +
    (floor ? ", at least 10 GiB above 60 GiB" : "") +
    " (SGLang handle_gpu_memory_settings)";
  return { value, reservedMiB: reserved, formula };
}

/** Default --max-running-requests (kv mixin): min(max(⌊tokens / context_len × 512⌋, 2048), 4096). */
export function defaultMaxRunningRequests(maxTotalNumTokens: number, contextLen: number): number {
  return Math.min(Math.max(Math.floor((maxTotalNumTokens / contextLen) * 512), 2048), 4096);
}

/**
 * The decode batch sizes SGLang captures up to `maxBs`, as its startup logs print them: 1, 2, 4, 8, 12, 16, 24,
 * 32, then steps of 8 to 256 and of 16 beyond ("Capture cuda graph bs [1, 2, 4, 8, 12, 16, 24, 32, 40, ..., 256,
 * 272, ..., 512]", bench/accuracy/logs/sglang/pr11830-b200-piecewise-graph-excerpt.log; "[1, 2, 4]" with
 * --max-running-requests 4, yuy4o-qwq-32b-a800-tp1.log). Sizes above the maximum are dropped.
 */
export function cudaGraphBatchSizes(maxBs: number): number[] {
  const out: number[] = [];
  const base = [1, 2, 4, 8, 12, 16, 24, 32];
  for (const b of base) if (b <= maxBs) out.push(b);
  for (let b = 40; b <= Math.min(maxBs, 256); b += 8) out.push(b);
  for (let b = 272; b <= maxBs; b += 16) out.push(b);
  return out;
}
