/**
 * estimateDiffusion: the peak GPU memory of a diffusers pipeline call (or of one training step), phase by
 * phase, per offload mode.
 *
 * Inference phases (DiffusionPipeline.__call__): an optional load peak (quantizing after `.to("cuda")` keeps
 * the 16-bit weights until quantize_ has run), text encoding (each text encoder on one prompt), denoising
 * (the denoiser at batch × 2 when CFG batches the negative prompt, every step the same), and the VAE decode
 * (all images at once, one at a time with slicing, tile by tile with tiling; SDXL upcasts the VAE to fp32).
 * A phase holds the weights resident then plus the live activations of its component (the layer-graph sweep
 * of src/vision/analysis.ts over the component's graph) plus what the pipeline keeps (prompt embeddings,
 * latents).
 *
 * Offload modes (diffusers v0.35.1 pipelines/pipeline_utils.py, hooks/group_offloading.py; accelerate hooks):
 * - none: every component stays on the GPU;
 * - model_cpu_offload (enable_model_cpu_offload): one component at a time — the hook of the next model in
 *   `model_cpu_offload_seq` offloads the previous one before it runs;
 * - sequential_cpu_offload (enable_sequential_cpu_offload): each module's weights come to the GPU for its
 *   own forward only: the largest single module is resident;
 * - group_offload (apply_group_offloading on the text encoders and the denoiser, the VAE on the GPU, as the
 *   diffusers docs set it up): block_level keeps the top-level non-block modules onloaded for the whole
 *   forward plus one group of `num_blocks_per_group` blocks (and the next one with `use_stream`); leaf_level
 *   one module (two with `use_stream`).
 */
import { allocatedSize, reservedForPersistent } from "../core/allocator.js";
import { VramfitError } from "../core/errors.js";
import type { Component, Estimate } from "../core/estimate-types.js";
import { gpuFit, totalsOf } from "../core/fit.js";
import type { Gpu } from "../core/gpu.js";
import { cublasWorkspaceComponent, cudaContextComponent } from "../core/overheads.js";
import { formatBytes } from "../core/units.js";
import { optimizerMemory, type ParamTensor } from "../training/optimizers.js";
import { backwardPeak, inferencePeak, savedActivations } from "../vision/analysis.js";
import type { VisionGraph, VisionPrecision } from "../vision/graph.js";
import { componentParams, decoderGraph, denoiserGraph, denoiserTextLength, encoderGraph, textEncoderGraph, type BuiltGraph } from "./components.js";
import type { ComponentSpec, PipelineSpec } from "./pipelines.js";
import { parseDiffusionWorkload, type DiffusionWorkload } from "./workload.js";
import { CachingAllocatorReplay, graphEvents, replay, type Events } from "./replay.js";
import { defaultBackend, linearWeightBytes, nodeBytes, summarize, type Storage, type WeightSummary } from "./weights.js";
import type { EstimateInput } from "../core/profile.js";

const BYTES = { fp32: 4, fp16: 2, bf16: 2 } as const;

interface Phase {
  phase: "load" | "text_encoding" | "denoising" | "vae_decode" | "vae_encode" | "training_step";
  /** What runs. */
  component: string;
  weights: number;
  weightsFormula: string;
  activations: number;
  activationsAt: string;
  /** Bytes of the storages live at the activation peak, for the allocator's rounding. */
  live: number[];
  pipeline: number;
  transient: number;
  transientFormula?: string;
  /** cuDNN workspace of the phase's convolutions (approx). */
  workspace: number;
  /** The phase's allocation sequence (for the caching-allocator replay). */
  events?: Events;
}

interface Resident {
  spec: ComponentSpec;
  storage: Storage;
  summary: WeightSummary;
  /** The same component in its unquantized 16/32-bit form (for the load peak of quantize-after-load). */
  denseBytes: number;
}

const precisionOf = (dtype: "fp16" | "bf16" | "fp32"): VisionPrecision => dtype;

function storageFor(p: PipelineSpec, c: ComponentSpec, w: DiffusionWorkload): Storage {
  const isT5 = c.arch === "t5" || c.arch === "umt5";
  let dense = BYTES[w.dtype];
  if (c.role === "vae") dense = BYTES[w.vae_dtype ?? (p.vaeFp32 === "always" ? "fp32" : w.dtype)];
  let quant: string | null = null;
  let backend: Storage["backend"] = null;
  if (w.quant && w.quant_components.includes(c.name)) {
    quant = w.quant;
    backend = w.quant_backend;
  } else if (isT5 && w.text_encoder_quant) {
    quant = w.text_encoder_quant;
    backend = defaultBackend(quant);
  }
  const s: Storage = { dense, quant, backend };
  // transformers keeps T5's `wo` out of quantization, in fp32 for fp16 models and with bitsandbytes (weights.ts).
  if (isT5 && (quant || w.dtype === "fp16")) s.keep = { pattern: /(^|\.)wo$/, bytes: w.dtype === "fp16" || backend === "bitsandbytes" ? 4 : dense };
  return s;
}

