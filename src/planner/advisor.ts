/**
 * The advisor: searches the ways to run a job on the given GPUs, lists those that fit ranked by what they
 * cost in speed, and says what to change when one configuration does not fit.
 *
 * Ranking: first by fidelity (the training asked for, then numerics changes such as pure bf16 or 8-bit
 * optimizers, then LoRA, then QLoRA), then by the speed factor (trainingCosts / serving costs), then by memory.
 */
import { isVramfitError, VramfitError } from "../core/errors.js";
import { gpuUsableBytes, type Gpu } from "../core/gpu.js";
import type { ModelDescription as AnyModel, TransformerModel as ModelDescription } from "../core/model.js";
import { checkpointQuant } from "../runtimes/vllm/profile.js";
import type { Estimator } from "../core/estimator.js";
import { defaultEstimator } from "../default-estimator.js";
import { evaluateServingPlan } from "./serving-plan.js";
import { evaluateTrainingPlan, singleGpuTraining, type TrainingJob } from "./training-plan.js";
import type { EvaluatedPlan, Method, OffloadTarget, ServingConfig, TrainingConfig } from "./types.js";
import type { DataParallel } from "./zero.js";

export interface PlanOptions {
  mode: "train" | "infer";
  gpu: string | Gpu;
  gpus: number;
  /** GPUs per node (default min(gpus, 8)): tensor parallel and FSDP hybrid shard stay inside one. */
  gpusPerNode?: number;
  /** Train: effective (global) batch in sequences, kept by micro-batch × accumulation × data parallel. Infer: sequences served at once. */
  batch?: number;
  seq?: number;
  precision?: TrainingConfig["precision"];
  optimizer?: string;
  /** Training methods the search may use (default: full, lora, qlora). */
  methods?: Method[];
  loraRank?: number;
  /** Allow CPU/NVMe offload (default true). */
  offload?: boolean;
  /** Offload target device (default cpu). */
  offloadDevice?: "cpu" | "nvme";
  /** Which engines may run it (default all): deepspeed (ZeRO), fsdp, ddp, megatron (TP/PP). */
  engines?: ("deepspeed" | "fsdp" | "ddp" | "megatron")[];
  attention?: "sdpa" | "flash" | "eager";
  /** Training framework (--framework): its profile gives each step and the changes it can make (Liger, offloaded checkpoints, …). */
  framework?: string;
  // serving
  quant?: string | null;
  kvDtype?: string;
  gpuMemoryUtilization?: number;
  /** How many plans to list (default 10). */
  limit?: number;
  /** The estimator each plan's single-GPU estimate comes from (default: the library's). */
  estimator?: Estimator;
}

export interface Suggestion {
  change: string;
  /** Serving: sequences of the requested length that fit after the change. */
  sequences?: number;
  /** Bytes per GPU this change saves (negative: costs more). */
  savingBytes: number;
  perGpuBytes: number;
  fits: boolean;
  cost: string;
}

export interface PlanResult<C = TrainingConfig | ServingConfig> {
  mode: "train" | "infer";
  model: ModelDescription;
  gpu: Gpu;
  gpus: number;
  batch: number;
  seq: number;
  /** Fitting plans, best first. */
  plans: EvaluatedPlan<C>[];
  /** How many configurations were evaluated. */
  evaluated: number;
  /** When nothing fits: the configuration closest to fitting, and what to change. */
  nearest?: EvaluatedPlan<C>;
  advice: Suggestion[];
}

const pow2Upto = (n: number) => {
  const out: number[] = [];
  for (let k = 1; k <= n; k *= 2) out.push(k);
  return out;
};

/** A plan within 3 % of the GPU's memory fits by the central estimate but not with the estimator's usual error. */
export function isTight<C>(p: EvaluatedPlan<C>, gpu: Gpu): boolean {
  return p.headroomBytes < 0.03 * gpuUsableBytes(gpu);
}

