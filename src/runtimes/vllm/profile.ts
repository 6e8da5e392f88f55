/**
 * The vLLM runtime profile as an estimate() engine. Components are per GPU (tensor parallel over
 * `gpus`); `serving` in the estimate carries the KV budget, block count and how many sequences fit.
 * The activation peak is reserved inside the budget (vLLM frees it after profiling and needs it again when
 * a full batch runs); the CUDA context and CUDA graphs come on top of gpu_memory_utilization × total.
 */
import { z } from "zod";
import type { Component } from "../../core/estimate-types.js";
import { VramfitError } from "../../core/errors.js";
import { gpuUsableBytes, type Gpu } from "../../core/gpu.js";
import type { ModelDescription, TransformerModel } from "../../core/model.js";
import type { OptionSpec } from "../../core/options.js";
import { cudaContextComponent } from "../../core/overheads.js";
import { checkpointQuant, isGgufQuant } from "../../core/precision.js";
import type { PartialEstimate, RuntimeProfile } from "../../core/profile.js";
import { kvAndWeightLevers } from "../levers.js";
import { formatBytes } from "../../core/units.js";
import { positiveInt, type Workload as CommonWorkload } from "../../core/workload.js";
import { DEFAULT_BLOCK_SIZE, DEFAULT_GPU_MEMORY_UTILIZATION, vllmBatchDefaults } from "./defaults.js";
import { vllmMemory, type VllmOptions } from "./memory.js";
import { MAMBA_CACHE_DTYPES, mambaDtype, vllmHybridComponents } from "./hybrid.js";
import { vllmPoolingEstimate } from "./pooling.js";
import { resolveTask, TASK_OPTION } from "../../core/task.js";
import { AUDIO_SECONDS_OPTION, IMAGE_SIZE_OPTION, IMAGES_OPTION, multimodalLoad } from "../../core/multimodal.js";

const flags = {
  /** --gpu-memory-utilization: the fraction of the GPU's total memory vLLM may use (default 0.9). */
  gpu_memory_utilization: z.number({ error: "gpu_memory_utilization must be a number" }).gt(0, { error: "gpu_memory_utilization must be above 0" }).max(1, { error: "gpu_memory_utilization is a fraction of memory, at most 1" }).optional(),
  /** --max-num-batched-tokens: tokens per scheduler step, the size of the profiling run. */
  max_num_batched_tokens: positiveInt("max_num_batched_tokens").optional(),
  /** --max-num-seqs: sequences per scheduler step. */
  max_num_seqs: positiveInt("max_num_seqs").optional(),
  /** --block-size: tokens per KV cache block (default 16). */
  block_size: positiveInt("block_size").optional(),
  /** --enforce-eager: no CUDA graphs. */
  enforce_eager: z.boolean().optional(),
  /** --mamba-cache-dtype / --mamba-ssm-cache-dtype: dtypes of the recurrent layers' conv and SSM states (auto). */
  mamba_cache_dtype: z.enum(MAMBA_CACHE_DTYPES).optional(),
  mamba_ssm_cache_dtype: z.enum(MAMBA_CACHE_DTYPES).optional(),
  /** --max-model-len: the longest sequence vLLM must admit (default: seq). */
  max_model_len: positiveInt("max_model_len").optional(),
  /** --pipeline-parallel-size: layers split over this many stages (GPUs in all = tensor × pipeline). */
  pipeline_parallel_size: positiveInt("pipeline_parallel_size").optional(),
  /** --kv-cache-memory-bytes: KV cache per GPU; when set, gpu_memory_utilization no longer sizes the pool. */
  kv_cache_memory_bytes: z.number({ error: "kv_cache_memory_bytes must be a number" }).int().min(0, { error: "kv_cache_memory_bytes must be 0 or more" }).max(2 ** 50).optional(),
};
export type VllmFlags = z.output<z.ZodObject<typeof flags>>;
type Workload = CommonWorkload & VllmFlags;

