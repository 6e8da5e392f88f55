/**
 * DeepSpeed JSON (deepspeed/runtime/zero/config.py, offload_config.py, runtime/config.py @ v0.19.5, cf443004).
 * See docs/frameworks/deepspeed.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import { applyOptimizer, boolSetting, deferred, intSetting } from "../handlers.js";
import { bool, deepspeedOptimizer, int, isAuto, str } from "../values.js";

function offloadDevice(setting: "offload_optimizer" | "offload_params"): Handler {
  return (v, key, ctx) => {
    const d = str(v, ctx.fileName, key).trim().toLowerCase();
    if (d !== "none" && d !== "cpu" && d !== "nvme") {
      ctx.unmodelled(key, v, `offload device '${d}' is not one of none, cpu, nvme`);
      return;
    }
    ctx.set(setting, d, key);
  };
}

function precisionFlag(kind: "bf16" | "fp16"): Handler {
  return (v, key, ctx) => {
    if (isAuto(v)) return deferred(key, ctx);
    // DeepSpeed bf16/fp16: 16-bit params and grads on the GPU, fp32 master weights + Adam states inside the
    // (partitioned) optimizer — the ZeRO paper's 2 + 2 + 12 bytes per parameter.
    if (bool(v, ctx.fileName, key)) ctx.set("precision", kind === "bf16" ? "amp-bf16" : "amp-fp16", key);
    else ctx.ignore(key);
  };
}

const legacyCpuOffload: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("offload_optimizer", "cpu", key, 0);
  else ctx.ignore(key);
};

const legacyCpuOffloadParams: Handler = (v, key, ctx) => {
  if (bool(v, ctx.fileName, key)) ctx.set("offload_params", "cpu", key, 0);
  else ctx.ignore(key);
};

const optimizerType: Handler = (v, key, ctx) => {
  if (isAuto(v)) return deferred(key, ctx);
  applyOptimizer(deepspeedOptimizer(str(v, ctx.fileName, key)), key, v, ctx);
};

const Z = "zero_optimization";

/** Keys of a DeepSpeed config, relative to its root. */
export const DEEPSPEED_TABLE: Table = {
  train_micro_batch_size_per_gpu: intSetting("micro_batch_size"),
  gradient_accumulation_steps: intSetting("grad_accum"),
  ...ignoring([
    "train_batch_size",
    "gradient_clipping",
    "steps_per_print",
    "wall_clock_breakdown",
    "zero_allow_untested_optimizer",
    "zero_force_ds_cpu_optimizer",
    "prescale_gradients",
    "gradient_predivide_factor",
    "sparse_gradients",
    "dump_state",
    "memory_breakdown",
    "scheduler",
    "optimizer.params",
    "fp16.loss_scale",
    "fp16.loss_scale_window",
    "fp16.initial_scale_power",
    "fp16.hysteresis",
    "fp16.consecutive_hysteresis",
    "fp16.min_loss_scale",
    "fp16.auto_cast",
    "bf16.immediate_grad_update",
    "flops_profiler",
    "tensorboard",
    "wandb",
    "csv_monitor",
    "comms_logger",
    "checkpoint",
    "elasticity",
    "seed",
    "tensor_parallel",
    "amp.opt_level",
  ]),
  "fp16.enabled": precisionFlag("fp16"),
  "bf16.enabled": precisionFlag("bf16"),
  "bfloat16.enabled": precisionFlag("bf16"),
  "optimizer.type": optimizerType,
  compile: { unmodelled: "DeepSpeed compile fuses what eager PyTorch saves (not modelled)" },
  [`${Z}.stage`]: (v, key, ctx) => ctx.set("zero_stage", int(v, ctx.fileName, key, 0, 3), key),
  [`${Z}.offload_optimizer.device`]: offloadDevice("offload_optimizer"),
  [`${Z}.offload_param.device`]: offloadDevice("offload_params"),
  [`${Z}.cpu_offload`]: legacyCpuOffload,
  [`${Z}.cpu_offload_params`]: legacyCpuOffloadParams,
  [`${Z}.reduce_bucket_size`]: intSetting("reduce_bucket_size", 0),
  [`${Z}.allgather_bucket_size`]: intSetting("allgather_bucket_size", 0),
  [`${Z}.overlap_comm`]: boolSetting("overlap_comm"),
  [`${Z}.contiguous_gradients`]: boolSetting("contiguous_gradients"),
  [`${Z}.sub_group_size`]: intSetting("sub_group_size", 0),
  [`${Z}.stage3_prefetch_bucket_size`]: intSetting("prefetch_bucket_size", 0),
  [`${Z}.prefetch_bucket_size`]: intSetting("prefetch_bucket_size", 0),
  [`${Z}.stage3_param_persistence_threshold`]: intSetting("param_persistence_threshold", 0),
  [`${Z}.param_persistence_threshold`]: intSetting("param_persistence_threshold", 0),
  [`${Z}.stage3_max_live_parameters`]: intSetting("max_live_parameters", 0),
  [`${Z}.max_live_parameters`]: intSetting("max_live_parameters", 0),
  [`${Z}.stage3_max_reuse_distance`]: intSetting("max_reuse_distance", 0),
  [`${Z}.max_reuse_distance`]: intSetting("max_reuse_distance", 0),
  ...ignoring([
    `${Z}.offload_optimizer.pin_memory`,
    `${Z}.offload_optimizer.nvme_path`,
    `${Z}.offload_optimizer.buffer_count`,
    `${Z}.offload_optimizer.fast_init`,
    `${Z}.offload_optimizer.pipeline_read`,
    `${Z}.offload_optimizer.pipeline_write`,
    `${Z}.offload_param.pin_memory`,
    `${Z}.offload_param.nvme_path`,
    `${Z}.offload_param.buffer_count`,
    `${Z}.offload_param.buffer_size`,
    `${Z}.offload_param.max_in_cpu`,
    `${Z}.allgather_partitions`,
    `${Z}.reduce_scatter`,
    `${Z}.round_robin_gradients`,
    `${Z}.stage3_gather_16bit_weights_on_model_save`,
    `${Z}.gather_16bit_weights_on_model_save`,
    `${Z}.stage3_gather_fp16_weights_on_model_save`,
    `${Z}.elastic_checkpoint`,
    `${Z}.load_from_fp32_weights`,
    `${Z}.ignore_unused_parameters`,
    `${Z}.legacy_stage1`,
    `${Z}.use_multi_rank_bucket_allreduce`,
    `${Z}.log_trace_cache_warnings`,
    `${Z}.memory_efficient_linear`,
  ]),
  ...unmodelledWhenOn({
    [`${Z}.offload_optimizer.ratio`]: "partial optimizer offload (a fraction of the states stays on the GPU)",
    [`${Z}.zero_hpz_partition_size`]: "ZeRO++ hierarchical partitioning keeps a secondary parameter copy per node",
    [`${Z}.zero_quantized_weights`]: "ZeRO++ quantized weight communication",
    [`${Z}.zero_quantized_gradients`]: "ZeRO++ quantized gradient communication",
    [`${Z}.mics_shard_size`]: "MiCS sharding groups",
    [`${Z}.stage3_module_granularity_threshold`]: "ZeRO-3 module granularity (leaf-module fetching)",
    "activation_checkpointing.partition_activations": "Megatron-style deepspeed.checkpointing (HF models use gradient_checkpointing instead)",
    "activation_checkpointing.cpu_checkpointing": "Megatron-style deepspeed.checkpointing (HF models use gradient_checkpointing instead)",
    "activation_checkpointing.contiguous_memory_optimization": "Megatron-style deepspeed.checkpointing",
    "activation_checkpointing.number_checkpoints": "Megatron-style deepspeed.checkpointing",
    "activation_checkpointing.synchronize_checkpoint_boundary": "Megatron-style deepspeed.checkpointing",
    "activation_checkpointing.profile": "Megatron-style deepspeed.checkpointing",
    "data_types.grad_accum_dtype": "gradient accumulation dtype (fp32 accumulation adds 4 B per trainable parameter)",
    communication_data_type: "communication dtype of the reduce buckets",
    "amp.enabled": "apex AMP (not modelled)",
    pipeline: "pipeline parallelism",
    sequence_parallel_size: "sequence parallelism",
  }),
};

/** Read a DeepSpeed config (at the file root, or nested under `prefix` in another framework's file). */
export function walkDeepspeed(obj: Record<string, unknown>, ctx: Ctx, prefix = ""): void {
  if (prefix === "") return walk(obj, DEEPSPEED_TABLE, ctx);
  const table: Table = {};
  for (const [k, r] of Object.entries(DEEPSPEED_TABLE)) table[`${prefix}.${k}`] = r;
  walk(obj, table, ctx, prefix);
}

export function readDeepspeed(obj: Record<string, unknown>, ctx: Ctx): void {
  walkDeepspeed(obj, ctx);
  if (!ctx.has("zero_stage") && obj.zero_optimization === undefined) ctx.note("no zero_optimization section: ZeRO stage 0 (plain data parallel)");
}

/** A framework key that names a DeepSpeed config: inline object → read it; a path → say it must be read too. */
export const deepspeedReference: Handler = (v, key, ctx) => {
  if (typeof v === "string") {
    ctx.unmodelled(key, v, "points to a DeepSpeed config file: read that file too (--config it as well) for ZeRO stage and offload");
    return;
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    walkDeepspeed(v as Record<string, unknown>, ctx, key);
    return;
  }
  str(v, ctx.fileName, key);
};
