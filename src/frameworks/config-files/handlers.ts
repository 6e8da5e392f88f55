/** Handler builders shared by the format tables. */
import type { Ctx, Handler } from "./engine.js";
import type { TrainingSetting } from "./types.js";
import { attention, bool, dtypeName, hfOptimizer, int, isAuto, names, num, str, type OptimizerName } from "./values.js";

/** A whole-number setting; "auto" defers to another file (a note, nothing set). */
export function intSetting(setting: TrainingSetting, min = 1, priority = 1): Handler {
  return (v, key, ctx) => {
    if (isAuto(v)) return deferred(key, ctx);
    ctx.set(setting, int(v, ctx.fileName, key, min), key, priority);
  };
}

export function numSetting(setting: TrainingSetting, min = 0, max = Number.MAX_SAFE_INTEGER): Handler {
  return (v, key, ctx) => {
    if (isAuto(v)) return deferred(key, ctx);
    ctx.set(setting, num(v, ctx.fileName, key, min, max), key);
  };
}

export function boolSetting(setting: TrainingSetting, priority = 1): Handler {
  return (v, key, ctx) => {
    if (isAuto(v)) return deferred(key, ctx);
    ctx.set(setting, bool(v, ctx.fileName, key), key, priority);
  };
}

/** A boolean key that means the opposite of the setting (LLaMA-Factory disable_gradient_checkpointing). */
export function negatedBoolSetting(setting: TrainingSetting): Handler {
  return (v, key, ctx) => ctx.set(setting, !bool(v, ctx.fileName, key), key);
}

export function deferred(key: string, ctx: Ctx): void {
  ctx.note(`${key} is "auto": filled in at launch from the training arguments or the model`);
}

/** Keep the raw value for the format's finish() step (e.g. bf16 + dtype → precision). */
export function keepRaw(name: string): Handler {
  return (v, key, ctx) => ctx.keep(name, { value: v, key });
}

export function applyOptimizer(o: OptimizerName, key: string, value: unknown, ctx: Ctx): void {
  if (o.optimizer) {
    ctx.set("optimizer", o.optimizer, key);
    if (o.impl) ctx.set("optimizer_impl", o.impl, key);
  } else {
    ctx.unmodelled(key, value, o.unmodelled ?? "optimizer not modelled");
  }
}

/** transformers TrainingArguments `optim` names (also axolotl `optimizer`). */
export const hfOptimizerHandler: Handler = (v, key, ctx) => applyOptimizer(hfOptimizer(str(v, ctx.fileName, key)), key, v, ctx);

/** transformers attn_implementation and its aliases. */
export const attentionHandler: Handler = (v, key, ctx) => {
  const name = str(v, ctx.fileName, key);
  const a = attention(name);
  if (a) ctx.set("attention", a, key);
  else ctx.unmodelled(key, v, `attention '${name}' is not modelled (vramfit knows sdpa, flash and eager)`);
};

/** A legacy boolean attention flag (axolotl flash_attention: true). */
export function attentionFlag(value: "sdpa" | "flash" | "eager"): Handler {
  return (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) ctx.set("attention", value, key, 0);
    else ctx.ignore(key);
  };
}

export const dtypeHandler: Handler = (v, key, ctx) => {
  if (isAuto(v)) {
    ctx.note(`${key} is "auto": the checkpoint's own dtype (bf16 for most recent models)`);
    return;
  }
  const name = str(v, ctx.fileName, key);
  const d = dtypeName(name);
  if (d) ctx.set("dtype", d, key);
  else ctx.unmodelled(key, v, `dtype '${name}' is not modelled`);
};

/** LoRA target modules: a list, a comma string, or PEFT's "all-linear". */
export const loraTargetsHandler: Handler = (v, key, ctx) => {
  const list = names(v, ctx.fileName, key);
  if (list.length === 1 && (list[0] === "all-linear" || list[0] === "all")) {
    ctx.set("lora_targets", "all-linear", key);
    return;
  }
  if (list.some((n) => /[\\^$*+?()[\]{}|]/.test(n))) {
    ctx.unmodelled(key, v, "LoRA targets given as a regular expression: vramfit needs module names");
    return;
  }
  if (list.length === 0) return ctx.ignore(key);
  ctx.set("lora_targets", list.join(","), key);
};

/** Settings that take a value only when a boolean key is true (liger_rms_norm: true → liger). */
export function whenTrue(apply: (key: string, ctx: Ctx) => void): Handler {
  return (v, key, ctx) => {
    if (bool(v, ctx.fileName, key)) apply(key, ctx);
    else ctx.ignore(key);
  };
}
