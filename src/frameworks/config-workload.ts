/**
 * A training configuration as read by readTrainingConfig (config-files/) → the options of one estimate, with the
 * file key each option came from, so that advice can be phrased in the file's own keys. Several files can describe
 * one job (an axolotl YAML with its DeepSpeed JSON, a TRL recipe launched by an accelerate config): the framework
 * comes from the training file, the sharding and the number of processes from the launcher's.
 * Pure: no I/O. The model named in the file is resolved by the caller (CLI: the readers; web: catalog or Hub).
 */
import { VramfitError } from "../core/errors.js";
import { findCatalogModel, catalogModelEntries } from "../catalog/models.js";
import type { ConfigFormat, SettingValue, TrainingConfigRead, TrainingSetting } from "./config-files/index.js";

/** A vramfit option as set by a file: its value, and the file and key it came from. */
export interface OptionFromFile {
  value: unknown;
  file: string;
  format: ConfigFormat;
  key: string;
}

export interface ConfigWorkload {
  /** The training profile to use (transformers for DeepSpeed / FSDP / accelerate alone). */
  framework: string;
  /** estimate() options: mode train and every setting the files state. */
  options: Record<string, unknown>;
  /** Where each option came from. */
  origin: Record<string, OptionFromFile>;
  /** The model named by the files (HF id, path, or torchtune builder). */
  model?: { spec: string; file: string; key: string; component?: string };
  /** Keys that change memory but vramfit does not model, with why (from every file). */
  unmodelled: { file: string; key: string; why: string }[];
  /** Lines worth saying: values the file defers, settings read but not used. */
  notes: string[];
  /** The files, in the order given, with their formats. */
  files: { name: string; format: ConfigFormat; framework: string }[];
}

const TRAINING_FORMATS: ConfigFormat[] = ["axolotl", "llama-factory", "torchtune", "litgpt", "hf-training-args"];
const LAUNCHER_SETTINGS = new Set<TrainingSetting>(["zero_stage", "offload_optimizer", "offload_params", "fsdp_sharding", "fsdp_version", "num_processes", "num_machines", "reduce_bucket_size", "allgather_bucket_size", "overlap_comm", "contiguous_gradients", "sub_group_size", "prefetch_bucket_size", "param_persistence_threshold", "max_live_parameters", "max_reuse_distance"]);
/** Settings read but not (yet) used by the estimate: named so the user knows. */
const READ_NOT_USED: Partial<Record<TrainingSetting, string>> = {
  fsdp_version: "FSDP version: both shard the same states per GPU here",
  loss_chunks: "the number of loss chunks changes only a transient here",
  quant_type: "fp4 and nf4 take the same memory",
  reduce_bucket_size: "DeepSpeed buckets: transformers' \"auto\" sizes from the hidden size are assumed",
  allgather_bucket_size: "DeepSpeed buckets: the engine default is assumed",
  overlap_comm: "DeepSpeed overlap_comm: not modelled",
  contiguous_gradients: "DeepSpeed contiguous_gradients: not modelled",
  sub_group_size: "DeepSpeed sub_group_size: not modelled",
  prefetch_bucket_size: "ZeRO-3 prefetch bucket: transformers' \"auto\" size is assumed",
  param_persistence_threshold: "ZeRO-3 persistence threshold: transformers' \"auto\" value is assumed",
  max_live_parameters: "ZeRO-3 max live parameters: the default is assumed",
  max_reuse_distance: "ZeRO-3 max reuse distance: not modelled",
};

function framework(read: TrainingConfigRead): string {
  switch (read.framework) {
    case "deepspeed":
    case "fsdp":
    case "accelerate":
      return "transformers";
    default:
      return read.framework;
  }
}

