/**
 * Every input of the page, as data: one entry per CLI option (snake_case key = the estimate() option and
 * the URL key). The form, the URL codec and the "make it fit" search all read this list, so a new option
 * is one entry here. `when` hides a field where the engine ignores it (training keys in inference, …).
 */
import { KV_DTYPES, WEIGHT_QUANTS } from "../../src/core/precision.js";
import { VISION_PRECISIONS } from "../../src/vision/graph.js";
import { ATTENTIONS, DTYPES, LLAMA_KV_TYPES, LOSSES, MODES, OFFLOADS, OPTIMIZER_IMPLS, OPTIMIZERS, PRECISIONS, RUNTIMES } from "../../src/core/workload.js";

export type Value = string | number | boolean;
export type Family = "llm" | "vision";

/** What decides which fields apply. */
export interface FieldContext {
  family: Family;
  mode: string;
  runtime: string;
  opts: Record<string, Value>;
}

interface Base {
  key: string;
  label: string;
  group: GroupId;
  help?: string;
  when?: (c: FieldContext) => boolean;
}
export interface SelectField extends Base {
  kind: "select";
  choices: readonly string[];
  /** The choices offered for this configuration (default: all of `choices`, which the URL accepts). */
  choicesFor?: (c: FieldContext) => readonly string[];
  /** Label of the empty choice ("" = let the library decide); absent: a value is always set. */
  auto?: string;
  def?: string;
  /** Values the select shows as on/off but sends as booleans. */
  boolean?: boolean;
}
export interface IntField extends Base {
  kind: "int";
  min: number;
  max: number;
  def?: number;
  /** Placeholder when empty (the library's default). */
  auto?: string;
}
export interface BoolField extends Base {
  kind: "bool";
  def: boolean;
}
export interface TextField extends Base {
  kind: "text";
  pattern: RegExp;
  auto?: string;
  example: string;
  /** Sent to the library as a number (the text keeps the user's spelling in the URL). */
  numeric?: boolean;
}
export type Field = SelectField | IntField | BoolField | TextField;

export type GroupId = "workload" | "precision" | "training" | "lora" | "llamacpp" | "vllm" | "vision" | "hardware";
export const GROUPS: { id: GroupId; label: string }[] = [
  { id: "workload", label: "Workload" },
  { id: "precision", label: "Precision and quantization" },
  { id: "training", label: "Training" },
  { id: "lora", label: "LoRA / QLoRA" },
  { id: "vision", label: "Vision" },
  { id: "llamacpp", label: "llama.cpp / Ollama" },
  { id: "vllm", label: "vLLM" },
  { id: "hardware", label: "GPUs" },
];

const llm = (c: FieldContext) => c.family === "llm";
const train = (c: FieldContext) => c.mode === "train";
const infer = (c: FieldContext) => c.mode !== "train";
const llamaCpp = (c: FieldContext) => llm(c) && infer(c) && (c.runtime === "llama.cpp" || c.runtime === "ollama");
const vllm = (c: FieldContext) => llm(c) && infer(c) && c.runtime === "vllm";
const hfInfer = (c: FieldContext) => llm(c) && infer(c) && !llamaCpp(c);
const MAX_INT = 2 ** 31;

