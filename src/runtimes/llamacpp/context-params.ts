/**
 * The context sizes llama.cpp really allocates for what the user asked (-c, -np, --kv-unified, -ub).
 * Source: llama.cpp src/llama-context.cpp (llama_context constructor, since the 256-cell padding of
 * PR #17046): n_ctx is padded up to a multiple of 256; with one KV stream per sequence (not unified) each
 * sequence gets n_ctx / n_seq cells, padded up to 256 again, and n_ctx becomes n_ctx_seq * n_seq.
 * Checked against the n_ctx / n_ctx_seq lines of bench/accuracy/llamacpp-cpu.jsonl.
 */
import { VramfitError } from "../../core/errors.js";

/** Every KV cache size and the FA kernels' tiles are multiples of this many cells. */
export const LLAMA_CPP_CTX_PAD = 256;

export interface LlamaCppContextInput {
  /** --ctx-size: total cells asked for (shared by all sequences). */
  nCtx: number;
  /** --parallel: sequences (server slots). Default 1. */
  nSeq?: number;
  /** --kv-unified: one KV stream shared by all sequences (llama-server's default when -np is not given). */
  kvUnified?: boolean;
  /** --ubatch-size (default 512). */
  nUbatch?: number;
  /** --batch-size (default 2048); n_ubatch is capped at it. */
  nBatch?: number;
}

export interface LlamaCppContextParams {
  nCtx: number;
  /** Cells each sequence can use (and each stream holds). */
  nCtxSeq: number;
  nSeq: number;
  /** KV streams: 1 when unified, else one per sequence. */
  nStream: number;
  kvUnified: boolean;
  nUbatch: number;
  nBatch: number;
}

export function padTo(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

export function llamaCppContextParams(input: LlamaCppContextInput): LlamaCppContextParams {
  const nSeq = input.nSeq ?? 1;
  const kvUnified = input.kvUnified ?? false;
  const nBatch = input.nBatch ?? 2048;
  checkCount("context size", input.nCtx);
  checkCount("parallel sequences", nSeq);
  checkCount("batch size", nBatch);
  checkCount("ubatch size", input.nUbatch ?? 512);
  if (nSeq > 256) throw new VramfitError("does_not_run", `llama.cpp supports at most 256 parallel sequences, got ${nSeq}`);
  // llama_context: n_ubatch = min(n_batch, n_ubatch)
  const nUbatch = Math.min(nBatch, input.nUbatch ?? 512);
  let nCtx = padTo(input.nCtx, LLAMA_CPP_CTX_PAD);
  let nCtxSeq: number;
  if (kvUnified) {
    nCtxSeq = nCtx;
  } else {
    nCtxSeq = padTo(Math.floor(nCtx / nSeq), LLAMA_CPP_CTX_PAD);
    if (nCtxSeq === 0) throw new VramfitError("invalid_option", `context size ${input.nCtx} is too small for ${nSeq} sequences`);
    nCtx = nCtxSeq * nSeq;
  }
  return { nCtx, nCtxSeq, nSeq, nStream: kvUnified ? 1 : nSeq, kvUnified, nUbatch, nBatch };
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new VramfitError("invalid_option", `${what} must be a whole number of at least 1, got ${n}`);
  if (n > 2 ** 31) throw new VramfitError("invalid_option", `${what} ${n} is beyond what llama.cpp accepts`);
}
