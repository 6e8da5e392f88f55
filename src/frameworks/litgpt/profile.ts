/**
 * LitGPT `finetune_lora` / `finetune_full` (docs/frameworks/litgpt.md, v0.5.13), with its own model code:
 * - every config_hub/finetune YAML trains with `precision: bf16-true` (pure bf16: weights, adapters, grads and AdamW
 *   states); `bf16-mixed` is fp32 parameters under autocast;
 * - the lm_head runs in 128-position chunks and `chunked_cross_entropy` (utils.py#L302–331) keeps every chunk's
 *   logits and its log-softmax output — in bf16 under bf16-true, fp32 under autocast;
 * - no activation checkpointing on one device, every Block checkpointed under FSDP on several;
 * - LoRA flags lora_query/lora_value on (r=8, alpha 16, dropout 0.05), slices of the fused QKV (lora.ts);
 * - with `quantize: bnb.nf4*` the optimizer becomes bitsandbytes PagedAdamW (32-bit, paged; utils.py#L619–633);
 * - on several devices gradient accumulation runs under `fabric.no_backward_sync(model, enabled=is_accumulating)`
 *   (finetune/full.py#L281, finetune/lora.py#L354 at v0.5.13): FSDP's no_sync (full: FSDPStrategy) or
 *   set_requires_gradient_sync(False) (LoRA: ModelParallelStrategy), so gradients stay unsharded until the sync.
 *   Lit-GPT before the ModelParallelStrategy (e.g. commit 8641822, 2023) ran LoRA under FSDPStrategy, whose
 *   use_orig_params=True (Lightning's default on torch ≥ 2.0) gives frozen weights gradients: --fsdp-use-orig-params on.
 */
import { makeTrainingProfile } from "../kit.js";
import { litgptLoraPlan } from "./lora.js";

/** LitGPT's `lm_head_chunk_size=128` (finetune/lora.py#L355–358). */
export const LITGPT_LM_HEAD_CHUNK = 128;

export const litgptTraining = makeTrainingProfile({
  id: "litgpt",
  label: "LitGPT",
  version: "LitGPT 0.5.13",
  doc: "docs/frameworks/litgpt.md",
  defaults: (_model, given) => {
    const lora = given.lora_rank != null || given.qlora === true;
    const precision = (given.precision as string | undefined) ?? "bf16";
    return {
      precision: "bf16",
      loss: "chunked",
      // One device: no checkpointing; FSDP over several (ModelParallelStrategy / FSDPStrategy) checkpoints every Block.
      checkpointing: typeof given.gpus === "number" && given.gpus > 1,
      fsdp_no_sync: typeof given.gpus === "number" && given.gpus > 1,
      ...(given.qlora === true ? { optimizer: "paged-adamw" } : {}),
      ...(lora ? { lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_targets: "query,value", lora_adapter_dtype: precision === "bf16" ? "bf16" : "fp32" } : {}),
    };
  },
  mechanisms: { chunkedCompiled: false, chunkedUpcast: "autocast", chunkedTokens: LITGPT_LM_HEAD_CHUNK, loraPlan: litgptLoraPlan },
  notes: (w) => (w.loss === "chunked" ? [`LitGPT computes the lm_head in ${LITGPT_LM_HEAD_CHUNK}-token chunks and a chunked cross-entropy (${w.precision === "bf16" ? "bf16" : "fp32"} log-softmax)`] : []),
  levers: ["qlora", "lora", "micro_batch", "fsdp"],
});