export const FIELDS: Field[] = [
  { key: "mode", label: "Mode", group: "workload", kind: "select", choices: MODES, def: "infer" },
  { key: "runtime", label: "Runtime", group: "workload", kind: "select", choices: RUNTIMES, auto: "auto", help: "auto: transformers, or llama.cpp for a GGUF quantization", when: (c) => llm(c) && infer(c) },
  { key: "batch", label: "Batch size", group: "workload", kind: "int", min: 1, max: MAX_INT, def: 1, help: "sequences (or images) at once; for training the micro-batch" },
  { key: "seq", label: "Sequence length (tokens)", group: "workload", kind: "int", min: 1, max: MAX_INT, auto: "model default", when: llm, help: "prompt + generated tokens; the training sequence length" },
  { key: "image", label: "Image size (px)", group: "vision", kind: "text", pattern: /^\d{1,5}(x\d{1,5})?$/, auto: "model default", example: "640 or 1333x800", when: (c) => c.family === "vision" },
  { key: "dtype", label: "Weights / compute dtype", group: "precision", kind: "select", choices: DTYPES, def: "bf16", when: (c) => llm(c) || infer(c) },
  { key: "quant", label: "Weight quantization", group: "precision", kind: "select", choices: WEIGHT_QUANTS, auto: "none", when: (c) => llm(c) && !(train(c) && c.opts.qlora === true) },
  { key: "kv_dtype", label: "KV cache dtype", group: "precision", kind: "select", choices: KV_DTYPES, auto: "same as dtype", when: hfInfer },
  { key: "attention", label: "Attention", group: "precision", kind: "select", choices: ATTENTIONS, auto: "sdpa (unstated)" },
  { key: "logits", label: "Logits kept", group: "precision", kind: "select", choices: ["last", "all"], def: "last", when: hfInfer },
  {
    key: "precision",
    label: "Precision",
    group: "training",
    kind: "select",
    choices: [...new Set([...PRECISIONS, ...VISION_PRECISIONS])],
    choicesFor: (c) => (c.family === "vision" ? VISION_PRECISIONS : PRECISIONS),
    auto: "default", help: "default: amp-bf16 for LLM training; vision amp-fp16 to train, fp32 to infer",
    when: (c) => train(c) || c.family === "vision",
  },
  { key: "optimizer", label: "Optimizer", group: "training", kind: "select", choices: OPTIMIZERS, def: "adamw", when: train },
  { key: "optimizer_impl", label: "Optimizer step", group: "training", kind: "select", choices: OPTIMIZER_IMPLS, def: "foreach", when: train },
  { key: "checkpointing", label: "Activation checkpointing", group: "training", kind: "bool", def: false, when: (c) => train(c) && llm(c) },
  { key: "grad_accum", label: "Gradient accumulation steps", group: "training", kind: "int", min: 1, max: MAX_INT, def: 1, when: (c) => train(c) && llm(c) },
  { key: "offload", label: "CPU offload", group: "training", kind: "select", choices: OFFLOADS, def: "none", when: (c) => train(c) && llm(c) },
  { key: "loss", label: "Loss", group: "training", kind: "select", choices: LOSSES, def: "standard", when: (c) => train(c) && llm(c) },
  { key: "optimizer_in_backward", label: "Optimizer step in backward", group: "training", kind: "bool", def: false, when: (c) => train(c) && llm(c) },
  { key: "zero_grad_set_to_none", label: "Free grads between steps (zero_grad set_to_none)", group: "training", kind: "bool", def: true, when: (c) => train(c) && llm(c) },
  { key: "torch_version", label: "PyTorch version", group: "training", kind: "text", pattern: /^\d+\.\d+(\.\d+)?$/, auto: "2.5", example: "2.5", when: (c) => train(c) && llm(c) },
  { key: "ema", label: "EMA copy of the weights", group: "vision", kind: "bool", def: false, when: (c) => c.family === "vision" && train(c) },
  { key: "classes", label: "Classes", group: "vision", kind: "int", min: 1, max: 1_000_000, auto: "checkpoint's", when: (c) => c.family === "vision" },
  { key: "max_boxes", label: "Max boxes per image", group: "vision", kind: "int", min: 1, max: 100_000, auto: "default", when: (c) => c.family === "vision" && train(c) },
  { key: "qlora", label: "QLoRA (NF4 base + LoRA)", group: "lora", kind: "bool", def: false, when: (c) => train(c) && llm(c) },
  { key: "lora_rank", label: "LoRA rank", group: "lora", kind: "int", min: 1, max: 65536, auto: "off (full fine-tuning)", when: (c) => train(c) && llm(c) },
  { key: "lora_targets", label: "LoRA targets", group: "lora", kind: "text", pattern: /^[A-Za-z0-9_.,-]+$/, auto: "PEFT default", example: "q_proj,v_proj or all-linear", when: (c) => train(c) && llm(c) },
  { key: "lora_dropout", label: "LoRA dropout", group: "lora", kind: "text", pattern: /^(0(\.\d+)?|1(\.0+)?)$/, auto: "0", example: "0.05", numeric: true, when: (c) => train(c) && llm(c) },
  { key: "parallel", label: "Parallel sequences (--parallel)", group: "llamacpp", kind: "int", min: 1, max: 4096, auto: "runtime default", when: llamaCpp },
  { key: "kv_unified", label: "Unified KV cache (--kv-unified)", group: "llamacpp", kind: "bool", def: false, when: llamaCpp },
  { key: "cache_type_k", label: "K cache type", group: "llamacpp", kind: "select", choices: LLAMA_KV_TYPES, auto: "f16", when: llamaCpp },
  { key: "cache_type_v", label: "V cache type", group: "llamacpp", kind: "select", choices: LLAMA_KV_TYPES, auto: "f16", when: llamaCpp },
  { key: "flash_attn", label: "Flash attention (--fa)", group: "llamacpp", kind: "select", choices: ["on", "off"], auto: "auto", boolean: true, when: llamaCpp },
  { key: "swa_full", label: "Full-size SWA cache (--swa-full)", group: "llamacpp", kind: "bool", def: false, when: llamaCpp },
  { key: "ubatch_size", label: "Physical batch (--ubatch-size)", group: "llamacpp", kind: "int", min: 1, max: 1 << 20, auto: "512", when: llamaCpp },
  { key: "batch_size", label: "Logical batch (--batch-size)", group: "llamacpp", kind: "int", min: 1, max: 1 << 20, auto: "2048", when: llamaCpp },
  { key: "n_gpu_layers", label: "GPU layers (--n-gpu-layers)", group: "llamacpp", kind: "int", min: -1, max: 100_000, auto: "all", when: llamaCpp },
  { key: "gpu_memory_utilization", label: "GPU memory utilization", group: "vllm", kind: "text", pattern: /^(0?\.\d+|1(\.0+)?)$/, auto: "0.9", example: "0.9", numeric: true, when: vllm },
  { key: "max_model_len", label: "Max model length (--max-model-len)", group: "vllm", kind: "int", min: 1, max: MAX_INT, auto: "seq", when: vllm },
  { key: "max_num_seqs", label: "Max sequences (--max-num-seqs)", group: "vllm", kind: "int", min: 1, max: 1 << 20, auto: "vLLM default", when: vllm },
  { key: "max_num_batched_tokens", label: "Max batched tokens", group: "vllm", kind: "int", min: 1, max: MAX_INT, auto: "vLLM default", when: vllm },
  { key: "block_size", label: "KV block size (--block-size)", group: "vllm", kind: "int", min: 1, max: 1024, auto: "16", when: vllm },
  { key: "enforce_eager", label: "No CUDA graphs (--enforce-eager)", group: "vllm", kind: "bool", def: false, when: vllm },
  { key: "gpus", label: "Number of GPUs", group: "hardware", kind: "int", min: 1, max: 1024, def: 1 },
];