const VLLM = { families: ["transformer"], modes: ["infer"], runtimes: ["vllm"] } as const;
const GROUP = "vLLM (--runtime vllm; same names as vllm serve's flags)";

/** vllm serve's flags that change memory, named as vLLM names them (vllm/engine/arg_utils.py). */
export const VLLM_OPTIONS: readonly OptionSpec[] = [
  { key: "gpu_memory_utilization", schema: flags.gpu_memory_utilization, group: GROUP, scope: VLLM, help: "fraction of GPU memory vLLM may use (default 0.9)", cli: { arg: "number", flags: "--gpu-memory-utilization <f>" }, web: { label: "GPU memory utilization", kind: "text", pattern: /^(0?\.\d+|1(\.0+)?)$/, auto: "0.9", example: "0.9", numeric: true } },
  { key: "max_num_batched_tokens", schema: flags.max_num_batched_tokens, group: GROUP, scope: VLLM, help: "tokens per forward pass (sizes the profiling run)", cli: { arg: "int", flags: "--max-num-batched-tokens <n>" }, web: { label: "Max batched tokens", kind: "int", min: 1, max: 2 ** 31, auto: "vLLM default" } },
  { key: "max_num_seqs", schema: flags.max_num_seqs, group: GROUP, scope: VLLM, help: "most sequences scheduled at once", cli: { arg: "int", flags: "--max-num-seqs <n>" }, web: { label: "Max sequences (--max-num-seqs)", kind: "int", min: 1, max: 1 << 20, auto: "vLLM default" } },
  { key: "block_size", schema: flags.block_size, group: GROUP, scope: VLLM, help: "KV cache block size in tokens (default 16)", cli: { arg: "int", flags: "--block-size <n>" }, web: { label: "KV block size (--block-size)", kind: "int", min: 1, max: 1024, auto: "16" } },
  { key: "enforce_eager", schema: flags.enforce_eager, group: GROUP, scope: VLLM, help: "no CUDA graphs", cli: { arg: "flag" }, web: { label: "No CUDA graphs (--enforce-eager)", kind: "bool", def: false } },
  { key: "max_model_len", schema: flags.max_model_len, group: GROUP, scope: VLLM, help: "longest sequence served (default: the model's)", cli: { arg: "tokens", flags: "--max-model-len <tokens>" }, web: { label: "Max model length (--max-model-len)", kind: "int", min: 1, max: 2 ** 31, auto: "seq" } },
  { key: "pipeline_parallel_size", schema: flags.pipeline_parallel_size, group: GROUP, scope: VLLM, help: "pipeline stages: layers split over them (GPUs in all = --gpus × this)", cli: { arg: "int", flags: "--pipeline-parallel-size <n>" } },
  { key: "kv_cache_memory_bytes", schema: flags.kv_cache_memory_bytes, group: GROUP, scope: VLLM, help: "KV cache per GPU in bytes (then --gpu-memory-utilization does not size it)", cli: { arg: "int", flags: "--kv-cache-memory-bytes <bytes>" } },
  { key: "mamba_cache_dtype", schema: flags.mamba_cache_dtype, group: GROUP, scope: VLLM, help: "recurrent layers' conv state dtype: auto (model dtype) | float32 | bfloat16 | float16", cli: { arg: "string", flags: "--mamba-cache-dtype <dtype>" }, web: { label: "Mamba cache dtype", kind: "select", choices: MAMBA_CACHE_DTYPES, auto: "auto" } },
  { key: "mamba_ssm_cache_dtype", schema: flags.mamba_ssm_cache_dtype, group: GROUP, scope: VLLM, help: "recurrent layers' SSM state dtype: auto (the checkpoint's, else the conv dtype) | float32 | ...", cli: { arg: "string", flags: "--mamba-ssm-cache-dtype <dtype>" }, web: { label: "Mamba SSM state dtype", kind: "select", choices: MAMBA_CACHE_DTYPES, auto: "auto" } },
  TASK_OPTION,
  IMAGES_OPTION,
  IMAGE_SIZE_OPTION,
  AUDIO_SECONDS_OPTION,
  { key: "tensor_parallel_size", aliasOf: "gpus", group: GROUP, scope: VLLM, help: "same as --gpus", cli: { arg: "int", flags: "--tensor-parallel-size <n>" } },
  { key: "kv_cache_dtype", aliasOf: "kv_dtype", unset: ["auto"], group: GROUP, scope: VLLM, help: "same as --kv-dtype (auto | fp8 | bf16 | fp16)", cli: { arg: "string", flags: "--kv-cache-dtype <dtype>" } },
];

