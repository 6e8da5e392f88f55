/**
 * estimateVision: the Estimate (src/core/estimate-types.ts) of a vision model at a batch and image size.
 *
 * Training step peak = max of (docs/research/mechanics.md §5 "When does the peak occur", §9.2):
 *   end of forward: weights + optimizer states + saved activations (+ autocast weight cache, EMA copy);
 *   backward:       weights + states + saved maps not yet freed + parameter grads so far + grad transients;
 *   optimizer step: weights + grads + states + the step's temporaries.
 * Inference peak: weights + the largest live-tensor set along execution order (mechanics §9.3).
 * Overheads: cuDNN workspace (approx, §9.4), cuBLAS workspace and CUDA context (src/core/overheads.ts),
 * allocator rounding (src/core/allocator.ts).
 */
import { allocatedSize, reservedForPersistent } from "../core/allocator.js";
import { isVramfitError, VramfitError } from "../core/errors.js";
import type { Component, Estimate } from "../core/estimate-types.js";
import { gpuFit, totalsOf } from "../core/fit.js";
import type { Gpu } from "../core/gpu.js";
import { cublasWorkspaceComponent, cudaContextComponent } from "../core/overheads.js";
import { optimizerMemory, type ParamTensor } from "../training/optimizers.js";
import { formatBytes } from "../core/units.js";
import { OPTIMIZER_IMPLS, OPTIMIZERS, type TrainingWorkload as Workload } from "../training/options.js";
import { backwardPeak, inferencePeak, savedActivations, trainingForwardPeak } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { VISION_PRECISIONS, graphParams, numelOf, trainableParams, type VisionGraph, type VisionPrecision } from "./graph.js";
import type { VisionModel } from "./registry.js";
import { engineComponents, parseEngine, type EngineSettings } from "./engines.js";
import type { Conventions } from "./models/types.js";

export interface VisionWorkloadInput {
  mode?: "infer" | "train";
  batch?: number;
  /** 640 (square), [h, w], or "1333x800" (width × height, as detection configs write it). */
  image?: number | [number, number] | string;
  precision?: VisionPrecision;
  /** Alias for a pure-dtype precision (`--dtype fp16` = model.half()); `precision` wins when both are set. */
  dtype?: "fp32" | "fp16" | "bf16";
  optimizer?: Workload["optimizer"];
  optimizer_impl?: Workload["optimizer_impl"];
  /** Attention for ViT-style models: fused SDPA (flash / memory-efficient) or eager (S×S kept). */
  attention?: "sdpa" | "flash" | "eager";
  /** torch.backends.cudnn.benchmark: steady state is the same; the first iteration can reserve far more. */
  cudnn_benchmark?: boolean;
  /** An fp32 EMA copy of the weights on the GPU (Ultralytics ModelEMA, MMEngine EMAHook). */
  ema?: boolean;
  /** Classes of the head (default: the published checkpoint's). */
  classes?: number;
  /** Detector training: most ground-truth boxes of one image in a batch (sizes the label assigner). */
  max_boxes?: number;
  /** Training framework whose conventions apply (norm, frozen stages, RoI counts). */
  framework?: string;
  norm?: "bn" | "syncbn" | "frozen_bn" | "gn";
  norm_eval?: boolean | "on" | "off";
  sync_bn?: boolean;
  frozen_stages?: number;
  resnet_style?: "pytorch" | "caffe";
  aux_head?: boolean | "on" | "off";
  keypoints?: number;
  stuff_classes?: number;
  cascade_stages?: number;
  /** MMYOLO's data-pipeline mask refinement: accepted, nothing on the GPU. */
  mask_refine?: boolean;
  num_queries?: number;
  checkpointing?: boolean;
  /** PyTorch version ("2.5", "1.13"): before 2.0 the engine follows torch 1.x op semantics. */
  torch_version?: string;
  /** GPUs of a data-parallel job (DDP keeps gradient buckets as large as the gradients). */
  gpus?: number;
  ddp_fp16_compression?: boolean;
  engine?: string;
  compile_mode?: string;
  arena_extend_strategy?: string;
  trt_workspace?: number;
  trt_version?: number;
}

