/**
 * The planner's output for front ends: a JSON object (the `--json` contract, snake_case) and plain text.
 * Pure string building; `planCommand` is the one call the CLI makes.
 */
import { defaultEstimator } from "../default-estimator.js";
import { VramfitError } from "../core/errors.js";
import { gpuUsableBytes } from "../core/gpu.js";
import { formatBytes } from "../core/units.js";
import { makeItFit, makeServingFit, plan, type PlanOptions, type PlanResult, type Suggestion } from "./advisor.js";
import { trainingEngineConfig, vllmServeFlags, type EngineConfig } from "./configs.js";
import { evaluateServingPlan } from "./serving-plan.js";
import { evaluateTrainingPlan } from "./training-plan.js";
import type { EvaluatedPlan, Method, ServingConfig, TrainingConfig } from "./types.js";
import type { DataParallel } from "./zero.js";

/** Options as the CLI collects them (`vramfit plan <model> ...`). */
export interface PlanCommandOptions {
  mode?: "train" | "infer";
  gpu: string;
  gpus?: number;
  gpusPerNode?: number;
  batch?: number;
  seq?: number;
  precision?: TrainingConfig["precision"];
  optimizer?: string;
  /** Comma-separated: full,lora,qlora. */
  methods?: string;
  loraRank?: number;
  /** false: never offload. */
  offload?: boolean;
  offloadDevice?: "cpu" | "nvme";
  /** Comma-separated: deepspeed,fsdp,ddp,megatron. */
  engines?: string;
  attention?: "sdpa" | "flash" | "eager";
  /** Training framework whose profile and levers the plans use. */
  framework?: string;
  quant?: string;
  kvDtype?: string;
  gpuMemoryUtilization?: number;
  limit?: number;
  /**
   * Check one configuration instead of searching (make-it-fit advice when it does not fit):
   * strategy ddp|zero1|zero2|zero3|fsdp_full|fsdp_hybrid|fsdp_grad_op, with micro-batch, tp, pp, checkpointing, offload target.
   * For serving (mode infer), giving tp checks that one vLLM configuration (with quant, kvDtype, seq, batch).
   */
  strategy?: DataParallel;
  microBatch?: number;
  tp?: number;
  pp?: number;
  checkpointing?: boolean;
  offloadTarget?: "none" | "optimizer" | "optimizer+params";
  method?: Method;
}

const DATA_PARALLEL: DataParallel[] = ["ddp", "zero1", "zero2", "zero3", "fsdp_full", "fsdp_hybrid", "fsdp_grad_op"];

function planOptions(o: PlanCommandOptions): PlanOptions {
  const methods = o.methods?.split(",").map((s) => s.trim()) as Method[] | undefined;
  for (const m of methods ?? []) if (!["full", "lora", "qlora"].includes(m)) throw new VramfitError("invalid_option", `unknown method '${m}' (choose from full, lora, qlora)`);
  const engines = o.engines?.split(",").map((s) => s.trim()) as PlanOptions["engines"];
  for (const e of engines ?? []) if (!["deepspeed", "fsdp", "ddp", "megatron"].includes(e)) throw new VramfitError("invalid_option", `unknown engine '${e}' (choose from deepspeed, fsdp, ddp, megatron)`);
  return {
    mode: o.mode ?? "infer",
    gpu: o.gpu,
    gpus: o.gpus ?? 1,
    gpusPerNode: o.gpusPerNode,
    batch: o.batch,
    seq: o.seq,
    precision: o.precision,
    optimizer: o.optimizer,
    methods,
    loraRank: o.loraRank,
    offload: o.offload,
    offloadDevice: o.offloadDevice,
    engines,
    attention: o.attention,
    framework: o.framework,
    quant: o.quant === undefined ? undefined : o.quant === "none" ? null : o.quant,
    kvDtype: o.kvDtype,
    gpuMemoryUtilization: o.gpuMemoryUtilization,
    limit: o.limit,
  };
}

export interface PlanJson {
  model: { id: string; parameters: number };
  mode: "train" | "infer";
  gpu: { id: string; name: string; memory_bytes: number; count: number };
  batch: number;
  seq: number;
  evaluated: number;
  plans: ReturnType<typeof planEntry>[];
  engine_config?: EngineConfig;
  nearest?: ReturnType<typeof planEntry>;
  advice: { change: string; saving_bytes: number; per_gpu_bytes: number; fits: boolean; cost: string; sequences?: number }[];
}

