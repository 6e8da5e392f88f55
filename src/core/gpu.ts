/** An accelerator as the core sees it. The catalog (src/catalog/gpus.json) supplies these. */
export interface Gpu {
  id: string;
  name: string;
  vendor: "nvidia" | "amd" | "apple" | string;
  /** Capacity in bytes (what the spec sheet's "24 GB" means). */
  memory_bytes: number;
  /** What the driver/PyTorch reports as total, when measured (always ≤ capacity). */
  usable_bytes?: number;
  usable_source?: string;
  arch: string;
  compute_capability?: string;
  aliases?: string[];
  marketing?: string;
  source?: string;
}

/** The bytes a job can actually use on this device: the measured total where we have it. */
export function gpuUsableBytes(gpu: Gpu): number {
  return gpu.usable_bytes ?? gpu.memory_bytes;
}

/**
 * What the software stack can do on a device (issue #15, point 5). NVIDIA: bf16 tensor cores and FlashAttention 2
 * from compute capability 8.0 (Ampere; torch.cuda.is_bf16_supported() is false on T4 7.5 and V100 7.0, and
 * flash-attn 2 builds for sm80+ only), fp8 from 8.9 (Ada, Hopper). AMD Instinct/RDNA3 under ROCm: bf16 and a ROCm
 * FlashAttention 2 port. Apple: Metal (MPS / llama.cpp's Metal backend) with bf16, no CUDA, no CUDA graphs.
 * A device without a known capability is taken as capable (no refusal on a guess).
 */
export interface GpuCapabilities {
  bf16: boolean;
  flashAttention2: boolean;
  fp8: boolean;
  backend: "cuda" | "rocm" | "metal";
  cudaGraphs: boolean;
}

export function gpuCapabilities(gpu: Gpu): GpuCapabilities {
  if (gpu.vendor === "apple") return { bf16: true, flashAttention2: false, fp8: false, backend: "metal", cudaGraphs: false };
  if (gpu.vendor === "amd") return { bf16: true, flashAttention2: true, fp8: /mi3/i.test(gpu.id), backend: "rocm", cudaGraphs: true };
  const cc = gpu.compute_capability ? Number(gpu.compute_capability) : NaN;
  if (!Number.isFinite(cc)) return { bf16: true, flashAttention2: true, fp8: false, backend: "cuda", cudaGraphs: true };
  return { bf16: cc >= 8, flashAttention2: cc >= 8, fp8: cc >= 8.9, backend: "cuda", cudaGraphs: true };
}
