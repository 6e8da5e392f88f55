/**
 * transformers TrainingArguments (training_args.py @ 00349ae8), TRL SFTConfig + ModelConfig + ScriptArguments
 * (TRL v1.9.0, 35def3ee) as a JSON or YAML file (`trl sft --config x.yaml`, alignment-handbook recipes, a
 * `TrainingArguments.to_json_string()` dump), and `trainer_state.json`. See docs/frameworks/transformers.md, trl.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import {
  attentionHandler,
  boolSetting,
  dtypeHandler,
  hfOptimizerHandler,
  intSetting,
  keepRaw,
  loraTargetsHandler,
  numSetting,
  whenTrue,
} from "../handlers.js";
import { deepspeedReference } from "./deepspeed.js";
import { bool, fsdpSharding, isAuto, names, str } from "../values.js";
import { fsdpConfigTable } from "./accelerate.js";

/** TrainingArguments `fsdp`: "full_shard auto_wrap offload" or a list of those words. */
const fsdpOption: Handler = (v, key, ctx) => {
  if (v === false || v === "") return ctx.ignore(key);
  const words = names(v, ctx.fileName, key).map((w) => w.toLowerCase());
  for (const w of words) {
    const s = fsdpSharding(w);
    if (s) ctx.set("fsdp_sharding", s, key);
    else if (w === "offload") ctx.set("offload_params", "cpu", key);
    else if (w !== "auto_wrap") ctx.unmodelled(key, w, `FSDP option '${w}' is not modelled`);
  }
};

const compileFlag: Handler = (v, key, ctx) => {
  if (isAuto(v)) return ctx.note(`${key} is "auto": compiled when the framework judges it safe`);
  ctx.set("compile", bool(v, ctx.fileName, key), key);
};

const compileIfSet: Handler = (v, key, ctx) => {
  str(v, ctx.fileName, key);
  ctx.set("compile", true, key, 0);
};

const ligerHandler: Handler = (v, key, ctx) => {
  const on = bool(v, ctx.fileName, key);
  ctx.set("liger", on, key);
  if (on) ctx.set("loss", "fused-linear", key, 0);
};

/** TRL `loss_type`: chunked_nll (default since v1.7.0 unless Liger) | nll | dft. */
const trlLossType: Handler = (v, key, ctx) => {
  const t = str(v, ctx.fileName, key).trim().toLowerCase();
  if (t === "chunked_nll") ctx.set("loss", "chunked-lm-head", key);
  else if (t === "nll" || t === "dft") ctx.set("loss", "standard", key);
  else ctx.unmodelled(key, v, `TRL loss_type '${t}' is not modelled`);
};

const usePeft: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("finetuning", "lora", key, 0);
  else ctx.set("finetuning", "full", key, 0);
};

const quantType: Handler = (v, key, ctx) => {
  const t = str(v, ctx.fileName, key).trim().toLowerCase();
  if (t === "nf4" || t === "fp4") ctx.set("quant_type", t, key);
  else ctx.unmodelled(key, v, `4-bit type '${t}' is not modelled`);
};

