/**
 * Logits and the cross-entropy loss: often the largest tensors of an LLM step. Each training framework computes
 * them differently (docs/frameworks/*.md); T = tokens in the micro-batch, V = vocabulary, H = hidden, e = bytes of
 * the compute dtype.
 *
 * - standard: transformers' ForCausalLMLoss / ForMaskedLMLoss (src/transformers/loss/loss_utils.py)
 *     logits = logits.float()                       # fp32 copy, 4·T·V (the lm_head output stays alive in the model output)
 *     loss = F.cross_entropy(logits.view(-1, V), …)  # log_softmax output 4·T·V, saved for backward
 *   so inside the loss the lm_head output (T·V in the compute dtype), its fp32 copy and the log-softmax output
 *   coexist. In backward, log_softmax_backward holds its saved output, the incoming gradient and the gradient of
 *   the fp32 logits at once: 3 × 4·T·V (docs/research/mechanics.md §3.5: 10–14·T·V in total).
 *   With a Triton cross-entropy kernel (fms-acceleration foak / Unsloth `Fast_CrossEntropyLoss`,
 *   kernels/unsloth/cross_entropy_loss.py: `ctx.save_for_backward(logits, logsumexp, labels)`, backward returns
 *   `logits` with the gradient written in place) no log-softmax output is kept: the fp32 logits and a per-row
 *   log-sum-exp, the gradient in place, then its cast back to the compute dtype.
 * - chunked: the logits are materialized in the compute dtype; the loss runs chunk by chunk
 *   (torchtune CEWithChunkedOutputLoss, 8 chunks; axolotl chunked_cross_entropy; LitGPT chunked_cross_entropy,
 *   128-token chunks). Eager, each chunk's log-softmax output is saved — fp32 when the chunk is upcast
 *   (torchtune/axolotl `.float()`, autocast), compute dtype otherwise (LitGPT bf16-true). Compiled
 *   (torchtune training.compile_loss, axolotl always), inductor fuses upcast, log-softmax and its backward and
 *   keeps only a log-sum-exp per row (docs/frameworks/torchtune.md).
 * - chunked-lm-head: TRL chunked_nll (sft_trainer.py `_chunked_cross_entropy_loss`, 256 valid tokens per chunk,
 *   each chunk under torch.utils.checkpoint): no logits are kept; one chunk's fp32 logits, log-probs and metric
 *   temporaries live at a time, plus `w.float()`, an fp32 copy of the lm_head weight when it is stored in 16 bits
 *   (docs/frameworks/trl.md).
 * - fused-linear: Liger's fused linear cross-entropy (ops/fused_linear_cross_entropy.py: `grad_input =
 *   zeros_like(_input)`, chunks of next_pow2(ceil(T / ceil(V/H))) rows, the gradient written into the chunk's
 *   logits, `grad_weight` only for a trainable head) or Unsloth's fused CE (unsloth_zoo
 *   fused_losses/cross_entropy_loss.py: chunks of fp32 logits of at most min(4 GiB, half the free memory)):
 *   the gradients are computed in forward, nothing of size T·V is saved.
 * - cut-cross-entropy: Apple's CCE computes logits blockwise in on-chip memory: a log-sum-exp per token in
 *   forward, the input gradient in backward.
 */
import type { Loss } from "./options.js";

/** torchtune's num_output_chunks (modules/loss/ce_chunked_output_loss.py) and axolotl's chunked_cross_entropy_num_chunks default. */
export const LOSS_CHUNKS = 8;
/** TRL chunked_nll: `_CHUNKED_LM_HEAD_CHUNK_SIZE = 256` valid tokens per chunk (sft_trainer.py#L86 @ v1.9.0). */
export const LM_HEAD_CHUNK_TOKENS = 256;
/** Unsloth's fused CE caps one chunk of fp32 logits at 4 GiB (`target_gb = min(free_gb, 4.0)`). */
export const UNSLOTH_CE_TARGET_BYTES = 4 * 2 ** 30;

export interface LogitsLoss {
  /** Live at the end of forward (inside the loss). */
  forwardBytes: number;
  forwardFormula: string;
  /** Live when the loss's backward runs (the saved activations are all still there). */
  backwardBytes: number;
  backwardFormula: string;
}

