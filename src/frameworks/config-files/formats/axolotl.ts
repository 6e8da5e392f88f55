/**
 * axolotl YAML (pydantic schemas in src/axolotl/utils/schemas/ @ v0.18.0, 2f5cb9da). See docs/frameworks/axolotl.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import {
  attentionFlag,
  attentionHandler,
  boolSetting,
  hfOptimizerHandler,
  intSetting,
  loraTargetsHandler,
  numSetting,
  whenTrue,
} from "../handlers.js";
import { bool, int, isAuto, names, str } from "../values.js";
import { deepspeedReference } from "./deepspeed.js";
import { fsdpConfigTable } from "./accelerate.js";

/** `gradient_checkpointing: true | false | offload | offload_disk` (and `unsloth` before ~2025). */
const gradientCheckpointing: Handler = (v, key, ctx) => {
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "offload" || s === "offload_disk" || s === "unsloth") {
      ctx.set("checkpointing", true, key);
      ctx.set("checkpoint_offload", true, key);
      if (s === "unsloth") ctx.note(`${key}: unsloth is the older axolotl spelling of offloaded checkpoints (v0.18.0 rejects it)`);
      else ctx.note(`${key}: ${s} is deprecated in v0.18.0 and becomes activation_offloading (validation.py L1426–1442)`);
      return;
    }
  }
  ctx.set("checkpointing", bool(v, ctx.fileName, key), key);
};

/** `activation_offloading: true | false | legacy | disk | hidden_states`. */
const activationOffloading: Handler = (v, key, ctx) => {
  if (typeof v === "string" && ["legacy", "disk", "hidden_states"].includes(v.trim().toLowerCase())) {
    ctx.set("checkpoint_offload", true, key);
    return;
  }
  ctx.set("checkpoint_offload", bool(v, ctx.fileName, key), key);
};

/** `adapter: lora | qlora`; unset = full fine-tuning. */
const adapter: Handler = (v, key, ctx) => {
  const a = str(v, ctx.fileName, key).trim().toLowerCase();
  if (a === "lora" || a === "qlora") ctx.set("finetuning", a, key);
  else ctx.unmodelled(key, v, `adapter '${a}' is not modelled (vramfit knows lora and qlora)`);
};

/**
 * `bf16: auto | true | false`. axolotl loads the model in bf16 when bf16 is on (utils/config/__init__.py L191–196)
 * and Trainer autocasts on top: full fine-tuning keeps bf16 weights, grads and AdamW states (vramfit "bf16");
 * LoRA adapters stay fp32 (PEFT's autocast_adapter_dtype).
 */
const bf16: Handler = (v, key, ctx) => {
  if (isAuto(v)) {
    ctx.set("precision", "bf16", key);
    ctx.note(`${key} is "auto": bf16 on Ampere or newer GPUs, fp32 before`);
    return;
  }
  if (bool(v, ctx.fileName, key)) ctx.set("precision", "bf16", key);
  else ctx.ignore(key);
};

const fp16: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("precision", "amp-fp16", key, 2);
  else ctx.ignore(key);
};

const ligerKernel = (fused: boolean): Handler =>
  whenTrue((key, ctx) => {
    ctx.set("liger", true, key, 0);
    if (fused) ctx.set("loss", "fused-linear", key);
  });

const plugins: Handler = (v, key, ctx) => {
  for (const p of names(v, ctx.fileName, key)) {
    if (p.endsWith("LigerPlugin")) ctx.keep("liger_plugin", true);
    else if (p.endsWith("CutCrossEntropyPlugin")) ctx.keep("cce_plugin", key);
    else ctx.unmodelled(key, p, `plugin '${p}' is not modelled`);
  }
};

const torchCompile: Handler = (v, key, ctx) => {
  if (isAuto(v)) return ctx.note(`${key} is "auto": compiled when axolotl judges it safe`);
  ctx.set("compile", bool(v, ctx.fileName, key), key);
};

