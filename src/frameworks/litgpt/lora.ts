/**
 * LitGPT's LoRA layout (docs/frameworks/litgpt.md, v0.5.13): per-part flags instead of module names.
 * `lora_query`, `lora_key`, `lora_value` adapt slices of the fused `qkv` projection through one `LoRAQKVLinear`
 * (litgpt/lora.py#L233–244): `lora_A` is (r·k, n_embd) for the k enabled parts and `lora_B` (Σ enabled out sizes, r),
 * so the count is r·k·n_embd + r·Σ out — the same as PEFT on separate q/k/v projections for the same parts.
 * `lora_projection` adapts the attention output, `lora_mlp` every MLP linear, `lora_head` the output head.
 * The printed count is `num_parameters(model, requires_grad=True)` (finetune/lora.py#L214).
 *
 * Targets are LitGPT's part names (query,key,value,projection,mlp,head) or the transformers module names the parts
 * correspond to (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,lm_head); on a model whose checkpoint fuses
 * q/k/v (Falcon's query_key_value, Phi-3's qkv_proj, GPT-2's c_attn) q/k/v select slices of that projection.
 * Anything else (all-linear, other module names) is PEFT's suffix matching.
 */
import { VramfitError } from "../../core/errors.js";
import type { TensorGroup, TransformerModel } from "../../core/model.js";
import { linearRole } from "../../training/activations.js";
import { isLinearWeight, loraPlan, type LoraAdapter, type LoraPlan } from "../../training/lora.js";

type Part = "query" | "key" | "value" | "projection" | "mlp" | "head";

const PART_OF: Record<string, Part> = {
  query: "query", q: "query", q_proj: "query",
  key: "key", k: "key", k_proj: "key",
  value: "value", v: "value", v_proj: "value",
  projection: "projection", o_proj: "projection", proj: "projection",
  mlp: "mlp", gate_proj: "mlp", up_proj: "mlp", down_proj: "mlp", fc_1: "mlp", fc_2: "mlp",
  head: "head", lm_head: "head",
};

/** LitGPT's defaults: lora_query and lora_value (finetune/lora.py setup). */
export const LITGPT_DEFAULT_PARTS = "query,value";

export function litgptLoraPlan(model: TransformerModel, rank: number, targets: string | null): LoraPlan {
  const list = (targets ?? LITGPT_DEFAULT_PARTS).split(",").map((t) => t.trim()).filter(Boolean);
  if (list.length === 0 || list.some((t) => !(t in PART_OF))) return loraPlan(model, rank, targets);
  const parts = new Set(list.map((t) => PART_OF[t]));
  const shape = model.transformer;
  const h = shape.hidden;
  const qOut = shape.heads * shape.headDim;
  const kvOut = shape.kvHeads * shape.headDim;
  const adapters: LoraAdapter[] = [];
  const add = (group: TensorGroup, inF: number, outF: number) => adapters.push({ group, inFeatures: inF, outFeatures: outF, paramsEach: rank * (inF + outF) });
  for (const g of model.tensors) {
    if (g.kind === "lm_head") {
      if (parts.has("head")) add(g, g.shape[1], g.shape[0]);
      continue;
    }
    if (!isLinearWeight(g) || g.kind !== "linear" || !g.name.includes("{L}") || g.name.startsWith("vision_")) continue;
    const [out, inp] = g.shape;
    const role = linearRole(g, h);
    if (role === "attn_in") {
      const fused = out === qOut + 2 * kvOut && out !== qOut;
      if (fused) {
        // One LoRAQKVLinear: lora_A (r·k × in), lora_B (Σ out × r) = one r·(in + out_part) per enabled part.
        if (parts.has("query")) add(g, inp, qOut);
        if (parts.has("key")) add(g, inp, kvOut);
        if (parts.has("value")) add(g, inp, kvOut);
      } else if ((g.module === "q_proj" && parts.has("query")) || (g.module === "k_proj" && parts.has("key")) || (g.module === "v_proj" && parts.has("value"))) {
        add(g, inp, out);
      }
    } else if (role === "attn_out") {
      if (parts.has("projection")) add(g, inp, out);
    } else if (role === "mlp_in" || role === "mlp_out") {
      if (parts.has("mlp")) add(g, inp, out);
    }
  }
  if (adapters.length === 0) {
    throw new VramfitError("invalid_option", `LitGPT LoRA parts ${[...parts].join(",")} match no layer of ${model.id}`, { suggestion: "use query,key,value,projection,mlp,head" });
  }
  return { rank, targets: [...parts], adapters, trainableParams: adapters.reduce((s, a) => s + a.paramsEach * a.group.count, 0) };
}
