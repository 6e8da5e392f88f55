/**
 * Inference estimate for transformer models in PyTorch/transformers (`generate()` or a forward pass):
 * weights + KV cache + the prefill activation peak + logits + library workspaces, then the allocator's
 * reserve and the CUDA context.
 */
import { MIN_LARGE_ALLOC, reservedForPersistent } from "../../core/allocator.js";
import type { Component } from "../../core/estimate-types.js";
import { kvCacheComponent, kvValuesPerToken } from "../../core/kv-cache.js";
import { attentionLayerCount, statePrefillPeak, stateLayerCount, transformersStateComponent } from "../../core/state-cache.js";
import { resolveTask } from "../../core/task.js";
import { crossKvCacheComponent, encoderForwardPeak, encoderLength, encoderOutputComponent } from "../../core/encoder-decoder.js";
import { multimodalLoad } from "../../core/multimodal.js";
import type { TransformerModel } from "../../core/model.js";
import { cublasWorkspaceComponent, cudaContextComponent } from "../../core/overheads.js";
import { dtypeBytes, kvBytes } from "../../core/precision.js";
import { prefillActivationPeak } from "../../core/prefill-activations.js";
import type { Gpu } from "../../core/gpu.js";
import { weightsComponent } from "../../core/weights.js";
import type { PartialEstimate } from "../../core/profile.js";
import type { TransformersWorkload as Workload } from "./profile.js";
import { MiB, roundUp } from "../../core/units.js";
import { TRANSFORMERS_DEFAULT_VERSION, transformersMechanisms } from "./version.js";
import { gptqKernelComponent } from "./gptq.js";