/** The options of one estimate from one or more configuration files read together. */
export function configWorkload(reads: readonly { read: TrainingConfigRead; file: string }[]): ConfigWorkload {
  if (reads.length === 0) throw new VramfitError("invalid_option", "no configuration file given");
  const main = reads.find((r) => TRAINING_FORMATS.includes(r.read.format)) ?? reads[0];
  const out: ConfigWorkload = {
    framework: framework(main.read),
    options: { mode: "train" },
    origin: {},
    unmodelled: [],
    notes: [],
    files: reads.map((r) => ({ name: r.file, format: r.read.format, framework: r.read.framework })),
  };
  // Launcher files first, so the training file's own keys win everywhere but for sharding.
  const ordered = [...reads.filter((r) => r !== main), main];
  const settings = new Map<TrainingSetting, { value: SettingValue; key: string; file: string; format: ConfigFormat }>();
  for (const r of ordered) {
    for (const [k, s] of Object.entries(r.read.settings) as [TrainingSetting, { value: SettingValue; key: string }][]) {
      const launcher = r !== main && LAUNCHER_SETTINGS.has(k);
      if (settings.has(k) && r === main && LAUNCHER_SETTINGS.has(k) && settings.get(k)!.file !== main.file) continue;
      if (settings.has(k) && !launcher && r !== main) continue;
      settings.set(k, { ...s, file: r.file, format: r.read.format });
    }
    for (const u of r.read.unmodelled) out.unmodelled.push({ file: r.file, key: u.key, why: u.why });
    for (const n of r.read.notes) out.notes.push(reads.length > 1 ? `${r.file}: ${n}` : n);
  }
  const set = (option: string, value: unknown, from: TrainingSetting) => {
    const s = settings.get(from)!;
    out.options[option] = value;
    out.origin[option] = { value, file: s.file, format: s.format, key: s.key };
  };
  const get = (k: TrainingSetting) => settings.get(k)?.value;
  const has = (k: TrainingSetting) => settings.has(k);

  if (has("micro_batch_size")) set("batch", get("micro_batch_size"), "micro_batch_size");
  if (has("grad_accum")) set("grad_accum", get("grad_accum"), "grad_accum");
  if (has("seq_len")) set("seq", get("seq_len"), "seq_len");
  if (has("packing")) set("packing", get("packing"), "packing");
  if (get("padding_free") === true) set("seq_padding", "padding-free", "padding_free");
  else if (get("pad_to_seq_len") === true) set("seq_padding", "fixed", "pad_to_seq_len");
  if (has("precision")) set("precision", get("precision"), "precision");
  if (has("dtype")) set("dtype", get("dtype"), "dtype");
  for (const k of ["optimizer", "optimizer_impl", "optimizer_in_backward", "checkpointing", "lora_alpha", "lora_dropout", "lora_targets", "double_quant", "compile", "liger", "attention", "loss"] as const) {
    if (has(k)) set(k, get(k), k);
  }
  if (has("checkpoint_offload")) set("activation_offload", get("checkpoint_offload"), "checkpoint_offload");
  const ft = get("finetuning");
  const lora = ft === "lora" || ft === "qlora" || has("lora_rank");
  if (ft === "full") {
    set("lora_rank", null, "finetuning");
    set("qlora", false, "finetuning");
  } else if (ft === "freeze") {
    const s = settings.get("finetuning")!;
    out.unmodelled.push({ file: s.file, key: s.key, why: "freeze fine-tuning (a few trainable layers) is estimated as full fine-tuning" });
    set("lora_rank", null, "finetuning");
  }
  if (lora && has("lora_rank")) set("lora_rank", get("lora_rank"), "lora_rank");
  if (get("load_in_4bit") === true) {
    if (lora || ft === undefined) set("qlora", true, "load_in_4bit");
    else set("quant", "nf4", "load_in_4bit");
  } else if (get("load_in_4bit") === false && !has("load_in_8bit")) {
    set("qlora", false, "load_in_4bit");
  }
  if (ft === "qlora" && out.options.qlora === undefined && get("load_in_8bit") !== true) set("qlora", true, "finetuning");
  if (get("load_in_8bit") === true) set("quant", "int8", "load_in_8bit");
  if (has("zero_stage")) set("zero_stage", get("zero_stage"), "zero_stage");
  if (has("fsdp_sharding")) set("fsdp", get("fsdp_sharding"), "fsdp_sharding");
  const offOpt = get("offload_optimizer");
  const offParams = get("offload_params");
  if (offParams !== undefined && offParams !== "none") set("offload", "optimizer+params", "offload_params");
  else if (offOpt !== undefined && offOpt !== "none") set("offload", "optimizer", "offload_optimizer");
  if (offOpt === "nvme" || offParams === "nvme") out.notes.push("NVMe offload: the GPU side is the same as CPU offload; the states live on NVMe");
  const procs = get("num_processes");
  if (typeof procs === "number" && procs >= 1) {
    const s = settings.get("num_processes")!;
    out.options.gpus = procs;
    out.origin.gpus = { value: procs, file: s.file, format: s.format, key: s.key };
  }
  for (const [k, why] of Object.entries(READ_NOT_USED) as [TrainingSetting, string][]) {
    const s = settings.get(k);
    if (s) out.notes.push(`${s.key} read but not used: ${why}`);
  }
  if (out.options.seq === undefined) out.notes.push("the file sets no sequence length: the model's default (up to 4096 tokens) is assumed; the longest sequence in your data sets the peak");
  if (main.read.modelComponent) out.model = { spec: main.read.modelComponent, file: main.file, key: "model._component_", component: main.read.modelComponent };
  else {
    const withModel = [main, ...reads.filter((r) => r !== main)].find((r) => r.read.model);
    if (withModel) out.model = { spec: withModel.read.model!, file: withModel.file, key: modelKeyOf(withModel.read.format), ...(withModel.read.modelComponent ? { component: withModel.read.modelComponent } : {}) };
  }
  return out;
}