/**
 * One pipeline stage of a model: vLLM (and SGLang) give each of `pp` stages ⌈layers / pp⌉ of the decoder layers
 * (vllm/distributed/utils.py get_pp_indices splits them evenly). The embedding sits on the first stage and the LM
 * head on the last; both are kept here, so the worst stage is over-counted by one of them at most.
 */
export function pipelineStage(model: TransformerModel, pp: number): TransformerModel {
  if (pp <= 1) return model;
  const shape = model.transformer;
  const layers = Math.ceil(shape.layers / pp);
  const tensors = model.tensors.map((g) => (g.name.includes("{L}") ? { ...g, count: Math.max(1, Math.round((g.count / shape.layers) * layers)) } : g));
  return {
    ...model,
    tensors,
    transformer: {
      ...shape,
      layers,
      layerTypes: shape.layerTypes.slice(0, layers),
      moe: shape.moe ? { ...shape.moe, moeLayers: Math.ceil(shape.moe.moeLayers / pp) } : null,
    },
  };
}

/** The checkpoint's declared quantization (kept here as a re-export for the planner and SGLang). */
export { checkpointQuant };

export function vllmOptions(model: ModelDescription, w: Workload, gpu: Gpu): VllmOptions & { assumptions: string[] } {
  const assumptions: string[] = [];
  const d = vllmBatchDefaults(gpu);
  const util = w.gpu_memory_utilization ?? DEFAULT_GPU_MEMORY_UTILIZATION;
  if (w.gpu_memory_utilization === undefined) assumptions.push(`gpu_memory_utilization ${util}: vLLM's default`);
  const mnbt = w.max_num_batched_tokens ?? d.maxNumBatchedTokens;
  const seqs = w.max_num_seqs ?? d.maxNumSeqs;
  if (w.max_num_batched_tokens === undefined || w.max_num_seqs === undefined) assumptions.push(`vllm serve defaults on ${gpu.name}: ${d.rule}`);
  const block = w.block_size ?? DEFAULT_BLOCK_SIZE;
  // vLLM always runs a checkpoint in the quantization its config declares (quantization_config).
  const quant = w.quant ?? checkpointQuant(model);
  if (w.quant == null && quant) assumptions.push(`weights in the checkpoint's own ${quant} quantization (config.json quantization_config)`);
  const kv = w.kv_dtype === "fp32" ? "fp32" : w.kv_dtype;
  return {
    totalBytes: gpuUsableBytes(gpu),
    tensorParallel: w.gpus,
    dtype: w.dtype,
    quant,
    kvDtype: kv,
    gpuMemoryUtilization: util,
    maxNumBatchedTokens: mnbt,
    maxNumSeqs: seqs,
    blockSize: block,
    // images / audio per request join its tokens (max_model_len counts them)
    maxModelLen: w.max_model_len ?? w.seq + multimodalLoad((model as TransformerModel).transformer, { batch: 1, images: w.images as number | undefined, imageSize: w.image_size, audioSeconds: w.audio_seconds as number | undefined, bytesPerValue: 2, attention: "flash", kvDtype: "bf16", kvBytes: () => 0 }).lmTokens,
    enforceEager: w.enforce_eager ?? false,
    blockSizeSet: w.block_size !== undefined,
    mambaCacheDtype: mambaDtype(w.mamba_cache_dtype),
    mambaSsmCacheDtype: mambaDtype(w.mamba_ssm_cache_dtype),
    assumptions,
  };
}