function planEntry(p: EvaluatedPlan<TrainingConfig | ServingConfig>, rank: number, usable: number) {
  return {
    rank,
    summary: p.summary,
    config: p.config,
    fits: p.fits,
    tight: p.fits && p.headroomBytes < 0.03 * usable,
    per_gpu_bytes: p.totals.device_bytes,
    totals: p.totals,
    cpu_bytes: p.cpuBytes,
    headroom_bytes: p.headroomBytes,
    speed_factor: Number(p.speedFactor.toFixed(3)),
    costs: p.costs,
    fidelity: p.fidelity,
    peak: p.peak,
    components: p.components,
    ...(p.maxSequences !== undefined ? { max_sequences: p.maxSequences } : {}),
  };
}

export function engineConfigFor(r: PlanResult, p: EvaluatedPlan<TrainingConfig | ServingConfig>): EngineConfig {
  if (r.mode === "infer") {
    const c = p.config as ServingConfig;
    return vllmServeFlags(r.model, c, Math.max(1, Math.floor(r.gpus / c.tp)));
  }
  return trainingEngineConfig(r.model, p.config as TrainingConfig);
}

export function planJson(r: PlanResult): PlanJson {
  const usable = gpuUsableBytes(r.gpu);
  return {
    model: { id: r.model.id, parameters: r.model.parameters },
    mode: r.mode,
    gpu: { id: r.gpu.id, name: r.gpu.name, memory_bytes: usable, count: r.gpus },
    batch: r.batch,
    seq: r.seq,
    evaluated: r.evaluated,
    plans: r.plans.map((p, i) => planEntry(p, i + 1, usable)),
    ...(r.plans[0] ? { engine_config: engineConfigFor(r, r.plans[0]) } : {}),
    ...(r.nearest ? { nearest: planEntry(r.nearest, 0, usable) } : {}),
    advice: r.advice.map(adviceJson),
  };
}

const adviceJson = (s: Suggestion) => ({ change: s.change, saving_bytes: s.savingBytes, per_gpu_bytes: s.perGpuBytes, fits: s.fits, cost: s.cost, ...(s.sequences !== undefined ? { sequences: s.sequences } : {}) });

export function planText(r: PlanResult): string {
  const usable = gpuUsableBytes(r.gpu);
  const out: string[] = [];
  const what = r.mode === "train" ? `train, effective batch ${r.batch} × ${r.seq} tokens` : `serve ${r.batch} sequence(s) of ${r.seq} tokens with vLLM`;
  out.push(`${r.model.id} — ${what} on ${r.gpus} × ${r.gpu.name} (${formatBytes(usable)} each)`);
  out.push(`${r.evaluated} configurations evaluated; ${r.plans.length ? `${r.plans.length} listed that fit, best first` : "none fits"}.`);
  if (r.plans.length) out.push("");
  r.plans.forEach((p, i) => {
    const tight = p.headroomBytes < 0.03 * usable ? " (tight)" : "";
    const extra = r.mode === "train" ? (p.cpuBytes > 0 ? `, host ${formatBytes(p.cpuBytes)}/GPU` : "") : "";
    out.push(`${String(i + 1).padStart(2)}. ${p.summary}`);
    out.push(`    per GPU ${formatBytes(p.totals.device_bytes)}${tight}${extra} · speed ×${p.speedFactor.toFixed(2)}`);
    for (const c of p.costs) out.push(`      − ${c.what}`);
  });
  if (r.plans[0]) {
    const cfg = engineConfigFor(r, r.plans[0]);
    out.push("", `Engine configuration for plan 1 (${cfg.kind}, ${cfg.file}):`, "", cfg.text.trimEnd(), "");
    for (const n of cfg.notes) out.push(`  • ${n}`);
  }
  if (r.nearest) {
    if (r.mode === "infer") out.push("", `Closest: ${r.nearest.summary} (${r.batch} wanted).`);
    else out.push("", `Closest: ${r.nearest.summary} needs ${formatBytes(r.nearest.totals.device_bytes)} per GPU (${formatBytes(-r.nearest.headroomBytes)} too much).`);
  }
  if (r.advice.length) out.push(...adviceText(r.advice, r.mode));
  return out.join("\n") + "\n";
}

function adviceText(advice: Suggestion[], mode: "train" | "infer"): string[] {
  const out = ["", "To make it fit, change one of:"];
  for (const s of advice) {
    const gain = mode === "train" ? `saves ${formatBytes(s.savingBytes)}/GPU → ${formatBytes(s.perGpuBytes)}` : `${s.sequences} sequences fit${s.savingBytes > 0 ? ` (${formatBytes(s.savingBytes)} more KV per GPU)` : ""}`;
    out.push(`  ${s.fits ? "✓" : "·"} ${s.change}: ${gain}${s.fits ? " — fits" : ""} (${s.cost})`);
  }
  return out;
}

