/**
 * accelerate config YAML (`accelerate config` / `accelerate launch --config_file`): accelerate v1.14.0 (beb0672a),
 * src/accelerate/utils/dataclasses.py DeepSpeedPlugin (#L1120+) and FullyShardedDataParallelPlugin (#L1584+);
 * templates in examples/config_yaml_templates/. See docs/frameworks/fsdp.md and deepspeed.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import { boolSetting, intSetting } from "../handlers.js";
import { bool, fsdpSharding, int, str } from "../values.js";

const distributedType: Handler = (v, key, ctx) => {
  const t = str(v, ctx.fileName, key).trim().toUpperCase();
  ctx.keep("distributed_type", t);
  if (t === "FSDP") ctx.out.framework = "fsdp";
  else if (t === "DEEPSPEED") ctx.out.framework = "deepspeed";
  else if (t === "NO" || t === "MULTI_GPU") ctx.out.framework = "transformers";
  else ctx.unmodelled(key, v, `distributed_type ${t} is not modelled (vramfit knows NO, MULTI_GPU, DEEPSPEED, FSDP)`);
};

/** accelerate `mixed_precision`: no | fp16 | bf16 | fp8 (autocast over the loaded weights). */
const mixedPrecision: Handler = (v, key, ctx) => {
  const m = str(v, ctx.fileName, key).trim().toLowerCase();
  if (m === "no") ctx.set("precision", "fp32", key);
  else if (m === "bf16") ctx.set("precision", "amp-bf16", key);
  else if (m === "fp16") ctx.set("precision", "amp-fp16", key);
  else ctx.unmodelled(key, v, `mixed_precision '${m}' is not modelled`);
};

function offloadDevice(setting: "offload_optimizer" | "offload_params"): Handler {
  return (v, key, ctx) => {
    const d = str(v, ctx.fileName, key).trim().toLowerCase();
    if (d === "none" || d === "cpu" || d === "nvme") ctx.set(setting, d, key);
    else ctx.unmodelled(key, v, `offload device '${d}' is not one of none, cpu, nvme`);
  };
}

const sharding: Handler = (v, key, ctx) => {
  const s = fsdpSharding(v);
  if (s) ctx.set("fsdp_sharding", s, key);
  else ctx.unmodelled(key, v, "unknown FSDP sharding strategy");
};

/** FSDP2: reshard_after_forward true = FULL_SHARD, false = SHARD_GRAD_OP. */
const reshardAfterForward: Handler = (v, key, ctx) => {
  if (typeof v === "string" && fsdpSharding(v)) return sharding(v, key, ctx);
  ctx.set("fsdp_sharding", bool(v, ctx.fileName, key) ? "full_shard" : "shard_grad_op", key);
};

const fsdpOffload: Handler = (v, key, ctx) => ctx.set("offload_params", bool(v, ctx.fileName, key) ? "cpu" : "none", key);

/** `fsdp_config` keys, with or without the `fsdp_` prefix (accelerate writes them prefixed; axolotl accepts both). */
export function fsdpConfigTable(prefix: string): Table {
  const t: Table = {};
  const both = (name: string, rule: Table[string]) => {
    t[`${prefix}.fsdp_${name}`] = rule;
    t[`${prefix}.${name}`] = rule;
  };
  both("sharding_strategy", sharding);
  both("reshard_after_forward", reshardAfterForward);
  both("offload_params", fsdpOffload);
  both("version", (v, key, ctx) => ctx.set("fsdp_version", int(v, ctx.fileName, key, 1, 2), key));
  both("activation_checkpointing", boolSetting("checkpointing"));
  both("forward_prefetch", { unmodelled: "forward prefetch keeps one more FSDP unit gathered" });
  both("cpu_offload_pin_memory", "ignored");
  both("mixed_precision_policy", { unmodelled: "a custom FSDP mixed-precision policy" });
  for (const k of [
    "auto_wrap_policy",
    "transformer_layer_cls_to_wrap",
    "min_num_params",
    "backward_prefetch",
    "backward_prefetch_policy",
    "cpu_ram_efficient_loading",
    "state_dict_type",
    "final_state_dict_type",
    "sync_module_states",
    "use_orig_params",
    "limit_all_gathers",
    "activation_cpu_offload",
    "ignored_modules",
  ]) {
    both(k, "ignored");
  }
  return t;
}