export function vllmEngine(model: TransformerModel, w: Workload, gpu?: Gpu): PartialEstimate {
  if (!gpu) throw new VramfitError("invalid_option", "vLLM sizes its KV cache from the GPU's memory: name the GPU", { suggestion: "add --gpu a100-80gb (or another GPU id)" });
  // vLLM's GPU backends are CUDA and ROCm (and others without Metal); on a Mac it runs on the CPU only (docs: installation/cpu).
  if (gpu.vendor === "apple") throw new VramfitError("does_not_run", `vLLM has no Metal backend: it cannot use the ${gpu.name}'s GPU (on macOS it runs on the CPU)`, { suggestion: "use --runtime llama.cpp or --runtime ollama on Apple silicon" });
  if (isGgufQuant(w.quant) || model.source.kind === "gguf") {
    throw new VramfitError("does_not_run", `vLLM serves safetensors checkpoints (AWQ, GPTQ, fp8, bitsandbytes), not GGUF '${w.quant ?? model.id}'`, { suggestion: "use --runtime llama.cpp for GGUF files" });
  }
  if (!["fp8", "fp16", "bf16", "fp32"].includes(w.kv_dtype)) throw new VramfitError("does_not_run", `vLLM's KV cache is fp16/bf16/fp8, not ${w.kv_dtype}`);
  const shape = model.transformer;
  if (shape.encoder && shape.encoder.input !== "audio") {
    throw new VramfitError("unsupported", `vLLM's V1 engine serves Whisper among encoder-decoders, not ${model.architecture} (T5/BART left with the V0 engine)`, { suggestion: "use --runtime transformers" });
  }
  const o = vllmOptions(model, w, gpu);
  const task = resolveTask(shape, w.task);
  // Encoder-only embedding / reranker models: the pooling runner, no KV cache (pooling.ts).
  if (shape.encoderOnly) return vllmPoolingEstimate(model, { ...o, batchedTokensSet: w.max_num_batched_tokens !== undefined }, gpu, task);
  const pp = w.pipeline_parallel_size ?? 1;
  let m = vllmMemory(pipelineStage(model, pp), { ...o, pooling: task !== "generate" });
  if (w.kv_cache_memory_bytes !== undefined) {
    // CacheConfig.kv_cache_memory_bytes: the KV pool is this size; the utilization no longer sizes it.
    const blockBytes = m.hybrid ? m.hybrid.pageBytes * m.hybrid.groupSize : (pp > 1 ? Math.ceil(shape.layers / pp) : shape.layers) * m.pageBytesPerLayer;
    const numBlocks = Math.floor(w.kv_cache_memory_bytes / blockBytes);
    m = { ...m, kvBudgetBytes: w.kv_cache_memory_bytes, numBlocks, maxSequences: Math.floor(numBlocks / m.blocksPerSequence), cacheBytes: numBlocks * blockBytes };
  }
  const warnings: string[] = [];
  const assumptions = [...o.assumptions];
  const tp = o.tensorParallel;
  checkTensorParallel(shape, tp);
  if (task !== "generate") warnings.push(`${model.id} served for ${task} with a decoder: vLLM still pre-allocates KV blocks up to --gpu-memory-utilization ${o.gpuMemoryUtilization}; lower it to what the batch needs`);
  if (shape.kvHeads < tp && !shape.mla) warnings.push(`${shape.kvHeads} KV heads over ${tp} GPUs: vLLM replicates KV heads, each GPU keeps one`);

  let refusal: string | undefined;
  const components: Component[] = [
    { id: "weights", label: "Model weights", bytes: m.weightsBytes, formula: m.weightsFormula, level: "allocated" },
    { id: "activations", label: "Activation peak (profile run)", bytes: m.activationBytes, formula: m.activationFormula, level: "allocated" },
  ];
  const stageLayers = pp > 1 ? Math.ceil(shape.layers / pp) : shape.layers;
  const kvBytes = Math.max(0, m.numBlocks) * stageLayers * m.pageBytesPerLayer;
  if (m.hybrid) {
    // Recurrent layers: attention K/V and per-sequence states share one pool of equal pages (memory.ts vllmHybridLayout).
    const h = vllmHybridComponents(shape, m, o);
    components.push(h.component);
    warnings.push(...h.warnings);
    assumptions.push(...h.assumptions);
  } else if (m.numBlocks >= m.blocksPerSequence || m.maxSequences >= 1) {
    components.push({
      id: "kv_cache",
      label: "KV cache (pre-allocated blocks)",
      bytes: kvBytes,
      formula: `${m.numBlocks} blocks × ${stageLayers} layers${pp > 1 ? ` (one of ${pp} pipeline stages)` : ""} × ${m.pageBytesPerLayer} B page (${o.blockSize} tokens × ${shape.mla ? "1 latent" : `2 × ${m.kvHeadsPerGpu} kv_heads`} × ${shape.mla ? shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim : shape.headDim} × ${o.kvDtype}) ${w.kv_cache_memory_bytes !== undefined ? ` from --kv-cache-memory-bytes ${w.kv_cache_memory_bytes}` : ` from the budget ${o.gpuMemoryUtilization} × ${formatBytes(o.totalBytes)} − weights − activations − non-torch`}`,
      level: "allocated",
    });
  } else {
    // vLLM refuses to start; what it would need is one sequence of max_model_len.
    const need = m.blocksPerSequence * stageLayers * m.pageBytesPerLayer;
    components.push({ id: "kv_cache", label: "KV cache (one sequence, the least vLLM starts with)", bytes: need, formula: `${m.blocksPerSequence} blocks of ${o.blockSize} tokens for max_model_len ${o.maxModelLen}`, level: "allocated" });
    refusal =
      m.kvBudgetBytes <= 0
        ? `vLLM will not start: weights, activations and non-torch memory exceed ${o.gpuMemoryUtilization} × ${formatBytes(o.totalBytes)} by ${formatBytes(-m.kvBudgetBytes)} (KV budget negative)`
        : `vLLM will not start: the KV budget of ${formatBytes(m.kvBudgetBytes)} holds ${m.numBlocks} blocks, less than one ${o.maxModelLen}-token sequence (${m.blocksPerSequence} blocks); lower --max-model-len or raise --gpu-memory-utilization`;
  }
  // The rest of the budget (< one block) stays unused but reserved by the allocator.
  components.push({ id: "non_torch", label: "Non-torch memory (profiled)", bytes: m.nonTorchBytes, formula: m.nonTorchFormula, level: "device" });
  if (m.cudaGraphBytes > 0) components.push({ id: "cuda_graphs", label: "CUDA graphs", bytes: m.cudaGraphBytes, formula: "captured after the KV cache, outside the utilization budget in vLLM ≤ 0.11; later versions can take their profiled estimate out of the KV budget instead (gpu_worker.py cudagraph_memory_estimate_applied, gated by VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS); logs show 0.2–2.2 GiB (approx); --enforce-eager removes it", level: "device" });
  components.push(cudaContextComponent({ vendor: gpu.vendor }));

  assumptions.push(`profile run: ${o.maxNumBatchedTokens} batched tokens over up to ${o.maxNumSeqs} sequences; block size ${o.blockSize}; max_model_len ${o.maxModelLen}`);
  if (shape.layerTypes.includes("sliding") && shape.slidingWindow) assumptions.push(`V1 hybrid KV cache manager: ${shape.layerTypes.filter((t) => t === "sliding").length} sliding-window layers keep ${shape.slidingWindow} tokens (+ one block) per sequence; the block count follows vLLM's log convention (all layers)`);
  if (o.enforceEager) assumptions.push("enforce_eager: no CUDA graphs");
  if (refusal) warnings.push(refusal);
  const concurrencyCap = Math.min(m.maxSequences, o.maxNumSeqs);
  if (!refusal && w.batch > concurrencyCap) warnings.push(`${w.batch} sequences asked, ${concurrencyCap} of ${o.maxModelLen} tokens run at once (${concurrencyCap < o.maxNumSeqs ? "the KV blocks" : "--max-num-seqs"} limit it); vLLM queues or preempts the rest`);
  return {
    components,
    peak: { phase: "serving", description: "weights + pre-allocated KV blocks + the activation peak of a full batch" },
    warnings,
    assumptions,
    ...(refusal ? { refusal } : {}),
    capacity: { sequences: Math.max(0, concurrencyCap), note: `sequences of ${o.maxModelLen} tokens at once: the KV blocks hold ${Math.max(0, m.maxSequences)}, --max-num-seqs ${o.maxNumSeqs}` },
    extra: {
      serving: {
        kv_budget_bytes: m.kvBudgetBytes,
        num_blocks: m.numBlocks,
        block_size: m.hybrid ? m.hybrid.blockSize : o.blockSize,
        kv_bytes_per_token: m.kvBytesPerToken,
        kv_tokens: m.hybrid ? Math.floor(m.numBlocks / Math.max(1, m.hybrid.attentionGroups + m.hybrid.stateGroups)) * m.hybrid.blockSize : m.numBlocks * o.blockSize,
        max_model_len: o.maxModelLen,
        max_sequences: m.maxSequences,
        max_concurrent_sequences: concurrencyCap,
        max_num_seqs: o.maxNumSeqs,
        max_num_batched_tokens: o.maxNumBatchedTokens,
        gpu_memory_utilization: o.gpuMemoryUtilization,
        tensor_parallel_size: tp,
        pipeline_parallel_size: pp,
      },
    },
  };
}

