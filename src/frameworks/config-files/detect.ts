/** Which framework wrote this file: a weighted vote of each format's characteristic keys. */
import type { ConfigFormat } from "./types.js";
import { isPlainObject } from "./values.js";

type Markers = Record<string, number>;

/** Keys that mostly one format uses (5), and keys it shares with others (1). */
const MARKERS: Record<ConfigFormat, Markers> = {
  torchtune: { checkpointer: 5, enable_activation_checkpointing: 5, enable_activation_offloading: 5, optimizer_in_bwd: 5, max_steps_per_epoch: 3, metric_logger: 3, log_peak_memory_stats: 3, batch_size: 1, epochs: 1, dtype: 1, compile: 1 },
  litgpt: { checkpoint_dir: 3, lora_query: 5, lora_value: 3, lora_key: 3, lora_projection: 3, lora_mlp: 3, lora_head: 3, quantize: 2, logger_name: 3, out_dir: 2, devices: 1, num_nodes: 1 },
  accelerate: { distributed_type: 6, compute_environment: 6, main_training_function: 5, machine_rank: 4, num_machines: 3, deepspeed_config: 4, fsdp_config: 1, num_processes: 2, mixed_precision: 2, rdzv_backend: 3, same_network: 3, downcast_bf16: 3, use_cpu: 1 },
  deepspeed: { zero_optimization: 6, train_micro_batch_size_per_gpu: 6, train_batch_size: 3, zero_allow_untested_optimizer: 4, zero_force_ds_cpu_optimizer: 4, steps_per_print: 4, wall_clock_breakdown: 4, gradient_clipping: 2, fp16: 1, bf16: 1, optimizer: 1, scheduler: 1 },
  "llama-factory": { stage: 5, finetuning_type: 6, lora_target: 6, cutoff_len: 6, template: 3, quantization_bit: 5, pure_bf16: 5, flash_attn: 3, lora_rank: 3, max_samples: 3, preprocessing_num_workers: 2, plot_loss: 4, dataset_dir: 3, per_device_train_batch_size: 1, model_name_or_path: 1, output_dir: 1, bf16: 1 },
  axolotl: { base_model: 6, micro_batch_size: 6, sequence_len: 6, sample_packing: 5, adapter: 3, lora_target_linear: 5, lora_model_dir: 4, val_set_size: 4, dataset_prepared_path: 5, num_epochs: 3, wandb_project: 3, pad_to_sequence_len: 5, lora_r: 1, datasets: 1, plugins: 3, evals_per_epoch: 4, saves_per_epoch: 4, special_tokens: 2 },
  "hf-training-args": { per_device_train_batch_size: 3, log_history: 8, global_step: 4, use_peft: 4, max_length: 2, max_seq_length: 2, dataset_name: 2, dataset_text_field: 3, optim: 3, num_train_epochs: 2, model_name_or_path: 2, lora_r: 2, lora_target_modules: 2, output_dir: 1, logging_steps: 1, gradient_checkpointing: 1, learning_rate: 1, dataset_mixture: 3, _n_gpu: 5, eval_strategy: 1, save_strategy: 1 },
};

/** Order used to break ties (more specific formats first). */
const ORDER: ConfigFormat[] = ["torchtune", "litgpt", "accelerate", "deepspeed", "llama-factory", "axolotl", "hf-training-args"];

export function detectFormat(obj: Record<string, unknown>): { format: ConfigFormat; score: number } | undefined {
  const scores = new Map<ConfigFormat, number>();
  for (const f of ORDER) {
    let s = 0;
    for (const [k, w] of Object.entries(MARKERS[f])) if (Object.prototype.hasOwnProperty.call(obj, k)) s += w;
    scores.set(f, s);
  }
  // torchtune's hallmark: components (`model: {_component_: ...}`).
  const components = Object.values(obj).filter((v) => isPlainObject(v) && "_component_" in v).length;
  scores.set("torchtune", scores.get("torchtune")! + 5 * components);
  // LitGPT nests its training loop under `train:` with micro_batch_size / global_batch_size.
  if (isPlainObject(obj.train) && ("global_batch_size" in obj.train || "micro_batch_size" in obj.train)) scores.set("litgpt", scores.get("litgpt")! + 5);
  if (typeof obj.precision === "string" && /-(true|mixed)$/.test(obj.precision)) scores.set("litgpt", scores.get("litgpt")! + 4);
  // DeepSpeed's fp16/bf16 are objects with `enabled`.
  for (const k of ["fp16", "bf16"]) if (isPlainObject(obj[k]) && "enabled" in (obj[k] as object)) scores.set("deepspeed", scores.get("deepspeed")! + 4);
  let best: { format: ConfigFormat; score: number } | undefined;
  for (const f of ORDER) {
    const s = scores.get(f)!;
    if (best === undefined || s > best.score) best = { format: f, score: s };
  }
  return best && best.score >= 3 ? best : undefined;
}
