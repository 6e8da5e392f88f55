/** The caching-allocator replay (replay.ts): the c10 rules on small cases, and laws on random sequences. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocatedSize } from "../core/allocator.js";
import { CachingAllocatorReplay, replay } from "./replay.js";

const MiB = 2 ** 20;

describe("caching allocator replay", () => {
  it("segment sizes: 2 MiB small, 20 MiB for 1–10 MiB, the request rounded to 2 MiB above", () => {
    const a = new CachingAllocatorReplay();
    a.alloc(1000);
    expect(a.reserved).toBe(2 * MiB);
    a.alloc(3 * MiB);
    expect(a.reserved).toBe(22 * MiB);
    a.alloc(11 * MiB + 1); // fits the 17 MiB left of the 20 MiB segment
    expect(a.reserved).toBe(22 * MiB);
    a.alloc(20 * MiB + 1);
    expect(a.reserved).toBe(22 * MiB + 22 * MiB);
  });

  it("a freed block is reused when large enough, and a larger request gets a new segment", () => {
    const a = new CachingAllocatorReplay();
    const x = a.alloc(100 * MiB);
    a.free(x);
    a.alloc(60 * MiB); // best fit in the cached 100 MiB segment, split
    expect(a.reserved).toBe(100 * MiB);
    a.alloc(30 * MiB); // the 40 MiB remainder
    expect(a.reserved).toBe(100 * MiB);
    a.alloc(50 * MiB);
    expect(a.reserved).toBe(150 * MiB);
  });

  it("freed neighbours merge: two halves freed serve one request of the whole", () => {
    const a = new CachingAllocatorReplay();
    const whole = a.alloc(64 * MiB);
    a.free(whole);
    const p = a.alloc(32 * MiB);
    const q = a.alloc(32 * MiB);
    a.free(p);
    a.free(q);
    a.alloc(64 * MiB);
    expect(a.reserved).toBe(64 * MiB);
  });

  it("laws: reserved covers the live bytes at every moment and never shrinks", () => {
    // Any sequence of allocations (512 B – 300 MiB) with frees in any order.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 300 * MiB }), fc.nat(100)), { minLength: 1, maxLength: 60 }), (ops) => {
        const a = new CachingAllocatorReplay();
        const live: { block: ReturnType<CachingAllocatorReplay["alloc"]>; bytes: number }[] = [];
        let liveBytes = 0;
        let last = 0;
        for (const [bytes, pick] of ops) {
          live.push({ block: a.alloc(bytes), bytes: allocatedSize(bytes) });
          liveBytes += allocatedSize(bytes);
          if (a.reserved < liveBytes || a.reserved < last) return false;
          last = a.reserved;
          if (pick % 2 === 0) {
            const [gone] = live.splice(pick % live.length, 1);
            a.free(gone.block);
            liveBytes -= gone.bytes;
          }
        }
        // The events form frees what it allocated: replaying allocations then frees leaves nothing live.
        const b = new CachingAllocatorReplay();
        replay(b, [...ops.map(([bytes]) => bytes), ...ops.map((_, i) => -(i + 1))]);
        return b.reserved >= ops.reduce((m, [bytes]) => Math.max(m, allocatedSize(bytes)), 0);
      }),
      { numRuns: 300 },
    );
  });
});
