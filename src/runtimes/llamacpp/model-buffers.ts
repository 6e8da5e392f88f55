/**
 * Where llama.cpp puts the weights for --n-gpu-layers (llama-model.cpp load_tensors): the repeating blocks
 * il >= n_layer - n_gpu_layers go to the GPU; the output layer (output_norm, output.weight) goes with them
 * only when n_gpu_layers > n_layer ("offloaded 33/33 layers" on a 32-block model); the token embedding is
 * always in host memory (a row lookup, not worth the transfer). A model that ties its output to the token
 * embedding gets a second copy of it as the output weight on the output layer's device.
 * Checked on ggml-org/ci pythia-2.8b logs (CUDA0 vs CPU_Mapped model buffers, -ngl 99) and Qwen3-Coder-30B
 * (yuy4o/llm, b7342): see model-buffers.spec.ts.
 */
import { VramfitError } from "../../core/errors.js";

export interface NamedTensorBytes {
  name: string;
  bytes: number;
}

export interface LlamaCppModelBuffers {
  /** Weights on the GPU ("CUDA0 model buffer size"). */
  gpuBytes: number;
  /** Weights left in host memory ("CPU_Mapped model buffer size"). */
  cpuBytes: number;
  /** Blocks on the GPU, plus 1 when the output layer is too (llama.cpp's "offloaded N/M layers"). */
  offloadedLayers: number;
  /** n_layer + 1: the blocks and the output layer. */
  totalLayers: number;
  /** First block index on the GPU (n_layer when none). */
  firstGpuLayer: number;
}

function blockOf(name: string): number | null {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * @param tensors GGUF tensors with their bytes (from the file's tensor table, or ggufTensorTypes).
 * @param nLayers the model's block count.
 * @param nGpuLayers --n-gpu-layers; a negative value or anything above n_layer offloads everything.
 */
export function llamaCppModelBuffers(tensors: readonly NamedTensorBytes[], nLayers: number, nGpuLayers: number): LlamaCppModelBuffers {
  if (!Number.isSafeInteger(nLayers) || nLayers < 1) throw new VramfitError("invalid_option", `layer count must be a whole number of at least 1, got ${nLayers}`);
  if (!Number.isSafeInteger(nGpuLayers)) throw new VramfitError("invalid_option", `--n-gpu-layers must be a whole number, got ${nGpuLayers}`);
  const ngl = nGpuLayers < 0 ? nLayers + 1 : Math.min(nGpuLayers, nLayers + 1);
  const firstGpuLayer = Math.max(nLayers - ngl, 0);
  const outputOnGpu = ngl > nLayers;
  const hasOutput = tensors.some((t) => t.name === "output.weight");
  let gpu = 0;
  let cpu = 0;
  for (const t of tensors) {
    const il = blockOf(t.name);
    let onGpu: boolean;
    if (il !== null) onGpu = il >= firstGpuLayer;
    else if (t.name.startsWith("token_embd.") || t.name.startsWith("position_embd.") || t.name.startsWith("token_types.")) onGpu = false;
    else onGpu = outputOnGpu; // output_norm, output, and other model-level tensors belong to the output layer
    if (onGpu) gpu += t.bytes;
    else cpu += t.bytes;
    // tied output: the token embedding is duplicated as the output weight on the output layer's device
    if (!hasOutput && t.name === "token_embd.weight") {
      if (outputOnGpu) gpu += t.bytes;
    }
  }
  return { gpuBytes: gpu, cpuBytes: cpu, offloadedLayers: nLayers - firstGpuLayer + (outputOnGpu ? 1 : 0), totalLayers: nLayers + 1, firstGpuLayer };
}
