/**
 * The one wiring list: every runtime, training stack and model family vramfit answers for, and how names
 * become models and GPUs. src/index.ts builds the default estimator from it; the CLI, the web page and the
 * planner use that estimator. A new runtime is one folder plus one entry in RUNTIMES (src/profiles-base.ts,
 * kept apart so the web page can load the families below only when it needs them).
 */
import type { EstimatorConfig } from "./core/estimator.js";
import { profilesWith, RUNTIMES, TRAINING } from "./profiles-base.js";
import { visionFamily } from "./vision/family.js";
import { diffusionFamily } from "./diffusion/family.js";

export { RUNTIMES, TRAINING };

/** Model families with their own engine (transformer language models are the estimator's own). */
export const FAMILIES = [visionFamily, diffusionFamily] as const;

export const DEFAULT_PROFILES: EstimatorConfig = profilesWith(FAMILIES);
