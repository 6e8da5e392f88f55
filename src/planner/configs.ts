/**
 * Ready-to-use engine configurations for a chosen plan: a DeepSpeed JSON config (ZeRO), an `accelerate`
 * config (FSDP or multi-GPU DDP), Megatron-LM arguments (tensor/pipeline parallel), or `vllm serve` flags.
 * Keys follow the engines' documented schemas: DeepSpeed "config-json" (zero_optimization, offload_optimizer,
 * offload_param, stage3_* keys), accelerate's FSDP plugin fields (fsdp_sharding_strategy, fsdp_auto_wrap_policy,
 * fsdp_transformer_layer_cls_to_wrap, fsdp_offload_params, ...), vLLM's engine arguments.
 */
import type { TransformerModel as ModelDescription } from "../core/model.js";
import type { ServingConfig, TrainingConfig } from "./types.js";
import { hfAutoZeroBuffers } from "./zero.js";

export interface EngineConfig {
  kind: "deepspeed" | "accelerate-fsdp" | "accelerate-ddp" | "megatron" | "vllm";
  /** File name to save it as (or "command line"). */
  file: string;
  /** The configuration text, ready to save or paste. */
  text: string;
  /** How to launch it and what the config leaves to the training script. */
  notes: string[];
}

/** transformers' decoder layer class per model_type (what FSDP's TRANSFORMER_BASED_WRAP wraps). */
const LAYER_CLASS: Record<string, string> = {
  llama: "LlamaDecoderLayer",
  mistral: "MistralDecoderLayer",
  mixtral: "MixtralDecoderLayer",
  qwen2: "Qwen2DecoderLayer",
  qwen2_moe: "Qwen2MoeDecoderLayer",
  qwen3: "Qwen3DecoderLayer",
  qwen3_moe: "Qwen3MoeDecoderLayer",
  gemma: "GemmaDecoderLayer",
  gemma2: "Gemma2DecoderLayer",
  gemma3_text: "Gemma3DecoderLayer",
  gemma3: "Gemma3DecoderLayer",
  phi3: "Phi3DecoderLayer",
  gpt2: "GPT2Block",
  deepseek_v3: "DeepseekV3DecoderLayer",
  falcon: "FalconDecoderLayer",
  gpt_oss: "GptOssDecoderLayer",
};

export function decoderLayerClass(model: ModelDescription): string {
  return LAYER_CLASS[model.architecture] ?? `${model.architecture.replace(/(^|_)(\w)/g, (_m, _s, ch: string) => ch.toUpperCase())}DecoderLayer`;
}

export function trainingEngineConfig(model: ModelDescription, c: TrainingConfig): EngineConfig {
  if (c.tp > 1 || c.pp > 1 || c.cp > 1) return megatronArgs(model, c);
  if (c.dataParallel.startsWith("zero")) return deepspeedConfig(model, c);
  return accelerateConfig(model, c);
}

function commonNotes(c: TrainingConfig): string[] {
  const notes: string[] = [];
  if (c.checkpointing) notes.push("turn on gradient checkpointing in the script (model.gradient_checkpointing_enable() / TrainingArguments(gradient_checkpointing=True))");
  if (c.method === "lora") notes.push(`LoRA r=${c.loraRank} on all linear layers: peft LoraConfig(r=${c.loraRank}, target_modules="all-linear")`);
  if (c.method === "qlora") notes.push(`QLoRA: BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_quant_storage=torch.bfloat16) + LoraConfig(r=${c.loraRank}, target_modules="all-linear")`);
  if (c.optimizer === "adamw-8bit") notes.push('8-bit AdamW: TrainingArguments(optim="adamw_bnb_8bit")');
  if (c.precision === "bf16") notes.push("pure bf16: load the model in torch.bfloat16 and train without fp32 master weights");
  return notes;
}

