/**
 * The diffusion family through the default estimator: names, phases, offload modes, CFG, VAE slicing and
 * tiling, quantization, levers and the solvers; bad input as one VramfitError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultEstimator as est } from "../default-estimator.js";
import { isVramfitError } from "../core/errors.js";
import type { Estimate } from "../core/estimate-types.js";
import { diffusionLevers } from "./family.js";

const GiB = 2 ** 30;
const comp = (e: Estimate, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;
const phase = (e: Estimate, name: string) => e.phases!.find((p) => p.phase.startsWith(name))!.allocated_bytes;

describe("diffusion names", () => {
  it.each([
    ["sdxl", "sdxl-base"],
    ["sdxl-base", "sdxl-base"],
    ["stable-diffusion-xl-base-1.0", "sdxl-base"],
    ["stabilityai/stable-diffusion-xl-base-1.0", "sdxl-base"],
    ["flux.1-dev", "flux.1-dev"],
    ["black-forest-labs/FLUX.1-dev", "flux.1-dev"],
    ["FLUX.1-schnell", "flux.1-schnell"],
    ["sd3.5-large", "sd3.5-large"],
    ["sd-1.5", "sd-1.5"],
    ["runwayml/stable-diffusion-v1-5", "sd-1.5"],
    ["CompVis/stable-diffusion-v1-4", "sd-1.5"],
    ["Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "wan2.1-1.3b"],
  ])("%s → %s", (name, id) => {
    const m = est.resolveModel(name);
    expect(m.family).toBe("diffusion");
    expect(m.id).toBe(id);
  });

  it("does not take someone else's repo for a built-in", () => {
    expect(() => est.resolveModel("someone/flux")).toThrow();
  });
});

describe("diffusion inference", () => {
  const flux = est.estimate("flux.1-dev", { image: 1024 });

  it("Flux dev bf16 at 1024²: all weights resident, the VAE decode is the peak", () => {
    expect(comp(flux, "weights") / GiB).toBeCloseTo(31.42, 1);
    expect(flux.peak.phase).toBe("vae_decode");
    expect(flux.phases!.map((p) => p.phase)).toEqual(["text_encoding (text_encoder)", "text_encoding (text_encoder_2)", "denoising", "vae_decode"]);
    expect(flux.workload.cfg).toBe(false);
  });

  it("offload modes order the peak: none > model > group > sequential", () => {
    const at = (offload_mode: string, extra = {}) => est.estimate("flux.1-dev", { offload_mode, ...extra }).totals.allocated_bytes;
    const none = at("none");
    const model = at("model_cpu_offload");
    const group = at("group_offload");
    const seq = at("sequential_cpu_offload");
    expect(model).toBeLessThan(none);
    expect(group).toBeLessThan(model);
    expect(seq).toBeLessThan(group);
    // Model offload: the transformer alone during denoising (23.8 GB in bf16).
    expect(model / GiB).toBeGreaterThan(22);
    expect(seq / GiB).toBeLessThan(3);
    // Prefetching the next group keeps two transformer blocks during denoising; leaf level keeps one module.
    const den = (extra: object) => phase(est.estimate("flux.1-dev", { offload_mode: "group_offload", ...extra }), "denoising");
    expect(den({ use_stream: true })).toBeGreaterThan(den({}));
    expect(den({ group_offload_type: "leaf_level" })).toBeLessThan(den({}));
  });

  it("CFG doubles the denoiser batch for SDXL, not for Flux", () => {
    const on = est.estimate("sdxl", { batch: 2 });
    const off = est.estimate("sdxl", { batch: 2, cfg: false });
    expect(phase(on, "denoising")).toBeGreaterThan(phase(off, "denoising"));
    const g1 = est.estimate("sdxl", { batch: 2, guidance_scale: 1 });
    expect(g1.workload.cfg).toBe(false);
    expect(est.estimate("flux.1-dev", { cfg: true }).assumptions.join(" ")).toMatch(/second transformer pass/);
  });

  it("VAE slicing and tiling lower the decode peak; SDXL upcasts the VAE to fp32", () => {
    const base = est.estimate("sdxl", { batch: 4 });
    const sliced = est.estimate("sdxl", { batch: 4, vae_slicing: true });
    expect(phase(sliced, "vae_decode")).toBeLessThan(phase(base, "vae_decode"));
    expect(base.assumptions.join(" ")).toMatch(/upcast_vae/);
    const big = est.estimate("sdxl", { image: 2048 });
    const tiled = est.estimate("sdxl", { image: 2048, vae_tiling: true });
    expect(phase(tiled, "vae_decode")).toBeLessThan(phase(big, "vae_decode") / 2);
  });

  it("quantizing the denoiser shrinks its weights; quantizing after .to('cuda') keeps the 16-bit load as the peak", () => {
    const nf4 = est.estimate("flux.1-dev", { quant: "nf4" });
    expect(comp(nf4, "weights")).toBeLessThan(comp(flux, "weights") - 15 * GiB);
    const after = est.estimate("flux.1-dev", { quant: "int8", quant_backend: "torchao", quantize_after_gpu_load: true });
    expect(after.peak.phase).toBe("load");
    expect(comp(after, "weights") + comp(after, "load_transient")).toBe(comp(flux, "weights"));
    const gguf = est.estimate("flux.1-dev", { quant: "q4_0" });
    expect(gguf.workload.quant_backend).toBe("gguf");
  });

  it("T5's wo stays out of bitsandbytes and in fp32 (transformers _keep_in_fp32_modules)", () => {
    const a = est.estimate("flux.1-dev", { quant: "nf4", quant_components: "transformer,text_encoder_2" });
    const b = est.estimate("flux.1-dev", { quant: "nf4", quant_components: "transformer" });
    // T5-XXL in NF4 with wo in fp32: 6.33 GB instead of 9.52 GB.
    expect((comp(b, "weights") - comp(a, "weights")) / 1e9).toBeCloseTo(9.525 - 6.329, 1);
  });

  it("video: Wan 2.1 1.3B at 81 frames with its fp32 VAE", () => {
    const e = est.estimate("wan2.1-1.3b", {});
    expect(e.workload.frames).toBe(81);
    expect(e.warnings.join(" ")).toMatch(/approximation/);
    expect(() => est.estimate("wan2.1-1.3b", { frames: 80 })).toThrow(/4k\+1/);
    expect(() => est.estimate("sdxl", { frames: 5 })).toThrow(/not videos/);
  });

  it("SD3 without T5 drops its weights", () => {
    const full = est.estimate("sd3-medium", {});
    const noT5 = est.estimate("sd3-medium", { text_encoder_3: "none" });
    expect((comp(full, "weights") - comp(noT5, "weights")) / 1e9).toBeGreaterThan(9);
  });
});

describe("does it fit, and with which change", () => {
  it("says which single change makes a pipeline fit a card it does not fit", () => {
    const e = est.estimate("flux.1-dev", { image: 1024, gpu: "rtx-4070" });
    expect(e.gpu!.verdict).toBe("does_not_fit");
    expect(e.warnings[0]).toMatch(/^does not fit NVIDIA GeForce RTX 4070 (as set; fits with .*(offload|quant|NF4|fp8|int8)|with any single)/);
    // The advice is the first lever (gentlest first) whose high bound fits; the order itself is checked below.
    const big = est.estimate("flux.1-dev", { image: 1024, gpu: "32gb" });
    if (big.gpu!.verdict !== "fits") expect(big.warnings[0]).toMatch(/fits with|any single/);
  });

  it("orders levers from free to slow: VAE slicing/tiling, offload, quantization, sequential offload last", () => {
    const l = diffusionLevers({ mode: "infer", batch: 2, offload_mode: "none" }).map((x) => x.change);
    expect(l[0]).toMatch(/slicing/);
    expect(l.findIndex((x) => /model CPU offload/.test(x))).toBeLessThan(l.findIndex((x) => /NF4/.test(x)));
    expect(l[l.length - 1]).toMatch(/sequential/);
  });

  it("leverForTight returns a change whose high bound fits", () => {
    // A GPU size between the central estimate and the high bound of Flux with model offload.
    const e = est.estimate("flux.1-dev", { offload_mode: "model_cpu_offload" });
    const mid = Math.round((e.totals.device_bytes + e.totals.device_range![1]) / 2 / GiB);
    const gpu = `${Math.max(mid, Math.ceil(e.totals.device_bytes / GiB))}gb`;
    const lever = est.leverForTight("flux.1-dev", { offload_mode: "model_cpu_offload", gpu });
    if (est.estimate("flux.1-dev", { offload_mode: "model_cpu_offload", gpu }).gpu!.verdict === "tight") expect(lever).not.toBeNull();
  });

  it("max-batch and max-image", () => {
    const b = est.maxBatch("sd-1.5", { gpu: "h200", vae_slicing: true }, 16);
    expect(b.value).toBeGreaterThanOrEqual(1);
    expect(b.central_value).toBeGreaterThanOrEqual(b.value);
    const i = est.maxImage("sd-1.5", { gpu: "h200", image: 512 }, 128, 2048);
    expect(i.central_image![0]).toBeGreaterThan(512);
    expect(i.central_image![0] % 128).toBe(0);
  });

  it("max-image stops at SD3's position-embedding grid (192 patches = 3072 px) on a GPU that would hold more", () => {
    const i = est.maxImage("sd3-medium", { gpu: "200gb" }, 256, 8192);
    expect(i.image).toEqual([3072, 3072]);
    expect(i.central_image).toEqual([3072, 3072]);
    const err = (() => {
      try {
        est.estimate("sd3-medium", { image: 3328, gpu: "200gb" });
      } catch (e) {
        return e;
      }
    })();
    expect(isVramfitError(err, "does_not_run")).toBe(true);
  });

  it("questions that do not apply are refused with one clear error", () => {
    expect(() => est.maxSeq("flux.1-dev", { gpu: "rtx-4090" })).toThrow(/no sequence length/);
  });
});

describe("diffusion training", () => {
  it("LoRA without mixed precision (--precision fp32) keeps the frozen weights and activations in fp32", () => {
    const base = { mode: "train", image: 512, lora_rank: 16, prior_preservation: true };
    const amp = est.estimate("sd-1.5", { ...base, precision: "amp-fp16" });
    const f32 = est.estimate("sd-1.5", { ...base, precision: "fp32" });
    expect(comp(f32, "weights")).toBeGreaterThan(1.9 * comp(amp, "weights"));
    expect(comp(f32, "activations")).toBeGreaterThan(1.9 * comp(amp, "activations"));
  });

  it("Flux QLoRA with cached latents and precomputed embeddings fits a 24 GB card; bf16 LoRA needs more", () => {
    const base = { mode: "train", image: "512x768", lora_rank: 4, optimizer: "adamw-8bit", checkpointing: true, cache_latents: true, precomputed_text_embeddings: true };
    const q = est.estimate("flux.1-dev", { ...base, qlora: true });
    const l = est.estimate("flux.1-dev", base);
    expect(q.trainable_parameters).toBe(4_669_440); // PEFT's count in the flux-qlora blog
    expect(q.totals.device_bytes).toBeLessThan(12 * GiB);
    expect(l.totals.device_bytes).toBeGreaterThan(q.totals.device_bytes + 10 * GiB);
  });

  it("checkpointing lowers the saved activations of SDXL LoRA", () => {
    const o = { mode: "train", lora_rank: 16, batch: 2 };
    const plain = est.estimate("sdxl", o);
    const ckpt = est.estimate("sdxl", { ...o, checkpointing: true });
    expect(comp(ckpt, "activations")).toBeLessThan(comp(plain, "activations") / 2);
  });
});

describe("bad input", () => {
  it.each([
    [{ offload_mode: "cpu" }, "offload_mode"],
    [{ quant: "int3" }, "quant"],
    [{ quant: "nf4", quant_backend: "torchao" }, "quant"],
    [{ quant_components: "transformer,text_encoder_9" }, "quant_components"],
    [{ image: "huge" }, "image"],
    [{ image: 1000 }, "image"],
    [{ batch: 0 }, "batch"],
    [{ gpus: 2 }, "gpus"],
  ])("%j → invalid option %s", (opts, key) => {
    try {
      est.estimate("flux.1-dev", opts as never);
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e)).toBe(true);
      expect((e as { details?: { key?: string } }).details?.key).toBe(key);
    }
  });

  it("any option values give an estimate or one VramfitError", () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constant("x")),
          image: fc.oneof(fc.constantFrom(256, 512, 520, 1000, 1024, "768x512", "0", "x"), fc.integer({ min: -5, max: 2048 })),
          offload_mode: fc.constantFrom(undefined, "none", "model_cpu_offload", "sequential_cpu_offload", "group_offload", "bogus"),
          quant: fc.constantFrom(undefined, "nf4", "int8", "fp8", "q4_0", "int4", "awq"),
          vae_slicing: fc.constantFrom(undefined, true, false, "yes"),
          mode: fc.constantFrom("infer", "train"),
        }),
        fc.constantFrom("sd-1.5", "sdxl", "flux.1-schnell", "sd3-medium"),
        (opts, model) => {
          try {
            const e = est.estimate(model, opts as never);
            expect(Number.isSafeInteger(e.totals.device_bytes)).toBe(true);
          } catch (err) {
            if (!isVramfitError(err)) throw err;
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
