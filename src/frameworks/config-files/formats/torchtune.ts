/**
 * torchtune recipe YAML (recipes/configs/**, v0.6.1 a6290a5b) and its `key=value` CLI overrides.
 * See docs/frameworks/torchtune.md.
 */
import { Ctx, ignoring, unmodelledWhenOn, walk, type Handler, type Table } from "../engine.js";
import { applyOptimizer, boolSetting, intSetting, numSetting } from "../handlers.js";
import { bool, componentOptimizer, dtypeName, isPlainObject, names, num, str, TORCHTUNE_ATTN_TO_HF } from "../values.js";
import { invalid, parseOverrideValue } from "../parse.js";

/** `model._component_`: torchtune.models.<family>.<builder>; lora_* / qlora_* builders carry adapters. */
const modelComponent: Handler = (v, key, ctx) => {
  const c = str(v, ctx.fileName, key);
  ctx.out.modelComponent = c;
  const builder = c.split(".").pop() ?? c;
  if (builder.startsWith("qlora_")) ctx.set("finetuning", "qlora", key);
  else if (builder.startsWith("lora_")) ctx.set("finetuning", "lora", key);
  else ctx.set("finetuning", "full", key, 0);
  if (builder.startsWith("qlora_")) ctx.set("load_in_4bit", true, key, 0);
};

const dtype: Handler = (v, key, ctx) => {
  const d = dtypeName(str(v, ctx.fileName, key));
  // torchtune trains in the dtype itself: no autocast, no fp32 master copy (set_default_dtype, recipe L431).
  if (d === "bf16") ctx.set("precision", "bf16", key);
  else if (d === "fp32") ctx.set("precision", "fp32", key);
  else ctx.unmodelled(key, v, "torchtune recipes support fp32 and bf16 only");
};

const loss: Handler = (v, key, ctx) => {
  const c = str(v, ctx.fileName, key);
  const name = c.split(".").pop() ?? c;
  if (name === "CEWithChunkedOutputLoss") ctx.set("loss", "chunked", key);
  else if (name === "LinearCrossEntropyLoss") ctx.set("loss", "chunked-lm-head", key);
  else if (name === "CrossEntropyLoss") ctx.set("loss", "standard", key);
  else ctx.unmodelled(key, v, `loss '${c}' is not modelled`);
  if (name === "CEWithChunkedOutputLoss" || name === "LinearCrossEntropyLoss") ctx.set("loss_chunks", 8, key, 0);
};

const datasetPacked: Handler = (v, key, ctx) => ctx.set("packing", bool(v, ctx.fileName, key), key);

/** `dataset:` may also be a list of dataset configs; packed on any of them packs. */
const dataset: Handler = (v, key, ctx) => {
  if (isPlainObject(v)) return walk(v, DATASET_TABLE, ctx, key);
  if (!Array.isArray(v)) throw invalid(ctx.fileName, `${key} must be a mapping or a list of mappings`);
  v.forEach((d, i) => {
    if (isPlainObject(d)) walk(d, DATASET_TABLE, ctx, key);
    else throw invalid(ctx.fileName, `${key}[${i}] must be a mapping`);
  });
};

const DATASET_TABLE: Table = {
  "dataset.packed": datasetPacked,
  ...ignoring([
    "dataset._component_",
    "dataset.source",
    "dataset.data_files",
    "dataset.split",
    "dataset.train_on_input",
    "dataset.column_map",
    "dataset.new_system_prompt",
    "dataset.conversation_column",
    "dataset.conversation_style",
    "dataset.name",
    "dataset.field",
    "dataset.subset",
    "dataset.filter_fn",
    "dataset.masking_strategy",
  ]),
};

