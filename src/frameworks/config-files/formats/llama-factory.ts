/**
 * LLaMA-Factory YAML (src/llamafactory/hparams/*.py @ v0.9.5, 7af90952): ModelArguments, DataArguments,
 * FinetuningArguments and transformers' Seq2SeqTrainingArguments in one flat file. See docs/frameworks/llama-factory.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import { boolSetting, intSetting, loraTargetsHandler, negatedBoolSetting, numSetting } from "../handlers.js";
import { attention, bool, int, names, str } from "../values.js";
import { TRAINING_ARGS_TABLE, finishHfPrecision } from "./hf.js";

const finetuningType: Handler = (v, key, ctx) => {
  const t = str(v, ctx.fileName, key).trim().toLowerCase();
  if (t === "lora" || t === "full" || t === "freeze") ctx.set("finetuning", t, key);
  else ctx.unmodelled(key, v, `finetuning_type '${t}' is not modelled`);
};

/** `lora_target: all` = every Linear except lm_head / output layers / vision towers (model_utils/misc.py L28–45). */
const loraTarget: Handler = (v, key, ctx) => {
  const list = names(v, ctx.fileName, key);
  if (list.length === 1 && list[0] === "all") ctx.set("lora_targets", "all-linear", key);
  else loraTargetsHandler(v, key, ctx);
};

const quantizationBit: Handler = (v, key, ctx) => {
  const bits = int(v, ctx.fileName, key, 1, 16);
  if (bits === 4) ctx.set("load_in_4bit", true, key);
  else if (bits === 8) ctx.set("load_in_8bit", true, key);
  else ctx.unmodelled(key, v, `${bits}-bit on-the-fly quantization is not modelled`);
};

const quantizationMethod: Handler = (v, key, ctx) => {
  const m = str(v, ctx.fileName, key).trim().toLowerCase();
  if (m === "bnb" || m === "bitsandbytes") ctx.ignore(key);
  else ctx.unmodelled(key, v, `quantization_method '${m}' is not modelled (vramfit models bitsandbytes)`);
};

/** `flash_attn: auto | disabled | sdpa | fa2 | fa3` (extras/constants.py AttentionFunction). */
const flashAttn: Handler = (v, key, ctx) => {
  const f = str(v, ctx.fileName, key).trim().toLowerCase();
  if (f === "auto") return ctx.note(`${key} is "auto": FlashAttention-2 when installed, else SDPA`);
  if (f === "disabled") return ctx.set("attention", "eager", key);
  const a = attention(f);
  if (a) ctx.set("attention", a, key);
  else ctx.unmodelled(key, v, `attention '${f}' is not modelled`);
};

const stage: Handler = (v, key, ctx) => {
  const s = str(v, ctx.fileName, key).trim().toLowerCase();
  if (s === "sft" || s === "pt") ctx.ignore(key);
  else ctx.unmodelled(key, v, `stage ${s} holds a reference / reward model or paired sequences (not modelled)`);
  ctx.keep("stage", s);
};

