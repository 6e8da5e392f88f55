/**
 * LoRA adapters: which linear layers a PEFT LoraConfig targets and how many trainable parameters it adds.
 * Sources: PEFT `check_target_module_exists` (a target matches a module whose full name equals it or ends
 * with "." + target), `_maybe_include_all_linear_layers` ("all-linear": every nn.Linear/Conv1D except the
 * output embedding), TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (peft/utils/constants.py) for the
 * default targets, and `lora.Linear` (A: r×in, B: out×r, no bias by default) → r·(in + out) per layer.
 */
import { z } from "zod";
import { VramfitError } from "../core/errors.js";
import type { ModelDescription, TensorGroup } from "../core/model.js";
import type { OptionSpec } from "../core/options.js";

/**
 * The dtype LoRA adapters are kept in. PEFT's get_peft_model(..., autocast_adapter_dtype=True), the default,
 * upcasts bf16/fp16 adapters to fp32 (peft @5d602fd src/peft/mapping_func.py, tuners_utils._cast_adapter_dtype),
 * even when the base and the training run in pure bf16; then each adapted linear casts its input to fp32
 * (`_cast_input_dtype`), and adapter gradients and optimizer states are fp32 (measured on CPU under torch 2.13:
 * bench/accuracy/llm-cpu-torch2-blocks.jsonl, LoRA configurations; COMPARISON.md item 6b).
 * `autocast_adapter_dtype=False` (TRL under ZeRO-3, frameworks with their own LoRA modules) keeps them in the
 * model's dtype.
 */
export const LORA_ADAPTER_DTYPES = ["fp32", "bf16", "fp16"] as const;
export type LoraAdapterDtype = (typeof LORA_ADAPTER_DTYPES)[number];

export const LORA_ADAPTER_DTYPE_OPTION: OptionSpec = {
  key: "lora_adapter_dtype",
  schema: z.enum(LORA_ADAPTER_DTYPES).optional(),
  help: "train: dtype of the LoRA adapters (default fp32: PEFT autocast_adapter_dtype=True; bf16 when kept in the model dtype)",
  group: "LoRA / QLoRA",
  scope: { families: ["transformer"], modes: ["train"] },
  cli: { arg: "string", flags: "--lora-adapter-dtype <dtype>" },
  web: { label: "LoRA adapter dtype", kind: "select", choices: LORA_ADAPTER_DTYPES, auto: "fp32 (PEFT default)" },
};

/** Bytes per element of the LoRA adapters: the workload's `lora_adapter_dtype`, else PEFT's fp32. */
export function loraAdapterBytes(w: object): number {
  const d = (w as Record<string, unknown>).lora_adapter_dtype;
  if (d === "bf16" || d === "fp16") return 2;
  return 4;
}

/** PEFT's default target_modules per model_type (peft/utils/constants.py, commit 5d602fd). */
export const PEFT_DEFAULT_TARGETS: Record<string, string[]> = {
  gpt2: ["c_attn"],
  gpt_bigcode: ["c_attn"],
  bloom: ["query_key_value"],
  opt: ["q_proj", "v_proj"],
  gpt_neox: ["query_key_value"],
  bert: ["query", "value"],
  roberta: ["query", "value"],
  llama: ["q_proj", "v_proj"],
  falcon: ["query_key_value"],
  mistral: ["q_proj", "v_proj"],
  mixtral: ["q_proj", "v_proj"],
  phi: ["q_proj", "v_proj", "fc1", "fc2"],
  gemma: ["q_proj", "v_proj"],
  gemma2: ["q_proj", "v_proj"],
  gemma3_text: ["q_proj", "v_proj"],
  qwen2: ["q_proj", "v_proj"],
  qwen3: ["q_proj", "v_proj"],
};

export interface LoraAdapter {
  group: TensorGroup;
  /** Input and output features of the adapted linear. */
  inFeatures: number;
  outFeatures: number;
  /** Trainable parameters of one adapter: r·(in + out). */
  paramsEach: number;
}

export interface LoraPlan {
  rank: number;
  targets: string[];
  adapters: LoraAdapter[];
  trainableParams: number;
}

/** A linear weight of the model: a 2-D `.weight` of an nn.Linear (kind linear/router/other, not lm_head). */
export function isLinearWeight(g: TensorGroup): boolean {
  return g.shape.length === 2 && g.name.endsWith(".weight") && (g.kind === "linear" || g.kind === "router" || g.kind === "other");
}

/** Module path of a weight group without ".weight" ("model.layers.{L}.self_attn.q_proj"). */
function modulePath(g: TensorGroup): string {
  return g.name.replace(/\.weight$/, "");
}

/** PEFT's suffix match: the full module name equals the target or ends with "." + target. */
export function targetMatches(path: string, target: string): boolean {
  // Grouped names stand for every layer/expert index; any index matches a target without one.
  const name = path.replace(/\{L\}|\{E\}/g, "0");
  return name === target || name.endsWith(`.${target}`);
}

/** Parse "q_proj,v_proj" / "all-linear" / null (PEFT default for the architecture). */
export function resolveLoraTargets(model: ModelDescription, targets: string | null): string[] {
  if (targets == null) {
    const def = PEFT_DEFAULT_TARGETS[model.architecture];
    if (!def) {
      throw new VramfitError("invalid_option", `PEFT has no default LoRA target modules for '${model.architecture}'`, { suggestion: "give --lora-targets, e.g. all-linear or q_proj,v_proj" });
    }
    return def;
  }
  const list = targets
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (list.length === 0) throw new VramfitError("invalid_option", "--lora-targets is empty", { suggestion: "e.g. q_proj,v_proj or all-linear" });
  return list;
}

export function loraPlan(model: ModelDescription, rank: number, targets: string | null): LoraPlan {
  const list = resolveLoraTargets(model, targets);
  const allLinear = list.length === 1 && list[0].toLowerCase() === "all-linear";
  const adapters: LoraAdapter[] = [];
  for (const g of model.tensors) {
    if (!isLinearWeight(g)) continue;
    const path = modulePath(g);
    const hit = allLinear ? true : list.some((t) => targetMatches(path, t));
    if (!hit) continue;
    const [out, inp] = g.shape;
    adapters.push({ group: g, inFeatures: inp, outFeatures: out, paramsEach: rank * (inp + out) });
  }
  if (adapters.length === 0) {
    const names = [...new Set(model.tensors.filter(isLinearWeight).map((g) => g.module))];
    throw new VramfitError("invalid_option", `LoRA targets ${list.join(",")} match no linear layer of ${model.id}`, { suggestion: `its linear layers are: ${names.join(", ")}` });
  }
  const trainableParams = adapters.reduce((s, a) => s + a.paramsEach * a.group.count, 0);
  return { rank, targets: allLinear ? ["all-linear"] : list, adapters, trainableParams };
}
