/**
 * A change to the estimate's options, written in a configuration file's own keys: `gradient_checkpointing: true` for
 * axolotl, `enable_activation_checkpointing: True` for torchtune, `disable_gradient_checkpointing: false` for
 * LLaMA-Factory, `zero_optimization.stage: 3` for DeepSpeed. A key the file already has keeps its exact path.
 * Key names and values follow each framework's schema (docs/frameworks/<name>.md and config-files/formats/).
 */
import type { ConfigFormat } from "./config-files/index.js";
import type { ConfigWorkload } from "./config-workload.js";

export interface FileEdit {
  file: string;
  /** `key: value` lines to set, in the file's key syntax (dotted for nested keys). */
  lines: string[];
}

type Writer = (value: unknown, cw: ConfigWorkload) => string[] | null;

const yes = (f: ConfigFormat) => (f === "torchtune" ? "True" : "true");
const no = (f: ConfigFormat) => (f === "torchtune" ? "False" : "false");
const bool = (f: ConfigFormat, v: unknown) => (v ? yes(f) : no(f));

/** transformers `optim` / axolotl `optimizer` names for vramfit's optimizers (training_args.py OptimizerNames). */
const HF_OPTIM: Record<string, string> = {
  adamw: "adamw_torch",
  adam: "adamw_torch",
  "adamw-8bit": "adamw_bnb_8bit",
  "paged-adamw-8bit": "paged_adamw_8bit",
  "paged-adamw": "paged_adamw_32bit",
  adafactor: "adafactor",
  sgd: "sgd",
  lion: "lion_32bit",
  adagrad: "adagrad",
  rmsprop: "rmsprop",
};
/** bitsandbytes / torch classes for torchtune and LitGPT `_component_` / class paths. */
const COMPONENT_OPTIM: Record<string, string> = {
  adamw: "torch.optim.AdamW",
  "adamw-8bit": "bitsandbytes.optim.AdamW8bit",
  "paged-adamw-8bit": "bitsandbytes.optim.PagedAdamW8bit",
  "paged-adamw": "bitsandbytes.optim.PagedAdamW",
  sgd: "torch.optim.SGD",
};

/** torchtune's LoRA / QLoRA builder for a full-model builder (torchtune.models.llama3_1.llama3_1_8b → …lora_llama3_1_8b). */
function torchtuneBuilder(component: string | undefined, kind: "lora" | "qlora"): string | null {
  if (!component) return null;
  const m = /^(torchtune\.models\.[a-z0-9_]+)\.(?:q?lora_)?([a-z0-9_]+)$/.exec(component);
  return m ? `${m[1]}.${kind}_${m[2]}` : null;
}

