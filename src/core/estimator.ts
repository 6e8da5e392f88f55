/**
 * createEstimator: a list of runtime profiles, training profiles and model families → estimate() and the
 * solvers. Pure: no I/O, no module-level state; src/profiles.ts holds the one list the library, the CLI
 * and the web page use, and tests can build an estimator from fakes.
 *
 * Flow for a transformer model: the runtime (named, claimed, or the first profile) → its defaults for
 * options left out → validation of every option → the runtime's (or, to train, the training profile's)
 * components → totals, error band, fit. Other families own their workload and return a full Estimate.
 */
import { applyBand, bandFor, widen } from "./uncertainty.js";
import { VramfitError, closest } from "./errors.js";
import type { Estimate } from "./estimate-types.js";
import { gpuFit, totalsOf } from "./fit.js";
import { gpuCapabilities, type Gpu } from "./gpu.js";
import type { ModelDescription, TransformerModel } from "./model.js";
import { inScope, mergeOptions, type MergedOption, type OptionScope, type OptionSpec } from "./options.js";
import type { EstimateInput, ModelFamily, PartialEstimate, RuntimeProfile, TrainingProfile } from "./profile.js";
import { leverForTight, maxBatch, maxImage, maxSeq, type Lever, type SolveResult } from "./solve.js";
import { COMMON_OPTIONS, parseWorkload, workloadSchema, type Workload, type WorkloadInput } from "./workload.js";

export interface EstimatorConfig {
  /** Inference runtimes; the first is the default. */
  runtimes: readonly RuntimeProfile<any>[];
  /** Training stacks; the first is the default. */
  training: readonly TrainingProfile<any>[];
  /** Families with their own engine (vision, ...). Transformers are the estimator's own. */
  families?: readonly ModelFamily<any>[];
  /** Names → model descriptions (catalog ids, built-in architectures, parameter counts). */
  resolveName?: (spec: string) => ModelDescription;
  /** GPU ids and sizes → Gpu. */
  resolveGpu?: (spec: string) => Gpu;
}

export interface Estimator {
  estimate(model: string | ModelDescription, options?: EstimateInput): Estimate;
  maxBatch(model: string | ModelDescription, options: EstimateInput, limit?: number): SolveResult;
  maxSeq(model: string | ModelDescription, options: EstimateInput, limit?: number): SolveResult;
  maxImage(model: string | ModelDescription, options: EstimateInput, step?: number, limitSide?: number): { image: [number, number]; central_image: [number, number] | null; estimate: Estimate | null };
  leverForTight(model: string | ModelDescription, options: EstimateInput): Lever | null;
  resolveModel(spec: string | ModelDescription): ModelDescription;
  resolveGpu(gpu: string | Gpu | undefined): Gpu | undefined;
  /** Every option of every profile, merged by key: what the CLI and the web page offer. */
  readonly options: readonly MergedOption[];
  readonly runtimes: readonly RuntimeProfile<any>[];
  readonly training: readonly TrainingProfile<any>[];
  readonly families: readonly ModelFamily<any>[];
}

