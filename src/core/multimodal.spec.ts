import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { audioFromConfig, audioTokens, imageDims, imageTokens, internVlGrid, multimodalLoad, selectBestResolution, visionFromConfig } from "./multimodal.js";
import { readCatalogConfig } from "../test-support/hybrid-models.js";
import { kvBytes } from "./precision.js";
import { multimodalProfile, profileActivationPeak } from "../runtimes/vllm/memory.js";
import type { TransformerShape } from "./model.js";

const qwen2vl = () => visionFromConfig("qwen2_vl", readCatalogConfig("qwen2-vl-7b.json"))!;
const qwen25vl = () => visionFromConfig("qwen2_5_vl", readCatalogConfig("qwen2.5-vl-7b.json"))!;
const llava = () => visionFromConfig("llava", readCatalogConfig("llava-1.5-7b.json"))!;
const gemma3 = () => visionFromConfig("gemma3", readCatalogConfig("gemma-3-12b.json"))!;
const mistral3 = () => visionFromConfig("ministral3", readCatalogConfig("ministral-3-3b.json"))!;

describe("image tokens per image (each processor's rule)", () => {
  it("LLaVA-1.5: (336/14)² = 576 at any size; 577 patches (with CLS) through CLIP", () => {
    expect(imageTokens(llava(), 1920, 1080)).toMatchObject({ tokens: 576, towerTokens: 577 });
  });
  it("Gemma 3: 256 soft tokens from 4096 SigLIP patches (mm_tokens_per_image)", () => {
    expect(imageTokens(gemma3(), 640, 480)).toMatchObject({ tokens: 256, towerTokens: 4096 });
  });
  it("Qwen2-VL smart_resize: 224×224 → 64 tokens; 1024×1024 → 1036×1036 → 5476 patches → 1369 tokens", () => {
    expect(imageTokens(qwen2vl(), 224, 224).tokens).toBe(64);
    expect(imageTokens(qwen2vl(), 1024, 1024)).toMatchObject({ tokens: 1369, towerTokens: 5476 });
  });
  it("Qwen2.5-VL caps at max_pixels 12845056: a 8000×8000 image is 16384 tokens at most", () => {
    expect(imageTokens(qwen25vl(), 8000, 8000).tokens).toBeLessThanOrEqual(16384);
    // the float floor the processor shares: Python's math.floor(3915 / (3915 / 3584) / 28) is 127
    expect(imageTokens(qwen2vl(), 3915, 3915).tokens).toBe(127 * 127);
    expect(imageTokens(qwen2vl(), 3570, 3570).tokens).toBe(128 * 128);
    // and below min_pixels: Python's smart_resize gives 84×84 for 38 px and 56×56 for 39 px
    expect(imageTokens(qwen2vl(), 38, 38).tokens).toBe((84 / 28) ** 2);
    expect(imageTokens(qwen2vl(), 39, 39).tokens).toBe((56 / 28) ** 2);
  });
  it("Qwen-VL token counts never shrink as the image grows (square images between the min and max pixel limits)", () => {
    // Outside [min_pixels, max_pixels] smart_resize rescales by beta and rounds with ceil (below) or floor
    // (above) in floating point, and Python's own processor is not monotone there: 38² → 84², 39² → 56²;
    // 3570² → 128² merged tokens, 3915² → 127². The law holds for sides 56..3584 px (the limits' sides).
    fc.assert(fc.property(fc.integer({ min: 56, max: 3584 }), fc.integer({ min: 56, max: 3584 }), (a, b) => {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      expect(imageTokens(qwen2vl(), hi, hi).tokens).toBeGreaterThanOrEqual(imageTokens(qwen2vl(), lo, lo).tokens);
    }));
  });
  it("LLaVA-NeXT anyres: a 672×672 image picks the 672×672 pinpoint: 576 base + 48×48 unpadded + 48 newlines", () => {
    const v = visionFromConfig("llava_next", { vision_config: { image_size: 336, patch_size: 14 } })!;
    expect(selectBestResolution(672, 672, [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]])).toEqual([672, 672]);
    expect(imageTokens(v, 672, 672).tokens).toBe(576 + 48 * 48 + 48);
  });
  it("InternVL: a 448 image is one 256-token tile; 896×448 is 2 tiles + a thumbnail", () => {
    const v = visionFromConfig("internvl", { vision_config: { image_size: 448, patch_size: 14 }, downsample_ratio: 0.5 })!;
    expect(imageTokens(v, 448, 448).tokens).toBe(256);
    expect(internVlGrid(896, 448, 12, 448)).toEqual([2, 1]);
    expect(imageTokens(v, 896, 448).tokens).toBe(3 * 256);
  });
  it("Idefics3: 364-px tiles of 169 tokens + the global image", () => {
    const v = visionFromConfig("idefics3", { vision_config: { image_size: 364, patch_size: 14 }, scale_factor: 2 })!;
    expect(imageTokens(v, 364, 364).tokens).toBe(169);
    expect(imageTokens(v, 728, 728).tokens).toBe(5 * 169);
  });
  it("Mistral 3 / Ministral 3 (Pixtral tower, merge 2): one token per 28 px square + one break per row", () => {
    expect(imageTokens(mistral3(), 1540, 1540).tokens).toBe(55 * 55 + 55);
    expect(imageTokens(mistral3(), 280, 140).tokens).toBe(10 * 5 + 5);
  });
  it("Llama 3.2 Vision: 4 tiles × 1601 vision tokens, through cross-attention", () => {
    const v = visionFromConfig("mllama", { vision_config: {}, text_config: { cross_attention_layers: [3, 8] } })!;
    expect(imageTokens(v, 1120, 1120).tokens).toBe(4 * 1601);
  });
  it("Qwen2-Audio: 750 tokens per 30 s window", () => {
    const a = audioFromConfig("qwen2_audio", { audio_config: { d_model: 1280, encoder_layers: 32, max_source_positions: 1500 } })!;
    expect(audioTokens(a, 45).tokens).toBe(1500);
  });
  it("bad sizes are one invalid_option error", () => {
    expect(() => imageDims(gemma3(), "12x")).toThrow(/side/);
    expect(imageDims(gemma3(), "1280x720")).toEqual([1280, 720]);
    expect(imageDims(gemma3(), undefined)).toEqual([896, 896]);
  });
});

