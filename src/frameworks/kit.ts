/**
 * A training framework as a TrainingProfile: its defaults for options the user left out, the mechanisms it switches
 * on in the shared engine (src/training/mechanisms.ts), the single changes it can make to a workload that does not
 * fit, and — when the job spans several GPUs (DeepSpeed ZeRO, FSDP, DDP) — the per-GPU answer from the planner's
 * sharding arithmetic (src/planner/per-rank.ts) applied to the framework's own single-GPU step.
 */
import { VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import type { TransformerModel } from "../core/model.js";
import type { OptionSpec } from "../core/options.js";
import { isGgufQuant } from "../core/precision.js";
import type { Lever, PartialEstimate, TrainingProfile } from "../core/profile.js";
import { formatBytes } from "../core/units.js";
import type { WorkloadInput } from "../core/workload.js";
import { perRankTraining } from "../planner/per-rank.js";
import type { OffloadTarget, TrainingConfig } from "../planner/types.js";
import type { DataParallel } from "../planner/zero.js";
import { trainingEstimate } from "../training/engine.js";
import { DEFAULT_MECHANISMS, type FrameworkMechanisms } from "../training/mechanisms.js";
import type { TrainingOptions, TrainingWorkload } from "../training/options.js";

/** Changes a framework can make to a workload that does not fit; each profile lists those it supports. */
export const LEVER_IDS = ["checkpointing", "activation_offload", "liger", "chunked_loss", "adamw_8bit", "paged_adamw_8bit", "optimizer_in_backward", "lora", "qlora", "micro_batch", "zero3", "fsdp"] as const;
export type LeverId = (typeof LEVER_IDS)[number];

export interface FrameworkSpec {
  id: string;
  label: string;
  /** The version whose code the profile follows, and the note that cites it. */
  version: string;
  doc: string;
  aliases?: readonly string[];
  /** Only the default profile declares the shared training options; others add their own keys, if any. */
  options?: readonly OptionSpec[];
  /** The framework's defaults for options the user left out. */
  defaults?(model: TransformerModel, given: WorkloadInput, gpu?: Gpu): Partial<WorkloadInput>;
  /** What the framework switches on in the shared engine. */
  mechanisms?: Partial<FrameworkMechanisms> | ((w: TrainingWorkload) => Partial<FrameworkMechanisms>);
  /** A last adjustment of the validated workload (LLaMA-Factory pads to a multiple of 8). */
  adjust?(w: TrainingWorkload): TrainingWorkload;
  /** Framework-specific lines for the assumptions. */
  notes?(w: TrainingWorkload): string[];
  /** The single changes this framework can make, in order of preference. */
  levers: readonly LeverId[];
}

/** The sharding a workload asks for: a ZeRO stage, an FSDP strategy, or plain DDP over several GPUs. */
export interface Sharding {
  strategy: DataParallel;
  /** Ranks the model states are sharded over. */
  shardRanks: number;
  offload: OffloadTarget;
  label: string;
}

export function shardingOf(w: TrainingWorkload): Sharding | null {
  const gpus = w.gpus;
  const perNode = Math.min(gpus, 8);
  let strategy: DataParallel;
  let label: string;
  let shardRanks = gpus;
  if (w.zero_stage != null) {
    strategy = w.zero_stage === 0 ? "ddp" : (`zero${w.zero_stage}` as DataParallel);
    label = `DeepSpeed ZeRO-${w.zero_stage}`;
  } else if (w.fsdp != null) {
    switch (w.fsdp) {
      case "full_shard":
        strategy = "fsdp_full";
        break;
      case "shard_grad_op":
        strategy = "fsdp_grad_op";
        break;
      case "hybrid_shard":
        strategy = "fsdp_hybrid";
        break;
      case "hybrid_shard_zero2":
        // SHARD_GRAD_OP inside a node, replicated across nodes (docs/frameworks/fsdp.md).
        strategy = "fsdp_grad_op";
        shardRanks = perNode;
        break;
      case "no_shard":
        strategy = "ddp";
        break;
    }
    label = `FSDP ${w.fsdp.toUpperCase()}`;
  } else if (gpus > 1) {
    strategy = "ddp";
    label = "DDP (no sharding asked for: every GPU holds the whole model)";
  } else return null;
  let offload: OffloadTarget = "none";
  const asked = w.offload !== "none" ? w.offload : w.cpu_offload ? "optimizer+params" : "none";
  if (asked !== "none") {
    const paramsShardable = strategy === "zero3" || strategy === "fsdp_full" || strategy === "fsdp_hybrid";
    if (strategy.startsWith("fsdp")) {
      // FSDP's CPUOffload(offload_params=True) moves parameters, gradients and the optimizer step together.
      if (!paramsShardable) throw new VramfitError("unsupported", `FSDP CPU offload with ${w.fsdp} is not modelled`, { suggestion: "use --fsdp full_shard with offload, or no offload" });
      offload = "optimizer+params";
    } else if (asked === "optimizer") {
      if (strategy === "ddp") throw new VramfitError("does_not_run", "DeepSpeed offloads the optimizer from ZeRO stage 1 on; stage 0 / DDP cannot", { suggestion: "use --zero-stage 2 with --offload optimizer" });
      offload = "optimizer";
    } else {
      if (!paramsShardable) throw new VramfitError("does_not_run", "parameter offload needs ZeRO-3 (offload_param) or FSDP full shard", { suggestion: "use --zero-stage 3, or --offload optimizer" });
      offload = "optimizer+params";
    }
  }
  return { strategy, shardRanks, offload, label };
}

function mechanismsOf(spec: FrameworkSpec, w: TrainingWorkload): FrameworkMechanisms {
  const m = typeof spec.mechanisms === "function" ? spec.mechanisms(w) : spec.mechanisms;
  return { ...DEFAULT_MECHANISMS, ...m, kernels: { ...DEFAULT_MECHANISMS.kernels, ...m?.kernels } };
}

/** One training step on the GPUs the workload names: per GPU, sharded when it spans several. */
export function frameworkEstimate(spec: FrameworkSpec, model: TransformerModel, given: TrainingWorkload, gpu?: Gpu): PartialEstimate {
  if (given.quant && isGgufQuant(given.quant)) {
    throw new VramfitError("does_not_run", `GGUF quantization '${given.quant}' runs in llama.cpp or Ollama, which do not train`, { suggestion: "train with --qlora, or LoRA on --quant nf4 / int8" });
  }
  const adjusted0 = spec.adjust ? spec.adjust(given) : given;
  // prepare_model_for_kbit_training: the non-quantized parameters of a quantized base become fp32 (options.ts).
  const quantizedBase = adjusted0.qlora || adjusted0.quant === "nf4" || adjusted0.quant === "fp4" || adjusted0.quant === "int8";
  const adjusted = adjusted0.kbit_fp32_upcast && quantizedBase ? { ...adjusted0, dtype: "fp32" as const } : adjusted0;
  const w = { ...adjusted, effective_batch: adjusted.batch * adjusted.grad_accum * adjusted.gpus };
  const mech = mechanismsOf(spec, w);
  const head = `${spec.label} ${spec.version} (${spec.doc})`;
  const sharding = shardingOf(w);
  if (!sharding) {
    const one = w.offload === "none" && w.cpu_offload ? { ...w, offload: "optimizer+params" as const } : w;
    const r = trainingEstimate(model, one, gpu, mech);
    return { ...r, assumptions: [`framework: ${head}`, ...(spec.notes?.(w) ?? []), ...r.assumptions] };
  }
  // The framework's own step on one GPU for one micro-batch, then the planner's per-rank arithmetic.
  const base = trainingEstimate(model, { ...w, gpus: 1, offload: "none", cpu_offload: false }, gpu, mech);
  const lora = w.lora_rank != null || w.qlora;
  const c: TrainingConfig = {
    dataParallel: sharding.strategy,
    dp: sharding.shardRanks,
    tp: 1,
    pp: 1,
    ep: 1,
    cp: 1,
    microBatch: w.batch,
    gradAccum: w.grad_accum,
    checkpointing: w.checkpointing,
    precision: w.precision,
    optimizer: w.optimizer,
    method: w.qlora ? "qlora" : lora ? "lora" : "full",
    loraRank: w.lora_rank ?? 8,
    offload: sharding.offload,
    offloadDevice: "cpu",
    gpusPerNode: Math.min(w.gpus, 8),
    fsdpNoSync: w.fsdp_no_sync,
    fsdpUseOrigParams: w.fsdp_use_orig_params,
  };
  const r = perRankTraining(model, c, base, { seq: w.seq });
  return {
    components: r.components,
    peak: { phase: r.peak, description: `per GPU with ${sharding.label} over ${sharding.shardRanks} GPU${sharding.shardRanks === 1 ? "" : "s"}` },
    warnings: base.warnings,
    assumptions: [
      `framework: ${head}`,
      `${w.gpus} GPU${w.gpus === 1 ? "" : "s"}, ${sharding.label}${sharding.offload !== "none" ? `, ${sharding.offload} offloaded to the CPU` : ""}: figures are per GPU (the planner's per-rank arithmetic, src/planner/per-rank.ts)`,
      ...(spec.notes?.(w) ?? []),
      ...base.assumptions,
      ...(r.cpuBytes > 0 ? [`host memory per GPU for offloaded states: ${formatBytes(r.cpuBytes)}`] : []),
    ],
    ...(r.cpuBytes ? { cpu_bytes: r.cpuBytes } : {}),
    trainable_parameters: base.trainable_parameters,
    ...(base.lora ? { lora: base.lora } : {}),
  };
}

const LEVERS: Record<LeverId, (w: TrainingWorkload) => Lever | null> = {
  checkpointing: (w) => (!w.checkpointing ? { change: "activation checkpointing (--checkpointing)", patch: { checkpointing: true } } : null),
  activation_offload: (w) => (!w.activation_offload ? { change: "offload activations to the CPU (--activation-offload on)", patch: { activation_offload: true, checkpointing: true } } : null),
  liger: (w) => (!w.liger && w.loss === "standard" ? { change: "Liger kernels with the fused linear cross-entropy (--liger)", patch: { liger: true, loss: "fused-linear" } } : null),
  chunked_loss: (w) => (w.loss === "standard" ? { change: "chunked cross-entropy (--loss chunked)", patch: { loss: "chunked" } } : null),
  adamw_8bit: (w) => (w.optimizer === "adamw" || w.optimizer === "adam" ? { change: "8-bit AdamW (--optimizer adamw-8bit)", patch: { optimizer: "adamw-8bit" } } : null),
  paged_adamw_8bit: (w) => (w.optimizer === "adamw" || w.optimizer === "adam" || w.optimizer === "adamw-8bit" ? { change: "paged 8-bit AdamW (--optimizer paged-adamw-8bit)", patch: { optimizer: "paged-adamw-8bit" } } : null),
  optimizer_in_backward: (w) => (!w.optimizer_in_backward && w.grad_accum === 1 && w.lora_rank == null && !w.qlora ? { change: "optimizer step in backward (--optimizer-in-backward)", patch: { optimizer_in_backward: true } } : null),
  lora: (w) => (w.lora_rank == null && !w.qlora ? { change: "LoRA adapters instead of full fine-tuning (--lora-rank 16)", patch: { lora_rank: 16 } } : null),
  qlora: (w) => (!w.qlora && !w.quant ? { change: "QLoRA: a 4-bit NF4 base (--qlora)", patch: { qlora: true, lora_rank: w.lora_rank ?? 16 } } : null),
  micro_batch: (w) => (w.batch > 1 ? { change: `micro-batch ${Math.ceil(w.batch / 2)} with gradient accumulation ${w.grad_accum * 2}`, patch: { batch: Math.ceil(w.batch / 2), grad_accum: w.grad_accum * 2 } } : null),
  zero3: (w) => (w.gpus > 1 && w.zero_stage !== 3 && w.fsdp == null ? { change: "DeepSpeed ZeRO-3 over the GPUs (--zero-stage 3)", patch: { zero_stage: 3 } } : null),
  fsdp: (w) => (w.gpus > 1 && w.fsdp == null && w.zero_stage == null ? { change: "FSDP full shard over the GPUs (--fsdp full_shard)", patch: { fsdp: "full_shard" } } : null),
};

/** The levers a profile offers for this workload, in its order. */
export function leversOf(ids: readonly LeverId[], w: TrainingWorkload): Lever[] {
  return ids.map((id) => LEVERS[id](w)).filter((l): l is Lever => l !== null);
}

export function makeTrainingProfile(spec: FrameworkSpec): TrainingProfile<TrainingOptions> & { spec: FrameworkSpec } {
  return {
    id: spec.id,
    label: spec.label,
    version: spec.version,
    ...(spec.aliases ? { aliases: spec.aliases } : {}),
    options: spec.options ?? [],
    spec,
    defaults: spec.defaults ? (model, gpu, given) => spec.defaults!(model, given, gpu) : undefined,
    category: (w) => (shardingOf(w) ? "multi_gpu_training" : w.lora_rank || w.qlora ? "lora_qlora" : "llm_training"),
    derive: (w) => ({ effective_batch: w.batch * w.grad_accum * w.gpus, framework: spec.id, framework_version: spec.version }),
    estimate: (model, w, gpu) => frameworkEstimate(spec, model, w, gpu),
    levers: (w) => leversOf(spec.levers, w),
  };
}
