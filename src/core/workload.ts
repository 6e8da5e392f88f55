/**
 * The workload: what the user runs. One normalized object, echoed in every estimate as `workload`
 * (snake_case, because it is also the JSON contract).
 */
import { z } from "zod";
import { VramfitError } from "./errors.js";
import { KV_DTYPES, WEIGHT_QUANTS } from "./precision.js";

export const PRECISIONS = ["fp32", "amp-fp16", "amp-bf16", "bf16"] as const;
export const OPTIMIZERS = ["adamw", "adam", "sgd", "sgd-momentum", "adamw-8bit", "paged-adamw-8bit", "paged-adamw", "adafactor", "lion", "adagrad", "rmsprop"] as const;
export const OPTIMIZER_IMPLS = ["foreach", "fused", "for-loop"] as const;
export const OFFLOADS = ["none", "optimizer", "params", "optimizer+params"] as const;
export const LOSSES = ["standard", "chunked"] as const;

export const MODES = ["infer", "train"] as const;
/** llama.cpp --cache-type-k/-v values (common/arg.cpp kv_cache_types). */
export const LLAMA_KV_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"] as const;
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
  // llama.cpp / Ollama (src/runtimes/llamacpp/), named after their own flags. Ignored elsewhere.
  /** --parallel / OLLAMA_NUM_PARALLEL: sequences sharing the context. */
  parallel: positiveInt("parallel").optional(),
  /** --kv-unified: one KV cache shared by all sequences. */
  kv_unified: z.boolean().optional(),
  cache_type_k: z.enum(LLAMA_KV_TYPES).optional(),
  cache_type_v: z.enum(LLAMA_KV_TYPES).optional(),
  flash_attn: z.boolean().optional(),
  swa_full: z.boolean().optional(),
  ubatch_size: positiveInt("ubatch_size").optional(),
  batch_size: positiveInt("batch_size").optional(),
  /** --n-gpu-layers; -1 (default) offloads every layer. */
  n_gpu_layers: z.number().int().min(-1, { error: "n_gpu_layers must be -1 (all) or a layer count" }).optional(),
  // vLLM (src/runtimes/vllm/), named after its own engine arguments. Ignored elsewhere.
  /** --gpu-memory-utilization: the fraction of the GPU's total memory vLLM may use (default 0.9). */
  gpu_memory_utilization: z.number({ error: "gpu_memory_utilization must be a number" }).gt(0, { error: "gpu_memory_utilization must be above 0" }).max(1, { error: "gpu_memory_utilization is a fraction of memory, at most 1" }).optional(),
  /** --max-num-batched-tokens: tokens per scheduler step, the size of the profiling run. */
  max_num_batched_tokens: positiveInt("max_num_batched_tokens").optional(),
  /** --max-num-seqs: sequences per scheduler step. */
  max_num_seqs: positiveInt("max_num_seqs").optional(),
  /** --block-size: tokens per KV cache block (default 16). */
  block_size: positiveInt("block_size").optional(),
  /** --enforce-eager: no CUDA graphs. */
  enforce_eager: z.boolean().optional(),
  /** --max-model-len: the longest sequence vLLM must admit (default: seq). */
  max_model_len: positiveInt("max_model_len").optional(),
  // Training (mode "train"; src/core/training/). Ignored for inference.
  /** Precision policy: fp32; autocast with fp32 master weights (amp-*); pure bf16 weights, grads and states. */
  precision: z.enum(PRECISIONS).default("amp-bf16"),
  optimizer: z.enum(OPTIMIZERS).default("adamw"),
  /** How PyTorch optimizers run their step: multi-tensor (default on CUDA), fused kernel, or a per-tensor loop. */
  optimizer_impl: z.enum(OPTIMIZER_IMPLS).default("foreach"),
  /** torchtune's optimizer_in_bwd: each parameter is stepped and its grad freed during backward. */
  optimizer_in_backward: z.boolean().default(false),
  /** Activation (gradient) checkpointing of every decoder layer. */
  checkpointing: z.boolean().default(false),
  grad_accum: positiveInt("grad_accum").default(1),
  /** optimizer.zero_grad(set_to_none=True), PyTorch's default since 2.0; false keeps grads allocated between steps. */
  zero_grad_set_to_none: z.boolean().default(true),
  /** LoRA adapters of this rank (null: full fine-tuning unless qlora). */
  lora_rank: positiveInt("lora_rank").nullable().default(null),
  /** Scaling only (memory does not depend on it); PEFT LoraConfig default 8. */
  lora_alpha: z.number().positive().default(8),
  /** Comma-separated module names ("q_proj,v_proj") or "all-linear"; null: PEFT's default for the architecture. */
  lora_targets: z.string().min(1).nullable().default(null),
  lora_dropout: z.number().min(0).max(1).default(0),
  /** QLoRA: the base's linear layers in bitsandbytes NF4, LoRA adapters on top. */
  qlora: z.boolean().default(false),
  offload: z.enum(OFFLOADS).default("none"),
  /** PyTorch version ("major.minor"): before 1.11 softmax/log_softmax also saved their input for backward (pytorch#65242). */
  torch_version: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { error: "torch_version must look like 2.5 or 1.10" }).default("2.5"),
  /** Loss: transformers' full-vocabulary cross-entropy with its fp32 upcast, or torchtune's compiled chunked one. */
  loss: z.enum(LOSSES).default("standard"),
});

export type WorkloadInput = z.input<typeof workloadSchema>;
export type Workload = z.output<typeof workloadSchema> & { seq: number; kv_dtype: string; effective_batch: number };

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
    throw new VramfitError("invalid_option", msg);
  }
  const w = r.data;
  const kv = w.kv_dtype ?? (w.dtype === "fp32" ? "fp32" : w.dtype);
  return { ...w, seq: w.seq ?? defaults.seq, kv_dtype: kv, effective_batch: w.batch * w.grad_accum * w.gpus };
}
