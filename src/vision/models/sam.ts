/**
 * Segment Anything image encoders (SAM ViT-B/L/H: segment_anything/modeling/image_encoder.py ImageEncoderViT, as
 * transformers' SamVisionEncoder): 16×16 patch embed at 1024², absolute position embedding [1, 64, 64, C], blocks
 * of LayerNorm → attention (windowed 14×14 with padding, global at four blocks) with decomposed relative position
 * terms → residual → LayerNorm → MLP (GELU) → residual; neck: 1×1 conv to 256 + LayerNorm2d + 3×3 conv +
 * LayerNorm2d. Attention is explicit (q·scale @ kᵀ + rel_h + rel_w, softmax, @ v): the S×S probabilities are kept.
 * Relative-position tables: (2·size − 1) × head_dim for height and width, size = window (14) or the grid (64).
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

export const SAM_SIZES: Record<string, { dim: number; depth: number; heads: number; global: number[] }> = {
  b: { dim: 768, depth: 12, heads: 12, global: [2, 5, 8, 11] },
  l: { dim: 1024, depth: 24, heads: 16, global: [5, 11, 17, 23] },
  h: { dim: 1280, depth: 32, heads: 16, global: [7, 15, 23, 31] },
};

export function relPosAttention(b: GraphBuilder, x: T, heads: number, size: number): T {
  const [bw, h, w, c] = x.shape;
  const hd = c / heads;
  const S = h * w;
  const qkv = b.scope("qkv", () => b.linear(b.view(x, [bw, S, c]), 3 * c));
  const [q, k, v] = b.split(b.copy(qkv, [3, bw * heads, S, hd], "reshape_permute"), [1, 1, 1], 0).map((t) => b.view(t, [bw * heads, S, hd]));
  b.extraParams("rel_pos", [[2 * size - 1, hd], [2 * size - 1, hd]]);
  const scores = b.matmul(b.scale(q), b.view(k, [bw * heads, hd, S]));
  // add_decomposed_rel_pos: rel_h [B·heads, h, w, h] and rel_w [B·heads, h, w, w] from einsums with q (q is saved by them)
  const relH = b.approx("rel_pos_h", [q], [bw * heads, h, w, h], scores.dtype, "einsum(q, R_h): decomposed relative position (height)", false, true);
  const relW = b.approx("rel_pos_w", [q], [bw * heads, h, w, w], scores.dtype, "einsum(q, R_w): decomposed relative position (width)", false, true);
  const withRel = b.add(b.add(b.view(scores, [bw * heads, h, w, h, w]), b.view(relH, [bw * heads, h, w, h, 1])), b.view(relW, [bw * heads, h, w, 1, w]));
  const probs = b.softmax(b.view(withRel, [bw * heads, S, S]));
  const o = b.matmul(probs, v);
  const merged = b.copy(o, [bw, h, w, c], "permute_reshape");
  return b.scope("proj", () => b.linear(merged, c));
}

function layerNorm2d(b: GraphBuilder, x: T): T {
  const [n, c, h, w] = x.shape;
  return b.view(b.layerNorm(b.view(x, [n, h, w, c])), [n, c, h, w]);
}

/**
 * The blocks SAM's image encoder and ViTDet share (segment_anything/modeling/image_encoder.py Block, detectron2
 * vit.py Block): pre-norm attention, windowed (padded to `win`) or global at `s.global`, with decomposed relative
 * positions; pre-norm MLP; drop path rising linearly to `dropPath` over the depth (0: none, as in SAM).
 * `y` is N×H×W×C; the module names of the MLP differ (lin1/lin2 in SAM, fc1/fc2 in ViTDet).
 */
function windowedBlocks(b: GraphBuilder, y: T, s: (typeof SAM_SIZES)[string], win: number, o: { mlp: [string, string]; dropPath: number; training: boolean }): T {
  const [n, gh, gw] = y.shape;
  for (let i = 0; i < s.depth; i++) {
    const global = s.global.includes(i);
    const dp = (o.dropPath * i) / Math.max(1, s.depth - 1);
    y = b.block(`blocks.${i}`, y, () => {
      const inp = y;
      const ln = b.layerNorm(inp);
      let a: T;
      if (global) a = b.block("attn", ln, () => relPosAttention(b, ln, s.heads, gh));
      else {
        const ph = Math.ceil(gh / win) * win;
        const pw = Math.ceil(gw / win) * win;
        const wins = b.copy(ln, [n * (ph / win) * (pw / win), win, win, s.dim], "window_partition");
        const att = b.block("attn", wins, () => relPosAttention(b, wins, s.heads, win));
        a = b.copy(att, [n, gh, gw, s.dim], "window_unpartition");
      }
      const r = b.add(inp, b.stochasticDepth(a, dp, o.training));
      const m = b.block("mlp", r, () => {
        const t = b.act(b.scope(o.mlp[0], () => b.linear(b.layerNorm(r), 4 * s.dim)), "gelu");
        return b.scope(o.mlp[1], () => b.linear(t, s.dim));
      });
      return b.add(r, b.stochasticDepth(m, dp, o.training));
    });
  }
  return y;
}

export function samEncoder(size: "b" | "l" | "h"): BuildFn {
  const s = SAM_SIZES[size];
  const win = 14;
  return (b, x) => {
    const pe = b.scope("patch_embed", () => b.conv(x, { out: s.dim, k: 16, s: 16, p: 0, bias: true }));
    const [n, , gh, gw] = pe.shape;
    let y = b.copy(pe, [n, gh, gw, s.dim], "permute");
    y = b.add(y, b.parameter([1, gh, gw, s.dim]));
    y = windowedBlocks(b, y, s, win, { mlp: ["lin1", "lin2"], dropPath: 0, training: false });
    const nchw = b.copy(y, [n, s.dim, gh, gw], "permute");
    return [b.block("neck", nchw, () => {
      let z = layerNorm2d(b, b.conv(nchw, { out: 256, k: 1, p: 0 }));
      z = layerNorm2d(b, b.conv(z, { out: 256, k: 3, p: 1 }));
      return z;
    })];
  };
}

/**
 * ViTDet's plain ViT backbone (detectron2 modeling/backbone/vit.py, projects/ViTDet): the SAM block structure with
 * pretraining position embedding (224² → (14² + 1) × C, interpolated to the grid at run time), drop path, windowed
 * attention (14) and global attention at four blocks; returns the stride-16 map as N×C×H×W.
 */
export function vitdetTrunk(b: GraphBuilder, x: T, size: "b" | "l" | "h", training: boolean): T {
  const s = SAM_SIZES[size];
  const win = 14;
  const sd = size === "b" ? 0.1 : size === "l" ? 0.4 : 0.5;
  const pe = b.scope("patch_embed", () => b.conv(x, { out: s.dim, k: 16, s: 16, p: 0, bias: true }));
  const [n, , gh, gw] = pe.shape;
  let y = b.copy(pe, [n, gh, gw, s.dim], "permute");
  const pos = b.parameter([1, 197, s.dim]);
  y = b.add(y, b.copy(pos, [1, gh, gw, s.dim], "interpolate_pos_embed"));
  y = windowedBlocks(b, y, s, win, { mlp: ["fc1", "fc2"], dropPath: sd, training });
  return b.copy(y, [n, s.dim, gh, gw], "permute");
}
