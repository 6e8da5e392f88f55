/** The estimator built from the one wiring list (src/profiles.ts): what the library's root, the CLI, the web page and the planner use. */
import { createEstimator, type Estimator } from "./core/estimator.js";
import { DEFAULT_PROFILES } from "./profiles.js";

export const defaultEstimator: Estimator = createEstimator(DEFAULT_PROFILES);