function residents(p: PipelineSpec, w: DiffusionWorkload, present: ComponentSpec[]): Resident[] {
  return present.map((spec) => {
    const params = componentParams(spec);
    const storage = storageFor(p, spec, w);
    const buffers = params.bufferElements * storage.dense;
    const summary = summarize(params.nodes, storage, w.num_blocks_per_group, buffers);
    const denseBytes = storage.quant ? summarize(params.nodes, { ...storage, quant: null, backend: null }, 1, buffers).bytes : summary.bytes;
    return { spec, storage, summary, denseBytes };
  });
}

/** Weights a component has on the GPU while it runs, by offload mode. */
function runningWeights(r: Resident, w: DiffusionWorkload): number {
  const s = r.summary;
  switch (w.offload_mode) {
    case "sequential_cpu_offload":
      return s.largestLeaf;
    case "group_offload": {
      if (r.spec.role === "vae") return s.bytes;
      if (w.group_offload_type === "leaf_level") return w.use_stream ? s.largestLeafPair : s.largestLeaf;
      const unmatched = s.groups.find((g) => !g.list)?.bytes ?? 0;
      const blocks = s.groups.filter((g) => g.list).map((g) => g.bytes);
      let best = 0;
      for (let i = 0; i < blocks.length; i++) best = Math.max(best, blocks[i] + (w.use_stream ? (blocks[i + 1] ?? 0) : 0));
      return unmatched + best;
    }
    default:
      return s.bytes;
  }
}

/** Weights on the GPU during a phase in which `running` executes. */
function residentDuring(all: Resident[], running: Resident | null, w: DiffusionWorkload, vaeDecodeBytes?: number): { bytes: number; formula: string } {
  const parts: string[] = [];
  let bytes = 0;
  for (const r of all) {
    const isRunning = r === running;
    let b = 0;
    if (w.offload_mode === "none") b = r.spec.role === "vae" && vaeDecodeBytes !== undefined ? vaeDecodeBytes : r.summary.bytes;
    else if (w.offload_mode === "group_offload" && r.spec.role === "vae") b = vaeDecodeBytes ?? r.summary.bytes;
    else if (isRunning) b = r.spec.role === "vae" && vaeDecodeBytes !== undefined && w.offload_mode === "model_cpu_offload" ? vaeDecodeBytes : runningWeights(r, w);
    if (b > 0) {
      bytes += b;
      parts.push(`${r.spec.name} ${formatBytes(b)}`);
    }
  }
  return { bytes, formula: parts.join(" + ") || "none resident" };
}

interface LivePeak {
  allocated: number;
  at: string;
  /** Bytes of each storage live at the peak (for the allocator's segment rounding). */
  liveBytes: number[];
  /** cuDNN workspace (approx): the largest feature map of any convolution of the graph. */
  workspace: number;
  events: Events;
}

/**
 * The inference live peak of a component graph, memoized by what shapes it (the same denoiser at the same
 * batch and size under another offload mode or weight format has the same activations).
 */
const peakMemo = new Map<string, LivePeak>();
const cfgIds = new WeakMap<object, number>();
let nextCfgId = 1;
function liveOf(key: { spec: ComponentSpec; shape: unknown }, build: () => BuiltGraph): LivePeak {
  let id = cfgIds.get(key.spec.config);
  if (id === undefined) cfgIds.set(key.spec.config, (id = nextCfgId++));
  const k = `${key.spec.arch}#${id}#${JSON.stringify(key.shape)}`;
  const hit = peakMemo.get(k);
  if (hit) return hit;
  const g = build().graph;
  const p = inferencePeak(g);
  const workspace = g.nodes.reduce((m, n) => Math.max(m, n.workspaceBytes ?? 0), 0);
  const r = { allocated: p.allocated, at: p.at, liveBytes: p.live.map((s) => g.storages[s].bytes), workspace: workspace ? allocatedSize(workspace) : 0, events: graphEvents(g) };
  if (peakMemo.size > 512) peakMemo.delete(peakMemo.keys().next().value!);
  peakMemo.set(k, r);
  return r;
}

/** The largest dense nn.Linear a quantized component dequantizes for one matmul (bitsandbytes, GGUF, quanto, layerwise). */
function dequantTransient(r: Resident): number {
  if (!r.storage.quant || r.storage.backend === "torchao") return 0;
  let best = 0;
  for (const n of componentParams(r.spec).nodes) if (n.op === "linear") best = Math.max(best, n.shapes[0][0] * n.shapes[0][1] * 2);
  return allocatedSize(best);
}

function latentShape(p: PipelineSpec, w: DiffusionWorkload): { h: number; w: number; frames?: number } {
  const [H, W] = w.image;
  if (H % p.vaeScale !== 0 || W % p.vaeScale !== 0) throw new VramfitError("invalid_option", `${p.id}: the image side must be a multiple of ${p.vaeScale} pixels, got ${W}x${H}`, { details: { key: "image" } });
  const frames = w.frames !== null ? (w.frames - 1) / (p.temporal ?? 1) + 1 : undefined;
  return { h: H / p.vaeScale, w: W / p.vaeScale, frames };
}

