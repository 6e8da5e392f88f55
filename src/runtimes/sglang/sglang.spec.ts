import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate, findGpu } from "../../index.js";
import { isVramfitError } from "../../core/errors.js";
import type { Gpu } from "../../core/gpu.js";
import { GiB } from "../../core/units.js";
import { cudaGraphBatchSizes, defaultMaxRunningRequests, defaultMemFractionStatic, sglangTier } from "./defaults.js";
import { sglangCellBytes } from "./memory.js";
import { defaultEstimator } from "../../default-estimator.js";
import type { TransformerModel } from "../../core/model.js";

/** An A800 80GB as torch sees it: "GPU 0 has a total capacity of 79.25 GiB" (bench/accuracy/logs/sglang/yuy4o-gpt-oss-120b-a800-tp2-oom.log). */
const a800: Gpu = { ...findGpu("a800-80gb"), usable_bytes: 79.25 * GiB };
const serving = (e: ReturnType<typeof estimate>) => (e as unknown as { serving: Record<string, number> }).serving;
const comp = (e: ReturnType<typeof estimate>, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;

describe("SGLang defaults (docs/engines/sglang.md §1-2)", () => {
  it("derives mem_fraction_static as the worked arithmetic of the notes", () => {
    // 81920 MiB, tp 1: 512 + 8192×1.5 + 128 + 256×2 = 13440 → 0.836
    const t80 = sglangTier(81920, 1);
    expect(t80).toMatchObject({ chunkedPrefillSize: 8192, cudaGraphMaxBs: 256 });
    expect(defaultMemFractionStatic({ gpuMemMiB: 81920, chunkedPrefillSize: 8192, maxPrefillTokens: 16384, tp: 1, pp: 1, cudaGraphMaxBs: 256 }).value).toBe(0.836);
    // 24576 MiB (current): 512 + 4096×1.5 + 128 + 48×2 = 6880 → 0.720
    const t24 = sglangTier(24576, 1);
    expect(defaultMemFractionStatic({ gpuMemMiB: 24576, chunkedPrefillSize: t24.chunkedPrefillSize, maxPrefillTokens: 16384, tp: 1, pp: 1, cudaGraphMaxBs: t24.cudaGraphMaxBs }).value).toBe(0.72);
    expect(defaultMemFractionStatic({ gpuMemMiB: undefined, chunkedPrefillSize: 4096, maxPrefillTokens: 16384, tp: 1, pp: 1, cudaGraphMaxBs: 160 }).value).toBe(0.95);
  });

  it("keeps max_running_requests between 2048 and 4096", () => {
    expect(defaultMaxRunningRequests(66082, 4096)).toBe(4096);
    expect(defaultMaxRunningRequests(600_000, 131072)).toBe(2343);
    expect(defaultMaxRunningRequests(1000, 131072)).toBe(2048);
  });

  it("captures the batch sizes the logs print", () => {
    expect(cudaGraphBatchSizes(4)).toEqual([1, 2, 4]);
    const b200 = [1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184, 192, 200, 208, 216, 224, 232, 240, 248, 256, 272, 288, 304, 320, 336, 352, 368, 384, 400, 416, 432, 448, 464, 480, 496, 512];
    expect(cudaGraphBatchSizes(512)).toEqual(b200);
  });
});

describe("SGLang token pool", () => {
  it("has the cell size of the printed K/V sizes (gpt-oss-20b: 1,400,887 tokens, K size 32.06 GB)", () => {
    const m = defaultEstimator.resolveModel("gpt-oss-20b") as TransformerModel;
    const cell = sglangCellBytes(m.transformer, "bf16", 1, m.transformer.layers);
    expect(cell).toBe(24 * 8 * 128 * 2);
    expect((1_400_887 * cell) / 2 / GiB).toBeCloseTo(32.06, 2);
  });

  it("reproduces QwQ-32B's pool on an A800 within 1 % (log: #tokens 66082, mem_fraction_static 0.98)", () => {
    const e = estimate("qwen2.5-32b", { runtime: "sglang", gpu: a800, mem_fraction_static: 0.98, context_length: 4096, chunked_prefill_size: 8192, max_running_requests: 4 });
    const s = serving(e);
    expect(Math.abs(s.max_total_num_tokens - 66082) / 66082).toBeLessThan(0.01);
    expect(s.cuda_graph_max_bs).toBe(4);
    // 8192-token chunks do not fit the 2 % SGLang leaves outside the pool: the estimate says so.
    expect(e.warnings.join(" ")).toMatch(/long prompts can run out of memory/);
    expect(e.gpu!.verdict).toBe("does_not_fit");
  });

  it("splits KV heads over TP ranks and keeps one MLA latent on every rank", () => {
    const m = defaultEstimator.resolveModel("llama-3.1-70b") as TransformerModel;
    expect(sglangCellBytes(m.transformer, "bf16", 4, 80)).toBe(2 * 256 * 80 * 2);
    expect(sglangCellBytes(m.transformer, "bf16", 16, 80)).toBe(1 * 256 * 80 * 2);
    const ds = defaultEstimator.resolveModel("deepseek-v3") as TransformerModel;
    expect(sglangCellBytes(ds.transformer, "bf16", 8, 61)).toBe((512 + 64) * 61 * 2);
  });

  it("says SGLang will not start when the weights exceed the static share", () => {
    const e = estimate("qwen2.5-32b", { runtime: "sglang", gpu: a800, mem_fraction_static: 0.5 });
    expect(serving(e).starts).toBe(0);
    expect(e.warnings.join(" ")).toMatch(/will not start/);
  });

  it("needs a GPU and refuses GGUF", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(isVramfitError(err(() => estimate("llama-3.1-8b", { runtime: "sglang" })), "invalid_option")).toBe(true);
    expect(isVramfitError(err(() => estimate("llama-3.1-8b", { runtime: "sglang", gpu: "h100-sxm", quant: "q4_k_m" })), "unsupported")).toBe(true);
  });

  it("grows the pool with mem_fraction_static and shrinks it with the context's request pool never (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.6, max: 0.95, noNaN: true }), fc.double({ min: 0.001, max: 0.04, noNaN: true }), (f, d) => {
        const a = serving(estimate("llama-3.1-8b", { runtime: "sglang", gpu: "h100-sxm", mem_fraction_static: f })).max_total_num_tokens;
        const b = serving(estimate("llama-3.1-8b", { runtime: "sglang", gpu: "h100-sxm", mem_fraction_static: Math.min(1, f + d) })).max_total_num_tokens;
        return b >= a;
      }),
      { numRuns: 30 },
    );
  });

  it("uses SGLang's defaults when nothing is given: the model's context, the GPU's fraction", () => {
    const e = estimate("llama-3.1-8b", { runtime: "sglang", gpu: "h100-sxm" });
    const s = serving(e);
    expect(s.context_length).toBe(131072);
    expect(s.mem_fraction_static).toBe(0.836);
    expect(comp(e, "req_to_token")).toBe(2048 * (131072 + 4) * 4);
    expect(e.assumptions.join(" ")).toMatch(/handle_gpu_memory_settings/);
  });
});

