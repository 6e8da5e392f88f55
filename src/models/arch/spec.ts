/**
 * The declarative description of one Hugging Face `model_type`: which config keys it reads (with the
 * defaults its config class sets), and the tensors transformers builds from them, in checkpoint names.
 * One small engine (engine.ts) turns an entry plus a config.json into tensor groups and a shape; adding a
 * model type is one entry in table.ts plus a test against a real index file.
 *
 * Widths are expressed with the dimension names of `Dims` (h = hidden, d = head_dim, ...); the engine
 * knows the handful of tensor layouts real models use (separate or fused QKV, MLA, gated or plain MLP,
 * per-expert or fused experts), so an entry only names modules and picks options.
 */
import type { ConfigReader } from "../config-reader.js";
import type { TransformerShape } from "../../core/model.js";
import type { TensorList } from "../tensor-list.js";

export type ConfigValue = number | string | boolean | null | readonly number[] | readonly string[];

/** A boolean option: fixed, or read from a config key (its default in `defaults`); "!key" negates it. */
export type Flag = boolean | string;

/** A list that depends on the config (norms that exist only in some variants). */
export type Names = readonly string[] | ((c: ConfigReader) => readonly string[]);

/** The common dimensions every entry resolves, before tensors are laid out. */
export interface Dims {
  h: number;
  L: number;
  H: number;
  kv: number;
  d: number;
  V: number;
  /** Dense MLP width. */
  I: number;
  maxPos: number;
  act: string;
  tie: boolean;
}

/** Config key names for each dimension, in the order they are tried (a config class's attribute_map). */
export type KeyMap = Record<"h" | "L" | "H" | "kv" | "d" | "V" | "I" | "maxPos" | "act" | "tie", readonly string[]>;

export type NormKind =
  | "rms" // weight [dim]
  | "layer" // LayerNorm: weight and bias
  | "layer-nobias" // LayerNorm without bias (Cohere, MPT, OLMo-2 style weight only)
  | "none"; // non-parametric (OLMo 1)

export interface AttentionSpec {
  /** Module path inside a layer: "self_attn", "attn", "attention", "self_attention". */
  prefix: string;
  /** qkvo: separate q/k/v/o; fused: one [(H + 2kv)·d, h] projection and o; mla: DeepSeek latent attention; none: no attention (Mamba, RWKV). */
  layout: "qkvo" | "fused" | "mla" | "none";
  /** Leaf names (defaults: q_proj, k_proj, v_proj, o_proj; fused: qkv). */
  q?: string;
  k?: string;
  v?: string;
  o?: string;
  qkv?: string;
  /** Bias on q, k, v (or the fused projection). */
  qkvBias?: Flag;
  /** Bias on the output projection (defaults to qkvBias). */
  oBias?: Flag;
  /** Separate bias on k (Whisper: k_proj has none). */
  kBias?: Flag;
  /** Per-head (width d) or whole-projection (H·d / kv·d) norms on queries and keys. */
  qkNorm?: { names: readonly [string, string]; width: "head" | "all"; kind?: NormKind; when?: Flag };
  /** A learned attention sink per head (gpt-oss). */
  sinks?: boolean;
  /** Query projection holds query and output gate (Qwen3-Next full-attention layers): 2·H·d rows. */
  gatedQuery?: boolean;
}

export interface MlpSpec {
  prefix: string;
  /** gated: gate, up [I, h] + down [h, I]; fused-gated: gate_up [2I, h] + down; plain: up [I, h] + down; none: no MLP. */
  kind: "gated" | "fused-gated" | "plain" | "none";
  gate?: string;
  up?: string;
  down?: string;
  bias?: Flag;
}

/** Which layers use experts. */
export type MoeLayerRule =
  | { rule: "all" }
  /** Qwen-MoE: every `step`-th layer unless listed in `only` (decoder_sparse_step, mlp_only_layers). */
  | { rule: "sparse-step"; step: string; only?: string }
  /** DeepSeek: layers ≥ first_k_dense_replace with i % moe_layer_freq == 0. */
  | { rule: "first-dense"; first: string; freq?: string }
  /** Llama 4 / Ernie: an explicit list key, else every `step`-th layer ((i + 1) % step == 0). */
  | { rule: "list-or-step"; list: string; step: string }
  /** Ernie 4.5: (i + 1) % interval == 0 between the start and end indexes (end -1: the last layer). */
  | { rule: "start-interval"; start: string; interval: string; end?: string }
  /** Jamba: i % period == offset. */
  | { rule: "period"; period: string; offset: string }
  /** A per-layer list of booleans or "sparse"/"dense" strings; without the list, `otherwise`. */
  | { rule: "mask"; key: string; otherwise?: MoeLayerRule }
  /** Nemotron-H: the layers whose character in a pattern string is `char` ("E" experts, "-" MLP). */
  | { rule: "pattern"; key: string; char: string }
  /** No layer. */
  | { rule: "none" };