function ranker<C>(gpu: Gpu) {
  return (a: EvaluatedPlan<C>, b: EvaluatedPlan<C>): number =>
    a.fidelity - b.fidelity || Number(isTight(a, gpu)) - Number(isTight(b, gpu)) || a.speedFactor - b.speedFactor || a.totals.device_bytes - b.totals.device_bytes;
}

export function plan(modelSpec: string | AnyModel, o: PlanOptions): PlanResult {
  const est = o.estimator ?? defaultEstimator;
  const model = est.resolveModel(modelSpec);
  const gpu = est.resolveGpu(o.gpu)!;
  if (!Number.isInteger(o.gpus) || o.gpus < 1) throw new VramfitError("invalid_option", "--gpus must be a whole number of at least 1");
  if (model.family !== "transformer") throw new VramfitError("unsupported", `${model.id}: the planner covers transformer models`);
  return o.mode === "train" ? planTraining(model, gpu, o) : planServing(model, gpu, o);
}

/** Every training configuration the search considers for these GPUs and this effective batch. */
export function trainingCandidates(model: ModelDescription, o: PlanOptions): TrainingConfig[] {
  const shape = model.transformer;
  const G = o.gpus;
  const perNode = o.gpusPerNode ?? Math.min(G, 8);
  const B = o.batch ?? G;
  const engines = new Set(o.engines ?? ["deepspeed", "fsdp", "ddp", "megatron"]);
  const methods = o.methods ?? ["full", "lora", "qlora"];
  const precision = o.precision ?? "amp-bf16";
  const optimizer = o.optimizer ?? "adamw";
  const rankR = o.loraRank ?? 16;
  const allowOffload = o.offload ?? true;
  const device = o.offloadDevice ?? "cpu";
  const out: TrainingConfig[] = [];
  const combos: { method: Method; precision: TrainingConfig["precision"]; optimizer: string }[] = [];
  for (const m of methods) {
    combos.push({ method: m, precision, optimizer });
    if (m === "full" && !optimizer.includes("8bit")) combos.push({ method: m, precision, optimizer: "adamw-8bit" });
    if (m === "full" && precision.startsWith("amp")) combos.push({ method: m, precision: "bf16", optimizer });
  }
  // Context parallelism only pays for long sequences (Megatron --context-parallel-size).
  const cps = engines.has("megatron") && (o.seq ?? 0) >= 16384 ? [1, 2, 4] : [1];
  for (const cp of cps) for (const tp of pow2Upto(Math.min(G, perNode))) {
    if (shape.heads % tp !== 0) continue;
    if (tp > 1 && !engines.has("megatron")) continue;
    if (G % (tp * cp) !== 0) continue;
    for (const pp of pow2Upto(G / (tp * cp))) {
      if (pp > 1 && (!engines.has("megatron") || pp > shape.layers)) continue;
      if ((G / (tp * cp)) % pp !== 0) continue;
      const dp = G / (tp * pp * cp);
      if (B % dp !== 0) continue;
      const perReplica = B / dp;
      const megatron = tp > 1 || pp > 1 || cp > 1;
      const eps = shape.moe && dp > 1 ? [1, ...pow2Upto(Math.min(dp, shape.moe.experts)).filter((e) => e > 1 && shape.moe!.experts % e === 0 && dp % e === 0)] : [1];
      const strategies: DataParallel[] = [];
      if (megatron) strategies.push("ddp", "zero1"); // Megatron DDP or its distributed optimizer (≈ ZeRO-1)
      else if (dp === 1) strategies.push("ddp", ...(engines.has("deepspeed") ? (["zero2", "zero3"] as DataParallel[]) : []), ...(engines.has("fsdp") ? (["fsdp_full"] as DataParallel[]) : []));
      else {
        if (engines.has("ddp")) strategies.push("ddp");
        if (engines.has("deepspeed")) strategies.push("zero1", "zero2", "zero3");
        if (engines.has("fsdp")) strategies.push("fsdp_full", "fsdp_grad_op", ...(dp > perNode ? (["fsdp_hybrid"] as DataParallel[]) : []));
      }
      for (const dpS of strategies) {
        const offloads: OffloadTarget[] = ["none"];
        if (allowOffload && !megatron) {
          if (dpS.startsWith("zero")) offloads.push("optimizer");
          if (dpS === "zero3" || dpS === "fsdp_full" || dpS === "fsdp_hybrid") offloads.push("optimizer+params");
        }
        // On one GPU the DeepSpeed/FSDP wrappers only help through offload.
        const offloadsHere = dp === 1 && dpS !== "ddp" ? offloads.filter((x) => x !== "none") : offloads;
        for (const offload of offloadsHere) {
          for (const ep of eps) {
            for (const combo of combos) {
              for (const micro of pow2Upto(Math.min(perReplica, 64)).filter((m) => perReplica % m === 0)) {
                for (const checkpointing of [false, true]) {
                  out.push({ dataParallel: dpS, dp, tp, pp, ep, cp, microBatch: micro, gradAccum: perReplica / micro, checkpointing, ...combo, loraRank: rankR, offload, offloadDevice: device, gpusPerNode: perNode, ...(o.framework ? { framework: o.framework } : {}) });
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

function planTraining(model: ModelDescription, gpu: Gpu, o: PlanOptions): PlanResult {
  const seq = o.seq ?? Math.min(model.transformer.maxPositions || 2048, 2048);
  const job: TrainingJob = { estimator: o.estimator ?? defaultEstimator, cache: new Map(), seq, attention: o.attention };
  const candidates = trainingCandidates(model, o);
  if (candidates.length === 0) throw new VramfitError("invalid_option", `no layout splits an effective batch of ${o.batch ?? o.gpus} over ${o.gpus} GPUs`, { suggestion: "make --batch a multiple of the data-parallel degree (e.g. of --gpus)" });
  // Keep the fastest fitting variant of each (layout, strategy, offload, method) family.
  const best = new Map<string, EvaluatedPlan<TrainingConfig>>();
  const rank = ranker<TrainingConfig>(gpu);
  let nearest: EvaluatedPlan<TrainingConfig> | undefined;
  for (const c of candidates) {
    const r = evaluateTrainingPlan(model, c, gpu, job);
    if (!r.fits) {
      if (!nearest || r.totals.device_bytes < nearest.totals.device_bytes) nearest = r;
      continue;
    }
    const key = JSON.stringify([c.dataParallel, c.dp, c.tp, c.pp, c.ep, c.cp, c.offload, c.method, c.precision, c.optimizer]);
    const prev = best.get(key);
    if (!prev || rank(r, prev) < 0) best.set(key, r);
  }
  const plans = [...best.values()].sort(rank).slice(0, o.limit ?? 10);
  const advice = plans.length === 0 && nearest ? makeItFit(model, nearest.config, gpu, job) : [];
  return { mode: "train", model, gpu, gpus: o.gpus, batch: o.batch ?? o.gpus, seq, plans, evaluated: candidates.length, ...(plans.length === 0 && nearest ? { nearest } : {}), advice };
}

function planServing(model: ModelDescription, gpu: Gpu, o: PlanOptions): PlanResult {
  const shape = model.transformer;
  const seq = o.seq ?? Math.min(shape.maxPositions || 4096, 8192);
  const want = o.batch ?? 1;
  // A quantized checkpoint (DeepSeek-V3's fp8, gpt-oss's mxfp4) is the baseline; otherwise bf16, then fp8 and AWQ.
  const stored = checkpointQuant(model);
  const quants: (string | null)[] = o.quant !== undefined ? [o.quant] : stored ? [stored] : [null, "fp8", "awq"];
  const kvs = o.kvDtype ? [o.kvDtype] : ["bf16", "fp8"];
  const plans: EvaluatedPlan<ServingConfig>[] = [];
  let nearest: EvaluatedPlan<ServingConfig> | undefined;
  let evaluated = 0;
  for (const tp of pow2Upto(o.gpus)) {
    if (shape.heads % tp !== 0) continue;
    for (const quant of quants) {
      for (const kvDtype of kvs) {
        const c: ServingConfig = { runtime: "vllm", tp, quant, kvDtype, maxModelLen: seq, gpuMemoryUtilization: o.gpuMemoryUtilization ?? 0.9, enforceEager: false };
        evaluated++;
        const r = evaluateServingPlan(model, c, gpu, o.gpus, o.estimator ?? defaultEstimator);
        if (r.fits && (r.maxSequences ?? 0) >= want) plans.push(r);
        else if (!nearest || closerServing(r, nearest) < 0) nearest = r;
      }
    }
  }
  plans.sort((a, b) => a.fidelity - b.fidelity || a.config.tp - b.config.tp || (b.maxSequences ?? 0) - (a.maxSequences ?? 0));
  const listed = plans.slice(0, o.limit ?? 10);
  const advice = listed.length === 0 && nearest ? makeServingFit(model, nearest.config, gpu, o.gpus, want, o.estimator ?? defaultEstimator) : [];
  return { mode: "infer", model, gpu, gpus: o.gpus, batch: want, seq, plans: listed as EvaluatedPlan<TrainingConfig | ServingConfig>[], evaluated, ...(listed.length === 0 && nearest ? { nearest: nearest as EvaluatedPlan<TrainingConfig | ServingConfig> } : {}), advice };
}

/** More sequences first, then the larger KV budget, then the smaller change to the model. */
function closerServing(a: EvaluatedPlan<ServingConfig>, b: EvaluatedPlan<ServingConfig>): number {
  return (b.maxSequences ?? 0) - (a.maxSequences ?? 0) || (b.kvBudgetBytes ?? 0) - (a.kvBudgetBytes ?? 0) || a.fidelity - b.fidelity;
}

/**
 * What to change in one training configuration so that it fits: each single change with the bytes it saves
 * per GPU, whether that alone makes it fit, and what it costs. Sorted: changes that fit first, cheapest first.
 */
export function makeItFit(model: ModelDescription, c: TrainingConfig, gpu: Gpu, job: TrainingJob): Suggestion[] {
  const now = evaluateTrainingPlan(model, c, gpu, job);
  const tries: [string, Partial<TrainingConfig>, string][] = [];
  if (!c.checkpointing) tries.push(["turn on activation checkpointing", { checkpointing: true }, "~+33% compute (recomputed forward)"]);
  if (c.microBatch > 1) tries.push([`halve the micro-batch to ${c.microBatch / 2} (gradient accumulation ${c.gradAccum * 2}, same effective batch)`, { microBatch: c.microBatch / 2, gradAccum: c.gradAccum * 2 }, "smaller matmuls, a few % slower"]);
  if (c.microBatch > 1) tries.push([`micro-batch 1 (gradient accumulation ${c.gradAccum * c.microBatch})`, { microBatch: 1, gradAccum: c.gradAccum * c.microBatch }, "smaller matmuls, slower"]);
  const order: DataParallel[] = ["ddp", "zero1", "zero2", "zero3"];
  const at = order.indexOf(c.dataParallel);
  if (c.dp > 1 && c.tp === 1 && c.pp === 1 && at >= 0 && at < 3) tries.push([`ZeRO stage ${at + 1}`, { dataParallel: order[at + 1] }, at + 1 === 3 ? "1.5× DDP communication" : "about DDP's communication"]);
  if (c.dp > 1 && c.tp === 1 && c.pp === 1 && c.dataParallel !== "zero3" && c.dataParallel !== "fsdp_full") tries.push(["FSDP full shard", { dataParallel: "fsdp_full" }, "1.5× DDP communication"]);
  if (c.offload === "none" && c.tp === 1 && c.pp === 1) {
    const ds: DataParallel = c.dataParallel.startsWith("zero") && c.dataParallel !== "zero1" ? c.dataParallel : "zero2";
    tries.push([`offload the optimizer to the CPU (DeepSpeed ${ds === "zero3" ? "ZeRO-3" : "ZeRO-2"}-Offload)`, { dataParallel: ds, offload: "optimizer" }, "optimizer step on the CPU, ~+40% step time; needs host RAM"]);
    tries.push(["offload optimizer and parameters to the CPU (ZeRO-3 / FSDP offload)", { dataParallel: c.dataParallel.startsWith("fsdp") ? "fsdp_full" : "zero3", offload: "optimizer+params" }, "parameters streamed over PCIe, ~2× step time"]);
  }
  if (!c.optimizer.includes("8bit") && c.method === "full") tries.push(["8-bit AdamW (bitsandbytes)", { optimizer: "adamw-8bit" }, "optimizer states 2 B instead of 8 B per parameter; slight numerics change"]);
  if (c.precision.startsWith("amp") && c.method === "full") tries.push(["pure bf16 (no fp32 master weights)", { precision: "bf16" }, "numerics change: bf16 updates lose small steps"]);
  if (c.method === "full") tries.push([`LoRA r=${c.loraRank} on all linear layers`, { method: "lora" }, "trains adapters only (a different fine-tune)"]);
  if (c.method !== "qlora") tries.push([`QLoRA r=${c.loraRank} (NF4 base)`, { method: "qlora" }, "4-bit base, ~+30% step time, a different fine-tune"]);
  tries.push(...frameworkTries(model, c, job));
  const shape = model.transformer;
  if (c.dp >= 2 && c.tp * 2 <= c.gpusPerNode && shape.heads % (c.tp * 2) === 0) tries.push([`tensor parallel ${c.tp * 2} (Megatron, sequence parallel)`, { tp: c.tp * 2, dp: c.dp / 2, dataParallel: c.dataParallel === "ddp" ? "ddp" : "zero1", offload: "none" }, "all-reduces per layer; keeps the same GPUs"]);
  const out: Suggestion[] = [];
  for (const [change, patch, cost] of tries) {
    try {
      const r = evaluateTrainingPlan(model, { ...c, ...patch }, gpu, job);
      out.push({ change, savingBytes: now.totals.device_bytes - r.totals.device_bytes, perGpuBytes: r.totals.device_bytes, fits: r.fits, cost });
    } catch (e) {
      // A change this layout cannot take (TP that does not divide the heads, EP on a dense model) is no suggestion.
      if (!isVramfitError(e, "invalid_option", "does_not_run", "unsupported")) throw e;
    }
  }
  return out.filter((s) => s.savingBytes > 0).sort((a, b) => Number(b.fits) - Number(a.fits) || b.savingBytes - a.savingBytes);
}

/** Options the planner's own search already varies: a framework lever touching only these adds nothing. */
const PLANNER_KEYS = new Set(["checkpointing", "lora_rank", "qlora", "batch", "grad_accum", "zero_stage", "fsdp"]);

/**
 * Changes the training framework itself can make (its profile's levers: Unsloth's offloaded checkpoints, Liger's fused
 * loss, paged 8-bit AdamW, torchtune's optimizer step in backward), as planner configurations.
 */
function frameworkTries(model: ModelDescription, c: TrainingConfig, job: TrainingJob): [string, Partial<TrainingConfig>, string][] {
  const est = (job.estimator ?? defaultEstimator) as Partial<Estimator>;
  const profiles = est.training ?? defaultEstimator.training;
  const profile = profiles.find((t) => t.id === c.framework) ?? profiles[0];
  if (!profile.levers) return [];
  let w: Record<string, unknown>;
  try {
    w = singleGpuTraining(model, c, job).workload as Record<string, unknown>;
  } catch (e) {
    if (isVramfitError(e, "invalid_option", "does_not_run", "unsupported")) return [];
    throw e;
  }
  const out: [string, Partial<TrainingConfig>, string][] = [];
  for (const l of profile.levers(w as never)) {
    const keys = Object.keys(l.patch);
    if (keys.every((k) => PLANNER_KEYS.has(k) || (k === "optimizer" && l.patch.optimizer === "adamw-8bit"))) continue;
    const patch: Partial<TrainingConfig> = { extra: { ...c.extra } };
    for (const [k, v] of Object.entries(l.patch)) {
      if (k === "optimizer") patch.optimizer = String(v);
      else if (k === "checkpointing") patch.checkpointing = Boolean(v);
      else patch.extra![k] = v;
    }
    out.push([`${profile.label}: ${l.change}`, patch, "a change the framework makes; see its note for the speed cost"]);
  }
  return out;
}

/** Serving: single changes that let vLLM hold the wanted sequences (or start at all). */
export function makeServingFit(model: ModelDescription, c: ServingConfig, gpu: Gpu, gpus: number, want: number, estimator: Pick<Estimator, "estimate"> = defaultEstimator): Suggestion[] {
  const now = evaluateServingPlan(model, c, gpu, gpus, estimator);
  const kvPerGpu = (r: ReturnType<typeof evaluateServingPlan>) => r.components.find((x) => x.id === "kv_cache")?.bytes ?? 0;
  const tries: [string, Partial<ServingConfig>, string][] = [];
  if (c.kvDtype !== "fp8") tries.push(["--kv-cache-dtype fp8", { kvDtype: "fp8" }, "twice the tokens per GiB; small accuracy change"]);
  if (c.quant === null) tries.push(["--quantization fp8 (weights)", { quant: "fp8" }, "half the weight memory; small accuracy change"]);
  if (c.quant !== "awq") tries.push(["an AWQ 4-bit checkpoint", { quant: "awq" }, "a quarter of the weight memory; needs the quantized checkpoint"]);
  if (c.maxModelLen > 2048) tries.push([`--max-model-len ${Math.floor(c.maxModelLen / 2)}`, { maxModelLen: Math.floor(c.maxModelLen / 2) }, "shorter sequences"]);
  if (c.gpuMemoryUtilization < 0.95) tries.push(["--gpu-memory-utilization 0.95", { gpuMemoryUtilization: 0.95 }, "less headroom for other processes"]);
  if (c.tp * 2 <= gpus) tries.push([`--tensor-parallel-size ${c.tp * 2}`, { tp: c.tp * 2 }, "uses more of your GPUs per replica"]);
  // The sampler's profiling pass scales with max_num_seqs × vocab (memory.ts): fewer concurrent sequences free it.
  const seqsCap = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, want))));
  if ((c.maxNumSeqs ?? 256) > seqsCap) tries.push([`--max-num-seqs ${seqsCap}`, { maxNumSeqs: seqsCap }, "a smaller sampler peak; at most that many sequences per step"]);
  const out: Suggestion[] = [];
  for (const [change, patch, cost] of tries) {
    try {
      const r = evaluateServingPlan(model, { ...c, ...patch }, gpu, gpus, estimator);
      out.push({ change, savingBytes: kvPerGpu(r) - kvPerGpu(now), sequences: r.maxSequences ?? 0, perGpuBytes: r.totals.device_bytes, fits: r.fits && (r.maxSequences ?? 0) >= want, cost });
    } catch (e) {
      // A change this layout cannot take (TP that does not divide the heads, EP on a dense model) is no suggestion.
      if (!isVramfitError(e, "invalid_option", "does_not_run", "unsupported")) throw e;
    }
  }
  return out.filter((s) => (s.sequences ?? 0) > (now.maxSequences ?? 0)).sort((a, b) => Number(b.fits) - Number(a.fits) || (b.sequences ?? 0) - (a.sequences ?? 0));
}
