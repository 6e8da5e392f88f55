/**
 * The wiring list's inference runtimes, and how names become models and GPUs given the training stacks
 * and model families. src/profiles.ts adds those (TRAINING, FAMILIES) to make the default estimator.
 * It is its own module so that the web page can start with the runtimes alone and load src/profiles.ts
 * (most of its code) when training or a vision or diffusion model is asked for (web/src/estimator.ts).
 */
import { findGpu } from "./catalog/gpus.js";
import type { EstimatorConfig } from "./core/estimator.js";
import type { ModelFamily, TrainingProfile } from "./core/profile.js";
import { resolveModelName } from "./models/resolve-name.js";
import { llamaCppRuntime, ollamaRuntime } from "./runtimes/llamacpp/profile.js";
import { transformersRuntime } from "./runtimes/transformers/profile.js";
import { vllmRuntime } from "./runtimes/vllm/profile.js";
import { sglangRuntime } from "./runtimes/sglang/profile.js";

/** Inference runtimes; the first is the default. */
export const RUNTIMES = [transformersRuntime, vllmRuntime, llamaCppRuntime, ollamaRuntime, sglangRuntime] as const;

/** The estimator configuration with these training stacks and model families (family names are tried before the catalog). */
export function profilesWith(training: readonly TrainingProfile<any>[], families: readonly ModelFamily<any>[]): EstimatorConfig {
  return {
    runtimes: RUNTIMES,
    training,
    families,
    resolveName: (spec) => resolveModelName(spec, families),
    resolveGpu: findGpu,
  };
}
