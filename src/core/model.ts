/**
 * The model description: what every reader (catalog, config.json, safetensors, GGUF, ONNX, a bare
 * parameter count) produces and what the estimation core consumes. It holds shapes, never weights.
 */
import type { VisionModel } from "../vision/registry.js";

/** What a group of identical tensors is, for quantization, LoRA targeting and sharding decisions. */
export type TensorKind =
  | "embedding" // token / position embeddings (gathered, never quantized by bitsandbytes/GPTQ/AWQ)
  | "linear" // a weight matrix of an nn.Linear inside the blocks
  | "lm_head" // the output projection (kept in 16-bit by bitsandbytes, GPTQ and AWQ by default)
  | "norm" // RMSNorm / LayerNorm weights and biases
  | "bias" // linear biases
  | "router" // MoE gate / router matrix (small, kept in 16-bit)
  | "other";

/**
 * `count` identical tensors of `shape`. Grouping keeps a 256-expert, 61-layer model at a few dozen
 * entries instead of tens of thousands.
 */
export interface TensorGroup {
  /** Name pattern as in the checkpoint, with {L} for the layer index and {E} for the expert index. */
  name: string;
  /** Leaf module name as PEFT and quantizers see it (q_proj, down_proj, lm_head, ...). */
  module: string;
  kind: TensorKind;
  /** Shape as stored in PyTorch: [out_features, in_features] for linear weights. */
  shape: number[];
  count: number;
  /** Expert weights of a mixture-of-experts layer (resident, but only top-k are active per token). */
  expert?: boolean;
  /** A dtype read from a file for this group (safetensors / GGUF), when known. */
  dtype?: string;
}

export interface MoeShape {
  experts: number;
  expertsPerToken: number;
  sharedExperts: number;
  expertIntermediate: number;
  /** Layers that use experts (the rest are dense). */
  moeLayers: number;
}

/** Multi-head latent attention (DeepSeek-V2/V3): the KV cache holds a compressed latent per token. */
export interface MlaShape {
  kvLoraRank: number;
  qLoraRank: number | null;
  qkRopeHeadDim: number;
  qkNopeHeadDim: number;
  vHeadDim: number;
}

export interface TransformerShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** Dense MLP intermediate size. */
  intermediate: number;
  /** gated = SwiGLU/GeGLU (gate, up, down); plain = fc1, act, fc2. */
  mlp: "gated" | "plain";
  activation: string;
  norm: "rms" | "layer";
  tiedEmbeddings: boolean;
  maxPositions: number;
  /** Per layer: full attention or a sliding window of `slidingWindow` tokens. */
  layerTypes: ("full" | "sliding")[];
  slidingWindow: number | null;
  moe: MoeShape | null;
  mla: MlaShape | null;
  /** Encoder-only models (BERT) have no KV cache and no generation. */
  encoderOnly: boolean;
  /** Attention dropout in training mode (adds 1-byte masks when > 0). */
  attentionDropout: number;
  hiddenDropout: number;
}

/** Where each fact came from, so `inspect` can say it and estimates can be traced. */
export interface ModelSource {
  kind: "catalog" | "config" | "hub" | "safetensors" | "gguf" | "onnx" | "param-count" | "vision-builtin";
  /** File path, URL, catalog entry or the text the user typed. */
  ref: string;
  /** Upstream origin of the data (e.g. the HF repo and commit a catalog config was taken from). */
  origin?: string;
}

interface ModelBase {
  /** Short id (catalog id, folder name, or the text given). */
  id: string;
  /** Hugging Face repo id when known. */
  hfId?: string;
  /** config.json `model_type` (llama, qwen2, ...), the vision architecture, or "unknown". */
  architecture: string;
  /** Total parameters, exact when derived from shapes or headers. */
  parameters: number;
  /** Parameters used per token (MoE: shared + top-k experts). Equals `parameters` for dense models. */
  activeParameters: number;
  /** The dtype the checkpoint is stored in (config `torch_dtype`/`dtype`), when known. */
  storedDtype?: string;
  /** Quantization declared by the checkpoint (config `quantization_config`, GGUF file type). */
  storedQuant?: string;
  tensors: TensorGroup[];
  source: ModelSource;
  /** Facts that are approximations or fallbacks; shown to the user. */
  warnings: string[];
}

/** A transformer language model: its shape drives the KV cache, activations and every runtime. */
export interface TransformerModel extends ModelBase {
  family: "transformer";
  transformer: TransformerShape;
}

/** A vision model: it carries the layer graph builder the vision engine runs (built-in or from ONNX). */
export interface VisionModelDescription extends ModelBase {
  family: "vision";
  vision: VisionModel;
}

/** Weights without an architecture (safetensors headers without config.json): weights only, no estimate. */
export interface GenericModel extends ModelBase {
  family: "generic";
}

/**
 * What every reader produces and every engine consumes, one variant per model family. The variant
 * carries what its engine needs (the transformer shape, the vision graph), so nothing is looked up again.
 */
export type ModelDescription = TransformerModel | VisionModelDescription | GenericModel;

export function isTransformer(m: ModelDescription): m is TransformerModel {
  return m.family === "transformer";
}

export function countParameters(tensors: readonly TensorGroup[]): number {
  let n = 0;
  for (const t of tensors) n += numel(t.shape) * t.count;
  return n;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
