/**
 * GGUF metadata → TransformerShape: the one mapping vramfit keeps. The `{arch}.*` keys are the ones
 * llama.cpp's converter writes (gguf-py/gguf/constants.py, Keys.LLM / Keys.Attention); where the metadata
 * is silent the tensor table decides (a gated MLP has ffn_gate, tied embeddings have no output.weight).
 * Pure: the reader reads the file; specs with metadata only (bench/llamacpp/specs) pass no tensors.
 */
import { VramfitError } from "../core/errors.js";
import type { MlaShape, MoeShape, TransformerShape } from "../core/model.js";
import { ggufLayerTypes } from "./sliding-window.js";

export type GgufMetadata = Record<string, unknown>;

/** What the mapping needs from the tensor table: names, and PyTorch-order shapes (ggml's ne reversed). */
export interface GgufTensorName {
  name: string;
  shape?: readonly number[];
}

/** Encoders: no KV cache, no generation (llama.cpp's LLM_ARCH_BERT family and T5's encoder). */
const ENCODER_ONLY = new Set(["bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder", "roberta", "modern-bert"]);
/** Architectures with LayerNorm (and a GELU MLP) rather than RMSNorm. */
const LAYER_NORM_ARCHS = new Set(["gpt2", "bert", "nomic-bert", "jina-bert-v2", "falcon", "gptneox", "starcoder", "phi2", "bloom", "mpt", "gptj", "stablelm"]);
/** Architectures whose MLP is fc1 → act → fc2 (no gate), for metadata without a tensor table. */
const PLAIN_MLP_ARCHS = new Set(["gptneox", "phi2", "falcon", "starcoder", "gpt2", "bloom", "mpt", "gptj", "bert", "nomic-bert", "jina-bert-v2", "starcoder2"]);

export interface GgufShapeOptions {
  /** The tensor table, when read (decides MLP kind, tied embeddings, MoE layers and vocabulary). */
  tensors?: readonly GgufTensorName[];
  /** Vocabulary size when neither the tokenizer nor the tensor table says it. */
  vocab?: number;
  /** Name for messages (the file name). */
  name?: string;
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

/** A per-layer array (OpenELM, Gemma-3n) or a scalar: the maximum, and whether it varied. */
function numOrMax(v: unknown): { value: number | undefined; varies: boolean } {
  if (Array.isArray(v)) {
    const ns = v.map(num).filter((x): x is number => x !== undefined);
    if (ns.length === 0) return { value: undefined, varies: false };
    return { value: Math.max(...ns), varies: new Set(ns).size > 1 };
  }
  return { value: num(v), varies: false };
}

export function transformerShapeFromGguf(meta: GgufMetadata, opts: GgufShapeOptions = {}): { shape: TransformerShape; warnings: string[] } {
  const name = opts.name ?? "GGUF metadata";
  const arch = meta["general.architecture"];
  if (typeof arch !== "string") throw new VramfitError("invalid_file", `${name}: GGUF file without general.architecture`);
  const k = (key: string) => meta[`${arch}.${key}`];
  const warnings: string[] = [];
  const tensors = opts.tensors;
  const has = (base: string) => tensors?.some((t) => t.name.includes(`.${base}.`) || t.name.startsWith(`${base}.`)) ?? false;

  const layers = num(k("block_count"));
  const hidden = num(k("embedding_length"));
  if (!layers || !hidden) throw new VramfitError("invalid_file", `${name}: GGUF metadata lacks ${arch}.block_count / ${arch}.embedding_length`);
  const headsM = numOrMax(k("attention.head_count"));
  const kvM = numOrMax(k("attention.head_count_kv"));
  const ffM = numOrMax(k("feed_forward_length"));
  if (headsM.varies || kvM.varies || ffM.varies) warnings.push("head counts or MLP widths vary per layer; the largest is used for activations and KV cache");
  const heads = headsM.value ?? 1;
  const kvHeads = kvM.value ?? heads;
  const headDim = num(k("attention.key_length")) ?? Math.floor(hidden / Math.max(1, heads));
  const tokens = meta["tokenizer.ggml.tokens"];
  const embd = tensors?.find((t) => t.name === "token_embd.weight");
  const vocab = (Array.isArray(tokens) ? tokens.length : undefined) ?? embd?.shape?.[0] ?? num(k("vocab_size")) ?? opts.vocab ?? 0;
  const intermediate = ffM.value ?? 4 * hidden;

  const expertCount = num(k("expert_count")) ?? 0;
  const moeLayersFromTensors = tensors ? new Set(tensors.filter((t) => /_exps\./.test(t.name)).map((t) => t.name.split(".")[1])).size : 0;
  const moe: MoeShape | null =
    expertCount > 0
      ? {
          experts: expertCount,
          expertsPerToken: num(k("expert_used_count")) ?? 1,
          sharedExperts: num(k("expert_shared_count")) ?? 0,
          expertIntermediate: num(k("expert_feed_forward_length")) ?? intermediate,
          moeLayers: moeLayersFromTensors || layers - (num(k("leading_dense_block_count")) ?? 0),
        }
      : null;

  const kvLora = num(k("attention.kv_lora_rank"));
  const ropeDim = num(k("rope.dimension_count")) ?? 0;
  const mla: MlaShape | null = kvLora
    ? {
        kvLoraRank: kvLora,
        qLoraRank: num(k("attention.q_lora_rank")) ?? null,
        qkRopeHeadDim: ropeDim,
        qkNopeHeadDim: (num(k("attention.key_length_mla")) ?? headDim) - ropeDim,
        vHeadDim: num(k("attention.value_length_mla")) ?? num(k("attention.value_length")) ?? headDim,
      }
    : null;

  const window = num(k("attention.sliding_window")) ?? null;
  const layerTypes = ggufLayerTypes(arch, layers, window && window > 0 ? window : null, k("attention.sliding_window_pattern"), warnings);
  const layerNorm =
    k("attention.layer_norm_epsilon") !== undefined || LAYER_NORM_ARCHS.has(arch) || (tensors?.some((t) => t.name.endsWith("attn_norm.bias")) ?? false);
  const shape: TransformerShape = {
    layers,
    hidden,
    heads,
    kvHeads,
    headDim,
    vocab,
    intermediate,
    mlp: tensors ? (has("ffn_gate") || has("ffn_gate_exps") ? "gated" : "plain") : PLAIN_MLP_ARCHS.has(arch) ? "plain" : "gated",
    activation: arch.startsWith("gemma") ? "gelu_pytorch_tanh" : LAYER_NORM_ARCHS.has(arch) ? "gelu" : "silu",
    norm: layerNorm ? "layer" : "rms",
    tiedEmbeddings: tensors ? !tensors.some((t) => t.name === "output.weight") : false,
    maxPositions: num(k("context_length")) ?? 0,
    layerTypes,
    slidingWindow: window && layerTypes.includes("sliding") ? window : null,
    moe,
    mla,
    encoderOnly: ENCODER_ONLY.has(arch),
    attentionDropout: 0,
    hiddenDropout: 0,
  };
  return { shape, warnings };
}
