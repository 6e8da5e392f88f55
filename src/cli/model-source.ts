/**
 * Turns the <model> argument into a model description: names (catalog ids, built-in architectures,
 * parameter counts) without I/O, anything else through the readers (local files, GGUF URLs, the Hugging
 * Face Hub), loaded only then and showing read progress on stderr when it is a terminal.
 */
import { isVramfitError } from "../core/errors.js";
import type { ModelDescription } from "../core/model.js";
import { defaultEstimator } from "../default-estimator.js";
import type { ReadProgress } from "../readers/progress.js";
import type { ResolvedModel } from "../readers/resolve.js";

export interface ModelArgOptions {
  refresh?: boolean;
  offline?: boolean;
}

export async function resolveModelArgWithFacts(spec: string, opts: ModelArgOptions = {}): Promise<ResolvedModel> {
  const [{ resolveModelWithFacts }, { progressLine }, { DEFAULT_PROFILES }, { onnxModelDescription }, { visionConfigToModel }] = await Promise.all([
    import("../readers/resolve.js"),
    import("../readers/progress.js"),
    import("../profiles.js"),
    import("../vision/family.js"),
    import("../vision/hf-config.js"),
  ]);
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  const onProgress = (p: ReadProgress) => {
    if (!tty) return;
    shown = true;
    process.stderr.write(`\r${progressLine(p)}\x1b[K`);
  };
  try {
    return await resolveModelWithFacts(spec, { resolveName: DEFAULT_PROFILES.resolveName, onnxToModel: onnxModelDescription, configToModel: visionConfigToModel, onProgress, refresh: opts.refresh, ...(opts.offline ? { offline: true } : {}) });
  } finally {
    if (shown) process.stderr.write("\r\x1b[K");
  }
}

export async function resolveModelArg(spec: string, opts: ModelArgOptions = {}): Promise<ModelDescription> {
  try {
    return defaultEstimator.resolveModel(spec.trim());
  } catch (e) {
    if (!isVramfitError(e, "unknown_model")) throw e;
  }
  return (await resolveModelArgWithFacts(spec, opts)).model;
}
