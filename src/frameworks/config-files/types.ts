/**
 * What a training framework's own configuration file says, in vramfit's vocabulary.
 *
 * `readTrainingConfig` (index.ts) turns an axolotl / LLaMA-Factory / torchtune / LitGPT YAML, a transformers or TRL
 * TrainingArguments file, a DeepSpeed JSON or an accelerate config into this shape. It only reports what the file
 * states: a framework's defaults for keys the file leaves out belong to the framework profile
 * (docs/frameworks/<name>.md), not here.
 */

export const CONFIG_FORMATS = ["axolotl", "llama-factory", "torchtune", "litgpt", "hf-training-args", "deepspeed", "accelerate"] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

/**
 * The settings a file can carry. Values are normalised as documented here; `key` always keeps the file's own key
 * path (dotted for nested keys, `a+b` when two keys together give the value).
 */
export const TRAINING_SETTINGS = [
  /** Sequences per GPU per forward pass (number). */
  "micro_batch_size",
  /** Gradient accumulation steps (number). */
  "grad_accum",
  /** Tokens per sequence: the truncation / packing length (number). */
  "seq_len",
  /** Sequences packed into rows of seq_len tokens (boolean). */
  "packing",
  /** The micro-batch is flattened into one row without padding (boolean; TRL padding_free, BFD packing, Unsloth). */
  "padding_free",
  /** Every micro-batch is padded to seq_len instead of its longest sequence (boolean; axolotl pad_to_sequence_len). */
  "pad_to_seq_len",
  /** Precision policy: "fp32" | "amp-bf16" | "amp-fp16" (autocast over fp32 trainable weights) | "bf16" (bf16 weights, grads and states). */
  "precision",
  /** dtype the weights are loaded in: "fp32" | "bf16" | "fp16" (torch_dtype / dtype / model_init_kwargs). */
  "dtype",
  /** Fine-tuning method: "full" | "lora" | "qlora" | "freeze". */
  "finetuning",
  /** vramfit optimizer: adamw | adam | sgd | sgd-momentum | adamw-8bit | paged-adamw-8bit | paged-adamw | adafactor | lion | adagrad | rmsprop. */
  "optimizer",
  /** How a PyTorch optimizer steps: "fused" | "foreach". */
  "optimizer_impl",
  /** torchtune optimizer_in_bwd: each parameter is stepped and its gradient freed during backward (boolean). */
  "optimizer_in_backward",
  /** Activation (gradient) checkpointing of every decoder layer (boolean). */
  "checkpointing",
  /** Saved activations / checkpoints go to CPU memory (boolean): Unsloth "unsloth" GC, activation_offloading, use_unsloth_gc. */
  "checkpoint_offload",
  /** LoRA rank (number). */
  "lora_rank",
  /** LoRA alpha (number; scaling only). */
  "lora_alpha",
  /** LoRA dropout (number in [0, 1]). */
  "lora_dropout",
  /** LoRA target modules: comma list in transformers' module names ("q_proj,v_proj") or "all-linear". */
  "lora_targets",
  /** bitsandbytes 4-bit base weights (boolean). */
  "load_in_4bit",
  /** bitsandbytes 8-bit base weights (boolean). */
  "load_in_8bit",
  /** 4-bit type: "nf4" | "fp4". */
  "quant_type",
  /** bitsandbytes double quantization of the block constants (boolean). */
  "double_quant",
  /** DeepSpeed ZeRO stage 0–3 (number). */
  "zero_stage",
  /** Optimizer states (and fp32 master weights) offloaded: "none" | "cpu" | "nvme". */
  "offload_optimizer",
  /** Parameters offloaded: "none" | "cpu" | "nvme" (ZeRO-3 offload_param, FSDP offload_params). */
  "offload_params",
  /** FSDP sharding: "full_shard" | "shard_grad_op" | "hybrid_shard" | "hybrid_shard_zero2" | "no_shard". */
  "fsdp_sharding",
  /** FSDP version 1 or 2 (number). */
  "fsdp_version",
  /** Processes (GPUs) in the whole job (number). */
  "num_processes",
  /** Machines (nodes) (number). */
  "num_machines",
  /** torch.compile on (boolean). */
  "compile",
  /** Liger kernels applied (boolean). */
  "liger",
  /** Attention implementation: "sdpa" | "flash" | "eager". */
  "attention",
  /**
   * Loss implementation: "standard" (full-vocabulary logits, fp32 upcast), "chunked" (full bf16 logits, fp32 upcast
   * per chunk: torchtune CEWithChunkedOutputLoss, axolotl chunked_cross_entropy), "chunked-lm-head" (lm_head and CE per
   * chunk of valid tokens: TRL chunked_nll, torchtune LinearCrossEntropyLoss), "fused-linear" (gradients computed in
   * forward, no logits kept: Liger FLCE, Cut Cross Entropy, Unsloth).
   */
  "loss",
  /** Chunks of the chunked losses (number). */
  "loss_chunks",
  /** DeepSpeed reduce_bucket_size, elements (number). */
  "reduce_bucket_size",
  /** DeepSpeed allgather_bucket_size, elements (number). */
  "allgather_bucket_size",
  /** DeepSpeed overlap_comm (boolean). */
  "overlap_comm",
  /** DeepSpeed contiguous_gradients (boolean). */
  "contiguous_gradients",
  /** DeepSpeed sub_group_size, elements (number). */
  "sub_group_size",
  /** ZeRO-3 stage3_prefetch_bucket_size, elements (number). */
  "prefetch_bucket_size",
  /** ZeRO-3 stage3_param_persistence_threshold, elements (number). */
  "param_persistence_threshold",
  /** ZeRO-3 stage3_max_live_parameters, elements (number). */
  "max_live_parameters",
  /** ZeRO-3 stage3_max_reuse_distance, elements (number). */
  "max_reuse_distance",
] as const;
export type TrainingSetting = (typeof TRAINING_SETTINGS)[number];

export type SettingValue = string | number | boolean;

export interface TrainingConfigRead {
  format: ConfigFormat;
  /** Which framework the answer should model: axolotl, llama-factory, torchtune, litgpt, trl, transformers, deepspeed, fsdp. */
  framework: string;
  /** base_model / model_name_or_path / checkpointer.checkpoint_dir / checkpoint_dir. */
  model?: string;
  /** torchtune's model builder (`model._component_`), e.g. torchtune.models.llama3_1.lora_llama3_1_8b. */
  modelComponent?: string;
  settings: Partial<Record<TrainingSetting, { value: SettingValue; key: string }>>;
  /** Keys that change memory but the settings cannot carry (a DoRA adapter, a separate DeepSpeed file, RL stages…). */
  unmodelled: { key: string; value: unknown; why: string }[];
  /** Keys known not to change the training step's memory (learning rate, logging, paths…), or left at null. */
  ignored: string[];
  /** Keys not recognised at all. */
  unknown: string[];
  /** Values the file defers ("auto") or derived values worth saying, one line each. */
  notes: string[];
}