/** Training frameworks whose conventions the vision family knows. */
export const VISION_FRAMEWORKS = ["pytorch", "torchvision", "timm", "mmdet", "mmseg", "mmyolo", "mmpretrain", "detectron2", "ultralytics", "ultralytics-yolov5", "transformers"] as const;

export interface VisionWorkload {
  mode: "infer" | "train";
  batch: number;
  image: [number, number];
  precision: VisionPrecision;
  optimizer: Workload["optimizer"];
  optimizer_impl: Workload["optimizer_impl"];
  attention: "sdpa" | "eager";
  cudnn_benchmark: boolean;
  ema: boolean;
  classes: number;
  max_boxes: number;
  conv: Conventions;
  torch1: boolean;
  gpus: number;
  ddp_fp16_compression: boolean;
  engine: EngineSettings;
}

const MAX_SIDE = 16384;

/** Parse "640", "1333x800" (W×H) or [h, w] into [h, w]. */
export function parseImageSize(v: number | [number, number] | string): [number, number] {
  let hw: [number, number];
  if (typeof v === "number") hw = [v, v];
  else if (Array.isArray(v)) hw = [v[0], v[1]];
  else {
    const m = /^\s*(\d+)\s*(?:[x×,]\s*(\d+))?\s*$/i.exec(v);
    if (!m) throw new VramfitError("invalid_option", `cannot read image size '${v}'`, { suggestion: "use --image 640 or --image 1333x800 (width x height)" });
    hw = m[2] ? [Number(m[2]), Number(m[1])] : [Number(m[1]), Number(m[1])];
  }
  for (const d of hw) {
    if (!Number.isSafeInteger(d) || d < 1 || d > MAX_SIDE) throw new VramfitError("invalid_option", `image side ${d} is out of range (1–${MAX_SIDE} pixels)`);
  }
  return hw;
}

function isParsed(input: VisionWorkloadInput | VisionWorkload): input is VisionWorkload {
  return typeof (input as VisionWorkload).engine === "object" && typeof (input as VisionWorkload).conv === "object";
}

