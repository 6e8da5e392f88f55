/**
 * Which layers llama.cpp runs with a sliding window: the one table vramfit keeps of it. llama.cpp decides
 * per architecture in src/llama-model.cpp (load_hparams: hparams.swa_type and set_swa_pattern(n), where a
 * layer il is a window layer when il % n < n - 1), not from the window size alone:
 * - gemma2 (pattern 2), gemma3 (6), gpt-oss (2), cohere2 (4), exaone4 (4), llama4 (chunked attention, 4)
 *   use their windows; a GGUF file's own `sliding_window_pattern` (a period or a per-layer bool array) wins;
 * - Mistral-7B-v0.1's window is dropped by the converter, Qwen2's is off in its config, and Phi-3's GGUF
 *   carries one that llama.cpp does not use ("Phi SWA is currently disabled"): all run with a full cache
 *   (measured in bench/accuracy/llamacpp-cpu.jsonl for phi3; docs/research/mechanics.md §4.4).
 */
import type { TransformerShape } from "../core/model.js";
import { lookup } from "../core/lookup.js";

/** Architecture (GGUF general.architecture or HF model_type, lower case) → window pattern llama.cpp applies. */
export const LLAMA_CPP_SWA_PATTERN: Readonly<Record<string, number>> = {
  gemma2: 2,
  gemma3: 6,
  gemma3_text: 6,
  "gpt-oss": 2,
  gpt_oss: 2,
  cohere2: 4,
  exaone4: 4,
  llama4: 4,
};

/** Architectures whose window llama.cpp knowingly ignores (no warning for them). */
const WINDOW_IGNORED = new Set(["phi3", "mistral", "qwen2"]);

/**
 * Layer types of a GGUF model from its metadata: the file's per-layer array or period, else the
 * architecture's pattern, else full attention (the upper bound of the KV cache) with a warning when the
 * file names a window llama.cpp might use.
 */
export function ggufLayerTypes(arch: string, layers: number, window: number | null, pattern: unknown, warnings: string[]): ("full" | "sliding")[] {
  const full = Array<"full" | "sliding">(layers).fill("full");
  if (!window) return full;
  if (Array.isArray(pattern) && pattern.length === layers) return pattern.map((p) => (p ? "sliding" : "full"));
  const every = typeof pattern === "number" && pattern > 0 ? pattern : lookup(LLAMA_CPP_SWA_PATTERN, arch.toLowerCase());
  if (every) return Array.from({ length: layers }, (_, i) => (i % every < every - 1 ? "sliding" : "full"));
  if (!WINDOW_IGNORED.has(arch.toLowerCase())) {
    warnings.push(`${arch}.attention.sliding_window = ${window}, but which layers slide is not known for ${arch}: full attention assumed (an upper bound for the KV cache)`);
  }
  return full;
}

export interface LlamaCppSlidingLayers {
  window: number;
  /** true for each layer that keeps only the window. */
  layers: boolean[];
}

/**
 * The window layers llama.cpp uses for a model shape, or null for a full cache. With an architecture
 * llama.cpp is known to run windowed, the model's own layer types are used when they mark any layer sliding
 * (else the llama.cpp pattern); with any other named architecture the window is ignored, as llama.cpp does.
 * Without an architecture the model's layer types are trusted.
 */
export function llamaCppSlidingLayers(shape: TransformerShape, architecture?: string): LlamaCppSlidingLayers | null {
  const window = shape.slidingWindow;
  if (!window || window <= 0) return null;
  const marked = shape.layerTypes.length === shape.layers && shape.layerTypes.some((t) => t === "sliding");
  if (architecture === undefined) {
    return marked ? { window, layers: shape.layerTypes.map((t) => t === "sliding") } : null;
  }
  const pattern = lookup(LLAMA_CPP_SWA_PATTERN, architecture.toLowerCase());
  if (!pattern) return null;
  if (marked) return { window, layers: shape.layerTypes.map((t) => t === "sliding") };
  return { window, layers: Array.from({ length: shape.layers }, (_, il) => il % pattern < pattern - 1) };
}
