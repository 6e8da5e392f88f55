/**
 * PyTorch's CUDA caching allocator: how requested bytes become reserved segments.
 * Constants from c10/cuda/CUDACachingAllocator.cpp (docs/research/mechanics.md §2):
 * requests round up to 512 B; ≤ 1 MiB come from 2 MiB small-pool segments; (1, 10) MiB from 20 MiB
 * segments; ≥ 10 MiB get their own segment rounded up to 2 MiB.
 */
import { MiB, roundUp } from "./units.js";

export const MIN_BLOCK = 512;
export const SMALL_SIZE = 1 * MiB;
export const SMALL_BUFFER = 2 * MiB;
export const LARGE_BUFFER = 20 * MiB;
export const MIN_LARGE_ALLOC = 10 * MiB;
export const ROUND_LARGE = 2 * MiB;

/** Bytes a live tensor of `bytes` occupies in the allocator (512-B rounding). */
export function allocatedSize(bytes: number): number {
  return Math.max(MIN_BLOCK, roundUp(bytes, MIN_BLOCK));
}

/**
 * Reserved bytes for a set of tensors that stay allocated together (weights, KV cache, optimizer
 * states): small and mid-size tensors pack into shared 2 MiB / 20 MiB segments, large ones get a
 * segment each rounded to 2 MiB.
 */
export function reservedForPersistent(tensors: Iterable<{ bytes: number; count: number }>): number {
  let small = 0;
  let mid = 0;
  let large = 0;
  for (const t of tensors) {
    if (t.bytes <= 0 || t.count <= 0) continue;
    const a = allocatedSize(t.bytes);
    if (a <= SMALL_SIZE) small += a * t.count;
    else if (a < MIN_LARGE_ALLOC) mid += a * t.count;
    else large += roundUp(a, ROUND_LARGE) * t.count;
  }
  return roundUp(small, SMALL_BUFFER) + roundUp(mid, LARGE_BUFFER) + large;
}
