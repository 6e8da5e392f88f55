/**
 * Real tensors (from safetensors headers or a GGUF tensor table) → TensorGroups. Tensors with the same
 * name pattern, shape and dtype collapse into one group, so a 60-layer, 256-expert checkpoint stays at
 * a few dozen groups. Layer indices become {L} and expert indices {E}, as in core/model.ts.
 */
import type { TensorGroup, TensorKind } from "../core/model.js";

export interface NamedTensor {
  name: string;
  dtype: string;
  shape: number[];
}

/** `model.layers.12.mlp.experts.7.w1.weight` → `model.layers.{L}.mlp.experts.{E}.w1.weight`. */
export function namePattern(name: string): string {
  const parts = name.split(".");
  let sawLayer = false;
  for (let i = 0; i < parts.length; i++) {
    if (!/^\d+$/.test(parts[i])) continue;
    if (i > 0 && /experts?$/.test(parts[i - 1])) parts[i] = "{E}";
    else if (!sawLayer) {
      parts[i] = "{L}";
      sawLayer = true;
    }
  }
  return parts.join(".");
}

/** Leaf module as PEFT sees it: the part before `.weight` (or before `.weight.absmax` for bitsandbytes state). */
export function moduleName(name: string): string {
  const parts = name.split(".");
  if (parts.length < 2) return parts[0];
  let i = parts.length - 2;
  if ((parts[i] === "weight" || parts[i] === "bias") && i > 0) i--;
  return parts[i];
}

export function tensorKind(name: string, shape: readonly number[]): TensorKind {
  const lower = name.toLowerCase();
  const mod = moduleName(name).toLowerCase();
  const last = lower.split(".").pop() ?? "";
  if (/(^|\.)(lm_head|embed_out)(\.|$)/.test(lower) || lower === "output.weight") return "lm_head";
  if (/(embed_tokens|embeddings?(\.|$)|(^|\.)wte\.|(^|\.)wpe\.|embed_positions|token_embd)/.test(lower)) return "embedding";
  if (mod.includes("norm") || /^ln(_|\d|f|$)/.test(mod) || /_norm$/.test(mod)) return "norm";
  if (mod === "gate" || mod.includes("router") || mod === "ffn_gate_inp") return "router";
  if (last === "bias") return "bias";
  if (shape.length === 2) return "linear";
  return "other";
}

export function isExpertTensor(name: string): boolean {
  return /(^|\.)experts(\.|$)|_exps(\.|$)/.test(name) && !/shared_expert|shexp/.test(name);
}

export function groupTensors(tensors: Iterable<NamedTensor>): TensorGroup[] {
  const groups = new Map<string, TensorGroup>();
  for (const t of tensors) {
    const pattern = namePattern(t.name);
    const key = `${pattern}|${t.shape.join("x")}|${t.dtype}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      continue;
    }
    const group: TensorGroup = {
      name: pattern,
      module: moduleName(t.name),
      kind: tensorKind(t.name, t.shape),
      shape: [...t.shape],
      count: 1,
      dtype: t.dtype,
    };
    if (isExpertTensor(t.name)) group.expert = true;
    groups.set(key, group);
  }
  return [...groups.values()];
}
