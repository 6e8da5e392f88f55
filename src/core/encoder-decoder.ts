/**
 * Encoder-decoder models (T5 / Flan-T5 / mT5 / UMT5, BART, Whisper): the encoder runs once over the input, its
 * output stays alive for the whole generation, and every decoder layer keeps, beside its growing self-attention
 * K/V, a cross-attention K/V of the encoder's length computed once (transformers EncoderDecoderCache:
 * self_attention_cache + cross_attention_cache, cache_utils.py; modeling_t5.py T5Attention, modeling_bart.py,
 * modeling_whisper.py at transformers 5.18.0).
 *
 * - encoder length: the input's (T5/BART: `encoder_seq`, default the workload's seq), or fixed: Whisper pads every
 *   input to 30 s = 3000 mel frames, which conv2 (stride 2) turns into max_source_positions = 1500 positions;
 * - T5 adds a relative position bias [1, heads, q, k] to the scores (compute_bias, computed in the first layer and
 *   passed down the stack), in the model dtype, for the encoder (S_enc²) and the decoder;
 * - Whisper's conv stem: input features [B, mels, 3000], conv1 + GELU [B, d, 3000] each, conv2 [B, d, 1500].
 */
import { VramfitError } from "./errors.js";
import type { Component } from "./estimate-types.js";
import type { EncoderShape, TransformerShape } from "./model.js";
import { kvBytes } from "./precision.js";
import type { Attention } from "./workload.js";
import { z } from "zod";
import type { OptionSpec } from "./options.js";

/** --encoder-seq: tokens the encoder reads (T5/BART input length); Whisper's encoder is always 1500 positions. */
export const ENCODER_SEQ_OPTION: OptionSpec = {
  key: "encoder_seq", schema: z.number().int().min(1).max(2 ** 31).optional(), group: "Workload",
  help: "encoder-decoders: input tokens the encoder reads (default: --seq; Whisper: 1500 positions per 30 s window)",
  cli: { arg: "tokens", flags: "--encoder-seq <tokens>" }, scope: { families: ["transformer"] },
  web: { label: "Encoder input (tokens)", kind: "int", min: 1, max: 2 ** 31, auto: "same as seq" },
};

/** The encoder's sequence for a workload, checked against its positions. */
export function encoderLength(enc: EncoderShape, opts: { encoderSeq?: number; seq: number }, modelId = "the model"): number {
  if (enc.fixedLength) return enc.fixedLength;
  const n = opts.encoderSeq ?? opts.seq;
  if (enc.maxPositions > 0 && n > enc.maxPositions) {
    throw new VramfitError("does_not_run", `${modelId}'s encoder has ${enc.maxPositions} positions; --encoder-seq ${n} is longer`, { details: { key: "encoder_seq", max: enc.maxPositions } });
  }
  return n;
}

/** Cross-attention K/V values per encoder token and decoder layer. */
export function crossKvValuesPerToken(shape: TransformerShape): number {
  const enc = shape.encoder!;
  return 2 * (enc.crossKvHeads ?? shape.kvHeads) * (enc.crossHeadDim ?? shape.headDim);
}

/** Cross-attention K/V of every decoder layer for a batch (computed once from the encoder output). */
export function crossKvCacheComponent(shape: TransformerShape, opts: { batch: number; encoderSeq: number; kvDtype: string; shards?: number }): Component {
  const per = crossKvValuesPerToken(shape);
  const shards = opts.shards ?? 1;
  const bytes = Math.ceil((kvBytes(opts.kvDtype, per * opts.encoderSeq) * shape.layers * opts.batch) / shards);
  return {
    id: "cross_kv_cache",
    label: "Cross-attention KV cache",
    bytes,
    formula: `${shape.layers} decoder layers × ${per} values (K+V) × encoder ${opts.encoderSeq} tokens × batch ${opts.batch} × ${opts.kvDtype}${shards > 1 ? ` ÷ ${shards} GPUs` : ""} — computed once, does not grow (EncoderDecoderCache.cross_attention_cache)`,
    level: "allocated",
  };
}

/** The encoder output [B, S_enc, hidden], alive for the whole generation. */
export function encoderOutputComponent(shape: TransformerShape, opts: { batch: number; encoderSeq: number; bytesPerValue: number }): Component {
  const enc = shape.encoder!;
  return {
    id: "encoder_output",
    label: "Encoder output",
    bytes: opts.batch * opts.encoderSeq * enc.hidden * opts.bytesPerValue,
    formula: `batch ${opts.batch} × ${opts.encoderSeq} positions × hidden ${enc.hidden} × ${opts.bytesPerValue} B (encoder_outputs.last_hidden_state, kept for every decoding step)`,
    level: "allocated",
  };
}

