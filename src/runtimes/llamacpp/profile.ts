/**
 * The llama.cpp and Ollama runtime profiles as estimate() engines: the buffers llama.cpp allocates
 * (memory.ts) become components, GPU parts on the device and host parts marked `location: "cpu"`.
 * llama.cpp allocates with its own cudaMalloc pools, not PyTorch's caching allocator, so allocated and
 * reserved are the same; the device total adds the CUDA context.
 */
import { z } from "zod";
import type { Component } from "../../core/estimate-types.js";
import { VramfitError } from "../../core/errors.js";
import type { Gpu } from "../../core/gpu.js";
import type { TransformerModel } from "../../core/model.js";
import type { OptionSpec } from "../../core/options.js";
import { isGgufQuant, tensorBytes } from "../../core/precision.js";
import { cudaContextComponent } from "../../core/overheads.js";
import type { PartialEstimate, RuntimeProfile } from "../../core/profile.js";
import { bytesFromFileDtype } from "../../core/weights.js";
import { positiveInt, type Workload as CommonWorkload } from "../../core/workload.js";
import { LLAMA_CPP_KV_TYPES } from "./kv-cache.js";
import { llamaCppMemory } from "./memory.js";
import type { NamedTensorBytes } from "./model-buffers.js";
import { OLLAMA_DEFAULTS, ollamaDefaultContext, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";

const flags = {
  /** --parallel / OLLAMA_NUM_PARALLEL: sequences sharing the context. */
  parallel: positiveInt("parallel").optional(),
  /** --kv-unified: one KV cache shared by all sequences. */
  kv_unified: z.boolean().optional(),
  cache_type_k: z.enum(LLAMA_CPP_KV_TYPES).optional(),
  cache_type_v: z.enum(LLAMA_CPP_KV_TYPES).optional(),
  flash_attn: z.boolean().optional(),
  swa_full: z.boolean().optional(),
  ubatch_size: positiveInt("ubatch_size").optional(),
  batch_size: positiveInt("batch_size").optional(),
  /** --n-gpu-layers; -1 (default) offloads every layer. */
  n_gpu_layers: z.number().int().min(-1, { error: "n_gpu_layers must be -1 (all) or a layer count" }).optional(),
};
export type LlamaCppFlags = z.output<z.ZodObject<typeof flags>>;
type Workload = CommonWorkload & LlamaCppFlags;

const SCOPE = { families: ["transformer"], modes: ["infer"], runtimes: ["llama.cpp", "ollama"] } as const;
const GROUP = "llama.cpp / Ollama (--runtime llama.cpp|ollama; same names as llama.cpp's flags)";

/** llama.cpp's flags that change memory, named as common/arg.cpp names them; Ollama sets the same ones. */
export const LLAMA_CPP_OPTIONS: readonly OptionSpec[] = [
  { key: "ctx_size", aliasOf: "seq", group: GROUP, scope: SCOPE, help: "context size n_ctx (same as --seq)", cli: { arg: "tokens", flags: "-c, --ctx-size <tokens>" } },
  { key: "parallel", schema: flags.parallel, group: GROUP, scope: SCOPE, help: "parallel sequences sharing the context", cli: { arg: "int", flags: "--np, --parallel <n>" }, web: { label: "Parallel sequences (--parallel)", kind: "int", min: 1, max: 4096, auto: "runtime default" } },
  { key: "kv_unified", schema: flags.kv_unified, group: GROUP, scope: SCOPE, help: "one KV cache shared by all sequences", cli: { arg: "flag" }, web: { label: "Unified KV cache (--kv-unified)", kind: "bool", def: false } },
  { key: "cache_type_k", schema: flags.cache_type_k, group: GROUP, scope: SCOPE, help: `K cache type: ${LLAMA_CPP_KV_TYPES.join(" | ")}`, cli: { arg: "string", flags: "--ctk, --cache-type-k <type>" }, web: { label: "K cache type", kind: "select", choices: LLAMA_CPP_KV_TYPES, auto: "f16" } },
  { key: "cache_type_v", schema: flags.cache_type_v, group: GROUP, scope: SCOPE, help: "V cache type (quantized V needs --flash-attn on)", cli: { arg: "string", flags: "--ctv, --cache-type-v <type>" }, web: { label: "V cache type", kind: "select", choices: LLAMA_CPP_KV_TYPES, auto: "f16" } },
  { key: "flash_attn", schema: flags.flash_attn, group: GROUP, scope: SCOPE, help: "flash attention (llama.cpp default auto: on for CUDA)", cli: { arg: "onoff", flags: "--fa, --flash-attn <on|off>" }, web: { label: "Flash attention (--fa)", kind: "select", choices: ["on", "off"], auto: "auto", boolean: true } },
  { key: "swa_full", schema: flags.swa_full, group: GROUP, scope: SCOPE, help: "full-size cache for sliding-window layers", cli: { arg: "flag" }, web: { label: "Full-size SWA cache (--swa-full)", kind: "bool", def: false } },
  { key: "ubatch_size", schema: flags.ubatch_size, group: GROUP, scope: SCOPE, help: "physical batch size (compute buffer), default 512", cli: { arg: "int", flags: "--ub, --ubatch-size <n>" }, web: { label: "Physical batch (--ubatch-size)", kind: "int", min: 1, max: 1 << 20, auto: "512" } },
  { key: "batch_size", schema: flags.batch_size, group: GROUP, scope: SCOPE, help: "logical batch size, default 2048", cli: { arg: "int", flags: "--batch-size <n>" }, web: { label: "Logical batch (--batch-size)", kind: "int", min: 1, max: 1 << 20, auto: "2048" } },
  { key: "n_gpu_layers", schema: flags.n_gpu_layers, group: GROUP, scope: SCOPE, help: "layers on the GPU (-1: all, the default)", cli: { arg: "layers", flags: "--ngl, --n-gpu-layers <n>" }, web: { label: "GPU layers (--n-gpu-layers)", kind: "int", min: -1, max: 100_000, auto: "all" } },
];

/** vramfit KV dtype names → llama.cpp --cache-type names. */
const KV_TYPE: Record<string, string> = { fp32: "f32", fp16: "f16", bf16: "bf16" };

/** The tensor table of a GGUF model, one entry per tensor with llama.cpp's names (layer index filled in). */
function fileTensors(model: TransformerModel): NamedTensorBytes[] | undefined {
  if (model.source.kind !== "gguf") return undefined;
  const out: NamedTensorBytes[] = [];
  // Groups merge identical tensors across layers; give them layer indices in order so that
  // --n-gpu-layers splits bytes by layer (exact when every layer has the same types).
  const nextLayer = new Map<string, number>();
  for (const g of model.tensors) {
    const perTensor = bytesFromFileDtype(g) ?? tensorBytes(g, "fp16", null);
    const experts = g.expert && model.transformer.moe ? model.transformer.moe.experts : 1;
    const tensorsPerLayer = g.name.includes("{L}") ? experts : 1;
    const n = g.count / tensorsPerLayer;
    for (let i = 0; i < n; i++) {
      const key = g.name.replace(/\.\{E\}/, "");
      const layer = nextLayer.get(key) ?? 0;
      nextLayer.set(key, layer + 1);
      out.push({ name: key.replace("{L}", String(layer)), bytes: perTensor * tensorsPerLayer });
    }
  }
  return out;
}

function engine(runtime: "llama.cpp" | "ollama") {
  return (model: TransformerModel, w: Workload, gpu?: Gpu): PartialEstimate => {
    const shape = model.transformer;
    const assumptions: string[] = [];
    const warnings: string[] = [];
    const tensors = fileTensors(model);
    if (!tensors && !isGgufQuant(w.quant)) {
      if (w.quant) throw new VramfitError("does_not_run", `llama.cpp cannot run ${w.quant} weights; it reads GGUF files`, { suggestion: "give a GGUF type such as --quant q4_k_m, or a .gguf file" });
      throw new VramfitError("invalid_option", `${runtime} needs a GGUF file or a GGUF quant type`, { suggestion: "add --quant q4_k_m (or q8_0, q5_k_m, f16 ...)" });
    }
    const nSeqUser = w.parallel ?? (runtime === "ollama" ? OLLAMA_DEFAULTS.numParallel : 1);
    const ctx = runtime === "ollama" ? ollamaLlamaCppContext(w.seq, nSeqUser) : { nCtx: w.seq, nSeq: nSeqUser };
    const typeK = w.cache_type_k ?? KV_TYPE[w.kv_dtype] ?? w.kv_dtype;
    const typeV = w.cache_type_v ?? KV_TYPE[w.kv_dtype] ?? w.kv_dtype;
    const flashAttn = w.flash_attn ?? (runtime === "llama.cpp");
    if (w.flash_attn === undefined) {
      assumptions.push(runtime === "llama.cpp" ? "flash attention on (llama.cpp's --flash-attn auto enables it on CUDA)" : "flash attention off (Ollama's default, OLLAMA_FLASH_ATTENTION unset)");
    }
    const mem = llamaCppMemory(model, {
      nCtx: ctx.nCtx,
      nSeq: ctx.nSeq,
      kvUnified: w.kv_unified ?? false,
      typeK,
      typeV,
      flashAttn,
      swaFull: w.swa_full ?? false,
      nUbatch: w.ubatch_size ?? 512,
      nBatch: w.batch_size ?? 2048,
      fileType: tensors ? undefined : (w.quant ?? undefined),
      tensors,
      nGpuLayers: w.n_gpu_layers ?? -1,
      backend: "cuda",
    });
    const dev = gpu ? "CUDA0" : "GPU";
    const ctxText = `n_ctx ${ctx.nCtx}${ctx.nSeq > 1 ? ` over ${ctx.nSeq} sequences` : ""}`;
    const components: Component[] = [
      {
        id: "weights",
        label: `Model buffer (${dev})`,
        bytes: mem.gpu.weights,
        formula: `${tensors ? "tensor table of the GGUF file" : `tensors typed as llama.cpp's quantizer does for ${w.quant} (llama-quant.cpp)`}; ${mem.offloadedLayers}/${mem.totalLayers} layers on the GPU`,
        level: "allocated",
      },
      {
        id: "kv_cache",
        label: `KV cache (${dev})`,
        bytes: mem.gpu.kvCache,
        formula: `llama.cpp KV cache: ${ctxText}, K ${typeK} / V ${typeV}, cells padded to 256 (llama-kv-cache.cpp)`,
        level: "allocated",
      },
      {
        id: "compute_buffer",
        label: `Compute buffer (${dev})`,
        bytes: mem.gpu.compute,
        formula: `ggml graph scratch for a ubatch of ${w.ubatch_size ?? 512} tokens, flash attention ${flashAttn ? "on" : "off"}; peak in the ${mem.computePeak}`,
        level: "allocated",
      },
      { ...cudaContextComponent({ vendor: gpu?.vendor }) },
    ];
    if (runtime === "ollama") {
      components.push({
        id: "ollama_reserve",
        label: "Ollama free-memory reserve",
        bytes: ollamaReservedBytes(),
        formula: "Ollama keeps 457 MiB free on every CUDA/ROCm GPU (discover/gpu.go) + OLLAMA_GPU_OVERHEAD (0)",
        level: "device",
      });
    }
    const host: Component[] = [
      { id: "weights_host", label: "Model buffer (host)", bytes: mem.host.weights, formula: "token embedding and layers not offloaded (llama.cpp keeps token_embd in host memory)", level: "allocated", location: "cpu" },
      { id: "kv_cache_host", label: "KV cache (host)", bytes: mem.host.kvCache, formula: "KV rows of layers left on the CPU", level: "allocated", location: "cpu" },
      { id: "output_buffer", label: "Output buffer (host)", bytes: mem.host.output, formula: `vocab ${shape.vocab} × ${ctx.nSeq} outputs × 4 B f32 logits`, level: "allocated", location: "cpu" },
    ];
    components.push(...host.filter((c) => c.bytes > 0));
    if (mem.offloadedLayers < mem.totalLayers) warnings.push(`only ${mem.offloadedLayers} of ${mem.totalLayers} layers on the GPU: the rest run on the CPU`);
    if (runtime === "ollama") assumptions.push(`Ollama: num_ctx ${w.seq}, ${ctx.nSeq} parallel slot(s) (OLLAMA_NUM_PARALLEL), KV ${typeK}`);
    return {
      components,
      peak: { phase: "prompt processing", description: "model buffer + KV cache + compute buffer, allocated at load time" },
      warnings,
      assumptions,
    };
  };
}

/** GGUF files and GGUF quant types run in llama.cpp unless the user names another runtime. */
function claimsGguf(model: TransformerModel, input: { quant?: unknown }): string | undefined {
  if (model.source.kind === "gguf") return "runtime llama.cpp inferred from the GGUF file";
  if (typeof input.quant === "string" && isGgufQuant(input.quant)) return "runtime llama.cpp inferred from the GGUF quantization";
  return undefined;
}

// Both keep their KV cache in f16 unless told otherwise; Ollama picks num_ctx by the GPU's memory.
export const llamaCppRuntime: RuntimeProfile<LlamaCppFlags> = {
  id: "llama.cpp",
  label: "llama.cpp",
  category: "llamacpp",
  allowsLongContext: true,
  options: LLAMA_CPP_OPTIONS,
  claims: claimsGguf,
  defaults: () => ({ kv_dtype: "fp16" }),
  estimate: engine("llama.cpp"),
};

export const ollamaRuntime: RuntimeProfile<LlamaCppFlags> = {
  id: "ollama",
  label: "Ollama",
  category: "llamacpp",
  allowsLongContext: true,
  options: LLAMA_CPP_OPTIONS,
  defaults: (model, gpu) => ({
    kv_dtype: "fp16",
    ...(gpu ? { seq: ollamaDefaultContext(gpu.usable_bytes ?? gpu.memory_bytes, model.transformer.maxPositions || undefined) } : {}),
  }),
  estimate: engine("ollama"),
};
