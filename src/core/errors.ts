/**
 * The one error type front ends print as a single line. Anything thrown as a VramfitError is a user
 * problem (bad input, unknown model, impossible option, a runtime that cannot run the request); anything
 * else is a bug. Callers branch on `code`, never on the message.
 */
export type ErrorCode =
  /** No such catalog id, Hub repository or built-in architecture. */
  | "unknown_model"
  /** No such GPU in the catalog, and not a size like 24gb. */
  | "unknown_gpu"
  /** A value out of range or a combination of options that makes no sense. */
  | "invalid_option"
  /** A malformed, truncated or hostile file (config.json, safetensors, GGUF, ONNX, index, log). */
  | "invalid_file"
  /** No such local file or folder. */
  | "not_found"
  /** A model, format or feature vramfit does not model: refused rather than guessed. */
  | "unsupported"
  /** The runtime itself refuses this request (quantized V cache without flash attention, GGUF in vLLM, a sequence past the context). */
  | "does_not_run"
  /** The Hugging Face Hub answered with an error status (details: status, hub_code). */
  | "hub_http"
  /** A server could not be reached, timed out, or offline mode forbids reaching it. */
  | "network"
  /** The machine vramfit runs on: a port in use, an unbuilt web page. */
  | "environment";

export interface VramfitErrorOptions {
  /** What to do instead, printed on a second line. */
  suggestion?: string;
  /** The underlying error (an HTTP failure, a parser exception). */
  cause?: unknown;
  /** Machine-readable facts: HTTP status, Hub error code, the offending key. */
  details?: Record<string, unknown>;
}

export class VramfitError extends Error {
  readonly code: ErrorCode;
  readonly suggestion?: string;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options: VramfitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "VramfitError";
    this.code = code;
    this.suggestion = options.suggestion;
    this.details = options.details;
  }
}

/** True for a VramfitError with one of these codes (for callers that treat some failures as answers). */
export function isVramfitError(e: unknown, ...codes: ErrorCode[]): e is VramfitError {
  return e instanceof VramfitError && (codes.length === 0 || codes.includes(e.code));
}

/** Closest candidates by edit distance, for "did you mean ...?" hints. */
export function closest(input: string, candidates: readonly string[], max = 3): string[] {
  const q = input.toLowerCase();
  const scored = candidates.map((c) => {
    const lc = c.toLowerCase();
    let d = editDistance(q, lc);
    if (lc.includes(q) || q.includes(lc)) d = Math.min(d, Math.abs(lc.length - q.length) / 4);
    return { c, d };
  });
  const limit = Math.max(2, Math.floor(q.length / 3));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((s) => s.c);
}

function editDistance(a: string, b: string): number {
  const prev = new Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
