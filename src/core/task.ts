/**
 * What a language model is served for: generation (a KV cache that grows, logits over the vocabulary), or pooling
 * (embeddings, classification / reranking scores: one forward over the batch, a pooled vector per sequence, no
 * generation). Embedding and reranker models (BERT, XLM-RoBERTa, ModernBERT, GTE/BGE, Qwen3-Embedding) are served
 * in batches of whole sequences.
 */
import { z } from "zod";
import type { TransformerShape } from "./model.js";
import type { OptionSpec } from "./options.js";

export const TASKS = ["generate", "embed", "classify"] as const;
export type Task = (typeof TASKS)[number];

/** --task: vLLM's `--task embed|classify` (later `--runner pooling --convert embed|classify`); the model's own use otherwise. */
export const TASK_OPTION: OptionSpec = {
  key: "task", schema: z.enum(TASKS).optional(), group: "Workload",
  help: "generate | embed | classify (embeddings and rerankers: one pooled forward, no generation; default: what the model is for)",
  cli: { arg: "string", flags: "--task <task>" }, scope: { families: ["transformer"], modes: ["infer"] },
  web: { label: "Task", kind: "select", choices: TASKS, auto: "model default" },
};

/** The task a workload runs: the option, else the model's (config architectures), else encoders embed and decoders generate. */
export function resolveTask(shape: TransformerShape, option: unknown): Task {
  if (option === "generate" || option === "embed" || option === "classify") return option;
  if (shape.task) return shape.task;
  return shape.encoderOnly ? "embed" : "generate";
}
