import { describe, expect, it } from "vitest";
import { catalogModel } from "../../catalog/models.js";
import { VramfitError } from "../../core/errors.js";
import { llamaCppMemory } from "./memory.js";

const MiB = 2 ** 20;
describe("llamaCppMemory", () => {
  it("Qwen3-Coder-30B-A3B Q8_0, -c 65536, 4 unified slots, flash attention, all layers on an A100 (yuy4o/llm b7342)", () => {
    // published: CUDA0 model 30658.12 + KV 6144.00 + compute 300.75 MiB; CUDA_Host output 2.32 MiB
    const m = llamaCppMemory(catalogModel("qwen3-30b-a3b"), {
      fileType: "q8_0", nCtx: 65536, nSeq: 4, kvUnified: true, flashAttn: true, architecture: "qwen3moe",
    });
    const published = 30658.12 + 6144.0 + 300.75;
    expect(Math.abs(m.gpu.total / MiB - published) / published).toBeLessThan(0.002);
    expect((m.host.output / MiB).toFixed(2)).toBe("2.32");
  });
  it("partial offload moves KV rows of CPU layers to host memory and never changes the total", () => {
    const model = catalogModel("llama-3.1-8b");
    const all = llamaCppMemory(model, { fileType: "q4_k_m", nCtx: 8192 });
    const half = llamaCppMemory(model, { fileType: "q4_k_m", nCtx: 8192, nGpuLayers: 16 });
    expect(half.gpu.kvCache).toBe(all.gpu.kvCache / 2);
    expect(half.gpu.kvCache + half.host.kvCache).toBe(all.kvBytes);
    expect(half.gpu.weights + half.host.weights).toBe(all.gpu.weights + all.host.weights);
  });
  it("needs a GGUF type or file", () => {
    expect(() => llamaCppMemory(catalogModel("llama-3.1-8b"), { nCtx: 4096 })).toThrow(VramfitError);
  });
});
