/**
 * The options of a training step (mode "train"), named as the CLI and the JSON contract name them. They
 * belong to the training profile (profile.ts); frameworks that add their own keys declare them beside these.
 */
import { z } from "zod";
import type { OptionSpec } from "../core/options.js";
import { positiveInt, type Workload } from "../core/workload.js";
import { LORA_ADAPTER_DTYPE_OPTION } from "./lora.js";

export const PRECISIONS = ["fp32", "amp-fp16", "amp-bf16", "bf16"] as const;
export const OPTIMIZERS = ["adamw", "adam", "sgd", "sgd-momentum", "adamw-8bit", "paged-adamw-8bit", "paged-adamw", "adafactor", "lion", "adagrad", "rmsprop"] as const;
export const OPTIMIZER_IMPLS = ["foreach", "fused", "for-loop"] as const;
export const OFFLOADS = ["none", "optimizer", "params", "optimizer+params"] as const;
/**
 * How the loss is computed (logits-loss.ts): transformers' full-vocabulary cross-entropy with its fp32 upcast;
 * chunked cross-entropy over materialized logits (torchtune CEWithChunkedOutputLoss, axolotl
 * chunked_cross_entropy, LitGPT chunked_cross_entropy); the lm_head and loss per chunk of tokens under a
 * checkpoint (TRL chunked_nll, torchtune LinearCrossEntropyLoss); fused linear cross-entropy that computes
 * the gradients in forward and never keeps the logits (Liger FLCE, Unsloth's fused CE); Apple's Cut Cross
 * Entropy (logits blockwise in on-chip memory).
 */
export const LOSSES = ["standard", "chunked", "chunked-lm-head", "fused-linear", "cut-cross-entropy"] as const;
/** FSDP sharding strategies (torch.distributed.fsdp.ShardingStrategy names, lower case). */
export const FSDP_STRATEGIES = ["full_shard", "shard_grad_op", "hybrid_shard", "hybrid_shard_zero2", "no_shard"] as const;
/** How sequences fill a micro-batch. Memory follows batch × seq in every case: seq is the longest row. */
export const SEQ_PADDINGS = ["longest-in-batch", "fixed", "packed", "padding-free"] as const;

export type Precision = (typeof PRECISIONS)[number];
export type Optimizer = (typeof OPTIMIZERS)[number];
export type OptimizerImpl = (typeof OPTIMIZER_IMPLS)[number];
export type Loss = (typeof LOSSES)[number];

const shape = {
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
  /** Loss implementation (see LOSSES). */
  loss: z.enum(LOSSES).default("standard"),
  /** torch.compile of the model: AOTAutograd's min-cut partitioner recomputes pointwise ops instead of saving them. */
  compile: z.boolean().default(false),
  /** Liger kernels (RMSNorm, SwiGLU, RoPE; fused linear cross-entropy unless another loss is given). */
  liger: z.boolean().default(false),
  /** fms-acceleration fused-ops-and-kernels: Unsloth-derived Triton RMSNorm, RoPE, cross-entropy and fused LoRA ops. */
  foak: z.boolean().default(false),
  /** Saved activations (with checkpointing: the layer inputs) move to CPU memory; the GPU keeps the ones in flight. */
  activation_offload: z.boolean().default(false),
  /** Sequences packed into rows of seq tokens (the peak is the same: every row is full). */
  packing: z.boolean().default(false),
  /** How rows are padded; memory follows batch × seq (the longest row) in every case. */
  seq_padding: z.enum(SEQ_PADDINGS).optional(),
  /** Reentrant activation checkpointing (torch.utils.checkpoint use_reentrant); no effect on the peak modelled here. */
  use_reentrant: z.boolean().optional(),
  /** DeepSpeed ZeRO stage (0–3): per-GPU memory with the model states sharded over the GPUs. */
  zero_stage: z.preprocess((v) => (typeof v === "string" && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : v), z.number({ error: "zero_stage must be 0, 1, 2 or 3" }).int().min(0, { error: "zero_stage must be 0, 1, 2 or 3" }).max(3, { error: "zero_stage must be 0, 1, 2 or 3" }).nullable()).default(null),
  /** FSDP sharding strategy: per-GPU memory with FSDP over the GPUs. */
  fsdp: z.enum(FSDP_STRATEGIES).nullable().default(null),
  /** FSDP CPUOffload / DeepSpeed offload as one switch: parameters, gradients and optimizer states on the CPU. */
  cpu_offload: z.boolean().default(false),
  /**
   * FSDP1 gradient accumulation inside `no_sync()` (Lightning Fabric's no_backward_sync): every unit's gradient stays
   * unsharded until the synchronising micro-batch ("FSDP will accumulate the full model gradients (instead of gradient
   * shards) until the eventual sync", FullyShardedDataParallel.no_sync, pytorch@6d71f74c). Only with grad_accum > 1.
   */
  fsdp_no_sync: z.boolean().default(false),
  /**
   * FSDP1 use_orig_params=True with frozen and trainable parameters in one unit (LoRA wrapped per decoder layer): the
   * FlatParameter's gradient covers the frozen parameters too ("equivalent to not freezing those parameters",
   * FullyShardedDataParallel docstring, pytorch@6d71f74c). Lightning Fabric sets it by default on torch ≥ 2.0.
   */
  fsdp_use_orig_params: z.boolean().default(false),
  /**
   * PEFT prepare_model_for_kbit_training on a 4/8-bit base: every non-quantized 16-bit parameter (embeddings, norms,
   * lm_head) is cast to fp32 (peft/utils/other.py), so the residual stream and the checkpoints are fp32. TRL's
   * SFTTrainer called it for quantized models through v0.21 (trl/trainer/sft_trainer.py @v0.13.0 L201), not since v0.22.
   */
  kbit_fp32_upcast: z.boolean().default(false),
  /**
   * bitsandbytes version: before 0.43.2 MatMul4Bit kept its input for backward even for frozen 4-bit weights
   * (`ctx.tensors = (A, B)`, removed by bitsandbytes#1270, commit 9e75374).
   */
  bitsandbytes_version: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { error: "bitsandbytes_version must look like 0.42.0" }).default("0.45.5"),
};

