import { describe, expect, it } from "vitest";
import { catalogModel } from "../../catalog/models.js";
import { ggufTensorsFromGroups } from "../../ggml/tensor-names.js";
import { llamaCppModelBuffers } from "./model-buffers.js";
import { ggufTensorTypes, type GgufTensor } from "../../ggml/quantizer.js";
import { printfMiB, readSpec } from "./test-data.js";

describe("llamaCppModelBuffers", () => {
  const spec = readSpec("pythia-2.8b");
  const tensors: GgufTensor[] = spec.tensors.map(([name, ne]) => ({ name, ne }));
  const typed = ggufTensorTypes(tensors, "q4_0", { architecture: "gptneox", layers: 32, heads: 32, kvHeads: 32, experts: 0 });
  it("pythia-2.8b Q4_0, -ngl 99: 'offloaded 33/33 layers', CPU_Mapped 69.08 MiB, CUDA0 1454.83 MiB (ggml-org/ci V100)", () => {
    const b = llamaCppModelBuffers(typed, 32, 99);
    expect(b.offloadedLayers).toBe(33);
    expect(printfMiB(b.cpuBytes)).toBe("69.08");
    expect(Math.abs(b.gpuBytes / 2 ** 20 - 1454.83)).toBeLessThan(0.5);
  });
  it("Qwen3-Coder-30B-A3B Q8_0, all layers: CUDA0 30658.12 MiB + CPU_Mapped 315.30 MiB (yuy4o/llm b7342)", () => {
    const m = catalogModel("qwen3-30b-a3b");
    const t = m.transformer!;
    const q = ggufTensorTypes(ggufTensorsFromGroups(m.tensors, t), "q8_0", {
      architecture: "qwen3moe", layers: t.layers, heads: t.heads, kvHeads: t.kvHeads, experts: t.moe!.experts,
    });
    const b = llamaCppModelBuffers(q, t.layers, -1);
    expect(Math.abs(b.gpuBytes / 2 ** 20 - 30658.12) / 30658.12).toBeLessThan(0.001);
    expect(Math.abs(b.cpuBytes / 2 ** 20 - 315.3)).toBeLessThan(0.05);
  });
  it("partial offload moves whole blocks, from the last one down; output layer only with n_gpu_layers > n_layer", () => {
    const none = llamaCppModelBuffers(typed, 32, 0);
    const all = llamaCppModelBuffers(typed, 32, 33);
    const blocks32 = llamaCppModelBuffers(typed, 32, 32);
    expect(none.gpuBytes).toBe(0);
    expect(none.cpuBytes).toBe(all.cpuBytes + all.gpuBytes);
    const out = typed.filter((x) => x.name.startsWith("output")).reduce((s, x) => s + x.bytes, 0);
    expect(all.gpuBytes - blocks32.gpuBytes).toBe(out);
    const perBlock = typed.filter((x) => x.name.startsWith("blk.31.")).reduce((s, x) => s + x.bytes, 0);
    expect(llamaCppModelBuffers(typed, 32, 1).gpuBytes).toBe(perBlock);
    for (let n = 0; n < 33; n++) {
      expect(llamaCppModelBuffers(typed, 32, n + 1).gpuBytes).toBeGreaterThanOrEqual(llamaCppModelBuffers(typed, 32, n).gpuBytes);
    }
  });
  it("a tied output puts a copy of the token embedding on the GPU with the output layer", () => {
    const tied = typed.filter((x) => x.name !== "output.weight");
    const embd = typed.find((x) => x.name === "token_embd.weight")!.bytes;
    const b = llamaCppModelBuffers(tied, 32, 99);
    expect(b.cpuBytes).toBe(embd);
    expect(b.gpuBytes).toBe(tied.reduce((s, x) => s + x.bytes, 0));
  });
});
