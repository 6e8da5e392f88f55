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
import { axolotlTraining } from "./frameworks/axolotl/profile.js";
import { litgptTraining } from "./frameworks/litgpt/profile.js";
import { llamaFactoryTraining } from "./frameworks/llama-factory/profile.js";
import { torchtuneTraining } from "./frameworks/torchtune/profile.js";
import { trlTraining } from "./frameworks/trl/profile.js";
import { unslothTraining } from "./frameworks/unsloth/profile.js";
import { transformersTraining } from "./training/profile.js";
import { visionFamily } from "./vision/family.js";
import { diffusionFamily } from "./diffusion/family.js";

/** Inference runtimes; the first is the default. */
export const RUNTIMES = [transformersRuntime, vllmRuntime, llamaCppRuntime, ollamaRuntime, sglangRuntime] as const;

/** Training stacks; the first is the default. */
export const TRAINING = [transformersTraining, trlTraining, torchtuneTraining, litgptTraining, unslothTraining, axolotlTraining, llamaFactoryTraining] as const;

/** Model families with their own engine (transformer language models are the estimator's own). */
export const FAMILIES = [visionFamily, diffusionFamily] as const;

export const DEFAULT_PROFILES: EstimatorConfig = {
  runtimes: RUNTIMES,
  training: TRAINING,
  families: FAMILIES,
  resolveName: (spec) => resolveModelName(spec, FAMILIES),
  resolveGpu: findGpu,
};
