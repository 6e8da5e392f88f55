/**
 * The training engine: peak GPU memory of one steady-state training step (step ≥ 2, when the optimizer
 * states exist), component by component. Three moments are evaluated and the largest is reported, with
 * only the tensors live at that moment (docs/research/mechanics.md §5 "When does the peak occur"):
 *   1. end of forward, inside the loss: weights, states, (accumulated grads), all saved activations, the
 *      autocast weight copies, logits and the loss's fp32 temporaries;
 *   2. backward: first the loss's backward on top of every saved activation, then layer by layer
 *      (activations freed, gradients allocated) down to the embedding;
 *   3. optimizer step: weights, gradients, states and the step's temporaries.
 */
import { reservedForPersistent } from "../core/allocator.js";
import { VramfitError } from "../core/errors.js";
import type { Component } from "../core/estimate-types.js";
import type { Gpu } from "../core/gpu.js";
import type { PartialEstimate } from "../core/profile.js";
import { numel, type TransformerModel as ModelDescription, type TensorGroup } from "../core/model.js";
import { cublasWorkspaceComponent, cudaContextComponent } from "../core/overheads.js";
import { dtypeBytes } from "../core/precision.js";
import { encoderDecoderTrainingExtra, encoderLength } from "../core/encoder-decoder.js";
import { assertNoMediaInTraining } from "../core/multimodal.js";
import { formatBytes, formatCount, MiB, roundUp } from "../core/units.js";
import { weightBreakdown } from "../core/weights.js";
import type { TrainingWorkload as Workload } from "./options.js";
import { hasVocabHead, headBackwardBytes, lmHeadGroups, savedActivations } from "./activations.js";
import { applyKernels } from "./kernels.js";
import { logitsLoss } from "./logits-loss.js";
import { isLinearWeight, loraAdapterBytes, loraPlan, type LoraPlan } from "./lora.js";
import { DEFAULT_MECHANISMS, kernelsFor, lossAssumption, lossDetailsFor, type FrameworkMechanisms } from "./mechanisms.js";
import { optimizerMemory, type ParamTensor } from "./optimizers.js";
import { computeDtypeName, precisionPolicy } from "./policy.js";

export interface PhaseTotal {
  phase: string;
  allocated_bytes: number;
}

export interface TrainingPartialEstimate extends PartialEstimate {
  /** Allocated bytes at each moment evaluated (the peak is the largest). */
  phases: PhaseTotal[];
  /** Host memory the offloaded parts need. */
  cpu_bytes: number;
  trainable_parameters: number;
  lora?: { rank: number; targets: string[]; trainable_parameters: number };
}

type Part = Component;

function part(id: string, label: string, bytes: number, formula: string, extra: Partial<Component> = {}): Part {
  return { id, label, bytes: Math.ceil(bytes), formula, level: "allocated", ...extra };
}

function layerGroup(g: TensorGroup): boolean {
  return g.name.includes("{L}");
}

/** Saved tensors in flight on the GPU under activation offloading: the layer being computed and the next one moving (TRL/torchtune OffloadActivations max_fwd_stash_size, Unsloth's staging buffers). */
export const OFFLOAD_LAYERS_IN_FLIGHT = 2;

