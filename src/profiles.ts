/**
 * The one wiring list: every runtime, training stack and model family vramfit answers for, and how names
 * become models and GPUs. src/index.ts builds the default estimator from it; the CLI, the web page and the
 * planner use that estimator. A new training stack or family is one folder plus one entry here; a new
 * runtime one entry in RUNTIMES (src/profiles-base.ts, kept apart so the web page can start with the
 * runtimes alone and load the rest when it needs them).
 */
import type { EstimatorConfig } from "./core/estimator.js";
import { profilesWith, RUNTIMES } from "./profiles-base.js";
import { axolotlTraining } from "./frameworks/axolotl/profile.js";
import { litgptTraining } from "./frameworks/litgpt/profile.js";
import { llamaFactoryTraining } from "./frameworks/llama-factory/profile.js";
import { torchtuneTraining } from "./frameworks/torchtune/profile.js";
import { trlTraining } from "./frameworks/trl/profile.js";
import { unslothTraining } from "./frameworks/unsloth/profile.js";
import { transformersTraining } from "./training/profile.js";
import { visionFamily } from "./vision/family.js";
import { diffusionFamily } from "./diffusion/family.js";

export { RUNTIMES };

/** Training stacks; the first is the default. */
export const TRAINING = [transformersTraining, trlTraining, torchtuneTraining, litgptTraining, unslothTraining, axolotlTraining, llamaFactoryTraining] as const;

/** Model families with their own engine (transformer language models are the estimator's own). */
export const FAMILIES = [visionFamily, diffusionFamily] as const;

export const DEFAULT_PROFILES: EstimatorConfig = profilesWith(TRAINING, FAMILIES);