function inferencePhases(p: PipelineSpec, w: DiffusionWorkload, all: Resident[]): { phases: Phase[]; warnings: string[]; assumptions: string[] } {
  const phases: Phase[] = [];
  const warnings: string[] = [];
  const assumptions: string[] = [];
  const eager = w.attention === "eager";
  const prec = precisionOf(w.dtype);
  const lat = latentShape(p, w);
  const seq = w.max_sequence_length ?? 77;
  const denoiser = all.find((r) => r.spec.role === "denoiser")!;
  const vae = all.find((r) => r.spec.role === "vae")!;
  const cfgBatch = w.cfg && p.cfg === "batch" ? 2 : 1;
  const txtLen = denoiserTextLength(p, seq);
  const ctxDim = denoiser.spec.config.joint_attention_dim ?? denoiser.spec.config.cross_attention_dim ?? denoiser.spec.config.text_dim ?? 4096;
  const frames = lat.frames ?? 1;
  const latentChannels = denoiser.spec.config.in_channels === 64 ? 16 : (denoiser.spec.config.in_channels ?? 4);
  // Prompt embeddings (positive and, with CFG, negative) and the latents the loop keeps (latents, model input, noise prediction).
  const embeds = allocatedSize((w.cfg ? 2 : 1) * w.batch * txtLen * ctxDim * BYTES[w.dtype]);
  const latents = 3 * allocatedSize(w.batch * cfgBatch * latentChannels * frames * lat.h * lat.w * BYTES[w.dtype]);

  if (w.quantize_after_gpu_load && w.quant) {
    const dense = all.reduce((s, r) => s + r.denseBytes, 0);
    phases.push({ phase: "load", component: "pipeline", weights: dense, weightsFormula: `every component in ${w.dtype} before quantize_() (${all.map((r) => `${r.spec.name} ${formatBytes(r.denseBytes)}`).join(" + ")})`, activations: 0, activationsAt: "", live: [], pipeline: 0, transient: 0, workspace: 0 });
  }
  for (const r of all.filter((x) => x.spec.role === "text_encoder")) {
    const isT5 = r.spec.arch === "t5" || r.spec.arch === "umt5";
    const woFp32 = Boolean(r.storage.keep && r.storage.keep.bytes === 4);
    const tseq = isT5 ? seq : 77;
    const g = liveOf({ spec: r.spec, shape: ["te", tseq, prec, eager, woFp32] }, () => textEncoderGraph(r.spec, 1, tseq, { precision: prec, eager, woFp32 }));
    const res = residentDuring(all, r, w);
    phases.push({ phase: "text_encoding", component: r.spec.name, weights: res.bytes, weightsFormula: res.formula, activations: g.allocated, activationsAt: `${r.spec.name} at ${g.at}`, live: g.liveBytes, pipeline: embeds, transient: dequantTransient(r), transientFormula: "one nn.Linear dequantized to 16 bit for its matmul", workspace: g.workspace, events: g.events });
  }
  {
    const shape = { batch: w.batch * cfgBatch, h: lat.h, w: lat.w, frames: lat.frames, txtLen };
    const g = liveOf({ spec: denoiser.spec, shape: ["dn", shape, prec, eager] }, () => denoiserGraph(denoiser.spec, shape, { precision: prec, eager }));
    const res = residentDuring(all, denoiser, w);
    phases.push({ phase: "denoising", component: denoiser.spec.name, weights: res.bytes, weightsFormula: res.formula, activations: g.allocated, activationsAt: `${denoiser.spec.name} (batch ${w.batch * cfgBatch}) at ${g.at}`, live: g.liveBytes, pipeline: embeds + latents, transient: dequantTransient(denoiser), transientFormula: "one nn.Linear dequantized to 16 bit for its matmul", workspace: g.workspace, events: g.events });
    if (w.cfg && p.cfg === "batch") assumptions.push(`classifier-free guidance: the ${denoiser.spec.name} runs the negative and positive prompts as one batch of ${w.batch * 2}`);
    else if (w.cfg) assumptions.push(`classifier-free guidance: ${p.pipeline} runs the negative prompt as a second ${denoiser.spec.name} pass (same peak)`);
  }
  {
    const cfg = vae.spec.config;
    const upcast = p.vaeFp32 === "upcast" && w.dtype === "fp16" && !w.vae_dtype && cfg.force_upcast;
    const vaeDtype = w.vae_dtype ?? (p.vaeFp32 === "always" || upcast ? "fp32" : w.dtype);
    const decodeBatch = w.vae_slicing ? 1 : w.batch;
    let h = lat.h;
    let wd = lat.w;
    let tiles = 1;
    const video = vae.spec.arch === "wan_vae";
    if (w.vae_tiling) {
      const tileLatent = video ? 32 : Math.floor((cfg.sample_size ?? 512) / 2 ** (cfg.block_out_channels.length - 1));
      if (h > tileLatent || wd > tileLatent) {
        const stride = Math.floor(tileLatent * 0.75);
        tiles = Math.ceil(h / stride) * Math.ceil(wd / stride);
        h = Math.min(h, tileLatent);
        wd = Math.min(wd, tileLatent);
        assumptions.push(`VAE tiling: ${tiles} tiles of ${tileLatent * p.vaeScale}×${tileLatent * p.vaeScale} px decoded one at a time (tile_overlap_factor 0.25)`);
      }
    }
    let act: LivePeak;
    let upcastEvents: Events | undefined;
    let vaeWeights = vae.summary.bytes;
    if (upcast && !eager) {
      const mid = liveOf({ spec: vae.spec, shape: ["dec-mid", decodeBatch, h, wd, eager] }, () => decoderGraph(vae.spec, decodeBatch, h, wd, { precision: "fp16", eager, stage: "mid" }));
      const up = liveOf({ spec: vae.spec, shape: ["dec-up", decodeBatch, h, wd, eager] }, () => decoderGraph(vae.spec, decodeBatch, h, wd, { precision: "fp32", eager, stage: "up" }));
      act = up.allocated >= mid.allocated ? up : mid;
      upcastEvents = [...mid.events, ...up.events.map((e) => (e < 0 ? e - mid.events.length : e))];
      const params = componentParams(vae.spec);
      vaeWeights = (params.total - (params.vaeMid ?? 0)) * 4 + (params.vaeMid ?? 0) * 2;
      assumptions.push("SDXL upcast_vae(): the VAE runs in fp32 except post_quant_conv, conv_in and the mid block (kept fp16 with SDPA)");
    } else {
      act = liveOf({ spec: vae.spec, shape: ["dec", decodeBatch, h, wd, vaeDtype, eager] }, () => decoderGraph(vae.spec, decodeBatch, h, wd, { precision: precisionOf(vaeDtype), eager }));
      if (upcast) {
        vaeWeights = componentParams(vae.spec).total * 4;
        assumptions.push("SDXL upcast_vae(): the whole VAE in fp32 (eager attention)");
      }
    }
    const px = p.vaeScale;
    const imgBytes = (n: number) => allocatedSize(n * 3 * frames * (lat.h * px) * (lat.w * px) * BYTES[vaeDtype]);
    // Decoded slices / tiles are kept until torch.cat / blending builds the output.
    let outputs = 0;
    if (w.vae_slicing && w.batch > 1) outputs += 2 * imgBytes(w.batch);
    if (tiles > 1) outputs += imgBytes(decodeBatch) * 2;
    if (video) {
      // Wan decodes one latent frame per call and concatenates the frames (out = torch.cat([out, out_], 2)).
      outputs += 2 * imgBytes(w.batch);
      warnings.push("the Wan VAE decode is an approximation: each per-frame call is modelled as a 2-D decoder of the same widths over 4 output frames plus the 2 frames its causal convolutions cache");
    }
    const res = residentDuring(all, vae, w, vaeWeights);
    phases.push({ phase: "vae_decode", component: "vae", weights: res.bytes, weightsFormula: res.formula, activations: act.allocated + outputs, activationsAt: `vae decode (batch ${decodeBatch}${tiles > 1 ? `, tile ${h * px}×${wd * px}` : ""}, ${vaeDtype}) at ${act.at}`, live: act.liveBytes, pipeline: latents / 3, transient: 0, workspace: act.workspace, events: upcastEvents ?? act.events });
  }
  return { phases, warnings, assumptions };
}