export interface MoeSpec {
  /** Config keys of the expert count, experts per token and expert width. */
  experts: readonly string[];
  topK: readonly string[];
  width: readonly string[];
  /** Module path of the sparse block: "mlp", "block_sparse_moe", "feed_forward". */
  prefix: string;
  /** Router leaf (gate, router, router.layer) and its options. */
  router: string;
  routerBias?: boolean;
  /** DeepSeek-V3 style score-correction bias [E] stored with the router (leaf name). */
  correctionBias?: { name: string; when?: Flag | ((c: ConfigReader) => boolean) };
  /**
   * per-expert: one module per expert, `experts.{E}.<gate|up|down>`; fused: one 3-D tensor for all experts
   * of a layer, stored as [E·2I, h] (gate_up) and [E·h, I] (down); plain-per-expert: up/down only.
   */
  layout: "per-expert" | "fused" | "plain-per-expert" | "by-extra";
  gate?: string;
  up?: string;
  down?: string;
  /** Path of the experts inside the block (default "experts"). */
  expertsPath?: string;
  /** Biases on the fused expert tensors (gpt-oss). */
  expertBias?: boolean;
  /** Nemotron-H latent MoE: experts work in a narrower width (key), with fc1/fc2_latent_proj around them. */
  latent?: string;
  shared?: {
    /** Module path inside the block: shared_expert, shared_experts, shared_mlp. */
    name: string;
    /** Key of its width; absent: `count` × expert width. */
    width?: readonly string[];
    /** Key of the number of shared experts folded into it (DeepSeek n_shared_experts). */
    count?: string;
    /** A sigmoid gate [1, h] (Qwen-MoE `shared_expert_gate`). */
    gate?: string;
    /** Layout of the shared MLP (default gated). */
    kind?: "gated" | "fused-gated" | "plain";
    gateName?: string;
    up?: string;
    down?: string;
  };
  layers: MoeLayerRule;
}

/**
 * The recurrent mixer of hybrid and recurrent models (which layers hold it: core/hybrid-config.ts
 * hybridLayout; its widths: the StateShape that returns). Tensor recipes per kind:
 * - mamba (Mamba-1, Jamba): in_proj [2I, h], conv1d [I, 1, K] (+bias), x_proj [R + 2N, I], dt_proj [I, R] + bias,
 *   A_log [I, N], D [I], out_proj [h, I]; Jamba adds dt/B/C RMSNorms;
 * - mamba2: in_proj [I + conv + heads, h], conv1d [conv, 1, K] (+bias), dt_bias, A_log, D [heads], gated norm [I], out_proj [h, I];
 * - gdn (gated DeltaNet, Qwen3-Next fused in_proj_qkvz / in_proj_ba; Qwen3.5 split in_proj_qkv, _z, _b, _a): conv over
 *   2·key_dim + value_dim (no bias), dt_bias, A_log [v_heads], norm [head_v_dim], out_proj [h, value_dim];
 * - short_conv (LFM2): in_proj [3h, h], depthwise conv [h, 1, L], out_proj [h, h];
 * - lightning (MiniMax linear attention): qkv_proj [3·H·d, h], output_gate [H·d, h], norm [H·d], out_proj [h, H·d].
 */
export interface StateMixerSpec {
  prefix: string;
  /** by-extra: the entry's `extra` lays the mixer's tensors out (RWKV). */
  layout: "mamba" | "mamba2" | "gdn" | "gdn-split" | "short_conv" | "lightning" | "by-extra";
  /** Mamba-1 dt rank key ("auto" or absent: ceil(h / 16)). */
  dtRank?: string;
  /** Jamba: RMSNorms on dt, B and C. */
  dtNorms?: boolean;
  projBias?: Flag;
  convBias?: Flag;
  /** Mamba-2's gated RMSNorm before out_proj (default on). */
  gatedNorm?: Flag;
}

