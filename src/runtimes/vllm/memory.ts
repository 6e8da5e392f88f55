/**
 * How vLLM sizes its memory at startup (docs/research/mechanics.md §4.3; vllm/v1/worker/gpu_worker.py
 * `determine_available_memory`, V0 worker.py `determine_num_available_blocks`):
 *
 *   budget          = gpu_memory_utilization × total GPU memory            (a fraction of TOTAL, not free)
 *   kv_budget       = budget − weights − activation peak of the profile run − non-torch memory
 *   num_blocks      = kv_budget // (layers × page_size)                      (per KV cache group)
 *   page_size       = coef × block_size × kv_heads_per_gpu × head_size × dtype   (coef 2 = K and V; 1 for MLA)
 *
 * (vllm/v1/kv_cache_interface.py AttentionSpec/MLAAttentionSpec.page_size_bytes.) Everything is per GPU under
 * tensor parallelism. Pure: no I/O.
 */
import type { TransformerModel, TransformerShape } from "../../core/model.js";
import { dtypeBytes } from "../../core/precision.js";
import { weightsComponent } from "../../core/weights.js";
import { GiB, formatBytes } from "../../core/units.js";
import { imageTokens, largestImage, towerForwardPeak } from "../../core/multimodal.js";
import { attentionLayerCount, stateInProjWidth, stateLayerCount, vllmStatePageBytes } from "../../core/state-cache.js";

export interface VllmOptions {
  /** Driver-reported total memory of one GPU (bytes). */
  totalBytes: number;
  tensorParallel: number;
  dtype: string;
  quant: string | null;
  kvDtype: string;
  gpuMemoryUtilization: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  blockSize: number;
  /** Tokens of one sequence the cache must hold (max_model_len, else the workload's seq). */
  maxModelLen: number;
  enforceEager: boolean;
  /** --disable-hybrid-kv-cache-manager (and the V0 engine): sliding-window layers keep every token. */
  disableHybridKvCache?: boolean;
  /** --mamba-cache-dtype (conv state; auto: the model dtype) and --mamba-ssm-cache-dtype (auto: the checkpoint's or the conv dtype). */
  mambaCacheDtype?: string;
  mambaSsmCacheDtype?: string;
  /** Embedding / classification with a decoder: a pooler instead of the sampler in the profile run. */
  pooling?: boolean;
  /** Whether the user set --block-size (hybrid models raise a block size left unset, and one set too small). */
  blockSizeSet?: boolean;
}

/**
 * How vLLM V1 lays out the cache of a model with recurrent layers (v0.11: vllm/model_executor/models/config.py
 * HybridAttentionMambaModelConfig @0144dd5b; vllm/v1/core/kv_cache_utils.py _get_kv_cache_groups_uniform_page_size):
 * - one state page holds one sequence's conv + SSM state of one layer (core/state-cache.ts vllmStatePageBytes);
 * - every group must share one page size, so the attention block size is raised to
 *   a × ceil(state page / (a × attention bytes per token)), a = max(16, --block-size), and the state page padded
 *   up to the attention page (later versions: vllm/platforms/interface.py _align_hybrid_block_size; checked on the
 *   block sizes vLLM logs in issues #42966 and #41037, memory.spec);
 * - layers of each kind are split into groups of group_size = the smaller kind's layer count (the larger when the
 *   two are within 25 %); the pool has group_size tensors of num_blocks pages, each shared by one layer of every group;
 * - a sequence takes ceil(len / block) blocks in each attention group and one block in each state group.
 */
export interface VllmHybridLayout {
  blockSize: number;
  /** The uniform page (bytes) every group uses. */
  pageBytes: number;
  /** The state page before padding. */
  statePageBytes: number;
  statePageFormula: string;
  groupSize: number;
  attentionGroups: number;
  stateGroups: number;
  /** Blocks one sequence of maxModelLen takes across all groups. */
  blocksPerSequence: number;
  attentionLayers: number;
  stateLayers: number;
}

