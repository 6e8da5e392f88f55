import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { defaultEstimator } from "../../index.js";
import { isVramfitError } from "../../core/errors.js";
import { parseTransformersVersion, transformersMechanisms } from "./version.js";

const est = (o: Record<string, unknown>) => defaultEstimator.estimate("llama-2-7b", { mode: "infer", runtime: "transformers", dtype: "fp16", ...o } as never);
const comp = (e: ReturnType<typeof est>, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;

describe("transformers_version", () => {
  it("parses releases and dev builds", () => {
    expect(parseTransformersVersion("4.35.2")).toEqual([4, 35, 2]);
    expect(parseTransformersVersion("4.33.0.dev0")).toEqual([4, 33, 0]);
    expect(parseTransformersVersion("4.36")).toEqual([4, 36, 0]);
    expect(() => parseTransformersVersion("4.3x")).toThrow(/transformers_version/);
  });

  it("switches each mechanism at the release that changed it", () => {
    expect(transformersMechanisms("4.41.2", "llama").legacyCache).toBe(true);
    expect(transformersMechanisms("4.42.0", "llama").legacyCache).toBe(false);
    expect(transformersMechanisms("4.44.2", "llama")).toMatchObject({ fullPrefillLogits: true, fullLogitsFp32: true });
    expect(transformersMechanisms("4.45.0", "llama")).toMatchObject({ fullPrefillLogits: false, fullLogitsFp32: false });
    // gemma got logits.float() in 4.39; gpt2 never had it
    expect(transformersMechanisms("4.38.2", "gemma").fullLogitsFp32).toBe(false);
    expect(transformersMechanisms("4.39.0", "gemma").fullLogitsFp32).toBe(true);
    expect(transformersMechanisms("4.40.0", "gpt2")).toMatchObject({ fullPrefillLogits: true, fullLogitsFp32: false });
    expect(transformersMechanisms("4.35.2", "llama").eagerByDefault).toBe(true);
    expect(transformersMechanisms("4.36.0", "llama").eagerByDefault).toBe(false);
  });

  it("a bad version is one invalid_option error", () => {
    try {
      est({ transformers_version: "latest" });
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "invalid_option")).toBe(true);
    }
  });

  it("before 4.42 the last decoding step holds the cache twice (optimum-benchmark Llama-2-7B, 4.35.2)", () => {
    const old = est({ batch: 64, seq: 768, attention: "eager", transformers_version: "4.35.2" });
    const kv = comp(old, "kv_cache");
    expect(comp(old, "kv_cache_legacy_copy")).toBe(Math.round((kv * 767) / 768));
    expect(old.peak.phase).toMatch(/decoding step/);
    const now = est({ batch: 64, seq: 768, attention: "eager" });
    expect(comp(now, "kv_cache_legacy_copy")).toBe(0);
    expect(comp(now, "kv_cache_growth")).toBeGreaterThan(0);
    expect(old.totals.allocated_bytes).toBeGreaterThan(now.totals.allocated_bytes);
    // optimum-benchmark running-llamas, Llama-7b bs64 fp16 eager, transformers 4.35.2: generate.max_memory_allocated
    // 65112 MB (bench/accuracy/incoming/llm-inference.jsonl, optimum-bench-llama7b-fp16-bs64-generate-allocated)
    expect(Math.abs(old.totals.allocated_bytes / 65_112e6 - 1)).toBeLessThan(0.03);
  });

  it("warns when the legacy cache re-allocates per-layer K/V of 10 MiB and more every step (allocator fragmentation)", () => {
    expect(est({ batch: 1, seq: 768, transformers_version: "4.35.2" }).warnings.join(" ")).not.toMatch(/re-allocated/);
    expect(est({ batch: 8, seq: 768, transformers_version: "4.35.2" }).warnings.join(" ")).toMatch(/48 MiB and is re-allocated/);
    expect(est({ batch: 8, seq: 768 }).warnings.join(" ")).not.toMatch(/re-allocated/);
  });

  it("attention left unstated is eager before 4.36", () => {
    expect(est({ transformers_version: "4.35.2" }).workload.attention).toBe("eager");
    expect(est({ transformers_version: "4.36.0" }).workload.attention).toBe("sdpa");
  });

  it("before 4.45 generate keeps the prompt's logits, upcast to fp32 for Llama", () => {
    const e = est({ batch: 2, seq: 1024, transformers_version: "4.44.0" });
    const V = 32000;
    expect(comp(e, "logits")).toBe(2 * 1024 * V * (2 + 4));
    const later = est({ batch: 2, seq: 1024, transformers_version: "4.45.0" });
    expect(comp(later, "logits")).toBe(2 * V * (2 + 4));
    expect(e.totals.allocated_bytes - later.totals.allocated_bytes).toBe(comp(e, "logits") - comp(later, "logits"));
  });

  // Law: with the legacy cache the peak is at least weights + the cache + its previous copy, whichever phase
  // sets it (the prefill phase is chosen only when it is larger than the decoding step).
  it("legacy cache: allocated ≥ weights + KV(seq) + KV(seq − 1)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 4096 }), fc.constantFrom("eager", "sdpa", "flash"), (batch, seq, attention) => {
        const e = est({ batch, seq, attention, transformers_version: "4.38.2" });
        const kv = comp(e, "kv_cache");
        expect(e.totals.allocated_bytes).toBeGreaterThanOrEqual(comp(e, "weights") + kv + Math.round((kv * (seq - 1)) / seq));
        // the larger phase is the allocated total
        expect(Math.max(...e.phases!.map((p) => p.allocated_bytes))).toBe(e.totals.allocated_bytes);
      }),
      { numRuns: 40 },
    );
  });
});
