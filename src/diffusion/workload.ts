/**
 * The diffusion workload: options as diffusers names them, parsed and checked (one VramfitError per bad
 * value, with the option's key), with the pipeline's defaults for what the user left out.
 */
import { VramfitError, closest } from "../core/errors.js";
import type { EstimateInput } from "../core/profile.js";
import { ggmlBlock } from "../ggml/types.js";
import { OPTIMIZERS } from "../training/options.js";
import type { PipelineSpec } from "./pipelines.js";
import { checkQuant, defaultBackend, DIFFUSION_QUANTS, QUANT_BACKENDS, type QuantBackend } from "./weights.js";

export const OFFLOAD_MODES = ["none", "model_cpu_offload", "sequential_cpu_offload", "group_offload"] as const;
export type OffloadMode = (typeof OFFLOAD_MODES)[number];
export const GROUP_OFFLOAD_TYPES = ["block_level", "leaf_level"] as const;
export const DIFFUSION_DTYPES = ["fp16", "bf16", "fp32"] as const;
export const DIFFUSION_PRECISIONS = ["fp32", "fp16", "bf16", "amp-fp16", "amp-bf16"] as const;

export interface DiffusionWorkload {
  mode: "infer" | "train";
  /** Images (videos) per prompt — num_images_per_prompt; to train, the per-device batch. */
  batch: number;
  /** [height, width] in pixels. */
  image: [number, number];
  frames: number | null;
  dtype: "fp16" | "bf16" | "fp32";
  attention: "sdpa" | "eager";
  cfg: boolean;
  guidance_scale: number | null;
  steps: number | null;
  max_sequence_length: number | null;
  quant: string | null;
  quant_backend: QuantBackend | null;
  quant_components: string[];
  text_encoder_quant: string | null;
  quantize_after_gpu_load: boolean;
  offload_mode: OffloadMode;
  group_offload_type: "block_level" | "leaf_level";
  num_blocks_per_group: number;
  use_stream: boolean;
  vae_slicing: boolean;
  vae_tiling: boolean;
  vae_dtype: "fp16" | "bf16" | "fp32" | null;
  precomputed_text_embeddings: boolean;
  /** Components loaded as None (SD3 without T5: text_encoder_3=None). */
  dropped: string[];
  // training
  precision: (typeof DIFFUSION_PRECISIONS)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  checkpointing: boolean;
  lora_rank: number | null;
  lora_alpha: number | null;
  lora_targets: string[];
  qlora: boolean;
  grad_accum: number;
  cache_latents: boolean;
  train_text_encoder: boolean;
  text_encoder_lora_rank: number | null;
  prior_preservation: boolean;
}

function bad(key: string, message: string, suggestion?: string): never {
  throw new VramfitError("invalid_option", message, { suggestion, details: { key } });
}