/** Keys shared by everything built on TrainingArguments (LLaMA-Factory reuses this table). */
export const TRAINING_ARGS_TABLE: Table = {
  per_device_train_batch_size: intSetting("micro_batch_size"),
  per_gpu_train_batch_size: intSetting("micro_batch_size", 1, 0),
  gradient_accumulation_steps: intSetting("grad_accum"),
  bf16: keepRaw("bf16"),
  fp16: keepRaw("fp16"),
  optim: hfOptimizerHandler,
  adafactor: whenTrue((key, ctx) => ctx.set("optimizer", "adafactor", key, 0)),
  gradient_checkpointing: boolSetting("checkpointing"),
  torch_compile: compileFlag,
  torch_compile_backend: compileIfSet,
  torch_compile_mode: compileIfSet,
  use_liger_kernel: ligerHandler,
  deepspeed: deepspeedReference,
  fsdp: fsdpOption,
  ...fsdpConfigTable("fsdp_config"),
  ...ignoring([
    "output_dir",
    "overwrite_output_dir",
    "do_train",
    "do_eval",
    "do_predict",
    "eval_strategy",
    "evaluation_strategy",
    "eval_steps",
    "eval_delay",
    "eval_on_start",
    "eval_do_concat_batches",
    "prediction_loss_only",
    "learning_rate",
    "weight_decay",
    "adam_beta1",
    "adam_beta2",
    "adam_epsilon",
    "max_grad_norm",
    "num_train_epochs",
    "max_steps",
    "lr_scheduler_type",
    "lr_scheduler_kwargs",
    "warmup_ratio",
    "warmup_steps",
    "log_level",
    "log_level_replica",
    "log_on_each_node",
    "logging_dir",
    "logging_strategy",
    "logging_first_step",
    "logging_steps",
    "logging_nan_inf_filter",
    "save_strategy",
    "save_steps",
    "save_total_limit",
    "save_safetensors",
    "save_on_each_node",
    "save_only_model",
    "restore_callback_states_from_checkpoint",
    "no_cuda",
    "use_mps_device",
    "seed",
    "data_seed",
    "jit_mode_eval",
    "bf16_full_eval",
    "fp16_full_eval",
    "fp16_opt_level",
    "half_precision_backend",
    "fp16_backend",
    "tf32",
    "local_rank",
    "ddp_backend",
    "tpu_num_cores",
    "tpu_metrics_debug",
    "debug",
    "dataloader_drop_last",
    "dataloader_num_workers",
    "dataloader_prefetch_factor",
    "dataloader_pin_memory",
    "dataloader_persistent_workers",
    "past_index",
    "run_name",
    "disable_tqdm",
    "remove_unused_columns",
    "label_names",
    "load_best_model_at_end",
    "metric_for_best_model",
    "greater_is_better",
    "ignore_data_skip",
    "accelerator_config",
    "label_smoothing_factor",
    "group_by_length",
    "length_column_name",
    "report_to",
    "project",
    "trackio_space_id",
    "ddp_find_unused_parameters",
    "ddp_bucket_cap_mb",
    "ddp_broadcast_buffers",
    "ddp_timeout",
    "skip_memory_metrics",
    "push_to_hub",
    "resume_from_checkpoint",
    "hub_model_id",
    "hub_strategy",
    "hub_token",
    "hub_private_repo",
    "hub_always_push",
    "hub_revision",
    "gradient_checkpointing_kwargs",
    "include_inputs_for_metrics",
    "include_for_metrics",
    "include_num_input_tokens_seen",
    "include_tokens_per_second",
    "full_determinism",
    "torchdynamo",
    "ray_scope",
    "optim_target_modules",
    "batch_eval_metrics",
    "average_tokens_across_devices",
    "use_cache",
    "neftune_noise_alpha",
    "mp_parameters",
    "predict_with_generate",
    "generation_max_length",
    "generation_num_beams",
    "generation_config",
    "sortish_sample",
    "use_legacy_prediction_loop",
    "_n_gpu",
    "__cached__setup_devices",
    "world_size",
    "train_batch_size",
    "eval_batch_size",
  ]),
  ...unmodelledWhenOn({
    optim_args: "optimizer arguments are not parsed",
    liger_kernel_config: "a custom Liger kernel selection",
    auto_find_batch_size: "the batch is halved after each OOM until it fits: memory follows the batch that survives",
    torch_empty_cache_steps: "empty_cache() every N steps lowers reserved, not allocated, memory",
    per_device_eval_batch_size: "evaluation batch: the evaluation peak, not the training step",
    per_gpu_eval_batch_size: "evaluation batch: the evaluation peak, not the training step",
    eval_accumulation_steps: "evaluation: the evaluation peak, not the training step",
    use_cpu: "training on the CPU",
    parallelism_config: "tensor / context parallelism sizes",
  }),
};

/** TRL SFTConfig, ModelConfig and ScriptArguments, and alignment-handbook's extras. */
const TRL_TABLE: Table = {
  max_length: intSetting("seq_len"),
  max_seq_length: intSetting("seq_len", 1, 0),
  packing: boolSetting("packing"),
  packing_strategy: keepRaw("packing_strategy"),
  padding_free: boolSetting("padding_free"),
  loss_type: trlLossType,
  activation_offloading: boolSetting("checkpoint_offload"),
  model_name_or_path: (v, key, ctx) => {
    ctx.out.model = str(v, ctx.fileName, key);
  },
  dtype: dtypeHandler,
  torch_dtype: dtypeHandler,
  "model_init_kwargs.dtype": dtypeHandler,
  "model_init_kwargs.torch_dtype": dtypeHandler,
  "model_init_kwargs.attn_implementation": attentionHandler,
  ...ignoring(["model_init_kwargs.trust_remote_code", "model_init_kwargs.revision", "model_init_kwargs.device_map", "model_init_kwargs.use_cache"]),
  attn_implementation: attentionHandler,
  use_peft: usePeft,
  lora_r: intSetting("lora_rank"),
  lora_alpha: numSetting("lora_alpha"),
  lora_dropout: numSetting("lora_dropout", 0, 1),
  lora_target_modules: loraTargetsHandler,
  load_in_4bit: boolSetting("load_in_4bit"),
  load_in_8bit: boolSetting("load_in_8bit"),
  bnb_4bit_quant_type: quantType,
  use_bnb_nested_quant: boolSetting("double_quant"),
  ...ignoring([
    "model_revision",
    "trust_remote_code",
    "lora_task_type",
    "use_rslora",
    "bnb_4bit_quant_storage",
    "dataset_name",
    "dataset_config",
    "dataset_train_split",
    "dataset_test_split",
    "dataset_streaming",
    "dataset_text_field",
    "dataset_kwargs",
    "dataset_num_proc",
    "dataset_mixture",
    "datasets",
    "eos_token",
    "pad_token",
    "chat_template",
    "chat_template_path",
    "truncation_mode",
    "shuffle_dataset",
    "pad_to_multiple_of",
    "eval_packing",
    "completion_only_loss",
    "assistant_only_loss",
    "router_aux_loss_coef",
    "gradient_checkpointing_use_reentrant",
    "ignore_bias_buffers",
    "config",
    "tokenizer_name_or_path",
    "use_liger_kernel_for_model",
  ]),
  ...unmodelledWhenOn({
    use_dora: "DoRA adds a magnitude vector and a weight-norm pass per adapted layer",
    lora_modules_to_save: "modules_to_save trains full copies of those modules",
    lora_target_parameters: "LoRA on raw parameters (MoE experts)",
    use_vllm: "generation with vLLM (RL trainers)",
  }),
};