export function deepspeedConfig(model: ModelDescription, c: TrainingConfig): EngineConfig {
  const stage = Number(c.dataParallel.slice(4));
  const h = model.transformer.hidden;
  const auto = hfAutoZeroBuffers(h);
  const zero: Record<string, unknown> = { stage, overlap_comm: true, contiguous_gradients: true, reduce_bucket_size: auto.reduceBucketSize };
  if (stage < 3) zero.allgather_bucket_size = auto.allgatherBucketSize;
  if (stage === 3) {
    zero.stage3_prefetch_bucket_size = auto.prefetchBucketSize;
    zero.stage3_param_persistence_threshold = auto.paramPersistenceThreshold;
    zero.stage3_max_live_parameters = auto.maxLiveParameters;
    zero.stage3_max_reuse_distance = 1e9;
    zero.stage3_gather_16bit_weights_on_model_save = true;
  }
  const target = c.offloadDevice === "nvme" ? { device: "nvme", nvme_path: "/local_nvme", pin_memory: true } : { device: "cpu", pin_memory: true };
  if (c.offload !== "none") zero.offload_optimizer = target;
  if (c.offload === "optimizer+params") zero.offload_param = target;
  const cfg: Record<string, unknown> = {
    train_batch_size: c.microBatch * c.gradAccum * c.dp,
    train_micro_batch_size_per_gpu: c.microBatch,
    gradient_accumulation_steps: c.gradAccum,
    gradient_clipping: 1.0,
    ...(c.precision === "amp-fp16" ? { fp16: { enabled: true, loss_scale: 0, initial_scale_power: 16 } } : c.precision === "fp32" ? {} : { bf16: { enabled: true } }),
    zero_optimization: zero,
  };
  if (c.offload !== "none" && c.method === "full" && c.optimizer === "adamw") cfg.optimizer = { type: "AdamW", params: { lr: "auto", weight_decay: "auto" } };
  return {
    kind: "deepspeed",
    file: "ds_config.json",
    text: JSON.stringify(cfg, null, 2),
    notes: [
      `launch: deepspeed --num_gpus ${c.dp} train.py --deepspeed ds_config.json (or accelerate launch with this file as deepspeed_config_file)`,
      ...(c.offload !== "none" ? ["offload runs the step with DeepSpeedCPUAdam: keep the optimizer AdamW (HF maps it)"] : []),
      ...commonNotes(c),
    ],
  };
}

export function accelerateConfig(model: ModelDescription, c: TrainingConfig): EngineConfig {
  const lines: string[] = ["compute_environment: LOCAL_MACHINE", "debug: false"];
  const mp = c.precision === "amp-fp16" ? "fp16" : c.precision === "fp32" ? "no" : "bf16";
  const machines = Math.max(1, Math.ceil(c.dp / c.gpusPerNode));
  if (c.dataParallel.startsWith("fsdp")) {
    const strategy = c.dataParallel === "fsdp_hybrid" ? "HYBRID_SHARD" : c.dataParallel === "fsdp_grad_op" ? "SHARD_GRAD_OP" : "FULL_SHARD";
    lines.push(
      "distributed_type: FSDP",
      "fsdp_config:",
      "  fsdp_version: 1",
      `  fsdp_sharding_strategy: ${strategy}`,
      "  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP",
      `  fsdp_transformer_layer_cls_to_wrap: ${decoderLayerClass(model)}`,
      "  fsdp_backward_prefetch: BACKWARD_PRE",
      "  fsdp_forward_prefetch: false",
      `  fsdp_offload_params: ${c.offload === "optimizer+params"}`,
      "  fsdp_state_dict_type: SHARDED_STATE_DICT",
      "  fsdp_sync_module_states: true",
      "  fsdp_cpu_ram_efficient_loading: true",
      `  fsdp_use_orig_params: ${c.method !== "full"}`,
      `  fsdp_activation_checkpointing: ${c.checkpointing}`,
    );
  } else {
    lines.push(c.dp > 1 ? "distributed_type: MULTI_GPU" : "distributed_type: 'NO'");
  }
  lines.push(`mixed_precision: ${mp}`, `num_machines: ${machines}`, `num_processes: ${c.dp}`, "machine_rank: 0", "main_training_function: main", "rdzv_backend: static", "same_network: true", "use_cpu: false");
  return {
    kind: c.dataParallel.startsWith("fsdp") ? "accelerate-fsdp" : "accelerate-ddp",
    file: "accelerate_config.yaml",
    text: lines.join("\n") + "\n",
    notes: [
      `launch: accelerate launch --config_file accelerate_config.yaml train.py (per-device batch ${c.microBatch}, gradient_accumulation_steps ${c.gradAccum})`,
      ...(c.dataParallel.startsWith("fsdp") && c.checkpointing ? ["FSDP applies activation checkpointing itself (fsdp_activation_checkpointing): do not also call gradient_checkpointing_enable()"] : []),
      ...commonNotes(c).filter((n) => !(c.dataParallel.startsWith("fsdp") && n.startsWith("turn on gradient checkpointing"))),
    ],
  };
}

