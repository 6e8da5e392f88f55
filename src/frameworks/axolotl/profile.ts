/**
 * axolotl (docs/frameworks/axolotl.md, v0.18.0): a YAML validated by pydantic schemas, run by transformers' Trainer.
 * - `bf16: auto` loads the model in bf16 (`cfg.torch_dtype = torch.bfloat16`, utils/config/__init__.py#L191–196):
 *   full fine-tuning keeps bf16 weights, grads and AdamW states (pure bf16); LoRA adapters stay fp32 (PEFT) under
 *   bf16 autocast;
 * - `optimizer: adamw_torch_fused`, `gradient_checkpointing: false`, `sequence_len: 512`, `micro_batch_size: 1`;
 * - `chunked_cross_entropy` compiles torchtune's chunked loss (monkeypatch/loss/chunked.py#L74–79); the Cut Cross
 *   Entropy and Liger plugins replace the loss;
 * - LoRA Triton kernels (lora_mlp_kernel / lora_qkv_kernel / lora_o_kernel, Unsloth-derived) are on by default for
 *   LoRA/QLoRA on one GPU, DDP or FSDP2 (config.py#L1901–1990).
 */
import { makeTrainingProfile } from "../kit.js";

export const axolotlTraining = makeTrainingProfile({
  id: "axolotl",
  label: "axolotl",
  version: "axolotl 0.18.0",
  doc: "docs/frameworks/axolotl.md",
  defaults: (_model, given) => {
    const lora = given.lora_rank != null || given.qlora === true;
    return {
      precision: lora ? "amp-bf16" : "bf16",
      seq: 512,
      optimizer_impl: given.optimizer === undefined || given.optimizer === "adamw" ? "fused" : undefined,
      ...(given.liger === true ? { loss: "fused-linear" } : {}),
    };
  },
  mechanisms: (w) => ({
    chunkedCompiled: true,
    // The LoRA kernels stay off under DeepSpeed ZeRO and for 8-bit LoRA (config.py#L1901–1990).
    kernels: { rmsNorm: false, swiglu: false, loraFused: w.zero_stage == null && w.quant !== "int8" },
  }),
  levers: ["checkpointing", "activation_offload", "liger", "chunked_loss", "adamw_8bit", "paged_adamw_8bit", "lora", "qlora", "zero3"],
});
