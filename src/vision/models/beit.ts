/**
 * BEiT as transformers builds it (BeitForImageClassification / BeitModel, transformers 5.18 models/beit/modeling_beit.py):
 * 16×16 patch conv, class token (and a mask token with use_mask_token), optional absolute position embedding,
 * pre-norm layers with q/v biases and no k bias, a relative position bias table of ((2·H/p − 1)·(2·W/p − 1) + 3) ×
 * heads per layer (use_relative_position_bias) or one shared by all layers (use_shared_relative_position_bias),
 * expanded to a [1, heads, S, S] additive mask in every layer; layer scale λ₁, λ₂ (layer_scale_init_value > 0);
 * mean pooling of the patch tokens + LayerNorm (use_mean_pooling) or the final LayerNorm and the class token;
 * classifier Linear. Attention: SDPA with the bias as its mask (the default), or eager (softmax in fp32 on the
 * biased scores, probabilities kept).
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

export interface BeitSpec {
  dim: number;
  depth: number;
  heads: number;
  mlp: number;
  patch: number;
  /** Image size the relative position tables are laid out for. */
  img: number;
  relPos: "layer" | "shared" | "none";
  absPos?: boolean;
  maskToken?: boolean;
  layerScale?: boolean;
  meanPool?: boolean;
  /** Classification head (BeitForImageClassification); false: BeitModel (pooler only). */
  head?: boolean;
  dropPath?: number;
}

export function beit(spec: BeitSpec): BuildFn {
  return (b, x, ctx) => {
    const { dim, heads } = spec;
    const hd = dim / heads;
    const pe = b.scope("embeddings.patch_embeddings", () => b.conv(x, { out: dim, k: spec.patch, s: spec.patch, p: 0, bias: true }));
    const [n, , gh, gw] = pe.shape;
    const S = gh * gw + 1;
    const tokens = b.copy(pe, [n, gh * gw, dim], "flatten_transpose");
    const cls = b.parameter([1, 1, dim]);
    if (spec.maskToken) b.extraParams("mask_token", [[1, 1, dim]]);
    let h = b.cat([b.copy(cls, [n, 1, dim], "expand"), tokens], 1);
    if (spec.absPos) h = b.add(h, b.parameter([1, (spec.img / spec.patch) ** 2 + 1, dim]));
    // BeitModel.forward's embedding_output and the cached relative_position_index stay referenced to the end.
    const held = [h, ...(spec.relPos !== "none" ? [b.approx("relative_position_index", [], [S, S], "i64", "relative_position_index (lru-cached, int64)")] : [])];
    const table = ((2 * (spec.img / spec.patch) - 1) ** 2 + 3) * heads;
    const relBias = (): T => {
      // table[relative_position_index] → [S, S, heads] → permute(2, 0, 1).contiguous() → unsqueeze(0)
      const g = b.custom("relative_position_gather", [], [S * S, heads], b.paramElem, [], b.trainable);
      return b.copy(g, [1, heads, S, S], "permute_contiguous");
    };
    if (spec.relPos === "shared") b.extraParams("relative_position_bias_table", [[table / heads, heads]]);
    for (let i = 0; i < spec.depth; i++) {
      const dp = ((spec.dropPath ?? 0.1) * i) / Math.max(1, spec.depth - 1);
      const retainLayer: T[] = [];
      h = b.block(`encoder.layer.${i}`, h, () => {
        if (spec.relPos === "layer") b.extraParams("relative_position_bias_table", [[table / heads, heads]]);
        // BeitLayer's attention_mask variable holds the expanded bias until the layer returns.
        const bias = spec.relPos !== "none" ? b.retain(relBias()) : undefined;
        const inp = h;
        const a = b.block("attention", inp, () => {
          const ln = b.layerNorm(inp);
          const q = b.scope("q_proj", () => b.linear(ln, dim));
          const k = b.scope("k_proj", () => b.linear(ln, dim, false));
          const v = b.scope("v_proj", () => b.linear(ln, dim));
          const split = (t: T) => b.view(t, [n, heads, S, hd]);
          let o: T;
          // SDPA with the bias as a float mask: CUDA's memory-efficient kernel takes it (no S×S kept); the CPU build
          // falls back to the math path (q and k each scaled by √scale, softmax kept), as the ground truth shows.
          if (ctx.attention === "sdpa" && !(bias && b.device === "cpu")) {
            o = b.sdpa(split(q), split(k), split(v));
            return b.scope("o_proj", () => b.linear(b.device === "cpu" || o.dtype !== "f32" ? b.view(o, [n, S, dim]) : b.copy(o, [n, S, dim], "transpose_contiguous"), dim));
          }
          const mathSdpa = ctx.attention === "sdpa";
          let scores = mathSdpa ? b.matmul(b.scale(split(q)), b.view(b.scale(split(k)), [n, heads, hd, S])) : b.scale(b.matmul(split(q), b.view(split(k), [n, heads, hd, S])));
          if (bias) scores = b.add(scores, bias);
          // `hidden_states, _ = self.attention(...)`: the returned probabilities stay referenced by `_` until the layer returns.
          const p = b.softmax(scores);
          if (!mathSdpa) retainLayer.push(p);
          o = b.matmul(p.dtype !== v.dtype ? b.copy(p, p.shape, "to_dtype") : p, split(v));
          return b.scope("o_proj", () => b.linear(b.copy(o, [n, S, dim], "transpose_contiguous"), dim));
        });
        const s1 = spec.layerScale !== false ? b.scope("lambda_1", () => b.mul(a, b.parameter([dim]))) : a;
        const r = b.add(b.stochasticDepth(s1, dp, ctx.training), inp);
        const m = b.block("mlp", r, () => {
          const t = b.act(b.scope("fc1", () => b.linear(b.layerNorm(r), spec.mlp)), "gelu");
          return b.scope("fc2", () => b.linear(t, dim));
        });
        for (const t of retainLayer) b.retain(t);
        const s2 = spec.layerScale !== false ? b.scope("lambda_2", () => b.mul(m, b.parameter([dim]))) : m;
        return b.add(b.stochasticDepth(s2, dp, ctx.training), r);
      });
    }
    let pooled: T;
    if (spec.meanPool !== false) {
      const mean = b.custom("mean_patch_tokens", [h], [n, dim], h.dtype, []);
      pooled = b.scope("pooler.layernorm", () => b.layerNorm(mean));
    } else {
      const normed = b.scope("layernorm", () => b.layerNorm(h));
      pooled = b.custom("cls_token_select", [normed], [n, dim], normed.dtype, []);
    }
    for (const t of held) b.holds.push([t.storage, b.nodes.length - 1]);
    if (spec.head === false) return [pooled];
    return [b.scope("classifier", () => b.linear(pooled, ctx.classes ?? 1000))];
  };
}