export interface EncoderPeak {
  bytes: number;
  formula: string;
  phase: "encoder attention" | "encoder MLP" | "audio conv stem";
}

/** The live set of one encoder layer (or Whisper's conv stem) during the encoder's forward, under no_grad. */
export function encoderForwardPeak(shape: TransformerShape, opts: { batch: number; encoderSeq: number; bytesPerValue: number; attention: Attention; relativeBias?: boolean }): EncoderPeak {
  const enc = shape.encoder!;
  const b = opts.batch;
  const s = opts.encoderSeq;
  const T = b * s;
  const e = opts.bytesPerValue;
  const inner = enc.heads * enc.headDim;
  const kvw = enc.kvHeads * enc.headDim;
  // attention half: residual, normed input, q, k, v, attention output (+ eager scores, + T5's bias)
  let attn = T * (2 * enc.hidden + inner + 2 * kvw + inner) * e;
  const bias = opts.relativeBias ? enc.heads * s * s * e : 0;
  const scores = opts.attention === "eager" ? b * enc.heads * s * s * (2 * e + 4) : 0;
  attn += bias + scores;
  const mlp = T * (2 * enc.hidden + (enc.mlp === "gated" ? 3 : 2) * enc.intermediate) * e + bias;
  let stem = 0;
  if (enc.input === "audio" && enc.melBins && enc.inputFrames) {
    // input features (fp32 from the feature extractor, cast to the model dtype), conv1 and its GELU, conv2
    stem = b * enc.melBins * enc.inputFrames * (4 + e) + b * enc.hidden * (2 * enc.inputFrames + enc.inputFrames / 2) * e;
  }
  const top = Math.max(attn, mlp, stem);
  const phase = top === stem ? "audio conv stem" : top === attn ? "encoder attention" : "encoder MLP";
  const parts = [
    `attention ${T} tokens × (2·${enc.hidden} + ${2 * inner + 2 * kvw}) × ${e} B${scores ? ` + eager scores ${b}·${enc.heads}·${s}²` : ""}${bias ? ` + relative position bias ${enc.heads}·${s}²·${e} B` : ""}`,
    `MLP ${T} × (2·${enc.hidden} + ${enc.mlp === "gated" ? 3 : 2}·${enc.intermediate}) × ${e} B`,
    ...(stem ? [`conv stem ${b} × (${enc.melBins} mels × ${enc.inputFrames} frames × ${4 + e} B + ${enc.hidden} × 2.5 × ${enc.inputFrames} × ${e} B)`] : []),
  ];
  return { bytes: Math.ceil(top), formula: `encoder forward, largest of: ${parts.join("; ")}`, phase };
}

/**
 * Saved activations of the encoder stack and the decoder's cross-attention in one training step (for the training
 * engine): each encoder layer saves what a decoder layer of its shape saves for S_enc tokens; each decoder layer
 * additionally saves its cross-attention input (q over S_dec, K/V over S_enc, the attention output and softmax
 * statistics). Eager attention (T5 with a bias) saves the [heads, q, k] probabilities. Derived from the modeling
 * files; checkpointing keeps one layer input per layer.
 */
