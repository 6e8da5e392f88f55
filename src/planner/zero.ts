/**
 * Model-state sharding arithmetic for data parallelism: DDP, ZeRO stages 1–3 (DeepSpeed) and FSDP
 * (PyTorch), per GPU. Pure functions on byte counts.
 *
 * ZeRO paper (Rajbhandari et al., arXiv:1910.02054, §5 / Figure 1): with Ψ parameters, mixed-precision Adam
 * (2Ψ fp16 params + 2Ψ fp16 grads + KΨ optimizer states, K = 12) and N_d data-parallel GPUs:
 *   DDP 16Ψ · ZeRO-1 4Ψ + 12Ψ/N · ZeRO-2 2Ψ + 14Ψ/N · ZeRO-3 16Ψ/N
 * (docs/research/memory-model.md §10, mechanics.md §8.1). The general form below takes the bytes of each kind of
 * state as the engine holds them, so LoRA, 8-bit optimizers and pure-bf16 training shard the same way.
 */

/** Bytes of each kind of model state on one GPU before data-parallel sharding. */
export interface ModelStates {
  /** Parameters as the GPU holds them between steps (16-bit for DeepSpeed mixed precision, fp32 for PyTorch AMP). */
  params: number;
  gradients: number;
  /** Optimizer states, including DeepSpeed's fp32 master copy. */
  optimizer: number;
  /** Temporaries of the optimizer step (PyTorch foreach); they follow the optimizer's partition. */
  stepTemporaries: number;
}

export type DataParallel = "ddp" | "zero1" | "zero2" | "zero3" | "fsdp_full" | "fsdp_hybrid" | "fsdp_grad_op";

export interface ShardedStates {
  params: number;
  gradients: number;
  optimizer: number;
  stepTemporaries: number;
  /** What each figure divides by, for the formulas. */
  shards: { params: number; gradients: number; optimizer: number };
}

/**
 * Partition model states over `n` data-parallel ranks. `shardGroup` is the FSDP hybrid shard group (GPUs per
 * node): HYBRID_SHARD shards within it and replicates across groups.
 */
export function shardModelStates(s: ModelStates, strategy: DataParallel, n: number, shardGroup = n): ShardedStates {
  const by = (p: number, g: number, o: number): ShardedStates => ({
    params: Math.ceil(s.params / p),
    gradients: Math.ceil(s.gradients / g),
    optimizer: Math.ceil(s.optimizer / o),
    stepTemporaries: Math.ceil(s.stepTemporaries / o),
    shards: { params: p, gradients: g, optimizer: o },
  });
  switch (strategy) {
    case "ddp":
      return by(1, 1, 1);
    case "zero1":
      return by(1, 1, n);
    case "zero2":
    case "fsdp_grad_op":
      return by(1, n, n);
    case "zero3":
    case "fsdp_full":
      return by(n, n, n);
    case "fsdp_hybrid": {
      const g = Math.min(n, shardGroup);
      return by(g, g, g);
    }
  }
}

/** The ZeRO paper's per-GPU model states for mixed-precision Adam (K = 12), in bytes. */
export function zeroPaperModelStates(params: number, stage: 0 | 1 | 2 | 3, n: number, k = 12): number {
  const s = shardModelStates({ params: 2 * params, gradients: 2 * params, optimizer: k * params, stepTemporaries: 0 }, stage === 0 ? "ddp" : (`zero${stage}` as DataParallel), n);
  return s.params + s.gradients + s.optimizer;
}

/** DeepSpeed engine defaults (deepspeed/runtime/zero/config.py) and what HF's "auto" sets from the hidden size. */
export interface ZeroBuffers {
  /** reduce_bucket_size (elements): gradients are reduced in buckets of this size. DeepSpeed default 5e8; HF auto h². */
  reduceBucketSize: number;
  /** allgather_bucket_size (elements), stage 1/2 parameter all-gather after the step. Default 5e8. */
  allgatherBucketSize: number;
  /** stage3_prefetch_bucket_size (elements). Default 5e7; HF auto 0.9·h². */
  prefetchBucketSize: number;
  /** stage3_max_live_parameters (elements). Default 1e9. */
  maxLiveParameters: number;
  /** stage3_param_persistence_threshold (elements): smaller parameters stay whole on every GPU. Default 1e5; HF auto 10·h. */
  paramPersistenceThreshold: number;
}

export function hfAutoZeroBuffers(hidden: number): ZeroBuffers {
  return {
    reduceBucketSize: hidden * hidden,
    allgatherBucketSize: 5e8,
    prefetchBucketSize: Math.floor(0.9 * hidden * hidden),
    maxLiveParameters: 1e9,
    paramPersistenceThreshold: 10 * hidden,
  };
}

export const DEEPSPEED_DEFAULT_BUFFERS: ZeroBuffers = {
  reduceBucketSize: 5e8,
  allgatherBucketSize: 5e8,
  prefetchBucketSize: 5e7,
  maxLiveParameters: 1e9,
  paramPersistenceThreshold: 1e5,
};