function modelKeyOf(format: ConfigFormat): string {
  switch (format) {
    case "axolotl":
      return "base_model";
    case "litgpt":
      return "checkpoint_dir";
    case "torchtune":
      return "checkpointer.checkpoint_dir";
    default:
      return "model_name_or_path";
  }
}

/** torchtune model builders → catalog families (torchtune/models/<family>/_model_builders.py). */
const TORCHTUNE_FAMILIES: Record<string, string> = {
  llama2: "llama-2",
  llama3: "llama-3",
  llama3_1: "llama-3.1",
  llama3_2: "llama-3.2",
  llama3_3: "llama-3.3",
  mistral: "mistral",
  gemma: "gemma",
  gemma2: "gemma-2",
  qwen2: "qwen2",
  qwen2_5: "qwen2.5",
  qwen3: "qwen3",
  phi3: "phi-3",
  phi4: "phi-4",
};

/** A catalog id for a torchtune builder (torchtune.models.llama3_1.lora_llama3_1_8b → llama-3.1-8b), if the catalog has it. */
export function catalogIdForTorchtune(component: string): string | undefined {
  const m = /^torchtune\.models\.([a-z0-9_]+)\.(?:q?lora_)?([a-z0-9_]+)$/.exec(component.trim());
  if (!m) return undefined;
  const fam = TORCHTUNE_FAMILIES[m[1]];
  if (!fam || !m[2].startsWith(`${m[1]}_`)) return undefined;
  // The builder is <family>_<size>[_variant]: llama3_1_8b, qwen2_5_0_5b, qwen2_5_7b_instruct, phi3_mini.
  const rest = m[2].slice(m[1].length + 1);
  const sized = /^(\d+(?:_\d+)?)([bm])(?:_|$)/.exec(rest);
  const size = sized ? `${sized[1].replace("_", ".")}${sized[2]}` : undefined;
  // torchtune's Mistral builders are Mistral 7B v0.1 (models/mistral/_model_builders.py).
  const candidates = size ? (fam === "mistral" ? [`${fam}-${size}-v0.1`] : [`${fam}-${size}`]) : /^mini/.test(rest) ? [`${fam}-mini`] : [];
  for (const c of candidates) if (findCatalogModel(c)) return findCatalogModel(c)!.id;
  return undefined;
}

const normalizeName = (s: string) =>
  s
    .toLowerCase()
    .replace(/\/+$/, "")
    .split("/")
    .pop()!
    .replace(/^meta-(?=llama)/, "")
    .replace(/-(hf|instruct|chat|it|base)$/, "")
    .replace(/_/g, "-");

/**
 * A catalog entry with the same model name as a mirror or a local folder (NousResearch/Meta-Llama-3.1-8B,
 * /tmp/Meta-Llama-3.1-8B-Instruct/ → llama-3.1-8b): offline, and said so by the caller.
 */
export function catalogIdByName(spec: string): string | undefined {
  const exact = findCatalogModel(spec);
  if (exact) return exact.id;
  const want = normalizeName(spec);
  if (!want) return undefined;
  for (const e of catalogModelEntries()) {
    if (normalizeName(e.id) === want || (e.hf_id && normalizeName(e.hf_id) === want)) return e.id;
  }
  return undefined;
}
