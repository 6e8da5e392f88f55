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
