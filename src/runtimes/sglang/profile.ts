/**
 * The SGLang runtime profile (`--runtime sglang`): a static share of each GPU (mem_fraction_static of the free
 * memory) for the weights and a token pool that fills the rest of that share, then the request pool, the
 * attention workspace, CUDA graphs and one prefill chunk's activations in what is left. Components are per GPU
 * (tensor parallel over `gpus`, alias --tp-size). Facts and versions: docs/engines/sglang.md.
 */
import { z } from "zod";
import type { Component } from "../../core/estimate-types.js";
import { VramfitError } from "../../core/errors.js";
import { gpuUsableBytes, type Gpu } from "../../core/gpu.js";
import type { TransformerModel } from "../../core/model.js";
import type { OptionSpec } from "../../core/options.js";
import { cudaContextComponent } from "../../core/overheads.js";
import { isGgufQuant } from "../../core/precision.js";
import type { Lever, PartialEstimate, RuntimeProfile } from "../../core/profile.js";
import { formatBytes } from "../../core/units.js";
import { positiveInt, type Workload as CommonWorkload } from "../../core/workload.js";
import { checkpointQuant } from "../vllm/profile.js";
import { defaultMemFractionStatic, sglangGpuMemMiB, sglangTier } from "./defaults.js";
import { FLASHINFER_WORKSPACE, FLASHINFER_WORKSPACE_QWEN, sglangMemory } from "./memory.js";

export const SGLANG_ATTENTION_BACKENDS = ["flashinfer", "triton", "fa3", "fa4", "flashmla", "cutlass_mla", "trtllm_mla", "trtllm_mha", "torch_native", "flex_attention", "aiter", "wave", "ascend", "intel_amx"] as const;

const flags = {
  mem_fraction_static: z.number({ error: "mem_fraction_static must be a number" }).gt(0, { error: "mem_fraction_static must be above 0" }).max(1, { error: "mem_fraction_static is a fraction of memory, at most 1" }).optional(),
  context_length: positiveInt("context_length").optional(),
  chunked_prefill_size: z.number({ error: "chunked_prefill_size must be a number" }).int().refine((v) => v === -1 || v >= 1, { error: "chunked_prefill_size must be at least 1, or -1 to turn chunking off" }).optional(),
  max_prefill_tokens: positiveInt("max_prefill_tokens").optional(),
  max_running_requests: positiveInt("max_running_requests").optional(),
  max_total_tokens: positiveInt("max_total_tokens").optional(),
  page_size: positiveInt("page_size").optional(),
  cuda_graph_max_bs: positiveInt("cuda_graph_max_bs").optional(),
  disable_cuda_graph: z.boolean().optional(),
  pp_size: positiveInt("pp_size").optional(),
  attention_backend: z.enum(SGLANG_ATTENTION_BACKENDS).optional(),
  mamba_full_memory_ratio: z.number().gt(0, { error: "mamba_full_memory_ratio must be above 0" }).max(100).optional(),
  max_mamba_cache_size: positiveInt("max_mamba_cache_size").optional(),
  disable_radix_cache: z.boolean().optional(),
  mamba_ssm_dtype: z.enum(["fp32", "bf16", "fp16"]).optional(),
};
export type SglangFlags = z.output<z.ZodObject<typeof flags>>;
type Workload = CommonWorkload & SglangFlags;

const SCOPE = { families: ["transformer"], modes: ["infer"], runtimes: ["sglang"] } as const;
const GROUP = "SGLang (--runtime sglang; same names as sglang.launch_server's flags)";

