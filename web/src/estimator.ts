/**
 * The page's estimator, built from the library's wiring list in two steps to keep the first load small:
 * at start the inference runtimes (src/profiles-base.ts), which is all a language model's inference needs;
 * the training stacks and the model families (vision, diffusion: more than half of the page's code) load
 * with the library's default estimator when training or a vision or diffusion model is asked for (a link
 * naming one, the mode set to train, the model search, a dropped .onnx or training config); from then on
 * the page uses the library's default estimator itself.
 * Until then the training slot holds a stand-in that declares no options and answers "reading…".
 * Inference of a language model does not depend on either (estimator.spec.ts checks both give the same
 * numbers and fields), and no catalog id or parameter count is a family's name (checked there too), so
 * resolving a name without the families gives what the full list gives.
 */
import { createEstimator, type Estimator } from "../../src/core/estimator.js";
import { VramfitError } from "../../src/core/errors.js";
import type { TrainingProfile } from "../../src/core/profile.js";
import { profilesWith } from "../../src/profiles-base.js";

export const LOADING_TRAINING = "reading the training stacks…";

const loadingTraining = (): never => {
  throw new VramfitError("network", LOADING_TRAINING);
};
/** Stands in for the default training stack (src/profiles.ts TRAINING[0], same id) until it loads. */
export const DEFERRED_TRAINING: TrainingProfile = { id: "transformers", label: "transformers Trainer + PEFT", options: [], category: loadingTraining, estimate: loadingTraining };

/** The estimator in use (a live binding: it is replaced once the rest loads). */
export let est: Estimator = createEstimator(profilesWith([DEFERRED_TRAINING], []));

let loading: Promise<void> | undefined;
const listeners = new Set<() => void>();

/** Whether the training stacks and model families are in (the default estimator is in use). */
export function fullLoaded(): boolean {
  return est.families.length > 0;
}

/** Loads the training stacks and model families once; listeners run after the estimator includes them. */
export function loadFull(): Promise<void> {
  return (loading ??= import("../../src/default-estimator.js").then(({ defaultEstimator }) => {
    est = defaultEstimator;
    for (const l of listeners) l();
  }));
}

/** Runs `fn` each time the estimator changes; returns the unsubscribe. */
export function onEstimatorChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
