/**
 * Reads bench/accuracy/vllm-published.jsonl (vLLM startup logs with sources) and runs the vLLM memory model
 * on each case. Used by the accuracy test and the bench report.
 */
import fs from "node:fs";
import path from "node:path";
import { catalogModel } from "../../catalog/models.js";
import { GiB } from "../../core/units.js";
import { vllmMemory } from "./memory.js";

export interface VllmCase {
  id: string;
  model: string;
  dtype: string;
  quant: string | null;
  block_size: number;
  engine: "v0" | "v1";
  tp: number;
  gpu_total_gib?: number;
  gpu_memory_utilization?: number;
  max_model_len?: number;
  max_num_batched_tokens?: number;
  max_num_seqs?: number;
  enforce_eager?: boolean;
  /** The checkpoint's max_position_embeddings (× rope scaling) where it differs from the catalog model's. */
  max_position_embeddings?: number;
  measured: { weights_gib?: number; activation_gib?: number; non_torch_gib?: number; kv_gib?: number; num_blocks?: number; kv_tokens?: number };
  source_url: string;
  quote: string;
}

export function readVllmCases(repoRoot: string): VllmCase[] {
  const file = path.join(repoRoot, "bench/accuracy/vllm-published.jsonl");
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as VllmCase);
}

export interface VllmCaseResult {
  id: string;
  weightsGib: number;
  activationGib?: number;
  kvBytesPerToken: number;
  /** Blocks from the KV GiB the log states (isolates the page-size arithmetic). */
  blocksFromStatedKv?: number;
  /** Blocks from the whole chain: stated utilization × total − predicted weights, activations, non-torch. */
  blocksPredicted?: number;
  kvGibPredicted?: number;
}

export function runVllmCase(c: VllmCase): VllmCaseResult {
  const base = catalogModel(c.model);
  const model = c.max_position_embeddings ? { ...base, transformer: { ...base.transformer!, maxPositions: c.max_position_embeddings } } : base;
  const total = (c.gpu_total_gib ?? 80) * GiB;
  const m = vllmMemory(model, {
    totalBytes: total,
    tensorParallel: c.tp,
    dtype: c.dtype,
    quant: c.quant,
    kvDtype: c.dtype,
    gpuMemoryUtilization: c.gpu_memory_utilization ?? 0.9,
    maxNumBatchedTokens: c.max_num_batched_tokens ?? 2048,
    maxNumSeqs: c.max_num_seqs ?? 256,
    blockSize: c.block_size,
    maxModelLen: c.max_model_len ?? 2048,
    enforceEager: c.enforce_eager ?? false,
  });
  const blockBytes = m.kvBytesPerToken * c.block_size;
  const r: VllmCaseResult = { id: c.id, weightsGib: m.weightsBytes / GiB, kvBytesPerToken: m.kvBytesPerToken };
  if (c.max_num_batched_tokens) r.activationGib = m.activationBytes / GiB;
  if (c.measured.kv_gib !== undefined) r.blocksFromStatedKv = Math.floor((c.measured.kv_gib * GiB) / blockBytes);
  if (c.gpu_total_gib !== undefined) {
    r.blocksPredicted = m.numBlocks;
    r.kvGibPredicted = m.kvBudgetBytes / GiB;
  }
  return r;
}