export function encoderDecoderTrainingActivations(shape: TransformerShape, opts: { batch: number; encoderSeq: number; decoderSeq: number; bytesPerValue: number; checkpointing: boolean; attention: Attention; relativeBias?: boolean }): { bytes: number; formula: string } {
  const enc = shape.encoder!;
  const e = opts.bytesPerValue;
  const b = opts.batch;
  const Te = b * opts.encoderSeq;
  const Td = b * opts.decoderSeq;
  if (opts.checkpointing) {
    const bytes = (enc.layers * Te * enc.hidden + shape.layers * Td * shape.hidden + Te * enc.hidden) * e;
    return { bytes, formula: `checkpointing: one input per layer (${enc.layers} encoder × ${Te} + ${shape.layers} decoder × ${Td} tokens) × hidden × ${e} B + the encoder output` };
  }
  const inner = enc.heads * enc.headDim;
  const kvw = enc.kvHeads * enc.headDim;
  // per encoder layer: norm inputs (2h), q, k, v, attention output, MLP input/outputs (SwiGLU: 3I + I; plain: 2I)
  const encPerToken = 4 * enc.hidden + 2 * inner + 2 * kvw + (enc.mlp === "gated" ? 4 : 2) * enc.intermediate;
  const eager = opts.attention === "eager" || opts.relativeBias;
  const encScores = eager ? enc.layers * b * enc.heads * opts.encoderSeq * opts.encoderSeq * (e + 1) : 0;
  const crossKv = crossKvValuesPerToken(shape);
  // per decoder layer, the cross-attention block: normed input, q, output over S_dec; K, V over S_enc
  const crossPerLayer = Td * (shape.hidden + 2 * shape.heads * shape.headDim) + Te * crossKv;
  const crossScores = eager ? shape.layers * b * shape.heads * opts.decoderSeq * opts.encoderSeq * (e + 1) : 0;
  const bytes = (enc.layers * Te * encPerToken + shape.layers * crossPerLayer) * e + encScores + crossScores;
  return {
    bytes,
    formula: `encoder ${enc.layers} layers × ${Te} tokens × ${encPerToken} values + decoder cross-attention ${shape.layers} layers × (${Td} × ${shape.hidden + 2 * shape.heads * shape.headDim} + ${Te} × ${crossKv}) values, × ${e} B${eager ? " + eager attention probabilities (and dropout masks)" : ""}`,
  };
}

/**
 * What an encoder-decoder's training step saves beyond its decoder layers' self-attention and MLP (which the training
 * engine sizes per decoder layer): the encoder stack, each decoder layer's cross-attention, and the encoder output
 * that every cross-attention K/V projection keeps as its input (one storage, counted once).
 *
 * - encoder layers: per token, the two norms' inputs and outputs (4·hidden), q and the attention output, k and v,
 *   and the MLP's input-side activations (plain: fc1 output and its activation, 2·I; gated: 4·I). Checked against
 *   the tensors autograd saves on CPU (transformers 5.18.0, torch 2.13, SDPA, no dropout; tests/fixtures/encdec):
 *   T5-small 50.3 MB vs 51.5 MB measured, BART-large 201.3 vs 202.6, Whisper-small 913 vs 970 (−6 %; fp32).
 *   Not counted: dropout masks in train mode (T5/BART dropout 0.1: +88 % / +13 % on the encoder measured) and
 *   T5's fp32 RMSNorm upcast under bf16 (+87 % measured on T5-small).
 * - with checkpointing, one input per encoder layer;
 * - cross-attention of each decoder layer: its normed input, q and attention output over the decoder's tokens
 *   (3 × heads·head_dim) and the K/V projections over the encoder's tokens.
 */
export function encoderDecoderTrainingExtra(shape: TransformerShape, opts: { batch: number; encoderSeq: number; decoderSeq: number; bytesPerValue: number; checkpointing: boolean }): { bytes: number; formula: string } {
  const enc = shape.encoder!;
  const e = opts.bytesPerValue;
  const Te = opts.batch * opts.encoderSeq;
  const Td = opts.batch * opts.decoderSeq;
  const encoderOutput = Te * enc.hidden * e;
  const outFormula = `encoder output ${Te} × ${enc.hidden} × ${e} B`;
  if (opts.checkpointing) {
    const layers = enc.layers * Te * enc.hidden * e;
    return { bytes: layers + encoderOutput, formula: `${enc.layers} encoder layer inputs (checkpointing) × ${Te} tokens × ${enc.hidden} × ${e} B + ${outFormula}` };
  }
  const inner = enc.heads * enc.headDim;
  const kvw = enc.kvHeads * enc.headDim;
  const perToken = 4 * enc.hidden + 2 * inner + 2 * kvw + (enc.mlp === "gated" ? 4 : 2) * enc.intermediate;
  const encoderLayers = enc.layers * Te * perToken * e;
  // Whisper's conv stem: conv1 keeps the mel input, GELU and conv2 keep conv1's output and its activation
  // (2 × hidden × frames), the second GELU and the position add keep conv2's (2 × hidden × frames / 2).
  const frames = enc.input === "audio" && enc.melBins && enc.inputFrames ? enc.inputFrames : 0;
  const stem = frames ? opts.batch * (enc.melBins! * frames + 2 * enc.hidden * frames + enc.hidden * frames) * e : 0;
  const crossKv = crossKvValuesPerToken(shape);
  const cross = shape.layers * (Td * 3 * shape.heads * shape.headDim + Te * crossKv) * e;
  return {
    bytes: encoderLayers + stem + cross + encoderOutput,
    formula: `${enc.layers} encoder layers × ${Te} tokens × ${perToken} values × ${e} B${stem ? ` + conv stem ${opts.batch} × (${enc.melBins} mels + 3 × ${enc.hidden}) × ${frames} frames × ${e} B` : ""} + cross-attention ${shape.layers} decoder layers × (${Td} × 3·${shape.heads * shape.headDim} + ${Te} × ${crossKv}) values × ${e} B + ${outFormula}`,
  };
}

