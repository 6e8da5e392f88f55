/**
 * The page's estimator, built from the library's wiring list in two steps to keep the first load small:
 * at start the runtimes and training stacks (src/profiles-base.ts), which is all a language model needs;
 * the model families (vision, diffusion: about a quarter of the page's code) load with src/profiles.ts
 * when a vision or diffusion model is asked for (a link naming one, the model search, a dropped .onnx);
 * from then on the page uses the library's default estimator itself.
 * A language model's estimate does not depend on the families (engine.spec.ts checks both give the same
 * numbers), and no catalog id or parameter count is a family's name (checked there too), so resolving a
 * name without the families gives what the full list gives.
 */
import { createEstimator, type Estimator } from "../../src/core/estimator.js";
import { profilesWith } from "../../src/profiles-base.js";

/** The estimator in use (a live binding: it is replaced once the families load). */
export let est: Estimator = createEstimator(profilesWith([]));

let loading: Promise<void> | undefined;
const listeners = new Set<() => void>();

export function familiesLoaded(): boolean {
  return est.families.length > 0;
}

/** Loads the model families once; listeners run after the estimator includes them. */
export function loadFamilies(): Promise<void> {
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