export function parseVisionWorkload(model: VisionModel, input: VisionWorkloadInput | VisionWorkload = {}): VisionWorkload {
  // Parsing is idempotent: a parsed workload (max-batch and max-image vary its batch or image) passes through.
  if (isParsed(input)) return input;
  const batch = input.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 2 ** 20) throw new VramfitError("invalid_option", `batch must be a whole number from 1 to ${2 ** 20}, got ${batch}`);
  const precision = input.precision ?? input.dtype ?? (input.mode === "train" ? "amp-fp16" : "fp32");
  if (!VISION_PRECISIONS.includes(precision)) throw new VramfitError("invalid_option", `unknown precision '${precision}' (choose one of: ${VISION_PRECISIONS.join(", ")})`);
  const optimizer = input.optimizer ?? "sgd-momentum";
  if (!(OPTIMIZERS as readonly string[]).includes(optimizer)) throw new VramfitError("invalid_option", `unknown optimizer '${optimizer}' (choose one of: ${OPTIMIZERS.join(", ")})`);
  const impl = input.optimizer_impl ?? "foreach";
  if (!(OPTIMIZER_IMPLS as readonly string[]).includes(impl)) throw new VramfitError("invalid_option", `unknown optimizer_impl '${impl}'`);
  const classes = input.classes ?? model.classes;
  if (!Number.isSafeInteger(classes) || classes < 1 || classes > 1e6) throw new VramfitError("invalid_option", `classes must be a whole number from 1 to 1000000, got ${classes}`);
  const attention = input.attention === "eager" ? "eager" : input.attention ? "sdpa" : (model.attention ?? "sdpa");
  const mode = input.mode ?? "infer";
  const fw = input.framework;
  if (fw != null && !(VISION_FRAMEWORKS as readonly string[]).includes(fw)) throw new VramfitError("invalid_option", `unknown vision framework '${fw}' (choose one of: ${VISION_FRAMEWORKS.join(", ")})`, { details: { key: "framework" } });
  const onoff = (v: boolean | string | undefined, key: string) => {
    if (v == null) return undefined;
    if (v === true || v === "on") return true;
    if (v === false || v === "off") return false;
    throw new VramfitError("invalid_option", `${key} must be on or off, got '${v}'`, { details: { key } });
  };
  const normIn = input.norm ?? (input.sync_bn ? "syncbn" : undefined);
  if (normIn != null && !["bn", "syncbn", "frozen_bn", "gn"].includes(normIn)) throw new VramfitError("invalid_option", `norm must be bn, syncbn, frozen_bn or gn, got '${normIn}'`, { details: { key: "norm" } });
  const fs = input.frozen_stages;
  if (fs != null && (!Number.isSafeInteger(fs) || fs < -1 || fs > 4)) throw new VramfitError("invalid_option", `frozen_stages must be a whole number from -1 to 4, got ${fs}`, { details: { key: "frozen_stages" } });
  if (input.resnet_style != null && input.resnet_style !== "pytorch" && input.resnet_style !== "caffe") throw new VramfitError("invalid_option", `resnet_style must be pytorch or caffe, got '${input.resnet_style}'`, { details: { key: "resnet_style" } });
  const tv = input.torch_version ?? "2";
  if (!/^\d+(\.\d+){0,2}$/.test(tv)) throw new VramfitError("invalid_option", `torch_version must look like 2.5 or 1.13, got '${tv}'`, { details: { key: "torch_version" } });
  const gpus = input.gpus ?? 1;
  if (!Number.isSafeInteger(gpus) || gpus < 1 || gpus > 65536) throw new VramfitError("invalid_option", `gpus must be a whole number from 1 to 65536, got ${gpus}`, { details: { key: "gpus" } });
  const conv: Conventions = {
    ...(fw ? { framework: fw } : {}),
    ...(normIn ? { norm: normIn as Conventions["norm"] } : {}),
    ...(onoff(input.norm_eval, "norm_eval") != null ? { normEval: onoff(input.norm_eval, "norm_eval") } : {}),
    ...(fs != null ? { frozenStages: fs } : {}),
    ...(input.resnet_style ? { style: input.resnet_style } : {}),
    ...(onoff(input.aux_head, "aux_head") != null ? { auxHead: onoff(input.aux_head, "aux_head") } : {}),
    ...(input.keypoints != null ? { keypoints: positive(input.keypoints, "keypoints") } : {}),
    ...(input.num_queries != null ? { numQueries: positive(input.num_queries, "num_queries") } : {}),
    ...(input.stuff_classes != null ? { stuffClasses: positive(input.stuff_classes, "stuff_classes") } : {}),
    ...(input.cascade_stages != null ? { cascadeStages: Math.min(positive(input.cascade_stages, "cascade_stages"), 10) } : {}),
    ...(input.checkpointing ? { checkpointing: true } : {}),
  };
  const image = parseImageSize(input.image ?? model.default_image);
  return {
    mode,
    batch,
    image,
    precision,
    optimizer,
    optimizer_impl: impl,
    attention,
    cudnn_benchmark: input.cudnn_benchmark ?? false,
    ema: input.ema ?? false,
    classes,
    max_boxes: positive(input.max_boxes ?? 100, "max_boxes"),
    conv,
    torch1: Number(tv.split(".")[0]) < 2,
    gpus,
    ddp_fp16_compression: input.ddp_fp16_compression ?? false,
    engine: parseEngine({ ...input, mode }),
  };
}

function positive(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1 || v > 1e5) throw new VramfitError("invalid_option", `${what} must be a whole number from 1 to 100000, got ${v}`);
  return v;
}

/** Build the layer graph of `model` for a workload. */
export function visionGraph(model: VisionModel, w: VisionWorkload, opts: { torch1?: boolean } = {}): VisionGraph {
  const b = new GraphBuilder(w.precision, { torch1: opts.torch1 ?? w.torch1 });
  const x = b.input(model.inputShape ? model.inputShape(w) : [w.batch, 3, w.image[0], w.image[1]]);
  const outs = model.build(b, x, { training: w.mode === "train", attention: w.attention, classes: w.classes, maxBoxes: w.max_boxes, conv: w.conv });
  return b.finish(outs);
}