/**
 * vLLM's own check (vllm/config/model.py ModelConfig.verify_with_parallel_config): "Total number of attention heads
 * (H) must be divisible by tensor parallel size (T)." KV heads are split when T divides them and replicated when
 * they divide T (vllm/model_executor/layers/linear.py QKVParallelLinear: num_kv_head_replicas = divide(T, KV)),
 * which asserts divisibility either way.
 */
export function checkTensorParallel(shape: TransformerModel["transformer"], tp: number): void {
  if (tp <= 1) return;
  const kvOk = (t: number) => shape.mla !== null || shape.kvHeads <= 0 || (shape.kvHeads >= t ? shape.kvHeads % t === 0 : t % shape.kvHeads === 0);
  const valid = [2, 3, 4, 6, 8, 16].filter((t) => shape.heads % t === 0 && kvOk(t));
  const suggestion = `use --gpus ${valid.length ? valid.slice(0, 4).join(", ") : "1"} (tensor parallel)${valid.length ? "" : ", or --pipeline-parallel-size to split the layers"}`;
  if (shape.heads % tp !== 0) {
    throw new VramfitError("does_not_run", `vLLM refuses tensor parallel ${tp}: the total number of attention heads (${shape.heads}) must be divisible by the tensor parallel size`, { suggestion, details: { key: "gpus" } });
  }
  if (!kvOk(tp)) {
    throw new VramfitError("does_not_run", `vLLM refuses tensor parallel ${tp}: ${shape.kvHeads} KV heads can be neither split over nor replicated across ${tp} GPUs`, { suggestion, details: { key: "gpus" } });
  }
}

export const vllmRuntime: RuntimeProfile<VllmFlags> = {
  id: "vllm",
  label: "vLLM",
  category: "vllm",
  options: VLLM_OPTIONS,
  estimate: vllmEngine,
  levers: kvAndWeightLevers,
};