/** sglang.launch_server's flags that change memory (python/sglang/srt/server_args.py; docs/engines/sglang.md). */
export const SGLANG_OPTIONS: readonly OptionSpec[] = [
  { key: "mem_fraction_static", schema: flags.mem_fraction_static, group: GROUP, scope: SCOPE, help: "share of free GPU memory for weights + KV pool (default: derived from the GPU, ≈0.84 on 80 GB)", cli: { arg: "number", flags: "--mem-fraction-static <f>" }, web: { label: "Static memory fraction", kind: "text", pattern: /^(0?\.\d+|1(\.0+)?)$/, auto: "by GPU", example: "0.85", numeric: true } },
  { key: "context_length", schema: flags.context_length, group: GROUP, scope: SCOPE, help: "longest request (default: --seq, else the model's context)", cli: { arg: "tokens", flags: "--context-length <tokens>" }, web: { label: "Context length (--context-length)", kind: "int", min: 1, max: 2 ** 31, auto: "model's" } },
  { key: "chunked_prefill_size", schema: flags.chunked_prefill_size, group: GROUP, scope: SCOPE, help: "tokens per prefill chunk (default by GPU: 2048–16384; -1 = off)", cli: { arg: "number", flags: "--chunked-prefill-size <n>" }, web: { label: "Chunked prefill size", kind: "int", min: -1, max: 1 << 20, auto: "by GPU" } },
  { key: "max_prefill_tokens", schema: flags.max_prefill_tokens, group: GROUP, scope: SCOPE, help: "tokens in one prefill batch (default 16384)", cli: { arg: "int", flags: "--max-prefill-tokens <n>" } },
  { key: "max_running_requests", schema: flags.max_running_requests, group: GROUP, scope: SCOPE, help: "request slots (default 2048–4096 from the pool)", cli: { arg: "int", flags: "--max-running-requests <n>" }, web: { label: "Max running requests", kind: "int", min: 1, max: 1 << 20, auto: "from the pool" } },
  { key: "max_total_tokens", schema: flags.max_total_tokens, group: GROUP, scope: SCOPE, help: "cap on the KV pool in tokens", cli: { arg: "int", flags: "--max-total-tokens <n>" } },
  { key: "page_size", schema: flags.page_size, group: GROUP, scope: SCOPE, help: "tokens per KV page (default 1)", cli: { arg: "int", flags: "--page-size <n>" } },
  { key: "cuda_graph_max_bs", schema: flags.cuda_graph_max_bs, group: GROUP, scope: SCOPE, help: "largest decode batch captured as a CUDA graph (default by GPU)", cli: { arg: "int", flags: "--cuda-graph-max-bs <n>" } },
  { key: "disable_cuda_graph", schema: flags.disable_cuda_graph, group: GROUP, scope: SCOPE, help: "no CUDA graphs", cli: { arg: "flag" }, web: { label: "No CUDA graphs (--disable-cuda-graph)", kind: "bool", def: false } },
  { key: "pp_size", schema: flags.pp_size, group: GROUP, scope: SCOPE, help: "pipeline-parallel stages (layers split over them; GPUs in all = --gpus × this)", cli: { arg: "int", flags: "--pp-size <n>" } },
  { key: "attention_backend", schema: flags.attention_backend, group: GROUP, scope: SCOPE, help: "flashinfer (384/512 MiB workspace) | triton | fa3 | ... (default: SGLang's pick for the GPU and model)", cli: { arg: "string", flags: "--attention-backend <name>" } },
  { key: "mamba_full_memory_ratio", schema: flags.mamba_full_memory_ratio, group: GROUP, scope: SCOPE, help: "hybrid models: Mamba state memory / KV memory (default 0.9)", cli: { arg: "number", flags: "--mamba-full-memory-ratio <f>" } },
  { key: "max_mamba_cache_size", schema: flags.max_mamba_cache_size, group: GROUP, scope: SCOPE, help: "hybrid models: Mamba state slots", cli: { arg: "int", flags: "--max-mamba-cache-size <n>" } },
  { key: "disable_radix_cache", schema: flags.disable_radix_cache, group: GROUP, scope: SCOPE, help: "no prefix cache (hybrid models: one state slot per running request)", cli: { arg: "flag" } },
  { key: "mamba_ssm_dtype", schema: flags.mamba_ssm_dtype, group: GROUP, scope: SCOPE, help: "hybrid models: Mamba SSM state dtype (default fp32)", cli: { arg: "string", flags: "--mamba-ssm-dtype <dtype>" } },
  { key: "tp_size", aliasOf: "gpus", group: GROUP, scope: SCOPE, help: "same as --gpus", cli: { arg: "int", flags: "--tp-size <n>" } },
  { key: "kv_cache_dtype", aliasOf: "kv_dtype", unset: ["auto"], group: GROUP, scope: SCOPE, help: "same as --kv-dtype (auto | fp8 | bf16 | fp16)", cli: { arg: "string", flags: "--kv-cache-dtype <dtype>" } },
];

/**
 * The attention backend SGLang picks when none is given (server_args.py `_handle_attention_backend_compatibility`,
 * as the startup logs show it: "Attention backend not explicitly specified. Use flashinfer backend by default." on
 * A800 for Qwen2/Seed-OSS/Qwen3-Next, "Use triton backend by default" for Kimi-Linear's MLA, attention_backend='triton'
 * for gpt-oss, bench/accuracy/logs/sglang): FA3 on Hopper, triton for MLA and gpt-oss before Hopper, else flashinfer.
 */