export const FIELD_BY_KEY = new Map(FIELDS.map((f) => [f.key, f]));

/** The fields that apply to this configuration. */
export function visibleFields(ctx: FieldContext): Field[] {
  return FIELDS.filter((f) => !f.when || f.when(ctx));
}

/** The value the library uses when the key is absent (undefined: the library decides). */
export function defaultOf(f: Field): Value | undefined {
  return f.kind === "text" ? undefined : f.def;
}

/** Parses one text value (URL or form) for a field; undefined when it is not valid. */
export function parseFieldValue(f: Field, raw: string): Value | undefined {
  const s = raw.trim();
  switch (f.kind) {
    case "select":
      if (f.boolean) return s === "on" || s === "true" || s === "1" ? true : s === "off" || s === "false" || s === "0" ? false : undefined;
      return f.choices.includes(s) ? s : undefined;
    case "int": {
      if (!/^-?\d{1,10}$/.test(s)) return undefined;
      const n = Number(s);
      return n >= f.min && n <= f.max ? n : undefined;
    }
    case "bool":
      return s === "1" || s === "true" || s === "on" ? true : s === "0" || s === "false" || s === "off" ? false : undefined;
    case "text":
      return f.pattern.test(s) ? s : undefined;
  }
}

/** The text form of a value (URL and form controls). */
export function formatFieldValue(f: Field, v: Value): string {
  if (f.kind === "bool") return v ? "1" : "0";
  if (f.kind === "select" && f.boolean) return v ? "on" : "off";
  return String(v);
}

/** Options for estimate(): the visible, set fields, with text values converted where the library wants numbers. */
export function estimateOptions(ctx: FieldContext): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of visibleFields(ctx)) {
    const v = ctx.opts[f.key];
    if (v === undefined) continue;
    out[f.key] = f.kind === "text" && f.numeric ? Number(v) : v;
  }
  return out;
}
