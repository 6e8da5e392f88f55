/**
 * The diffusion family as the estimator's ModelFamily: built-in pipelines by name (sdxl, flux.1-dev,
 * black-forest-labs/FLUX.1-dev, sd3.5-large, ...), diffusers' own option names, and the single changes
 * that make a pipeline fit (the gentlest offload mode or quantization).
 */
import type { DiffusionModelDescription } from "../core/model.js";
import type { OptionSpec } from "../core/options.js";
import type { EstimateInput, Lever, ModelFamily } from "../core/profile.js";
import type { Estimate } from "../core/estimate-types.js";
import { applyBand, bandFor, widen } from "../core/uncertainty.js";
import { gpuFit } from "../core/fit.js";
import type { Gpu } from "../core/gpu.js";
import { formatBytes } from "../core/units.js";
import { isVramfitError } from "../core/errors.js";
import { OPTIMIZERS } from "../training/options.js";
import { componentParams } from "./components.js";
import { estimateDiffusion } from "./estimate.js";
import { findPipeline, PIPELINES, type PipelineSpec } from "./pipelines.js";
import { DIFFUSION_DTYPES, DIFFUSION_PRECISIONS, GROUP_OFFLOAD_TYPES, OFFLOAD_MODES } from "./workload.js";
import { DIFFUSION_QUANTS, QUANT_BACKENDS } from "./weights.js";

export function pipelineParameters(p: PipelineSpec): number {
  return p.components.reduce((s, c) => s + componentParams(c).total, 0);
}

export function diffusionDescription(p: PipelineSpec): DiffusionModelDescription {
  const params = pipelineParameters(p);
  return {
    id: p.id,
    hfId: p.hf,
    architecture: p.pipeline,
    parameters: params,
    activeParameters: params,
    storedDtype: p.dtype,
    tensors: [],
    source: { kind: "diffusion-builtin", ref: p.id, origin: "src/catalog/diffusion (component configs; SOURCES.md)" },
    warnings: [],
    family: "diffusion",
    diffusion: p,
  };
}

const GROUP = "Diffusion (sdxl, flux.1-dev, sd3.5-large, wan2.1-1.3b, ...)";
const D = { families: ["diffusion"] } as const;
const DI = { families: ["diffusion"], modes: ["infer"] } as const;
const DT = { families: ["diffusion"], modes: ["train"] } as const;
const GGUF_SHOWN = ["q8_0", "q6_k", "q5_k", "q5_1", "q4_k", "q4_1", "q4_0", "q3_k", "q2_k"];

