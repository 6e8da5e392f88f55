/**
 * Logits and the cross-entropy loss: often the largest tensors of an LLM step.
 * transformers' ForCausalLMLoss / ForMaskedLMLoss (src/transformers/loss/loss_utils.py) do
 *   logits = logits.float()                       # fp32 copy, 4·T·V (the lm_head output stays alive in the model output)
 *   loss = F.cross_entropy(logits.view(-1, V), …)  # log_softmax output 4·T·V, saved for backward
 * so inside the loss the lm_head output (T·V in the compute dtype), its fp32 copy and the log-softmax
 * output coexist. In backward, log_softmax_backward holds its saved output, the incoming gradient and the
 * gradient of the fp32 logits at once: 3 × 4·T·V (research/mechanics.md §3.5: 10–14·T·V in total).
 * Chunked losses (torchtune CEWithChunkedOutputLoss, compiled) keep the logits in the compute dtype and
 * upcast one of 8 chunks at a time.
 */
import type { Workload } from "../workload.js";

export const LOSS_CHUNKS = 8;

export interface LogitsLoss {
  /** Live at the end of forward (inside the loss). */
  forwardBytes: number;
  forwardFormula: string;
  /** Live when the loss's backward runs (the saved activations are all still there). */
  backwardBytes: number;
  backwardFormula: string;
}

export function logitsLoss(tokens: number, vocab: number, compute: number, loss: Workload["loss"]): LogitsLoss {
  const TV = tokens * vocab;
  if (loss === "chunked") {
    const chunk = Math.ceil((4 * TV) / LOSS_CHUNKS);
    return {
      forwardBytes: compute * TV + 2 * chunk,
      forwardFormula: `logits T=${tokens} × V=${vocab} × ${compute} B + fp32 upcast and log-softmax of one of ${LOSS_CHUNKS} chunks`,
      backwardBytes: 2 * compute * TV + 2 * chunk,
      backwardFormula: `saved logits + their gradient (${compute} B each) + fp32 gradients of one chunk`,
    };
  }
  const upcast = compute === 4 ? 0 : 4 * TV;
  return {
    forwardBytes: compute * TV + upcast + 4 * TV,
    forwardFormula:
      `logits T=${tokens} × V=${vocab} × ${compute} B` +
      (upcast ? " + fp32 upcast (logits.float()) 4·T·V" : "") +
      " + log-softmax output 4·T·V (loss_utils.py ForCausalLMLoss)",
    backwardBytes: 12 * TV,
    backwardFormula: `cross-entropy backward: saved log-softmax + its gradient + gradient of the fp32 logits = 3 × 4·T·V (T=${tokens}, V=${vocab})`,
  };
}
