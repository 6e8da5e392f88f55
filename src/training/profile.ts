/**
 * The training profile: one step of PyTorch training with transformers' modules and PEFT adapters
 * (engine.ts), as the estimator's TrainingProfile. Frameworks (TRL, torchtune, Unsloth, ...) are further
 * profiles beside this one.
 */
import { VramfitError } from "../core/errors.js";
import { isGgufQuant } from "../core/precision.js";
import type { TrainingProfile } from "../core/profile.js";
import { trainingEstimate } from "./engine.js";
import { TRAINING_OPTIONS, type TrainingOptions } from "./options.js";

export const transformersTraining: TrainingProfile<TrainingOptions> = {
  id: "transformers",
  label: "PyTorch + transformers / PEFT (HF Trainer)",
  options: TRAINING_OPTIONS,
  category: (w) => (w.lora_rank || w.qlora ? "lora_qlora" : "llm_training"),
  derive: (w) => ({ effective_batch: w.batch * w.grad_accum * w.gpus }),
  estimate(model, w, gpu) {
    if (w.quant && isGgufQuant(w.quant)) {
      throw new VramfitError("does_not_run", `GGUF quantization '${w.quant}' runs in llama.cpp or Ollama, which do not train`, { suggestion: "train with --qlora, or LoRA on --quant nf4 / int8" });
    }
    return trainingEstimate(model, w, gpu);
  },
  levers: (w) => [
    ...(!w.checkpointing ? [{ change: "activation checkpointing (--checkpointing)", patch: { checkpointing: true } }] : []),
    ...(w.optimizer === "adamw" || w.optimizer === "adam" ? [{ change: "8-bit AdamW (--optimizer adamw-8bit)", patch: { optimizer: "adamw-8bit" } }] : []),
    ...(!w.lora_rank && !w.qlora ? [{ change: "LoRA adapters instead of full fine-tuning (--lora-rank 16)", patch: { lora_rank: 16 } }] : []),
  ],
};