export function createEstimator(config: EstimatorConfig): Estimator {
  const runtimes = config.runtimes;
  const training = config.training;
  const families = config.families ?? [];
  if (runtimes.length === 0 || training.length === 0) throw new Error("createEstimator needs at least one runtime and one training profile");
  for (const list of [runtimes, training, families] as const) {
    const ids = list.map((p) => p.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new Error(`createEstimator: two profiles named '${dup}'`);
  }
  const runtimeIds = runtimes.map((r) => r.id);
  const trainingIds = training.map((t) => t.id);
  const common = COMMON_OPTIONS.map((o) => (o.key === "runtime" && o.web ? { ...o, help: `${runtimeIds.join(" | ")} (default: ${runtimeIds[0]}, or the runtime a model file implies)`, web: { ...o.web, choices: runtimeIds } } : o));
  const frameworkOption: OptionSpec = {
    key: "framework", help: `train: ${trainingIds.join(" | ")} (default ${trainingIds[0]})`, group: "Training",
    cli: { arg: "string", flags: "--framework <name>" }, scope: { families: ["transformer"], modes: ["train"] },
    web: { label: "Framework", kind: "select", choices: trainingIds, def: trainingIds[0] },
  };
  const all: OptionSpec[] = [
    ...common,
    ...(training.length > 1 ? [frameworkOption] : []),
    ...training.flatMap((t) => t.options),
    ...runtimes.flatMap((r) => r.options),
    ...families.flatMap((f) => f.options),
  ];
  const options = mergeOptions(all);
  const optionByKey = new Map(options.map((o) => [o.key, o]));
  /**
   * What a transformer workload of one mode and runtime may carry, computed once per pair: the option keys in
   * scope there (checkStrict refuses the others, echo drops them) and the zod schema of those options alone
   * (zod's parse time grows with the keys).
   */
  const contexts = new Map<string, { inScope: Set<string>; schema: ReturnType<typeof workloadSchema> }>();
  const contextFor = (mode: "infer" | "train", runtime: string) => {
    const key = `${mode}|${runtime}`;
    let c = contexts.get(key);
    if (!c) {
      const ctx = { family: "transformer", mode, runtime };
      c = {
        inScope: new Set(options.filter((o) => o.variants.some((v) => inScope(v.scope, ctx))).map((o) => o.key)),
        schema: workloadSchema(all.filter((spec) => inScope(spec.scope, ctx))),
      };
      contexts.set(key, c);
    }
    return c;
  };

  const resolveModel = (spec: string | ModelDescription): ModelDescription => {
    if (typeof spec !== "string") return spec;
    if (!config.resolveName) throw new VramfitError("unsupported", `this estimator resolves no names: pass a model description for '${spec}'`);
    return config.resolveName(spec);
  };
  const resolveGpu = (gpu: string | Gpu | undefined): Gpu | undefined => {
    if (gpu === undefined) return undefined;
    if (typeof gpu !== "string") return gpu;
    if (!config.resolveGpu) throw new VramfitError("unsupported", `this estimator resolves no GPU names: pass a Gpu object for '${gpu}'`);
    return config.resolveGpu(gpu);
  };

  function pickRuntime(model: TransformerModel, input: WorkloadInput, inferred: string[]): RuntimeProfile<any> {
    if (input.runtime === undefined && input.mode !== "train") {
      for (const r of runtimes) {
        const reason = r.claims?.(model, input);
        if (reason) {
          inferred.push(reason);
          return r;
        }
      }
    }
    const id = (input.runtime as string | undefined) ?? runtimeIds[0];
    const r = runtimes.find((x) => x.id === id);
    if (!r) {
      const hint = closest(String(id), runtimeIds);
      throw new VramfitError("invalid_option", `unknown runtime '${String(id)}' (choose one of: ${runtimeIds.join(", ")})`, { suggestion: hint.length ? `did you mean ${hint[0]}?` : undefined, details: { key: "runtime" } });
    }
    return r;
  }

  /** The training profile named by `framework` (or an alias of it; the workload then echoes its id), else the first. */
  function pickTraining(input: WorkloadInput, inferred: string[]): TrainingProfile<any> {
    const given = input.framework;
    if (given === undefined || given === null) return training[0];
    const id = String(given);
    const profile = training.find((t) => t.id === id) ?? training.find((t) => t.aliases?.includes(id));
    if (!profile) {
      const hint = closest(id, trainingIds);
      throw new VramfitError("invalid_option", `unknown framework '${id}' (choose one of: ${trainingIds.join(", ")})`, { suggestion: hint.length ? `did you mean ${hint[0]}?` : undefined, details: { key: "framework" } });
    }
    if (profile.id !== id) {
      inferred.push(`framework ${id}: modelled as ${profile.id} (${profile.label})`);
      input.framework = profile.id;
    }
    return profile;
  }

  function estimateTransformer(model: TransformerModel, options: EstimateInput, gpu: Gpu | undefined): Estimate {
    const { gpu: _gpu, ...given } = options;
    const input: WorkloadInput = { ...given };
    const inferred: string[] = [];
    const runtime = pickRuntime(model, input, inferred);
    const train = input.mode === "train";
    const profile = train ? pickTraining(input, inferred) : undefined;
    if (profile?.defaults) {
      for (const [k, v] of Object.entries(profile.defaults(model, gpu, input))) {
        if (input[k] === undefined && v !== undefined) {
          input[k] = v;
          inferred.push(`${k} ${String(v)}: ${profile.id}'s default`);
        }
      }
    }
    if (!train) {
      for (const [k, v] of Object.entries(runtime.defaults?.(model, gpu, input) ?? {})) {
        if (input[k] === undefined) {
          input[k] = v;
          inferred.push(`${k} ${String(v)}: ${runtime.id}'s default`);
        }
      }
    }
    checkStrict(given, train ? "train" : "infer", runtime.id);
    if (gpu) applyGpuCapabilities(gpu, input, train, inferred);
    const shape = model.transformer;
    const defaultSeq = Math.min(shape.maxPositions || 4096, shape.encoderOnly ? 512 : 4096);
    const w = parseWorkload(contextFor(train ? "train" : "infer", runtime.id).schema, { ...input, runtime: runtime.id }, { seq: defaultSeq });
    checkContext(model, w, train ? undefined : runtime);

    let part: PartialEstimate;
    let category: string;
    let derived: Record<string, unknown> = {};
    if (train && profile) {
      derived = profile.derive?.(w) ?? {};
      part = profile.estimate(model, w, gpu);
      category = profile.category(w);
    } else {
      part = runtime.estimate(model, w, gpu);
      category = runtime.category;
    }
    const totals = totalsOf(part.components);
    const result: Estimate = {
      model: modelSummary(model),
      workload: { ...echo(w, train ? "train" : "infer", runtime.id), ...derived } as Estimate["workload"],
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
      ...(part.refusal ? { refusal: part.refusal } : {}),
      ...(part.capacity ? { capacity: part.capacity } : {}),
      ...(part.extra ?? {}),
    };
    return withBands(result, category, gpu, options.attention === undefined && !shape.encoderOnly);
  }

  /**
   * Strict options (issue #15, point 4): a key no profile declares is an error with a "did you mean", and a key
   * declared only for another runtime, mode or family (llama.cpp's flags under vLLM, --image on a language model)
   * is an error naming where it applies — never silently dropped.
   */
  function checkStrict(given: Record<string, unknown>, mode: "infer" | "train", runtime: string): void {
    const allowed = contextFor(mode, runtime).inScope;
    for (const [k, v] of Object.entries(given)) {
      if (v === undefined || k === "gpu" || allowed.has(k)) continue;
      const o = optionByKey.get(k);
      if (!o) {
        const hint = closest(k, [...optionByKey.keys()]);
        throw new VramfitError("invalid_option", `unknown option '${k}'`, { suggestion: hint.length ? `did you mean ${hint[0]}?` : "see estimator.options for the keys", details: { key: k } });
      }
      const where = o.variants.map((x) => scopeText(x.scope)).filter((x, i, a) => a.indexOf(x) === i).join("; ");
      throw new VramfitError("invalid_option", `${k} does not apply to ${mode === "train" ? "training" : `${runtime} inference`} of a language model (it is an option of ${where})`, { suggestion: mode === "infer" && o.variants.some((x) => x.scope?.runtimes?.length) ? `add --runtime ${o.variants.find((x) => x.scope?.runtimes?.length)!.scope!.runtimes![0]}, or leave it out` : "leave it out", details: { key: k } });
    }
  }

  /** The validated workload as echoed: the options that mean something for this mode and runtime. */
  function echo(w: Workload, mode: "infer" | "train", runtime: string): Workload {
    const kept = contextFor(mode, runtime).inScope;
    const out: Record<string, unknown> = {};
    // Keys no option declares (derived values such as effective_batch) pass through; another scope's options do not.
    for (const k in w) if (k === "runtime" || kept.has(k) || !optionByKey.has(k)) out[k] = w[k];
    return out as Workload;
  }

  function estimate(spec: string | ModelDescription, options: EstimateInput = {}): Estimate {
    const model = resolveModel(spec);
    const gpu = resolveGpu(options.gpu);
    if (model.family === "transformer") return estimateTransformer(model, options, gpu);
    const family = families.find((f) => f.id === model.family);
    if (!family) throw new VramfitError("unsupported", `${model.id}: no engine can estimate a ${model.family} model`, { suggestion: model.family === "generic" ? "give the model's config.json (or its folder) so its architecture is known" : undefined });
    const e = family.estimate(model, options, gpu);
    const category = e.uncertainty?.category ?? `${family.id}_${e.workload.mode === "train" ? "training" : "inference"}`;
    return withBands(e, category, gpu, options.attention === undefined);
  }

  const estimator: Estimator = {
    estimate,
    resolveModel,
    resolveGpu,
    maxBatch: (m, o, limit) => maxBatch(estimator, m, o, limit),
    maxSeq: (m, o, limit) => maxSeq(estimator, m, o, limit),
    maxImage: (m, o, step, side) => maxImage(estimator, m, o, step, side),
    leverForTight: (m, o) => leverForTight(estimator, m, o),
    options,
    runtimes,
    training,
    families,
  };
  return estimator;
}

function modelSummary(model: ModelDescription): Estimate["model"] {
  return {
    id: model.id,
    hf_id: model.hfId,
    architecture: model.architecture,
    family: model.family,
    parameters: model.parameters,
    active_parameters: model.activeParameters,
    source: model.source,
  };
}

/**
 * Sequences past the trained context: an encoder cannot take them; transformers and vLLM refuse them (or
 * silently degrade); llama.cpp only warns, so runtimes that allow it say so (`allowsLongContext`).
 */
function checkContext(model: TransformerModel, w: Workload, runtime: RuntimeProfile<any> | undefined): void {
  const shape = model.transformer;
  if (shape.encoderOnly && w.seq > shape.maxPositions) {
    throw new VramfitError("does_not_run", `${model.id} is an encoder with ${shape.maxPositions} positions; --seq ${w.seq} is longer`);
  }
  if (shape.maxPositions > 0 && w.seq > shape.maxPositions && !runtime?.allowsLongContext) {
    throw new VramfitError("does_not_run", `--seq ${w.seq} is longer than ${model.id}'s context of ${shape.maxPositions} tokens (max_position_embeddings)`, {
      suggestion: `use --seq ${shape.maxPositions} or less, or vramfit max-seq to find the longest that fits`,
      details: { key: "seq", max: shape.maxPositions },
    });
  }
}

/**
 * Adds the calibrated error band (per component and per total) and the three-way verdict. An attention
 * implementation the user did not state widens the band: SDPA may fall back to kernels that keep more.
 */
function withBands(e: Estimate, category: string, gpu: Gpu | undefined, attentionUnstated: boolean): Estimate {
  let band = bandFor(category);
  if (attentionUnstated) band = widen(band, 1.25);
  e.totals = applyBand(e.components, e.totals, band);
  e.uncertainty = { category, cases: band.cases, source: band.source, ...(band.note ? { note: band.note } : {}) };
  if (gpu) e.gpu = gpuFit(gpu, (e.workload.gpus as number) ?? 1, e.totals);
  // The engine's own refusal decides, whatever the memory totals say (issue #15: the verdict agrees with the engine).
  if (e.gpu && e.refusal) e.gpu = { ...e.gpu, fits: false, verdict: "does_not_fit", reason: e.refusal };
  return e;
}

/** Where an option applies, in words. */
function scopeText(scope: OptionScope | undefined): string {
  if (!scope) return "every model";
  const parts: string[] = [];
  if (scope.runtimes?.length) parts.push(scope.runtimes.join("/"));
  if (scope.modes?.length) parts.push(scope.modes.map((m) => (m === "train" ? "training" : "inference")).join("/"));
  if (scope.families?.length && !(scope.families.length === 1 && scope.families[0] === "transformer")) parts.push(`${scope.families.join("/")} models`);
  return parts.join(" ") || "every model";
}

/**
 * Defaults follow what the GPU can do, and an explicit request it cannot honour is refused (issue #15, point 5):
 * fp16 instead of bf16 before Ampere (T4, V100), no FlashAttention 2 there.
 */
function applyGpuCapabilities(gpu: Gpu, input: WorkloadInput, train: boolean, inferred: string[]): void {
  const cap = gpuCapabilities(gpu);
  const why = `${gpu.name} (compute capability ${gpu.compute_capability ?? "?"}) has no bf16`;
  if (!cap.bf16) {
    if (train && input.precision === undefined) {
      input.precision = "amp-fp16";
      inferred.push(`precision amp-fp16: ${why} (Trainer refuses bf16=True there)`);
    }
    if (input.dtype === undefined) {
      input.dtype = "fp16";
      inferred.push(`dtype fp16: ${why}`);
    } else if (input.dtype === "bf16" && !train) {
      // PyTorch runs bf16 there by emulation (same bytes, much slower); transformers' Trainer refuses bf16=True.
      inferred.push(`dtype bf16 as asked, though ${why}: PyTorch emulates it (same memory, slow); --dtype fp16 is native`);
    }
  }
  if (!cap.flashAttention2 && input.attention === "flash") {
    throw new VramfitError("does_not_run", `FlashAttention 2 does not run on ${gpu.name}: it needs an Ampere or newer NVIDIA GPU (compute capability 8.0+) or ROCm`, { suggestion: "use --attention sdpa (PyTorch picks its memory-efficient kernel there)", details: { key: "attention" } });
  }
}