/** Legacy `fsdp: [full_shard, auto_wrap, offload]`. */
const fsdpList: Handler = (v, key, ctx) => {
  for (const w of names(v, ctx.fileName, key).map((s) => s.toLowerCase())) {
    if (w === "full_shard" || w === "shard_grad_op" || w === "hybrid_shard" || w === "no_shard") ctx.set("fsdp_sharding", w, key, 0);
    else if (w === "offload") ctx.set("offload_params", "cpu", key, 0);
    else if (w !== "auto_wrap") ctx.unmodelled(key, w, `FSDP option '${w}' is not modelled`);
  }
};

const chunkedCe: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("loss", "chunked", key);
  else ctx.ignore(key);
};

const cutCe: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("loss", "fused-linear", key, 2);
  else ctx.keep("cce_off", true);
};

const AXOLOTL_TABLE: Table = {
  base_model: (v, key, ctx) => {
    ctx.out.model = str(v, ctx.fileName, key);
  },
  micro_batch_size: intSetting("micro_batch_size"),
  gradient_accumulation_steps: intSetting("grad_accum"),
  sequence_len: intSetting("seq_len"),
  sample_packing: boolSetting("packing"),
  pad_to_sequence_len: boolSetting("pad_to_seq_len"),
  optimizer: hfOptimizerHandler,
  bf16,
  fp16,
  bfloat16: whenTrue((key, ctx) => ctx.set("precision", "bf16", key, 2)),
  float32: whenTrue((key, ctx) => ctx.set("precision", "fp32", key, 2)),
  float16: { unmodelled: "pure fp16 weights without AMP" },
  gradient_checkpointing: gradientCheckpointing,
  activation_offloading: activationOffloading,
  adapter,
  lora_r: intSetting("lora_rank"),
  lora_alpha: numSetting("lora_alpha"),
  lora_dropout: numSetting("lora_dropout", 0, 1),
  lora_target_modules: loraTargetsHandler,
  lora_target_linear: whenTrue((key, ctx) => ctx.set("lora_targets", "all-linear", key, 2)),
  load_in_4bit: boolSetting("load_in_4bit"),
  load_in_8bit: boolSetting("load_in_8bit"),
  "bnb_config_kwargs.bnb_4bit_quant_type": (v, key, ctx) => ctx.set("quant_type", str(v, ctx.fileName, key).toLowerCase(), key),
  "bnb_config_kwargs.bnb_4bit_use_double_quant": boolSetting("double_quant"),
  ...ignoring(["bnb_config_kwargs.llm_int8_has_fp16_weight", "bnb_config_kwargs.bnb_4bit_compute_dtype", "bnb_config_kwargs.bnb_4bit_quant_storage"]),
  attn_implementation: attentionHandler,
  flash_attention: attentionFlag("flash"),
  sdp_attention: attentionFlag("sdpa"),
  eager_attention: attentionFlag("eager"),
  xformers_attention: { unmodelled: "xformers attention" },
  flex_attention: { unmodelled: "flex attention" },
  s2_attention: { unmodelled: "shifted-sparse attention" },
  torch_compile: torchCompile,
  torch_compile_backend: (v, key, ctx) => {
    str(v, ctx.fileName, key);
    ctx.set("compile", true, key, 0);
  },
  torch_compile_mode: "ignored",
  deepspeed: deepspeedReference,
  fsdp: fsdpList,
  fsdp_version: (v, key, ctx) => ctx.set("fsdp_version", int(v, ctx.fileName, key, 1, 2), key),
  ...fsdpConfigTable("fsdp_config"),
  plugins,
  chunked_cross_entropy: chunkedCe,
  chunked_cross_entropy_num_chunks: intSetting("loss_chunks"),
  cut_cross_entropy: cutCe,
  liger_fused_linear_cross_entropy: ligerKernel(true),
  liger_rms_norm: ligerKernel(false),
  liger_glu_activation: ligerKernel(false),
  liger_swiglu: ligerKernel(false),
  liger_rope: ligerKernel(false),
  liger_layer_norm: ligerKernel(false),
  liger_cross_entropy: ligerKernel(false),
  liger_rms_norm_gated: ligerKernel(false),
  ...ignoring([
    "base_model_config",
    "base_model_ignore_patterns",
    "revision_of_model",
    "model_type",
    "tokenizer_type",
    "tokenizer_config",
    "tokenizer_use_fast",
    "tokenizer_legacy",
    "tokenizer_use_mistral_common",
    "processor_type",
    "trust_remote_code",
    "strict",
    "datasets",
    "test_datasets",
    "dataset_prepared_path",
    "dataset_processes",
    "dataset_num_proc",
    "push_dataset_to_hub",
    "shuffle_merged_datasets",
    "val_set_size",
    "output_dir",
    "hub_model_id",
    "hub_strategy",
    "lora_model_dir",
    "lora_fan_in_fan_out",
    "peft_use_rslora",
    "wandb_project",
    "wandb_entity",
    "wandb_watch",
    "wandb_name",
    "wandb_log_model",
    "wandb_run_id",
    "mlflow_tracking_uri",
    "mlflow_experiment_name",
    "use_wandb",
    "use_mlflow",
    "use_tensorboard",
    "num_epochs",
    "max_steps",
    "lr_scheduler",
    "lr_scheduler_kwargs",
    "learning_rate",
    "cosine_min_lr_ratio",
    "weight_decay",
    "adam_beta1",
    "adam_beta2",
    "adam_epsilon",
    "max_grad_norm",
    "warmup_ratio",
    "warmup_steps",
    "evals_per_epoch",
    "eval_steps",
    "saves_per_epoch",
    "save_steps",
    "save_strategy",
    "save_total_limit",
    "save_safetensors",
    "save_only_model",
    "logging_steps",
    "resume_from_checkpoint",
    "auto_resume_from_checkpoints",
    "early_stopping_patience",
    "local_rank",
    "special_tokens",
    "tokens",
    "chat_template",
    "chat_template_jinja",
    "default_system_message",
    "train_on_inputs",
    "group_by_length",
    "tf32",
    "seed",
    "debug",
    "loss_watchdog_threshold",
    "loss_watchdog_patience",
    "eval_sample_packing",
    "eval_sequence_len",
    "eval_table_size",
    "eval_max_new_tokens",
    "sample_packing_group_size",
    "sample_packing_bin_size",
    "sample_packing_sequentially",
    "sample_packing_eff_est",
    "sample_packing_mp_start_method",
    "pad_to_multiple_of",
    "excess_length_strategy",
    "min_sample_len",
    "max_prompt_len",
    "gradient_checkpointing_kwargs",
    "ddp_timeout",
    "ddp_bucket_cap_mb",
    "ddp_broadcast_buffers",
    "ddp_find_unused_parameters",
    "dataloader_pin_memory",
    "dataloader_num_workers",
    "dataloader_prefetch_factor",
    "dataloader_drop_last",
    "gc_steps",
    "is_llama_derived_model",
    "is_mistral_derived_model",
    "is_qwen_derived_model",
    "is_falcon_derived_model",
    "torch_dtype",
    "neftune_noise_alpha",
    "curriculum_sampling",
    "skip_prepare_dataset",
    "dataset_exact_deduplication",
    "streaming",
    "pretraining_dataset",
    "include_tokens_per_second",
    "profiler_steps",
    "fix_untrained_tokens",
    "batch_flattening",
  ]),
  ...unmodelledWhenOn({
    batch_size: "a global batch size: axolotl derives gradient_accumulation_steps from it",
    eval_batch_size: "evaluation batch: the evaluation peak, not the training step",
    auto_find_batch_size: "the batch is halved after each OOM",
    lora_modules_to_save: "modules_to_save trains full copies of those modules",
    lora_target_parameters: "LoRA on raw parameters (MoE experts)",
    peft_use_dora: "DoRA adds a magnitude vector and a weight-norm pass per adapted layer",
    peft_layers_to_transform: "LoRA on a subset of layers",
    peft_layer_replication: "layer replication changes the layer count",
    peft_trainable_token_indices: "trainable token rows of the embedding",
    lora_rank_pattern: "per-module ranks",
    lora_alpha_pattern: "per-module alphas",
    peft_autocast_adapter_dtype: "adapter dtype override (default fp32 adapters)",
    lora_on_cpu: "LoRA weights kept on the CPU while loading",
    unfrozen_parameters: "a partial full fine-tune: only the listed parameters are trainable",
    model_config: "model config overrides",
    overrides_of_model_config: "model config overrides",
    rope_scaling: "RoPE scaling (longer contexts than the model's own)",
    rl: "preference / RL training keeps a reference model and paired sequences",
    reward_model: "reward-model training",
    process_reward_model: "process reward-model training",
    lora_mlp_kernel: "axolotl's LoRA Triton kernels (auto-on for lora/qlora on one GPU) save fewer MLP activations",
    lora_qkv_kernel: "axolotl's LoRA Triton kernels save the QKV input once",
    lora_o_kernel: "axolotl's LoRA Triton kernels",
    lora_embedding_kernel: "axolotl's LoRA embedding kernel",
    selective_checkpointing: "selective checkpointing keeps attention outputs inside checkpointed layers",
    layer_offloading: "model layers offloaded to the CPU between forward and backward",
    gptq: "a GPTQ-quantized base",
    model_quantization_config: "a Mxfp4/FP8 quantized base",
    fp8: "FP8 training (torchao)",
    context_parallel_size: "context parallelism",
    sequence_parallel_degree: "sequence parallelism",
    tensor_parallel_size: "tensor parallelism",
    dp_shard_size: "data-parallel sharding groups",
    fused_attn_kernel: "a fused attention kernel",
    use_kernels: "Hub kernels replace the model's modules",
    unsloth_cross_entropy_loss: "removed in axolotl (use lora_*_kernel)",
    unsloth_lora_mlp: "removed in axolotl (use lora_*_kernel)",
    unsloth_lora_qkv: "removed in axolotl (use lora_*_kernel)",
    unsloth_lora_o: "removed in axolotl (use lora_*_kernel)",
    unsloth_rms_norm: "removed in axolotl",
    unsloth_rope: "removed in axolotl",
    use_eaft: "entropy-aware focal loss",
    qat: "quantization-aware training",
  }),
};