const TORCHTUNE_TABLE: Table = {
  "model._component_": modelComponent,
  "model.lora_rank": intSetting("lora_rank"),
  "model.lora_alpha": numSetting("lora_alpha"),
  "model.lora_dropout": numSetting("lora_dropout", 0, 1),
  "model.lora_attn_modules": (v, key, ctx) => ctx.keep("lora_attn_modules", { value: names(v, ctx.fileName, key), key }),
  "model.apply_lora_to_mlp": (v, key, ctx) => ctx.keep("apply_lora_to_mlp", { value: bool(v, ctx.fileName, key), key }),
  "model.apply_lora_to_output": (v, key, ctx) => ctx.keep("apply_lora_to_output", { value: bool(v, ctx.fileName, key), key }),
  "model.quantize_base": (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) {
      ctx.set("finetuning", "qlora", key, 2);
      ctx.set("load_in_4bit", true, key, 0);
    } else ctx.ignore(key);
  },
  "model.use_dora": { unmodelled: "DoRA adds a magnitude vector and a weight-norm pass per adapted layer" },
  "tokenizer.max_seq_len": intSetting("seq_len"),
  ...ignoring(["tokenizer._component_", "tokenizer.path", "tokenizer.merges_file", "tokenizer.prompt_template", "tokenizer.special_tokens_path"]),
  "checkpointer.checkpoint_dir": (v, key, ctx) => {
    ctx.out.model = str(v, ctx.fileName, key);
  },
  ...ignoring([
    "checkpointer._component_",
    "checkpointer.checkpoint_files",
    "checkpointer.recipe_checkpoint",
    "checkpointer.output_dir",
    "checkpointer.model_type",
    "checkpointer.adapter_checkpoint",
    "checkpointer.safe_serialization",
  ]),
  dataset,
  batch_size: intSetting("micro_batch_size"),
  gradient_accumulation_steps: intSetting("grad_accum"),
  "optimizer._component_": (v, key, ctx) => ctx.keep("optimizer_component", { value: str(v, ctx.fileName, key), key }),
  "optimizer.fused": (v, key, ctx) => ctx.keep("optimizer_fused", { value: bool(v, ctx.fileName, key), key }),
  "optimizer.momentum": (v, key, ctx) => ctx.keep("optimizer_momentum", { value: num(v, ctx.fileName, key), key }),
  ...ignoring(["optimizer.lr", "optimizer.weight_decay", "optimizer.betas", "optimizer.eps", "optimizer.amsgrad", "optimizer.foreach", "optimizer.nesterov"]),
  optimizer_in_bwd: boolSetting("optimizer_in_backward"),
  "loss._component_": loss,
  "loss.num_output_chunks": intSetting("loss_chunks"),
  ...ignoring(["loss.ignore_index", "loss.mask_ignored_tokens", "loss.tp_enabled"]),
  compile: boolSetting("compile"),
  dtype,
  enable_activation_checkpointing: boolSetting("checkpointing"),
  enable_activation_offloading: boolSetting("checkpoint_offload"),
  fsdp_cpu_offload: (v, key, ctx) => ctx.set("offload_params", bool(v, ctx.fileName, key) ? "cpu" : "none", key),
  fsdp_reshard_after_forward: (v, key, ctx) => ctx.set("fsdp_sharding", bool(v, ctx.fileName, key) ? "full_shard" : "shard_grad_op", key),
  ...ignoring([
    "output_dir",
    "resume_from_checkpoint",
    "save_adapter_weights_only",
    "seed",
    "shuffle",
    "epochs",
    "max_steps_per_epoch",
    "clip_grad_norm",
    "metric_logger",
    "log_every_n_steps",
    "log_peak_memory_stats",
    "log_level",
    "device",
    "profiler",
    "lr_scheduler",
    "low_cpu_ram",
    "cudnn_deterministic_mode",
    "collate_fn",
    "enable_async_checkpointing",
    "dataset_val",
    "run_val_every_n_steps",
    "save_every_n_steps",
    "keep_last_n_checkpoints",
    "inference",
  ]),
  ...unmodelledWhenOn({
    ac_mode: "selective activation checkpointing",
    ac_option: "selective activation checkpointing",
    custom_sharded_layers: "extra FSDP-sharded layers (embeddings, output)",
    tensor_parallel_dim: "tensor parallelism",
    tensor_parallel_plan: "tensor parallelism",
    context_parallel_dim: "context parallelism",
    data_parallel_shard_dim: "hybrid sharding groups",
    data_parallel_replicate_dim: "hybrid sharding groups",
    ref_model: "a reference model (DPO)",
    teacher_model: "a teacher model (distillation)",
    kd_loss: "a distillation loss over teacher logits",
  }),
};