export function vllmHybridLayout(shape: TransformerShape, o: Pick<VllmOptions, "tensorParallel" | "dtype" | "kvDtype" | "blockSize" | "maxModelLen" | "mambaCacheDtype" | "mambaSsmCacheDtype" | "blockSizeSet">): VllmHybridLayout {
  const tp = o.tensorParallel;
  const st = vllmStatePageBytes(shape.state!, { tp, dtype: o.dtype, cacheDtype: o.mambaCacheDtype, ssmCacheDtype: o.mambaSsmCacheDtype });
  const A = attentionLayerCount(shape);
  const S = stateLayerCount(shape);
  if (A === 0) {
    // Only recurrent layers: one group of every layer, one page per sequence and layer, no padding.
    return { blockSize: o.maxModelLen, pageBytes: st.bytes, statePageBytes: st.bytes, statePageFormula: st.formula, groupSize: S, attentionGroups: 0, stateGroups: 1, blocksPerSequence: 1, attentionLayers: 0, stateLayers: S };
  }
  const attn1 = pageBytesPerLayer(shape, 1, o.kvDtype, tp);
  // alignment = max(the attention kernel's smallest block (16 for FlashAttention / FlashInfer), the user's
  // --block-size) (vllm/platforms/interface.py _align_hybrid_block_size; v0.11 used 16 and kept a larger user value)
  const align = o.blockSizeSet ? Math.max(16, o.blockSize) : 16;
  const blockSize = align * Math.ceil(st.bytes / (align * attn1));
  const pageBytes = blockSize * attn1;
  let groupSize = Math.min(A, S);
  if (Math.max(A, S) < groupSize * 1.25) groupSize = Math.max(A, S);
  const attentionGroups = Math.ceil(A / groupSize);
  const stateGroups = Math.ceil(S / groupSize);
  return {
    blockSize, pageBytes, statePageBytes: st.bytes, statePageFormula: st.formula, groupSize, attentionGroups, stateGroups,
    blocksPerSequence: attentionGroups * Math.ceil(o.maxModelLen / blockSize) + stateGroups, attentionLayers: A, stateLayers: S,
  };
}

export interface VllmMemory {
  weightsBytes: number;
  weightsFormula: string;
  activationBytes: number;
  activationFormula: string;
  nonTorchBytes: number;
  nonTorchFormula: string;
  cudaGraphBytes: number;
  budgetBytes: number;
  /** Can be negative: vLLM then refuses to start ("No available memory for the cache blocks"). */
  kvBudgetBytes: number;
  kvHeadsPerGpu: number;
  pageBytesPerLayer: number;
  /** KV bytes one token takes across all layers on one GPU. */
  kvBytesPerToken: number;
  numBlocks: number;
  blocksPerSequence: number;
  /** Sequences of maxModelLen whose KV fits in the blocks at once. */
  maxSequences: number;
  /** Bytes of the pre-allocated KV (and state) cache: num_blocks × the pool's block. */
  cacheBytes: number;
  /** Models with recurrent layers: the hybrid allocator's layout (null otherwise). */
  hybrid: VllmHybridLayout | null;
}

/**
 * Bytes per logit element live in the sampler's profiling pass. vLLM's dummy sampler run uses top-k =
 * vocab − 1 and top-p < 1 so that the sort path runs (V0 `profile_run` SamplingParams(top_p=0.99,
 * top_k=vocab_size - 1); V1 `_dummy_sampler_run`): bf16 logits (2) and their fp32 upcast (4), sorted values (4)
 * and int64 indices (8), softmax of the sorted logits (4) and its cumsum (4), two bool masks (2), the
 * scattered-back logits (4), probs (4) and logprobs (4) = 40 B; 38 B counted since the bf16 logits are
 * freed after the upcast but before the last two (checked on the 2048-token records, where it dominates).
 */
export const SAMPLER_BYTES_PER_LOGIT = 38;