export function defaultAttentionBackend(model: TransformerModel, gpu: Gpu): string {
  if (gpu.arch === "hopper") return "fa3";
  if (model.transformer.mla || model.architecture === "gpt_oss") return "triton";
  return "flashinfer";
}

/** Flashinfer's workspace; 512 MiB for the architectures flashinfer_backend.py raises it for. */
export function attentionWorkspace(backend: string, model: TransformerModel): { bytes: number; formula: string } {
  if (backend !== "flashinfer" && backend !== "trtllm_mha") return { bytes: 0, formula: `${backend}: no large workspace` };
  const qwen = ["qwen2", "qwen3", "mimo"].includes(model.architecture);
  return qwen
    ? { bytes: FLASHINFER_WORKSPACE_QWEN, formula: "flashinfer workspace 512 MiB for Qwen2/Qwen3/MiMo (flashinfer_backend.py raises SGLANG_FLASHINFER_WORKSPACE_SIZE)" }
    : { bytes: FLASHINFER_WORKSPACE, formula: "flashinfer workspace SGLANG_FLASHINFER_WORKSPACE_SIZE = 384 MiB (srt/environ.py)" };
}

/** SGLang's kv_cache_dtype values → vramfit KV dtypes. */
export function sglangKvDtype(v: string): string | undefined {
  const x = v.toLowerCase();
  if (x === "auto") return undefined;
  if (x.startsWith("fp8")) return "fp8";
  if (x === "bfloat16" || x === "bf16") return "bf16";
  if (x === "float16" || x === "fp16" || x === "half") return "fp16";
  return x;
}

export interface SglangResolved {
  memFractionStatic: number;
  memFractionFormula: string;
  chunkedPrefillSize: number;
  cudaGraphMaxBs: number;
  attentionBackend: string;
  contextLength: number;
  assumptions: string[];
}

/** The values SGLang would use for this workload, its own defaults filled in (with where each comes from). */
export function resolveSglang(model: TransformerModel, w: Workload, gpu: Gpu): SglangResolved {
  const assumptions: string[] = [];
  const tp = w.gpus;
  const pp = w.pp_size ?? 1;
  const gpuMem = sglangGpuMemMiB(gpu.memory_bytes);
  const tier = sglangTier(gpuMem, tp);
  const chunk = w.chunked_prefill_size ?? tier.chunkedPrefillSize;
  const graphOff = w.disable_cuda_graph === true;
  const maxBs = graphOff ? 0 : (w.cuda_graph_max_bs ?? tier.cudaGraphMaxBs);
  if (w.chunked_prefill_size === undefined || (!graphOff && w.cuda_graph_max_bs === undefined)) assumptions.push(`SGLang defaults for a ${gpuMem} MiB GPU: ${tier.rule}`);
  let mfs = w.mem_fraction_static;
  let formula = `--mem-fraction-static ${mfs}`;
  if (mfs === undefined) {
    const d = defaultMemFractionStatic({ gpuMemMiB: gpuMem, chunkedPrefillSize: chunk, maxPrefillTokens: w.max_prefill_tokens ?? 16384, tp, pp, cudaGraphMaxBs: maxBs });
    mfs = d.value;
    formula = d.formula;
    assumptions.push(`mem_fraction_static ${mfs}: ${d.formula}`);
  }
  const backend = w.attention_backend ?? defaultAttentionBackend(model, gpu);
  if (w.attention_backend === undefined) assumptions.push(`attention backend ${backend}: SGLang's default for ${gpu.arch} and this model`);
  const contextLength = w.context_length ?? w.seq;
  return { memFractionStatic: mfs, memFractionFormula: formula, chunkedPrefillSize: chunk, cudaGraphMaxBs: maxBs, attentionBackend: backend, contextLength, assumptions };
}

