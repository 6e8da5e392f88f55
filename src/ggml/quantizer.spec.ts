import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { VramfitError } from "../core/errors.js";
import { ggufTensorsFromGroups } from "./tensor-names.js";
import { ggufDataBytes, ggufTensorBytes, ggufTensorTypes, type GgufTensor } from "./quantizer.js";
import { printfMiB, readJsonl, readSpec } from "../runtimes/llamacpp/test-data.js";

const UNIT: Record<string, number> = { B: 1, MiB: 2 ** 20, GiB: 2 ** 30 };

function predict(modelId: string, fileType: string) {
  const m = catalogModel(modelId);
  const shape = m.transformer!;
  const tensors = ggufTensorsFromGroups(m.tensors, shape);
  return ggufTensorTypes(tensors, fileType, {
    architecture: m.architecture, layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads, experts: shape.moe?.experts ?? 0,
  });
}

describe("predicted GGUF sizes vs published files (bench/accuracy/gguf-file-sizes.jsonl)", () => {
  for (const rec of readJsonl("bench/accuracy/gguf-file-sizes.jsonl")) {
    it(`${rec.id}: ${rec.value} ${rec.unit} within 1%`, () => {
      const typed = predict(rec.model, rec.file_type);
      // a whole file also holds its metadata; tensor sums are compared with tensor sums
      const predicted = rec.measured === "file_bytes" ? ggufDataBytes(typed) : ggufTensorBytes(typed);
      const published = rec.value * UNIT[rec.unit];
      expect(Math.abs(predicted - published) / published).toBeLessThan(0.01);
    });
  }
});

describe("ggufTensorTypes rules (llama.cpp src/llama-quant.cpp)", () => {
  const t = (name: string, ne: number[]): GgufTensor => ({ name, ne });
  const info = { architecture: "llama", layers: 32, heads: 32, kvHeads: 8, experts: 0 };
  const llama = [
    t("token_embd.weight", [4096, 128256]), t("output_norm.weight", [4096]), t("output.weight", [4096, 128256]),
    ...Array.from({ length: 32 }, (_, i) => [
      t(`blk.${i}.attn_norm.weight`, [4096]), t(`blk.${i}.attn_v.weight`, [4096, 1024]), t(`blk.${i}.ffn_down.weight`, [14336, 4096]),
    ]).flat(),
  ];
  it("Q4_K_M: output q6_k, token_embd q4_k, attn_v / ffn_down q6_k on 4+4+8 of 32 layers (use_more_bits), norms f32", () => {
    const typed = ggufTensorTypes(llama, "Q4_K_M", info);
    const typeOf = (n: string) => typed.find((x) => x.name === n)!.type;
    expect(typeOf("output.weight")).toBe("q6_k");
    expect(typeOf("token_embd.weight")).toBe("q4_k");
    expect(typeOf("output_norm.weight")).toBe("f32");
    // use_more_bits(i, 32): i < 4 || i >= 28 || (i - 4) % 3 == 2  ->  0-3, 6, 9, ..., 27, 28-31
    const upgraded = Array.from({ length: 32 }, (_, i) => i).filter((i) => i < 4 || i >= 28 || (i - 4) % 3 === 2);
    for (let i = 0; i < 32; i++) {
      const want = upgraded.includes(i) ? "q6_k" : "q4_k";
      expect(typeOf(`blk.${i}.attn_v.weight`)).toBe(want);
      expect(typeOf(`blk.${i}.ffn_down.weight`)).toBe(want);
    }
  });
  it("falls back when a row does not fit the block: q4_k on 128-wide rows -> q5_0", () => {
    const typed = ggufTensorTypes([t("blk.0.attn_k_b.weight", [128, 512, 16])], "q4_k_m", { ...info, layers: 1 });
    expect(typed[0].type).toBe("q5_0");
  });
  it("an unknown file type is one clear VramfitError", () => {
    expect(() => ggufTensorTypes(llama, "q4_k_x", info)).toThrow(VramfitError);
  });
});

describe("pythia-2.8b files of ggml-org/ci (V100, build 4343): model buffers CUDA0 + CPU_Mapped", () => {
  // the CI converts EleutherAI/pythia-2.8b and quantizes it; shapes from bench/llamacpp/specs/pythia-2.8b.json
  const spec = readSpec("pythia-2.8b");
  const tensors: GgufTensor[] = spec.tensors.map(([name, ne]) => ({ name, ne }));
  const info = { architecture: "gptneox", layers: 32, heads: 32, kvHeads: 32, experts: 0 };
  const published: Record<string, [number, number]> = {
    q4_0: [1454.83, 69.08], // 'CUDA0 model buffer size =  1454.83 MiB', 'CPU_Mapped model buffer size =    69.08 MiB'
    q8_0: [2684.57, 130.49],
    f16: [5049.71, 245.62],
  };
  for (const [ft, [gpu, host]] of Object.entries(published)) {
    it(`${ft}: ${gpu} + ${host} MiB`, () => {
      const typed = ggufTensorTypes(tensors, ft, info);
      const embd = typed.find((x) => x.name === "token_embd.weight")!.bytes;
      expect(printfMiB(embd)).toBe(host.toFixed(2)); // exact: the token embedding stays in host memory
      const rest = ggufTensorBytes(typed) - embd;
      expect(Math.abs(rest / 2 ** 20 - gpu)).toBeLessThan(0.5);
    });
  }
});