/** Non-torch memory vLLM measures during profiling on one GPU: 0.09 GiB in every V0 startup log (A100, A800). */
export const NON_TORCH_SINGLE_GPU = Math.round(0.09 * GiB);
/** Tensor parallel adds NCCL communicators and vLLM's custom all-reduce buffers (approx; mechanics.md §1.4). */
export const NON_TORCH_TP_EXTRA = Math.round(0.4 * GiB);
/**
 * CUDA graph capture: 0.18–0.52 GiB in the V0 logs (dense 0.5B–32B) and 0.4–2.2 GiB in V1 logs (piecewise +
 * full graphs). vLLM ≤ 0.11 does not take it out of the KV budget: it comes on top of the utilization.
 */
export const CUDA_GRAPH_ESTIMATE = Math.round(0.5 * GiB);

/** KV heads each GPU keeps: heads are split over TP ranks, and replicated when there are fewer heads than ranks. */
export function kvHeadsPerGpu(shape: TransformerShape, tp: number): number {
  return Math.max(1, Math.ceil(shape.kvHeads / tp));
}

/** vLLM page size of one layer's block: coef × block × heads × head_size × dtype (kv_cache_interface.py). */
export function pageBytesPerLayer(shape: TransformerShape, blockSize: number, kvDtype: string, tp: number): number {
  const e = dtypeBytes(kvDtype);
  if (shape.mla) return blockSize * (shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim) * e; // one latent, replicated on every rank
  return 2 * blockSize * kvHeadsPerGpu(shape, tp) * shape.headDim * e;
}

/**
 * Activation peak of vLLM's profiling run: a forward pass of max_num_batched_tokens tokens, then the sampler on
 * max_num_seqs rows. The forward's live set peaks in the MLP: gate_up output (2·I) and its activation (I),
 * plus the residual, the normed input, the attention output and the layer output (4·h), all in the compute
 * dtype; MLP columns split over TP ranks. MoE layers (fused_moe): top-k × (2·I' + I' + h) per token.
 */
export function profileActivationPeak(shape: TransformerShape, opts: { tokens: number; seqs: number; dtype: string; tp: number; plainMlp?: boolean }): { bytes: number; formula: string } {
  const e = dtypeBytes(opts.dtype);
  const t = opts.tp;
  const T = opts.tokens;
  let perToken: number;
  let what: string;
  if (shape.moe && shape.moe.moeLayers > 0) {
    const k = shape.moe.expertsPerToken;
    const I = shape.moe.expertIntermediate;
    perToken = (k * 3 * I) / t + k * shape.hidden + 4 * shape.hidden + (shape.moe.sharedExperts * 3 * I) / t;
    what = `top-${k} × (3 × ${I}${t > 1 ? `/${t}` : ""} + ${shape.hidden}) + 4 × ${shape.hidden}`;
  } else {
    // fc1 output and its activation (2 × I) for plain GELU MLPs (pooling runner's encoders); gate_up (2 × I) + act (I) for SwiGLU
    const m = opts.plainMlp && shape.mlp === "plain" ? 2 : 3;
    perToken = (m * shape.intermediate) / t + 4 * shape.hidden;
    what = `${m} × ${shape.intermediate}${t > 1 ? `/${t}` : ""} + 4 × ${shape.hidden}`;
  }
  // Recurrent mixers (mamba_mixer2, gdn_linear_attn, short_conv): in_proj output, conv output and the scan /
  // gated-norm outputs beside the residual stream, split over TP ranks (derived from the mixers' forward; approx).
  if (shape.state && stateLayerCount(shape) > 0) {
    const s = shape.state;
    const mixer = (stateInProjWidth(s, shape.hidden) + s.convChannels + 2 * s.inner) / t + 2 * shape.hidden;
    if (mixer > perToken) {
      perToken = mixer;
      what = `${s.kind} mixer: (in_proj ${stateInProjWidth(s, shape.hidden)} + conv ${s.convChannels} + 2 × ${s.inner})${t > 1 ? `/${t}` : ""} + 2 × ${shape.hidden}`;
    }
  }
  const forward = Math.ceil(T * perToken * e);
  const sampler = opts.seqs * shape.vocab * SAMPLER_BYTES_PER_LOGIT;
  if (forward >= sampler) {
    return { bytes: forward, formula: `forward of ${T} tokens × (${what}) × ${e} B = ${formatBytes(forward)} (> sampler ${formatBytes(sampler)})` };
  }
  return {
    bytes: sampler,
    formula: `sampler on ${opts.seqs} seqs × vocab ${shape.vocab} × ${SAMPLER_BYTES_PER_LOGIT} B (sort path of the dummy sampler run) = ${formatBytes(sampler)} (> forward of ${T} tokens ${formatBytes(forward)})`,
  };
}