export const DIFFUSION_OPTIONS: readonly OptionSpec[] = [
  { key: "image", group: GROUP, scope: D, help: "diffusion: image size, 1024 or 1344x768 (width x height); default the pipeline's", cli: { arg: "string", flags: "--image <size>" }, web: { label: "Image size (px)", kind: "text", pattern: /^\d{1,5}(x\d{1,5})?$/, auto: "pipeline default", example: "1024 or 1344x768" } },
  { key: "frames", group: GROUP, scope: D, help: "video pipelines: num_frames (Wan: 4k+1, default 81)", cli: { arg: "int", flags: "--frames <n>" }, web: { label: "Frames (video)", kind: "int", min: 1, max: 10_000, auto: "pipeline default" } },
  { key: "dtype", group: GROUP, scope: D, help: "diffusion: torch_dtype of the pipeline (default: fp16 for SD/SDXL/SD3, bf16 for Flux/SD3.5/Wan)", web: { label: "Weights / compute dtype", kind: "select", choices: DIFFUSION_DTYPES, auto: "pipeline default" } },
  { key: "quant", group: GROUP, scope: D, help: `diffusion: weight format of quant_components: ${DIFFUSION_QUANTS.join(", ")} or a GGUF type (q4_0, q8_0, ...)`, web: { label: "Weight quantization", kind: "select", choices: [...DIFFUSION_QUANTS, ...GGUF_SHOWN], auto: "none" } },
  { key: "quant_backend", group: GROUP, scope: D, help: `who stores the weights: ${QUANT_BACKENDS.join(" | ")} (default: bitsandbytes for int8/nf4/fp4, torchao for int4/fp8/fp6, gguf for GGUF types)`, cli: { arg: "string", flags: "--quant-backend <name>" }, web: { label: "Quantization backend", kind: "select", choices: QUANT_BACKENDS, auto: "by format", visible: (c) => c.values.quant !== undefined && c.values.quant !== "" } },
  { key: "quant_components", group: GROUP, scope: D, help: "components --quant applies to, comma-separated (default: the denoiser — unet or transformer; e.g. transformer,text_encoder_2)", cli: { arg: "string", flags: "--quant-components <list>" }, web: { label: "Quantized components", kind: "text", pattern: /^[a-z0-9_,]+$/, auto: "denoiser", visible: (c) => c.values.quant !== undefined && c.values.quant !== "" } },
  { key: "text_encoder_quant", group: GROUP, scope: D, help: "quantize the T5/UMT5 text encoder (int8, nf4, ...; bitsandbytes by default)", cli: { arg: "string", flags: "--text-encoder-quant <type>" }, web: { label: "T5 text encoder quantization", kind: "select", choices: DIFFUSION_QUANTS, auto: "none" } },
  { key: "quantize_after_gpu_load", group: GROUP, scope: DI, help: "quantize (torchao quantize_) after pipe.to('cuda'): the 16-bit load is the peak", cli: { arg: "flag" } },
  { key: "offload_mode", group: GROUP, scope: DI, help: `diffusers offloading: ${OFFLOAD_MODES.join(" | ")} (default none)`, cli: { arg: "string", flags: "--offload-mode <mode>" }, web: { label: "Offload", kind: "select", choices: OFFLOAD_MODES, def: "none" } },
  { key: "group_offload_type", group: GROUP, scope: DI, help: "group offloading: block_level | leaf_level (default block_level)", cli: { arg: "string", flags: "--group-offload-type <type>" }, web: { label: "Group offload type", kind: "select", choices: GROUP_OFFLOAD_TYPES, def: "block_level", visible: (c) => c.values.offload_mode === "group_offload" } },
  { key: "num_blocks_per_group", group: GROUP, scope: DI, help: "group offloading (block_level): blocks per group (default 1)", cli: { arg: "int", flags: "--num-blocks-per-group <n>" }, web: { label: "Blocks per group", kind: "int", min: 1, max: 1000, def: 1, visible: (c) => c.values.offload_mode === "group_offload" } },
  { key: "use_stream", group: GROUP, scope: DI, help: "group offloading: prefetch the next group on a CUDA stream (two groups resident)", cli: { arg: "flag" }, web: { label: "Prefetch (use_stream)", kind: "bool", def: false, visible: (c) => c.values.offload_mode === "group_offload" } },
  { key: "vae_slicing", group: GROUP, scope: DI, help: "pipe.vae.enable_slicing(): decode one image at a time", cli: { arg: "flag" }, web: { label: "VAE slicing", kind: "bool", def: false } },
  { key: "vae_tiling", group: GROUP, scope: DI, help: "pipe.vae.enable_tiling(): decode in overlapping tiles", cli: { arg: "flag" }, web: { label: "VAE tiling", kind: "bool", def: false } },
  { key: "vae_dtype", group: GROUP, scope: D, help: "dtype of the VAE (default: the pipeline dtype; fp32 for Wan; SDXL upcasts fp16 to fp32 for decoding)", cli: { arg: "string", flags: "--vae-dtype <dtype>" }, web: { label: "VAE dtype", kind: "select", choices: DIFFUSION_DTYPES, auto: "pipeline default" } },
  { key: "cfg", group: GROUP, scope: DI, help: "classifier-free guidance (default: on for SD/SDXL/SD3/Wan, off for guidance-distilled Flux)", cli: { arg: "onoff", flags: "--cfg <on|off>" }, web: { label: "Classifier-free guidance", kind: "select", choices: ["on", "off"], boolean: true, auto: "pipeline default" } },
  { key: "guidance_scale", group: GROUP, scope: DI, help: "guidance_scale (CFG is on when > 1 for SD/SDXL/SD3/Wan; Flux's is an embedding)", cli: { arg: "number", flags: "--guidance-scale <g>" } },
  { key: "steps", group: GROUP, scope: DI, help: "num_inference_steps (does not change the peak)", cli: { arg: "int", flags: "--steps <n>" } },
  { key: "max_sequence_length", group: GROUP, scope: D, help: "T5/UMT5 prompt tokens (default: 512 Flux dev/Wan, 256 SD3/Flux schnell)", cli: { arg: "int", flags: "--max-sequence-length <n>" }, web: { label: "T5 tokens", kind: "int", min: 1, max: 4096, auto: "pipeline default" } },
  { key: "precomputed_text_embeddings", group: GROUP, scope: D, help: "prompt embeddings computed beforehand: the text encoders are not on the GPU", cli: { arg: "flag" }, web: { label: "Precomputed prompt embeddings", kind: "bool", def: false } },
  { key: "text_encoder_3", group: GROUP, scope: D, help: "SD3: none loads the pipeline without T5 (text_encoder_3=None)", cli: { arg: "string", flags: "--text-encoder-3 <none>" } },
  // training
  { key: "precision", group: GROUP, scope: DT, help: `diffusion training: ${DIFFUSION_PRECISIONS.join(" | ")} (accelerate --mixed_precision; LoRA keeps the frozen weights in 16 bit)`, web: { label: "Precision", kind: "select", choices: DIFFUSION_PRECISIONS, auto: "amp-bf16" } },
  { key: "optimizer", group: GROUP, scope: DT, help: "diffusion training optimizer (adamw-8bit = --use_8bit_adam)", web: { label: "Optimizer", kind: "select", choices: OPTIMIZERS, def: "adamw" } },
  { key: "checkpointing", group: GROUP, scope: DT, help: "diffusion: --gradient_checkpointing (every block)", cli: { arg: "flag" }, web: { label: "Gradient checkpointing", kind: "bool", def: false } },
  { key: "lora_rank", group: GROUP, scope: DT, help: "diffusion: LoRA rank (--rank); without it the denoiser is fully fine-tuned", cli: { arg: "int", flags: "--lora-rank <r>" }, web: { label: "LoRA rank", kind: "int", min: 1, max: 65536, auto: "off (full fine-tuning)" } },
  { key: "lora_alpha", group: GROUP, scope: DT, help: "LoRA alpha (no memory effect)", cli: { arg: "number", flags: "--lora-alpha <a>" } },
  { key: "lora_targets", group: GROUP, scope: DT, help: "diffusion LoRA target modules (default to_k,to_q,to_v,to_out.0)", cli: { arg: "string", flags: "--lora-targets <list>" }, web: { label: "LoRA targets", kind: "text", pattern: /^[A-Za-z0-9_.,-]+$/, auto: "to_k,to_q,to_v,to_out.0" } },
  { key: "qlora", group: GROUP, scope: DT, help: "QLoRA: the denoiser in NF4 (bitsandbytes) under the adapters", cli: { arg: "flag" }, web: { label: "QLoRA (NF4 base)", kind: "bool", def: false } },
  { key: "grad_accum", group: GROUP, scope: DT, help: "gradient accumulation steps (no memory effect)", cli: { arg: "int", flags: "--grad-accum <n>" } },
  { key: "cache_latents", group: GROUP, scope: DT, help: "--cache_latents: latents encoded beforehand, the VAE off the GPU", cli: { arg: "flag" }, web: { label: "Cache latents", kind: "bool", def: false } },
  { key: "train_text_encoder", group: GROUP, scope: DT, help: "DreamBooth --train_text_encoder (LoRA on the CLIP encoders with --lora-rank)", cli: { arg: "flag" }, web: { label: "Train the text encoder", kind: "bool", def: false } },
  { key: "text_encoder_lora_rank", group: GROUP, scope: DT, help: "LoRA rank of the text encoder (default: --lora-rank)", cli: { arg: "int", flags: "--text-encoder-lora-rank <r>" } },
  { key: "text_encoder_lora_alpha", group: GROUP, scope: DT, help: "text encoder LoRA alpha (no memory effect)", cli: { arg: "number", flags: "--text-encoder-lora-alpha <a>" } },
  { key: "prior_preservation", group: GROUP, scope: DT, help: "DreamBooth --with_prior_preservation: class images double the batch", cli: { arg: "flag" }, web: { label: "Prior preservation", kind: "bool", def: false } },
];

