/**
 * From the model description's tensor groups (checkpoint names, PyTorch shapes) to the tensors of the GGUF
 * file llama.cpp's converter would write: llama.cpp names (blk.{L}.attn_q.weight, ...; gguf-py
 * tensor_mapping.py), ggml shapes (row length first) and expert weights merged into one 3-D tensor per
 * layer (ffn_gate_exps [n_embd, n_ff_exp, n_expert]). MLA's kv_b_proj is split into attn_k_b / attn_v_b
 * as the converter does since llama.cpp PR #12801. Names matter for the quantizer's per-tensor rules;
 * sizes for everything else.
 */
import type { TensorGroup, TransformerShape } from "../core/model.js";
import type { GgufTensor } from "./quantizer.js";

/** HF leaf module -> llama.cpp tensor base name inside a block. */
const BLOCK_NAMES: [RegExp, string][] = [
  [/^(q_proj|query|wq)$/, "attn_q"],
  [/^(k_proj|key|wk)$/, "attn_k"],
  [/^(v_proj|value|wv)$/, "attn_v"],
  [/^(o_proj|out_proj|wo|dense|c_proj_attn)$/, "attn_output"],
  [/^(qkv_proj|query_key_value|c_attn|Wqkv)$/, "attn_qkv"],
  [/^q_a_proj$/, "attn_q_a"],
  [/^q_b_proj$/, "attn_q_b"],
  [/^kv_a_proj_with_mqa$/, "attn_kv_a_mqa"],
  [/^(gate_proj|w1)$/, "ffn_gate"],
  [/^(up_proj|w3|fc1|c_fc|dense_h_to_4h)$/, "ffn_up"],
  [/^(down_proj|w2|fc2|dense_4h_to_h)$/, "ffn_down"],
  [/^gate_up_proj$/, "ffn_up"],
  [/^(sinks)$/, "attn_sinks"],
  // recurrent mixers and T5 (llama-arch.cpp LLM_TENSOR_SSM_CONV1D "blk.%d.ssm_conv1d", SSM_A "blk.%d.ssm_a",
  // SHORTCONV_CONV "blk.%d.shortconv.conv", ATTN_REL_B "blk.%d.attn_rel_b"): names the quantizer leaves unquantized
  [/^conv1d$/, "ssm_conv1d"],
  [/^A_log$/, "ssm_a"],
  [/^conv$/, "shortconv.conv"],
  [/^relative_attention_bias$/, "attn_rel_b"],
];

export interface GgufNamingOptions {
  /** Leading dense layers before the MoE ones (DeepSeek first_k_dense_replace). Default: inferred from counts. */
  denseLayers?: number;
}

function ggufBase(g: TensorGroup): string {
  if (g.kind === "router") return g.name.includes("shared_expert_gate") ? "ffn_gate_inp_shexp" : "ffn_gate_inp";
  for (const [re, base] of BLOCK_NAMES) if (re.test(g.module)) return base;
  return g.module;
}

/** The GGUF tensors of a model, in file order (token_embd, output_norm, output, then block by block). */
export function ggufTensorsFromGroups(groups: readonly TensorGroup[], shape: TransformerShape, opts: GgufNamingOptions = {}): GgufTensor[] {
  const L = shape.layers;
  const E = shape.moe?.experts ?? 1;
  const head: GgufTensor[] = [];
  const blocks: GgufTensor[][] = Array.from({ length: L }, () => []);
  const moeLayers = shape.moe?.moeLayers ?? 0;
  const dense = opts.denseLayers ?? L - moeLayers;
  for (const [gi, g] of groups.entries()) {
    const ne = [...g.shape].reverse();
    const suffix = g.name.endsWith(".bias") || g.kind === "bias" ? "bias" : "weight";
    if (!g.name.includes("{L}")) {
      // The token embedding (embed_tokens, embed_in, wte, word_embeddings): the vocabulary-sized one.
      if (g.kind === "embedding" && g.shape[0] === shape.vocab && !head.some((t) => t.name === "token_embd.weight")) head.push({ name: "token_embd.weight", ne, group: gi });
      else if (g.kind === "embedding") head.push({ name: `${g.module}.weight`, ne, sourceType: "f32", group: gi });
      else if (g.kind === "lm_head") head.push({ name: "output.weight", ne, group: gi });
      else if (g.kind === "norm") head.push({ name: `output_norm.${suffix}`, ne, group: gi });
      else for (let i = 0; i < g.count; i++) head.push({ name: `${g.module === "relative_attention_bias" ? "attn_rel_b" : g.module}.${suffix}`, ne, group: gi });
      continue;
    }
    const perLayer = g.name.includes("{E}") ? E : 1;
    const nLayers = Math.max(1, Math.round(g.count / perLayer));
    // which layers: all, the first `dense` (dense MLP in an MoE model) or the last (MoE layers)
    const first = nLayers >= L ? 0 : g.expert || g.kind === "router" || /shared_expert/.test(g.name) ? L - nLayers : 0;
    const base = ggufBase(g);
    const isShared = /shared_expert/.test(g.name) && g.kind !== "router";
    for (let k = 0; k < Math.min(nLayers, L); k++) {
      const il = first + k;
      const out = blocks[il];
      if (g.module === "kv_b_proj" && shape.mla) {
        // [n_head*(nope+v), kv_lora] -> attn_k_b [nope, kv_lora, n_head] and attn_v_b [kv_lora, v, n_head]
        const m = shape.mla;
        out.push({ name: `blk.${il}.attn_k_b.weight`, ne: [m.qkNopeHeadDim, m.kvLoraRank, shape.heads], group: gi });
        out.push({ name: `blk.${il}.attn_v_b.weight`, ne: [m.kvLoraRank, m.vHeadDim, shape.heads], group: gi });
        continue;
      }
      if (g.expert) {
        const name = `blk.${il}.${base}_exps.${suffix}`;
        if (g.name.includes("{E}")) {
          // one group per expert projection: merge the experts into one 3-D tensor
          out.push({ name, ne: [...ne, E], group: gi });
        } else if (base === "ffn_up" && g.module === "gate_up_proj") {
          // gpt-oss: [E * 2I, h] (weight) or [E, 2I] (bias) -> ffn_gate_exps + ffn_up_exps
          const n0 = suffix === "weight" ? ne[0] : ne[0] / 2;
          const half = suffix === "weight" ? [n0, ne[1] / E / 2, E] : [n0, E];
          out.push({ name: `blk.${il}.ffn_gate_exps.${suffix}`, ne: half, group: gi });
          out.push({ name: `blk.${il}.ffn_up_exps.${suffix}`, ne: half, group: gi });
        } else {
          out.push({ name, ne: suffix === "weight" ? [ne[0], ne[1] / E, E] : ne, group: gi });
        }
        continue;
      }
      const name = isShared ? `blk.${il}.${base}_shexp.${suffix}` : `blk.${il}.${base}.${suffix}`;
      out.push({ name, ne, group: gi });
    }
  }
  void dense;
  // converter order: token_embd first, output_norm, output, then blocks (llama.cpp sorts by block index)
  const order = (n: string) => (n.startsWith("token_embd") ? 0 : n.startsWith("output_norm") ? 1 : n.startsWith("output") ? 2 : 3);
  head.sort((a, b) => order(a.name) - order(b.name));
  return [...head, ...blocks.flat()];
}