const WRITERS: Record<ConfigFormat, Record<string, Writer>> = {
  axolotl: {
    batch: (v) => [`micro_batch_size: ${v}`],
    grad_accum: (v) => [`gradient_accumulation_steps: ${v}`],
    seq: (v) => [`sequence_len: ${v}`],
    checkpointing: (v) => [`gradient_checkpointing: ${v}`],
    activation_offload: (v) => [`activation_offloading: ${v}`],
    liger: () => ["plugins: [axolotl.integrations.liger.LigerPlugin]", "liger_rms_norm: true", "liger_glu_activation: true", "liger_fused_linear_cross_entropy: true"],
    loss: (v) => (v === "chunked" ? ["chunked_cross_entropy: true"] : v === "fused-linear" ? ["plugins: [axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin]"] : null),
    optimizer: (v) => (HF_OPTIM[String(v)] ? [`optimizer: ${HF_OPTIM[String(v)]}`] : null),
    lora_rank: (v) => (v == null ? null : ["adapter: lora", `lora_r: ${v}`, `lora_alpha: ${2 * Number(v)}`, "lora_target_linear: true"]),
    qlora: (v) => (v ? ["adapter: qlora", "load_in_4bit: true"] : null),
    zero_stage: (v) => [`deepspeed: deepspeed_configs/zero${v}.json`],
    fsdp: () => ["fsdp_version: 2", "fsdp_config: {reshard_after_forward: true}"],
  },
  "llama-factory": {
    batch: (v) => [`per_device_train_batch_size: ${v}`],
    grad_accum: (v) => [`gradient_accumulation_steps: ${v}`],
    seq: (v) => [`cutoff_len: ${v}`],
    checkpointing: (v) => [`disable_gradient_checkpointing: ${v ? "false" : "true"}`],
    activation_offload: (v) => [`use_unsloth_gc: ${v}`],
    liger: (v) => [`enable_liger_kernel: ${v}`],
    optimizer: (v) => (HF_OPTIM[String(v)] ? [`optim: ${HF_OPTIM[String(v)]}`] : null),
    lora_rank: (v) => (v == null ? ["finetuning_type: full"] : ["finetuning_type: lora", `lora_rank: ${v}`]),
    qlora: (v) => (v ? ["finetuning_type: lora", "quantization_bit: 4"] : null),
    zero_stage: (v) => [`deepspeed: examples/deepspeed/ds_z${v}_config.json`],
  },
  torchtune: {
    batch: (v) => [`batch_size: ${v}`],
    grad_accum: (v) => [`gradient_accumulation_steps: ${v}`],
    seq: (v) => [`tokenizer.max_seq_len: ${v}`],
    checkpointing: (v) => [`enable_activation_checkpointing: ${bool("torchtune", v)}`],
    activation_offload: (v) => [`enable_activation_offloading: ${bool("torchtune", v)}`, ...(v ? ["enable_activation_checkpointing: True"] : [])],
    optimizer_in_backward: (v) => [`optimizer_in_bwd: ${bool("torchtune", v)}`],
    optimizer: (v) => (COMPONENT_OPTIM[String(v)] ? [`optimizer._component_: ${COMPONENT_OPTIM[String(v)]}`] : null),
    compile: (v) => [`compile: ${bool("torchtune", v)}`],
    loss: (v) => (v === "chunked" ? ["loss._component_: torchtune.modules.loss.CEWithChunkedOutputLoss"] : null),
    lora_rank: (v, cw) => {
      const b = torchtuneBuilder(cw.model?.component, "lora");
      return v == null || !b ? null : [`model._component_: ${b}`, `model.lora_rank: ${v}`];
    },
    qlora: (v, cw) => {
      const b = torchtuneBuilder(cw.model?.component, "qlora");
      return v && b ? [`model._component_: ${b}`] : null;
    },
  },
  litgpt: {
    batch: (v) => [`train.micro_batch_size: ${v}`],
    seq: (v) => [`train.max_seq_length: ${v}`],
    qlora: (v) => (v ? ["quantize: bnb.nf4-dq"] : null),
    lora_rank: (v) => (v == null ? null : [`lora_r: ${v}`]),
    optimizer: (v) => (COMPONENT_OPTIM[String(v)] ? [`optimizer: ${COMPONENT_OPTIM[String(v)]}`] : null),
  },
  "hf-training-args": {
    batch: (v) => [`per_device_train_batch_size: ${v}`],
    grad_accum: (v) => [`gradient_accumulation_steps: ${v}`],
    seq: (v) => [`max_length: ${v}`],
    checkpointing: (v) => [`gradient_checkpointing: ${v}`],
    activation_offload: (v) => [`activation_offloading: ${v}`],
    liger: (v) => [`use_liger_kernel: ${v}`],
    loss: (v) => (v === "chunked-lm-head" ? ["loss_type: chunked_nll"] : null),
    optimizer: (v) => (HF_OPTIM[String(v)] ? [`optim: ${HF_OPTIM[String(v)]}`] : null),
    lora_rank: (v) => (v == null ? null : ["use_peft: true", `lora_r: ${v}`]),
    qlora: (v) => (v ? ["use_peft: true", "load_in_4bit: true"] : null),
    zero_stage: (v) => [`deepspeed: ds_zero${v}.json`],
  },
  deepspeed: {
    batch: (v) => [`train_micro_batch_size_per_gpu: ${v}`],
    grad_accum: (v) => [`gradient_accumulation_steps: ${v}`],
    zero_stage: (v) => [`zero_optimization.stage: ${v}`],
    offload: (v) => (v === "optimizer" ? ["zero_optimization.offload_optimizer.device: cpu"] : v === "optimizer+params" ? ["zero_optimization.offload_optimizer.device: cpu", "zero_optimization.offload_param.device: cpu"] : null),
  },
  accelerate: {
    zero_stage: (v) => ["distributed_type: DEEPSPEED", `deepspeed_config.zero_stage: ${v}`],
    offload: (v) => (v === "optimizer" ? ["deepspeed_config.offload_optimizer_device: cpu"] : v === "optimizer+params" ? ["deepspeed_config.offload_optimizer_device: cpu", "deepspeed_config.offload_param_device: cpu"] : null),
    fsdp: (v) => ["distributed_type: FSDP", `fsdp_config.fsdp_sharding_strategy: ${String(v).toUpperCase()}`],
    cpu_offload: (v) => [`fsdp_config.fsdp_offload_params: ${v}`],
    gpus: (v) => [`num_processes: ${v}`],
  },
};

