/**
 * Parameter counts of every diffusion component graph against PyTorch (diffusers v0.35.1 / transformers 5.18.0
 * modules built from the same configs on the meta device: bench/diffusion/params.json) and against the
 * published counts and safetensors indexes in src/catalog/diffusion.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { componentParams } from "./components.js";
import { PIPELINES, findPipeline } from "./pipelines.js";
import { paramKinds, summarize } from "./weights.js";
import { bnb4bitBytes } from "../core/precision.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const truth = JSON.parse(fs.readFileSync(path.join(here, "../../bench/diffusion/params.json"), "utf8")) as {
  files: Record<string, Record<string, number> & { total: number }>;
};
const catalog = (p: string) => JSON.parse(fs.readFileSync(path.join(here, "../catalog/diffusion", p), "utf8"));

const CLASS: Record<string, string> = { clip: "CLIPTextModel", clip_proj: "CLIPTextModelWithProjection", t5: "T5EncoderModel", unet: "UNet2DConditionModel", flux: "FluxTransformer2DModel", sd3: "SD3Transformer2DModel", wan: "WanTransformer3DModel", vae: "AutoencoderKL" };

describe("diffusion component parameters", () => {
  const seen = new Set<string>();
  for (const p of PIPELINES) {
    const comps = JSON.parse(fs.readFileSync(path.join(here, "../catalog/diffusion", p.id, "components.json"), "utf8")).components as Record<string, { class: string; config?: string }>;
    for (const c of p.components) {
      const file = comps[c.name]?.config;
      if (!file || !CLASS[c.arch]) continue;
      const key = `${file}#${CLASS[c.arch]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      it(`${p.id} ${c.name}: equals PyTorch's count (${key})`, () => {
        const want = truth.files[key];
        expect(want, key).toBeDefined();
        const got = componentParams(c);
        expect(got.total).toBe(want.total);
        const k = paramKinds(got.nodes);
        // Linear weights are what the quantizers convert: the split must match too.
        expect(k.linear_weight).toBe(want.linear_weight);
      });
    }
  }

  it("Flux dev's transformer equals its safetensors index (total_size / 2 bytes in bf16)", () => {
    const idx = catalog("flux.1-dev/transformer/diffusion_pytorch_model.safetensors.index.json");
    expect(componentParams(findPipeline("flux.1-dev")!.components[2]).total * 2).toBe(idx.metadata.total_size);
  });

  it("SD3.5 Large's transformer index = parameters + the persistent pos_embed buffer, in bf16", () => {
    const idx = catalog("sd3.5-large/transformer/diffusion_pytorch_model.safetensors.index.json");
    const t = componentParams(findPipeline("sd3.5-large")!.components.find((c) => c.role === "denoiser")!);
    expect((t.total + t.bufferElements) * 2).toBe(idx.metadata.total_size);
  });

  it("the NF4 T5-XXL index: bitsandbytes NF4 linears, `wo` kept fp32, embedding and norms fp16 (quant_state JSON blobs aside)", () => {
    const idx = catalog("flux.1-schnell/text_encoder_2/model.safetensors.index.json");
    const t5 = findPipeline("flux.1-schnell")!.components[1];
    const s = summarize(componentParams(t5).nodes, { dense: 2, quant: "nf4", backend: "bitsandbytes", keep: { pattern: /(^|\.)wo$/, bytes: 4 } });
    // + one 16-entry fp32 quant_map per quantized linear (6 per layer × 24); the JSON quant_state tensors are < 128 B each.
    const quantMaps = 144 * 64;
    const diff = idx.metadata.total_size - (s.bytes + quantMaps);
    expect(diff).toBeGreaterThanOrEqual(0);
    expect(diff).toBeLessThan(144 * 128);
    expect(bnb4bitBytes(64, false)).toBe(36);
  });

  it("published counts: SD 1.5 UNet 860M and CLIP 123M, SD 2.1 UNet 865M, SDXL UNet 2.6B, SD3 transformer 2.028B, T5-XXL 4.7B", () => {
    const count = (id: string, name: string) => componentParams(findPipeline(id)!.components.find((c) => c.name === name)!).total;
    expect(Math.round(count("sd-1.5", "unet") / 1e7) * 1e7).toBe(860e6);
    expect(Math.round(count("sd-1.5", "text_encoder") / 1e6) * 1e6).toBe(123e6);
    expect(Math.round(count("sd-2.1", "unet") / 1e6)).toBe(866); // "865M" in the source (865.9M)
    expect(Math.round(count("sdxl-base", "unet") / 1e8) / 10).toBe(2.6);
    expect(Math.round(count("sd3-medium", "transformer") / 1e6) / 1e3).toBe(2.028);
    expect(Math.round(count("sd3-medium", "text_encoder_3") / 1e8) / 10).toBe(4.8); // "4.7B" in the source (4.76B)
  });
});

describe("Wan VAE", () => {
  it("uses AutoencoderKLWan's class-default parameter count", async () => {
    const { WAN_VAE_PARAMS } = await import("./components.js");
    expect(WAN_VAE_PARAMS).toBe(truth.files["class defaults#AutoencoderKLWan"].total);
  });
});
