/**
 * The wiring list's runtimes and training stacks, and how names become models and GPUs given a list of
 * model families. src/profiles.ts adds the families (vision, diffusion) to make the default estimator.
 * It is its own module so that the web page can start without the families (most of its code) and load
 * src/profiles.ts when a vision or diffusion model is asked for (web/src/estimator.ts).
 */
import { findGpu } from "./catalog/gpus.js";
import type { EstimatorConfig } from "./core/estimator.js";
import type { ModelFamily } from "./core/profile.js";
import { resolveModelName } from "./models/resolve-name.js";
import { llamaCppRuntime, ollamaRuntime } from "./runtimes/llamacpp/profile.js";
import { transformersRuntime } from "./runtimes/transformers/profile.js";
import { vllmRuntime } from "./runtimes/vllm/profile.js";
import { sglangRuntime } from "./runtimes/sglang/profile.js";
import { axolotlTraining } from "./frameworks/axolotl/profile.js";
import { litgptTraining } from "./frameworks/litgpt/profile.js";
import { llamaFactoryTraining } from "./frameworks/llama-factory/profile.js";
import { torchtuneTraining } from "./frameworks/torchtune/profile.js";
import { trlTraining } from "./frameworks/trl/profile.js";
import { unslothTraining } from "./frameworks/unsloth/profile.js";
import { transformersTraining } from "./training/profile.js";

/** Inference runtimes; the first is the default. */
export const RUNTIMES = [transformersRuntime, vllmRuntime, llamaCppRuntime, ollamaRuntime, sglangRuntime] as const;

/** Training stacks; the first is the default. */
export const TRAINING = [transformersTraining, trlTraining, torchtuneTraining, litgptTraining, unslothTraining, axolotlTraining, llamaFactoryTraining] as const;

/** The estimator configuration with these model families: their names are tried before the catalog. */
export function profilesWith(families: readonly ModelFamily<any>[]): EstimatorConfig {
  return {
    runtimes: RUNTIMES,
    training: TRAINING,
    families,
    resolveName: (spec) => resolveModelName(spec, families),
    resolveGpu: findGpu,
  };
}