/** Single changes, gentlest first: free ones, then offloading (speed), then quantization (quality), then the slowest offload. */
export function diffusionLevers(w: Record<string, unknown>): Lever[] {
  const out: Lever[] = [];
  if (w.mode === "train") {
    if (!w.checkpointing) out.push({ change: "gradient checkpointing (--checkpointing)", patch: { checkpointing: true } });
    if (w.optimizer === "adamw" || w.optimizer === "adam") out.push({ change: "8-bit AdamW (--optimizer adamw-8bit)", patch: { optimizer: "adamw-8bit" } });
    if (!w.cache_latents) out.push({ change: "cache latents (--cache-latents)", patch: { cache_latents: true } });
    if (!w.precomputed_text_embeddings) out.push({ change: "precompute prompt embeddings (--precomputed-text-embeddings)", patch: { precomputed_text_embeddings: true } });
    if (w.lora_rank && !w.qlora) out.push({ change: "QLoRA: NF4 base (--qlora)", patch: { qlora: true } });
    return out;
  }
  const batch = Number(w.batch ?? 1);
  if (batch > 1 && !w.vae_slicing) out.push({ change: "VAE slicing (--vae-slicing)", patch: { vae_slicing: true } });
  if (!w.vae_tiling) out.push({ change: "VAE tiling (--vae-tiling)", patch: { vae_tiling: true } });
  if (w.offload_mode === "none" || w.offload_mode === undefined) {
    out.push({ change: "model CPU offload (--offload-mode model_cpu_offload)", patch: { offload_mode: "model_cpu_offload" } });
    out.push({ change: "group offload, one block at a time with prefetch (--offload-mode group_offload --use-stream)", patch: { offload_mode: "group_offload", use_stream: true } });
    out.push({ change: "leaf-level group offload with prefetch (--offload-mode group_offload --group-offload-type leaf_level --use-stream)", patch: { offload_mode: "group_offload", group_offload_type: "leaf_level", use_stream: true } });
  }
  if (!w.quant) {
    out.push({ change: "fp8 weight storage for the denoiser (--quant fp8 --quant-backend layerwise)", patch: { quant: "fp8", quant_backend: "layerwise" } });
    out.push({ change: "int8 denoiser (--quant int8 --quant-backend torchao)", patch: { quant: "int8", quant_backend: "torchao" } });
    out.push({ change: "NF4 denoiser (--quant nf4)", patch: { quant: "nf4" } });
    out.push({ change: "NF4 denoiser with model CPU offload (--quant nf4 --offload-mode model_cpu_offload)", patch: { quant: "nf4", offload_mode: "model_cpu_offload" } });
  }
  if (w.offload_mode !== "sequential_cpu_offload") out.push({ change: "sequential CPU offload (--offload-mode sequential_cpu_offload; slow)", patch: { offload_mode: "sequential_cpu_offload" } });
  return out;
}

