/**
 * Value checks (zod) and the mappings from each framework's names to vramfit's vocabulary.
 * Every mapping cites where the names come from.
 */
import { z } from "zod";
import { invalid } from "./parse.js";

function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Numbers in configs are sometimes strings ("2", "5e8", "True" in TRL's CLI dumps). */
const numberLike = z.union([
  z.number().refine(Number.isFinite),
  z
    .string()
    .trim()
    .regex(/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/)
    .transform(Number),
]);

function check<T>(schema: z.ZodType<T>, v: unknown, fileName: string, key: string, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw invalid(fileName, `${key} must be ${what}, got ${preview(v)}`);
  return r.data;
}

export function int(v: unknown, fileName: string, key: string, min = 1, max = 2 ** 31): number {
  return check(numberLike.pipe(z.number().int().min(min).max(max)), v, fileName, key, min === 0 ? "a whole number ≥ 0" : `a whole number ≥ ${min}`);
}

export function num(v: unknown, fileName: string, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  return check(numberLike.pipe(z.number().min(min).max(max)), v, fileName, key, `a number from ${min} to ${max}`);
}

const boolLike = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["true", "false", "yes", "no"]))
    .transform((s) => s === "true" || s === "yes"),
]);

export function bool(v: unknown, fileName: string, key: string): boolean {
  return check(boolLike, v, fileName, key, "true or false");
}

export function str(v: unknown, fileName: string, key: string): string {
  return check(z.string().max(10_000), v, fileName, key, "a string");
}

