/**
 * Per-GPU memory of one parallel training configuration. Starts from the single-GPU training estimate
 * (src/training, one micro-batch) and shards it: model states by the data-parallel strategy
 * (zero.ts), weights and activations by tensor / pipeline / expert / context parallelism (docs/research/mechanics.md
 * §8.4), plus the communication buffers each engine allocates.
 */
import type { Estimate } from "../core/estimate-types.js";
import { VramfitError } from "../core/errors.js";
import { gpuUsableBytes, type Gpu } from "../core/gpu.js";
import type { TransformerModel as ModelDescription } from "../core/model.js";
import type { Estimator } from "../core/estimator.js";
import { defaultEstimator } from "../default-estimator.js";
import { perRankTraining, type ShardJob } from "./per-rank.js";
import type { Cost, EvaluatedPlan, TrainingConfig } from "./types.js";

export { layerParams, largestTensorParams, NCCL_EXTRA_GROUP, NCCL_FIRST_GROUP, perRankTraining } from "./per-rank.js";

export interface TrainingJob extends ShardJob {
  /** The estimator whose single-GPU training estimate each plan starts from (default: the library's). */
  estimator?: Pick<Estimator, "estimate">;
  /** Single-GPU estimates already made for this search (the planner asks for the same one often). */
  cache?: Map<string, Estimate>;
  attention?: "sdpa" | "flash" | "eager";
}

/** The single-GPU training estimate of one micro-batch (cached: the planner asks for the same one often). */
export function singleGpuTraining(model: ModelDescription, c: TrainingConfig, job: TrainingJob): Estimate {
  const key = JSON.stringify([model.id, model.parameters, job.seq, job.attention, c.microBatch, c.gradAccum > 1, c.checkpointing, c.precision, c.optimizer, c.method, c.loraRank, c.loraTargets, c.framework, c.extra]);
  let e = job.cache?.get(key);
  if (!e) {
    e = (job.estimator ?? defaultEstimator).estimate(model, {
      mode: "train",
      batch: c.microBatch,
      seq: job.seq,
      grad_accum: c.gradAccum > 1 ? 2 : 1, // memory only depends on whether gradients persist between micro-batches
      checkpointing: c.checkpointing,
      precision: c.precision,
      optimizer: c.optimizer as never,
      ...(c.method !== "full" ? { lora_rank: c.loraRank, lora_targets: c.loraTargets ?? "all-linear" } : {}),
      ...(c.method === "qlora" ? { qlora: true } : {}),
      ...(job.attention ? { attention: job.attention } : {}),
      ...(c.framework ? { framework: c.framework } : {}),
      ...c.extra,
    });
    job.cache?.set(key, e);
  }
  return e;
}

export function evaluateTrainingPlan(model: ModelDescription, c: TrainingConfig, gpu: Gpu, job: TrainingJob): EvaluatedPlan<TrainingConfig> {
  const shape = model.transformer;
  if (c.tp > 1 && shape.heads % c.tp !== 0) throw new VramfitError("invalid_option", `tensor parallel ${c.tp} does not divide ${shape.heads} attention heads`);
  if (c.ep > 1 && !shape.moe) throw new VramfitError("invalid_option", "expert parallelism needs a mixture-of-experts model");
  const base = singleGpuTraining(model, c, job);
  const { components, totals, peak, cpuBytes } = perRankTraining(model, c, base, job);
  const usable = gpuUsableBytes(gpu);
  const costs = trainingCosts(c);
  return {
    config: c,
    components,
    totals,
    cpuBytes,
    fits: totals.device_bytes <= usable,
    headroomBytes: usable - totals.device_bytes,
    speedFactor: costs.reduce((f, x) => f * x.factor, 1),
    costs,
    fidelity: c.method === "qlora" ? 3 : c.method === "lora" ? 2 : c.precision === "bf16" || c.optimizer.includes("8bit") ? 1 : 0,
    summary: describeTraining(c),
    peak,
  };
}

