import { describe, expect, it } from "vitest";
import { VramfitError } from "../../core/errors.js";
import { ollamaDefaultContext, ollamaFlashAttnDefault, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";

const GiB = 2 ** 30;
describe("Ollama defaults (ollama/ollama PR #13946, envconfig/config.go, discover/gpu.go)", () => {
  it("picks 4096 below 23 GiB, 32768 from 23 GiB, 262144 from 47 GiB, capped by the model", () => {
    expect(ollamaDefaultContext(12 * GiB)).toBe(4096);
    expect(ollamaDefaultContext(23 * GiB)).toBe(32768);
    expect(ollamaDefaultContext(24 * GiB - 1)).toBe(32768);
    expect(ollamaDefaultContext(80 * GiB)).toBe(262144);
    expect(ollamaDefaultContext(80 * GiB, 40960)).toBe(40960);
  });
  it("allocates num_ctx cells per parallel slot and reserves 457 MiB per GPU plus the overhead", () => {
    expect(ollamaLlamaCppContext(8192, 4)).toEqual({ nCtx: 32768, nSeq: 4 });
    expect(ollamaReservedBytes()).toBe(457 * 2 ** 20);
    expect(ollamaReservedBytes(GiB)).toBe(GiB + 457 * 2 ** 20);
    expect(() => ollamaLlamaCppContext(0)).toThrow(VramfitError);
  });
});

describe("Ollama's flash-attention and num_ctx defaults follow its version (issue #15 audit)", () => {
  it("unset OLLAMA_FLASH_ATTENTION is auto (on for CUDA) from v0.13.4, off before; gpt-oss on from v0.11.8", async () => {
    const { estimate } = await import("../../index.js");
    const now = estimate("llama-3.1-8b", { runtime: "ollama", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192 });
    const old = estimate("llama-3.1-8b", { runtime: "ollama", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192, ollama_version: "0.12.0" });
    expect(now.assumptions.join(" ")).toMatch(/flash attention on: Ollama/);
    expect(old.assumptions.join(" ")).toMatch(/flash attention off: Ollama 0\.12\.0/);
    const cb = (e: typeof now) => e.components.find((c) => c.id === "compute_buffer")!.bytes;
    expect(cb(old)).toBeGreaterThan(cb(now));
    expect(ollamaFlashAttnDefault("0.12.0", "gpt_oss").on).toBe(true);
    expect(ollamaFlashAttnDefault("0.11.7", "gpt_oss").on).toBe(false);
    expect(ollamaFlashAttnDefault(undefined, "llama", { vendor: "nvidia", compute_capability: "5.2" }).on).toBe(false);
    // num_ctx: VRAM tiers from v0.15.5, 4096 before
    expect(estimate("llama-3.1-8b", { runtime: "ollama", quant: "q4_k_m", gpu: "rtx-4090", ollama_version: "0.15.4" }).workload.seq).toBe(4096);
    expect(estimate("llama-3.1-8b", { runtime: "ollama", quant: "q4_k_m", gpu: "rtx-4090" }).workload.seq).toBe(32768);
    expect(() => estimate("llama-3.1-8b", { runtime: "ollama", quant: "q4_k_m", ollama_version: "latest" })).toThrow(/ollama_version/);
  });
});
