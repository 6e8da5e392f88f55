/**
 * Ollama library tags → a model of known shape in vramfit's catalog and the GGUF type the tag ships.
 *
 * Shapes: each library name is the model family of the same name (ollama.com/library/<name>, sizes as the library
 * lists them; the instruct and base checkpoints share one shape, so the catalog's config sizes either).
 * Quantization: a tag without a quantization suffix is Q4_K_M — Ollama's own /api/tags example lists
 * "llama3.2:latest" (3.2B) and "deepseek-r1:latest" with "quantization_level": "Q4_K_M" (docs/api.md,
 * ollama/ollama @fb30760996871fa9460115c753afd2c60d4ab0f7); a suffix (`-q8_0`, `-fp16`, `-q5_K_M`) names the type.
 * Tags this table does not know are refused with a clear error (give the GGUF file instead).
 */
import { VramfitError } from "../core/errors.js";
import { clip } from "./types.js";

interface LibraryModel {
  /** size tag → catalog id */
  sizes: Record<string, string>;
  /** the size `latest` (and a bare name) points to */
  latest: string;
}

/** ollama.com/library names and sizes with a catalog model of the same shape. */
export const OLLAMA_LIBRARY: Readonly<Record<string, LibraryModel>> = {
  "llama3.1": { sizes: { "8b": "llama-3.1-8b", "70b": "llama-3.1-70b", "405b": "llama-3.1-405b" }, latest: "8b" },
  "llama3.2": { sizes: { "1b": "llama-3.2-1b", "3b": "llama-3.2-3b" }, latest: "3b" },
  "llama3.3": { sizes: { "70b": "llama-3.3-70b" }, latest: "70b" },
  llama3: { sizes: { "8b": "llama-3-8b" }, latest: "8b" },
  llama2: { sizes: { "7b": "llama-2-7b", "13b": "llama-2-13b", "70b": "llama-2-70b" }, latest: "7b" },
  "qwen2.5": { sizes: { "0.5b": "qwen2.5-0.5b", "1.5b": "qwen2.5-1.5b", "3b": "qwen2.5-3b", "7b": "qwen2.5-7b", "14b": "qwen2.5-14b", "32b": "qwen2.5-32b", "72b": "qwen2.5-72b" }, latest: "7b" },
  qwen3: { sizes: { "0.6b": "qwen3-0.6b", "1.7b": "qwen3-1.7b", "4b": "qwen3-4b", "8b": "qwen3-8b", "14b": "qwen3-14b", "32b": "qwen3-32b", "30b": "qwen3-30b-a3b", "30b-a3b": "qwen3-30b-a3b", "235b": "qwen3-235b-a22b", "235b-a22b": "qwen3-235b-a22b" }, latest: "8b" },
  gemma2: { sizes: { "2b": "gemma-2-2b", "9b": "gemma-2-9b", "27b": "gemma-2-27b" }, latest: "9b" },
  gemma3: { sizes: { "1b": "gemma-3-1b", "27b": "gemma-3-27b" }, latest: "4b" },
  gemma: { sizes: { "2b": "gemma-2b" }, latest: "7b" },
  mistral: { sizes: { "7b": "mistral-7b-v0.3" }, latest: "7b" },
  "mistral-nemo": { sizes: { "12b": "mistral-nemo-12b" }, latest: "12b" },
  mixtral: { sizes: { "8x7b": "mixtral-8x7b", "8x22b": "mixtral-8x22b" }, latest: "8x7b" },
  phi3: { sizes: { "3.8b": "phi-3-mini", mini: "phi-3-mini", "14b": "phi-3-medium", medium: "phi-3-medium" }, latest: "3.8b" },
  "phi3.5": { sizes: { "3.8b": "phi-3.5-mini" }, latest: "3.8b" },
  "phi4-mini": { sizes: { "3.8b": "phi-4-mini" }, latest: "3.8b" },
  tinyllama: { sizes: { "1.1b": "tinyllama-1.1b" }, latest: "1.1b" },
  smollm2: { sizes: { "135m": "smollm2-135m", "360m": "smollm2-360m" }, latest: "1.7b" },
  devstral: { sizes: { "24b": "devstral-small-24b" }, latest: "24b" },
  "deepseek-v3": { sizes: { "671b": "deepseek-v3" }, latest: "671b" },
};

/** Quantization suffixes as Ollama's tags write them, → vramfit's GGUF type names. */
const QUANT_SUFFIX = /(?:^|-)(q[2-8]_[01k](?:_[sml])?|q[2-8]_k|iq[1-4]_[a-z]+|fp16|f16|bf16|fp32|f32)$/i;

export interface OllamaModelRef {
  catalogId: string;
  quant: string;
  /** How the tag was read, for the estimate's assumptions. */
  note: string;
}

/** `qwen2.5:14b`, `qwen2.5:14b-instruct-q8_0`, `llama3.2`, `library/mistral:latest` → catalog id + GGUF type. */
export function ollamaModel(tag: string): OllamaModelRef {
  const t = tag.trim().replace(/^(registry\.ollama\.ai\/)?(library\/)?/i, "");
  if (/^(hf\.co|huggingface\.co)\//i.test(t)) {
    throw new VramfitError("unsupported", `${clip(tag)} is a GGUF on Hugging Face that Ollama picks by quant tag; its file name is not known here`, { suggestion: "give the GGUF file's path (org/name/file.gguf on the Hub, or a local .gguf)" });
  }
  const [name, rawTag = "latest"] = t.split(":", 2);
  const lib = OLLAMA_LIBRARY[name.toLowerCase()];
  if (!lib) {
    throw new VramfitError("unknown_model", `the Ollama model '${clip(tag)}' has no known shape in vramfit's catalog`, { suggestion: `give its GGUF file instead (ollama show --modelfile ${clip(name)} prints the blob path), or one of: ${Object.keys(OLLAMA_LIBRARY).join(", ")}` });
  }
  const tagLower = rawTag.toLowerCase();
  const q = QUANT_SUFFIX.exec(tagLower);
  let quant = q ? q[1].toLowerCase() : "q4_k_m";
  if (quant === "fp16") quant = "f16";
  if (quant === "fp32") quant = "f32";
  const sizePart = tagLower === "latest" ? lib.latest : tagLower.split("-")[0];
  const size = sizePart === "latest" ? lib.latest : sizePart;
  const catalogId = lib.sizes[size] ?? (size.includes("x") || /^\d/.test(size) ? undefined : lib.sizes[lib.latest]);
  if (!catalogId) {
    throw new VramfitError("unknown_model", `the Ollama tag '${clip(tag)}': size '${clip(size)}' of ${name} has no known shape in vramfit's catalog`, { suggestion: `known sizes: ${Object.keys(lib.sizes).join(", ")}; or give the GGUF file` });
  }
  return { catalogId, quant, note: `Ollama tag ${clip(tag)} read as ${catalogId} in ${quant}${q ? "" : " (the library's default quantization, Q4_K_M)"}` };
}