export function transformersInference(model: TransformerModel, w: Workload, gpu?: Gpu): PartialEstimate {
  const shape = model.transformer;
  const e = dtypeBytes(w.dtype);
  const shards = w.gpus;
  const components: Component[] = [];
  const warnings: string[] = [];
  const assumptions: string[] = [];

  const { component: weights, breakdown } = weightsComponent(model, w.dtype, w.quant, shards, { doubleQuant: w.double_quant });
  components.push(weights);

  // Vision / audio-language models: image and audio tokens join each sequence; the tower runs before the prefill.
  const mm = multimodalLoad(shape, { batch: w.batch, images: w.images as number | undefined, imageSize: w.image_size, audioSeconds: w.audio_seconds as number | undefined, bytesPerValue: e, attention: w.attention, kvDtype: w.kv_dtype, kvBytes, shards });
  const seq = w.seq + mm.lmTokens;
  assumptions.push(...mm.assumptions);
  if (mm.lmTokens > 0 && shape.maxPositions > 0 && seq > shape.maxPositions) warnings.push(`${w.seq} text + ${mm.lmTokens} image/audio tokens = ${seq}, past ${model.id}'s ${shape.maxPositions} positions`);
  const kv = kvCacheComponent(shape, { batch: w.batch, seq, kvDtype: w.kv_dtype, runtime: w.runtime, shards });
  if (kv.bytes > 0) components.push(kv);
  components.push(...mm.components);
  // Recurrent / linear-attention layers keep a fixed-size state per sequence (core/state-cache.ts).
  const state = transformersStateComponent(shape, { batch: w.batch, dtype: w.dtype, shards });
  if (state) {
    components.push(state);
    assumptions.push(`${stateLayerCount(shape)} ${shape.state!.kind} layers run the fused kernels (mamba-ssm / causal-conv1d / flash-linear-attention); without them transformers' torch fallback materializes per-token states and needs far more`);
  }

  // Prefill: the whole sequence goes through the model at once (upper bound of generate's first step).
  // Encoder-decoders (T5, BART, Whisper): the encoder runs once; the decoder then generates one token per step
  // against its own growing K/V and the cross-attention K/V of the encoder output (core/encoder-decoder.ts).
  const enc = shape.encoder ?? null;
  let encoderPhase: { bytes: number; formula: string; phase: string } | null = null;
  let decodingState = 0;
  if (enc) {
    const encSeq = encoderLength(enc, { encoderSeq: w.encoder_seq as number | undefined, seq: w.seq }, model.id);
    const cross = crossKvCacheComponent(shape, { batch: w.batch, encoderSeq: encSeq, kvDtype: w.kv_dtype, shards });
    const out = encoderOutputComponent(shape, { batch: w.batch, encoderSeq: encSeq, bytesPerValue: e });
    components.push(cross, out);
    decodingState = cross.bytes + kv.bytes;
    encoderPhase = encoderForwardPeak(shape, { batch: w.batch, encoderSeq: encSeq, bytesPerValue: e, attention: w.attention, relativeBias: /t5/.test(model.architecture) });
    assumptions.push(`encoder over ${encSeq} positions${enc.fixedLength ? " (fixed: every input is padded to one window)" : ""}; the decoder generates ${w.seq} tokens one per step`);
  }
  const layerPeak = prefillActivationPeak(shape, { batch: w.batch, tokens: enc ? 1 : seq, bytesPerValue: e, attention: w.attention });
  // A recurrent mixer's live set can exceed the attention and MLP halves (Mamba's in_proj is 2·d_inner wide).
  const mixerPeak = statePrefillPeak(shape, { batch: w.batch, tokens: seq, bytesPerValue: e });
  let peak = mixerPeak && mixerPeak.bytes > layerPeak.bytes ? { ...layerPeak, bytes: mixerPeak.bytes, formula: mixerPeak.formula, phase: "state mixer" as string } : (layerPeak as typeof layerPeak & { phase: string });
  // The encoder's forward happens before any decoder K/V exists: it sets the peak when its live set exceeds the
  // decoding state (self + cross K/V) plus one decoding step.
  if (encoderPhase && encoderPhase.bytes - decodingState > peak.bytes) {
    peak = { ...peak, bytes: encoderPhase.bytes - decodingState, phase: encoderPhase.phase, formula: `${encoderPhase.formula}, less the decoding K/V not yet allocated then (${decodingState} B)` };
  }
  // The vision / audio tower encodes the batch's images before the prefill, when the K/V is not yet filled.
  if (mm.towerPeak && mm.towerPeak.bytes - kv.bytes > peak.bytes) {
    peak = { ...peak, bytes: mm.towerPeak.bytes - kv.bytes, phase: "vision tower", formula: `${mm.towerPeak.formula}, less the K/V not yet filled then` };
  }
  const task = resolveTask(shape, w.task);
  const mech = transformersMechanisms(w.transformers_version ?? TRANSFORMERS_DEFAULT_VERSION, model.architecture);
  // An encoder-decoder's decoder starts from one token: its peak is the encoder's forward or one decoding step.
  if (task !== "generate") assumptions.push(`${task}: one forward of the batch (${w.batch} × ${w.seq} tokens), no generation`);
  else if (!enc) assumptions.push(`prefill processes all ${w.seq} tokens at once (the activation peak of generate's first step)`);
  const activationsLabel = enc ? `Activations (${encoderPhase && peak.phase === encoderPhase.phase ? "encoder forward" : "decoding step"} peak)` : "Activations (prefill peak)";
  if (w.attention !== "eager") assumptions.push(`attention via ${w.attention === "flash" ? "flash-attention 2" : "PyTorch SDPA (flash / memory-efficient kernels)"}: no seq² score matrix`);
  else if (mech.eagerByDefault && w.transformers_version) assumptions.push(`transformers ${mech.version} has no SDPA path (added in 4.36): eager attention`);

  // Logits: generate() computes the last position only (logits_to_keep=1, since 4.45) and upcasts it to fp32;
  // a plain forward returns logits for every position in the compute dtype. Before 4.45 generate's first
  // forward returned every prompt position, and Llama-family forwards upcast all of them (version.ts).
  const V = shape.vocab;
  let logitsBytes: number;
  let logitsComponent: Component;
  if (task === "generate") {
    const all = w.logits === "all" || mech.fullPrefillLogits;
    const fp32All = all && mech.fullLogitsFp32;
    logitsBytes = all ? w.batch * seq * V * e + (fp32All ? w.batch * seq * V * 4 : w.batch * V * 4) : w.batch * V * (e + 4);
    logitsComponent = {
      id: "logits",
      label: "Logits",
      bytes: logitsBytes,
      formula: fp32All
        ? `batch ${w.batch} × ${seq} positions × vocab ${V} × (${e} B + 4 B): transformers ${mech.version} returns every prompt position from generate's first forward and ${model.architecture} upcasts them all with logits.float()`
        : all
          ? `batch ${w.batch} × ${seq} positions × vocab ${V} × ${e} B${w.logits === "all" ? "" : ` (transformers ${mech.version}: no logits_to_keep before 4.45)`} + last-token fp32 copy`
          : `batch ${w.batch} × vocab ${V} × (${e} B + 4 B fp32 upcast) — last position only`,
      level: "allocated",
    };
  } else {
    // Pooling models return last_hidden_state [B, T, H] (BertModel / AutoModel outputs; sentence-transformers pools
    // it to one vector per sequence); classifiers and rerankers return [B, num_labels] scores from it. No LM head.
    logitsBytes = w.batch * w.seq * shape.hidden * e + w.batch * shape.hidden * 4;
    logitsComponent = {
      id: "logits",
      label: task === "embed" ? "Output hidden states + pooled embeddings" : "Output hidden states + scores",
      bytes: logitsBytes,
      formula: `last_hidden_state batch ${w.batch} × ${w.seq} tokens × hidden ${shape.hidden} × ${e} B + pooled batch × hidden × 4 B (no vocabulary logits)`,
      level: "allocated",
    };
  }

  const generating = !shape.encoderOnly && attentionLayerCount(shape) > 0 && task === "generate";
  let transient = peak.bytes + logitsBytes;
  const encoderPeak = !!encoderPhase && peak.phase === encoderPhase.phase;
  let peakPhase = !enc ? `prefill (${peak.phase} of the last layer)` : encoderPeak ? `the encoder's forward (${peak.phase})` : `a decoding step (${peak.phase} of the last layer)`;
  let peakDescription = "weights + full KV cache + one layer's largest live set + logits";
  let phases: { phase: string; allocated_bytes: number }[] | undefined;
  let legacyPhases: { prefill: number; decode: number } | undefined;
  if (generating && mech.legacyCache) {
    // Legacy tuple cache (transformers < 4.42, version.ts legacyCache): during the last decoding step the previous
    // step's cache (one token shorter) is alive while the forward builds the new one, layer by layer.
    const copy = seq > 1 ? Math.round((kv.bytes * (seq - 1)) / seq) : 0;
    const step = prefillActivationPeak(shape, { batch: w.batch, tokens: 1, bytesPerValue: e, attention: w.attention });
    // One query against `seq` keys: eager keeps b·heads·seq scores (matmul + softmax in fp32), the others none.
    const stepScores = w.attention === "eager" ? w.batch * shape.heads * seq * 8 : 0;
    const stepLogits = w.batch * V * (e + 4) + w.batch * V * 4;
    const decodeTransient = copy + step.bytes + stepScores + stepLogits;
    legacyPhases = { prefill: transient, decode: decodeTransient };
    assumptions.push(`transformers ${mech.version} keeps the legacy tuple KV cache in generate(): the previous step's whole cache stays alive while each step builds the next (fixed in 4.42)`);
    // Each step's torch.cat makes every layer's K and V one token longer. From MIN_LARGE_ALLOC (10 MiB) on, each
    // gets a segment of its own rounded to 2 MiB (CUDACachingAllocator.cpp get_allocation_size), and segments the
    // growing cache has outgrown stay cached: reserved grows far past allocated (optimum-benchmark Llama-7B 4.35.2
    // batch 8: 59.1 GiB reserved, 18.6 GiB allocated). Not modelled (docs/engines/transformers-accuracy.md).
    const layerK = (kvBytes(w.kv_dtype, (kvValuesPerToken(shape, w.runtime) / 2) * seq) * w.batch) / shards;
    if (layerK >= MIN_LARGE_ALLOC) warnings.push(`transformers ${mech.version}: each layer's K/V reaches ${(layerK / MiB).toFixed(0)} MiB and is re-allocated one token longer every step; the caching allocator keeps the outgrown blocks, so reserved and nvidia-smi memory can be several times the allocated figure (3.2× measured on Llama-2-7B at batch 8; not modelled)`);
    if (decodeTransient > transient) {
      transient = decodeTransient;
      peakPhase = "the last decoding step (legacy cache: old and new K/V both alive)";
      peakDescription = "weights + the new KV cache + the previous step's KV cache + one token's activations and logits";
      components.push(
        { id: "kv_cache_legacy_copy", label: "KV cache, previous step's copy", bytes: copy, formula: `the previous step's K/V tuple (${seq - 1} tokens) still referenced by generate() while the forward builds the new one with torch.cat (modeling_llama.py v4.35 LlamaAttention; DynamicCache.from_legacy_cache / to_legacy_cache in 4.36–4.41)`, level: "allocated" },
        { id: "activations", label: "Activations (decoding step)", bytes: step.bytes + stepScores, formula: `one token's layer peak${stepScores ? ` + eager scores batch × heads × ${seq} keys × 8 B` : ""}`, level: "allocated" },
        { id: "logits", label: "Logits", bytes: stepLogits, formula: `batch ${w.batch} × vocab ${V} × (${e} B + 4 B fp32) for this step + the previous step's fp32 logits still referenced`, level: "allocated" },
      );
    } else {
      components.push({ id: "activations", label: activationsLabel, bytes: peak.bytes, formula: peak.formula, level: "allocated" }, logitsComponent);
    }
  } else {
    components.push({ id: "activations", label: activationsLabel, bytes: peak.bytes, formula: peak.formula, level: "allocated" }, logitsComponent);
    // While generating, transformers' DynamicCache grows each layer with torch.cat: one layer's K or V
    // exists twice for a moment.
    if (generating) {
      const oneLayer = Math.ceil(kvBytes(w.kv_dtype, (kvValuesPerToken(shape, w.runtime) / 2) * seq) * w.batch / shards);
      components.push({
        id: "kv_cache_growth",
        label: "KV cache concat copy",
        bytes: oneLayer,
        formula: "one layer's K (or V) copied by torch.cat when DynamicCache grows (cache_utils.py)",
        level: "allocated",
      });
    }
  }

  // bitsandbytes 4-bit matmuls dequantize one weight at a time to the compute dtype
  // (bitsandbytes MatMul4Bit: F.dequantize_4bit(B, quant_state).to(A.dtype)); the largest linear sets the peak.
  if (w.quant === "nf4" || w.quant === "fp4") {
    const computeDtype = w.bnb_compute_dtype ?? w.dtype;
    let largest = 0;
    for (const g of model.tensors) if (g.kind === "linear" && !g.expert) largest = Math.max(largest, g.shape.reduce((a, b) => a * b, 1));
    components.push({
      id: "dequant_buffer",
      label: "4-bit dequantization buffer",
      bytes: Math.ceil((largest * dtypeBytes(computeDtype)) / shards),
      formula: `largest quantized linear (${largest.toLocaleString("en-US")} weights) dequantized to ${computeDtype} for the matmul (bitsandbytes MatMul4Bit)`,
      level: "allocated",
    });
  }

  // GPTQ kernels keep their own scratch buffers from load time on (gptq.ts).
  if (w.quant === "gptq" && w.gptq_kernel) {
    const buffers = gptqKernelComponent(model, w.gptq_kernel);
    if (buffers) {
      // exllama's buffers are one per device (the largest module's); marlin's workspaces follow their modules.
      if (w.gptq_kernel === "marlin") buffers.bytes = Math.ceil(buffers.bytes / shards);
      components.push(buffers);
      if (w.gptq_kernel === "exllamav1") assumptions.push("GPTQ without act-order (desc_act false): exllama's temp_state is 1 × 1 (with act-order: 2048 × max(in, out) fp16 more)");
    }
  }

  const cublas = cublasWorkspaceComponent(gpu?.arch);
  components.push(cublas);

  // The allocated total at each phase: what stays (weights, cache, kernel buffers, ...) + that phase's transients.
  if (legacyPhases) {
    const held = components.filter((c) => c.level === "allocated" && c.location !== "cpu").reduce((s, c) => s + c.bytes, 0) - transient;
    phases = [
      { phase: "prefill", allocated_bytes: held + legacyPhases.prefill },
      { phase: "last decoding step", allocated_bytes: held + legacyPhases.decode },
    ];
  }

  // Allocator: persistent tensors pack into segments; transient ones round to 2 MiB blocks.
  const persistent = [
    ...breakdown.perGroup.map((p) => ({ bytes: Math.ceil(p.bytes / shards), count: p.group.count })),
    { bytes: Math.ceil(kv.bytes / Math.max(1, 2 * attentionLayerCount(shape))), count: 2 * attentionLayerCount(shape) },
    ...(state ? [{ bytes: Math.ceil(state.bytes / (2 * stateLayerCount(shape))), count: 2 * stateLayerCount(shape) }] : []),
  ];
  const persistentBytes = breakdown.bytes / shards + kv.bytes + (state?.bytes ?? 0);
  const persistentReserve = Math.max(0, reservedForPersistent(persistent) - persistentBytes);
  // Transient blocks of a layer are reused by the next layer. Tensors of 10 MiB and more get a segment
  // each and segments never merge, so the attention half's blocks (other sizes than the MLP's) stay
  // cached beside the MLP's: the reserve holds both halves except the hidden-sized blocks they share (at
  // their peaks each half holds three: the layer's input, the normed input and the residual or q).
  const residual = w.batch * seq * shape.hidden * e;
  const otherHalf = residual >= 10 * MiB ? Math.max(0, Math.min(peak.attentionBytes, peak.mlpBytes) - 3 * residual) : 0;
  const transientReserve = roundUp(transient, 2 * MiB) - transient + otherHalf;
  const cublasSegment = 20 * MiB - cublas.bytes;
  components.push({
    id: "allocator_reserve",
    label: "Allocator reserve",
    bytes: Math.ceil(persistentReserve + transientReserve + Math.max(0, cublasSegment)),
    formula:
      "caching allocator (CUDACachingAllocator.cpp): segment rounding of weights and KV (2 MiB / 20 MiB segments), cached blocks of the other half of the layer, cuBLAS workspace's 20 MiB segment",
    level: "reserved",
  });

  components.push(cudaContextComponent({ vendor: gpu?.vendor }));

  if (shards > 1) {
    assumptions.push(`${shards} GPUs: weights and KV cache split evenly (tensor parallel / device_map); activations per GPU as on one`);
  }
  return {
    components,
    peak: { phase: peakPhase, description: peakDescription },
    ...(phases ? { phases } : {}),
    warnings,
    assumptions,
  };
}
