/**
 * The llama.cpp and Ollama runtime profiles as estimate() engines: the buffers llama.cpp allocates
 * (memory.ts) become components, GPU parts on the device and host parts marked `location: "cpu"`.
 * llama.cpp allocates with its own cudaMalloc pools, not PyTorch's caching allocator, so allocated and
 * reserved are the same; the device total adds the CUDA context.
 */
import type { Component } from "../../core/estimate-types.js";
import { registerRuntimeEngine } from "../../core/estimate.js";
import { VramfitError } from "../../core/errors.js";
import type { Gpu } from "../../core/gpu.js";
import type { PartialEstimate } from "../../core/inference.js";
import type { ModelDescription } from "../../core/model.js";
import { isGgufQuant, tensorBytes } from "../../core/precision.js";
import { cudaContextComponent } from "../../core/overheads.js";
import { bytesFromFileDtype } from "../../core/weights.js";
import type { Workload } from "../../core/workload.js";
import { llamaCppMemory } from "./memory.js";
import type { NamedTensorBytes } from "./model-buffers.js";
import { OLLAMA_DEFAULTS, ollamaDefaultContext, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";

/** vramfit KV dtype names → llama.cpp --cache-type names. */
const KV_TYPE: Record<string, string> = { fp32: "f32", fp16: "f16", bf16: "bf16" };

/** The tensor table of a GGUF model, one entry per tensor with llama.cpp's names (layer index filled in). */
function fileTensors(model: ModelDescription): NamedTensorBytes[] | undefined {
  if (model.source.kind !== "gguf") return undefined;
  const out: NamedTensorBytes[] = [];
  // Groups merge identical tensors across layers; give them layer indices in order so that
  // --n-gpu-layers splits bytes by layer (exact when every layer has the same types).
  const nextLayer = new Map<string, number>();
  for (const g of model.tensors) {
    const perTensor = bytesFromFileDtype(g) ?? tensorBytes(g, "fp16", null);
    const experts = g.expert && model.transformer?.moe ? model.transformer.moe.experts : 1;
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
  return (model: ModelDescription, w: Workload, gpu?: Gpu): PartialEstimate => {
    const shape = model.transformer!;
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

// Both keep their KV cache in f16 unless told otherwise; Ollama picks num_ctx by the GPU's memory.
registerRuntimeEngine("llama.cpp", engine("llama.cpp"), () => ({ kv_dtype: "fp16" }));
registerRuntimeEngine("ollama", engine("ollama"), (model, gpu) => ({
  kv_dtype: "fp16",
  ...(gpu ? { seq: ollamaDefaultContext(gpu.usable_bytes ?? gpu.memory_bytes, model.transformer?.maxPositions || undefined) } : {}),
}));