export function readAxolotl(obj: Record<string, unknown>, ctx: Ctx): void {
  walk(obj, AXOLOTL_TABLE, ctx);
  if (ctx.raw.get("cce_plugin") !== undefined && ctx.raw.get("cce_off") === undefined && !ctx.has("loss")) {
    // cut_cross_entropy defaults to true once the plugin is listed (integrations/cut_cross_entropy/args.py L33).
    ctx.set("loss", "fused-linear", String(ctx.raw.get("cce_plugin")!.value), 0);
  }
  if (ctx.raw.get("liger_plugin") !== undefined && !ctx.has("liger")) ctx.note("the Liger plugin is listed but no liger_* kernel is switched on");
  if (!ctx.has("finetuning") && obj.adapter === undefined) ctx.set("finetuning", "full", "adapter", 0);
  if (ctx.get("finetuning") === "full" && obj.adapter === null) ctx.set("finetuning", "full", "adapter", 0);
  if (ctx.get("finetuning") === "lora" && ctx.get("load_in_4bit") === true) ctx.set("finetuning", "qlora", "adapter+load_in_4bit", 2);
  if (ctx.get("packing") === true && !ctx.has("pad_to_seq_len")) {
    ctx.set("pad_to_seq_len", true, "sample_packing", 0);
    ctx.note("sample_packing sets pad_to_sequence_len: true (validation.py L230–241): every micro-batch is micro_batch_size × sequence_len tokens");
  }
}
