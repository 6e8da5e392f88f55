/**
 * One pipeline component as the estimator needs it: its layer graph at a workload's shapes (inference or a
 * training step) and its parameters by module (for weights, quantization and offloading).
 */
import { VramfitError } from "../core/errors.js";
import { GraphBuilder } from "../vision/builder.js";
import type { VisionGraph, VisionPrecision } from "../vision/graph.js";
import { clipText, t5Encoder, unet2dCondition, vaeDecoder, vaeEncoder, fluxTransformer, sd3Transformer, wanTransformer, wanVaeDecodeChunk, type Cfg } from "./architectures.js";
import { type BuildCtx, holdInputs } from "./nn.js";
import type { ComponentSpec, PipelineSpec } from "./pipelines.js";
import { paramNodes, type ParamNode } from "./weights.js";

/** Parameters of AutoencoderKLWan() with its class defaults (bench/diffusion/params.json, diffusers v0.35.1), all in convolutions / norms. */
export const WAN_VAE_PARAMS = 126_892_531;

export interface GraphOpts {
  precision: VisionPrecision;
  eager: boolean;
  /** Op semantics to follow where CPU and CUDA differ (the CPU ground truth in activations.spec.ts); CUDA by default. */
  device?: "cuda" | "cpu";
  lora?: BuildCtx["lora"];
  checkpointing?: boolean;
  /** Frozen parameters (LoRA training, or a component that is not trained). */
  frozen?: boolean;
}

export interface BuiltGraph {
  graph: VisionGraph;
  /** Checkpointed module calls (node ranges and their input storages) when checkpointing. */
  segments: NonNullable<BuildCtx["checkpoint"]>;
}

function build(opts: GraphOpts, f: (c: BuildCtx) => void): BuiltGraph {
  const b = new GraphBuilder(opts.precision, { device: opts.device });
  const segments: NonNullable<BuildCtx["checkpoint"]> = [];
  const c: BuildCtx = { b, lora: opts.lora, checkpoint: opts.checkpointing ? segments : undefined };
  const run = () => f(c);
  if (opts.frozen) b.frozen(run);
  else run();
  holdInputs(b);
  const last = b.tensors.length - 1;
  return { graph: b.finish(last >= 0 ? [b.tensors[last]] : []), segments };
}

/** Text tokens the denoiser attends to: CLIP 77 (UNets), T5 length (Flux), 77 + T5 (SD3), UMT5 (Wan). */
export function denoiserTextLength(p: PipelineSpec, maxSequenceLength: number): number {
  const arch = p.components.find((c) => c.role === "denoiser")!.arch;
  if (arch === "unet") return 77;
  if (arch === "sd3") return 77 + maxSequenceLength;
  return maxSequenceLength;
}

/** A text encoder's forward for one prompt batch. */
export function textEncoderGraph(spec: ComponentSpec, batch: number, seq: number, opts: GraphOpts & { woFp32: boolean }): BuiltGraph {
  return build(opts, (c) => {
    if (spec.arch === "clip" || spec.arch === "clip_proj") clipText(c, spec.config, batch, spec.arch === "clip_proj");
    else t5Encoder(c, spec.config, batch, seq, { umt5: spec.arch === "umt5", woFp32: opts.woFp32, eager: opts.eager });
  });
}

export interface DenoiserShape {
  batch: number;
  /** Latent height and width. */
  h: number;
  w: number;
  frames?: number;
  txtLen: number;
}

/** The denoiser's forward (UNet or DiT) at a latent shape. */
export function denoiserGraph(spec: ComponentSpec, s: DenoiserShape, opts: GraphOpts): BuiltGraph {
  return build(opts, (c) => {
    const io = { batch: s.batch, h: s.h, w: s.w, frames: s.frames, txtLen: s.txtLen, ctxLen: s.txtLen, eager: opts.eager };
    if (spec.arch === "unet") unet2dCondition(c, spec.config, io);
    else if (spec.arch === "flux") fluxTransformer(c, spec.config, io);
    else if (spec.arch === "sd3") sd3Transformer(c, spec.config, io);
    else if (spec.arch === "wan") wanTransformer(c, spec.config, io);
    else throw new VramfitError("unsupported", `no denoiser graph for ${spec.arch}`);
  });
}

