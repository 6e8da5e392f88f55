/**
 * Unsloth (docs/frameworks/unsloth.md, unsloth 2026.8.19 / unsloth_zoo 2026.8.13): FastLanguageModel + TRL's
 * SFTTrainer with Unsloth's kernels.
 * - `from_pretrained(load_in_4bit=True, max_seq_length=2048)`: QLoRA by default (loader.py#L412–423);
 * - `get_peft_model(r=16, lora_alpha=16, lora_dropout=0, target_modules=[q,k,v,o,gate,up,down]_proj,
 *   use_gradient_checkpointing="unsloth")` (models/llama.py#L3061–3091): checkpoints offloaded to the CPU;
 * - adapters upcast to fp32 (training_utils.py#L383–385) under bf16 autocast;
 * - the loss is Unsloth's fused cross-entropy (no logits; fp32 chunks of at most 4 GiB);
 * - Unsloth's RMSNorm and fused LoRA MLP/QKV/O autograd functions save less than transformers' modules.
 * `load_in_4bit: false` (library: qlora false) trains 16-bit LoRA; `full_finetuning=True` full fine-tuning.
 */
import { makeTrainingProfile } from "../kit.js";

export const unslothTraining = makeTrainingProfile({
  id: "unsloth",
  label: "Unsloth",
  version: "unsloth 2026.8.19",
  doc: "docs/frameworks/unsloth.md",
  defaults: (_model, given) => {
    const full = given.lora_rank === null && given.qlora !== true;
    const quantized = given.quant !== undefined && given.quant !== null;
    return {
      seq: 2048,
      checkpointing: true,
      activation_offload: given.checkpointing === false ? undefined : true,
      loss: "fused-linear",
      ...(full ? {} : { lora_rank: 16, lora_alpha: 16, lora_dropout: 0, lora_targets: "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", lora_adapter_dtype: "fp32", ...(quantized ? {} : { qlora: true }) }),
    };
  },
  mechanisms: { kernels: { rmsNorm: true, swiglu: false, loraFused: true }, fusedLoss: "unsloth", tritonCe: true },
  notes: () => ['Unsloth loads in 4-bit by default (load_in_4bit=True); use_gradient_checkpointing="unsloth" keeps the layer inputs in CPU memory'],
  levers: ["micro_batch", "adamw_8bit", "paged_adamw_8bit", "qlora"],
});