function phaseTotal(ph: Phase): number {
  return ph.weights + ph.activations + ph.pipeline + ph.transient + ph.workspace;
}

function comp(id: string, label: string, bytes: number, formula: string, level: Component["level"] = "allocated"): Component {
  return { id, label, bytes, formula, level };
}

function weightFormat(r: Resident): string {
  const s = r.storage;
  const q = s.quant ? `${s.quant} (${s.backend})` : s.dense === 4 ? "fp32" : "16-bit";
  return `${r.spec.name} ${formatBytes(r.summary.bytes)} ${q}`;
}

/** Estimate of a diffusion pipeline (inference) or of one LoRA/DreamBooth/full training step. */
export function estimateDiffusion(p: PipelineSpec, input: EstimateInput, gpu?: Gpu): Estimate {
  const w = parseDiffusionWorkload(p, input);
  return w.mode === "train" ? estimateTraining(p, w, gpu) : estimateInference(p, w, gpu);
}

function present(p: PipelineSpec, w: DiffusionWorkload): ComponentSpec[] {
  return p.components.filter((c) => !(c.role === "text_encoder" && (w.precomputed_text_embeddings || w.dropped.includes(c.name))));
}

function estimateInference(p: PipelineSpec, w: DiffusionWorkload, gpu?: Gpu): Estimate {
  const all = residents(p, w, present(p, w));
  const { phases, warnings, assumptions } = inferencePhases(p, w, all);
  const peak = phases.reduce((a, b) => (phaseTotal(b) > phaseTotal(a) ? b : a));
  const final = all.reduce((s, r) => s + r.summary.bytes, 0);
  const components: Component[] = [];
  if (peak.phase === "load") {
    components.push(comp("weights", "Model weights", final, all.map(weightFormat).join(" + ")));
    components.push(comp("load_transient", "16-bit weights not yet quantized", peak.weights - final, "pipeline.to('cuda') in 16 bit, then quantize_(): the peak is the 16-bit load"));
  } else {
    components.push(comp("weights", w.offload_mode === "none" ? "Model weights" : "Weights on the GPU at the peak", peak.weights, w.offload_mode === "none" ? all.map(weightFormat).join(" + ") : `${w.offload_mode}: ${peak.weightsFormula}`));
  }
  if (peak.activations > 0) components.push(comp("activations", `Activations (${peak.phase.replace("_", " ")})`, peak.activations, `live tensors of the largest moment: ${peak.activationsAt}`));
  if (peak.pipeline > 0) components.push(comp("pipeline_tensors", "Prompt embeddings and latents", peak.pipeline, "what the pipeline keeps across steps: prompt embeddings (negative too with CFG), latents, model input and noise prediction"));
  if (peak.transient > 0) components.push(comp("dequant_transient", "Dequantized weight (transient)", peak.transient, peak.transientFormula ?? ""));
  if (peak.workspace > 0) components.push(comp("cudnn_workspace", "cuDNN workspace", peak.workspace, "(approx) largest feature map of any convolution of the phase: an algorithm's scratch is allocated per call on top of live tensors (docs/research/mechanics.md §9.4, as the vision engine)"));
  components.push(cublasWorkspaceComponent(gpu?.arch));
  // Each parameter tensor is its own allocation (module.to("cuda") moves them one by one).
  const weightTensors = all.flatMap((r) =>
    componentParams(r.spec).nodes.flatMap((n) => {
      const numels = n.shapes.map((s) => s.reduce((a, d) => a * d, 1));
      const dense = numels.reduce((a, x) => a + x, 0) * r.storage.dense;
      const scale = dense > 0 ? nodeBytes(n, r.storage) / dense : 1;
      return numels.map((x) => ({ bytes: Math.ceil(x * r.storage.dense * scale), count: 1 }));
    }),
  );
  const persistentExtra = w.offload_mode === "none" ? reservedForPersistent(weightTensors) - weightTensors.reduce((s, t) => s + allocatedSize(t.bytes), 0) : 0;
  let actExtra = reservedForPersistent(peak.live.map((bytes) => ({ bytes, count: 1 }))) - peak.live.reduce((s, x) => s + allocatedSize(x), 0);
  let cached = false;
  if (w.offload_mode === "none" && peak.phase !== "load") {
    // The caching allocator replayed over the call's phases in order (replay.ts): segments of earlier phases stay.
    const a = new CachingAllocatorReplay();
    for (const ph of phases) {
      if (ph.phase === "load" || !ph.events) continue;
      a.transient(ph.transient);
      if (ph.phase === "denoising") a.alloc(ph.pipeline);
      replay(a, ph.events);
    }
    const peakAllocated = peak.activations + peak.workspace + peak.pipeline + peak.transient;
    if (a.reserved - peakAllocated > actExtra) {
      actExtra = a.reserved - peakAllocated;
      cached = true;
    }
  }
  components.push(comp("allocator_rounding", "Allocator segments", Math.max(0, persistentExtra + actExtra), cached ? "caching-allocator segments: the weights' rounding, plus the segments the call's phases leave cached (replayed in order: text encoding, denoising, VAE decode; no empty_cache between them) beyond the peak's live tensors" : "caching-allocator segment rounding (2 MiB / 20 MiB segments, 2 MiB large rounding) of the weights and the peak live set", "reserved"));
  components.push(cudaContextComponent({ vendor: gpu?.vendor }));
  for (const c of components) if (!Number.isSafeInteger(c.bytes)) throw new VramfitError("invalid_option", `${c.label} of this workload is beyond exact integer range`, { suggestion: "use a smaller batch or image" });
  if (w.offload_mode !== "none") assumptions.push(offloadNote(w));
  if (w.attention === "sdpa") assumptions.push("attention via F.scaled_dot_product_attention (flash / memory-efficient kernels): no S×S score matrix");
  if (w.quant) assumptions.push(`${w.quant_components.join(", ")} in ${w.quant} (${w.quant_backend}): nn.Linear weights converted, other tensors ${w.dtype}`);
  const totals = totalsOf(components);
  const cpu = w.offload_mode === "none" ? 0 : all.reduce((s, r) => s + r.summary.bytes, 0);
  return {
    model: modelOf(p, all),
    workload: echo(p, w) as unknown as Estimate["workload"],
    components,
    totals,
    ...(gpu ? { gpu: gpuFit(gpu, 1, totals) } : {}),
    peak: { phase: peak.phase, description: `${peak.phase.replace("_", " ")}: ${peak.activationsAt || peak.weightsFormula}` },
    warnings,
    assumptions,
    phases: phases.map((ph) => ({ phase: ph.phase === "text_encoding" ? `text_encoding (${ph.component})` : ph.phase, allocated_bytes: phaseTotal(ph) })),
    ...(cpu ? { cpu_bytes: cpu } : {}),
  };
}