export function sglangEngine(model: TransformerModel, w: Workload, gpu?: Gpu): PartialEstimate {
  if (!gpu) throw new VramfitError("invalid_option", "SGLang sizes its token pool from the GPU's memory: name the GPU", { suggestion: "add --gpu h100-sxm (or another GPU id)" });
  if (gpu.vendor === "apple") throw new VramfitError("does_not_run", `SGLang has no Metal backend: it cannot use the ${gpu.name}'s GPU`, { suggestion: "use --runtime llama.cpp or --runtime ollama on Apple silicon" });
  if (isGgufQuant(w.quant) || model.source.kind === "gguf") {
    throw new VramfitError("unsupported", `SGLang's GGUF loading is not modelled ('${w.quant ?? model.id}')`, { suggestion: "use --runtime llama.cpp for GGUF files" });
  }
  if (!["fp8", "fp16", "bf16", "fp32"].includes(w.kv_dtype)) throw new VramfitError("does_not_run", `SGLang's KV cache is bf16/fp16/fp8, not ${w.kv_dtype}`);
  const shape = model.transformer;
  if (shape.encoderOnly) throw new VramfitError("does_not_run", `${model.id} is an encoder: SGLang serves it without a token pool; use --runtime transformers`);
  const r = resolveSglang(model, w, gpu);
  const quant = w.quant ?? checkpointQuant(model);
  const assumptions = [...r.assumptions];
  if (w.quant == null && quant) assumptions.push(`weights in the checkpoint's own ${quant} quantization (config.json quantization_config)`);
  const ctx = cudaContextComponent({ vendor: gpu.vendor });
  const ws = attentionWorkspace(r.attentionBackend, model);
  const pp = w.pp_size ?? 1;
  const m = sglangMemory(model, {
    totalBytes: gpuUsableBytes(gpu),
    tp: w.gpus,
    pp,
    dtype: w.dtype,
    quant,
    kvDtype: w.kv_dtype,
    memFractionStatic: r.memFractionStatic,
    contextLength: r.contextLength,
    chunkedPrefillSize: r.chunkedPrefillSize,
    maxPrefillTokens: w.max_prefill_tokens ?? 16384,
    maxRunningRequests: w.max_running_requests,
    maxTotalTokens: w.max_total_tokens,
    pageSize: w.page_size ?? 1,
    cudaGraphMaxBs: r.cudaGraphMaxBs,
    attentionWorkspaceBytes: ws.bytes,
    contextBytes: ctx.bytes,
    mambaFullMemoryRatio: w.mamba_full_memory_ratio,
    maxMambaCacheSize: w.max_mamba_cache_size,
    disableRadixCache: w.disable_radix_cache,
    mambaSsmDtype: w.mamba_ssm_dtype,
  });
  const warnings: string[] = [];
  const starts = m.restBytes > 0 && m.maxTotalNumTokens > 0;
  let refusal: string | undefined;
  const components: Component[] = [
    { id: "weights", label: "Model weights", bytes: m.weightsBytes, formula: m.weightsFormula, level: "allocated" },
  ];
  if (starts) {
    components.push({
      id: "kv_cache",
      label: "KV cache (token pool)",
      bytes: m.kvBytes,
      formula: `${m.maxTotalNumTokens} tokens × ${m.cellBytes} B/token (${shape.mla ? `latent ${shape.mla.kvLoraRank}+${shape.mla.qkRopeHeadDim}` : `${m.kvHeadsPerRank} kv_heads × (${shape.headDim}+${shape.headDim})`} × ${m.layersPerRank} layers × ${w.kv_dtype}) = rest ${formatBytes(m.restBytes)}: free ${formatBytes(m.freeBeforeBytes)} − weights − free × (1 − ${r.memFractionStatic}) (kv mixin profile_max_num_token)`,
      level: "allocated",
    });
  } else {
    const need = r.contextLength * m.cellBytes;
    components.push({ id: "kv_cache", label: "KV cache (one request, the least to serve)", bytes: need, formula: `${r.contextLength} tokens × ${m.cellBytes} B/token`, level: "allocated" });
    refusal = `SGLang will not start ("Not enough memory. Please try to increase --mem-fraction-static"): the weights (${formatBytes(m.weightsBytes)}) leave ${formatBytes(m.restBytes)} of the static share ${r.memFractionStatic} × ${formatBytes(m.freeBeforeBytes)} for the token pool`;
    warnings.push(refusal);
  }
  if (m.mambaBytes > 0) components.push({ id: "state_cache", label: "Mamba state pool", bytes: m.mambaBytes, formula: m.mambaFormula, level: "allocated" });
  components.push({ id: "req_to_token", label: "Request pool (req_to_token)", bytes: m.reqToTokenBytes, formula: `${m.maxRunningRequests} requests × (context ${r.contextLength} + 4) × 4 B int32${w.max_running_requests === undefined ? " (max_running_requests: SGLang's default from the pool)" : ""}`, level: "allocated" });
  if (ws.bytes > 0) components.push({ id: "attention_workspace", label: `Attention workspace (${r.attentionBackend})`, bytes: ws.bytes, formula: ws.formula, level: "allocated" });
  components.push({ id: "activations", label: "Activations (one prefill chunk)", bytes: m.activationBytes, formula: m.activationFormula, level: "allocated" });
  if (m.cudaGraphBytes > 0) components.push({ id: "cuda_graphs", label: "CUDA graphs", bytes: m.cudaGraphBytes, formula: m.cudaGraphFormula, level: "device" });
  if (m.ncclBytes > 0) components.push({ id: "nccl", label: "NCCL / torch.distributed", bytes: m.ncclBytes, formula: "\"Init torch distributed ends. mem usage=0.20 GB\" in SGLang's TP2/TP4 logs (bench/accuracy/logs/sglang)", level: "device" });
  components.push(ctx);

  const afterPool = m.reqToTokenBytes + ws.bytes + m.cudaGraphBytes + m.activationBytes;
  if (starts && afterPool > m.runtimeShareBytes) {
    warnings.push(
      `the share SGLang leaves outside the pool, (1 − ${r.memFractionStatic}) × ${formatBytes(m.freeBeforeBytes)} = ${formatBytes(m.runtimeShareBytes)}, is less than the request pool, workspace, CUDA graphs and one ${r.chunkedPrefillSize}-token prefill chunk need (${formatBytes(afterPool)}): long prompts can run out of memory; lower --mem-fraction-static or --chunked-prefill-size`,
    );
  }
  if (shape.layerTypes.includes("sliding")) assumptions.push("sliding-window layers counted with a full-length pool (SGLang's MHA pool; its hybrid SWA pool, --swa-full-tokens-ratio, is used only for some architectures and is not modelled)");
  if (shape.kvHeads < w.gpus && !shape.mla) warnings.push(`${shape.kvHeads} KV heads over ${w.gpus} GPUs: SGLang replicates KV heads, each GPU keeps one`);
  assumptions.push(`token pool sized at startup from free memory ${formatBytes(m.freeBeforeBytes)} (GPU total − CUDA context${m.ncclBytes ? " − NCCL init" : ""}); context_length ${r.contextLength}; page size ${w.page_size ?? 1}`);
  const maxConcurrent = starts ? Math.floor(m.maxTotalNumTokens / r.contextLength) : 0;
  return {
    components,
    peak: { phase: "serving", description: "weights + the token pool + request pool, workspace, CUDA graphs and one prefill chunk" },
    warnings,
    assumptions,
    ...(refusal ? { refusal } : {}),
    capacity: { sequences: Math.min(maxConcurrent, m.maxRunningRequests), note: `requests of ${r.contextLength} tokens at once: the token pool holds ${maxConcurrent}, max_running_requests ${m.maxRunningRequests}` },
    extra: {
      serving: {
        mem_fraction_static: r.memFractionStatic,
        free_before_load_bytes: m.freeBeforeBytes,
        static_budget_bytes: m.staticBudgetBytes,
        kv_budget_bytes: m.restBytes,
        runtime_share_bytes: m.runtimeShareBytes,
        kv_bytes_per_token: m.cellBytes,
        max_total_num_tokens: m.maxTotalNumTokens,
        kv_tokens: m.maxTotalNumTokens,
        context_length: r.contextLength,
        max_running_requests: m.maxRunningRequests,
        max_sequences: maxConcurrent,
        chunked_prefill_size: r.chunkedPrefillSize,
        cuda_graph_max_bs: Math.min(r.cudaGraphMaxBs, m.maxRunningRequests),
        tensor_parallel_size: w.gpus,
        pipeline_parallel_size: pp,
        starts: starts ? 1 : 0,
        ...(m.mambaSlots > 0 ? { max_mamba_cache_size: m.mambaSlots } : {}),
      },
    },
  };
}

function sglangLevers(w: Workload): Lever[] {
  const out: Lever[] = [];
  if (w.kv_dtype !== "fp8") out.push({ change: "fp8 KV cache (--kv-cache-dtype fp8_e4m3)", patch: { kv_dtype: "fp8" } });
  const chunk = w.chunked_prefill_size;
  if (chunk === undefined || chunk > 1024) out.push({ change: `smaller prefill chunks (--chunked-prefill-size ${chunk && chunk > 0 ? Math.floor(chunk / 2) : 2048})`, patch: { chunked_prefill_size: chunk && chunk > 0 ? Math.floor(chunk / 2) : 2048 } });
  return out;
}

export const sglangRuntime: RuntimeProfile<SglangFlags> = {
  id: "sglang",
  label: "SGLang",
  category: "sglang",
  options: SGLANG_OPTIONS,
  // --context-length unset: SGLang serves the model's own context (ModelConfig.context_len from config.json).
  defaults: (model, _gpu, given) => (given.context_length === undefined && given.seq === undefined && model.transformer.maxPositions > 0 ? { context_length: model.transformer.maxPositions } : {}),
  estimate: sglangEngine,
  levers: sglangLevers,
};
