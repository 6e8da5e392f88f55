/**
 * The model description: what every reader (catalog, config.json, safetensors, GGUF, ONNX, a bare
 * parameter count) produces and what the estimation core consumes. It holds shapes, never weights.
 */
import type { VisionModel } from "../vision/registry.js";
import type { PipelineSpec } from "../diffusion/pipelines.js";

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
  /**
   * The part of a multi-part model the group belongs to; absent: the language model (decoder).
   * vision / audio: the tower; projector: the multimodal projector; encoder: an encoder-decoder's encoder.
   * Engines use it to size tower activations and to split files (llama.cpp keeps the tower in a separate mmproj GGUF).
   */
  part?: ModelPart;
}

export type ModelPart = "vision" | "audio" | "projector" | "encoder";

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

  // ---- Optional parts (issue #18). Absent or null means: not this kind of model. Readers fill them; the
  // ---- engines in src/core/state-cache.ts, encoder-decoder.ts and multimodal.ts read them.

  /**
   * Per layer, which mixers it holds (hybrid and recurrent models); length = `layers`. Absent: every layer is
   * attention. "state": a recurrent / linear-attention mixer with a fixed-size per-sequence state (`state`);
   * "attention+state": both in parallel (Falcon-H1); "none": an MLP/MoE-only layer (Nemotron-H "-"/"E").
   * Only "attention" and "attention+state" layers hold a KV cache.
   */
  layerMixers?: LayerMixer[] | null;
  /** The recurrent mixer of the "state" layers (one kind per model). */
  state?: StateShape | null;
  /** Encoder-decoder models (T5, BART, Whisper): the encoder. The rest of this shape is the decoder, each of
   *  whose layers also cross-attends to the encoder output (cross-attention K/V sized by the encoder length). */
  encoder?: EncoderShape | null;
  /** Vision-language models: the vision tower and its image-token rule (this shape is the language model). */
  vision?: VisionTowerShape | null;
  /** Audio-language models (Qwen2-Audio): the audio encoder. */
  audio?: AudioTowerShape | null;
  /**
   * What the model is served for: "generate" (default), "embed" (BertModel, XLMRobertaModel, sentence
   * embedding models: a pooled vector, no generation) or "classify" (…ForSequenceClassification, rerankers).
   */
  task?: "generate" | "embed" | "classify";
}

export type LayerMixer = "attention" | "state" | "attention+state" | "none";

/**
 * Recurrent / linear-attention mixers, by the state they keep per sequence:
 * - mamba (Mamba-1, Jamba): conv [d_inner, K] + ssm [d_inner, d_state];
 * - mamba2 (Mamba-2, Bamba, Granite-4.0-H, Nemotron-H, Falcon-H1, Zamba2): conv [d_inner + 2·groups·d_state, K]
 *   + ssm [heads, head_dim, d_state];
 * - gated_deltanet (Qwen3-Next, Qwen3.5): conv [2·key_dim + value_dim, K] + recurrent [v_heads, dk, dv];
 * - kda (Kimi-Linear, Kimi Delta Attention): conv over q, k, v [3·heads·head_dim, K] + recurrent [heads, hd, hd];
 * - short_conv (LFM2): conv [hidden, L_cache] only;
 * - lightning (MiniMax-Text-01 linear attention): recurrent [heads, hd, hd] only;
 * - rwkv6 / rwkv7 (and rwkv4/5): token shift (2·hidden) + wkv state [heads, head_size, head_size] (rwkv4: 3 vectors).
 */
export type StateMixerKind = "mamba" | "mamba2" | "gated_deltanet" | "kda" | "short_conv" | "lightning" | "rwkv4" | "rwkv5" | "rwkv6" | "rwkv7";

/**
 * The per-sequence state of one recurrent layer, as data. Build it with the helpers of src/core/state-cache.ts
 * (`mambaState`, `mamba2State`, `gatedDeltaNetState`, `kdaState`, `shortConvState`, `lightningState`, `rwkvState`),
 * which fill the derived fields consistently.
 */
export interface StateShape {
  kind: StateMixerKind;
  /** Causal-conv kernel width (d_conv, conv_kernel, linear_conv_kernel_dim, conv_L_cache); 0: no conv state. */
  convKernel: number;
  /** Channels through the causal conv (the conv state's width). */
  convChannels: number;
  /** Recurrent state per sequence and layer, e.g. [d_inner, d_state], [heads, head_dim, d_state], [v_heads, dk, dv]; [] when none. */
  recurrentShape: number[];
  /** RWKV token-shift values per sequence and layer (llama.cpp keeps them as its "r" state); 0 otherwise. */
  shiftValues: number;
  /** Heads the state splits over under tensor parallelism (mamba2 heads, GDN value heads, KDA heads); 0: split by channels. */
  heads: number;
  /** Mamba2 groups (n_groups) or GDN key heads: vLLM replicates groups that do not divide the TP size. */
  groups: number;
  /** Mamba/GDN inner width (d_inner, value_dim) and d_state / key head dim, for formulas and llama.cpp's n_embd_r/n_embd_s. */
  inner: number;
  stateSize: number;
  /** The dtype the checkpoint asks for the recurrent state (config `mamba_ssm_dtype` / vLLM `mamba_ssm_cache_dtype`), when stated. */
  ssmDtype?: string;
}