function paramTensors(g: VisionGraph, onlyTrainable: boolean): ParamTensor[] {
  const out: ParamTensor[] = [];
  for (const n of g.nodes) {
    if (n.shared || (onlyTrainable && !n.trainable)) continue;
    for (const p of n.params) out.push({ numel: numelOf(p), shape: p, count: 1, bytes: g.paramBytes });
  }
  return out;
}

const sumAlloc = (ts: ParamTensor[], bytesPer?: number) => ts.reduce((s, t) => s + allocatedSize(t.numel * (bytesPer ?? t.bytes)), 0);
const reservedExtra = (ts: ParamTensor[], bytesPer?: number) =>
  reservedForPersistent(ts.map((t) => ({ bytes: t.numel * (bytesPer ?? t.bytes), count: 1 }))) - sumAlloc(ts, bytesPer);

function comp(id: string, label: string, bytes: number, formula: string, level: Component["level"] = "allocated"): Component {
  return { id, label, bytes, formula, level };
}

export function estimateVision(model: VisionModel, workloadInput: VisionWorkloadInput | VisionWorkload, gpu?: Gpu): Estimate {
  // Parsing is idempotent: a parsed VisionWorkload is also a valid input.
  const w = parseVisionWorkload(model, workloadInput);
  const g = visionGraph(model, w);
  const params = graphParams(g);
  const trainable = trainableParams(g);
  const all = paramTensors(g, false);
  const train = w.mode === "train";
  const pb = g.paramBytes;
  const amp = w.precision.startsWith("amp-");
  const warnings: string[] = [];
  const assumptions: string[] = [];
  const components: Component[] = [];

  components.push(comp("weights", "Weights", sumAlloc(all), `${params.toLocaleString("en-US")} params × ${pb} B (${w.precision === "fp32" || amp ? "fp32" : w.precision})`));
  // Autocast caches the 16-bit copy of every conv/linear weight for the autocast region (mechanics §5).
  if (amp) {
    const castable = g.nodes.filter((n) => !n.shared && (n.op === "conv2d" || n.op === "linear" || n.op === "conv_transpose2d")).reduce((s, n) => s + allocatedSize(numelOf(n.params[0]) * 2), 0);
    components.push(comp("autocast_cache", "Autocast weight cache", castable, "16-bit copies of conv/linear weights cached by torch.autocast (2 B × weight elements)"));
  }
  if (train && w.ema) components.push(comp("ema", "EMA weights", sumAlloc(all, 4), "fp32 exponential-moving-average copy of the model (ModelEMA / EMAHook)"));

  let peak: Estimate["peak"];
  let activationReserved = 0;
  const conv = g.nodes.reduce((m, n) => Math.max(m, n.workspaceBytes ?? 0), 0);

  if (train) {
    const trainTensors = paramTensors(g, true);
    const opt = optimizerMemory(w.optimizer, w.optimizer_impl, trainTensors);
    const gradBytes = sumAlloc(trainTensors);
    if (opt.stateBytes > 0) components.push({ ...comp("optimizer_states", "Optimizer states", opt.stateBytes, opt.stateFormula), ...(opt.paged ? { level: "device" as const } : {}) });
    const saved = savedActivations(g);
    const bwd = backwardPeak(g, pb);
    const fwd = trainingForwardPeak(g);
    const fwdEnd = fwd.allocated;
    const step = gradBytes + opt.stepTempBytes;
    const phase = Math.max(fwdEnd, bwd.bytes, step);
    if (phase === step && step >= bwd.bytes) {
      // The autocast cache is freed when the autocast region exits, before optimizer.step().
      const cache = components.findIndex((c) => c.id === "autocast_cache");
      if (cache >= 0) components.splice(cache, 1);
      components.push(comp("gradients", "Gradients", gradBytes, `${trainable.toLocaleString("en-US")} trainable params × ${pb} B`));
      if (opt.stepTempBytes > 0) components.push(comp("optimizer_step", "Optimizer step temporaries", opt.stepTempBytes, opt.stepTempFormula));
      peak = { phase: "optimizer_step", description: "optimizer.step(): weights, all gradients, optimizer states and the step's temporaries" };
    } else if (bwd.bytes >= fwdEnd) {
      const savedLive = bwd.bytes - bwd.gradBytes - bwd.transientBytes;
      components.push(comp("activations", "Saved activations (live in backward)", savedLive, `tensors autograd saved for backward and not yet freed at ${bwd.at} (of ${formatBytes(saved.allocated)} saved in forward)`));
      components.push(comp("gradients", "Gradients (so far)", bwd.gradBytes, `parameter gradients accumulated by backward down to ${bwd.at}`));
      components.push(comp("activation_grads", "Activation gradients", bwd.transientBytes, "gradient of the op's output and of its input(s) while it runs backward (approx)"));
      peak = { phase: "backward", description: `backward at ${bwd.at}` };
    } else {
      components.push(comp("activations", "Saved activations", saved.allocated, savedFormula(saved.byOp)));
      if (fwd.allocated > saved.allocated)
        components.push(comp("forward_temporaries", "Forward temporaries", fwd.allocated - saved.allocated, `tensors live at ${fwd.at} that backward does not keep (loss, assigner, op outputs in flight)`));
      peak = { phase: "forward", description: `forward at ${fwd.at}: tensors saved for backward so far plus that op's temporaries, no gradients yet (zero_grad(set_to_none=True))` };
    }
    activationReserved = reservedForPersistent(saved.storages.map((s) => ({ bytes: g.storages[s].bytes, count: 1 }))) - saved.allocated;
    assumptions.push(`optimizer ${w.optimizer} (${w.optimizer_impl}); states exist from the first step on (steady state)`);
    if (w.gpus > 1) {
      // torch DistributedDataParallel allocates flat bucket tensors for every trainable gradient at construction
      // (Reducer::initialize_buckets); with gradient_as_bucket_view=False (the default, and what MMEngine,
      // detectron2 and Ultralytics pass) the .grad tensors are separate, so the buckets are a second copy:
      // "the saved memory size will be equal to the total gradients size" (DistributedDataParallel docs).
      components.push(comp("ddp_buckets", "DDP gradient buckets", gradBytes, `DistributedDataParallel buckets on each of ${w.gpus} GPUs: one copy of the ${trainable.toLocaleString("en-US")} trainable gradients (gradient_as_bucket_view=False)`));
      if (w.ddp_fp16_compression) assumptions.push("DDP fp16 compression hook: one fp16 copy of a 25 MiB bucket in flight (not itemised)");
    }
  } else {
    const live = inferencePeak(g);
    components.push(comp("activations", "Live activations (peak)", live.allocated, `largest set of live tensors along execution order, at ${live.at} (input batch and outputs included)`));
    peak = { phase: "forward", description: `inference forward at ${live.at}` };
    activationReserved = reservedForPersistent(live.live.map((s) => ({ bytes: g.storages[s].bytes, count: 1 }))) - live.allocated;
  }

  components.push(
    comp(
      "cudnn_workspace",
      "cuDNN workspace",
      allocatedSize(conv),
      "(approx) largest feature map of any convolution: algorithms' scratch is allocated per call on top of live tensors (mechanics §9.4)",
    ),
  );
  if (w.cudnn_benchmark) warnings.push("cudnn.benchmark=True: the first iteration tries algorithms with large workspaces; reserved memory can rise well above this steady-state estimate");
  components.push(cublasWorkspaceComponent(gpu?.arch));

  // Reserved beyond allocated: segment rounding of the persistent tensors and of the activation peak.
  let persistentExtra = reservedExtra(all);
  if (train) persistentExtra += reservedExtra(paramTensors(g, true)) * (w.optimizer === "adamw" || w.optimizer === "adam" ? 3 : 2);
  components.push(comp("allocator_rounding", "Allocator segments", Math.max(0, persistentExtra + activationReserved), "caching-allocator segment rounding (2 MiB small-pool and 20 MiB mid-size segments, 2 MiB large rounding) of persistent tensors and the peak live set", "reserved"));
  if (train) assumptions.push("reserved − allocated fragmentation beyond segment rounding is not modelled (typically 0–15 %)");
  components.push(cudaContextComponent({ vendor: gpu?.vendor }));
  if (!train && w.engine.engine !== "pytorch") {
    const replaced = engineComponents(g, components, w.engine, assumptions);
    components.splice(0, components.length, ...replaced);
  }

  for (const c of components)
    if (!Number.isSafeInteger(c.bytes)) throw new VramfitError("invalid_option", `${c.label} of this workload is beyond exact integer range (${c.bytes} B)`, { suggestion: "use a smaller batch or image" });
  const totals = totalsOf(components);
  const dtype = w.precision === "fp32" ? "fp32" : w.precision.endsWith("bf16") ? "bf16" : "fp16";
  if (train && g.nodes.some((n) => n.op === "assigner" || n.op === "anchor_matching_iou"))
    assumptions.push(`label assignment sized for ${w.max_boxes} ground-truth boxes in the busiest image of a batch (max_boxes)`);
  assumptions.push(w.torch1 ? "PyTorch 1.x op semantics (nn.MultiheadAttention keeps the S×S probabilities, pools save their input)" : "PyTorch ≥ 2.0 op semantics (fused N-D linear, SDPA in nn.MultiheadAttention)");
  const approxNodes = [...new Set(g.nodes.filter((n) => n.approx).map((n) => n.op))];
  if (approxNodes.length) assumptions.push(`labelled approximations: ${approxNodes.join(", ")}`);
  if (model.published_params != null && w.classes === model.classes && params !== model.published_params && model.family !== "vit")
    warnings.push(`graph has ${params} parameters, published ${model.published_params}`);
  return {
    model: {
      id: model.id,
      architecture: `${model.architecture} [${model.family}]`,
      family: "vision",
      parameters: params,
      active_parameters: params,
      source: { kind: model.source_kind ?? "vision-builtin", ref: model.id, origin: model.params_source },
    },
    workload: {
      // The shared workload keys that apply to a vision job (LLM-only keys such as seq, quant, lora_* are left out).
      mode: w.mode,
      batch: w.batch,
      dtype,
      precision: w.precision,
      ...(train ? { optimizer: w.optimizer, optimizer_impl: w.optimizer_impl } : {}),
      attention: w.attention,
      gpus: 1,
      effective_batch: w.batch,
      image: w.image,
      classes: w.classes,
      ...(train ? { ema: w.ema, max_boxes: w.max_boxes } : {}),
      cudnn_benchmark: w.cudnn_benchmark,
      ...workloadEcho(isParsed(workloadInput) ? {} : workloadInput, w),
    } as unknown as Estimate["workload"],
    components,
    totals,
    ...(gpu ? { gpu: gpuFit(gpu, 1, totals) } : {}),
    peak,
    warnings,
    assumptions,
  };
}