/**
 * llama.cpp runs one encoder-decoder architecture: T5 (LLM_ARCH_T5; convert_hf_to_gguf.py registers T5, MT5 and UMT5
 * as T5Model). It has no BART-family architecture, and Whisper runs in whisper.cpp, a separate program. The T5 family
 * is the one with an RMSNorm token encoder in `encoderFromConfig`; BART-family encoders use LayerNorm and Whisper
 * reads audio. Throws for the others (called by the llama.cpp / Ollama engine).
 */
export function assertLlamaCppEncoderDecoder(shape: TransformerShape, modelId: string, runtime = "llama.cpp"): void {
  const enc = shape.encoder;
  if (!enc) return;
  if (enc.input === "audio") {
    throw new VramfitError("unsupported", `${runtime} does not run ${modelId}: Whisper models run in whisper.cpp, a separate program vramfit does not model`, { suggestion: "use --runtime transformers or vllm" });
  }
  if (enc.norm !== "rms") {
    throw new VramfitError("unsupported", `${runtime} does not run ${modelId}: its only encoder-decoder architecture is T5 (T5, Flan-T5, mT5, UMT5)`, { suggestion: "use --runtime transformers" });
  }
}

type Cfg = Record<string, unknown>;
const int = (c: Cfg, k: string, def?: number): number => {
  const v = c[k] ?? def;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > 2 ** 31) throw new VramfitError("invalid_file", `config.json: '${k}' must be a whole number`);
  return v;
};

/**
 * config.json → the encoder of an encoder-decoder `model_type`, or null (the reader calls it and stores the result in
 * TransformerShape.encoder; the rest of the shape is the decoder). Keys: T5Config (d_model, d_kv, num_heads, num_layers,
 * d_ff, feed_forward_proj), BartConfig (d_model, encoder_layers, encoder_attention_heads, encoder_ffn_dim,
 * max_position_embeddings), WhisperConfig (encoder_*, num_mel_bins, max_source_positions) at transformers 5.18.0.
 */
export function encoderFromConfig(modelType: string, c: Cfg): EncoderShape | null {
  switch (modelType) {
    case "t5":
    case "mt5":
    case "umt5":
    case "longt5": {
      const heads = int(c, "num_heads", 8);
      const gated = typeof c.feed_forward_proj === "string" && c.feed_forward_proj.startsWith("gated");
      return { layers: int(c, "num_layers", 6), hidden: int(c, "d_model", 512), heads, kvHeads: heads, headDim: int(c, "d_kv", 64), intermediate: int(c, "d_ff", 2048), mlp: gated ? "gated" : "plain", norm: "rms", maxPositions: 0, input: "tokens" };
    }
    case "bart":
    case "mbart":
    case "marian":
    case "pegasus":
    case "m2m_100":
    case "nllb_moe": {
      const h = int(c, "d_model", 1024);
      const heads = int(c, "encoder_attention_heads", 16);
      return { layers: int(c, "encoder_layers", 12), hidden: h, heads, kvHeads: heads, headDim: h / heads, intermediate: int(c, "encoder_ffn_dim", 4096), mlp: "plain", norm: "layer", maxPositions: int(c, "max_position_embeddings", 1024), input: "tokens" };
    }
    case "whisper": {
      const h = int(c, "d_model", 768);
      const heads = int(c, "encoder_attention_heads", 12);
      const positions = int(c, "max_source_positions", 1500);
      return {
        layers: int(c, "encoder_layers", 12), hidden: h, heads, kvHeads: heads, headDim: h / heads, intermediate: int(c, "encoder_ffn_dim", 4 * h), mlp: "plain", norm: "layer",
        maxPositions: positions, input: "audio", melBins: int(c, "num_mel_bins", 80), inputFrames: 2 * positions, fixedLength: positions,
      };
    }
    default:
      return null;
  }
}