/** How a framework runs the loss, beyond the `loss` kind (set by the training profile and the kernel options). */
export interface LossDetails {
  /** Hidden size (fused and lm-head-chunked losses keep T·H tensors). */
  hidden?: number;
  /** chunked: each chunk's log-softmax runs in fp32 (true) or in the compute dtype (LitGPT bf16-true). Default true. */
  chunkUpcast?: boolean;
  /** chunked: the loss is torch.compile'd (saves the chunk logits and a log-sum-exp only). */
  compiled?: boolean;
  /** Chunks of the chunked loss (default 8). */
  chunks?: number;
  /** standard: a Triton cross-entropy kernel replaces log_softmax + nll (foak, Unsloth fast_cross_entropy_loss). */
  tritonCe?: boolean;
  /** fused-linear: Liger's chunking (default) or Unsloth's memory-target chunking. */
  fusedImpl?: "liger" | "unsloth";
  /** Bytes per element of the stored lm_head weight (TRL's w.float() copies a 16-bit one). */
  headWeightBytes?: number;
  /** Bytes per element of the lm_head's gradient when it trains (fused losses allocate it in forward), else 0. */
  headGradBytes?: number;
}

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** Unsloth's chunk count (get_chunk_size): fp32 logits over the target, rounded up to a multiple of 4; 1 when they fit. */
export function unslothChunks(tokens: number, vocab: number, targetBytes = UNSLOTH_CE_TARGET_BYTES): number {
  const exact = (4 * tokens * vocab) / targetBytes;
  if (exact <= 1 + 1e-9) return 1;
  return Math.ceil(exact / 4 - 1e-9) * 4;
}

/** Liger FLCE rows per chunk: next_pow2(ceil(BT / ceil(V / H))), at most BT. */
export function ligerChunkRows(tokens: number, vocab: number, hidden: number): number {
  return Math.min(tokens, nextPow2(Math.ceil(tokens / Math.ceil(vocab / hidden))));
}

/**
 * `logSoftmaxSavesInput`: PyTorch < 1.11 kept the fp32 logits (log_softmax's input) for backward as well
 * (pytorch#64000, fixed by pytorch#65242), so they stay through the loss backward.
 */
