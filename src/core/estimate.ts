/**
 * estimate(): model + workload (+ GPU) → the Estimate object. Pure: no I/O. Front ends resolve files,
 * Hub ids and catalog ids into a ModelDescription first (or pass a catalog id / parameter count string).
 */
import { catalogModel, findCatalogModel } from "../catalog/models.js";
import { findGpu } from "../catalog/gpus.js";
import { modelFromParameterCount, parseParameterCount } from "../models/param-count.js";
import { VramfitError } from "./errors.js";
import type { Estimate } from "./estimate-types.js";
import { gpuFit, totalsOf } from "./fit.js";
import type { Gpu } from "./gpu.js";
import { transformersInference, type PartialEstimate } from "./inference.js";
import type { ModelDescription } from "./model.js";
import { isGgufQuant } from "./precision.js";
import { applyBand, bandFor, categoryOf, widen } from "./uncertainty.js";
import { parseWorkload, type Workload, type WorkloadInput } from "./workload.js";

export type EstimateOptions = WorkloadInput & {
  /** A GPU id from the catalog ("rtx-4090"), a size ("24gb"), or a Gpu object. */
  gpu?: string | Gpu;
  // Vision models (src/vision/): image size and training extras.
  /** 640 (square), [h, w], or "1333x800" (width × height). */
  image?: number | [number, number] | string;
  ema?: boolean;
  cudnn_benchmark?: boolean;
  classes?: number;
  max_boxes?: number;
};

/** Names other engines own (vision architectures), tried before the catalog. */
export type NameResolver = (spec: string) => ModelDescription | undefined;
const nameResolvers: NameResolver[] = [];
export function registerNameResolver(r: NameResolver): void {
  nameResolvers.push(r);
}
/** How an ONNX graph read from a file becomes a model description (the vision engine registers one). */
type OnnxToModel = (read: { model: ModelDescription; onnx: unknown }) => ModelDescription;
let onnxToModel: OnnxToModel | undefined;
export function registerOnnxToModel(fn: OnnxToModel): void {
  onnxToModel = fn;
}
export function defaultOnnxToModel(): OnnxToModel | undefined {
  return onnxToModel;
}

export function resolveRegisteredName(spec: string): ModelDescription | undefined {
  for (const r of nameResolvers) {
    const m = r(spec);
    if (m) return m;
  }
  return undefined;
}

/** Engines that other modules register (training, vision, runtime profiles) — keeps the core acyclic. */
export type Engine = (model: ModelDescription, w: Workload, gpu?: Gpu) => PartialEstimate;
const engines: { train?: Engine; runtimes: Partial<Record<string, Engine>>; family: Partial<Record<string, (model: ModelDescription, input: EstimateOptions, gpu?: Gpu) => Estimate>> } = {
  runtimes: {},
  family: {},
};

export function registerTrainingEngine(engine: Engine): void {
  engines.train = engine;
}
export function registerRuntimeEngine(runtime: string, engine: Engine, defaults?: RuntimeDefaults): void {
  engines.runtimes[runtime] = engine;
  if (defaults) runtimeDefaults[runtime] = defaults;
}

/** A runtime's own defaults for options the user left out (Ollama's context by VRAM, llama.cpp's f16 KV). */
export type RuntimeDefaults = (model: ModelDescription, gpu: Gpu | undefined, given: WorkloadInput) => Partial<WorkloadInput>;
const runtimeDefaults: Partial<Record<string, RuntimeDefaults>> = {};
export function registerFamilyEngine(family: string, engine: (model: ModelDescription, input: EstimateOptions, gpu?: Gpu) => Estimate): void {
  engines.family[family] = engine;
}

/** A catalog id, HF id in the catalog, or a parameter count → model description. */
export function resolveModelSync(spec: string | ModelDescription): ModelDescription {
  if (typeof spec !== "string") return spec;
  const registered = resolveRegisteredName(spec);
  if (registered) return registered;
  if (findCatalogModel(spec)) return catalogModel(spec);
  if (parseParameterCount(spec) != null) return modelFromParameterCount(spec);
  return catalogModel(spec); // throws "unknown model" with suggestions
}

export function resolveGpu(gpu: string | Gpu | undefined): Gpu | undefined {
  if (gpu === undefined) return undefined;
  return typeof gpu === "string" ? findGpu(gpu) : gpu;
}

