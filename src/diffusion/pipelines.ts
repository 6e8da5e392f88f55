/**
 * The built-in diffusion pipelines: their component configs (src/catalog/diffusion, real files with
 * sources in SOURCES.md), names people type, and the pipeline facts that drive memory — each with the
 * diffusers v0.35.1 line it comes from (pipelines/<name>/pipeline_<name>.py `__call__` defaults):
 * - classifier-free guidance: SD/SDXL/SD3 batch the negative and positive prompts through the denoiser
 *   together (`torch.cat([latents] * 2)` when guidance_scale > 1); Wan runs the two passes one after the
 *   other (pipeline_wan.py: a second `self.transformer(...)` call for `noise_uncond`); Flux dev/schnell are
 *   guidance-distilled (no CFG unless `true_cfg_scale > 1`, then sequential too).
 * - text encoder sequence lengths: CLIP 77; T5 `max_sequence_length` 512 (Flux), 256 (SD3); UMT5 512 (Wan).
 * - VAE: SDXL's `upcast_vae()` when the VAE is fp16 and `force_upcast` (pipeline_stable_diffusion_xl.py);
 *   Wan's VAE is loaded in float32 (docs/source/en/api/pipelines/wan.md).
 */
import type { Cfg } from "./architectures.js";
import sd15Text from "../catalog/diffusion/sd-1.5/text_encoder/config.json" with { type: "json" };
import sd15Unet from "../catalog/diffusion/sd-1.5/unet/config.json" with { type: "json" };
import sd15Vae from "../catalog/diffusion/sd-1.5/vae/config.json" with { type: "json" };
import sd21Text from "../catalog/diffusion/sd-2.1/text_encoder/config.json" with { type: "json" };
import sd21Unet from "../catalog/diffusion/sd-2.1/unet/config.json" with { type: "json" };
import sd21Vae from "../catalog/diffusion/sd-2.1/vae/config.json" with { type: "json" };
import sdxlText from "../catalog/diffusion/sdxl-base/text_encoder/config.json" with { type: "json" };
import sdxlText2 from "../catalog/diffusion/sdxl-base/text_encoder_2/config.json" with { type: "json" };
import sdxlUnet from "../catalog/diffusion/sdxl-base/unet/config.json" with { type: "json" };
import sdxlVae from "../catalog/diffusion/sdxl-base/vae/config.json" with { type: "json" };
import clipLProj from "../catalog/diffusion/sd3.5-large/text_encoder/config.json" with { type: "json" };
import t5xxl from "../catalog/diffusion/flux.1-schnell/text_encoder_2/config.json" with { type: "json" };
import sd3Transformer from "../catalog/diffusion/sd3-medium/transformer/config.json" with { type: "json" };
import sd3Vae from "../catalog/diffusion/sd3-medium/vae/config.json" with { type: "json" };
import sd35lTransformer from "../catalog/diffusion/sd3.5-large/transformer/config.json" with { type: "json" };
import sd35mTransformer from "../catalog/diffusion/sd3.5-medium/transformer/config.json" with { type: "json" };
import fluxClip from "../catalog/diffusion/flux.1-schnell/text_encoder/config.json" with { type: "json" };
import fluxDev from "../catalog/diffusion/flux.1-dev/transformer/config.json" with { type: "json" };
import fluxSchnell from "../catalog/diffusion/flux.1-schnell/transformer/config.json" with { type: "json" };
import fluxVae from "../catalog/diffusion/flux.1-schnell/vae/config.json" with { type: "json" };
import wan13 from "../catalog/diffusion/wan2.1-1.3b/transformer/config.json" with { type: "json" };
import wan14 from "../catalog/diffusion/wan2.1-14b/transformer/config.json" with { type: "json" };

export type ComponentArch = "clip" | "clip_proj" | "t5" | "umt5" | "unet" | "flux" | "sd3" | "wan" | "vae" | "wan_vae";

export interface ComponentSpec {
  /** The pipeline attribute (text_encoder_2, unet, transformer, vae). */
  name: string;
  role: "text_encoder" | "denoiser" | "vae";
  arch: ComponentArch;
  config: Cfg;
}

export interface PipelineSpec {
  id: string;
  hf: string;
  /** Other Hugging Face ids with the same component shapes. */
  hfAliases?: string[];
  label: string;
  pipeline: string;
  names: string[];
  components: ComponentSpec[];
  /** [height, width] the pipeline uses by default. */
  image: [number, number];
  /** Video: frames by default (num_frames) and the VAE's temporal compression. */
  frames?: number;
  temporal?: number;
  /** Pixels per latent pixel (2 ** (len(vae.block_out_channels) − 1)). */
  vaeScale: number;
  /** CFG: "batch" (negative and positive in one denoiser batch), "sequential" (two passes), or none by default. */
  cfg: "batch" | "sequential";
  cfgDefault: boolean;
  /** T5/UMT5 tokens (max_sequence_length default) where the pipeline has one. */
  maxSequenceLength?: number;
  dtype: "fp16" | "bf16";
  /** The VAE runs in fp32 for decoding (SDXL upcast_vae; Wan loads it in fp32). */
  vaeFp32: "upcast" | "always" | "never";
  /** Published component parameter counts (src/catalog/diffusion/<id>/published.json). */
  notes?: string;
}

