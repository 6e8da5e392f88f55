/**
 * What a training framework changes in the shared training engine beyond the user's options: the kernels it
 * always uses, how its chunked loss runs, and its LoRA layout. Framework profiles (src/frameworks/<name>/profile.ts)
 * set these; the engine (engine.ts) stays one. Sources per framework: docs/frameworks/<name>.md.
 */
import type { TransformerModel } from "../core/model.js";
import type { Kernels } from "./kernels.js";
import { NO_KERNELS } from "./kernels.js";
import type { LossDetails } from "./logits-loss.js";
import type { LoraPlan } from "./lora.js";
import type { TrainingWorkload } from "./options.js";

export interface FrameworkMechanisms {
  /** Kernels on whatever the options say (Unsloth's RMSNorm and fused LoRA ops, axolotl's LoRA kernels). */
  kernels: Kernels;
  /** `loss: chunked`: each chunk upcast to fp32 ("always": torchtune/axolotl `.float()`) or as autocast does (LitGPT). */
  chunkedUpcast: "always" | "autocast";
  /** `loss: chunked` is compiled whatever `compile` says (axolotl compiles compute_cross_entropy; the default profile's historic meaning). */
  chunkedCompiled: boolean;
  /** Tokens per chunk of `loss: chunked` (LitGPT: 128-position chunks), instead of a fixed count of 8. */
  chunkedTokens?: number;
  /** `loss: fused-linear`: Liger's chunking or Unsloth's. */
  fusedLoss: "liger" | "unsloth";
  /** `loss: standard` runs a Triton cross-entropy kernel on the materialized logits (Unsloth's fast_cross_entropy_loss). */
  tritonCe: boolean;
  /** The framework's LoRA layout, when it differs from PEFT's suffix matching (LitGPT's per-part fused QKV). */
  loraPlan?: (model: TransformerModel, rank: number, targets: string | null) => LoraPlan;
}

export const DEFAULT_MECHANISMS: FrameworkMechanisms = {
  kernels: NO_KERNELS,
  chunkedUpcast: "always",
  chunkedCompiled: true,
  fusedLoss: "liger",
  tritonCe: false,
};

/** The kernels in effect: the framework's own plus those the options switch on. */
export function kernelsFor(w: TrainingWorkload, m: FrameworkMechanisms, lora: boolean): Kernels {
  return {
    rmsNorm: m.kernels.rmsNorm || w.liger || w.foak || w.compile,
    swiglu: m.kernels.swiglu || w.liger || w.compile,
    loraFused: lora && (m.kernels.loraFused || w.foak),
    bnb4bitSavesInput: (w.qlora || w.quant === "nf4" || w.quant === "fp4") && versionBelow(w.bitsandbytes_version, [0, 43, 2]),
  };
}

/** How the loss runs for this workload and framework (logits-loss.ts). */
export function lossDetailsFor(w: TrainingWorkload, m: FrameworkMechanisms, o: { hidden: number; tokens: number; autocast: boolean; compute: number; headWeightBytes: number; headGradBytes: number }): LossDetails {
  return {
    hidden: o.hidden,
    chunkUpcast: m.chunkedUpcast === "always" || o.autocast || o.compute === 4,
    compiled: m.chunkedCompiled || w.compile,
    chunks: m.chunkedTokens ? Math.max(1, Math.ceil(o.tokens / m.chunkedTokens)) : undefined,
    tritonCe: w.foak || m.tritonCe,
    fusedImpl: m.fusedLoss,
    headWeightBytes: o.headWeightBytes,
    headGradBytes: o.headGradBytes,
  };
}

/** One line for the assumptions: which loss implementation the estimate models. */
export function lossAssumption(w: TrainingWorkload, d: LossDetails): string | null {
  switch (w.loss) {
    case "standard":
      return d.tritonCe ? "cross-entropy by a Triton kernel on the materialized logits (no log-softmax output kept)" : null;
    case "chunked":
      return d.compiled
        ? `chunked cross-entropy, compiled: the logits in the compute dtype and a log-sum-exp per token`
        : `chunked cross-entropy, eager: the logits and every chunk's ${d.chunkUpcast ? "fp32" : "compute-dtype"} log-softmax output are saved`;
    case "chunked-lm-head":
      return "lm_head and loss per 256-token chunk under a checkpoint (TRL chunked_nll): no logits kept";
    case "fused-linear":
      return d.fusedImpl === "unsloth" ? "Unsloth fused cross-entropy: fp32 logits per chunk of at most 4 GiB, gradients in forward" : "fused linear cross-entropy (Liger): gradients in forward, no logits kept";
    case "cut-cross-entropy":
      return "Cut Cross Entropy: logits computed blockwise on chip, never stored";
  }
}

/** "0.42.0" < [0, 43, 2]? */
export function versionBelow(v: string, than: readonly number[]): boolean {
  const p = v.split(".").map(Number);
  for (let i = 0; i < than.length; i++) {
    const a = p[i] ?? 0;
    if (a !== than[i]) return a < than[i];
  }
  return false;
}
