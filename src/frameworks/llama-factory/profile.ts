/**
 * LLaMA-Factory (docs/frameworks/llama-factory.md, v0.9.5): `llamafactory-cli train x.yaml` on transformers' Trainer.
 * - gradient checkpointing on unless `disable_gradient_checkpointing` (model_args.py#L145);
 * - `finetuning_type: lora` by default: rank 8, alpha 2·rank, dropout 0, `lora_target: all` (every linear but the
 *   head);
 * - the model loads in the compute dtype and trainable parameters are upcast to fp32 (model/adapter.py#L316–325):
 *   fp32 adapters, and fp32 master weights under bf16 autocast for full fine-tuning (amp-bf16), unless `pure_bf16`;
 * - `cutoff_len: 2048`; the SFT collator pads to the longest in the batch, rounded up to a multiple of 8
 *   (train/sft/workflow.py#L60–70);
 * - `use_unsloth_gc` offloads the checkpoints; `enable_liger_kernel` applies Liger with its fused linear CE.
 */
import { makeTrainingProfile } from "../kit.js";

export const llamaFactoryTraining = makeTrainingProfile({
  id: "llama-factory",
  label: "LLaMA-Factory",
  version: "LLaMA-Factory 0.9.5",
  doc: "docs/frameworks/llama-factory.md",
  aliases: ["llamafactory"],
  defaults: (_model, given) => {
    const full = given.lora_rank === null && given.qlora !== true;
    return {
      checkpointing: true,
      precision: "amp-bf16",
      seq: 2048,
      ...(given.liger === true ? { loss: "fused-linear" } : {}),
      ...(full ? {} : { lora_rank: 8, lora_alpha: 2 * (typeof given.lora_rank === "number" ? given.lora_rank : 8), lora_dropout: 0, lora_targets: "all-linear", lora_adapter_dtype: "fp32" }),
    };
  },
  adjust: (w) => (w.packing ? w : { ...w, seq: Math.ceil(w.seq / 8) * 8 }),
  notes: (w) => (w.packing ? [] : ["LLaMA-Factory pads each batch to its longest sequence rounded up to a multiple of 8"]),
  levers: ["activation_offload", "liger", "adamw_8bit", "paged_adamw_8bit", "qlora", "zero3"],
});