const SHARDING = new Set(["zero_stage", "fsdp", "offload", "cpu_offload", "gpus"]);

/** The file a change belongs in: where the option already is, else the launcher (sharding) or the training file. */
function targetFile(option: string, cw: ConfigWorkload): { name: string; format: ConfigFormat } {
  const o = cw.origin[option];
  if (o) return { name: o.file, format: o.format };
  const training = cw.files.find((f) => ["axolotl", "llama-factory", "torchtune", "litgpt", "hf-training-args"].includes(f.format)) ?? cw.files[0];
  if (SHARDING.has(option)) return cw.files.find((f) => f.format === "deepspeed" || f.format === "accelerate") ?? training;
  return training;
}

/** Options whose file key holds exactly the option's value (a switch or a count), so the key can be rewritten in place. */
const IN_PLACE = new Set(["batch", "grad_accum", "seq", "checkpointing", "activation_offload", "compile", "optimizer_in_backward", "gpus"]);

/** The value as the file writes it, at the key the file already uses. */
function atExistingKey(option: string, value: unknown, cw: ConfigWorkload): string | null {
  const o = cw.origin[option];
  if (!o || !IN_PLACE.has(option) || /[+]/.test(o.key)) return null;
  const f = o.format;
  if (typeof value === "boolean") {
    if (o.key === "disable_gradient_checkpointing") return `${o.key}: ${value ? "false" : "true"}`;
    return `${o.key}: ${bool(f, value)}`;
  }
  if (typeof value === "number" && typeof o.value === "number") return `${o.key}: ${value}`;
  return null;
}

/** A patch of estimate options → the edits to make in the files; null when a file cannot express part of it. */
export function fileEdits(patch: Record<string, unknown>, cw: ConfigWorkload): FileEdit[] | null {
  const byFile = new Map<string, string[]>();
  // QLoRA's lines (adapter: qlora, quantization_bit: 4) before the rank's, so a key is written once.
  const entries = Object.entries(patch).sort(([a], [b]) => Number(b === "qlora") - Number(a === "qlora"));
  const keyOf = (line: string) => line.slice(0, line.indexOf(":"));
  for (const [option, value] of entries) {
    // Liger's own keys switch on its fused linear cross-entropy.
    if (option === "loss" && value === "fused-linear" && patch.liger === true) continue;
    const t = targetFile(option, cw);
    const existing = atExistingKey(option, value, cw);
    const lines = existing ? [existing] : WRITERS[t.format][option]?.(value, cw);
    if (!lines) return null;
    const list = byFile.get(t.name) ?? [];
    for (const l of lines) if (!list.some((x) => keyOf(x) === keyOf(l))) list.push(l);
    byFile.set(t.name, list);
  }
  return [...byFile].map(([file, lines]) => ({ file, lines }));
}

/** One line for humans: "train.yaml: gradient_checkpointing: true, micro_batch_size: 2". */
export function describeEdits(edits: readonly FileEdit[]): string {
  return edits.map((e) => `${e.file}: ${e.lines.map((l) => `\`${l}\``).join(", ")}`).join("; ");
}