export type TrainingOptions = z.output<z.ZodObject<typeof shape>>;
export type TrainingWorkload = Workload & TrainingOptions;

const TRAIN = { families: ["transformer"], modes: ["train"] } as const;
const MAX_INT = 2 ** 31;

export const TRAINING_OPTIONS: readonly OptionSpec[] = [
  { key: "precision", schema: shape.precision, help: `train: ${PRECISIONS.join(" | ")} (default amp-bf16)`, group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--precision <policy>" }, web: { label: "Precision", kind: "select", choices: PRECISIONS, auto: "default" } },
  { key: "optimizer", schema: shape.optimizer, help: `train: ${OPTIMIZERS.join(" | ")}`, group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--optimizer <name>" }, web: { label: "Optimizer", kind: "select", choices: OPTIMIZERS, def: "adamw" } },
  { key: "optimizer_impl", schema: shape.optimizer_impl, help: "train: foreach | fused | for-loop (PyTorch optimizer step)", group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--optimizer-impl <impl>" }, web: { label: "Optimizer step", kind: "select", choices: OPTIMIZER_IMPLS, def: "foreach" } },
  { key: "checkpointing", schema: shape.checkpointing, help: "train: gradient (activation) checkpointing of every layer", group: "Training", scope: TRAIN, cli: { arg: "flag" }, web: { label: "Activation checkpointing", kind: "bool", def: false } },
  { key: "grad_accum", schema: shape.grad_accum, help: "train: gradient accumulation steps (memory follows the micro-batch)", group: "Training", scope: TRAIN, cli: { arg: "int", flags: "--grad-accum <n>" }, web: { label: "Gradient accumulation steps", kind: "int", min: 1, max: MAX_INT, def: 1 } },
  { key: "lora_rank", schema: shape.lora_rank, help: "train: LoRA adapters of rank r on a frozen base", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "int", flags: "--lora-rank <r>" }, web: { label: "LoRA rank", kind: "int", min: 1, max: 65536, auto: "off (full fine-tuning)" } },
  { key: "lora_alpha", schema: shape.lora_alpha, help: "train: LoRA alpha (does not change memory)", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "number", flags: "--lora-alpha <a>" } },
  { key: "lora_targets", schema: shape.lora_targets, help: "train: modules to adapt, e.g. q_proj,v_proj or all-linear", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "string", flags: "--lora-targets <list>" }, web: { label: "LoRA targets", kind: "text", pattern: /^[A-Za-z0-9_.,-]+$/, auto: "PEFT default", example: "q_proj,v_proj or all-linear" } },
  { key: "lora_dropout", schema: shape.lora_dropout, help: "train: LoRA dropout (p > 0 keeps a dropped copy of each adapted input)", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "number", flags: "--lora-dropout <p>" }, web: { label: "LoRA dropout", kind: "text", pattern: /^(0(\.\d+)?|1(\.0+)?)$/, auto: "0", example: "0.05", numeric: true } },
  LORA_ADAPTER_DTYPE_OPTION,
  { key: "qlora", schema: shape.qlora, help: "train: QLoRA — NF4 base with LoRA adapters", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "flag" }, web: { label: "QLoRA (NF4 base + LoRA)", kind: "bool", def: false } },
  { key: "offload", schema: shape.offload, help: `train: ${OFFLOADS.join(" | ")} (to CPU)`, group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--offload <what>" }, web: { label: "CPU offload", kind: "select", choices: OFFLOADS, def: "none" } },
  { key: "loss", schema: shape.loss, help: `train: ${LOSSES.join(" | ")} (cross-entropy implementation)`, group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--loss <kind>" }, web: { label: "Loss", kind: "select", choices: LOSSES, auto: "framework default" } },
  { key: "compile", schema: shape.compile, help: "train: torch.compile (fused pointwise ops save less)", group: "Training", scope: TRAIN, cli: { arg: "flag" }, web: { label: "torch.compile", kind: "bool", def: false } },
  { key: "liger", schema: shape.liger, help: "train: Liger kernels (RMSNorm, SwiGLU, fused linear cross-entropy)", group: "Training", scope: TRAIN, cli: { arg: "flag" }, web: { label: "Liger kernels", kind: "bool", def: false } },
  { key: "foak", schema: shape.foak, help: "train: fms-acceleration fused ops and kernels (Unsloth-derived)", group: "Training", scope: TRAIN, cli: { arg: "flag" } },
  { key: "activation_offload", schema: shape.activation_offload, help: "train: on | off — saved activations / checkpoints in CPU memory", group: "Training", scope: TRAIN, cli: { arg: "onoff", flags: "--activation-offload <on|off>" }, web: { label: "Offload activations to CPU", kind: "select", choices: ["on", "off"], boolean: true, auto: "framework default" } },
  { key: "gradient_checkpointing", aliasOf: "checkpointing", help: "train: on | off (same as --checkpointing; off overrides a framework default)", group: "Training", scope: TRAIN, cli: { arg: "onoff", flags: "--gradient-checkpointing <on|off>" } },
  { key: "packing", schema: shape.packing, help: "train: sequences packed into rows of --seq tokens", group: "Training", scope: TRAIN, cli: { arg: "flag" } },
  { key: "seq_padding", schema: shape.seq_padding, help: `train: ${SEQ_PADDINGS.join(" | ")} (memory follows batch × seq)`, group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--seq-padding <how>" } },
  { key: "use_reentrant", schema: shape.use_reentrant, help: "train: reentrant checkpointing (no memory effect modelled)", group: "Training", scope: TRAIN, cli: false },
  { key: "zero_stage", schema: shape.zero_stage, help: "train: DeepSpeed ZeRO stage 0–3 over --gpus (per-GPU figures)", group: "Multi-GPU training", scope: TRAIN, cli: { arg: "string", flags: "--zero-stage <0-3>" }, web: { label: "DeepSpeed ZeRO stage", kind: "select", choices: ["0", "1", "2", "3"], auto: "none", numeric: true } },
  { key: "fsdp", schema: shape.fsdp, help: `train: FSDP ${FSDP_STRATEGIES.join(" | ")} over --gpus (per-GPU figures)`, group: "Multi-GPU training", scope: TRAIN, cli: { arg: "string", flags: "--fsdp <strategy>" }, web: { label: "FSDP sharding", kind: "select", choices: FSDP_STRATEGIES, auto: "none" } },
  { key: "kbit_fp32_upcast", schema: shape.kbit_fp32_upcast, help: "train: PEFT prepare_model_for_kbit_training casts non-quantized params to fp32 (older TRL did for QLoRA)", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "flag" } },
  { key: "bitsandbytes_version", schema: shape.bitsandbytes_version, help: "train: bitsandbytes version (before 0.43.2 4-bit layers keep their inputs)", group: "LoRA / QLoRA", scope: TRAIN, cli: { arg: "string", flags: "--bitsandbytes-version <x.y.z>" } },
  { key: "fsdp_no_sync", schema: shape.fsdp_no_sync, help: "train: FSDP gradient accumulation under no_sync (unsharded gradients until the sync; Lightning Fabric's no_backward_sync)", group: "Multi-GPU training", scope: TRAIN, cli: { arg: "onoff", flags: "--fsdp-no-sync <on|off>" } },
  { key: "fsdp_use_orig_params", schema: shape.fsdp_use_orig_params, help: "train: FSDP use_orig_params with frozen and LoRA parameters in one unit (gradients for the whole unit)", group: "Multi-GPU training", scope: TRAIN, cli: { arg: "onoff", flags: "--fsdp-use-orig-params <on|off>" } },
  { key: "cpu_offload", schema: shape.cpu_offload, help: "train: FSDP/DeepSpeed CPU offload of parameters, gradients and optimizer states", group: "Multi-GPU training", scope: TRAIN, cli: { arg: "flag" } },
  { key: "optimizer_in_backward", schema: shape.optimizer_in_backward, help: "train: step each parameter during backward (torchtune optimizer_in_bwd)", group: "Training", scope: TRAIN, cli: { arg: "flag" }, web: { label: "Optimizer step in backward", kind: "bool", def: false } },
  { key: "zero_grad_set_to_none", schema: shape.zero_grad_set_to_none, help: "train: zero_grad(set_to_none=False): grads stay allocated between steps", group: "Training", scope: TRAIN, cli: { arg: "flag", flags: "--keep-grads", invert: true }, web: { label: "Free grads between steps (zero_grad set_to_none)", kind: "bool", def: true } },
  { key: "torch_version", schema: shape.torch_version, help: "train: PyTorch version the job runs (older versions save more)", group: "Training", scope: TRAIN, cli: { arg: "string", flags: "--torch-version <x.y>" }, web: { label: "PyTorch version", kind: "text", pattern: /^\d+\.\d+(\.\d+)?$/, auto: "2.5", example: "2.5" } },
];
