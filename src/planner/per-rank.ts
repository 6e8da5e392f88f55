/**
 * Per-GPU memory of one training step under data, tensor, pipeline, expert and context parallelism, from the
 * single-GPU estimate of one micro-batch (src/training): model states sharded by the data-parallel strategy
 * (zero.ts), weights and activations split by model parallelism (docs/research/mechanics.md §8.4), plus the
 * communication buffers each engine allocates. Pure (no estimator): the planner's search (training-plan.ts) and the
 * training profiles' multi-GPU answers (src/frameworks/kit.ts) both use it.
 */
import type { Component, Estimate } from "../core/estimate-types.js";
import { totalsOf } from "../core/fit.js";
import { numel, type TransformerModel as ModelDescription } from "../core/model.js";
import { GiB, formatBytes, formatCount } from "../core/units.js";
import type { TrainingConfig } from "./types.js";
import { hfAutoZeroBuffers, shardModelStates, type ModelStates, type ZeroBuffers } from "./zero.js";

/** NCCL communicator buffers per process (docs/research/mechanics.md §1.4: hundreds of MiB to GiB per communicator; approx). */
export const NCCL_FIRST_GROUP = Math.round(0.5 * GiB);
export const NCCL_EXTRA_GROUP = Math.round(0.25 * GiB);

/** What the per-rank arithmetic reads from a single-GPU training estimate (an Estimate or a profile's partial one). */
export type BaseStep = Pick<Estimate, "components"> & { phases?: Estimate["phases"]; trainable_parameters?: number };

export interface ShardJob {
  /** The model's parameter shares, computed once per search (model-invariant). */
  shares?: { model: ModelDescription; value: ModelShares };
  seq: number;
  /** DeepSpeed bucket sizes; default: what HF's "auto" sets from the hidden size. */
  buffers?: Partial<ZeroBuffers>;
}

const bytesOf = (e: BaseStep, id: string) => e.components.filter((c) => c.id === id && c.location !== "cpu").reduce((s, c) => s + c.bytes, 0);

/** Parameters of one decoder layer (an FSDP unit under transformer-based wrapping). */
export function layerParams(model: ModelDescription): number {
  const L = model.transformer.layers;
  let n = 0;
  for (const g of model.tensors) if (g.name.includes("{L}")) n += numel(g.shape) * g.count;
  return Math.ceil(n / L);
}

/** The largest single parameter tensor (DeepSpeed's `largest_layer_params` in model_to_params). */
export function largestTensorParams(model: ModelDescription): number {
  let m = 0;
  for (const g of model.tensors) m = Math.max(m, numel(g.shape));
  return m;
}

/** What share of the parameters each kind of tensor holds: the same for every plan of one model. */
export interface ModelShares {
  /** Parameters of one decoder layer and of the largest tensor (ZeRO-3 / FSDP units). */
  layer: number;
  largest: number;
  linear: number;
  expert: number;
  embedding: number;
  head: number;
  norm: number;
}

export function sharesOf(model: ModelDescription, job: ShardJob): ModelShares {
  if (job.shares?.model === model) return job.shares.value;
  const value: ModelShares = { layer: layerParams(model), largest: largestTensorParams(model), linear: 0, expert: 0, embedding: 0, head: 0, norm: 0 };
  let all = 0;
  for (const g of model.tensors) {
    const k = numel(g.shape) * g.count;
    all += k;
    if (g.kind === "linear" || g.kind === "lm_head") value.linear += k;
    if (g.expert === true) value.expert += k;
    if (g.kind === "embedding") value.embedding += k;
    if (g.kind === "lm_head") value.head += k;
    if (g.kind === "norm") value.norm += k;
  }
  for (const key of ["expert", "embedding", "head", "norm"] as const) value[key] = all > 0 ? value[key] / all : 0;
  job.shares = { model, value };
  return value;
}