const clip = (name: string, config: Cfg, proj = false): ComponentSpec => ({ name, role: "text_encoder", arch: proj ? "clip_proj" : "clip", config });
const T5: ComponentSpec["config"] = t5xxl;
/** UMT5-XXL encoder dims (components.json of wan2.1-*, from taproot's PretrainedWanTextEncoder; config.json not vendored). */
const UMT5_XXL: Cfg = { d_model: 4096, d_kv: 64, d_ff: 10240, num_layers: 24, num_heads: 64, vocab_size: 256384, relative_attention_num_buckets: 32 };

export const PIPELINES: readonly PipelineSpec[] = [
  {
    id: "sd-1.5", hf: "stable-diffusion-v1-5/stable-diffusion-v1-5", hfAliases: ["runwayml/stable-diffusion-v1-5", "CompVis/stable-diffusion-v1-4"],
    label: "Stable Diffusion 1.5", pipeline: "StableDiffusionPipeline",
    names: ["sd-1.5", "sd1.5", "sd15", "sd-v1-5", "stable-diffusion-1.5", "stable-diffusion-v1-5", "sd-1.4", "sd1.4", "stable-diffusion-v1-4"],
    components: [clip("text_encoder", sd15Text), { name: "unet", role: "denoiser", arch: "unet", config: sd15Unet }, { name: "vae", role: "vae", arch: "vae", config: sd15Vae }],
    image: [512, 512], vaeScale: 8, cfg: "batch", cfgDefault: true, dtype: "fp16", vaeFp32: "never",
  },
  {
    id: "sd-2.1", hf: "stabilityai/stable-diffusion-2-1", label: "Stable Diffusion 2.1 (768-v)", pipeline: "StableDiffusionPipeline",
    names: ["sd-2.1", "sd2.1", "sd21", "stable-diffusion-2.1", "stable-diffusion-2-1"],
    components: [clip("text_encoder", sd21Text), { name: "unet", role: "denoiser", arch: "unet", config: sd21Unet }, { name: "vae", role: "vae", arch: "vae", config: sd21Vae }],
    image: [768, 768], vaeScale: 8, cfg: "batch", cfgDefault: true, dtype: "fp16", vaeFp32: "never",
  },
  {
    id: "sdxl-base", hf: "stabilityai/stable-diffusion-xl-base-1.0", label: "Stable Diffusion XL base 1.0", pipeline: "StableDiffusionXLPipeline",
    names: ["sdxl-base", "sdxl", "sdxl-1.0", "sdxl-base-1.0", "stable-diffusion-xl", "stable-diffusion-xl-base-1.0", "sd-xl"],
    components: [clip("text_encoder", sdxlText), clip("text_encoder_2", sdxlText2, true), { name: "unet", role: "denoiser", arch: "unet", config: sdxlUnet }, { name: "vae", role: "vae", arch: "vae", config: sdxlVae }],
    image: [1024, 1024], vaeScale: 8, cfg: "batch", cfgDefault: true, dtype: "fp16", vaeFp32: "upcast",
  },
  {
    id: "sd3-medium", hf: "stabilityai/stable-diffusion-3-medium-diffusers", hfAliases: ["stabilityai/stable-diffusion-3-medium"],
    label: "Stable Diffusion 3 Medium", pipeline: "StableDiffusion3Pipeline",
    names: ["sd3-medium", "sd3", "sd-3", "sd3-m", "stable-diffusion-3-medium", "stable-diffusion-3-medium-diffusers"],
    components: [clip("text_encoder", clipLProj, true), clip("text_encoder_2", sdxlText2, true), { name: "text_encoder_3", role: "text_encoder", arch: "t5", config: T5 }, { name: "transformer", role: "denoiser", arch: "sd3", config: sd3Transformer }, { name: "vae", role: "vae", arch: "vae", config: sd3Vae }],
    image: [1024, 1024], vaeScale: 8, cfg: "batch", cfgDefault: true, maxSequenceLength: 256, dtype: "fp16", vaeFp32: "never",
  },
  {
    id: "sd3.5-large", hf: "stabilityai/stable-diffusion-3.5-large", label: "Stable Diffusion 3.5 Large", pipeline: "StableDiffusion3Pipeline",
    names: ["sd3.5-large", "sd3.5", "sd35-large", "sd3.5l", "stable-diffusion-3.5-large"],
    components: [clip("text_encoder", clipLProj, true), clip("text_encoder_2", sdxlText2, true), { name: "text_encoder_3", role: "text_encoder", arch: "t5", config: T5 }, { name: "transformer", role: "denoiser", arch: "sd3", config: sd35lTransformer }, { name: "vae", role: "vae", arch: "vae", config: sd3Vae }],
    image: [1024, 1024], vaeScale: 8, cfg: "batch", cfgDefault: true, maxSequenceLength: 256, dtype: "bf16", vaeFp32: "never",
  },
  {
    id: "sd3.5-medium", hf: "stabilityai/stable-diffusion-3.5-medium", label: "Stable Diffusion 3.5 Medium", pipeline: "StableDiffusion3Pipeline",
    names: ["sd3.5-medium", "sd35-medium", "sd3.5m", "stable-diffusion-3.5-medium"],
    components: [clip("text_encoder", clipLProj, true), clip("text_encoder_2", sdxlText2, true), { name: "text_encoder_3", role: "text_encoder", arch: "t5", config: T5 }, { name: "transformer", role: "denoiser", arch: "sd3", config: sd35mTransformer }, { name: "vae", role: "vae", arch: "vae", config: sd3Vae }],
    image: [1024, 1024], vaeScale: 8, cfg: "batch", cfgDefault: true, maxSequenceLength: 256, dtype: "bf16", vaeFp32: "never",
  },
  {
    id: "flux.1-dev", hf: "black-forest-labs/FLUX.1-dev", label: "FLUX.1 [dev]", pipeline: "FluxPipeline",
    names: ["flux.1-dev", "flux-dev", "flux1-dev", "flux-1-dev", "flux", "flux.1"],
    components: [clip("text_encoder", fluxClip), { name: "text_encoder_2", role: "text_encoder", arch: "t5", config: T5 }, { name: "transformer", role: "denoiser", arch: "flux", config: fluxDev }, { name: "vae", role: "vae", arch: "vae", config: fluxVae }],
    image: [1024, 1024], vaeScale: 8, cfg: "sequential", cfgDefault: false, maxSequenceLength: 512, dtype: "bf16", vaeFp32: "never",
  },
  {
    id: "flux.1-schnell", hf: "black-forest-labs/FLUX.1-schnell", label: "FLUX.1 [schnell]", pipeline: "FluxPipeline",
    names: ["flux.1-schnell", "flux-schnell", "flux1-schnell", "flux-1-schnell"],
    components: [clip("text_encoder", fluxClip), { name: "text_encoder_2", role: "text_encoder", arch: "t5", config: T5 }, { name: "transformer", role: "denoiser", arch: "flux", config: fluxSchnell }, { name: "vae", role: "vae", arch: "vae", config: fluxVae }],
    image: [1024, 1024], vaeScale: 8, cfg: "sequential", cfgDefault: false, maxSequenceLength: 256, dtype: "bf16", vaeFp32: "never",
    notes: "schnell takes at most 256 T5 tokens (diffusers docs: max_sequence_length=256)",
  },
  {
    id: "wan2.1-1.3b", hf: "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", label: "Wan 2.1 T2V 1.3B", pipeline: "WanPipeline",
    names: ["wan2.1-1.3b", "wan-1.3b", "wan2.1-t2v-1.3b", "wan2.1-t2v-1.3b-diffusers"],
    components: [{ name: "text_encoder", role: "text_encoder", arch: "umt5", config: UMT5_XXL }, { name: "transformer", role: "denoiser", arch: "wan", config: wan13 }, { name: "vae", role: "vae", arch: "wan_vae", config: {} }],
    image: [480, 832], frames: 81, temporal: 4, vaeScale: 8, cfg: "sequential", cfgDefault: true, maxSequenceLength: 512, dtype: "bf16", vaeFp32: "always",
  },
  {
    id: "wan2.1-14b", hf: "Wan-AI/Wan2.1-T2V-14B-Diffusers", label: "Wan 2.1 T2V 14B", pipeline: "WanPipeline",
    names: ["wan2.1-14b", "wan-14b", "wan2.1-t2v-14b", "wan2.1-t2v-14b-diffusers", "wan2.1"],
    components: [{ name: "text_encoder", role: "text_encoder", arch: "umt5", config: UMT5_XXL }, { name: "transformer", role: "denoiser", arch: "wan", config: wan14 }, { name: "vae", role: "vae", arch: "wan_vae", config: {} }],
    image: [480, 832], frames: 81, temporal: 4, vaeScale: 8, cfg: "sequential", cfgDefault: true, maxSequenceLength: 512, dtype: "bf16", vaeFp32: "always",
  },
];

const norm = (s: string) => s.trim().toLowerCase().replace(/_/g, "-");

const BY_NAME = new Map<string, PipelineSpec>();
for (const p of PIPELINES) for (const n of [p.id, ...p.names, p.hf, ...(p.hfAliases ?? [])]) BY_NAME.set(norm(n), p);

/** A pipeline by id, alias or Hugging Face id (case-insensitive); another org's repo of the same name is not taken for it. */
export function findPipeline(spec: string): PipelineSpec | undefined {
  const s = norm(spec);
  return BY_NAME.get(s);
}