const HF_TABLE: Table = { ...TRAINING_ARGS_TABLE, ...TRL_TABLE };

/** Keys only TRL (or its CLI configs) has: when one is present the run is a TRL trainer. */
const TRL_ONLY = ["max_length", "max_seq_length", "packing", "padding_free", "loss_type", "activation_offloading", "use_peft", "lora_r", "model_name_or_path", "dataset_name", "dataset_text_field", "completion_only_loss", "assistant_only_loss", "dataset_mixture", "model_init_kwargs"];

/** Precision from bf16 / fp16 and the load dtype (TrainingArguments autocasts over whatever dtype the model has). */
export function finishHfPrecision(ctx: Ctx, framework: "trl" | "transformers" | "llama-factory"): void {
  const bf16 = ctx.raw.get("bf16")?.value as { value: unknown; key: string } | undefined;
  const fp16 = ctx.raw.get("fp16")?.value as { value: unknown; key: string } | undefined;
  const flag = (r: { value: unknown; key: string } | undefined): boolean | "auto" | undefined => {
    if (!r || r.value === null || r.value === undefined) return undefined;
    if (isAuto(r.value)) return "auto";
    return bool(r.value, ctx.fileName, r.key);
  };
  const b = flag(bf16);
  const f = flag(fp16);
  const dtype = ctx.get("dtype");
  if (b === "auto" || f === "auto") ctx.note("bf16/fp16 is \"auto\": resolved at launch from the GPU");
  if (f === true) {
    ctx.set("precision", "amp-fp16", fp16!.key);
  } else if (b === true) {
    // Autocast over bf16-loaded weights keeps bf16 weights, grads and optimizer states (pure bf16 in memory terms).
    ctx.set("precision", dtype === "bf16" && framework !== "llama-factory" ? "bf16" : "amp-bf16", dtype === "bf16" && framework !== "llama-factory" ? `${bf16!.key}+${ctx.out.settings.dtype!.key}` : bf16!.key);
  } else if (b === false || f === false) {
    const key = (b === false ? bf16 : fp16)!.key;
    if (dtype === "bf16" && framework !== "llama-factory") ctx.set("precision", "bf16", `${key}+${ctx.out.settings.dtype!.key}`);
    else if (framework === "trl" && b === undefined) ctx.note("TRL turns bf16 on when bf16 is unset and fp16 is false");
    else ctx.set("precision", "fp32", key);
  } else if (framework === "trl") {
    ctx.note("bf16 unset: TRL defaults it to true (bf16 autocast)");
  }
}

export function readHfArgs(obj: Record<string, unknown>, ctx: Ctx): void {
  if (Array.isArray(obj.log_history)) return readTrainerState(obj, ctx);
  const isTrl = TRL_ONLY.some((k) => Object.prototype.hasOwnProperty.call(obj, k));
  ctx.out.framework = isTrl ? "trl" : "transformers";
  walk(obj, HF_TABLE, ctx);
  finishHfPrecision(ctx, isTrl ? "trl" : "transformers");
  if (ctx.get("load_in_4bit") === true && ctx.get("finetuning") !== "full") ctx.set("finetuning", "qlora", "use_peft+load_in_4bit", 2);
  const strategy = ctx.raw.get("packing_strategy")?.value as { value: unknown; key: string } | undefined;
  if (ctx.get("packing") === true && isTrl) {
    const s = strategy ? str(strategy.value, ctx.fileName, strategy.key) : "bfd";
    if ((s === "bfd" || s === "bfd_split") && !ctx.has("padding_free")) {
      ctx.set("padding_free", true, strategy ? strategy.key : "packing", 0);
      ctx.note("TRL: BFD packing implies padding-free batches (sft_trainer.py L1143)");
    }
  }
  if (strategy) ctx.ignore(strategy.key);
}

/** transformers `trainer_state.json`: only the per-device batch size matters. */
function readTrainerState(obj: Record<string, unknown>, ctx: Ctx): void {
  ctx.out.framework = "transformers";
  for (const [k, v] of Object.entries(obj)) {
    if (k === "train_batch_size" && v !== null) intSetting("micro_batch_size")(v, k, ctx);
    else ctx.ignore(k);
  }
  ctx.note("trainer_state.json records the batch size only: pass the training arguments or the framework's config for the rest");
}