/** Rough speed costs (factors on step time) of each choice; the reasons are the point, the numbers are approximate. */
export function trainingCosts(c: TrainingConfig): Cost[] {
  const costs: Cost[] = [];
  if (c.checkpointing) costs.push({ what: "activation checkpointing recomputes the forward in backward (~+33% compute)", factor: 1.33 });
  const dpComm: Record<string, [number, string]> = {
    ddp: [1.03, "DDP all-reduce of gradients (2Ψ traffic, overlapped with backward)"],
    zero1: [1.03, "ZeRO-1: same traffic as DDP (reduce-scatter + all-gather)"],
    zero2: [1.04, "ZeRO-2: same traffic as DDP, bucketed reduce-scatter"],
    zero3: [1.12, "ZeRO-3: 1.5× DDP traffic (parameters all-gathered in forward and backward)"],
    fsdp_full: [1.12, "FSDP FULL_SHARD: 1.5× DDP traffic (all-gather in forward and backward)"],
    fsdp_hybrid: [1.07, "FSDP HYBRID_SHARD: all-gathers stay inside the node"],
    fsdp_grad_op: [1.05, "FSDP SHARD_GRAD_OP: one all-gather per step"],
  };
  if (c.dp > 1) {
    const [f, what] = dpComm[c.dataParallel];
    costs.push({ what, factor: f });
  }
  if (c.offload === "optimizer") costs.push({ what: `optimizer step on the CPU, gradients over PCIe${c.offloadDevice === "nvme" ? ", states on NVMe" : ""} (ZeRO-Offload)`, factor: c.offloadDevice === "nvme" ? 1.8 : 1.4 });
  if (c.offload === "optimizer+params") costs.push({ what: `parameters streamed from ${c.offloadDevice === "nvme" ? "NVMe" : "CPU"} every forward and backward`, factor: c.offloadDevice === "nvme" ? 3 : 2 });
  if (c.tp > 1) costs.push({ what: `tensor parallel ${c.tp}: two all-reduces per layer (keep it inside a node)`, factor: 1 + 0.06 * Math.log2(c.tp) });
  if (c.pp > 1) {
    const bubble = (c.pp - 1) / (c.gradAccum + c.pp - 1);
    costs.push({ what: `pipeline ${c.pp} stages, ${c.gradAccum} micro-batches: bubble ${(bubble * 100).toFixed(0)}% of the step`, factor: 1 / (1 - bubble) });
  }
  if (c.cp > 1) costs.push({ what: `context parallel ${c.cp}: K/V exchanged in ring attention`, factor: 1 + 0.05 * Math.log2(c.cp) });
  if (c.ep > 1) costs.push({ what: `expert parallel ${c.ep}: all-to-all twice per MoE layer`, factor: 1.05 });
  if (c.microBatch < 4) costs.push({ what: `micro-batch ${c.microBatch}: smaller matmuls use the GPU less well`, factor: 1 + 0.04 * Math.log2(4 / c.microBatch) });
  if (c.optimizer.includes("8bit")) costs.push({ what: "8-bit optimizer: block-wise (de)quantization of the states (changes numerics slightly)", factor: 1.02 });
  if (c.method === "qlora") costs.push({ what: "QLoRA: NF4 weights dequantized for every matmul", factor: 1.3 });
  if (c.precision === "bf16") costs.push({ what: "pure bf16 weights and optimizer states (no fp32 master copy: numerics change)", factor: 1 });
  return costs;
}

export function describeTraining(c: TrainingConfig): string {
  const parts: string[] = [];
  const dpName: Record<string, string> = { ddp: "DDP", zero1: "ZeRO-1", zero2: "ZeRO-2", zero3: "ZeRO-3", fsdp_full: "FSDP full shard", fsdp_hybrid: "FSDP hybrid shard", fsdp_grad_op: "FSDP shard-grad-op" };
  const modelParallel = c.tp > 1 || c.pp > 1 || c.cp > 1;
  if (c.dp > 1) parts.push(`${modelParallel && c.dataParallel === "zero1" ? "distributed optimizer (≈ ZeRO-1)" : dpName[c.dataParallel]} × ${c.dp}`);
  else if (!modelParallel) parts.push(c.dataParallel === "ddp" ? "1 GPU" : `${dpName[c.dataParallel]} on 1 GPU`);
  if (c.tp > 1) parts.push(`TP ${c.tp}`);
  if (c.pp > 1) parts.push(`PP ${c.pp}`);
  if (c.ep > 1) parts.push(`EP ${c.ep}`);
  if (c.cp > 1) parts.push(`CP ${c.cp}`);
  parts.push(`micro-batch ${c.microBatch} × accum ${c.gradAccum}`);
  if (c.checkpointing) parts.push("checkpointing");
  if (c.method !== "full") parts.push(`${c.method === "qlora" ? "QLoRA" : "LoRA"} r=${c.loraRank}`);
  if (c.precision !== "amp-bf16") parts.push(c.precision);
  if (c.optimizer !== "adamw") parts.push(c.optimizer);
  if (c.offload !== "none") parts.push(`offload ${c.offload} to ${c.offloadDevice}`);
  return parts.join(", ");
}