function offloadNote(w: DiffusionWorkload): string {
  switch (w.offload_mode) {
    case "model_cpu_offload":
      return "enable_model_cpu_offload(): one component on the GPU at a time";
    case "sequential_cpu_offload":
      return "enable_sequential_cpu_offload(): each module's weights come to the GPU for its own forward";
    default:
      return `group offloading (${w.group_offload_type}${w.group_offload_type === "block_level" ? `, ${w.num_blocks_per_group} block(s) per group` : ""}${w.use_stream ? ", use_stream prefetching the next group" : ""}) on the text encoders and the denoiser; the VAE on the GPU`;
  }
}

function modelOf(p: PipelineSpec, all: Resident[]): Estimate["model"] {
  const params = p.components.reduce((s, c) => s + componentParams(c).total, 0);
  void all;
  return { id: p.id, hf_id: p.hf, architecture: p.pipeline, family: "diffusion", parameters: params, active_parameters: params, source: { kind: "diffusion-builtin", ref: p.id, origin: "src/catalog/diffusion (see SOURCES.md)" } };
}

function echo(p: PipelineSpec, w: DiffusionWorkload): Record<string, unknown> {
  const train = w.mode === "train";
  return {
    mode: w.mode,
    batch: w.batch,
    image: w.image,
    ...(w.frames !== null ? { frames: w.frames } : {}),
    dtype: w.dtype,
    attention: w.attention,
    gpus: 1,
    ...(w.quant ? { quant: w.quant, quant_backend: w.quant_backend, quant_components: w.quant_components.join(",") } : {}),
    ...(w.text_encoder_quant ? { text_encoder_quant: w.text_encoder_quant } : {}),
    ...(w.precomputed_text_embeddings ? { precomputed_text_embeddings: true } : {}),
    ...(w.dropped.length ? { dropped: w.dropped } : {}),
    ...(train
      ? {
          precision: w.precision,
          optimizer: w.optimizer,
          checkpointing: w.checkpointing,
          ...(w.lora_rank ? { lora_rank: w.lora_rank, lora_targets: w.lora_targets.join(",") } : {}),
          qlora: w.qlora,
          grad_accum: w.grad_accum,
          effective_batch: w.batch * w.grad_accum,
          cache_latents: w.cache_latents,
          train_text_encoder: w.train_text_encoder,
          prior_preservation: w.prior_preservation,
        }
      : {
          cfg: w.cfg,
          ...(w.guidance_scale !== null ? { guidance_scale: w.guidance_scale } : {}),
          ...(w.steps !== null ? { steps: w.steps } : {}),
          ...(w.max_sequence_length !== null ? { max_sequence_length: w.max_sequence_length } : {}),
          offload_mode: w.offload_mode,
          ...(w.offload_mode === "group_offload" ? { group_offload_type: w.group_offload_type, num_blocks_per_group: w.num_blocks_per_group, use_stream: w.use_stream } : {}),
          vae_slicing: w.vae_slicing,
          vae_tiling: w.vae_tiling,
          ...(w.quantize_after_gpu_load ? { quantize_after_gpu_load: true } : {}),
        }),
    ...(p.id ? {} : {}),
  };
}

