/**
 * torchtune recipes (docs/frameworks/torchtune.md, v0.6.1):
 * - pure bf16: `dtype: bf16` builds the model, adapters, grads and AdamW states in bf16 (no autocast, no fp32
 *   master copy; recipes/lora_finetune_single_device.py#L431);
 * - `CEWithChunkedOutputLoss` (8 chunks, each upcast with `.float()`), compiled with the model when `compile: True`;
 * - every shipped single-device config sets `enable_activation_checkpointing: True`;
 * - LoRA configs: `torch.optim.AdamW(fused=True)`, rank 8, alpha 16, `lora_attn_modules: [q_proj, v_proj,
 *   output_proj]` with `apply_lora_to_mlp: True` (Llama 3.1 8B / 3.2 1B configs);
 * - QLoRA: torchao NF4 base weights (block 64, double-quantized scalers).
 * `enable_activation_offloading` and `optimizer_in_bwd` are the framework's own levers.
 */
import { makeTrainingProfile } from "../kit.js";

export const torchtuneTraining = makeTrainingProfile({
  id: "torchtune",
  label: "torchtune",
  version: "torchtune 0.6.1",
  doc: "docs/frameworks/torchtune.md",
  defaults: (_model, given) => {
    const lora = given.lora_rank != null || given.qlora === true;
    return {
      precision: "bf16",
      loss: "chunked",
      checkpointing: true,
      optimizer_impl: given.optimizer === undefined || given.optimizer === "adamw" || given.optimizer === "adam" ? "fused" : undefined,
      // Adapters are built under the recipe's default dtype (training.set_default_dtype): bf16 with the model.
      ...(lora ? { lora_rank: 8, lora_alpha: 16, lora_targets: "q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", lora_adapter_dtype: given.precision === "fp32" ? "fp32" : "bf16" } : {}),
    };
  },
  // The loss is compiled with the model (training.compile_loss) only when compile is on.
  mechanisms: { chunkedCompiled: false, chunkedUpcast: "always" },
  levers: ["activation_offload", "optimizer_in_backward", "paged_adamw_8bit", "lora", "qlora", "fsdp"],
});