export function estimate(modelSpec: string | ModelDescription, options: EstimateOptions = {}): Estimate {
  const model = resolveModelSync(modelSpec);
  const gpu = resolveGpu(options.gpu);
  const familyEngine = engines.family[model.family];
  if (familyEngine) return withBands(familyEngine(model, options, gpu), gpu, options.attention === undefined);
  if (!model.transformer) throw new VramfitError("unsupported", `${model.id}: no engine can estimate a ${model.family} model`);

  const { gpu: _gpu, ...workloadInput } = options;
  const inferred: string[] = [];
  if (workloadInput.runtime === undefined && (isGgufQuant(workloadInput.quant) || model.source.kind === "gguf") && engines.runtimes["llama.cpp"]) {
    workloadInput.runtime = "llama.cpp";
    inferred.push("runtime llama.cpp inferred from the GGUF quantization");
  }
  const runtime = workloadInput.runtime ?? "transformers";
  const own = runtimeDefaults[runtime]?.(model, gpu, workloadInput) ?? {};
  for (const [k, v] of Object.entries(own)) {
    if ((workloadInput as Record<string, unknown>)[k] === undefined) {
      (workloadInput as Record<string, unknown>)[k] = v;
      inferred.push(`${k} ${String(v)}: ${runtime}'s default`);
    }
  }
  const defaultSeq = Math.min(model.transformer.maxPositions || 4096, model.transformer.encoderOnly ? 512 : 4096);
  const w = parseWorkload(workloadInput, { seq: defaultSeq });
  validateWorkload(model, w);

  let part: PartialEstimate;
  if (w.mode === "train") {
    if (!engines.train) throw new VramfitError("unsupported", "training estimates are not available in this build");
    part = engines.train(model, w, gpu);
  } else if (w.runtime === "transformers") {
    part = transformersInference(model, w, gpu);
  } else {
    const engine = engines.runtimes[w.runtime];
    if (!engine) throw new VramfitError("unsupported", `runtime '${w.runtime}' is not available in this build`);
    part = engine(model, w, gpu);
  }
  const totals = totalsOf(part.components);
  const result: Estimate = {
    model: {
      id: model.id,
      hf_id: model.hfId,
      architecture: model.architecture,
      family: model.family,
      parameters: model.parameters,
      active_parameters: model.activeParameters,
      source: model.source,
    },
    workload: echoWorkload(w),
    components: part.components,
    totals,
    gpu: gpu ? gpuFit(gpu, w.gpus, totals) : undefined,
    peak: part.peak,
    warnings: [...model.warnings, ...part.warnings],
    assumptions: [...inferred, ...part.assumptions],
    ...(part.phases ? { phases: part.phases } : {}),
    ...(part.cpu_bytes ? { cpu_bytes: part.cpu_bytes } : {}),
    ...(part.trainable_parameters !== undefined ? { trainable_parameters: part.trainable_parameters } : {}),
    ...(part.lora ? { lora: part.lora } : {}),
    ...(part.extra ?? {}),
  };
  return withBands(result, gpu, workloadInput.attention === undefined && !model.transformer.encoderOnly);
}

/**
 * Adds the calibrated error band (per component and per total) and the three-way verdict. An attention
 * implementation the user did not state widens the band: SDPA may fall back to kernels that keep more.
 */
function withBands(e: Estimate, gpu: Gpu | undefined, attentionUnstated: boolean): Estimate {
  const category = categoryOf(e);
  let band = bandFor(category);
  if (attentionUnstated) band = widen(band, 1.25);
  e.totals = applyBand(e.components, e.totals, band);
  e.uncertainty = { category, cases: band.cases, source: band.source, ...(band.note ? { note: band.note } : {}) };
  if (gpu) e.gpu = gpuFit(gpu, (e.workload.gpus as number) ?? 1, e.totals);
  return e;
}

/** Keys that only mean something for one mode; the echo leaves out the other mode's defaults. */
const TRAIN_ONLY = ["precision", "optimizer", "optimizer_impl", "optimizer_in_backward", "checkpointing", "grad_accum", "zero_grad_set_to_none", "lora_rank", "lora_alpha", "lora_targets", "lora_dropout", "qlora", "offload", "loss", "effective_batch"];
const INFER_ONLY = ["kv_dtype", "logits"];
const LLAMA_CPP_ONLY = ["parallel", "kv_unified", "cache_type_k", "cache_type_v", "flash_attn", "swa_full", "ubatch_size", "batch_size", "n_gpu_layers"];

function echoWorkload(w: Workload): Workload {
  const drop = new Set(w.mode === "train" ? [...INFER_ONLY, ...LLAMA_CPP_ONLY] : TRAIN_ONLY);
  return Object.fromEntries(Object.entries(w).filter(([k]) => !drop.has(k))) as Workload;
}

function validateWorkload(model: ModelDescription, w: Workload): void {
  const shape = model.transformer!;
  if (shape.encoderOnly && w.seq > shape.maxPositions) {
    throw new VramfitError("does_not_run", `${model.id} is an encoder with ${shape.maxPositions} positions; --seq ${w.seq} is longer`);
  }
  // transformers and vLLM refuse (or silently degrade past) the trained context; llama.cpp only warns.
  if (shape.maxPositions > 0 && w.seq > shape.maxPositions && (w.runtime === "transformers" || w.runtime === "vllm")) {
    throw new VramfitError("does_not_run", `--seq ${w.seq} is longer than ${model.id}'s context of ${shape.maxPositions} tokens (max_position_embeddings)`, { suggestion: `use --seq ${shape.maxPositions} or less, or vramfit max-seq to find the longest that fits` });
  }
  if (w.quant && isGgufQuant(w.quant) && w.runtime === "transformers") {
    throw new VramfitError("does_not_run", `GGUF quantization '${w.quant}' runs in llama.cpp or Ollama, not transformers`, { suggestion: "add --runtime llama.cpp" });
  }
}