describe("SGLang Mamba state pool (hybrid models)", () => {
  it("reproduces Qwen3-Next-80B TP2: 30 slots, 31 × 36 layers × 1 MiB of ssm state, 110.5k tokens (yuy4o-qwen3-next-80b-a800-tp2.log)", async () => {
    const { gatedDeltaNetState } = await import("../../core/state-cache.js");
    const { sglangMemory, SGLANG_NCCL_INIT_BYTES } = await import("./memory.js");
    const base = defaultEstimator.resolveModel("llama-3.1-8b") as TransformerModel;
    // Qwen3-Next-80B-A3B's attention and linear-attention shapes (config.json: 48 layers, full attention every 4th,
    // 2 KV heads of 256, linear 16 key heads × 128, 32 value heads × 128, conv kernel 4); weights left out.
    const mixers = Array.from({ length: 48 }, (_, i) => ((i + 1) % 4 === 0 ? "attention" : "state") as "attention" | "state");
    const model: TransformerModel = {
      ...base,
      tensors: [],
      transformer: { ...base.transformer, layers: 48, kvHeads: 2, headDim: 256, layerMixers: mixers, state: gatedDeltaNetState({ kHeads: 16, vHeads: 32, kDim: 128, vDim: 128, dConv: 4 }) },
    };
    // The log: rest = avail after weights 3.92 − 78.54 × (1 − 0.98) GiB = 2.349 GiB (NCCL init is taken before, as at TP2).
    const m = sglangMemory(model, {
      totalBytes: Math.round(2.3492 * GiB) + SGLANG_NCCL_INIT_BYTES, contextBytes: 0, tp: 2, pp: 1, dtype: "bf16", quant: null, kvDtype: "bf16", memFractionStatic: 1,
      contextLength: 128000, chunkedPrefillSize: 8192, maxPrefillTokens: 16384, maxRunningRequests: 4, pageSize: 1, cudaGraphMaxBs: 4, attentionWorkspaceBytes: 0,
    });
    expect(m.mambaSlots).toBe(30);
    expect(m.mambaBytes / GiB).toBeCloseTo(1.09 + 0.03, 1);
    expect(Math.abs(m.maxTotalNumTokens - 110539) / 110539).toBeLessThan(0.01);
    expect(m.cellBytes).toBe(1 * 512 * 12 * 2);
  });
});