/** Apply torchtune-style overrides: `a.b=value` sets (YAML-parsed), `~a.b` deletes. */
export function applyOverrides(obj: Record<string, unknown>, overrides: readonly string[], fileName: string): Record<string, unknown> {
  if (!Array.isArray(overrides)) throw invalid(fileName, "overrides must be a list of key=value strings");
  if (overrides.length > 1000) throw invalid(fileName, "too many overrides");
  const root = structuredClone(obj);
  for (const o of overrides) {
    if (typeof o !== "string") throw invalid(fileName, "each override must be a key=value string");
    const del = o.startsWith("~");
    const eq = o.indexOf("=");
    const path = (del ? o.slice(1) : eq < 0 ? o : o.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$/.test(path) || path.length > 300) {
      throw invalid(fileName, `override '${o.slice(0, 80)}' is not key=value with a dotted key`);
    }
    const parts = path.split(".");
    if (parts.some((p) => p === "__proto__" || p === "constructor" || p === "prototype")) throw invalid(fileName, `override key '${path}' is not allowed`);
    if (!del && eq < 0) throw invalid(fileName, `override '${o.slice(0, 80)}' has no '='`);
    let node: Record<string, unknown> = root;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (isPlainObject(next)) node = next;
      else if (del) {
        node = {};
        break;
      } else {
        const fresh: Record<string, unknown> = {};
        node[p] = fresh;
        node = fresh;
      }
    }
    const last = parts[parts.length - 1];
    if (del) delete node[last];
    else node[last] = parseOverrideValue(o.slice(eq + 1), fileName);
  }
  return root;
}

export function readTorchtune(obj: Record<string, unknown>, ctx: Ctx): void {
  walk(obj, TORCHTUNE_TABLE, ctx);
  const comp = ctx.raw.get("optimizer_component")?.value as { value: string; key: string } | undefined;
  if (comp) {
    const fused = (ctx.raw.get("optimizer_fused")?.value as { value: boolean } | undefined)?.value;
    const momentum = (ctx.raw.get("optimizer_momentum")?.value as { value: number } | undefined)?.value;
    applyOptimizer(componentOptimizer(comp.value, fused, momentum), comp.key, comp.value, ctx);
  }
  // LoRA placement: lora_attn_modules (q_proj, k_proj, v_proj, output_proj) + apply_lora_to_mlp (w1, w2, w3) +
  // apply_lora_to_output, in transformers' names (output_proj = o_proj; w1/w3/w2 = gate/up/down; output = lm_head).
  const attn = ctx.raw.get("lora_attn_modules")?.value as { value: string[]; key: string } | undefined;
  const mlp = ctx.raw.get("apply_lora_to_mlp")?.value as { value: boolean; key: string } | undefined;
  const out = ctx.raw.get("apply_lora_to_output")?.value as { value: boolean; key: string } | undefined;
  if (attn || mlp || out) {
    const targets: string[] = [];
    for (const m of attn?.value ?? []) {
      const hf = TORCHTUNE_ATTN_TO_HF[m];
      if (hf) targets.push(hf);
      else ctx.unmodelled(attn!.key, m, `LoRA attention module '${m}' is not one of q_proj, k_proj, v_proj, output_proj`);
    }
    if (mlp?.value) targets.push("gate_proj", "up_proj", "down_proj");
    if (out?.value) targets.push("lm_head");
    const keys = [attn?.key, mlp?.key, out?.key].filter((k): k is string => k !== undefined).join("+");
    if (targets.length > 0) ctx.set("lora_targets", targets.join(","), keys);
  }
  if (ctx.get("packing") === true && !ctx.has("seq_len")) ctx.note("dataset.packed needs tokenizer.max_seq_len: the packed row length");
  if (!ctx.has("checkpointing")) ctx.note("enable_activation_checkpointing unset: the recipe's default is False");
}
