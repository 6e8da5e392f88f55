/**
 * Logits and the cross-entropy loss: often the largest tensors of an LLM step.
 * transformers' ForCausalLMLoss / ForMaskedLMLoss (src/transformers/loss/loss_utils.py) do
 *   logits = logits.float()                       # fp32 copy, 4·T·V (the lm_head output stays alive in the model output)
 *   loss = F.cross_entropy(logits.view(-1, V), …)  # log_softmax output 4·T·V, saved for backward
 * so inside the loss the lm_head output (T·V in the compute dtype), its fp32 copy and the log-softmax
 * output coexist. In backward, log_softmax_backward holds its saved output, the incoming gradient and the
 * gradient of the fp32 logits at once: 3 × 4·T·V (docs/research/mechanics.md §3.5: 10–14·T·V in total).
 * Chunked losses (torchtune CEWithChunkedOutputLoss with num_output_chunks=8, compiled) keep the logits in
 * the compute dtype; the fused kernels never materialize a fp32 copy.
 */
import type { TrainingWorkload as Workload } from "./options.js";

export const LOSS_CHUNKS = 8;

export interface LogitsLoss {
  /** Live at the end of forward (inside the loss). */
  forwardBytes: number;
  forwardFormula: string;
  /** Live when the loss's backward runs (the saved activations are all still there). */
  backwardBytes: number;
  backwardFormula: string;
}

/**
 * `logSoftmaxSavesInput`: PyTorch < 1.11 kept the fp32 logits (log_softmax's input) for backward as well
 * (pytorch#64000, fixed by pytorch#65242), so they stay through the loss backward.
 */
export function logitsLoss(tokens: number, vocab: number, compute: number, loss: Workload["loss"], logSoftmaxSavesInput = false): LogitsLoss {
  const TV = tokens * vocab;
  if (loss === "chunked") {
    // torchtune: the output projection runs per chunk and the recipe compiles the loss
    // (training.compile_loss): inductor fuses upcast, log-softmax and its backward, saving the chunk's
    // logits and a per-row log-sum-exp. What stays is the logits in the compute dtype; backward writes
    // one chunk's gradient at a time.
    const chunkGrad = Math.ceil((compute * TV) / LOSS_CHUNKS);
    return {
      forwardBytes: compute * TV + 4 * tokens,
      forwardFormula: `logits T=${tokens} × V=${vocab} × ${compute} B (${LOSS_CHUNKS} chunks) + fp32 log-sum-exp per token; the compiled loss fuses the fp32 upcast`,
      backwardBytes: compute * TV + 4 * tokens + chunkGrad,
      backwardFormula: `saved logits (${compute} B) + the gradient of one of ${LOSS_CHUNKS} chunks`,
    };
  }
  const upcast = compute === 4 ? 0 : 4 * TV;
  return {
    forwardBytes: compute * TV + upcast + 4 * TV,
    forwardFormula:
      `logits T=${tokens} × V=${vocab} × ${compute} B` +
      (upcast ? " + fp32 upcast (logits.float()) 4·T·V" : "") +
      " + log-softmax output 4·T·V (loss_utils.py ForCausalLMLoss)",
    backwardBytes: 12 * TV + (logSoftmaxSavesInput ? 4 * TV : 0),
    backwardFormula:
      `cross-entropy backward: saved log-softmax + its gradient + gradient of the fp32 logits = 3 × 4·T·V (T=${tokens}, V=${vocab})` +
      (logSoftmaxSavesInput ? " + the fp32 logits log_softmax kept before PyTorch 1.11" : ""),
  };
}
