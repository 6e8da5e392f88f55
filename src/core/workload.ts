/**
 * The workload: what the user runs. The options every transformer workload shares are declared here as
 * OptionSpecs; runtimes, training profiles and families add their own (src/profiles.ts). The validated
 * object is echoed in every estimate as `workload` (snake_case: it is also the JSON contract).
 */
import { z } from "zod";
import { VramfitError } from "./errors.js";
import type { OptionSpec } from "./options.js";
import { KV_DTYPES, WEIGHT_QUANTS } from "./precision.js";

export const MODES = ["infer", "train"] as const;
export const DTYPES = ["fp32", "fp16", "bf16"] as const;
export const ATTENTIONS = ["sdpa", "flash", "eager"] as const;

export type Mode = (typeof MODES)[number];
export type Dtype = (typeof DTYPES)[number];
export type Attention = (typeof ATTENTIONS)[number];

export const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(2 ** 31, { error: `${what} is unreasonably large` });

const MAX_INT = 2 ** 31;
const LLM = ["transformer"];
const llmInfer = { families: LLM, modes: ["infer"] } as const;

/** The options every transformer workload has, whatever the runtime or training stack. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    key: "mode", schema: z.enum(MODES).default("infer"), help: "infer | train", group: "Workload",
    cli: { arg: "string", flags: "--mode <mode>" }, web: { label: "Mode", kind: "select", choices: MODES, def: "infer" },
  },
  {
    key: "runtime", schema: z.string().optional(), help: "runtime whose allocations to model (default: transformers, or llama.cpp for GGUF)", group: "Workload",
    cli: { arg: "string", flags: "--runtime <runtime>" }, scope: llmInfer,
    web: { label: "Runtime", kind: "select", auto: "auto", choices: [] },
  },
  {
    key: "batch", schema: positiveInt("batch").default(1), help: "batch size (sequences or images at once; for training the micro-batch)", group: "Workload",
    cli: { arg: "int", flags: "-b, --batch <n>" }, web: { label: "Batch size", kind: "int", min: 1, max: MAX_INT, def: 1 },
  },
  {
    key: "seq", schema: positiveInt("seq").optional(), help: "tokens per sequence: prompt + generated (default 4096 or the model's limit)", group: "Workload",
    cli: { arg: "tokens", flags: "-s, --seq <tokens>" }, scope: { families: LLM },
    web: { label: "Sequence length (tokens)", kind: "int", min: 1, max: MAX_INT, auto: "model default" },
  },
  {
    key: "dtype", schema: z.enum(DTYPES).default("bf16"), help: "fp32 | fp16 | bf16 (weights and compute)", group: "Precision",
    cli: { arg: "string", flags: "--dtype <dtype>" }, scope: { families: LLM },
    web: { label: "Weights / compute dtype", kind: "select", choices: DTYPES, def: "bf16" },
  },
  {
    key: "quant", schema: z.enum(WEIGHT_QUANTS).nullable().default(null), help: "int8 | nf4 | fp4 | gptq | awq | fp8 | mxfp4 | GGUF types (q4_k_m, q8_0, ...)", group: "Precision",
    cli: { arg: "string", flags: "-q, --quant <type>" }, scope: { families: LLM },
    web: { label: "Weight quantization", kind: "select", choices: WEIGHT_QUANTS, auto: "none", visible: (c) => !(c.mode === "train" && c.values.qlora === true) },
  },
  {
    key: "kv_dtype", schema: z.enum(KV_DTYPES).optional(), help: "KV cache: fp16 | bf16 | fp8 | fp32 (llama.cpp: q8_0, q4_0, ...)", group: "Precision",
    cli: { arg: "string", flags: "--kv-dtype <dtype>" }, scope: llmInfer,
    web: { label: "KV cache dtype", kind: "select", choices: KV_DTYPES, auto: "same as dtype", visible: (c) => c.runtime !== "llama.cpp" && c.runtime !== "ollama" },
  },
  {
    key: "attention", schema: z.enum(ATTENTIONS).default("sdpa"), help: "sdpa | flash | eager (default sdpa; eager keeps the seq² scores)", group: "Precision",
    cli: { arg: "string", flags: "--attention <impl>" }, web: { label: "Attention", kind: "select", choices: ATTENTIONS, auto: "sdpa (unstated)" },
  },
  {
    key: "gpus", schema: positiveInt("gpus").default(1), help: "number of identical GPUs (per-GPU figures; tensor parallel for inference)", group: "Device and output",
    cli: { arg: "int", flags: "--gpus <n>" }, web: { label: "Number of GPUs", kind: "int", min: 1, max: 1024, def: 1 },
  },
  // bitsandbytes 4-bit details: library options (the CLI and web use the QLoRA recipe's defaults).
  { key: "double_quant", schema: z.boolean().default(true), help: "bitsandbytes 4-bit: double quantization of the block constants (QLoRA recipe: on)", group: "Precision", cli: false, scope: { families: LLM } },
  { key: "bnb_compute_dtype", schema: z.enum(DTYPES).optional(), help: "bitsandbytes 4-bit compute dtype (bnb_4bit_compute_dtype): the dtype weights are dequantized to (default: dtype)", group: "Precision", cli: false, scope: { families: LLM } },
];

/** The common workload after validation; runtimes and training profiles add their own keys beside it. */
export interface Workload {
  mode: Mode;
  runtime: string;
  batch: number;
  /** Tokens per sequence: prompt + generated for inference, the training sequence length for train. */
  seq: number;
  /** Dtype of unquantized weights and of compute. */
  dtype: Dtype;
  /** Weight quantization, or null for the dtype above. */
  quant: (typeof WEIGHT_QUANTS)[number] | null;
  kv_dtype: string;
  attention: Attention;
  /** Identical GPUs the job is spread over (tensor parallel for inference). */
  gpus: number;
  double_quant: boolean;
  bnb_compute_dtype?: Dtype;
  [key: string]: unknown;
}

/** What a caller may pass: every key optional, profiles' keys included. */
export type WorkloadInput = Partial<Omit<Workload, "seq" | "kv_dtype">> & { seq?: number; kv_dtype?: string } & Record<string, unknown>;

/** A zod object of every option that declares a schema; unknown keys pass through (other families' options). */
export function workloadSchema(specs: readonly OptionSpec[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const s of specs) if (s.schema && !(s.key in shape)) shape[s.key] = s.schema;
  return z.object(shape).loose();
}

/** Validate user options into a Workload, with one readable message per problem. */
export function parseWorkload(schema: z.ZodObject, input: WorkloadInput, defaults: { seq: number }): Workload {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join(".");
    let msg = issue.message;
    if (issue.code === "invalid_value" && "values" in issue) {
      msg = `unknown ${field} '${String((input as Record<string, unknown>)[field])}' (choose one of: ${(issue.values as unknown[]).join(", ")})`;
    } else if (!msg.includes(field)) msg = `${field}: ${msg}`;
    throw new VramfitError("invalid_option", msg, { details: { key: field } });
  }
  const w = r.data as Record<string, unknown> & Omit<Workload, "seq" | "kv_dtype"> & { seq?: number; kv_dtype?: string };
  const kv = w.kv_dtype ?? (w.dtype === "fp32" ? "fp32" : w.dtype);
  return { ...w, seq: w.seq ?? defaults.seq, kv_dtype: kv } as Workload;
}
