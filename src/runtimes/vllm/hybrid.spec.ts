import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { vllmStatePageBytes } from "../../core/state-cache.js";
import { modelFromShape, readCatalogConfig, shapeFromConfig, textConfig } from "../../test-support/hybrid-models.js";
import { vllmHybridLayout, vllmMemory, type VllmOptions } from "./memory.js";
import { vllmEngine } from "./profile.js";
import type { Gpu } from "../../core/gpu.js";

const qwen35moe = () => shapeFromConfig(textConfig(readCatalogConfig("qwen3.5-35b-a3b.json")), "qwen3_5_moe_text");
const nemotronNano = () => shapeFromConfig(readCatalogConfig("nemotron-3-nano-30b-a3b.json"));
const mamba = () => shapeFromConfig(readCatalogConfig("mamba-2.8b.json"));

const base = { dtype: "bf16", kvDtype: "bf16", blockSize: 16, maxModelLen: 32768, blockSizeSet: false };

describe("vLLM state pages (mamba_utils.py MambaStateShapeCalculator / MambaStateDtypeCalculator)", () => {
  it("Qwen3.5-35B-A3B (gated DeltaNet, fp32 state per its config) at TP 1: 3 × 8192 × 2 B + 32 × 128 × 128 × 4 B = 2,146,304 B", () => {
    expect(vllmStatePageBytes(qwen35moe().state!, { tp: 1, dtype: "bf16" }).bytes).toBe(2_146_304);
  });
  it("Nemotron-3-Nano-30B-A3B (Mamba-2, fp32 SSM state): 2,134,016 B at TP 1 and 533,504 B at TP 4 (vllm#41037: 'mamba_page_size keeps halving with TP')", () => {
    const s = nemotronNano().state!;
    expect(vllmStatePageBytes(s, { tp: 1, dtype: "bf16" }).bytes).toBe(2_134_016);
    expect(vllmStatePageBytes(s, { tp: 4, dtype: "bf16" }).bytes).toBe(533_504);
  });
  it("Mamba-2 groups that do not divide the TP size are replicated (extra_groups_for_head_shards)", () => {
    const s = { ...nemotronNano().state!, groups: 1 };
    // 1 group over 4 ranks → 4 groups: conv (4096 + 2·4·128)/4 channels
    expect(vllmStatePageBytes(s, { tp: 4, dtype: "bf16" }).convShape).toEqual([3, (4096 + 2 * 4 * 128) / 4]);
  });
  it("--mamba-ssm-cache-dtype overrides the checkpoint's dtype; KDA's recurrent state is always fp32", () => {
    expect(vllmStatePageBytes(qwen35moe().state!, { tp: 1, dtype: "bf16", ssmCacheDtype: "bf16" }).bytes).toBe(3 * 8192 * 2 + 32 * 128 * 128 * 2);
  });
  it("an indivisible split is one clear error", () => {
    expect(() => vllmStatePageBytes(qwen35moe().state!, { tp: 3, dtype: "bf16" })).toThrow(/divide/);
  });
});

describe("vLLM hybrid allocator: attention block size and page padding (as vLLM logs them)", () => {
  it("Qwen3.6-35B-A3B, --tensor-parallel-size 4: 'Setting attention block size to 528 tokens' (vllm#42966), padding 0.76 %", () => {
    const h = vllmHybridLayout(qwen35moe(), { ...base, tensorParallel: 4 });
    expect(h.blockSize).toBe(528);
    expect(((h.pageBytes - h.statePageBytes) / h.statePageBytes) * 100).toBeCloseTo(0.76, 2);
  });
  it("the same model at TP 1: 1056 tokens ('e.g. to 528 or 1056 tokens', vllm#42966)", () => {
    expect(vllmHybridLayout(qwen35moe(), { ...base, tensorParallel: 1 }).blockSize).toBe(1056);
  });
  it("Nemotron-3-Nano FP8 KV cache, --block-size 32: 4192 at TP 1 and TP 2, 2112 at TP 4 (vllm#41037 table)", () => {
    const o = { ...base, kvDtype: "fp8", blockSize: 32, blockSizeSet: true };
    expect(vllmHybridLayout(nemotronNano(), { ...o, tensorParallel: 1 }).blockSize).toBe(4192);
    expect(vllmHybridLayout(nemotronNano(), { ...o, tensorParallel: 2 }).blockSize).toBe(4192);
    expect(vllmHybridLayout(nemotronNano(), { ...o, tensorParallel: 4 }).blockSize).toBe(2112);
  });
  it("groups: 10 attention + 30 DeltaNet layers → group size 10, 1 + 3 groups; a sequence takes ceil(len/block) + 3 blocks", () => {
    const h = vllmHybridLayout(qwen35moe(), { ...base, tensorParallel: 4 });
    expect([h.groupSize, h.attentionGroups, h.stateGroups]).toEqual([10, 1, 3]);
    expect(h.blocksPerSequence).toBe(Math.ceil(32768 / 528) + 3);
  });
  it("a pure Mamba model: one group of every layer, one page per sequence, no padding", () => {
    const h = vllmHybridLayout(mamba(), { ...base, tensorParallel: 1 });
    expect([h.groupSize, h.blocksPerSequence, h.pageBytes]).toEqual([64, 1, 3 * 5120 * 2 + 5120 * 16 * 2]);
  });
});

describe("vLLM serving a hybrid model", () => {
  const gpu: Gpu = { id: "h100", name: "H100 80GB", memory_bytes: 80 * 2 ** 30, usable_bytes: 79.2 * 2 ** 30, arch: "hopper", vendor: "nvidia" } as Gpu;
  const opts = (maxModelLen: number): VllmOptions => ({ totalBytes: 80 * 2 ** 30, tensorParallel: 1, dtype: "bf16", quant: null, kvDtype: "bf16", gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 8192, maxNumSeqs: 256, blockSize: 16, maxModelLen, enforceEager: false });
  it("the pool is num_blocks × group_size pages, and the state does not grow with the context", () => {
    const model = modelFromShape("qwen3.5-35b-a3b", qwen35moe(), "qwen3_5_moe", 35e9);
    const m = vllmMemory(model, opts(32768));
    expect(m.hybrid).not.toBeNull();
    expect(m.cacheBytes).toBe(m.numBlocks * m.hybrid!.groupSize * m.hybrid!.pageBytes);
    expect(m.cacheBytes).toBeLessThanOrEqual(m.kvBudgetBytes);
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 262144 }), fc.integer({ min: 1024, max: 262144 }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        expect(vllmMemory(model, opts(hi)).maxSequences).toBeLessThanOrEqual(vllmMemory(model, opts(lo)).maxSequences);
      }),
      { numRuns: 20 },
    );
  });
  it("the estimate has one cache component, says the block size, and exposes the mamba dtype flags", () => {
    const model = modelFromShape("nemotron-nano", nemotronNano(), "nemotron_h", 31.6e9);
    const e = vllmEngine(model, { mode: "infer", runtime: "vllm", batch: 1, seq: 8192, dtype: "bf16", quant: null, kv_dtype: "bf16", attention: "sdpa", gpus: 1, double_quant: true } as any, gpu);
    const kv = e.components.find((c) => c.id === "kv_cache")!;
    expect(kv.label).toMatch(/recurrent states/);
    expect(e.assumptions.join(" ")).toMatch(/attention block size \d+ tokens/);
    expect(e.assumptions.join(" ")).toMatch(/SSM state in fp32/);
  });
});