export interface NormsSpec {
  kind: NormKind;
  /** Per-layer norms before attention, between attention and MLP, after the MLP. */
  pre?: Names;
  mid?: Names;
  post?: Names;
  /** The final norm (a full path), or null. */
  final: string | null | ((c: ConfigReader) => string | null);
}

/** Which layers slide (keep a window of tokens in the cache). */
export type LayerTypeRule =
  | { rule: "explicit" }
  /** Gemma 2: even layers slide. */
  | { rule: "alternate" }
  /** Gemma 3 / Cohere 2: every `key`-th layer (default n) is global, the rest slide; a string ("LLLG") repeats. */
  | { rule: "pattern"; key: string; fallback: number }
  /** Qwen2: layers from max_window_layers on slide when use_sliding_window. */
  | { rule: "from-layer"; when: string; from: string };

export interface ArchSpec {
  /** model_type values this entry reads. */
  types: readonly string[];
  /** Where the layout was read: the transformers 5.18.0 modeling file or the remote code. */
  from: string;
  /** Config keys read, with the defaults the config class sets when a key is absent. */
  defaults: Readonly<Record<string, ConfigValue>>;
  keys?: Partial<KeyMap>;
  /** Derived defaults when a key is absent or null: head_dim = h / H unless given here, I = ffnMult × h. */
  ffnMult?: number;
  embed: {
    tokens: string;
    /** Learned absolute positions: rows = max positions + offset (OPT, BART: 2). */
    positions?: { name: string; offset?: number };
    /** BERT token-type embeddings (rows from `key`). */
    tokenTypes?: { name: string; key: string };
    /** A norm right after the embeddings (BLOOM, BERT). */
    norm?: string;
    /** Key of the embedding width when it differs from the hidden size (OPT word_embed_proj_dim). */
    widthKey?: string;
  };
  /** Path of layer {L}: "model.layers.{L}". */
  layer: string;
  attention: AttentionSpec;
  mlp: MlpSpec;
  moe?: MoeSpec;
  norms: NormsSpec;
  head: {
    name: string;
    bias?: boolean;
    /** The head is the embedding matrix whatever the config says (Gemma, GPT-2, BLOOM). */
    alwaysTied?: boolean;
    /** Encoders: no LM head (a pooler or MLM head is added by `extra`). */
    none?: boolean;
  };
  layerTypes?: LayerTypeRule;
  /** Key of the sliding window and its default. */
  slidingWindow?: { key: string; fallback: number };
  encoderOnly?: boolean;
  /** Notes attached to every model of this type, when a config key is set (e.g. MTP layers not loaded). */
  notes?: readonly { when: string; text: string }[];
  /** Hybrid and recurrent models: the recurrent mixer (layers from core/hybrid-config.ts). */
  state?: StateMixerSpec;
  /** Which layers have a dense MLP (default: every layer without experts). */
  denseLayers?: MoeLayerRule;
  /** Rewrites newer spellings of a config into the ones read here (a view; the config itself is not changed). */
  normalize?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** The layer count when the config has no layer key (Nemotron-H Ultra: the pattern's length). */
  layersFallback?: (c: ConfigReader) => number | undefined;
  /**
   * Layouts the layer recipes above do not describe (encoder-decoders): lays out every tensor and returns the
   * decoder's shape fields that differ from the defaults read through `keys`.
   */
  custom?: (t: TensorList, c: ConfigReader, d: Dims) => Partial<TransformerShape>;
  /** Whether this config really is this layout (else the fallback reads it). */
  accepts?: (c: ConfigReader) => boolean;
  /** Adjust the dimensions (a layout whose widths are not the plain keys). */
  dims?: (c: ConfigReader, d: Dims) => Dims;
  /** Tensors no option above describes (a vision tower, a projection). Runs after the layers. */
  extra?: (t: TensorList, c: ConfigReader, d: Dims) => void;
  /** Dropout rates for training-mode masks. */
  dropout?: { attention?: readonly string[]; hidden?: readonly string[] };
}

/**
 * An entry of the table: a full layout, or the fields that differ from `base` (every field of the base is
 * inherited; `defaults` and `keys` are merged key by key).
 */
export type ArchEntry = Partial<ArchSpec> & { types: readonly string[]; from: string; base?: ArchEntry };
