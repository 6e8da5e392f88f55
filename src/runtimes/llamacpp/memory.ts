/**
 * Everything llama.cpp allocates for one model and context, split between the GPU and host memory:
 * weights (model-buffers.ts), KV cache (kv-cache.ts), compute buffer (compute-buffer.ts) and the output
 * buffer. KV rows of layers left on the CPU stay in host memory (llama.cpp's default offload_kqv puts
 * each layer's cache on that layer's device). The CUDA context and cuBLAS workspace are not included:
 * they are the core's per-GPU overhead.
 */
import { VramfitError } from "../../core/errors.js";
import type { TransformerModel } from "../../core/model.js";
import { llamaCppComputeBuffer, type LlamaCppBackend } from "./compute-buffer.js";
import { ggufTensorsFromGroups } from "../../ggml/tensor-names.js";
import { llamaCppKvCache, type LlamaCppKvOptions } from "./kv-cache.js";
import { llamaCppModelBuffers, type NamedTensorBytes } from "./model-buffers.js";
import { ggufTensorTypes } from "../../ggml/quantizer.js";

export interface LlamaCppMemoryOptions extends LlamaCppKvOptions {
  /** GGUF file type to predict (q4_k_m, ...) when `tensors` is not given. */
  fileType?: string;
  /** The real tensor table of a GGUF file, when the model came from one: llama.cpp names and bytes
   *  (from src/readers/gguf.ts: file.tensors.map((t) => ({ name: t.name, bytes: t.byteLength }))). */
  tensors?: readonly NamedTensorBytes[];
  /** --n-gpu-layers; default -1 (all). */
  nGpuLayers?: number;
  backend?: LlamaCppBackend;
}

export interface LlamaCppMemory {
  gpu: { weights: number; kvCache: number; compute: number; total: number };
  host: { weights: number; kvCache: number; output: number; total: number };
  kvBytes: number;
  computePeak: "output" | "attention" | "ffn";
  offloadedLayers: number;
  totalLayers: number;
  /** The tensors used: the file's, or the predicted ones (GgufTypedTensor with their types). */
  tensors: readonly NamedTensorBytes[];
}

const FUSED_QKV = /^(qkv_proj|query_key_value|c_attn|Wqkv)$/;

export function llamaCppMemory(model: TransformerModel, opts: LlamaCppMemoryOptions): LlamaCppMemory {
  const shape = model.transformer;
  const backend = opts.backend ?? "cuda";
  let tensors: readonly NamedTensorBytes[] | undefined = opts.tensors;
  if (!tensors) {
    if (!opts.fileType) throw new VramfitError("invalid_option", "llama.cpp needs a GGUF file or a GGUF quant type (e.g. --quant q4_k_m)");
    tensors = ggufTensorTypes(ggufTensorsFromGroups(model.tensors, shape), opts.fileType, {
      architecture: model.architecture, layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads, experts: shape.moe?.experts ?? 0,
    });
  }
  const architecture = opts.architecture ?? model.architecture;
  const w = llamaCppModelBuffers(tensors, shape.layers, opts.nGpuLayers ?? -1);
  const kv = llamaCppKvCache(shape, { ...opts, architecture });
  const kvGpu = kv.perLayer.filter((l) => l.layer >= w.firstGpuLayer).reduce((s, l) => s + l.kBytes + l.vBytes, 0);
  const fusedQkv = model.tensors.some((t) => FUSED_QKV.test(t.module));
  const anyGpu = w.offloadedLayers > 0;
  const compute = llamaCppComputeBuffer(shape, { ...opts, architecture, fusedQkv }, backend);
  // output buffer: logits for n_seq_max outputs, f32, in host memory (llama_context::output_reserve)
  const output = shape.vocab * kv.params.nSeq * 4;
  const gpuCompute = anyGpu ? compute.bytes : 0;
  return {
    gpu: { weights: w.gpuBytes, kvCache: kvGpu, compute: gpuCompute, total: w.gpuBytes + kvGpu + gpuCompute },
    host: {
      weights: w.cpuBytes, kvCache: kv.totalBytes - kvGpu, output,
      total: w.cpuBytes + kv.totalBytes - kvGpu + output,
    },
    kvBytes: kv.totalBytes,
    computePeak: compute.peak,
    offloadedLayers: w.offloadedLayers,
    totalLayers: w.totalLayers,
    tensors,
  };
}