/** The framework and engine options the user gave, echoed in the workload (snake_case keys). */
function workloadEcho(input: VisionWorkloadInput, w: VisionWorkload): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["framework", "norm", "norm_eval", "sync_bn", "frozen_stages", "resnet_style", "aux_head", "keypoints", "stuff_classes", "cascade_stages", "mask_refine", "num_queries", "checkpointing", "torch_version", "ddp_fp16_compression"] as const)
    if (input && (input as Record<string, unknown>)[k] !== undefined) out[k] = (input as Record<string, unknown>)[k];
  if (w.gpus > 1) out.gpus = w.gpus;
  if (w.mode === "infer") {
    out.engine = w.engine.engine;
    if (w.engine.engine === "compile") out.compile_mode = w.engine.compile_mode;
    if (w.engine.engine === "onnxruntime") out.arena_extend_strategy = w.engine.arena_extend_strategy;
    if (w.engine.engine === "tensorrt") out.trt_version = w.engine.trt_version;
  }
  return out;
}

function savedFormula(byOp: Record<string, number>): string {
  const top = Object.entries(byOp)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([op, b]) => `${op} ${formatBytes(b)}`);
  return `distinct storages autograd saves for backward (each once): ${top.join(", ")}${Object.keys(byOp).length > 4 ? ", …" : ""}`;
}