/**
 * vLLM's rotary embedding keeps a cos/sin cache of [max_position_embeddings (× rope scaling factor), rotary_dim]
 * in the model dtype on every GPU (vllm/model_executor/layers/rotary_embedding.py `_compute_cos_sin_cache`);
 * it is counted in "Model loading took". 0.24 GiB for a 1M-position model.
 */
export function ropeCacheBytes(shape: TransformerShape, dtype: string): number {
  const rotaryDim = shape.mla ? shape.mla.qkRopeHeadDim : shape.headDim;
  return shape.maxPositions * rotaryDim * dtypeBytes(dtype);
}

export function vllmMemory(model: TransformerModel, o: VllmOptions): VllmMemory {
  const shape = model.transformer;
  const tp = o.tensorParallel;
  const { component: w } = weightsComponent(model, o.dtype, o.quant, tp);
  const rope = ropeCacheBytes(shape, o.dtype);
  const weights = { bytes: w.bytes + rope, formula: `${w.formula} + rotary cos/sin cache ${shape.maxPositions} positions × ${shape.mla ? shape.mla.qkRopeHeadDim : shape.headDim} (${formatBytes(rope)})` };
  // pooling models run a pooler, not the sampler (no logits over the vocabulary)
  let act = profileActivationPeak(shape, { tokens: o.maxNumBatchedTokens, seqs: o.pooling ? 0 : Math.min(o.maxNumSeqs, o.maxNumBatchedTokens), dtype: o.dtype, tp });
  const mm = multimodalProfile(shape, o);
  if (mm && mm.bytes > act.bytes) act = mm;
  const nonTorch = NON_TORCH_SINGLE_GPU + (tp > 1 ? NON_TORCH_TP_EXTRA : 0);
  const budget = Math.floor(o.totalBytes * o.gpuMemoryUtilization);
  const kvBudget = budget - weights.bytes - act.bytes - nonTorch;
  const hybrid = shape.state && stateLayerCount(shape) > 0 ? vllmHybridLayout(shape, o) : null;
  if (hybrid) {
    const poolBlock = hybrid.pageBytes * hybrid.groupSize;
    const blocks = kvBudget > 0 ? Math.floor(kvBudget / poolBlock) : 0;
    return {
      weightsBytes: weights.bytes, weightsFormula: weights.formula, activationBytes: act.bytes, activationFormula: act.formula,
      nonTorchBytes: nonTorch,
      nonTorchFormula: tp > 1 ? "0.09 GiB measured in vLLM's single-GPU logs + ~0.4 GiB NCCL / custom all-reduce buffers (approx)" : "0.09 GiB, as vLLM's single-GPU startup logs measure it",
      cudaGraphBytes: o.enforceEager ? 0 : CUDA_GRAPH_ESTIMATE, budgetBytes: budget, kvBudgetBytes: kvBudget,
      kvHeadsPerGpu: shape.mla ? 1 : kvHeadsPerGpu(shape, tp), pageBytesPerLayer: hybrid.pageBytes,
      kvBytesPerToken: hybrid.attentionLayers > 0 ? (hybrid.attentionLayers * hybrid.pageBytes) / hybrid.blockSize : 0,
      numBlocks: blocks, blocksPerSequence: hybrid.blocksPerSequence, maxSequences: Math.floor(blocks / hybrid.blocksPerSequence),
      cacheBytes: blocks * poolBlock, hybrid,
    };
  }
  const page = pageBytesPerLayer(shape, o.blockSize, o.kvDtype, tp);
  const blockBytes = shape.layers * page;
  const numBlocks = kvBudget > 0 ? Math.floor(kvBudget / blockBytes) : 0;
  // Encoder-decoders (Whisper in V1): the decoder layers' cross-attention K/V is a second group (CrossAttentionSpec,
  // same page) that takes ceil(encoder length / block) blocks per request from the same pool.
  const crossBlocks = shape.encoder ? Math.ceil((shape.encoder.fixedLength ?? shape.encoder.maxPositions) / o.blockSize) : 0;
  const blocksPerSequence = Math.ceil(o.maxModelLen / o.blockSize) + crossBlocks;
  // V1's hybrid KV cache manager gives sliding-window layers only the blocks their window touches
  // (vllm/v1/core/single_type_kv_cache_manager.py SlidingWindowManager frees blocks that leave the window):
  // a sequence costs full layers × its length + sliding layers × (window + one block). The block count above
  // keeps vLLM's own convention (tokens across all layers), which is what its log reports.
  const sliding = shape.slidingWindow ? shape.layerTypes.filter((t) => t === "sliding").length : 0;
  let maxSequences = Math.floor(numBlocks / blocksPerSequence);
  if (sliding > 0 && !o.disableHybridKvCache && kvBudget > 0) {
    const slidingBlocks = Math.min(blocksPerSequence, Math.ceil(shape.slidingWindow! / o.blockSize) + 1);
    const perSeq = ((shape.layers - sliding) * blocksPerSequence + sliding * slidingBlocks) * page;
    maxSequences = Math.floor(kvBudget / perSeq);
  }
  return {
    weightsBytes: weights.bytes,
    weightsFormula: weights.formula,
    activationBytes: act.bytes,
    activationFormula: act.formula,
    nonTorchBytes: nonTorch,
    nonTorchFormula: tp > 1 ? "0.09 GiB measured in vLLM's single-GPU logs + ~0.4 GiB NCCL / custom all-reduce buffers (approx)" : "0.09 GiB, as vLLM's single-GPU startup logs measure it",
    cudaGraphBytes: o.enforceEager ? 0 : CUDA_GRAPH_ESTIMATE,
    budgetBytes: budget,
    kvBudgetBytes: kvBudget,
    kvHeadsPerGpu: shape.mla ? 1 : kvHeadsPerGpu(shape, tp),
    pageBytesPerLayer: page,
    kvBytesPerToken: blockBytes / o.blockSize,
    numBlocks,
    blocksPerSequence,
    maxSequences,
    cacheBytes: numBlocks * blockBytes,
    hybrid: null,
  };
}

