/** Issue #15 item 1: transformers loads a checkpoint in the format its config declares, and says so. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { estimate } from "../../index.js";
import { modelFromHfConfig } from "../../models/hf-config.js";
import { REPO_ROOT } from "../../test-support/paths.js";

const llamaConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "src/catalog/models/llama-3.1-8b.json"), "utf8")).config as Record<string, unknown>;
const weights = (e: ReturnType<typeof estimate>) => e.components.find((c) => c.id === "weights")!.bytes;

describe("transformers: the checkpoint as it is stored", () => {
  it("gpt-oss-120b keeps its MXFP4 experts on an H100 (published to run on one 80 GB card), and says how it would be dequantized", () => {
    const e = estimate("gpt-oss-120b", { gpu: "h100-sxm" });
    expect(weights(e)).toBeLessThan(64 * 2 ** 30);
    expect(e.gpu!.verdict).not.toBe("does_not_fit");
    expect(e.assumptions.join(" ")).toMatch(/checkpoint's own mxfp4 quantization.*dequantizes to bf16/);
    // the same weights vLLM loads
    const v = estimate("gpt-oss-120b", { gpu: "h100-sxm", runtime: "vllm" });
    expect(Math.abs(weights(v) - weights(e)) / weights(e)).toBeLessThan(0.02);
  });

  it("below compute capability 7.5 transformers dequantizes MXFP4 to bf16, and says so", () => {
    const e = estimate("gpt-oss-20b", { gpu: "v100-32gb" });
    expect(e.assumptions.join(" ")).toMatch(/MXFP4 weights dequantized to bf16/);
    expect(weights(e)).toBeGreaterThan(3 * weights(estimate("gpt-oss-20b", { gpu: "h100-sxm" })));
  });

  it("a bitsandbytes NF4 save is estimated in NF4 (with the dequantization buffer), an explicit --quant wins", () => {
    const nf4 = modelFromHfConfig({ ...llamaConfig, quantization_config: { quant_method: "bitsandbytes", load_in_4bit: true, bnb_4bit_quant_type: "nf4" } }, { kind: "config", ref: "nf4-folder/config.json" });
    const e = estimate(nf4, { gpu: "rtx-4090" });
    expect(weights(e)).toBe(weights(estimate("llama-3.1-8b", { quant: "nf4", gpu: "rtx-4090" })));
    expect(e.components.some((c) => c.id === "dequant_buffer")).toBe(true);
    expect(e.assumptions.join(" ")).toMatch(/checkpoint's own nf4 quantization/);
    const asked = estimate(nf4, { gpu: "rtx-4090", quant: "int8" });
    expect(weights(asked)).toBe(weights(estimate("llama-3.1-8b", { quant: "int8", gpu: "rtx-4090" })));
    expect(asked.assumptions.join(" ")).toMatch(/--quant int8 on a checkpoint saved in nf4: .*use the base checkpoint/);
  });
});
