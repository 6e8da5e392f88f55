/**
 * The activation peak of an inference forward pass (prefill) in transformers, under no_grad: only
 * tensors alive at the same moment count, and they are freed layer by layer (mechanics.md §4.2).
 * The peak is inside one decoder layer, in whichever of its two halves holds more:
 *   attention: residual x, q (with its RoPE copy), k, v (and RoPE'd k), attention output
 *              + for eager attention the b·heads·s² scores, their fp32 softmax and the cast back;
 *   MLP:       residual x, normed input, act(gate), up, act·up   (SwiGLU, modeling_llama.py LlamaMLP)
 *              or fc1 output and activation output for plain MLPs.
 */
import type { TransformerShape } from "./model.js";
import type { Attention } from "./workload.js";

export interface PrefillPeak {
  bytes: number;
  phase: "attention" | "mlp";
  attentionBytes: number;
  mlpBytes: number;
  formula: string;
}

export function prefillActivationPeak(
  shape: TransformerShape,
  opts: { batch: number; tokens: number; bytesPerValue: number; attention: Attention },
): PrefillPeak {
  const b = opts.batch;
  const s = opts.tokens;
  const T = b * s;
  const e = opts.bytesPerValue;
  const h = shape.hidden;
  const qDim = shape.mla ? shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim) : shape.heads * shape.headDim;
  const kvDim = shape.mla ? shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim) : shape.kvHeads * shape.headDim;
  const vDim = shape.mla ? shape.heads * shape.mla.vHeadDim : kvDim;

  // Attention half: x + q + q_rot + k_rot + attn_out (k, v themselves are the cache).
  const attnVectors = h + 2 * qDim + kvDim + (shape.mla ? vDim : 0) + shape.heads * (shape.mla ? shape.mla.vHeadDim : shape.headDim);
  let attentionBytes = T * attnVectors * e;
  let scores = 0;
  if (opts.attention === "eager") {
    // HF eager: scores (e) + fp32 softmax (4) + cast back (e), plus the materialized 4D causal mask (e).
    scores = b * shape.heads * s * s * (2 * e + 4) + b * s * s * e;
    attentionBytes += scores;
  }

  // MLP half.
  let mlpValues: number;
  if (shape.moe) {
    // Routed tokens: T·k copies through expert MLPs (+ the shared expert), router logits in fp32.
    const routed = T * shape.moe.expertsPerToken;
    mlpValues = 2 * T * h + 3 * routed * shape.moe.expertIntermediate + (shape.moe.sharedExperts > 0 ? 3 * T * shape.moe.expertIntermediate * shape.moe.sharedExperts : 0);
    mlpValues += (T * shape.moe.experts * 4) / e;
  } else if (shape.mlp === "gated") {
    mlpValues = 2 * T * h + 3 * T * shape.intermediate;
  } else {
    mlpValues = 2 * T * h + 2 * T * shape.intermediate;
  }
  const mlpBytes = mlpValues * e;

  const phase = attentionBytes >= mlpBytes ? "attention" : "mlp";
  const bytes = Math.max(attentionBytes, mlpBytes);
  const formula =
    phase === "mlp"
      ? `one layer's MLP: T=${T} tokens × (2·hidden ${h} + ${shape.mlp === "gated" || shape.moe ? 3 : 2}·intermediate${shape.moe ? " (routed)" : ` ${shape.intermediate}`}) × ${e} B`
      : `one layer's attention: T=${T} tokens × ${attnVectors} values × ${e} B` +
        (scores ? ` + eager scores ${b}·${shape.heads} heads·${s}²·(2·${e}+4) B + mask` : "");
  return { bytes: Math.ceil(bytes), phase, attentionBytes, mlpBytes, formula };
}