/**
 * The profile run's dummy multimodal inputs (vLLM V1 gpu_model_runner.profile_run / V0 profile_run): images of the
 * largest size the processor makes (the most tokens per item), as many as fit in max(max_num_batched_tokens, one
 * item's tokens), at most max_num_seqs, run through the vision tower in one batch; their embeddings stay for the
 * language model. The tower runs with flash / memory-efficient attention (no scores). Gemma 3 at 8192 batched
 * tokens: 32 images of 896 px (4096 patches each). Returns null for text-only models.
 */
export function multimodalProfile(shape: TransformerShape, o: Pick<VllmOptions, "maxNumBatchedTokens" | "maxNumSeqs" | "dtype" | "tensorParallel">): { bytes: number; formula: string } | null {
  const v = shape.vision;
  if (!v) return null;
  const [w, h] = largestImage(v);
  const it = imageTokens(v, w, h);
  const items = Math.max(1, Math.min(Math.floor(Math.max(o.maxNumBatchedTokens, it.tokens) / it.tokens), o.maxNumSeqs));
  const e = dtypeBytes(o.dtype);
  const tower = towerForwardPeak(v, { towerImages: items * it.towerImages, tokensPerImage: it.towerTokens, bytesPerValue: e, attention: "flash" });
  const embeds = items * it.tokens * shape.hidden * e;
  const bytes = Math.ceil(tower.bytes / o.tensorParallel) + embeds;
  return { bytes, formula: `profile run with ${items} dummy image(s) of ${w}×${h} (${it.tokens} tokens each): ${tower.formula}${o.tensorParallel > 1 ? ` ÷ ${o.tensorParallel}` : ""} + their embeddings ${items} × ${it.tokens} × ${shape.hidden} × ${e} B` };
}