const ACCELERATE_TABLE: Table = {
  distributed_type: distributedType,
  mixed_precision: mixedPrecision,
  num_processes: intSetting("num_processes"),
  num_machines: intSetting("num_machines"),
  ...ignoring([
    "compute_environment",
    "debug",
    "downcast_bf16",
    "machine_rank",
    "main_training_function",
    "rdzv_backend",
    "same_network",
    "tpu_env",
    "tpu_use_cluster",
    "tpu_use_sudo",
    "tpu_name",
    "tpu_zone",
    "gpu_ids",
    "enable_cpu_affinity",
    "main_process_ip",
    "main_process_port",
    "commands",
    "command_file",
    "mpirun_config",
    "ipex_config",
    "deepspeed_config.gradient_clipping",
    "deepspeed_config.zero3_init_flag",
    "deepspeed_config.zero3_save_16bit_model",
    "deepspeed_config.deepspeed_multinode_launcher",
    "deepspeed_config.deepspeed_hostfile",
    "deepspeed_config.deepspeed_exclusion_filter",
    "deepspeed_config.deepspeed_inclusion_filter",
    "deepspeed_config.offload_optimizer_nvme_path",
    "deepspeed_config.offload_param_nvme_path",
  ]),
  use_cpu: (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) ctx.unmodelled(key, v, "training on the CPU");
    else ctx.ignore(key);
  },
  dynamo_backend: (v, key, ctx) => ctx.set("compile", str(v, ctx.fileName, key).trim().toUpperCase() !== "NO", key),
  "dynamo_config.dynamo_backend": (v, key, ctx) => ctx.set("compile", str(v, ctx.fileName, key).trim().toUpperCase() !== "NO", key),
  ...ignoring(["dynamo_config.dynamo_mode", "dynamo_config.dynamo_use_fullgraph", "dynamo_config.dynamo_use_dynamic", "dynamo_config.dynamo_use_regional_compilation"]),
  "deepspeed_config.zero_stage": (v, key, ctx) => ctx.set("zero_stage", int(v, ctx.fileName, key, 0, 3), key),
  "deepspeed_config.offload_optimizer_device": offloadDevice("offload_optimizer"),
  "deepspeed_config.offload_param_device": offloadDevice("offload_params"),
  "deepspeed_config.gradient_accumulation_steps": intSetting("grad_accum"),
  "deepspeed_config.deepspeed_config_file": (v, key, ctx) =>
    ctx.unmodelled(key, v, "points to a DeepSpeed config file: read that file too for ZeRO stage and offload"),
  ...fsdpConfigTable("fsdp_config"),
  ...unmodelledWhenOn({
    megatron_lm_config: "Megatron-LM tensor/pipeline parallelism",
    fp8_config: "FP8 training",
    parallelism_config: "tensor / context parallelism sizes",
  }),
};

export function readAccelerate(obj: Record<string, unknown>, ctx: Ctx): void {
  walk(obj, ACCELERATE_TABLE, ctx);
  const dt = ctx.raw.get("distributed_type")?.value;
  if (dt === undefined) ctx.note("no distributed_type: accelerate's default for the machine (NO on one GPU, MULTI_GPU on several)");
  if (dt === "FSDP" && !ctx.has("fsdp_sharding") && ctx.get("fsdp_version") !== 2) {
    ctx.note("fsdp_sharding_strategy not set: accelerate's default FULL_SHARD");
  }
}
