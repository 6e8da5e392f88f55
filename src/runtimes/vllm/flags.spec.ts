/** vLLM flags added for pasted commands: --pipeline-parallel-size and --kv-cache-memory-bytes. */
import { describe, expect, it } from "vitest";
import { estimate } from "../../index.js";
import { GiB } from "../../core/units.js";

const comp = (e: ReturnType<typeof estimate>, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;
const serving = (e: ReturnType<typeof estimate>) => (e as unknown as { serving: Record<string, number> }).serving;

describe("vLLM pipeline parallelism", () => {
  it("gives each stage its share of the layers: weights about halve, and more KV blocks fit", () => {
    const o = { runtime: "vllm", gpu: "h100-sxm", max_model_len: 8192 } as const;
    const one = estimate("llama-3.1-70b", { ...o, gpus: 2 });
    const pp = estimate("llama-3.1-70b", { ...o, gpus: 2, pipeline_parallel_size: 2 });
    expect(comp(pp, "weights")).toBeLessThan(0.6 * comp(one, "weights"));
    expect(comp(pp, "weights")).toBeGreaterThan(0.45 * comp(one, "weights"));
    expect(serving(pp).num_blocks).toBeGreaterThan(serving(one).num_blocks);
    expect(serving(pp).pipeline_parallel_size).toBe(2);
  });
});

describe("vLLM --kv-cache-memory-bytes", () => {
  it("sizes the pool to the bytes given, whatever the utilization", () => {
    const e = estimate("llama-3.1-8b", { runtime: "vllm", gpu: "h100-sxm", kv_cache_memory_bytes: 4 * GiB, gpu_memory_utilization: 0.5 });
    // Llama 3.1 8B: 32 layers × 2 × 8 heads × 128 × 2 B × 16 tokens = 2 MiB per block
    expect(serving(e).num_blocks).toBe(2048);
    expect(comp(e, "kv_cache")).toBe(4 * GiB);
  });
});