/** The VAE decoder on a latent batch (`stage` for SDXL's split-precision upcast decode). */
export function decoderGraph(spec: ComponentSpec, batch: number, h: number, w: number, opts: GraphOpts & { stage?: "mid" | "up" }): BuiltGraph {
  return build(opts, (c) => {
    if (spec.arch === "wan_vae") wanVaeDecodeChunk(c, batch, h, w);
    else vaeDecoder(c, spec.config, batch, h, w, { eager: opts.eager, stage: opts.stage });
  });
}

export function encoderGraph(spec: ComponentSpec, batch: number, height: number, width: number, opts: GraphOpts): BuiltGraph {
  if (spec.arch !== "vae") throw new VramfitError("unsupported", "encoding videos with the Wan VAE is not modelled");
  return build(opts, (c) => vaeEncoder(c, spec.config, batch, height, width, opts.eager));
}

// ---- parameters ------------------------------------------------------------------------------------

export interface ComponentParams {
  nodes: ParamNode[];
  total: number;
  /** Buffers that travel with the weights, in elements of the model dtype (SD3's pos_embed). */
  bufferElements: number;
  /** VAE only: parameters of the parts SDXL's upcast_vae keeps in 16 bit (post_quant_conv, decoder.conv_in, decoder.mid_block). */
  vaeMid?: number;
}

const paramCache = new Map<Cfg, Map<string, ComponentParams>>();

/** Parameters of a component, from its graph at a small shape (parameters do not depend on the shape); cached per config. */
export function componentParams(spec: ComponentSpec): ComponentParams {
  const byArch = paramCache.get(spec.config) ?? new Map<string, ComponentParams>();
  paramCache.set(spec.config, byArch);
  const hit = byArch.get(spec.arch);
  if (hit) return hit;
  const opts: GraphOpts = { precision: "bf16", eager: false };
  let nodes: ParamNode[];
  let bufferElements = 0;
  let vaeMid: number | undefined;
  const cfg = spec.config;
  if (spec.role === "text_encoder") nodes = paramNodes(textEncoderGraph(spec, 1, 4, { ...opts, woFp32: false }).graph);
  else if (spec.role === "denoiser") {
    const small = spec.arch === "unet" ? 16 : 8;
    nodes = paramNodes(denoiserGraph(spec, { batch: 1, h: small, w: small, frames: 1, txtLen: 4 }, opts).graph);
    // SD3's PatchEmbed registers its sin-cos table as a persistent buffer (embeddings.py), cast with the model.
    if (spec.arch === "sd3" && cfg.pos_embed_max_size) bufferElements = cfg.pos_embed_max_size ** 2 * cfg.num_attention_heads * cfg.attention_head_dim;
  } else if (spec.arch === "wan_vae") {
    nodes = [{ module: "decoder", op: "conv3d", shapes: [[WAN_VAE_PARAMS]] }];
  } else {
    const n = 2 ** (cfg.block_out_channels.length - 1);
    const dec = paramNodes(decoderGraph(spec, 1, 2, 2, opts).graph);
    const enc = paramNodes(encoderGraph(spec, 1, 2 * n, 2 * n, opts).graph);
    nodes = [...enc, ...dec];
    vaeMid = count(dec.filter((x) => /^(post_quant_conv|decoder\.conv_in|decoder\.mid_block)/.test(x.module)));
  }
  const r: ComponentParams = { nodes, total: count(nodes), bufferElements, vaeMid };
  byArch.set(spec.arch, r);
  return r;
}

function count(nodes: readonly ParamNode[]): number {
  let n = 0;
  for (const x of nodes) for (const sh of x.shapes) n += sh.reduce((a, d) => a * d, 1);
  return n;
}
