/**
 * "Make it fit": candidate changes to a configuration, each estimated with the library so its saving is
 * computed, not guessed. Candidates are data (one entry per idea); those that do not apply (already set,
 * wrong mode) return no change.
 */
import { runEstimate, type Estimate } from "./engine.js";
import type { Value } from "./fields.js";
import type { Config } from "./url-state.js";

export interface Suggestion {
  label: string;
  /** The options to set (merged into the configuration when applied). */
  change: Record<string, Value | undefined>;
  device_bytes: number;
  saving_bytes: number;
  fits: boolean;
  verdict?: string;
}

type Idea = { label: string; change: (c: Config, e: Estimate) => Record<string, Value | undefined> | null };

const mode = (c: Config) => String(c.opts.mode ?? "infer");
const isTrain = (c: Config) => mode(c) === "train";
const isLlm = (e: Estimate) => e.model.family !== "vision";
const batchOf = (e: Estimate) => Number(e.workload.batch ?? 1);
const seqOf = (e: Estimate) => Number(e.workload.seq ?? 0);

const IDEAS: Idea[] = [
  // Precision first: the largest, cheapest lever.
  { label: "bf16 weights instead of fp32", change: (c, e) => (!isTrain(c) && e.workload.dtype === "fp32" ? { dtype: "bf16" } : null) },
  { label: "pure bf16 training (weights, grads, optimizer states)", change: (c, e) => (isTrain(c) && isLlm(e) && e.workload.precision !== "bf16" ? { precision: "bf16" } : null) },
  { label: "mixed precision (amp-bf16) instead of fp32", change: (c, e) => (isTrain(c) && e.workload.precision === "fp32" ? { precision: "amp-bf16" } : null) },
  { label: "fp16 model (model.half())", change: (c, e) => (!isTrain(c) && !isLlm(e) && e.workload.precision === "fp32" ? { precision: "fp16" } : null) },
  { label: "mixed precision (amp-fp16)", change: (c, e) => (isTrain(c) && !isLlm(e) && e.workload.precision === "fp32" ? { precision: "amp-fp16" } : null) },
  // Quantization (inference).
  { label: "8-bit weights (bitsandbytes int8)", change: (c, e) => (!isTrain(c) && isLlm(e) && !e.workload.quant && e.workload.runtime === "transformers" ? { quant: "int8" } : null) },
  { label: "4-bit weights (AWQ)", change: (c, e) => (!isTrain(c) && isLlm(e) && !["awq", "gptq", "nf4", "fp4"].includes(String(e.workload.quant)) && e.workload.runtime === "transformers" ? { quant: "awq" } : null) },
  { label: "4-bit GGUF (Q4_K_M, llama.cpp)", change: (c, e) => (!isTrain(c) && isLlm(e) && !String(e.workload.quant ?? "").startsWith("q4") ? { quant: "q4_k_m", runtime: "llama.cpp" } : null) },
  { label: "fp8 KV cache", change: (c, e) => (!isTrain(c) && isLlm(e) && e.workload.runtime === "transformers" && e.workload.kv_dtype !== "fp8" ? { kv_dtype: "fp8" } : null) },
  // Training levers.
  { label: "activation checkpointing", change: (c, e) => (isTrain(c) && isLlm(e) && !e.workload.checkpointing ? { checkpointing: true } : null) },
  { label: "8-bit AdamW optimizer", change: (c, e) => (isTrain(c) && e.workload.optimizer === "adamw" && !e.workload.lora_rank && !e.workload.qlora ? { optimizer: "adamw-8bit" } : null) },
  { label: "LoRA rank 16 on a frozen base", change: (c, e) => (isTrain(c) && isLlm(e) && !e.workload.lora_rank && !e.workload.qlora ? { lora_rank: 16 } : null) },
  { label: "QLoRA (NF4 base, LoRA rank 16)", change: (c, e) => (isTrain(c) && isLlm(e) && !e.workload.qlora ? { qlora: true, lora_rank: e.workload.lora_rank ? undefined : 16, quant: undefined } : null) },
  { label: "offload optimizer states to the CPU", change: (c, e) => (isTrain(c) && isLlm(e) && e.workload.offload === "none" && !e.workload.lora_rank && !e.workload.qlora ? { offload: "optimizer" } : null) },
  // Workload size.
  { label: "half the batch", change: (_c, e) => (batchOf(e) > 1 ? { batch: Math.max(1, Math.floor(batchOf(e) / 2)) } : null) },
  { label: "batch 1", change: (_c, e) => (batchOf(e) > 2 ? { batch: 1 } : null) },
  { label: "half the sequence length", change: (_c, e) => (isLlm(e) && seqOf(e) > 256 ? { seq: Math.floor(seqOf(e) / 2) } : null) },
  { label: "tensor parallel over twice the GPUs", change: (c, e) => (isLlm(e) && !isTrain(c) && e.workload.runtime === "transformers" ? { gpus: Number(e.workload.gpus ?? 1) * 2 } : null) },
];

/** Applies a change: undefined removes the option (back to the library's default). */
export function applyChange(c: Config, change: Record<string, Value | undefined>): Config {
  const opts = { ...c.opts };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete opts[k];
    else opts[k] = v;
  }
  return { ...c, opts };
}

/** Every applicable idea with its estimated saving, best first; those that fit before those that do not. */
export function suggestions(c: Config, base: Estimate): Suggestion[] {
  const out: Suggestion[] = [];
  for (const idea of IDEAS) {
    const change = idea.change(c, base);
    if (!change) continue;
    const next = applyChange(c, change);
    const r = runEstimate(next);
    if (!r.ok) continue;
    const saving = base.totals.device_bytes - r.estimate.totals.device_bytes;
    if (saving <= 0) continue;
    out.push({ label: idea.label, change, device_bytes: r.estimate.totals.device_bytes, saving_bytes: saving, fits: r.estimate.gpu?.fits ?? false, verdict: r.estimate.gpu?.verdict });
  }
  return out.sort((a, b) => Number(b.fits) - Number(a.fits) || b.saving_bytes - a.saving_bytes);
}