/** Components of the busiest GPU (pipeline stage 0), their totals, and the moment of the peak. */
export function perRankTraining(model: ModelDescription, c: TrainingConfig, base: BaseStep, job: ShardJob): { components: Component[]; totals: ReturnType<typeof totalsOf>; peak: string; cpuBytes: number } {
  const shape = model.transformer;
  const phases = base.phases ?? [];
  const trainable = base.trainable_parameters ?? model.parameters;
  const gradBytesPerParam = c.precision === "bf16" ? 2 : 4;
  const W = bytesOf(base, "weights") + bytesOf(base, "lora_weights");
  const O = bytesOf(base, "optimizer_states");
  const cublas = bytesOf(base, "cublas_workspace");
  // FSDP1 use_orig_params=True with frozen and trainable parameters in one unit (LoRA, units = decoder layers): the
  // unit's FlatParameter requires grad, so its gradient covers every parameter of the unit, frozen ones included
  // (FullyShardedDataParallel docstring: "equivalent to not freezing those parameters", pytorch@6d71f74c). The root
  // unit (embedding, head, final norm) holds no adapter, so it has none.
  const fsdp = c.dataParallel.startsWith("fsdp") && c.dp > 1;
  const mixedUnits = fsdp && c.fsdpUseOrigParams === true && c.method !== "full";
  const layerTotal = mixedUnits ? layerParams(model) * shape.layers : 0;
  const gradParams = mixedUnits ? Math.max(trainable, layerTotal) : trainable;
  const G = gradParams * gradBytesPerParam;
  // The single-GPU step's phases hold the trainable parameters' gradients only.
  const Gbase = trainable * gradBytesPerParam;
  const S = W + O + cublas;
  const persist = c.gradAccum > 1;
  const p = (i: number) => phases[i]?.allocated_bytes ?? 0;
  // Autocast's cast cache: a 16-bit copy of every fp32 matmul weight, kept for backward (in the training
  // engine's forward phase; in loss backward too unless checkpointing). DeepSpeed and FSDP MixedPrecision hold
  // 16-bit parameters already, so only DDP keeps it.
  const amp = c.precision.startsWith("amp");
  const shares = sharesOf(model, job);
  const cast = amp && c.method === "full" ? shares.linear * 2 : 0;
  const pg = persist ? Gbase : 0;
  const act = Math.max(0, p(0) - S - pg - cast, p(1) - S - pg - (c.checkpointing ? 0 : cast));
  const T = Math.max(0, p(3) - S - Gbase);

  // DeepSpeed mixed precision holds 16-bit params and grads and moves the fp32 master copy into the optimizer
  // (paper: 2Ψ + 2Ψ + 12Ψ); PyTorch AMP / FSDP MixedPrecision keep fp32 params and grads (4Ψ + 4Ψ + 8Ψ).
  const deepspeed = c.dataParallel.startsWith("zero");
  let states: ModelStates = { params: W, gradients: G, optimizer: O, stepTemporaries: T };
  if (deepspeed && amp) states = { params: W - 2 * trainable, gradients: G / 2, optimizer: O + 4 * trainable, stepTemporaries: T };

  const held = states.params;
  // Model parallelism splits the states before data parallelism shards them.
  const expertShare = shape.moe ? shares.expert : 0;
  const embedShare = shares.embedding;
  const headShare = shares.head;
  const layerShare = 1 - embedShare - headShare;
  const ppFactor = c.pp > 1 ? Math.max(layerShare / c.pp + embedShare, layerShare / c.pp + headShare) : 1;
  const epFactor = 1 - expertShare + expertShare / c.ep;
  // Megatron splits attention, MLP and the vocab-parallel embedding/head over TP ranks; norms stay replicated.
  const normShare = shares.norm;
  const mp = ppFactor * epFactor * ((1 - normShare) / c.tp + normShare);
  const split = (b: number) => Math.ceil(b * mp);
  states = { params: split(states.params), gradients: split(states.gradients), optimizer: split(states.optimizer), stepTemporaries: split(states.stepTemporaries) };

  const sharded0 = shardModelStates(states, c.dataParallel, c.dp, c.gpusPerNode);
  // FSDP1 no_sync() during gradient accumulation: every unit's gradient stays unsharded until the synchronising
  // micro-batch reduce-scatters it ("FSDP will accumulate the full model gradients (instead of gradient shards) until
  // the eventual sync", FullyShardedDataParallel.no_sync, pytorch@6d71f74c); Lightning Fabric's no_backward_sync
  // is that context (lightning 2.1.0 fabric/strategies/fsdp.py _FSDPBackwardSyncControl).
  const noSync = fsdp && c.fsdpNoSync === true && c.gradAccum > 1;
  const sharded = sharded0;
  const buffers = { ...hfAutoZeroBuffers(shape.hidden), ...job.buffers };
  const half = c.precision === "fp32" ? 4 : 2;
  const gpuParts: Component[] = [];
  const cpuParts: Component[] = [];
  const where = (offloaded: boolean) => (offloaded ? cpuParts : gpuParts);
  const offOpt = c.offload !== "none";
  const offParams = c.offload === "optimizer+params";
  const dev = c.offloadDevice === "nvme" ? " (NVMe)" : " (CPU)";
  const div = (n: number) => (n > 1 ? ` ÷ ${n}` : "");
  const mpNote = mp !== 1 ? ` × ${mp.toFixed(3)} (tp ${c.tp}, pp ${c.pp}${c.ep > 1 ? `, ep ${c.ep}` : ""})` : "";

  where(offParams).push({ id: "weights", label: `Parameters${offParams ? dev : ""}`, bytes: sharded.params, formula: `${formatBytes(held)} as held${deepspeed && amp ? " (16-bit; fp32 master in the optimizer)" : ""}${mpNote}${div(sharded.shards.params)}`, level: "allocated", ...(offParams ? { location: "cpu" as const } : {}) });
  const gradsOnGpu = !(offOpt && (c.dataParallel === "zero2" || c.dataParallel === "zero3" || offParams));
  const gradWhat = `${mixedUnits ? `${formatCount(gradParams)} params of the decoder-layer units (frozen ones included: use_orig_params)` : `${formatCount(trainable)} trainable`} × ${deepspeed && amp ? 2 : gradBytesPerParam} B${mpNote}`;
  const gradPart = (bytes: number, note: string): Component => ({ id: "gradients", label: `Gradients${gradsOnGpu ? "" : dev}`, bytes, formula: gradWhat + note, level: "allocated", ...(!gradsOnGpu ? { location: "cpu" as const } : {}) });
  // Under no_sync the forward/backward of the accumulating micro-batches holds every gradient unsharded; the
  // synchronising backward reduce-scatters them, so the optimizer step sees the shards.
  if (!noSync) where(!gradsOnGpu).push(gradPart(sharded.gradients, div(sharded.shards.gradients)));
  where(offOpt).push({ id: "optimizer_states", label: `Optimizer states${offOpt ? dev : ""}`, bytes: sharded.optimizer, formula: `${formatBytes(states.optimizer / mp)}${deepspeed && amp ? " incl. fp32 master" : ""}${mpNote}${div(sharded.shards.optimizer)}`, level: "allocated", ...(offOpt ? { location: "cpu" as const } : {}) });
  // Two moments compete for the peak: forward/backward (activations) and the optimizer step (temporaries).
  const stepOnly: Component[] = [];
  const fbOnly: Component[] = [];
  if (noSync) {
    // Inside no_sync FSDP keeps the gradients on the GPU even with CPU offload (no_sync docstring).
    const { location: _cpu, ...onGpu } = gradPart(states.gradients, " unsharded: accumulated under no_sync until the last micro-batch");
    fbOnly.push({ ...onGpu, label: "Gradients" });
    (gradsOnGpu ? stepOnly : cpuParts).push(gradPart(sharded.gradients, `${div(sharded.shards.gradients)} (reduce-scattered by the last micro-batch)`));
  }
  if (!offOpt && sharded.stepTemporaries > 0) stepOnly.push({ id: "optimizer_step_temporaries", label: "Optimizer step temporaries", bytes: sharded.stepTemporaries, formula: `foreach step temporaries follow the optimizer partition${div(sharded.shards.optimizer)}`, level: "allocated" });
  if (cast > 0 && c.dataParallel === "ddp") fbOnly.push({ id: "amp_weight_copies", label: "bf16 weight copies (autocast)", bytes: Math.ceil(cast * mp), formula: "autocast cast cache of the fp32 matmul weights (PyTorch AMP under DDP)", level: "allocated" });

  const actPerGpu = Math.ceil(act / c.tp / c.cp);
  fbOnly.push({
    id: "activations",
    label: "Activations (one micro-batch)",
    bytes: actPerGpu,
    formula: `${formatBytes(act)} for micro-batch ${c.microBatch} × ${job.seq} tokens${c.checkpointing ? " (checkpointed)" : ""}${c.tp > 1 ? ` ÷ tp ${c.tp} (sequence parallel)` : ""}${c.cp > 1 ? ` ÷ cp ${c.cp}` : ""}${c.pp > 1 ? `; 1F1B keeps ${c.pp} micro-batches of ${shape.layers / c.pp} layers in flight on stage 0 = one micro-batch of all layers (Korthikanti et al. §4)` : ""}`,
    level: "allocated",
  });

  // Communication buffers.
  const unit = Math.ceil(shares.layer * mp * c.pp); // one decoder layer, split by tp/ep (not by pp)
  if (c.dp > 1 && c.dataParallel === "ddp") {
    gpuParts.push({ id: "ddp_grad_buckets", label: "DDP gradient buckets", bytes: sharded.gradients, formula: "flat bucket copy of every gradient (gradient_as_bucket_view=False, HF Trainer default; mechanics.md §8.2)", level: "allocated" });
  }
  if (deepspeed && c.dp > 1) {
    gpuParts.push({ id: "zero_reduce_bucket", label: "ZeRO reduce bucket", bytes: buffers.reduceBucketSize * half, formula: `reduce_bucket_size ${formatCount(buffers.reduceBucketSize)} elements × ${half} B`, level: "allocated" });
  }
  if ((c.dataParallel === "zero1" || c.dataParallel === "zero2") && c.dp > 1) {
    stepOnly.push({ id: "zero_allgather_bucket", label: "ZeRO all-gather bucket", bytes: Math.min(buffers.allgatherBucketSize, Math.ceil(states.params / half)) * half, formula: `allgather_bucket_size ${formatCount(buffers.allgatherBucketSize)} elements × ${half} B (updated partitions gathered after the step)`, level: "allocated" });
  }
  // Gathered parameters travel in the dtype they are held in, at most 16-bit (FSDP MixedPrecision param_dtype /
  // DeepSpeed's 16-bit params); 4-bit QLoRA bases are gathered packed.
  const gatherBytes = Math.min(half, held / model.parameters);
  const gb = gatherBytes.toFixed(2).replace(/\.00$/, "");
  const trainableShare = trainable / model.parameters;
  if (c.dataParallel === "zero3") {
    const live = Math.min(buffers.maxLiveParameters, 2 * Math.max(unit, shares.largest));
    gpuParts.push({ id: "zero3_live_params", label: "ZeRO-3 gathered parameters", bytes: Math.ceil(live * gatherBytes), formula: `current + prefetched layer: min(stage3_max_live_parameters ${formatCount(buffers.maxLiveParameters)}, 2 × ${formatCount(Math.max(unit, shares.largest))}) × ${gb} B`, level: "allocated" });
    gpuParts.push({ id: "zero3_prefetch_bucket", label: "ZeRO-3 prefetch bucket", bytes: buffers.prefetchBucketSize * half, formula: `stage3_prefetch_bucket_size ${formatCount(buffers.prefetchBucketSize)} × ${half} B`, level: "allocated" });
    let persistent = 0;
    for (const g of model.tensors) if (numel(g.shape) < buffers.paramPersistenceThreshold) persistent += numel(g.shape) * g.count;
    if (persistent > 0) gpuParts.push({ id: "zero3_persistent_params", label: "ZeRO-3 persistent small parameters", bytes: persistent * half, formula: `${formatCount(persistent)} params below stage3_param_persistence_threshold ${formatCount(buffers.paramPersistenceThreshold)} stay whole on every GPU`, level: "allocated" });
  }
  if (fsdp) {
    const gathered = c.dataParallel === "fsdp_grad_op" ? Math.ceil(model.parameters * mp) : 2 * unit;
    gpuParts.push({ id: "fsdp_gathered_params", label: "FSDP all-gathered parameters", bytes: Math.ceil(gathered * gatherBytes), formula: c.dataParallel === "fsdp_grad_op" ? `SHARD_GRAD_OP keeps the whole model gathered from forward to the end of backward (${gb} B/param)` : `current + prefetched decoder layer (${formatCount(unit)} params) × ${gb} B (FSDP unit = decoder layer)`, level: "allocated" });
    const unitGrads = noSync ? 0 : Math.ceil(unit * (mixedUnits ? 1 : trainableShare) * gradBytesPerParam);
    if (unitGrads > 0) gpuParts.push({ id: "fsdp_unsharded_grads", label: "FSDP unsharded gradients of one unit", bytes: unitGrads, formula: `${formatCount(Math.ceil(unit * trainableShare))} trainable params of one unit × ${gradBytesPerParam} B before reduce-scatter`, level: "allocated" });
  }
  if (c.ep > 1 && shape.moe) {
    const k = shape.moe.expertsPerToken;
    const a2a = 2 * c.microBatch * job.seq * k * shape.hidden * half;
    gpuParts.push({ id: "moe_all_to_all", label: "Expert-parallel all-to-all buffers", bytes: a2a, formula: `dispatch + combine: 2 × ${c.microBatch * job.seq} tokens × top-${k} × ${shape.hidden} × ${half} B`, level: "allocated" });
  }
  if (c.cp > 1) {
    const kv = 2 * c.microBatch * job.seq * shape.kvHeads * shape.headDim * half / c.tp;
    gpuParts.push({ id: "cp_kv_gather", label: "Context-parallel K/V all-gather", bytes: Math.ceil(kv), formula: `one layer's K and V for the whole sequence (${job.seq} tokens) gathered from ${c.cp} ranks`, level: "allocated" });
  }
  gpuParts.push({ id: "cublas_workspace", label: "cuBLAS workspace", bytes: cublas, formula: "as in the single-GPU estimate", level: "allocated" });
  const reserve = base.components.find((x) => x.id === "allocator_reserve");
  if (reserve) gpuParts.push({ ...reserve, formula: reserve.formula + " (single-GPU figure)" });
  const groups = (c.dp > 1 ? 1 : 0) + (c.tp > 1 ? 1 : 0) + (c.pp > 1 ? 1 : 0) + (c.ep > 1 ? 1 : 0) + (c.cp > 1 ? 1 : 0);
  if (groups > 0) gpuParts.push({ id: "nccl_buffers", label: "NCCL communicators", bytes: NCCL_FIRST_GROUP + (groups - 1) * NCCL_EXTRA_GROUP, formula: `${groups} process group(s): ~0.5 GiB for the first, ~0.25 GiB each further (approx; mechanics.md §1.4)`, level: "device" });
  const ctx = base.components.find((x) => x.id === "cuda_context");
  if (ctx) gpuParts.push(ctx);

  const fb = [...gpuParts, ...fbOnly];
  const step = [...gpuParts, ...stepOnly];
  const stepPeak = totalsOf(step).allocated_bytes > totalsOf(fb).allocated_bytes;
  const components = [...(stepPeak ? step : fb), ...cpuParts];
  const totals = totalsOf(components);
  return { components, totals, peak: stepPeak ? "optimizer step" : "forward/backward", cpuBytes: cpuParts.reduce((s, x) => s + x.bytes, 0) };
}
