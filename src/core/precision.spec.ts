import { describe, expect, it } from "vitest";
import { bnb4bitBytes, gptqBytes, tensorBytes } from "./precision.js";
import { ggmlBytes } from "../ggml/types.js";

describe("bytes per weight", () => {
  it("bitsandbytes NF4 with double quantization ≈ 4.127 bits/weight (QLoRA paper §3)", () => {
    const n = 4096 * 4096;
    const bits = (bnb4bitBytes(n) * 8) / n;
    expect(bits).toBeGreaterThan(4.125);
    expect(bits).toBeLessThan(4.13);
  });
  it("bitsandbytes 4-bit without double quantization = 4.5 bits/weight (fp32 absmax per 64)", () => {
    const n = 4096 * 4096;
    expect((bnb4bitBytes(n, false) * 8) / n).toBe(4.5);
  });
  it("GPTQ 4-bit g128 ≈ 4.16 bits + g_idx (mechanics.md §6.3)", () => {
    const out = 4096;
    const inp = 4096;
    const bits = (gptqBytes(out, inp, 128, false) * 8) / (out * inp);
    expect(bits).toBeCloseTo(4 + 16 / 128 + 4 / 128, 6);
  });
  it("ggml blocks: Q4_K 4.5 bits, Q6_K 6.5625, Q8_0 8.5 (ggml-common.h)", () => {
    expect((ggmlBytes("q4_k", [256]) * 8) / 256).toBe(4.5);
    expect((ggmlBytes("q6_k", [256]) * 8) / 256).toBe(6.5625);
    expect((ggmlBytes("q8_0", [32]) * 8) / 32).toBe(8.5);
  });
  it("embeddings and norms stay unquantized under bitsandbytes", () => {
    const emb = { name: "e", module: "embed_tokens", kind: "embedding" as const, shape: [1000, 64], count: 1 };
    expect(tensorBytes(emb, "bf16", "nf4")).toBe(1000 * 64 * 2);
  });
});
