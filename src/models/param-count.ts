/**
 * A model given only as a parameter count ("7b", "1.5B", "350m"). The weights are exact; the shape
 * (layers, hidden size) that KV cache and activations need is taken from the Llama family member of the
 * nearest size, and the result says so.
 */
import { VramfitError } from "../core/errors.js";
import type { TransformerModel, TransformerShape } from "../core/model.js";

/** Llama-family shapes (Llama 3.2 1B/3B, 3.1 8B/70B/405B, Llama 2 13B, LLaMA 33B) as size anchors. */
const ANCHORS: { params: number; layers: number; hidden: number; heads: number; kvHeads: number; intermediate: number; vocab: number }[] = [
  { params: 1.24e9, layers: 16, hidden: 2048, heads: 32, kvHeads: 8, intermediate: 8192, vocab: 128256 },
  { params: 3.21e9, layers: 28, hidden: 3072, heads: 24, kvHeads: 8, intermediate: 8192, vocab: 128256 },
  { params: 8.03e9, layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 128256 },
  { params: 13.0e9, layers: 40, hidden: 5120, heads: 40, kvHeads: 40, intermediate: 13824, vocab: 32000 },
  { params: 32.5e9, layers: 60, hidden: 6656, heads: 52, kvHeads: 52, intermediate: 17920, vocab: 32000 },
  { params: 70.6e9, layers: 80, hidden: 8192, heads: 64, kvHeads: 8, intermediate: 28672, vocab: 128256 },
  { params: 405.9e9, layers: 126, hidden: 16384, heads: 128, kvHeads: 8, intermediate: 53248, vocab: 128256 },
];

const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

export function parseParameterCount(spec: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmbt])\s*$/i.exec(spec);
  if (!m) return null;
  return Math.round(Number(m[1]) * SUFFIX[m[2].toLowerCase()]);
}

export function modelFromParameterCount(spec: string): TransformerModel {
  const params = parseParameterCount(spec);
  if (params == null) throw new VramfitError("invalid_option", `'${spec}' is not a parameter count (examples: 7b, 1.5b, 350m)`);
  if (params < 1e5) throw new VramfitError("invalid_option", `${spec}: too small to be a language model`);
  if (params > 1e13) throw new VramfitError("invalid_option", `${spec}: larger than any model vramfit can plan for`);
  const a = ANCHORS.reduce((best, x) => (Math.abs(Math.log(x.params / params)) < Math.abs(Math.log(best.params / params)) ? x : best));
  const shape: TransformerShape = {
    layers: a.layers,
    hidden: a.hidden,
    heads: a.heads,
    kvHeads: a.kvHeads,
    headDim: a.hidden / a.heads,
    vocab: a.vocab,
    intermediate: a.intermediate,
    mlp: "gated",
    activation: "silu",
    norm: "rms",
    tiedEmbeddings: false,
    maxPositions: 8192,
    layerTypes: Array.from({ length: a.layers }, () => "full" as const),
    slidingWindow: null,
    moe: null,
    mla: null,
    encoderOnly: false,
    attentionDropout: 0,
    hiddenDropout: 0,
  };
  // Split the count into embedding / lm_head and block linears in the anchor's proportions, so that
  // quantization (which skips embeddings) and LoRA see plausible groups while the total stays exact.
  const embed = Math.min(Math.floor(params / 4), a.vocab * a.hidden);
  const head = embed;
  const body = params - embed - head;
  return {
    id: spec.trim(),
    family: "transformer",
    architecture: "generic",
    parameters: params,
    activeParameters: params,
    transformer: shape,
    tensors: [
      { name: "embed_tokens.weight", module: "embed_tokens", kind: "embedding", shape: [embed], count: 1 },
      { name: "layers.linear.weight", module: "linear", kind: "linear", shape: [a.hidden, Math.floor(body / a.hidden)], count: 1 },
      { name: "layers.rest", module: "rest", kind: "other", shape: [body % a.hidden], count: 1 },
      { name: "lm_head.weight", module: "lm_head", kind: "lm_head", shape: [head], count: 1 },
    ],
    source: { kind: "param-count", ref: spec.trim() },
    warnings: [
      `only a parameter count was given: weights are exact, but KV cache and activations assume the shape of a Llama-family model of ${(a.params / 1e9).toFixed(1)}B (${a.layers} layers, hidden ${a.hidden}, ${a.kvHeads} KV heads)`,
    ],
  };
}
