/**
 * Reserved memory across a pipeline call: PyTorch's CUDA caching allocator replayed over the allocation and
 * free sequence of each phase's graph. A diffusers pipeline call never empties the cache, so segments made
 * for one phase stay reserved in the next; a later phase reuses a cached free block only when one is large
 * enough (best fit, split when the rest is big enough), so the VAE decode's 256 MiB–1 GiB feature maps get
 * new segments beside those the denoiser's smaller tensors left, and each decoder stage's maps outgrow the
 * blocks the stage before freed. `max_memory_reserved()` after the call is the sum of the segments.
 *
 * Rules from c10/cuda/CUDACachingAllocator.cpp (as src/core/allocator.ts): requests round up to 512 B;
 * ≤ 1 MiB from the small pool in 2 MiB segments; larger from the large pool, in 20 MiB segments below
 * 10 MiB and in a segment of the request rounded up to 2 MiB above; the smallest free block of the pool
 * that fits is used and split when the remainder is ≥ 512 B (small) or > 1 MiB (large); a freed block
 * merges with free neighbours of its segment; max_split_size unset; one stream.
 */
import { allocatedSize, LARGE_BUFFER, MIN_BLOCK, MIN_LARGE_ALLOC, ROUND_LARGE, SMALL_BUFFER, SMALL_SIZE } from "../core/allocator.js";
import { roundUp } from "../core/units.js";
import type { VisionGraph } from "../vision/graph.js";
import { isOpLocalOutput, storageSpans } from "../vision/analysis.js";

interface Block {
  size: number;
  free: boolean;
  small: boolean;
  prev: Block | null;
  next: Block | null;
}

export class CachingAllocatorReplay {
  /** Bytes of all segments (never released: no empty_cache during a pipeline call). */
  reserved = 0;
  private freeBlocks: Block[] = [];

  alloc(bytes: number): Block {
    const size = allocatedSize(bytes);
    const small = size <= SMALL_SIZE;
    let best: Block | null = null;
    for (const b of this.freeBlocks) if (b.small === small && b.size >= size && (!best || b.size < best.size)) best = b;
    if (!best) {
      const seg = small ? SMALL_BUFFER : size < MIN_LARGE_ALLOC ? LARGE_BUFFER : roundUp(size, ROUND_LARGE);
      this.reserved += seg;
      best = { size: seg, free: true, small, prev: null, next: null };
      this.freeBlocks.push(best);
    }
    this.freeBlocks.splice(this.freeBlocks.indexOf(best), 1);
    best.free = false;
    const rest = best.size - size;
    if (small ? rest >= MIN_BLOCK : rest > SMALL_SIZE) {
      const tail: Block = { size: rest, free: true, small, prev: best, next: best.next };
      if (best.next) best.next.prev = tail;
      best.next = tail;
      best.size = size;
      this.freeBlocks.push(tail);
    }
    return best;
  }

  free(b: Block): void {
    b.free = true;
    for (const n of [b.prev, b.next]) {
      if (!n || !n.free) continue;
      this.freeBlocks.splice(this.freeBlocks.indexOf(n), 1);
      b.size += n.size;
      if (n === b.prev) {
        b.prev = n.prev;
        if (n.prev) n.prev.next = b;
      } else {
        b.next = n.next;
        if (n.next) n.next.prev = b;
      }
    }
    this.freeBlocks.push(b);
  }

  /** Allocate and free at once (a transient: a dequantized weight, a workspace). */
  transient(bytes: number): void {
    if (bytes > 0) this.free(this.alloc(bytes));
  }
}

/** One phase's allocation sequence: `+bytes` allocates (id = its index), `-k` frees the allocation made at index k-1. */
export type Events = number[];

/**
 * The no_grad (CUDA) allocation sequence of a graph, with the liveness of src/vision/analysis.ts `inferencePeak`:
 * a storage is allocated at the node that first outputs it and freed after the last node that reads it or
 * holds it; secondary outputs of norms/dropout/SDPA live only in their op; each convolution's workspace is
 * allocated and freed inside the op. The graph input and outputs are the pipeline's (allocated around it).
 */
export function graphEvents(g: VisionGraph): Events {
  const n = g.nodes.length;
  const transientOut = new Set<number>();
  const { birth, death } = storageSpans(g, (node, k, s) => {
    if (isOpLocalOutput(node.op, k)) transientOut.add(s);
  });
  const inputStorage = g.tensors[g.input]?.storage;
  const outputs = new Set(g.outputs.map((t) => g.tensors[t].storage));
  const bornAt: number[][] = Array.from({ length: n }, () => []);
  const diesAt: number[][] = Array.from({ length: n }, () => []);
  for (const [s, b] of birth) {
    if (s === inputStorage || outputs.has(s)) continue;
    bornAt[b].push(s);
    diesAt[transientOut.has(s) ? b : Math.max(b, death.get(s) ?? b)].push(s);
  }
  const ev: Events = [];
  const idx = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    for (const s of bornAt[i]) {
      idx.set(s, ev.length);
      ev.push(g.storages[s].bytes);
    }
    const ws = g.nodes[i].workspaceBytes ?? 0;
    if (ws > 0) {
      ev.push(ws);
      ev.push(-ev.length);
    }
    for (const s of diesAt[i]) ev.push(-(idx.get(s)! + 1));
  }
  return ev;
}

/** Replay one phase's events on `a`. */
export function replay(a: CachingAllocatorReplay, ev: Events): void {
  const blocks: Block[] = [];
  for (const e of ev) {
    if (e > 0) blocks.push(a.alloc(e));
    else {
      blocks.push(null as unknown as Block);
      a.free(blocks[-e - 1]);
    }
  }
}