describe("images in a workload", () => {
  const shape = { hidden: 3584, kvHeads: 4, headDim: 128, vision: qwen2vl() } as unknown as TransformerShape;
  it("adds images × tokens to every sequence, and a tower peak that grows with the batch", () => {
    const one = multimodalLoad(shape, { batch: 1, images: 2, imageSize: 1024, bytesPerValue: 2, attention: "sdpa", kvDtype: "bf16", kvBytes });
    const four = multimodalLoad(shape, { batch: 4, images: 2, imageSize: 1024, bytesPerValue: 2, attention: "sdpa", kvDtype: "bf16", kvBytes });
    expect(one.lmTokens).toBe(2 * 1369);
    expect(four.towerPeak!.bytes).toBeGreaterThan(one.towerPeak!.bytes);
  });
  it("--images on a text-only model is refused", () => {
    expect(() => multimodalLoad({ hidden: 8 } as TransformerShape, { batch: 1, images: 1, bytesPerValue: 2, attention: "sdpa", kvDtype: "bf16", kvBytes })).toThrow(/vision-language/);
  });
});

describe("vLLM's profile run with dummy images", () => {
  it("Gemma 3 27B at 8192 batched tokens: 32 images of 896 px through SigLIP set the activation peak (3.18 GiB; the published V0 log says 3.38 GiB, the text-only run 2.38)", () => {
    const shape = { hidden: 5376, intermediate: 21504, vocab: 262208, moe: null, mla: null, vision: gemma3() } as unknown as TransformerShape;
    const o = { maxNumBatchedTokens: 8192, maxNumSeqs: 256, dtype: "bf16", tensorParallel: 1 };
    const mm = multimodalProfile(shape, o)!;
    expect(mm.formula).toMatch(/32 dummy image/);
    const text = profileActivationPeak(shape, { tokens: 8192, seqs: 256, dtype: "bf16", tp: 1 }).bytes;
    expect(mm.bytes).toBeGreaterThan(text);
    expect(mm.bytes / 2 ** 30).toBeCloseTo(3.18, 1);
  });
});

describe("transformers generate() with images", async () => {
  const { transformersInference } = await import("../runtimes/transformers/inference.js");
  const { modelFromShape, shapeFromConfig, textConfig } = await import("../test-support/hybrid-models.js");
  const cfg = readCatalogConfig("qwen2-vl-7b.json");
  const shape = { ...shapeFromConfig({ ...textConfig(cfg), model_type: "qwen2" }), vision: qwen2vl() };
  const model = modelFromShape("qwen2-vl-7b", shape, "qwen2_vl", 8_291_375_616);
  const w = (o: Record<string, unknown>) => ({ mode: "infer", runtime: "transformers", batch: 1, seq: 1024, dtype: "bf16", quant: null, kv_dtype: "bf16", attention: "sdpa", gpus: 1, double_quant: true, logits: "last", ...o }) as any;
  it("image tokens join the KV cache: 2 images of 1024 px add 2 × 1369 tokens per sequence", () => {
    const base = transformersInference(model, w({})).components.find((c) => c.id === "kv_cache")!.bytes;
    const withImages = transformersInference(model, w({ images: 2, image_size: "1024x1024" })).components.find((c) => c.id === "kv_cache")!.bytes;
    expect(withImages / base).toBeCloseTo((1024 + 2 * 1369) / 1024, 6);
  });
  it("Gemma 3 12B with 8 images: 256 tokens each join the KV (2304 tokens); the SigLIP pass (before the K/V fills) stays below the prefill", () => {
    const g = readCatalogConfig("gemma-3-12b.json");
    const gshape = { ...shapeFromConfig({ ...textConfig(g), model_type: "gemma3_text", vocab_size: 262208, hidden_size: 3840, intermediate_size: 15360, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 256, num_hidden_layers: 48 }), vision: gemma3() };
    const gm = modelFromShape("gemma-3-12b", gshape, "gemma3", 12_187_325_040);
    const e = transformersInference(gm, w({ images: 8, seq: 256 }));
    expect(e.components.find((c) => c.id === "kv_cache")!.formula).toMatch(/2304 tokens/);
    const tower = 8 * 4096 * (2 * 1152 + 2 * 4304) * 2;
    const kv = e.components.find((c) => c.id === "kv_cache")!.bytes;
    expect(e.components.find((c) => c.id === "activations")!.bytes).toBeGreaterThanOrEqual(tower - kv);
  });
});
