/**
 * The workload: what the user runs. One normalized object, echoed in every estimate as `workload`
 * (snake_case, because it is also the JSON contract).
 */
import { z } from "zod";
import { VramfitError } from "./errors.js";
import { KV_DTYPES, WEIGHT_QUANTS } from "./precision.js";

export const MODES = ["infer", "train"] as const;
export const RUNTIMES = ["transformers", "vllm", "llama.cpp", "ollama"] as const;
export const DTYPES = ["fp32", "fp16", "bf16"] as const;
export const ATTENTIONS = ["sdpa", "flash", "eager"] as const;

export type Mode = (typeof MODES)[number];
export type Runtime = (typeof RUNTIMES)[number];
export type Dtype = (typeof DTYPES)[number];
export type Attention = (typeof ATTENTIONS)[number];

const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(2 ** 31, { error: `${what} is unreasonably large` });

/** Every field a workload can carry. Training and runtime issues extend this schema. */
export const workloadSchema = z.object({
  mode: z.enum(MODES).default("infer"),
  runtime: z.enum(RUNTIMES).default("transformers"),
  batch: positiveInt("batch").default(1),
  /** Tokens per sequence: prompt + generated for inference, the training sequence length for train. */
  seq: positiveInt("seq").optional(),
  /** Dtype of unquantized weights and of compute. */
  dtype: z.enum(DTYPES).default("bf16"),
  /** Weight quantization, or null for the dtype above. */
  quant: z.enum(WEIGHT_QUANTS).nullable().default(null),
  kv_dtype: z.enum(KV_DTYPES).optional(),
  attention: z.enum(ATTENTIONS).default("sdpa"),
  /** Identical GPUs the job is spread over (tensor parallel for inference). */
  gpus: positiveInt("gpus").default(1),
  /** bitsandbytes 4-bit: double quantization of the block constants (QLoRA recipe: on). */
  double_quant: z.boolean().default(true),
  /** bitsandbytes 4-bit compute dtype (bnb_4bit_compute_dtype): the dtype weights are dequantized to. Default: dtype. */
  bnb_compute_dtype: z.enum(DTYPES).optional(),
  /** Inference: a plain forward returns logits for every position; generate() only for the last. */
  logits: z.enum(["last", "all"]).default("last"),
});

export type WorkloadInput = z.input<typeof workloadSchema>;
export type Workload = z.output<typeof workloadSchema> & { seq: number; kv_dtype: string };

/** Validate user options into a Workload, with one readable message per problem. */
export function parseWorkload(input: WorkloadInput, defaults: { seq: number }): Workload {
  const r = workloadSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join(".");
    let msg = issue.message;
    if (issue.code === "invalid_value" && "values" in issue) {
      msg = `unknown ${field} '${String((input as Record<string, unknown>)[field])}' (choose one of: ${(issue.values as unknown[]).join(", ")})`;
    } else if (!msg.includes(field)) msg = `${field}: ${msg}`;
    throw new VramfitError(msg);
  }
  const w = r.data;
  const kv = w.kv_dtype ?? (w.dtype === "fp32" ? "fp32" : w.dtype);
  return { ...w, seq: w.seq ?? defaults.seq, kv_dtype: kv };
}
