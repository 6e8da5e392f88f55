/**
 * Turns the <model> argument into a model description through the readers (catalog, parameter count,
 * local files, GGUF URLs, Hugging Face Hub), showing read progress on stderr when it is a terminal.
 */
import type { ModelDescription } from "../core/model.js";
import { progressLine, type ReadProgress } from "../readers/progress.js";
import { resolveModelWithFacts, type ResolvedModel } from "../readers/resolve.js";
import { DEFAULT_PROFILES } from "../profiles.js";
import { onnxModelDescription } from "../vision/family.js";

export interface ModelArgOptions {
  refresh?: boolean;
  offline?: boolean;
}

export async function resolveModelArgWithFacts(spec: string, opts: ModelArgOptions = {}): Promise<ResolvedModel> {
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  const onProgress = (p: ReadProgress) => {
    if (!tty) return;
    shown = true;
    process.stderr.write(`\r${progressLine(p)}\x1b[K`);
  };
  try {
    return await resolveModelWithFacts(spec, { resolveName: DEFAULT_PROFILES.resolveName, onnxToModel: onnxModelDescription, onProgress, refresh: opts.refresh, ...(opts.offline ? { offline: true } : {}) });
  } finally {
    if (shown) process.stderr.write("\r\x1b[K");
  }
}

export async function resolveModelArg(spec: string, opts: ModelArgOptions = {}): Promise<ModelDescription> {
  return (await resolveModelArgWithFacts(spec, opts)).model;
}