function int(o: EstimateInput, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) bad(key, `${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: EstimateInput, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "on") return true;
  if (v === "false" || v === "off") return false;
  return bad(key, `${key} takes true or false, got ${JSON.stringify(v)}`);
}

function choice<T extends string>(o: EstimateInput, key: string, choices: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const s = String(v).toLowerCase();
  if ((choices as readonly string[]).includes(s)) return s as T;
  const hint = closest(s, choices as readonly string[]);
  return bad(key, `unknown ${key} '${String(v)}' (choose one of: ${choices.join(", ")})`, hint.length ? `did you mean ${hint[0]}?` : undefined);
}

/** "1024", "1024x768" (width x height, as diffusers' width/height), or [h, w] → [h, w]. */
export function parseImage(v: unknown): [number, number] {
  let hw: [number, number];
  if (typeof v === "number") hw = [v, v];
  else if (Array.isArray(v) && v.length === 2) hw = [Number(v[0]), Number(v[1])];
  else {
    const m = /^\s*(\d+)\s*(?:[x×,]\s*(\d+))?\s*$/i.exec(String(v));
    if (!m) bad("image", `cannot read image size '${String(v)}'`, "use --image 1024 or --image 1344x768 (width x height)");
    hw = m[2] ? [Number(m[2]), Number(m[1])] : [Number(m[1]), Number(m[1])];
  }
  for (const d of hw) if (!Number.isSafeInteger(d) || d < 8 || d > 16384) bad("image", `image side ${d} is out of range (8–16384 pixels)`);
  return hw;
}

function quantOf(o: EstimateInput, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null || v === "" || v === "none") return null;
  const q = String(v).toLowerCase();
  if ((DIFFUSION_QUANTS as readonly string[]).includes(q) || ggmlBlock(q)) return q;
  return bad(key, `unknown ${key} '${String(v)}' (diffusion weights: ${DIFFUSION_QUANTS.join(", ")} or a GGUF type such as q4_0, q8_0)`);
}

const COMPONENT_ALIASES: Record<string, string> = { denoiser: "", unet: "unet", transformer: "transformer" };

export function parseDiffusionWorkload(p: PipelineSpec, o: EstimateInput): DiffusionWorkload {
  const mode = choice(o, "mode", ["infer", "train"] as const) ?? "infer";
  const train = mode === "train";
  const image = o.image === undefined ? p.image : parseImage(o.image);
  const video = p.frames !== undefined;
  let frames = int(o, "frames", 1, 10_000) ?? null;
  if (frames !== null && !video) bad("frames", `${p.id} makes images, not videos: --frames does not apply`);
  if (video) {
    frames ??= p.frames!;
    if ((frames - 1) % (p.temporal ?? 1) !== 0) bad("frames", `${p.id} takes ${p.temporal}k+1 frames (num_frames − 1 divisible by ${p.temporal}), got ${frames}`);
  }
  const dtype = choice(o, "dtype", DIFFUSION_DTYPES) ?? p.dtype;
  const guidance = o.guidance_scale === undefined || o.guidance_scale === null ? null : Number(o.guidance_scale);
  if (guidance !== null && !Number.isFinite(guidance)) bad("guidance_scale", `guidance_scale must be a number, got ${JSON.stringify(o.guidance_scale)}`);
  // SD/SDXL/SD3/Wan: do_classifier_free_guidance = guidance_scale > 1; Flux's guidance_scale is the distilled embedding.
  const cfgFromGuidance = p.cfgDefault && guidance !== null ? guidance > 1 : p.cfgDefault;
  const cfg = bool(o, "cfg") ?? cfgFromGuidance;
  const quant = quantOf(o, "quant");
  let backend = (choice(o, "quant_backend", QUANT_BACKENDS) ?? null) as QuantBackend | null;
  if (backend && !quant) bad("quant_backend", "quant_backend needs --quant (the weight format)");
  if (quant) {
    backend ??= defaultBackend(quant);
    checkQuant(quant, backend);
  }
  const names = p.components.map((c) => c.name);
  const denoiser = p.components.find((c) => c.role === "denoiser")!.name;
  const comps = String(o.quant_components ?? denoiser)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s in COMPONENT_ALIASES ? denoiser : s));
  for (const c of comps) if (!names.includes(c)) bad("quant_components", `${p.id} has no component '${c}' (its components: ${names.join(", ")})`);
  const teQuant = quantOf(o, "text_encoder_quant");
  if (teQuant && !p.components.some((c) => c.arch === "t5" || c.arch === "umt5")) bad("text_encoder_quant", `${p.id} has no T5 text encoder to quantize`);
  if (teQuant) checkQuant(teQuant, defaultBackend(teQuant));
  const dropped: string[] = [];
  const te3 = o.text_encoder_3;
  if (te3 !== undefined && te3 !== null) {
    if (String(te3).toLowerCase() !== "none") bad("text_encoder_3", "text_encoder_3 takes only 'none' (the pipeline loaded with text_encoder_3=None)");
    if (!names.includes("text_encoder_3")) bad("text_encoder_3", `${p.id} has no text_encoder_3`);
    dropped.push("text_encoder_3");
  }
  const offload = choice(o, "offload_mode", OFFLOAD_MODES) ?? "none";
  const lora = int(o, "lora_rank", 1, 65_536) ?? null;
  const qlora = bool(o, "qlora") ?? false;
  if (train && qlora && !lora) bad("qlora", "qlora needs --lora-rank");
  const targets = String(o.lora_targets ?? "to_k,to_q,to_v,to_out.0")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const optimizer = choice(o, "optimizer", OPTIMIZERS) ?? "adamw";
  const precision = choice(o, "precision", DIFFUSION_PRECISIONS) ?? (train ? (dtype === "fp16" ? "amp-fp16" : "amp-bf16") : dtype);
  if (!train && offload !== "none" && (bool(o, "quantize_after_gpu_load") ?? false)) bad("quantize_after_gpu_load", "quantizing after .to('cuda') and CPU offloading exclude each other");
  const maxSeq = int(o, "max_sequence_length", 1, 4096) ?? p.maxSequenceLength ?? null;
  if (o.max_sequence_length !== undefined && p.maxSequenceLength === undefined) bad("max_sequence_length", `${p.id} has no T5 text encoder: max_sequence_length does not apply`);
  const gpus = int(o, "gpus", 1, 1024) ?? 1;
  if (gpus > 1) throw new VramfitError("unsupported", "diffusion pipelines run on one GPU here: several GPUs (device_map='balanced', context parallelism) are not modelled", { details: { key: "gpus" } });
  return {
    mode,
    batch: int(o, "batch", 1, 4096) ?? 1,
    image,
    frames,
    dtype,
    attention: o.attention === "eager" ? "eager" : "sdpa",
    cfg,
    guidance_scale: guidance,
    steps: int(o, "steps", 1, 10_000) ?? null,
    max_sequence_length: maxSeq,
    quant: train && qlora ? (quant ?? "nf4") : quant,
    quant_backend: train && qlora ? (backend ?? "bitsandbytes") : backend,
    quant_components: comps,
    text_encoder_quant: teQuant,
    quantize_after_gpu_load: bool(o, "quantize_after_gpu_load") ?? false,
    offload_mode: offload,
    group_offload_type: choice(o, "group_offload_type", GROUP_OFFLOAD_TYPES) ?? "block_level",
    num_blocks_per_group: int(o, "num_blocks_per_group", 1, 1000) ?? 1,
    use_stream: bool(o, "use_stream") ?? false,
    vae_slicing: bool(o, "vae_slicing") ?? false,
    vae_tiling: bool(o, "vae_tiling") ?? false,
    vae_dtype: choice(o, "vae_dtype", DIFFUSION_DTYPES) ?? null,
    precomputed_text_embeddings: bool(o, "precomputed_text_embeddings") ?? false,
    dropped,
    precision,
    optimizer,
    checkpointing: bool(o, "checkpointing") ?? false,
    lora_rank: lora,
    lora_alpha: o.lora_alpha === undefined ? null : Number(o.lora_alpha),
    lora_targets: targets,
    qlora,
    grad_accum: int(o, "grad_accum", 1, 1 << 20) ?? 1,
    cache_latents: bool(o, "cache_latents") ?? false,
    train_text_encoder: bool(o, "train_text_encoder") ?? false,
    text_encoder_lora_rank: int(o, "text_encoder_lora_rank", 1, 65_536) ?? null,
    prior_preservation: bool(o, "prior_preservation") ?? false,
  };
}