/** A list of names, or one string of comma- or space-separated names. */
export function names(v: unknown, fileName: string, key: string): string[] {
  const list = check(z.union([z.string().max(10_000), z.array(z.string().max(1000)).max(10_000)]), v, fileName, key, "a name or a list of names");
  const arr = typeof list === "string" ? list.split(/[,\s]+/) : list;
  return arr.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function isAuto(v: unknown): boolean {
  return typeof v === "string" && v.trim().toLowerCase() === "auto";
}

export function isOff(v: unknown): boolean {
  return v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0) || v === "";
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export interface OptimizerName {
  optimizer?: string;
  impl?: "fused" | "foreach";
  /** Set when the name is known but vramfit has no model of it. */
  unmodelled?: string;
}

/**
 * transformers `OptimizerNames` (training_args.py / trainer optimizer factory) and axolotl's extra names
 * (src/axolotl/utils/schemas/enums.py, training.py) → vramfit optimizers. `adamw_torch` runs PyTorch's default
 * multi-tensor (foreach) step on CUDA; `*_fused` the fused kernel.
 */
export function hfOptimizer(name: string): OptimizerName {
  const n = name.trim().toLowerCase();
  switch (n) {
    case "adamw_torch":
    case "adamw_hf":
    case "adamw_torch_xla":
    case "adamw_torch_npu_fused":
      return { optimizer: "adamw", impl: "foreach" };
    case "adamw_torch_fused":
    case "adamw_apex_fused":
      return { optimizer: "adamw", impl: "fused" };
    case "adamw_bnb_8bit":
    case "adamw_8bit":
    case "bnb_8bit":
      return { optimizer: "adamw-8bit" };
    case "paged_adamw_8bit":
      return { optimizer: "paged-adamw-8bit" };
    case "paged_adamw_32bit":
    case "paged_adamw":
      return { optimizer: "paged-adamw" };
    case "adafactor":
      return { optimizer: "adafactor" };
    case "sgd":
      return { optimizer: "sgd" };
    case "adagrad":
      return { optimizer: "adagrad" };
    case "rmsprop":
      return { optimizer: "rmsprop" };
    case "lion_32bit":
    case "lion":
      return { optimizer: "lion" };
    default:
      return { unmodelled: `optimizer '${name}' has no vramfit model (its state size differs from AdamW's)` };
  }
}

/** `_component_` / `class_path` names of torch, bitsandbytes and torchao optimizers (torchtune, LitGPT). */
export function componentOptimizer(component: string, fused: boolean | undefined, momentum: number | undefined): OptimizerName {
  const last = component.split(".").pop() ?? component;
  const lib = component.toLowerCase();
  const impl = fused === true ? "fused" : fused === false ? "foreach" : undefined;
  if (lib.startsWith("bitsandbytes") || lib.startsWith("bnb")) {
    switch (last) {
      case "AdamW8bit":
      case "Adam8bit":
        return { optimizer: "adamw-8bit" };
      case "PagedAdamW8bit":
      case "PagedAdam8bit":
        return { optimizer: "paged-adamw-8bit" };
      case "PagedAdamW":
      case "PagedAdamW32bit":
        return { optimizer: "paged-adamw" };
      case "AdamW":
      case "AdamW32bit":
        return { optimizer: "adamw" };
      case "Lion":
      case "Lion32bit":
        return { optimizer: "lion" };
      default:
        return { unmodelled: `optimizer '${component}' has no vramfit model` };
    }
  }
  if (lib.startsWith("torch.optim") || !component.includes(".")) {
    switch (last) {
      case "AdamW":
        return { optimizer: "adamw", impl };
      case "Adam":
        return { optimizer: "adam", impl };
      case "SGD":
        return { optimizer: momentum !== undefined && momentum > 0 ? "sgd-momentum" : "sgd", impl };
      case "Adagrad":
        return { optimizer: "adagrad", impl };
      case "RMSprop":
        return { optimizer: "rmsprop", impl };
      case "Adafactor":
        return { optimizer: "adafactor", impl };
    }
  }
  return { unmodelled: `optimizer '${component}' has no vramfit model` };
}

/** DeepSpeed `optimizer.type` (deepspeed/runtime/config.py optimizer names; DeepSpeed's Adam defaults to adam_w_mode). */
export function deepspeedOptimizer(type: string): OptimizerName {
  const t = type.trim().toLowerCase();
  if (t === "adam" || t === "adamw" || t === "cpuadam" || t === "fusedadam") return { optimizer: "adamw" };
  if (t === "adagrad") return { optimizer: "adagrad" };
  if (t === "lion") return { optimizer: "lion" };
  if (t === "sgd") return { optimizer: "sgd" };
  return { unmodelled: `DeepSpeed optimizer '${type}' has no vramfit model` };
}

/** transformers attn_implementation values (and the frameworks' aliases) → sdpa | flash | eager. */
export function attention(name: string): string | undefined {
  const n = name.trim().toLowerCase();
  if (n === "sdpa" || n === "sdp" || n === "sdp_attention") return "sdpa";
  if (n === "eager") return "eager";
  if (n.startsWith("flash_attention") || n === "fa2" || n === "fa3" || n.includes("flash-attn") || n.includes("flash_attn")) return "flash";
  return undefined;
}

/** dtype names (torch_dtype, dtype, torchtune dtype) → fp32 | bf16 | fp16. */
export function dtypeName(name: string): string | undefined {
  const n = name.trim().toLowerCase().replace(/^torch\./, "");
  if (n === "bfloat16" || n === "bf16") return "bf16";
  if (n === "float16" || n === "fp16" || n === "half") return "fp16";
  if (n === "float32" || n === "fp32" || n === "float") return "fp32";
  return undefined;
}

/** torch FSDP ShardingStrategy by name or by accelerate's 1-based number (accelerate FSDP_SHARDING_STRATEGY). */
export function fsdpSharding(v: unknown): string | undefined {
  const byNumber = ["full_shard", "shard_grad_op", "no_shard", "hybrid_shard", "hybrid_shard_zero2"];
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 5) return byNumber[v - 1];
  if (typeof v !== "string") return undefined;
  const n = v.trim().toLowerCase();
  if (/^[1-5]$/.test(n)) return byNumber[Number(n) - 1];
  return byNumber.includes(n) ? n : n === "_hybrid_shard_zero2" ? "hybrid_shard_zero2" : undefined;
}

/** torchtune / LitGPT module names → transformers Llama-style names used by vramfit's LoRA targets. */
export const TORCHTUNE_ATTN_TO_HF: Record<string, string> = {
  q_proj: "q_proj",
  k_proj: "k_proj",
  v_proj: "v_proj",
  output_proj: "o_proj",
};