export function logitsLoss(tokens: number, vocab: number, compute: number, loss: Loss, logSoftmaxSavesInput = false, d: LossDetails = {}): LogitsLoss {
  const T = tokens;
  const TV = tokens * vocab;
  const e = compute;
  const H = d.hidden ?? 0;
  const headGrad = d.headGradBytes ? vocab * H * d.headGradBytes : 0;
  const headGradNote = headGrad ? ` + lm_head gradient V·H × ${d.headGradBytes} B (allocated in forward)` : "";
  switch (loss) {
    case "chunked": {
      const C = Math.max(1, d.chunks ?? LOSS_CHUNKS);
      if (d.compiled) {
        // The compiled loss saves the chunk's logits (already alive) and a per-row log-sum-exp; backward writes one
        // chunk's gradient at a time.
        const chunkGrad = Math.ceil((e * TV) / C);
        return {
          forwardBytes: e * TV + 4 * T,
          forwardFormula: `logits T=${T} × V=${vocab} × ${e} B (${C} chunks) + fp32 log-sum-exp per token; the compiled loss fuses the fp32 upcast`,
          backwardBytes: e * TV + 4 * T + chunkGrad,
          backwardFormula: `saved logits (${e} B) + the gradient of one of ${C} chunks`,
        };
      }
      const ls = d.chunkUpcast === false ? e : 4;
      const upcastChunk = ls > e ? Math.ceil((ls * TV) / C) : 0;
      return {
        forwardBytes: e * TV + ls * TV + upcastChunk,
        forwardFormula: `logits T=${T} × V=${vocab} × ${e} B + every chunk's saved log-softmax × ${ls} B${upcastChunk ? ` + one chunk's fp32 copy (${C} chunks)` : ""}`,
        backwardBytes: e * TV + ls * TV + Math.ceil(((2 * ls + e) * TV) / C),
        backwardFormula: `saved logits and log-softmax + one chunk's log-softmax backward (incoming gradient, input gradient, cast) of ${C}`,
      };
    }
    case "chunked-lm-head": {
      const c = Math.min(T, LM_HEAD_CHUNK_TOKENS);
      const wCopy = (d.headWeightBytes ?? e) < 4 ? 4 * vocab * H : 0;
      const fwd = e * T * H + wCopy + 3 * 4 * c * vocab;
      return {
        forwardBytes: fwd,
        forwardFormula: `hidden states kept for the chunks T × H × ${e} B + one ${c}-token chunk: fp32 logits, log-probs and metrics 3 × 4·${c}·V${wCopy ? " + w.float() fp32 copy of the lm_head weight 4·V·H" : ""} (TRL chunked_nll)`,
        backwardBytes: fwd + 4 * c * vocab + headGrad,
        backwardFormula: `a chunk recomputed under its checkpoint with its gradient (4·${c}·V more)${headGradNote}`,
      };
    }
    case "fused-linear": {
      const gradIn = e * T * H;
      if (d.fusedImpl === "unsloth") {
        const n = unslothChunks(T, vocab);
        const chunk = Math.ceil((4 * TV) / n);
        return {
          forwardBytes: gradIn + 2 * chunk + headGrad + 4 * T,
          forwardFormula: `Unsloth fused CE: input gradient T × H × ${e} B + one of ${n} chunks of fp32 logits and their gradient (≤ 4 GiB each)${headGradNote}`,
          backwardBytes: gradIn + headGrad,
          backwardFormula: `input gradient computed in forward, scaled in backward${headGradNote}`,
        };
      }
      const rows = d.hidden ? ligerChunkRows(T, vocab, H) : T;
      return {
        forwardBytes: gradIn + e * rows * vocab + headGrad + 4 * T,
        forwardFormula: `fused linear cross-entropy: input gradient T × H × ${e} B + one chunk of ${rows} rows of logits × V × ${e} B (gradient in place) + fp32 loss per token${headGradNote}`,
        backwardBytes: gradIn + headGrad,
        backwardFormula: `input gradient computed in forward, scaled in backward${headGradNote}`,
      };
    }
    case "cut-cross-entropy": {
      return {
        forwardBytes: 4 * T,
        forwardFormula: "Cut Cross Entropy: fp32 log-sum-exp per token (logits computed blockwise on chip, never stored)",
        backwardBytes: 4 * T + e * T * H + headGrad,
        backwardFormula: `log-sum-exp + input gradient T × H × ${e} B${headGradNote}`,
      };
    }
    case "standard":
      break;
  }
  const upcast = e === 4 ? 0 : 4 * TV;
  if (d.tritonCe) {
    return {
      forwardBytes: e * TV + upcast + 4 * T,
      forwardFormula: `logits T=${T} × V=${vocab} × ${e} B${upcast ? " + fp32 upcast 4·T·V" : ""} + log-sum-exp per row (Triton cross-entropy: no log-softmax output)`,
      backwardBytes: e * TV + upcast + 4 * T + (upcast ? e * TV : 0),
      backwardFormula: `gradient written into the saved ${upcast ? "fp32 " : ""}logits${upcast ? " + its cast back to the compute dtype" : ""}`,
    };
  }
  return {
    forwardBytes: e * TV + upcast + 4 * TV,
    forwardFormula:
      `logits T=${T} × V=${vocab} × ${e} B` +
      (upcast ? " + fp32 upcast (logits.float()) 4·T·V" : "") +
      " + log-softmax output 4·T·V (loss_utils.py ForCausalLMLoss)",
    backwardBytes: 12 * TV + (logSoftmaxSavesInput ? 4 * TV : 0),
    backwardFormula:
      `cross-entropy backward: saved log-softmax + its gradient + gradient of the fp32 logits = 3 × 4·T·V (T=${T}, V=${vocab})` +
      (logSoftmaxSavesInput ? " + the fp32 logits log_softmax kept before PyTorch 1.11" : ""),
  };
}