// ---- training ------------------------------------------------------------------------------------

/**
 * One step of diffusers' DreamBooth / LoRA training scripts (examples/dreambooth/train_dreambooth_lora_sdxl.py,
 * train_dreambooth_lora_flux.py; research_projects/flux_lora_quantization): frozen weights in the weight dtype
 * (NF4 with QLoRA), LoRA adapters on the attention projections, latents from the VAE (unless cached), prompt
 * embeddings from the text encoders (unless precomputed), the denoiser's forward and backward at batch × 2
 * with prior preservation, then the optimizer step on the trainable parameters. Full fine-tuning trains the
 * denoiser's own weights (fp32 master weights under AMP).
 */
function estimateTraining(p: PipelineSpec, w: DiffusionWorkload, gpu?: Gpu): Estimate {
  if (w.offload_mode !== "none") throw new VramfitError("unsupported", "offload modes are modelled for inference; training scripts keep the models on the GPU", { details: { key: "offload_mode" } });
  const denoiserSpec = p.components.find((c) => c.role === "denoiser")!;
  const vaeSpec = p.components.find((c) => c.role === "vae")!;
  if (vaeSpec.arch === "wan_vae" && !w.cache_latents) throw new VramfitError("unsupported", "training video models without cached latents is not modelled", { suggestion: "add --cache-latents" });
  const lora = w.lora_rank !== null;
  // The scripts' weight_dtype: fp16/bf16 under accelerate's mixed precision, float32 with mixed_precision "no"
  // (train_dreambooth_lora.py: `weight_dtype = torch.float32` unless accelerator.mixed_precision is fp16/bf16).
  const half: "fp16" | "bf16" | "fp32" = w.precision === "fp32" ? "fp32" : w.precision.endsWith("fp16") ? "fp16" : "bf16";
  const fullFp32 = !lora && (w.precision === "fp32" || w.precision.startsWith("amp-"));
  const weightDtype: "fp16" | "bf16" | "fp32" = lora ? half : fullFp32 ? "fp32" : half;
  const wTrain: DiffusionWorkload = { ...w, dtype: weightDtype, quant_components: w.qlora || w.quant ? [denoiserSpec.name] : [] };
  const textEncoders = w.precomputed_text_embeddings ? [] : p.components.filter((c) => c.role === "text_encoder" && !w.dropped.includes(c.name));
  const onGpu = [denoiserSpec, ...textEncoders, ...(w.cache_latents ? [] : [vaeSpec])];
  const all = residents(p, { ...wTrain, dtype: lora ? half : weightDtype }, onGpu).map((r) => (r.spec.role === "vae" ? { ...r, summary: { ...r.summary, bytes: componentParams(r.spec).total * (p.id.startsWith("sdxl") ? 4 : BYTES[half]) } } : r));
  const assumptions: string[] = [];
  const warnings: string[] = [];
  const lat = latentShape(p, { ...w, frames: w.frames });
  const batch = w.batch * (w.prior_preservation ? 2 : 1);
  const seq = w.max_sequence_length ?? 77;
  const txtLen = denoiserTextLength(p, seq);
  const targets = new Set(w.lora_targets);
  const prec: VisionPrecision = lora ? half : w.precision === "fp32" ? "fp32" : w.precision === "amp-fp16" ? "amp-fp16" : w.precision === "amp-bf16" ? "amp-bf16" : half;
  const built = denoiserGraph(denoiserSpec, { batch, h: lat.h, w: lat.w, frames: lat.frames, txtLen }, { precision: prec, eager: w.attention === "eager", lora: lora ? { rank: w.lora_rank!, targets } : undefined, checkpointing: w.checkpointing, frozen: lora });
  const g = built.graph;
  const loraTensors: ParamTensor[] = [];
  let trainable = 0;
  for (const n of g.nodes) {
    if (!n.trainable || n.shared) continue;
    for (const s of n.params) {
      const numel = s.reduce((a, d) => a * d, 1);
      trainable += numel;
      loraTensors.push({ numel, shape: s, count: 1, bytes: lora ? 4 : 4 });
    }
  }
  if (trainable === 0) throw new VramfitError("invalid_option", `no module of ${denoiserSpec.name} matches lora_targets '${w.lora_targets.join(",")}'`, { suggestion: "use module names such as to_q,to_k,to_v,to_out.0", details: { key: "lora_targets" } });
  // Text encoder LoRA (DreamBooth --train_text_encoder): adapters on q/k/v/out_proj of the CLIP encoders.
  let teSaved = 0;
  if (w.train_text_encoder && textEncoders.length) {
    for (const te of textEncoders.filter((t) => t.arch === "clip" || t.arch === "clip_proj")) {
      const teLora = lora ? { rank: w.text_encoder_lora_rank ?? w.lora_rank!, targets: new Set(["q_proj", "k_proj", "v_proj", "out_proj"]) } : undefined;
      const tg = textEncoderGraph(te, batch, 77, { precision: prec, eager: false, woFp32: false, lora: teLora, frozen: lora });
      teSaved += savedActivations(tg.graph).allocated;
      for (const n of tg.graph.nodes) if (n.trainable && !n.shared) for (const s of n.params) {
        const numel = s.reduce((a, d) => a * d, 1);
        trainable += numel;
        loraTensors.push({ numel, shape: s, count: 1, bytes: 4 });
      }
    }
  }
  const gradBytes = loraTensors.reduce((s, t) => s + allocatedSize(t.numel * t.bytes), 0);
  const opt = optimizerMemory(w.optimizer, "foreach", loraTensors);
  // Saved activations: whole graph, or with checkpointing the inputs of each checkpointed call plus one call recomputed.
  let saved: number;
  let backwardExtra: number;
  let at: string;
  if (w.checkpointing && built.segments.length) {
    const r = checkpointedSaved(g, built.segments);
    saved = r.saved;
    backwardExtra = r.recompute;
    at = `backward of ${r.at} (recomputed)`;
    assumptions.push("gradient checkpointing on every block: only block inputs stay saved; one block is recomputed at a time in backward");
  } else {
    const sa = savedActivations(g);
    const bw = backwardPeak(g, 4);
    saved = sa.allocated;
    backwardExtra = Math.max(0, bw.bytes - bw.gradBytes - sa.allocated);
    at = `backward at ${bw.at}`;
  }
  // No-grad passes that precede the step: VAE encode of the batch, text encoding.
  let pre = 0;
  let preAt = "";
  if (!w.cache_latents) {
    const encPrec: VisionPrecision = p.id.startsWith("sdxl") ? "fp32" : half;
    const eg = liveOf({ spec: vaeSpec, shape: ["enc", batch, w.image, encPrec] }, () => encoderGraph(vaeSpec, batch, w.image[0], w.image[1], { precision: encPrec, eager: false }));
    pre = eg.allocated;
    preAt = "vae encode";
  }
  const frozenWeights = all.reduce((s, r) => s + r.summary.bytes, 0);
  const loraWeights = lora ? gradBytes : 0;
  const components: Component[] = [];
  components.push(comp("weights", lora ? "Frozen weights" : "Weights", frozenWeights, all.map(weightFormat).join(" + ")));
  if (lora) components.push(comp("lora_weights", "LoRA adapters", loraWeights, `${trainable.toLocaleString("en-US")} trainable params × 4 B (fp32 adapters)`));
  components.push(comp("gradients", "Gradients", gradBytes, `${trainable.toLocaleString("en-US")} trainable params × 4 B`));
  if (opt.stateBytes > 0) components.push({ ...comp("optimizer_states", "Optimizer states", opt.stateBytes, opt.stateFormula), ...(opt.paged ? { level: "device" as const } : {}) });
  const stepPeak = Math.max(saved + teSaved + backwardExtra, pre, opt.stepTempBytes);
  if (stepPeak === pre && pre > saved + teSaved + backwardExtra) components.push(comp("activations", "Activations (VAE encode)", pre, `${preAt} of ${batch} images`));
  else {
    components.push(comp("activations", "Saved activations", saved + teSaved, `tensors autograd keeps for backward${teSaved ? " (incl. the text encoder's)" : ""}`));
    if (backwardExtra > 0) components.push(comp("backward_transients", "Backward transients", backwardExtra, at));
  }
  components.push(cublasWorkspaceComponent(gpu?.arch));
  components.push(comp("allocator_rounding", "Allocator segments", 0, "not modelled for training steps (fragmentation typically 0–15 %)", "reserved"));
  components.push(cudaContextComponent({ vendor: gpu?.vendor }));
  if (w.qlora) assumptions.push("QLoRA: the denoiser's nn.Linear weights in NF4 (bitsandbytes), adapters in fp32");
  if (w.precomputed_text_embeddings) assumptions.push("prompt embeddings precomputed: the text encoders are not on the GPU");
  if (w.cache_latents) assumptions.push("latents cached: the VAE is not on the GPU during the step");
  if (w.prior_preservation) assumptions.push(`prior preservation: instance and class images in one batch of ${batch}`);
  assumptions.push(`optimizer ${w.optimizer} on the trainable parameters; grad_accum ${w.grad_accum} does not change the peak`);
  const totals = totalsOf(components);
  return {
    model: modelOf(p, all),
    workload: echo(p, w) as unknown as Estimate["workload"],
    components,
    totals,
    ...(gpu ? { gpu: gpuFit(gpu, 1, totals) } : {}),
    peak: { phase: "training_step", description: `${denoiserSpec.name} ${at}` },
    warnings,
    assumptions,
    trainable_parameters: trainable,
    ...(lora ? { lora: { rank: w.lora_rank!, targets: w.lora_targets, trainable_parameters: trainable } } : {}),
  };
}