/** The encoder of an encoder-decoder model. */
export interface EncoderShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  mlp: "gated" | "plain";
  norm: "rms" | "layer";
  /** Learned positions of the encoder (BART 1024, Whisper 1500); 0: relative positions without a limit (T5). */
  maxPositions: number;
  /** What the encoder reads: tokens, or log-mel audio frames through a conv stem (Whisper). */
  input: "tokens" | "audio";
  /** Audio: mel bins and the input frames of one window (Whisper: 80 or 128 mels × 3000 frames = 30 s → 1500 positions). */
  melBins?: number;
  inputFrames?: number;
  /** The encoder's sequence when it is fixed (Whisper 1500); absent: the input length. */
  fixedLength?: number;
  /** Cross-attention K/V of every decoder layer: heads × head_dim (defaults to the decoder's kvHeads × headDim). */
  crossKvHeads?: number;
  crossHeadDim?: number;
}

/** A vision tower and the rule that turns an image into language-model tokens. */
export interface VisionTowerShape {
  /** clip (LLaVA), siglip (Gemma 3, Idefics3, PaliGemma), qwen2_vl, qwen2_5_vl, qwen3_vl, pixtral (Mistral 3), intern_vit, mllama. */
  kind: "clip" | "siglip" | "qwen2_vl" | "qwen2_5_vl" | "qwen3_vl" | "pixtral" | "intern_vit" | "mllama";
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  mlp: "gated" | "plain";
  patchSize: number;
  /** The tower's native input side (336 for CLIP-L/336, 896 Gemma 3, 364 Idefics3 tiles, 448 InternVL, 560 mllama tiles); 0: dynamic. */
  imageSize: number;
  /** Tokens the projector emits per image, and how (see src/core/multimodal.ts imageTokens). */
  tokens: ImageTokenRule;
  /** Qwen2.5-VL windowed attention: window in pixels (112) and the blocks with full attention; absent: full everywhere. */
  windowSize?: number;
  fullAttentionBlocks?: number[];
  /** mllama: the decoder layers that cross-attend to the image (their K/V are image tokens, not text). */
  crossAttentionLayers?: number[];
}

/** How many language-model tokens one image becomes. Parameters left out take each model's processor defaults. */
export type ImageTokenRule =
  /** A fixed count at any resolution (LLaVA-1.5: 576; Gemma 3: mm_tokens_per_image 256; PaliGemma). */
  | { kind: "fixed"; tokens: number }
  /** Qwen2/2.5/3-VL: the image is resized to multiples of patch·merge within [minPixels, maxPixels], then (h/patch)(w/patch)/merge². */
  | { kind: "qwen_vl"; patch: number; merge: number; minPixels?: number; maxPixels?: number }
  /** LLaVA-NeXT anyres: the best grid pinpoint gives tiles of imageSize; base image + tiles, unpadded, plus newline tokens. */
  | { kind: "llava_next"; gridPinpoints: [number, number][] }
  /** Tiles of tileSize (InternVL 448 / Idefics3 364) up to maxTiles, each tokensPerTile, plus a thumbnail / global image. */
  | { kind: "tiles"; tileSize: number; tokensPerTile: number; maxTiles: number; thumbnail: boolean; longestEdge?: number }
  /** Pixtral / Mistral 3: one token per patch·merge square of the image (resized to fit maxImageSize), plus one break token per row. */
  | { kind: "pixtral"; patch: number; merge: number; maxImageSize: number }
  /** Llama 3.2 Vision: up to maxTiles tiles of tileSize, each (tile/patch)² + 1 tokens, seen through cross-attention only. */
  | { kind: "mllama"; tileSize: number; maxTiles: number };

/** An audio encoder (Whisper-like) feeding a language model. */
export interface AudioTowerShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  melBins: number;
  /** Encoder positions of one 30 s window (1500) and the tokens it becomes after pooling (750 for Qwen2-Audio: ~25 per second). */
  positions: number;
  tokensPerWindow: number;
  /** Seconds one window covers (30). */
  windowSeconds: number;
}

/** Where each fact came from, so `inspect` can say it and estimates can be traced. */
export interface ModelSource {
  kind: "catalog" | "config" | "hub" | "safetensors" | "gguf" | "onnx" | "param-count" | "vision-builtin" | "diffusion-builtin";
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

/** A diffusion pipeline (text encoders, UNet/DiT, VAE): it carries the component configs its engine builds graphs from. */
export interface DiffusionModelDescription extends ModelBase {
  family: "diffusion";
  diffusion: PipelineSpec;
}

/** Weights without an architecture (safetensors headers without config.json): weights only, no estimate. */
export interface GenericModel extends ModelBase {
  family: "generic";
}

/**
 * What every reader produces and every engine consumes, one variant per model family. The variant
 * carries what its engine needs (the transformer shape, the vision graph), so nothing is looked up again.
 */
export type ModelDescription = TransformerModel | VisionModelDescription | DiffusionModelDescription | GenericModel;

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
