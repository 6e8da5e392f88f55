/**
 * LitGPT finetune YAML (`litgpt finetune_lora --config x.yaml`; config_hub/finetune/**, v0.5.13 26857050).
 * See docs/frameworks/litgpt.md.
 */
import { Ctx, ignoring, walk, type Handler, type Table } from "../engine.js";
import { applyOptimizer, intSetting, numSetting } from "../handlers.js";
import { bool, componentOptimizer, int, isPlainObject, str } from "../values.js";

/** Fabric precision strings (litgpt/finetune/lora.py L89: "bf16-true", "bf16-mixed", "32-true"). */
const precision: Handler = (v, key, ctx) => {
  const p = str(v, ctx.fileName, key).trim().toLowerCase();
  const map: Record<string, string> = { "bf16-true": "bf16", "bf16-mixed": "amp-bf16", "16-mixed": "amp-fp16", "32-true": "fp32", "32": "fp32" };
  if (map[p]) ctx.set("precision", map[p], key);
  else ctx.unmodelled(key, v, `precision '${p}' is not modelled`);
};

/** `quantize: bnb.nf4 | bnb.nf4-dq | bnb.fp4 | bnb.fp4-dq | bnb.int8-training` (lora.py L53). */
const quantize: Handler = (v, key, ctx) => {
  const q = str(v, ctx.fileName, key).trim().toLowerCase();
  const m = /^bnb\.(nf4|fp4)(-dq)?$/.exec(q);
  if (m) {
    ctx.set("load_in_4bit", true, key);
    ctx.set("quant_type", m[1], key);
    ctx.set("double_quant", m[2] !== undefined, key);
    ctx.set("finetuning", "qlora", key, 0);
    // LitGPT replaces the optimizer with bitsandbytes PagedAdamW under bnb quantization (utils.py L619–633).
    ctx.set("optimizer", "paged-adamw", key, 2);
  } else if (q === "bnb.int8-training") {
    ctx.set("load_in_8bit", true, key);
  } else ctx.unmodelled(key, v, `quantize '${q}' is not modelled`);
};

const LORA_PARTS: Record<string, string[]> = {
  lora_query: ["q_proj"],
  lora_key: ["k_proj"],
  lora_value: ["v_proj"],
  lora_projection: ["o_proj"],
  lora_mlp: ["gate_proj", "up_proj", "down_proj"],
  lora_head: ["lm_head"],
};

const loraPart: Handler = (v, key, ctx) => ctx.keep(key, { value: bool(v, ctx.fileName, key), key });

const optimizer: Handler = (v, key, ctx) => {
  if (typeof v === "string") return applyOptimizer(componentOptimizer(v, undefined, undefined), key, v, ctx);
  if (isPlainObject(v)) {
    const cls = str(v.class_path, ctx.fileName, `${key}.class_path`);
    const args = isPlainObject(v.init_args) ? v.init_args : {};
    const momentum = typeof args.momentum === "number" ? args.momentum : undefined;
    const fused = typeof args.fused === "boolean" ? args.fused : undefined;
    return applyOptimizer(componentOptimizer(cls, fused, momentum), `${key}.class_path`, cls, ctx);
  }
  str(v, ctx.fileName, key);
};

const LITGPT_TABLE: Table = {
  checkpoint_dir: (v, key, ctx) => {
    ctx.out.model = str(v, ctx.fileName, key);
  },
  precision,
  quantize,
  devices: (v, key, ctx) => ctx.keep("devices", { value: int(v, ctx.fileName, key), key }),
  num_nodes: intSetting("num_machines"),
  lora_r: intSetting("lora_rank"),
  lora_alpha: numSetting("lora_alpha"),
  lora_dropout: numSetting("lora_dropout", 0, 1),
  ...Object.fromEntries(Object.keys(LORA_PARTS).map((k) => [k, loraPart])),
  "train.micro_batch_size": intSetting("micro_batch_size"),
  "train.global_batch_size": (v, key, ctx) => ctx.keep("global_batch_size", { value: int(v, ctx.fileName, key), key }),
  "train.max_seq_length": intSetting("seq_len"),
  optimizer,
  ...ignoring([
    "out_dir",
    "data",
    "eval",
    "log",
    "logger_name",
    "seed",
    "access_token",
    "resume",
    "train.save_interval",
    "train.log_interval",
    "train.lr_warmup_steps",
    "train.lr_warmup_fraction",
    "train.epochs",
    "train.max_tokens",
    "train.max_steps",
    "train.max_time",
    "train.tie_embeddings",
    "train.max_norm",
    "train.min_lr",
  ]),
};

export function readLitgpt(obj: Record<string, unknown>, ctx: Ctx): void {
  walk(obj, LITGPT_TABLE, ctx);
  const targets: string[] = [];
  const keys: string[] = [];
  let anyPart = false;
  for (const [part, modules] of Object.entries(LORA_PARTS)) {
    const r = ctx.raw.get(part)?.value as { value: boolean; key: string } | undefined;
    if (!r) continue;
    anyPart = true;
    keys.push(r.key);
    if (r.value) targets.push(...modules);
  }
  if (anyPart && targets.length > 0) ctx.set("lora_targets", targets.join(","), keys.join("+"));
  const isLora = ctx.has("lora_rank") || anyPart;
  if (!ctx.has("finetuning")) ctx.set("finetuning", isLora ? "lora" : "full", isLora ? "lora_r" : "checkpoint_dir", 0);
  const devices = (ctx.raw.get("devices")?.value as { value: number; key: string } | undefined) ?? undefined;
  const nodes = ctx.get("num_machines");
  if (devices) ctx.set("num_processes", devices.value * (typeof nodes === "number" ? nodes : 1), devices.key);
  const global = ctx.raw.get("global_batch_size")?.value as { value: number; key: string } | undefined;
  const micro = ctx.get("micro_batch_size");
  if (global && typeof micro === "number") {
    const procs = (ctx.get("num_processes") as number | undefined) ?? 1;
    const per = global.value / procs;
    if (Number.isInteger(per) && per % micro === 0) {
      ctx.set("grad_accum", Math.max(1, per / micro), `${global.key}+train.micro_batch_size`, 0);
    } else ctx.note(`${global.key} ${global.value} is not a multiple of micro_batch_size × devices`);
  }
  if (!ctx.has("checkpointing")) ctx.note("LitGPT uses no activation checkpointing on one device (finetune/lora.py)");
}