const LF_TABLE: Table = {
  ...TRAINING_ARGS_TABLE,
  model_name_or_path: (v, key, ctx) => {
    ctx.out.model = str(v, ctx.fileName, key);
  },
  stage,
  finetuning_type: finetuningType,
  lora_rank: intSetting("lora_rank"),
  lora_alpha: numSetting("lora_alpha"),
  lora_dropout: numSetting("lora_dropout", 0, 1),
  lora_target: loraTarget,
  pure_bf16: (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) ctx.set("precision", "bf16", key, 3);
    else ctx.ignore(key);
  },
  quantization_bit: quantizationBit,
  quantization_method: quantizationMethod,
  quantization_type: (v, key, ctx) => {
    const t = str(v, ctx.fileName, key).trim().toLowerCase();
    if (t === "nf4" || t === "fp4") ctx.set("quant_type", t, key);
    else ctx.unmodelled(key, v, `quantization_type '${t}' is not modelled`);
  },
  double_quantization: boolSetting("double_quant"),
  flash_attn: flashAttn,
  cutoff_len: intSetting("seq_len"),
  packing: boolSetting("packing"),
  neat_packing: (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) ctx.set("packing", true, key, 0);
    else ctx.ignore(key);
  },
  disable_gradient_checkpointing: negatedBoolSetting("checkpointing"),
  use_unsloth_gc: boolSetting("checkpoint_offload"),
  enable_liger_kernel: (v, key, ctx) => {
    const on = bool(v, ctx.fileName, key);
    ctx.set("liger", on, key);
    if (on) ctx.set("loss", "fused-linear", key, 0);
  },
  ...ignoring([
    "trust_remote_code",
    "template",
    "dataset",
    "eval_dataset",
    "dataset_dir",
    "media_dir",
    "max_samples",
    "preprocessing_num_workers",
    "preprocessing_batch_size",
    "overwrite_cache",
    "val_size",
    "eval_num_beams",
    "tokenized_path",
    "streaming",
    "buffer_size",
    "mix_strategy",
    "interleave_probs",
    "train_on_prompt",
    "mask_history",
    "ignore_pad_token_for_loss",
    "plot_loss",
    "include_effective_tokens_per_second",
    "use_reentrant_gc",
    "use_rslora",
    "adapter_name_or_path",
    "cache_dir",
    "use_fast_tokenizer",
    "resize_vocab",
    "split_special_tokens",
    "new_special_tokens",
    "model_revision",
    "low_cpu_mem_usage",
    "infer_backend",
    "infer_dtype",
    "offload_folder",
    "use_cache",
    "hf_hub_token",
    "ms_hub_token",
    "om_hub_token",
    "print_param_status",
    "compute_accuracy",
    "disable_shuffling",
    "tool_format",
    "default_system",
    "enable_thinking",
    "freeze_vision_tower",
    "freeze_multi_modal_projector",
    "freeze_language_model",
    "create_new_adapter",
    "lora_alpha_pattern",
    "loraplus_lr_embedding",
    "pissa_convert",
    "pissa_init",
    "pissa_iter",
    "swanlab_project",
    "swanlab_run_name",
    "export_dir",
    "export_size",
    "export_device",
    "export_legacy_format",
    "report_to",
  ]),
  ...unmodelledWhenOn({
    additional_target: "additional_target trains full copies of those modules (modules_to_save)",
    use_dora: "DoRA adds a magnitude vector and a weight-norm pass per adapted layer",
    use_unsloth: "trains through Unsloth's kernels and fused loss (see docs/frameworks/unsloth.md)",
    upcast_layernorm: "layer norms upcast to fp32",
    upcast_lmhead_output: "lm_head outputs upcast to fp32 (4·T·V before the loss)",
    shift_attn: "shift short attention (LongLoRA)",
    rope_scaling: "RoPE scaling (longer contexts than the model's own)",
    use_galore: "GaLore projects gradients (optimizer states of rank galore_rank)",
    use_apollo: "APOLLO optimizer",
    use_badam: "BAdam trains one block at a time",
    use_muon: "Muon optimizer",
    use_llama_pro: "LLaMA Pro adds trainable layers",
    freeze_trainable_layers: "freeze tuning: only the last N layers train",
    freeze_trainable_modules: "freeze tuning: only these modules train",
    freeze_extra_modules: "freeze tuning: extra trainable modules",
    loraplus_lr_ratio: "LoRA+ (no memory effect by itself)",
    use_kt: "KTransformers CPU/GPU hybrid",
    image_max_pixels: "vision inputs",
    video_max_pixels: "vision inputs",
    block_diag_attn: "block-diagonal 4D attention masks (eager/sdpa materialize seq² masks)",
    ref_model: "a reference model (DPO/PPO/KTO)",
    reward_model: "a reward model (PPO)",
  }),
};

export function readLlamaFactory(obj: Record<string, unknown>, ctx: Ctx): void {
  walk(obj, LF_TABLE, ctx);
  finishHfPrecision(ctx, "llama-factory");
  const ft = ctx.get("finetuning");
  if (ft === undefined) ctx.note("finetuning_type unset: LLaMA-Factory's default is lora");
  if ((ft === "lora" || ft === undefined) && ctx.get("load_in_4bit") === true) ctx.set("finetuning", "qlora", "finetuning_type+quantization_bit", 2);
  if (!ctx.has("checkpointing")) ctx.note("disable_gradient_checkpointing unset: LLaMA-Factory enables gradient checkpointing by default");
  if (ctx.get("precision") === "amp-bf16") {
    ctx.note("LLaMA-Factory upcasts trainable parameters to fp32 unless pure_bf16 (model/adapter.py L316–325)");
  }
}