/** Saved bytes with checkpointed segments: storages saved outside segments + segment inputs, and the largest segment recomputed. */
function checkpointedSaved(g: VisionGraph, segments: BuiltGraph["segments"]): { saved: number; recompute: number; at: string } {
  const inSeg = new Array<number>(g.nodes.length).fill(-1);
  // Innermost segments win: later (nested) segments overwrite earlier outer ones only where they lie.
  const ordered = [...segments].sort((a, b) => b.end - b.start - (a.end - a.start));
  ordered.forEach((s) => {
    for (let i = s.start; i <= s.end; i++) inSeg[i] = segments.indexOf(s);
  });
  const outer = segments.filter((s) => !segments.some((o) => o !== s && o.start <= s.start && o.end >= s.end));
  const seen = new Set<number>();
  let saved = 0;
  const add = (st: number) => {
    if (seen.has(st)) return;
    seen.add(st);
    saved += allocatedSize(g.storages[st].bytes);
  };
  g.nodes.forEach((n, i) => {
    if (outer.some((s) => i >= s.start && i <= s.end)) return;
    for (const st of n.saved) add(st);
  });
  for (const s of outer) for (const st of s.inputs) add(st);
  let recompute = 0;
  let at = "";
  for (const s of outer) {
    const segSeen = new Set<number>();
    let bytes = 0;
    let biggest = 0;
    for (let i = s.start; i <= s.end; i++) {
      for (const st of g.nodes[i].saved) {
        if (segSeen.has(st)) continue;
        segSeen.add(st);
        bytes += allocatedSize(g.storages[st].bytes);
      }
      for (const t of g.nodes[i].outputs) biggest = Math.max(biggest, g.storages[g.tensors[t].storage].bytes);
    }
    // The recomputed block's saved tensors plus the gradients flowing through it (output and input grads).
    const total = bytes + 2 * allocatedSize(biggest);
    if (total > recompute) {
      recompute = total;
      at = g.nodes[s.start].name.split(".").slice(0, 2).join(".");
    }
  }
  return { saved, recompute, at };
}

export { linearWeightBytes };