/** `vramfit plan <model> ...`: search (or check one configuration) and render. */
export function planCommand(modelSpec: string, o: PlanCommandOptions): { json: unknown; text: string } {
  const po = planOptions(o);
  if (o.strategy !== undefined) return checkCommand(modelSpec, o, po);
  if (po.mode === "infer" && o.tp !== undefined) return checkServing(modelSpec, o, po);
  const r = plan(modelSpec, po);
  return { json: planJson(r), text: planText(r) };
}

/** One training configuration: does it fit, and if not, what to change. */
function checkCommand(modelSpec: string, o: PlanCommandOptions, po: PlanOptions): { json: unknown; text: string } {
  if (!DATA_PARALLEL.includes(o.strategy!)) throw new VramfitError("invalid_option", `unknown strategy '${o.strategy}' (choose from ${DATA_PARALLEL.join(", ")})`);
  if (po.mode !== "train") throw new VramfitError("invalid_option", "--strategy checks a training configuration", { suggestion: "add --mode train" });
  const est = po.estimator ?? defaultEstimator;
  const model = est.resolveModel(modelSpec);
  if (model.family !== "transformer") throw new VramfitError("unsupported", `${model.id}: the planner covers transformer models`);
  const gpu = est.resolveGpu(po.gpu)!;
  const tp = o.tp ?? 1;
  const pp = o.pp ?? 1;
  const gpus = po.gpus;
  if (gpus % (tp * pp) !== 0) throw new VramfitError("invalid_option", `--gpus ${gpus} is not a multiple of tp ${tp} × pp ${pp}`);
  const dp = gpus / (tp * pp);
  const batch = po.batch ?? dp;
  const micro = o.microBatch ?? 1;
  if (batch % (dp * micro) !== 0) throw new VramfitError("invalid_option", `effective batch ${batch} is not a multiple of micro-batch ${micro} × ${dp} data-parallel GPUs`);
  const c: TrainingConfig = {
    dataParallel: o.strategy!,
    dp,
    tp,
    pp,
    ep: 1,
    cp: 1,
    microBatch: micro,
    gradAccum: batch / (dp * micro),
    checkpointing: o.checkpointing ?? false,
    precision: po.precision ?? "amp-bf16",
    optimizer: po.optimizer ?? "adamw",
    method: o.method ?? "full",
    loraRank: po.loraRank ?? 16,
    offload: o.offloadTarget ?? "none",
    offloadDevice: po.offloadDevice ?? "cpu",
    gpusPerNode: po.gpusPerNode ?? Math.min(gpus, 8),
    ...(po.framework ? { framework: po.framework } : {}),
  };
  const seq = po.seq ?? Math.min(model.transformer.maxPositions || 2048, 2048);
  const job = { estimator: est, seq, attention: po.attention };
  const p = evaluateTrainingPlan(model, c, gpu, job);
  const advice = p.fits ? [] : makeItFit(model, c, gpu, job);
  const r: PlanResult = { mode: "train", model, gpu, gpus, batch, seq, plans: p.fits ? [p] : [], evaluated: 1, ...(p.fits ? {} : { nearest: p }), advice };
  return { json: planJson(r), text: planText(r) };
}

/** One vLLM serving configuration (--tp given): does it hold the wanted sequences, and if not, what to change. */
function checkServing(modelSpec: string, o: PlanCommandOptions, po: PlanOptions): { json: unknown; text: string } {
  const est = po.estimator ?? defaultEstimator;
  const model = est.resolveModel(modelSpec);
  if (model.family !== "transformer") throw new VramfitError("unsupported", `${model.id}: the planner covers transformer models`);
  const gpu = est.resolveGpu(po.gpu)!;
  const tp = o.tp!;
  if (po.gpus % tp !== 0) throw new VramfitError("invalid_option", `--gpus ${po.gpus} is not a multiple of --tp ${tp}`);
  const seq = po.seq ?? Math.min(model.transformer.maxPositions || 4096, 8192);
  const want = po.batch ?? 1;
  const c: ServingConfig = { runtime: "vllm", tp, quant: po.quant ?? null, kvDtype: po.kvDtype ?? "bf16", maxModelLen: seq, gpuMemoryUtilization: po.gpuMemoryUtilization ?? 0.9, enforceEager: false };
  const p = evaluateServingPlan(model, c, gpu, po.gpus, est);
  const ok = p.fits && (p.maxSequences ?? 0) >= want;
  const advice = ok ? [] : makeServingFit(model, c, gpu, po.gpus, want, est);
  const r: PlanResult = { mode: "infer", model, gpu, gpus: po.gpus, batch: want, seq, plans: ok ? [p] : [], evaluated: 1, ...(ok ? {} : { nearest: p }), advice };
  return { json: planJson(r), text: planText(r) };
}
