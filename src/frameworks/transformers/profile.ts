/**
 * transformers Trainer + PEFT, the default training profile (docs/frameworks/transformers.md: transformers 5.x,
 * PEFT v0.20.0). The engine's own defaults are this framework's: the full-vocabulary fp32 loss (ForCausalLMLoss),
 * no checkpointing unless asked (`gradient_checkpointing=False`), AdamW, PEFT adapters in fp32
 * (autocast_adapter_dtype=True). `use_liger_kernel` switches on Liger's kernels with the fused linear cross-entropy.
 * accelerate, DeepSpeed and FSDP launch this same Trainer: they are names for it here, with their sharding given by
 * --zero-stage / --fsdp.
 */
import { makeTrainingProfile } from "../kit.js";
import { TRAINING_OPTIONS } from "../../training/options.js";

export const transformersTraining = makeTrainingProfile({
  id: "transformers",
  label: "transformers Trainer + PEFT",
  version: "transformers 5.x / PEFT 0.20",
  doc: "docs/frameworks/transformers.md",
  // The Trainer under another launcher or library name: PEFT's own scripts, accelerate, DeepSpeed and FSDP
  // (sharding comes from --zero-stage / --fsdp), ms-swift (whose SFT runs a transformers Seq2SeqTrainer).
  aliases: ["peft", "hf", "accelerate", "deepspeed", "fsdp", "ms-swift", "swift"],
  options: TRAINING_OPTIONS,
  defaults: (_model, given) => ({
    // Trainer applies Liger's fused linear cross-entropy with use_liger_kernel (docs/frameworks/trl.md, Liger section).
    ...(given.liger === true ? { loss: "fused-linear" } : {}),
  }),
  levers: ["checkpointing", "liger", "adamw_8bit", "lora", "zero3"],
});
