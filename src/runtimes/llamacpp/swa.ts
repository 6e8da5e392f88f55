/**
 * Which layers llama.cpp runs with a sliding window. llama.cpp decides per architecture in
 * src/llama-model.cpp (load_hparams: hparams.swa_type and set_swa_pattern(n), where a layer il is a
 * window layer when il % n < n - 1), not from config.json's sliding_window alone:
 * - gemma2 (pattern 2), gemma3 (pattern 6), gpt-oss (pattern 2), cohere2 (4), exaone4 (4), llama4
 *   (chunked, 4) use their windows;
 * - Mistral-7B-v0.1's window is dropped by the converter, Qwen2's is off in its config, and Phi-3's GGUF
 *   carries one that llama.cpp does not use: all run with a full cache (measured in
 *   bench/accuracy/llamacpp-cpu.jsonl for phi3; docs/research/mechanics.md §4.4).
 */
import type { TransformerShape } from "../../core/model.js";

/** Architecture (GGUF name or HF model_type, normalized) -> window pattern llama.cpp applies. */
const LLAMA_CPP_SWA_PATTERN: Record<string, number> = {
  gemma2: 2,
  gemma3: 6,
  gemma3_text: 6,
  "gpt-oss": 2,
  gpt_oss: 2,
  cohere2: 4,
  exaone4: 4,
  llama4: 4,
};

export interface LlamaCppSlidingLayers {
  window: number;
  /** true for each layer that keeps only the window. */
  layers: boolean[];
}

/**
 * The window layers llama.cpp uses, or null for a full cache. With an architecture llama.cpp is known
 * to run windowed, the model's own layer types are used when they mark any layer sliding (else the
 * llama.cpp pattern); with any other named architecture the window is ignored, as llama.cpp does.
 * Without an architecture the model's layer types are trusted.
 */
export function llamaCppSlidingLayers(shape: TransformerShape, architecture?: string): LlamaCppSlidingLayers | null {
  const window = shape.slidingWindow;
  if (!window || window <= 0) return null;
  const marked = shape.layerTypes.length === shape.layers && shape.layerTypes.some((t) => t === "sliding");
  if (architecture === undefined) {
    return marked ? { window, layers: shape.layerTypes.map((t) => t === "sliding") } : null;
  }
  const pattern = LLAMA_CPP_SWA_PATTERN[architecture.toLowerCase()];
  if (!pattern) return null;
  if (marked) return { window, layers: shape.layerTypes.map((t) => t === "sliding") };
  return { window, layers: Array.from({ length: shape.layers }, (_, il) => il % pattern < pattern - 1) };
}
