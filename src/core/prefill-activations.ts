/**
 * The activation peak of an inference forward pass (prefill) in transformers, under no_grad: only
 * tensors alive at the same moment count, and they are freed layer by layer (mechanics.md §4.2).
 * The peak is inside one decoder layer, in whichever of its two halves holds more. The layer's input stays
 * referenced by the caller (the model's loop variable) while the layer runs, so both halves hold it besides
 * the residual they compute (measured exactly on CPU under torch 2.13: bench/accuracy/llm-cpu-torch2-blocks.jsonl,
 * bench/torch2/COMPARISON.md item 7; checked by src/training/torch2-ground-truth.spec.ts):
 *   MLP:       input x, the attention residual h1, the normed input, act(gate), up, act·up
 *              (SwiGLU, modeling_llama.py LlamaMLP): T·(3h + 3I); plain MLPs: fc1 output and activation.
 *              MoE (MixtralSparseMoeBlock): x, h1, normed, the output being accumulated, the router logits,
 *              top-k weights and indices, the one-hot expert mask (int64), and one expert at a time: its
 *              gathered rows and their SwiGLU (busiest expert: T·k/E rows under even routing).
 *   attention: x and the normed input, then the largest of: RoPE on q (q, k, v projections, q·cos,
 *              rotate_half(q), its product with sin: the Mixtral layer's measured peak); the kernel (q after
 *              RoPE, K/V expanded to every head when repeat_kv runs — eager, or SDPA with a mask or before
 *              torch 2.5 — and the output); o_proj (its input and output). K and V after RoPE are the cache
 *              (counted apart) unless `kvCache` is false. Eager adds the b·heads·s² scores: fp32 8 B per
 *              score (two score tensors at each step: the matmul and its scaling, the mask add, the softmax),
 *              bf16 10 B (softmax(x, dtype=float32) first copies the bf16 scores to fp32: ATen's composite
 *              softmax; fp16 is given the same: CUDA may convert half to float inside its kernel, which would
 *              make it 6 B, not measured here), for Llama-family (RMSNorm) attention code, and the 4-D mask
 *              b·s² in the model dtype, made once per forward and alive through every layer.
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
  opts: { batch: number; tokens: number; bytesPerValue: number; attention: Attention; kvExpanded?: boolean; kvCache?: boolean },
): PrefillPeak {
  const b = opts.batch;
  const s = opts.tokens;
  const T = b * s;
  const e = opts.bytesPerValue;
  const h = shape.hidden;
  const qDim = shape.mla ? shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim) : shape.heads * shape.headDim;
  const kvDim = shape.mla ? shape.heads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim) : shape.kvHeads * shape.headDim;
  const vDim = shape.mla ? shape.heads * shape.mla.vHeadDim : kvDim;
  const oDim = shape.heads * (shape.mla ? shape.mla.vHeadDim : shape.headDim);

  // Attention half: x + normed + q_rot + the kernel's output, or x + normed + the output and o_proj's output;
  // grouped K/V expanded by repeat_kv add two q-wide copies. MLA keeps its decompressed K and V.
  const eager = opts.attention === "eager";
  // Llama-family eager attention (RMSNorm models) upcasts the softmax to fp32 (measured); other models' own
  // attention code keeps vramfit's earlier allowance of scores + fp32 softmax + cast back (not measured here).
  const perScore = shape.norm === "rms" ? (e === 4 ? 8 : 10) : 2 * e + 4;
  const expanded = (eager || (opts.attention === "sdpa" && (opts.kvExpanded ?? false))) && shape.kvHeads < shape.heads && !shape.mla;
  const kvCopies = expanded ? 2 * qDim : 0;
  const mlaKv = shape.mla ? kvDim + vDim : 0;
  const ownKv = opts.kvCache === false ? 2 * kvDim : 0;
  const rope = shape.mla ? 0 : 2 * h + 4 * qDim + kvDim + (opts.kvCache === false ? kvDim : 0);
  const kernel = 2 * h + qDim + kvCopies + mlaKv + ownKv + (eager ? 0 : oDim);
  const attnVectors = Math.max(rope, kernel, 3 * h + oDim);
  let attentionBytes = T * attnVectors * e;
  let scores = 0;
  let mask = 0;
  if (eager) {
    scores = b * shape.heads * s * s * perScore;
    attentionBytes = Math.max(attentionBytes, T * kernel * e + scores);
    mask = b * s * s * e;
  }

  // MLP half.
  let mlpBytes: number;
  let mlpNote: string;
  if (shape.moe) {
    const m = shape.moe;
    const k = m.expertsPerToken;
    const rows = Math.ceil((T * k) / m.experts);
    const held = T * 4 * h * e + T * m.experts * e + T * k * (e + 8) + T * k * m.experts * 8;
    const routed = rows * (h + 3 * m.expertIntermediate) * e;
    const shared = m.sharedExperts > 0 ? T * (h + 3 * m.expertIntermediate * m.sharedExperts) * e : 0;
    mlpBytes = held + Math.max(routed, shared);
    mlpNote = `MoE: T=${T} × (4·hidden ${h} + router ${m.experts} + top-${k} weights/indices + one-hot mask) + one expert's ${rows} rows × (hidden + 3·${m.expertIntermediate})`;
  } else {
    const I = shape.intermediate;
    const values = shape.mlp === "gated" ? 3 * h + 3 * I : 3 * h + 2 * I;
    mlpBytes = T * values * e;
    mlpNote = `one layer's MLP: T=${T} tokens × (3·hidden ${h} + ${shape.mlp === "gated" ? 3 : 2}·intermediate ${I}) × ${e} B`;
  }

  const phase = attentionBytes >= mlpBytes ? "attention" : "mlp";
  const bytes = Math.max(attentionBytes, mlpBytes) + mask;
  const formula =
    phase === "mlp"
      ? mlpNote + (mask ? ` + the ${b}·${s}² attention mask` : "")
      : `one layer's attention: T=${T} tokens × ${scores ? kernel : attnVectors} values × ${e} B` + (scores ? ` + eager scores ${b}·${shape.heads} heads·${s}² × ${perScore} B + the ${b}·${s}² mask` : "");
  return { bytes: Math.ceil(bytes), phase, attentionBytes, mlpBytes, formula };
}
