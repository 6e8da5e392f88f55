/**
 * Runtime overheads outside the model's own tensors: the CUDA context, library workspaces.
 * Sources: docs/research/mechanics.md §1 (PyTorch PR #86509, #89027, #120925; transformers perf docs).
 */
import type { Component } from "./estimate-types.js";
import { MiB } from "./units.js";

/** GPU architectures with Hopper-class cuBLAS workspaces (sm_90 and later). */
const HOPPER_OR_LATER = new Set(["hopper", "blackwell"]);

/**
 * CUDA context of one process with lazy module loading (PyTorch ≥ 1.13 sets CUDA_MODULE_LOADING=LAZY).
 * PyTorch PR #86509 measured 287,047,680 B for a process holding one tiny tensor; the kernels that a real
 * workload loads (cuBLAS GEMMs, attention, elementwise) add more as they are first used — ptrblck quotes
 * "around 400MB" with lazy loading (pytorch/pytorch#109888). We take the measured base plus 128 MiB of
 * kernel modules (approx; the calibration data refine it).
 */
export const CUDA_CONTEXT_LAZY_BASE = 287_047_680;
export const CUDA_KERNEL_MODULES = 128 * MiB;
/** Eager module loading (CUDA < 11.7 stacks): transformers' perf_train_gpu_one doc measured 1343 MiB on a V100. */
export const CUDA_CONTEXT_EAGER = 1343 * MiB;

export function cudaContextComponent(opts: { vendor?: string; lazy?: boolean } = {}): Component {
  if (opts.vendor === "apple") {
    return {
      id: "cuda_context",
      label: "Runtime context (Metal)",
      bytes: 0,
      formula: "Apple unified memory: no separate device context is reserved",
      level: "device",
    };
  }
  const lazy = opts.lazy ?? true;
  const bytes = lazy ? CUDA_CONTEXT_LAZY_BASE + CUDA_KERNEL_MODULES : CUDA_CONTEXT_EAGER;
  return {
    id: "cuda_context",
    label: opts.vendor === "amd" ? "HIP context" : "CUDA context",
    bytes,
    formula: lazy
      ? "274 MiB driver context with lazy loading (pytorch#86509) + 128 MiB kernel modules loaded on first use (approx)"
      : "1343 MiB with eager module loading (transformers perf_train_gpu_one, V100, CUDA 11.2)",
    level: "device",
  };
}

/**
 * cuBLAS workspace that PyTorch allocates through its caching allocator, one per handle and stream:
 * `:4096:2:16:8` = 8,519,680 B before Hopper, 32 MiB on sm_90+ (CublasHandlePool.cpp; pytorch#89027).
 */
export function cublasWorkspaceComponent(arch: string | undefined): Component {
  const hopper = arch != null && HOPPER_OR_LATER.has(arch);
  const bytes = hopper ? 32 * MiB : 8_519_680;
  return {
    id: "cublas_workspace",
    label: "cuBLAS workspace",
    bytes,
    formula: hopper
      ? "32 MiB per handle/stream on Hopper and later (PyTorch CublasHandlePool.cpp, pytorch#89027)"
      : "CUBLAS_WORKSPACE_CONFIG :4096:2:16:8 = 2×4096 KiB + 8×16 KiB = 8,519,680 B (PyTorch default before Hopper)",
    level: "allocated",
  };
}
