/**
 * The shape new runtimes, training frameworks and model families plug into. Each is a plain object with
 * an id, its own options (OptionSpec), the error-band category of its answers and an estimate function;
 * src/profiles.ts lists them all, and createEstimator (estimator.ts) turns that list into estimate() and the
 * solvers. Nothing registers itself: a test can build an estimator from fakes.
 */
import type { Component, Estimate } from "./estimate-types.js";
import type { Gpu } from "./gpu.js";
import type { ModelDescription, TransformerModel } from "./model.js";
import type { OptionSpec } from "./options.js";
import type { Workload, WorkloadInput } from "./workload.js";

/** What an engine returns; the estimator adds the model, the echoed workload, totals, bands and the fit. */
export interface PartialEstimate {
  components: Component[];
  peak: { phase: string; description: string };
  warnings: string[];
  assumptions: string[];
  /** Engine-specific facts copied into the estimate as they are (vLLM's serving summary, ...). */
  extra?: Record<string, unknown>;
  phases?: { phase: string; allocated_bytes: number }[];
  cpu_bytes?: number;
  trainable_parameters?: number;
  lora?: { rank: number; targets: string[]; trainable_parameters: number };
  /** The runtime would refuse to start or run (its own check): the verdict becomes does_not_fit with this reason. */
  refusal?: string;
  /** Sequences served at once from a pre-allocated pool (vLLM, SGLang): what max-batch answers. */
  capacity?: { sequences: number; note: string };
}

/** The values a profile's own options take after validation (its schema's output), beside the common workload. */
export type ProfileWorkload<O> = Workload & O;

/** How one inference runtime (transformers, vLLM, llama.cpp, Ollama, SGLang, ...) allocates. */
export interface RuntimeProfile<O = Record<string, unknown>> {
  /** The --runtime value. */
  id: string;
  label: string;
  /** Its own flags, named as the runtime names them. */
  options: readonly OptionSpec[];
  /** Error-band category of its answers (src/core/bands.json). */
  category: string;
  /** Sequences past the model's trained context run (llama.cpp warns) instead of being refused. */
  allowsLongContext?: boolean;
  /** Single changes this runtime can make to a workload that is tight (fp8 KV cache, weight quantization). */
  levers?(w: ProfileWorkload<O>): Lever[];
  /** Claim a model the user named no runtime for (llama.cpp claims GGUF files and GGUF quants): the reason, or undefined. */
  claims?(model: TransformerModel, input: WorkloadInput): string | undefined;
  /** The runtime's own defaults for options left out (Ollama's context by VRAM, llama.cpp's f16 KV). */
  defaults?(model: TransformerModel, gpu: Gpu | undefined, given: WorkloadInput): Partial<WorkloadInput>;
  estimate(model: TransformerModel, w: ProfileWorkload<O>, gpu?: Gpu): PartialEstimate;
}

/** How one training stack (HF Trainer + PEFT, TRL, torchtune, LitGPT, Unsloth, ...) spends memory in a step. */
export interface TrainingProfile<O = Record<string, unknown>> {
  /** The --framework value. */
  id: string;
  label: string;
  /** Other names that select this profile (--framework peft is transformers); the workload echoes `id`. */
  aliases?: readonly string[];
  /** The framework version whose behaviour (defaults, loss, kernels) the profile models. */
  version?: string;
  options: readonly OptionSpec[];
  /** The framework's own defaults for options the user left out (TRL checkpoints, torchtune trains pure bf16). */
  defaults?(model: TransformerModel, gpu: Gpu | undefined, given: WorkloadInput): Partial<WorkloadInput>;
  /** Error-band category of this workload (full fine-tuning and LoRA differ). */
  category(w: ProfileWorkload<O>): string;
  /** Single changes this stack can make to a tight workload (checkpointing, 8-bit optimizer, LoRA). */
  levers?(w: ProfileWorkload<O>): Lever[];
  /** Values derived from the validated options, echoed in the workload (effective batch). */
  derive?(w: ProfileWorkload<O>): Record<string, unknown>;
  estimate(model: TransformerModel, w: ProfileWorkload<O>, gpu?: Gpu): PartialEstimate;
}

/** A model family with its own engine (vision today; diffusion next): it owns its workload semantics. */
export interface ModelFamily<M extends ModelDescription = ModelDescription> {
  /** ModelDescription["family"]. */
  id: string;
  label: string;
  options: readonly OptionSpec[];
  /** Names this family answers to (vision architectures), tried before the catalog. */
  resolveName?(spec: string): M | undefined;
  /** Every built-in model of the family, for listings and pickers. */
  builtins?(): readonly { id: string; label: string; description: string; keys: string; architecture: string; parameters: number }[];
  estimate(model: M, input: EstimateInput, gpu?: Gpu): Estimate;
  /** Single changes for a tight workload of this family. */
  levers?(e: Estimate): Lever[];
  /** Largest image that fits (families with an image size). */
  maxImage?(model: M, input: EstimateInput, gpu: Gpu, step: number, limitSide: number): { image: [number, number]; estimate: Estimate | null };
}

/** One change to a workload, in words and as the options it sets. */
export interface Lever {
  change: string;
  patch: Record<string, unknown>;
}

/** What estimate() takes: the workload options plus the device. Profiles' options are plain keys. */
export type EstimateInput = WorkloadInput & Record<string, unknown> & {
  /** A GPU id from the catalog ("rtx-4090"), a size ("24gb"), or a Gpu object. */
  gpu?: string | Gpu;
};