function highBound(e: Estimate, attentionUnstated: boolean, gpu: Gpu): { fits: boolean; high: number } {
  let band = bandFor(e.uncertainty?.category ?? `diffusion_${e.workload.mode === "train" ? "training" : "inference"}`);
  if (attentionUnstated) band = widen(band, 1.25);
  const totals = applyBand(e.components, { ...e.totals }, band);
  const fit = gpuFit(gpu, 1, totals);
  return { fits: fit.verdict === "fits", high: totals.device_range?.[1] ?? totals.device_bytes };
}

/**
 * When the pipeline does not fit (or only the central estimate does), the gentlest single change from
 * `diffusionLevers` whose high bound fits, in words — so `estimate flux.1-dev --gpu rtx-4070` says which
 * offload mode or quantization makes it run.
 */
function fitAdvice(p: PipelineSpec, input: EstimateInput, e: Estimate, gpu: Gpu): string | null {
  const attentionUnstated = input.attention === undefined;
  if (highBound(e, attentionUnstated, gpu).fits) return null;
  for (const l of diffusionLevers(e.workload as Record<string, unknown>)) {
    try {
      const alt = estimateDiffusion(p, { ...input, ...l.patch }, gpu);
      const hb = highBound(alt, attentionUnstated, gpu);
      if (hb.fits) return `does not fit ${gpu.name} as set; fits with ${l.change}: ${formatBytes(hb.high)} at the high bound`;
    } catch (err) {
      if (!isVramfitError(err)) throw err;
    }
  }
  return `does not fit ${gpu.name} with any single offload mode or quantization`;
}

export const diffusionFamily: ModelFamily<DiffusionModelDescription> = {
  id: "diffusion",
  label: "diffusion pipelines (--image, --offload-mode)",
  options: DIFFUSION_OPTIONS,
  resolveName: (spec) => {
    const p = findPipeline(spec);
    return p ? diffusionDescription(p) : undefined;
  },
  builtins: () =>
    PIPELINES.map((p) => ({
      id: p.id,
      label: `${p.id} — ${p.label} (diffusion)`,
      description: p.hf,
      keys: [p.id, p.hf, p.label, ...p.names, "diffusion", p.frames ? "video" : "image"].join(" ").toLowerCase(),
      architecture: p.pipeline,
      parameters: pipelineParameters(p),
    })),
  estimate: (model, input, gpu) => {
    const e = estimateDiffusion(model.diffusion, input, gpu);
    if (gpu) {
      const advice = fitAdvice(model.diffusion, input, e, gpu);
      if (advice) e.warnings.unshift(advice);
    }
    return e;
  },
  levers: (e) => diffusionLevers(e.workload as Record<string, unknown>),
};
