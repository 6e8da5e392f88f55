/**
 * The one wiring list: every runtime, training stack and model family vramfit answers for, and how names
 * become models and GPUs. src/index.ts builds the default estimator from it; the CLI, the web page and the
 * planner use that estimator. A new runtime is one folder plus one entry here.
 */
import { findGpu } from "./catalog/gpus.js";
import type { EstimatorConfig } from "./core/estimator.js";
import { resolveModelName } from "./models/resolve-name.js";
import { llamaCppRuntime, ollamaRuntime } from "./runtimes/llamacpp/profile.js";
import { transformersRuntime } from "./runtimes/transformers/profile.js";
import { vllmRuntime } from "./runtimes/vllm/profile.js";
import { sglangRuntime } from "./runtimes/sglang/profile.js";
import { transformersTraining } from "./training/profile.js";
import { visionFamily } from "./vision/family.js";

/** Inference runtimes; the first is the default. */
export const RUNTIMES = [transformersRuntime, vllmRuntime, llamaCppRuntime, ollamaRuntime, sglangRuntime] as const;

/** Training stacks; the first is the default. */
export const TRAINING = [transformersTraining] as const;

/** Model families with their own engine (transformer language models are the estimator's own). */
export const FAMILIES = [visionFamily] as const;

export const DEFAULT_PROFILES: EstimatorConfig = {
  runtimes: RUNTIMES,
  training: TRAINING,
  families: FAMILIES,
  resolveName: (spec) => resolveModelName(spec, FAMILIES),
  resolveGpu: findGpu,
};