export function megatronArgs(_model: ModelDescription, c: TrainingConfig): EngineConfig {
  const args = [
    `--tensor-model-parallel-size ${c.tp}`,
    `--pipeline-model-parallel-size ${c.pp}`,
    ...(c.cp > 1 ? [`--context-parallel-size ${c.cp}`] : []),
    ...(c.tp > 1 ? ["--sequence-parallel"] : []),
    ...(c.ep > 1 ? [`--expert-model-parallel-size ${c.ep}`] : []),
    `--micro-batch-size ${c.microBatch}`,
    `--global-batch-size ${c.microBatch * c.gradAccum * c.dp}`,
    ...(c.checkpointing ? ["--recompute-granularity full", "--recompute-method uniform", "--recompute-num-layers 1"] : []),
    ...(c.dataParallel === "zero1" ? ["--use-distributed-optimizer"] : []),
    ...(c.precision === "amp-fp16" ? ["--fp16"] : c.precision === "fp32" ? [] : ["--bf16"]),
  ];
  return {
    kind: "megatron",
    file: "command line",
    text: args.join(" \\\n  "),
    notes: [`torchrun --nproc_per_node ${Math.min(c.gpusPerNode, c.dp * c.tp * c.pp * c.cp)} pretrain_gpt.py <model args> ${args.slice(0, 2).join(" ")} ...`, ...commonNotes(c).filter((n) => !n.startsWith("turn on gradient checkpointing"))],
  };
}

export function vllmServeFlags(model: ModelDescription, c: ServingConfig, replicas = 1): EngineConfig {
  const flags = [
    `--tensor-parallel-size ${c.tp}`,
    `--max-model-len ${c.maxModelLen}`,
    `--gpu-memory-utilization ${c.gpuMemoryUtilization}`,
    ...(c.quant === "fp8" && model.storedQuant !== "fp8" ? ["--quantization fp8"] : []),
    ...(c.kvDtype === "fp8" ? ["--kv-cache-dtype fp8"] : []),
    ...(c.maxNumSeqs ? [`--max-num-seqs ${c.maxNumSeqs}`] : []),
    ...(c.maxNumBatchedTokens ? [`--max-num-batched-tokens ${c.maxNumBatchedTokens}`] : []),
    ...(c.enforceEager ? ["--enforce-eager"] : []),
  ];
  const name = (c.quant === "awq" || c.quant === "gptq") && model.storedQuant !== c.quant ? `<an ${c.quant.toUpperCase()} checkpoint of ${model.hfId ?? model.id}>` : model.hfId ?? model.id;
  return {
    kind: "vllm",
    file: "command line",
    text: `vllm serve ${name} ${flags.join(" ")}`,
    notes: replicas > 1 ? [`run ${replicas} such servers, one per group of ${c.tp} GPUs (CUDA_VISIBLE_DEVICES), behind a load balancer — or --data-parallel-size ${replicas} in recent vLLM`] : [],
  };
}