// ---- questions users ask -----------------------------------------------------------------

function fitsOn(model: VisionModel, w: VisionWorkload, gpu: Gpu): boolean {
  const e = estimateVision(model, w, gpu);
  return e.gpu!.fits;
}

/** Largest batch that fits on `gpu` at the workload's image size (0 when even batch 1 does not). */
export function visionMaxBatch(model: VisionModel, workload: VisionWorkloadInput, gpu: Gpu, limit = 1 << 16): { batch: number; estimate?: Estimate } {
  const w = parseVisionWorkload(model, workload);
  if (!fitsOn(model, { ...w, batch: 1 }, gpu)) return { batch: 0 };
  let lo = 1;
  let hi = 2;
  while (hi <= limit && fitsOn(model, { ...w, batch: hi }, gpu)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, limit + 1);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fitsOn(model, { ...w, batch: mid }, gpu)) lo = mid;
    else hi = mid;
  }
  return { batch: lo, estimate: estimateVision(model, { ...w, batch: lo }, gpu) };
}

/**
 * Largest image that fits at the workload's batch, keeping its aspect ratio, the long side a multiple
 * of `step` (32: the stride of most detectors). Returns [0, 0] when even `step` pixels do not fit.
 */
export function visionMaxImage(model: VisionModel, workload: VisionWorkloadInput, gpu: Gpu, step = 32): { image: [number, number]; estimate?: Estimate } {
  if (model.fixed_image) {
    const [h, wd] = model.fixed_image;
    throw new VramfitError("unsupported", `${model.id} takes only ${wd}x${h} images (its ONNX input has fixed height and width): there is no larger image to search for`, {
      suggestion: "vramfit estimate answers whether that size fits; max-batch finds the largest batch",
    });
  }
  const w = parseVisionWorkload(model, workload);
  const [h0, w0] = w.image;
  const ratio = h0 / w0;
  const at = (k: number): [number, number] => (ratio <= 1 ? [Math.max(step, Math.round((k * step * ratio) / step) * step), k * step] : [k * step, Math.max(step, Math.round((k * step) / ratio / step) * step)]);
  const ok = (k: number) => {
    try {
      return fitsOn(model, { ...w, image: at(k) }, gpu);
    } catch (e) {
      // Sizes the architecture cannot take (not a multiple of the patch or stride) are not answers.
      if (isVramfitError(e, "invalid_option")) return false;
      throw e;
    }
  };
  // The smallest image a model accepts (ViT needs multiples of its patch, detectors of 32).
  let lo = 0;
  for (let k = 1; k <= 8 && lo === 0; k++) if (ok(k)) lo = k;
  if (lo === 0) return { image: [0, 0] };
  const maxK = Math.floor(MAX_SIDE / step);
  let hi = lo * 2;
  while (hi <= maxK && ok(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, maxK + 1);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return { image: at(lo), estimate: estimateVision(model, { ...w, image: at(lo) }, gpu) };
}

export interface VisionSweepRow {
  image: [number, number];
  batch: number;
  allocated_bytes: number;
  reserved_bytes: number;
  device_bytes: number;
  fits?: boolean;
  /** Largest batch that fits at this image size (when a GPU is given and `maxBatch` asked). */
  max_batch?: number;
}

/** Memory at each image size (`vramfit sweep --image 320,640,960,1280`). */
export function visionSweep(model: VisionModel, workload: VisionWorkloadInput, images: Array<number | [number, number] | string>, gpu?: Gpu, opts: { maxBatch?: boolean } = {}): VisionSweepRow[] {
  return images.map((im) => {
    const e = estimateVision(model, { ...workload, image: parseImageSize(im) }, gpu);
    const row: VisionSweepRow = {
      image: parseImageSize(im),
      batch: workload.batch ?? 1,
      allocated_bytes: e.totals.allocated_bytes,
      reserved_bytes: e.totals.reserved_bytes,
      device_bytes: e.totals.device_bytes,
    };
    if (gpu) row.fits = e.gpu!.fits;
    if (gpu && opts.maxBatch) row.max_batch = visionMaxBatch(model, { ...workload, image: parseImageSize(im) }, gpu).batch;
    return row;
  });
}

