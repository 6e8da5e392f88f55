/**
 * Precision policies of a training step: which dtype each kind of tensor is kept in.
 * Sources: docs/research/mechanics.md §5 (table "Training state"); transformers docs "Model training anatomy"
 * (18 bytes/param for mixed precision AdamW: 4 master + 2 half copy + 4 grad + 8 states); PyTorch
 * autocast docs (the cast cache of leaf weights; layer_norm and softmax run in fp32 under autocast).
 */
import type { TrainingWorkload as Workload } from "./options.js";

export interface PrecisionPolicy {
  name: Workload["precision"];
  /** Autocast: matmuls run in `compute` bytes, inputs cast per op; LayerNorm/softmax in fp32. */
  autocast: boolean;
  /** Bytes per element of matmul outputs (activations). */
  compute: number;
  /** Bytes per element of trainable parameters (fp32 master weights under AMP). */
  trainableWeight: number;
  /** Gradients follow the parameter dtype. */
  grad: number;
  /** Optimizer state tensors are created with zeros_like(param): they follow the parameter dtype. */
  state: number;
}

export function precisionPolicy(precision: Workload["precision"]): PrecisionPolicy {
  switch (precision) {
    case "fp32":
      return { name: precision, autocast: false, compute: 4, trainableWeight: 4, grad: 4, state: 4 };
    case "amp-fp16":
    case "amp-bf16":
      return { name: precision, autocast: true, compute: 2, trainableWeight: 4, grad: 4, state: 4 };
    case "bf16":
      return { name: precision, autocast: false, compute: 2, trainableWeight: 2, grad: 2, state: 2 };
  }
}

/** The compute dtype's name, for labels. */
export function computeDtypeName(p: PrecisionPolicy): string {
  return p.name === "amp-fp16" ? "fp16" : p.compute === 4 ? "fp32" : "bf16";
}