/** `mech`: what the training framework changes (src/training/mechanisms.ts); the default is transformers + PEFT. */
export function trainingEstimate(model: ModelDescription, w: Workload, gpu?: Gpu, mech: FrameworkMechanisms = DEFAULT_MECHANISMS): TrainingPartialEstimate {
  const shape = model.transformer;
  if (w.gpus > 1) {
    throw new VramfitError("unsupported", "training over several GPUs needs a sharding plan (ZeRO/FSDP) that this estimate does not model", { suggestion: "estimate one GPU (--gpus 1) or use the planner" });
  }
  assertNoMediaInTraining(w); // issue #18: image/audio tokens and the tower are not modelled in training
  const policy = precisionPolicy(w.precision);
  const [torchMajor, torchMinor] = w.torch_version.split(".").map(Number);
  const torchAtLeast = (major: number, minor: number) => torchMajor > major || (torchMajor === major && torchMinor >= minor);
  const softmaxSavesInput = !torchAtLeast(1, 11);
  // PyTorch < 2.0 has no scaled_dot_product_attention: transformers runs eager attention instead.
  const attention = w.attention === "sdpa" && !torchAtLeast(2, 0) ? "eager" : w.attention;
  // transformers' SDPA path passes grouped K/V unexpanded (enable_gqa) from torch 2.5 when no attention mask is
  // given (integrations/sdpa_attention.py @00c238bd use_gqa_in_sdpa); rows padded to the longest in a batch, or
  // packed rows without padding-free attention, need a mask (masking_utils), and then repeat_kv expands K/V.
  const masked = (w.seq_padding === "longest-in-batch" && w.batch > 1) || w.seq_padding === "packed";
  const kvExpanded = attention === "eager" || (attention === "sdpa" && (!torchAtLeast(2, 5) || masked));
  const e = policy.compute;
  const L = shape.layers;
  const T = w.batch * w.seq;
  const warnings: string[] = [];
  const assumptions: string[] = [];
  const lora = w.lora_rank != null || w.qlora;
  const rank = w.lora_rank ?? 8;
  if (w.qlora && w.lora_rank == null) assumptions.push("QLoRA without --lora-rank: rank 8 (PEFT LoraConfig default)");
  if (w.qlora && w.quant && w.quant !== "nf4" && w.quant !== "fp4") {
    throw new VramfitError("invalid_option", `--qlora quantizes the base to NF4; it cannot be combined with --quant ${w.quant}`);
  }
  // Parameter offload (FSDP CPUOffload(offload_params=True), ZeRO-3 offload_param) moves gradients to the
  // CPU as well and runs the optimizer step there, so it implies optimizer offload.
  const offloadParams = w.offload === "params" || w.offload === "optimizer+params";
  const offloadOptimizer = w.offload !== "none";

  // ---- Parameters: what trains, in which dtype ----------------------------------------------------
  const plan: LoraPlan | null = lora ? (mech.loraPlan ?? loraPlan)(model, rank, w.lora_targets) : null;
  const adapterBytes = loraAdapterBytes(w); // PEFT autocast_adapter_dtype=True: fp32 adapters in every precision (lora.ts)
  const baseDtype = policy.name === "fp32" ? "fp32" : lora ? w.dtype : policy.trainableWeight === 4 ? "fp32" : "bf16";
  const baseQuant = w.qlora ? "nf4" : lora ? w.quant : null;
  if (!lora && w.quant) throw new VramfitError("does_not_run", `full fine-tuning of quantized weights (--quant ${w.quant}) is not possible`, { suggestion: "add --lora-rank N (LoRA) or --qlora" });
  const base = weightBreakdown(model, baseDtype, baseQuant, { doubleQuant: w.double_quant });
  const residual = lora ? dtypeBytes(baseDtype) : policy.trainableWeight;

  const trainables: ParamTensor[] = [];
  if (plan) {
    for (const a of plan.adapters) {
      trainables.push({ numel: rank * a.inFeatures, shape: [rank, a.inFeatures], count: a.group.count, bytes: adapterBytes });
      trainables.push({ numel: a.outFeatures * rank, shape: [a.outFeatures, rank], count: a.group.count, bytes: adapterBytes });
    }
  } else {
    for (const g of model.tensors) trainables.push({ numel: numel(g.shape), shape: g.shape, count: g.count, bytes: policy.trainableWeight });
  }
  const trainableParams = trainables.reduce((s, p) => s + p.numel * p.count, 0);
  // ZeRO-Offload keeps 16-bit gradients on the GPU and the fp32 copy with the optimizer on the CPU.
  const gradElem = plan ? adapterBytes : offloadOptimizer && policy.autocast ? e : policy.grad;
  const gradBytesOf = (p: ParamTensor) => p.numel * gradElem * p.count;
  const gradsTotal = trainables.reduce((s, p) => s + gradBytesOf(p), 0);

  // Gradient pieces for the backward sweep: per layer, the head (lm_head + final norm) and the embedding.
  let gradsLayers = 0;
  let gradsEmbedding = 0;
  if (plan) {
    gradsLayers = gradsTotal;
  } else {
    for (const g of model.tensors) {
      const b = numel(g.shape) * g.count * gradElem;
      if (layerGroup(g)) gradsLayers += b;
      else if (g.kind === "embedding") gradsEmbedding += b;
    }
  }
  const gradsHead = gradsTotal - gradsLayers - gradsEmbedding;
  const gradsPerLayer = gradsLayers / L;
  const largestGrad = trainables.reduce((m, p) => Math.max(m, p.numel * gradElem), 0);

  // ---- Weights ---------------------------------------------------------------------------------------
  const weightsBytes = base.bytes;
  const weightsFormula = plan
    ? `frozen base: ${formatCount(model.parameters)} params in ${baseQuant ?? baseDtype}${baseQuant ? ` (linears; others in ${baseDtype})` : ""}`
    : `${formatCount(model.parameters)} params × ${policy.trainableWeight} B (${policy.trainableWeight === 4 ? "fp32" : "bf16"}${policy.autocast ? " master weights" : ""})`;
  const perLayerWeights = base.perGroup.filter((p) => layerGroup(p.group)).reduce((s, p) => s + p.bytes * p.group.count, 0) / L;

  // ---- Optimizer ---------------------------------------------------------------------------------------
  const opt = optimizerMemory(w.optimizer, w.optimizer_impl, trainables.map((p) => ({ ...p, bytes: plan ? adapterBytes : policy.state })));

  // ---- Activations -------------------------------------------------------------------------------------
  const adapted = new Set(plan ? plan.adapters.map((a) => a.group.name) : []);
  // Autocast keeps a compute-dtype copy of every matmul weight stored in another dtype: cached for
  // trainable leaf weights, and in every case saved by the matmul for backward.
  const headNames = new Set(lmHeadGroups(model).map((g) => g.name));
  const storedOf = new Map(base.perGroup.map((p) => [p.group.name, p.bytes / numel(p.group.shape)]));
  const castOf = (g: TensorGroup): number => {
    if (!policy.autocast || !(isLinearWeight(g) || headNames.has(g.name))) return 0;
    const stored = storedOf.get(g.name);
    if (stored == null || stored === e) return 0;
    if (baseQuant && stored < 2) return 0; // quantized linears dequantize transiently
    return e;
  };
  const actCtx = {
    batch: w.batch,
    seq: w.seq,
    compute: e,
    residual,
    autocast: policy.autocast,
    attention,
    kvExpanded,
    fullFineTune: !plan,
    adapted,
    adapterBytes,
    loraDropout: plan ? w.lora_dropout : 0,
    softmaxSavesInput,
    loraRank: plan ? rank : 0,
    gradBytes: gradElem,
    weightCast: castOf,
  };
  const acts = applyKernels(model, savedActivations(model, actCtx), actCtx, kernelsFor(w, mech, plan !== null));
  // Encoder-decoders (issue #18, core/encoder-decoder.ts): the encoder stack, the decoder's cross-attention and the
  // encoder output are saved beside the decoder layers, and stay until the decoder's backward reaches them.
  const encExtra = shape.encoder
    ? encoderDecoderTrainingExtra(shape, { batch: w.batch, encoderSeq: encoderLength(shape.encoder, { encoderSeq: (w as { encoder_seq?: number }).encoder_seq, seq: w.seq }, model.id), decoderSeq: w.seq, bytesPerValue: e, checkpointing: w.checkpointing })
    : null;
  const encBytes = encExtra?.bytes ?? 0;
  const encNote = encExtra ? `; + encoder-decoder: ${encExtra.formula}` : "";

  let castLayers = 0;
  let castOther = 0;
  for (const p of base.perGroup) {
    const b = numel(p.group.shape) * castOf(p.group) * p.group.count;
    if (layerGroup(p.group)) castLayers += b;
    else castOther += b;
  }
  if (policy.autocast && plan && adapterBytes !== e) castLayers += plan.trainableParams * e;
  const castTotal = castLayers + castOther;

  const headTrains = !plan;
  const lossDetails = lossDetailsFor(w, mech, { hidden: shape.hidden, tokens: T, autocast: policy.autocast, compute: e, headWeightBytes: plan ? dtypeBytes(baseDtype) : policy.trainableWeight, headGradBytes: headTrains ? gradElem : 0 });
  const TV = hasVocabHead(model) ? logitsLoss(T, shape.vocab, e, w.loss, softmaxSavesInput, lossDetails) : null;
  if (!TV) assumptions.push("encoder with a classification head: logits are batch × labels (negligible)");

  // QLoRA: bitsandbytes dequantizes one 4-bit weight to the compute dtype per matmul.
  let dequant = 0;
  if (baseQuant === "nf4" || baseQuant === "fp4") {
    for (const g of model.tensors) if (g.kind === "linear") dequant = Math.max(dequant, numel(g.shape) * e);
  }

  const ckpt = w.checkpointing;
  // Activation offloading keeps only the layers in flight on the GPU; the rest of what is saved waits in CPU memory.
  const kept = w.activation_offload ? Math.min(L, OFFLOAD_LAYERS_IN_FLIGHT) : L;
  const actsLayersSaved = ckpt ? acts.checkpointPerLayer * kept : w.activation_offload ? acts.perLayerBytes * kept : acts.layersBytes;
  // zero_grad(set_to_none=True) became PyTorch's default in 2.0; before, gradients stayed allocated between steps.
  const persistGrads = !w.optimizer_in_backward && !offloadParams && (w.grad_accum > 1 || !w.zero_grad_set_to_none || !torchAtLeast(2, 0));

  // ---- Components shared by the phases -----------------------------------------------------------------
  const cublas = cublasWorkspaceComponent(gpu?.arch);
  const cpuParts: Part[] = [];
  const persistent: Part[] = [];
  let gpuWeights = weightsBytes;
  let gpuWeightsFormula = weightsFormula;
  if (offloadParams) {
    cpuParts.push(part("weights", "Model weights (CPU)", weightsBytes, weightsFormula, { location: "cpu" }));
    gpuWeights = Math.ceil(2 * perLayerWeights * (e / Math.max(1, baseDtype === "fp32" ? 4 : 2)));
    gpuWeightsFormula = "parameters offloaded to CPU: two layers' weights in flight on the GPU (current + prefetch)";
  } else if (offloadOptimizer && !plan && policy.autocast) {
    // ZeRO-Offload: fp32 master weights live with the optimizer on the CPU; the GPU keeps 16-bit weights.
    cpuParts.push(part("master_weights", "fp32 master weights (CPU)", model.parameters * 4, `${formatCount(model.parameters)} × 4 B`, { location: "cpu" }));
    gpuWeights = model.parameters * e;
    gpuWeightsFormula = `${formatCount(model.parameters)} params × ${e} B (16-bit copy; fp32 master on CPU)`;
  }
  persistent.push(part("weights", "Model weights", gpuWeights, gpuWeightsFormula));
  if (plan) {
    persistent.push(
      part("lora_weights", "LoRA adapters", plan.trainableParams * adapterBytes, `r=${rank} × Σ(in+out) over ${plan.adapters.reduce((s, a) => s + a.group.count, 0)} adapted linears = ${formatCount(plan.trainableParams)} params × ${adapterBytes} B`),
    );
  }
  if (opt.stateBytes > 0) {
    if (offloadOptimizer) cpuParts.push(part("optimizer_states", "Optimizer states (CPU)", opt.stateBytes, opt.stateFormula, { location: "cpu" }));
    else if (opt.paged) persistent.push(part("optimizer_states", "Optimizer states (paged, unified memory)", opt.stateBytes, opt.stateFormula + "; cudaMallocManaged: outside PyTorch's allocator, paged to CPU under pressure", { level: "device" }));
    else persistent.push(part("optimizer_states", "Optimizer states", opt.stateBytes, opt.stateFormula));
  }
  if (offloadOptimizer) cpuParts.push(part("cpu_gradients", "fp32 gradients for the CPU step", trainableParams * 4, `${formatCount(trainableParams)} × 4 B`, { location: "cpu" }));
  persistent.push(cublas);
  if (w.activation_offload && L > kept) {
    const offloaded = (ckpt ? acts.checkpointPerLayer : acts.perLayerBytes) * (L - kept);
    cpuParts.push(part("offloaded_activations", "Activations offloaded (CPU)", offloaded, `${L - kept} of ${L} layers' ${ckpt ? "checkpoints" : "saved activations"} in pinned CPU memory; ${kept} in flight on the GPU`, { location: "cpu" }));
  }

  const gradPart = (bytes: number, formula: string) => part("gradients", "Gradients", bytes, formula);
  const gradsFull = gradPart(gradsTotal, `${formatCount(trainableParams)} trainable params × ${gradElem} B`);
  const actsPart = (bytes: number, formula: string) => part("activations", "Activations saved for backward", bytes, formula);
  const actsFormula = (ckpt
    ? `checkpointing: ${L} layer inputs × T=${T} × hidden ${shape.hidden} × ${residual} B + outside the layers ${formatBytes(acts.outsideBytes)}`
    : acts.formula) + encNote;
  const castPart = (bytes: number) =>
    part("amp_weight_copies", `${computeDtypeName(policy)} weight copies (autocast)`, bytes, "compute-dtype copy of each matmul weight stored in another dtype, kept for backward (torch.autocast cast cache)");
  const dequantPart = dequant > 0 ? [part("qlora_dequant", "NF4 dequantization buffer", dequant, `largest 4-bit linear dequantized to ${e}-byte values per matmul (bitsandbytes)`)] : [];

  // ---- Phase 1: end of forward ------------------------------------------------------------------------
  const fwd: Part[] = [...persistent];
  if (persistGrads) fwd.push(gradsFull);
  fwd.push(actsPart(actsLayersSaved + acts.outsideBytes + encBytes, actsFormula));
  if (castTotal > 0) fwd.push(castPart(castTotal));
  if (TV) fwd.push(part("logits", "Logits and loss", TV.forwardBytes, TV.forwardFormula));
  fwd.push(...dequantPart);

  // ---- Phase 2a: loss backward -----------------------------------------------------------------------
  const castBackward = ckpt ? 0 : castTotal; // with checkpointing the casts are not saved, only cached until autocast exits
  const lossBwd: Part[] = [...persistent];
  if (persistGrads) lossBwd.push(gradsFull);
  lossBwd.push(actsPart(actsLayersSaved + acts.outsideBytes + encBytes, actsFormula));
  if (castBackward > 0) lossBwd.push(castPart(castBackward));
  if (TV) {
    // lm_head's backward allocates its weight gradient and its input's gradient while the logits' gradient lives.
    const headGrad = plan ? 0 : lmHeadGroups(model).reduce((s2, g) => s2 + numel(g.shape) * gradElem, 0);
    const lossBytes = w.loss === "standard" ? headBackwardBytes(T, shape.vocab, shape.hidden, e, TV.backwardBytes, headGrad) : TV.backwardBytes;
    const formula = lossBytes > TV.backwardBytes ? `lm_head backward: its weight gradient + the gradient of its input${e === 4 ? " + the fp32 logits' gradient" : ""} (larger than the loss's ${formatBytes(TV.backwardBytes)})` : TV.backwardFormula;
    lossBwd.push(part("logits", "Logits and loss (backward)", lossBytes, formula));
  }
  lossBwd.push(...dequantPart);

  // ---- Phase 2b: layer-by-layer backward ---------------------------------------------------------------
  let sweepBest: Part[] = [];
  let sweepBestTotal = -1;
  let sweepAt = 0;
  for (let k = 0; k <= L; k++) {
    const p: Part[] = [...persistent];
    let grads: number;
    let gradsFormula: string;
    if (offloadParams) {
      grads = k < L ? gradsPerLayer : gradsEmbedding;
      gradsFormula = "parameter offload: each layer's gradients leave for the CPU once computed";
    } else if (w.optimizer_in_backward) {
      grads = largestGrad;
      gradsFormula = "optimizer in backward: each gradient is applied and freed as soon as it is ready (largest one)";
    } else if (persistGrads) {
      grads = gradsTotal;
      gradsFormula = gradsFull.formula;
    } else {
      grads = gradsHead + k * gradsPerLayer + (k === L ? gradsEmbedding : 0);
      gradsFormula = `gradients of the head and ${k} of ${L} layers${k === L ? " and the embedding" : ""}`;
    }
    if (grads > 0) p.push(gradPart(grads, gradsFormula));
    const remainingLayers = L - k;
    const onGpu = Math.min(remainingLayers, kept);
    const saved = (ckpt ? onGpu * acts.checkpointPerLayer + (k < L ? acts.perLayerBytes - acts.checkpointInputShared : 0) : onGpu * acts.perLayerBytes) + encBytes;
    if (saved > 0) p.push(actsPart(saved, (ckpt ? `${remainingLayers} checkpointed layer inputs + one layer recomputed (${formatBytes(acts.perLayerBytes)})` : `saved activations of the ${remainingLayers} layers not yet back-propagated`) + (encBytes ? " + the encoder's and cross-attention's (back-propagated after the decoder)" : "")));
    // Checkpointing recomputes the layer under the same autocast state: its weight copies are made again.
    const casts = ckpt ? (k < L ? castLayers / L : 0) : (castLayers * remainingLayers) / L;
    if (casts > 0) p.push(castPart(casts));
    if (k < L) {
      // Gradients that start as None (set_to_none) appear during the layer's own backward; otherwise only the
      // one being produced counts. Reentrant checkpointing (transformers' default when gradient_checkpointing_kwargs
      // is unset: modeling_utils gradient_checkpointing_enable) keeps the detached input's gradient, one more r·h·T.
      const fresh = !persistGrads && !offloadParams && !w.optimizer_in_backward;
      const reentrant = ckpt && w.use_reentrant !== false;
      const work = (fresh ? acts.layerBackwardTransientFresh : acts.layerBackwardTransient) + (reentrant ? acts.checkpointPerLayer : 0);
      p.push(part("activation_gradients", "Activation gradients (one layer)", work, `gradients of one layer's activations while it is back-propagated${fresh ? ", with the layer's own weight gradients made so far" : ""}${reentrant ? "; the recomputed layer's detached input gradient (reentrant checkpoint)" : ""}`));
    }
    p.push(...dequantPart);
    const tot = sum(p);
    if (tot > sweepBestTotal) {
      sweepBestTotal = tot;
      sweepBest = p;
      sweepAt = k;
    }
  }

  // ---- Phase 3: optimizer step -------------------------------------------------------------------------
  const step: Part[] = [...persistent];
  if (!w.optimizer_in_backward && !offloadParams) {
    step.push(gradsFull);
    if (opt.stepTempBytes > 0 && !offloadOptimizer) step.push(part("optimizer_step_temporaries", "Optimizer step temporaries", opt.stepTempBytes, opt.stepTempFormula));
  }

  const phases: { phase: string; parts: Part[]; description: string }[] = [
    { phase: "end of forward (loss)", parts: fwd, description: "all saved activations + logits and the loss's fp32 temporaries" },
    { phase: "backward (loss)", parts: lossBwd, description: "cross-entropy backward on top of all saved activations" },
    { phase: sweepAt === L ? "backward (end, embedding)" : `backward (layer ${L - sweepAt} of ${L})`, parts: sweepBest, description: "activations being freed while gradients are allocated" },
    { phase: "optimizer step", parts: step, description: "gradients + optimizer states + step temporaries" },
  ];
  let peak = phases[0];
  for (const ph of phases) if (allocatedOf(ph.parts) > allocatedOf(peak.parts)) peak = ph;

  // ---- Allocator reserve and context -------------------------------------------------------------------
  const components = [...peak.parts];
  const persistentTensors: { bytes: number; count: number }[] = base.perGroup.map((p) => ({ bytes: p.bytes, count: p.group.count }));
  if (components.some((c) => c.id === "gradients") && !plan && !w.optimizer_in_backward) {
    for (const g of model.tensors) persistentTensors.push({ bytes: numel(g.shape) * gradElem, count: g.count });
  }
  const persistentRaw = persistentTensors.reduce((s, t) => s + t.bytes * t.count, 0);
  const persistentReserve = offloadParams ? 0 : Math.max(0, reservedForPersistent(persistentTensors) - persistentRaw);
  const transient = components.filter((c) => ["activations", "logits", "activation_gradients", "optimizer_step_temporaries", "qlora_dequant"].includes(c.id)).reduce((s, c) => s + c.bytes, 0);
  const transientReserve = roundUp(transient, 2 * MiB) - transient;
  const cublasSegment = Math.max(0, 20 * MiB - cublas.bytes);
  components.push({
    id: "allocator_reserve",
    label: "Allocator reserve",
    bytes: Math.ceil(persistentReserve + transientReserve + cublasSegment),
    formula: "caching allocator (CUDACachingAllocator.cpp): 2 MiB / 20 MiB segment rounding of weights and gradients, 2 MiB rounding of transient blocks, cuBLAS workspace's 20 MiB segment",
    level: "reserved",
  });
  components.push(cudaContextComponent({ vendor: gpu?.vendor }));
  components.push(...cpuParts);

  // ---- Assumptions -------------------------------------------------------------------------------------
  assumptions.push(
    `${w.precision}: ${policy.autocast ? `autocast ${computeDtypeName(policy)} compute with fp32 master weights and grads` : policy.name === "fp32" ? "fp32 weights, grads, states and activations" : "bf16 weights, grads, optimizer states and activations"}`,
  );
  const gqa = shape.kvHeads < shape.heads && !shape.mla;
  assumptions.push(
    `attention via ${attention === "eager" ? "eager (seq² probabilities saved)" : attention === "flash" ? "flash-attention 2 (no seq² tensors, grouped K/V not expanded)" : `PyTorch SDPA (no seq² tensors${gqa ? (kvExpanded ? `; grouped K/V expanded by repeat_kv (${masked ? "padded or packed rows need an attention mask" : "before torch 2.5"})` : "; grouped K/V passed unexpanded (enable_gqa, torch ≥ 2.5, no attention mask)") : ""})`}`,
  );
  if (attention !== w.attention) assumptions.push(`PyTorch ${w.torch_version} has no scaled_dot_product_attention: transformers falls back to eager attention`);
  if (!torchAtLeast(2, 0) && w.zero_grad_set_to_none && !w.optimizer_in_backward) assumptions.push(`PyTorch ${w.torch_version}: zero_grad() keeps gradients allocated between steps (set_to_none became the default in 2.0)`);
  assumptions.push("steady state (step ≥ 2): optimizer states exist during forward and backward");
  if (softmaxSavesInput) assumptions.push(`PyTorch ${w.torch_version}: softmax and log_softmax also keep their inputs for backward (changed in 1.11, pytorch#65242)`);
  if (w.grad_accum > 1) assumptions.push(`gradient accumulation ${w.grad_accum}: memory follows the micro-batch of ${w.batch}; gradients stay allocated between micro-batches; effective batch ${w.effective_batch}`);
  else if (!w.zero_grad_set_to_none) assumptions.push("zero_grad(set_to_none=False): gradients stay allocated between steps");
  if (plan) assumptions.push(`LoRA r=${rank} on ${plan.targets.join(",")}: ${formatCount(plan.trainableParams)} trainable params (${plan.trainableParams}); frozen base linears save no inputs`);
  if (w.qlora) assumptions.push(`QLoRA: NF4 base with${w.double_quant ? "" : "out"} double quantization, ${computeDtypeName(policy)} compute`);
  if (opt.paged) assumptions.push("paged optimizer states live in CUDA unified memory: nvidia-smi counts them while resident, torch's allocated/reserved do not");
  const lossLine = TV ? lossAssumption(w, lossDetails) : null;
  if (lossLine) assumptions.push(lossLine);
  if (w.activation_offload) {
    assumptions.push(`activation offloading: ${ckpt ? "checkpointed layer inputs" : "saved activations"} wait in CPU memory, ${kept} layers' worth in flight on the GPU`);
  }
  if (shape.moe) warnings.push("MoE training: expert activations assume an even routing of tokens (top-k of the experts)");

  const cpuBytes = cpuParts.reduce((s, c) => s + c.bytes, 0);
  if (cpuBytes > 0) assumptions.push(`${w.offload !== "none" ? `offload ${w.offload}` : "offloaded activations"}: ${formatBytes(cpuBytes)} of host memory`);

  return {
    components,
    peak: { phase: peak.phase, description: peak.description },
    warnings,
    assumptions,
    phases: phases.map((p) => ({ phase: p.phase, allocated_bytes: allocatedOf(p.parts) })),
    cpu_bytes: cpuBytes,
    trainable_parameters: trainableParams,
    lora: plan ? { rank, targets: plan.targets, trainable_parameters: plan.trainableParams } : undefined,
  };
}

function sum(parts: readonly Part[]): number {
  return allocatedOf(parts);
}

/** Bytes of a phase inside PyTorch's allocator (paged/device-level parts excluded). */
function allocatedOf(parts: readonly Part[]): number {
  let s = 0;
  for (const p of parts) if (p.level === "allocated" && p.location !== "cpu") s += p.bytes;
  return s;
}

