/**
 * TRL SFTTrainer (docs/frameworks/trl.md, TRL v1.9.0): transformers' Trainer with its own defaults.
 * - `gradient_checkpointing=True` (trl/trainer/base_config.py#L61), `bf16` on unless fp16 (#L105);
 * - a model given by name loads in fp32 (`dtype` defaults to "float32", trainer/utils.py#L1144): fp32 weights under
 *   bf16 autocast = precision amp-bf16 (the engine's default);
 * - `max_length=1024` (sft_config.py#L205);
 * - `loss_type` defaults to chunked_nll since v1.7.0, nll with Liger (sft_config.py#L334–336);
 * - `trl sft` LoRA (ModelConfig, model_config.py#L103–170): r=16, alpha 32, dropout 0.05.
 * Older TRL (before 1.7.0) used the full-vocabulary loss: pass --loss standard.
 */
import { makeTrainingProfile } from "../kit.js";

export const trlTraining = makeTrainingProfile({
  id: "trl",
  label: "TRL SFTTrainer",
  version: "TRL 1.9.0",
  doc: "docs/frameworks/trl.md",
  defaults: (_model, given) => {
    const lora = given.lora_rank != null || given.qlora === true;
    return {
      checkpointing: true,
      seq: 1024,
      // The model loads in fp32 (model_init_kwargs dtype "float32"), frozen LoRA bases included; quantized ones are 4/8-bit.
      ...(given.quant == null && given.qlora !== true && given.precision !== "bf16" ? { dtype: "fp32" } : {}),
      loss: given.liger === true ? "fused-linear" : "chunked-lm-head",
      ...(lora ? { lora_rank: 16, lora_alpha: 32, lora_dropout: 0.05 } : {}),
    };
  },
  notes: (w) => (w.loss === "chunked-lm-head" ? ["TRL ≥ 1.7 computes the loss in 256-token chunks of the lm_head (chunked_nll): no full logits"] : []),
  levers: ["activation_offload", "liger", "adamw_8bit", "lora", "qlora", "zero3"],
});
