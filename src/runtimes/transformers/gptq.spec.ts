import { describe, expect, it } from "vitest";
import { defaultEstimator } from "../../index.js";
import { isVramfitError } from "../../core/errors.js";

const est = (o: Record<string, unknown>) => defaultEstimator.estimate("llama-2-7b", { mode: "infer", runtime: "transformers", dtype: "fp16", quant: "gptq", ...o } as never);
const buffers = (o: Record<string, unknown>) => est(o).components.find((c) => c.id === "gptq_buffers")?.bytes ?? 0;

describe("gptq_kernel", () => {
  it("exllama v1: the largest quantized linear dequantized to fp16 (4096 × 11008 for Llama-2-7B)", () => {
    expect(buffers({ gptq_kernel: "exllamav1" })).toBe(4096 * 11008 * 2 + 2);
  });

  it("exllamav2: max over linears of temp_dq + out × 2048 × 8 × 4 B (gate/up: out 11008)", () => {
    expect(buffers({ gptq_kernel: "exllamav2" })).toBe(4096 * 11008 * 2 + 128 + 11008 * 2048 * 8 * 4 + 128);
  });

  it("marlin: one small workspace per quantized linear; none when unstated", () => {
    // out // 128 × 16 int32: q, k, v, o, down (out 4096) 2048 B each; gate, up (out 11008 → 86) 5504 B each
    expect(buffers({ gptq_kernel: "marlin" })).toBe(32 * (5 * 2048 + 2 * 5504));
    expect(buffers({})).toBe(0);
  });

  it("needs --quant gptq", () => {
    try {
      defaultEstimator.estimate("llama-2-7b", { mode: "infer", runtime: "transformers", gptq_kernel: "exllamav2" } as never);
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "invalid_option")).toBe(true);
    }
  });

  it("optimum-benchmark Llama-7B GPTQ exllamav2, one forward of 1 × 256: within 3 % of 4991 MB allocated", () => {
    // bench/accuracy/incoming/llm-inference.jsonl optimum-bench-llama7b-fp16-gptq-exllamav2-bs1-forward-allocated
    const e = est({ gptq_kernel: "exllamav2", batch: 1, seq: 256, logits: "all", attention: "eager" });
    expect(Math.abs(e.totals.allocated_bytes / 4991e6 - 1)).toBeLessThan(0.03);
  });
});
