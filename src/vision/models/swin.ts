/**
 * torchvision Swin Transformer v1 (torchvision/models/swin_transformer.py, v0.14) following
 * `shifted_window_attention` op by op: pad to the window grid, cyclic shift (roll) on odd blocks,
 * window partition (permute + reshape copy), qkv linear, q·scale, q kᵀ (the batched matmul copies its
 * non-contiguous q and k operands and saves the copies), + relative position bias, + shift mask,
 * softmax, attn·v (v copied), merge heads (copy), proj, reverse windows (copy), roll back, unpad.
 * PatchMerging: 2×2 strided slices → cat → LayerNorm(4C) → Linear(4C, 2C, no bias).
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildContext, BuildFn } from "./types.js";

export interface SwinSpec {
  embed: number;
  depths: number[];
  heads: number[];
  window: number;
  sd: number;
}

export const SWINS: Record<string, SwinSpec> = {
  swin_t: { embed: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 7, sd: 0.2 },
  swin_s: { embed: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24], window: 7, sd: 0.3 },
  swin_b: { embed: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 7, sd: 0.5 },
  swin_l: { embed: 192, depths: [2, 2, 18, 2], heads: [6, 12, 24, 48], window: 7, sd: 0.5 },
};

/** A Swin size (t/s/b/l) with a window (7, or 12 for the 384-pretrained ones) and a drop-path rate. */
export function swinSpec(size: string, window = 7, sd?: number): SwinSpec {
  const base = SWINS[`swin_${size}`];
  if (!base) throw new Error(`no Swin-${size}`);
  return { ...base, window, sd: sd ?? base.sd };
}

function windowAttention(b: GraphBuilder, x: T, heads: number, ws: number, shiftOdd: boolean): T {
  const [n, H, W, C] = x.shape;
  const padH = H + ((ws - (H % ws)) % ws);
  const padW = W + ((ws - (W % ws)) % ws);
  const shifted = shiftOdd && (ws < padH || ws < padW);
  const N = ws * ws;
  const nW = (padH / ws) * (padW / ws);
  const d = C / heads;
  // relative_position_bias_table[(2ws−1)², heads] gathered to [1, heads, N, N] (index then contiguous copy)
  const table = b.parameter([(2 * ws - 1) ** 2, heads]);
  const gathered = b.copy(table, [N * N, heads], "index");
  const bias = b.copy(gathered, [1, heads, N, N], "contiguous");
  let y = b.copy(x, [n, padH, padW, C], "pad");
  if (shifted) y = b.copy(y, y.shape, "roll");
  // Python locals of shifted_window_attention keep `x` (the windows), `q` (scaled), `qkv` (k and v are
  // views of it) and the mask alive until the function returns or rebinds them.
  const win = b.retain(b.copy(y, [n * nW, N, C], "window_partition"));
  const qkv = b.retain(b.scope("qkv", () => b.linear(win, 3 * C)));
  const [q0, k0, v0] = b.split(qkv, [C, C, C], -1);
  const q1 = b.retain(b.scale(q0));
  const q = b.copy(q1, [n * nW * heads, N, d], "matmul_reshape");
  // With one window in the whole batch the batched reshape is a view: k and v then stay views of qkv.
  const oneWindow = n * nW === 1;
  const kT = oneWindow ? b.view(k0, [heads, d, N]) : b.copy(k0, [n * nW * heads, d, N], "matmul_reshape");
  let attn = b.matmul(q, kT);
  attn = b.add(b.view(attn, [n * nW, heads, N, N]), bias);
  if (shifted) {
    const mask = b.retain(b.approx("shift_mask", [], [1, nW, 1, N, N], "f32", "shifted-window attention mask"));
    attn = b.view(b.add(b.view(attn, [n, nW, heads, N, N]), mask), [n * nW, heads, N, N]);
  }
  attn = b.softmax(attn);
  const v = oneWindow ? b.view(v0, [heads, N, d]) : b.copy(v0, [n * nW * heads, N, d], "matmul_reshape");
  const o = b.matmul(b.view(attn, [n * nW * heads, N, N]), v);
  const merged = b.copy(o, [n * nW, N, C], "merge_heads");
  const proj = b.scope("proj", () => b.linear(merged, C));
  let out = b.copy(proj, [n, padH, padW, C], "window_reverse");
  if (shifted) out = b.copy(out, out.shape, "roll");
  if (padH !== H || padW !== W) out = b.copy(out, [n, H, W, C], "unpad");
  return out;
}

/**
 * The Swin trunk: patch embedding and the four stages. `features`: also return each stage's output after
 * its own LayerNorm as an N×C×H×W map (MMDetection/MMSegmentation SwinTransformer out_indices (0, 1, 2, 3):
 * norm → view → permute → contiguous copy), for a neck.
 */
export function swinTrunk(b: GraphBuilder, x: T, spec: SwinSpec, ctx: BuildContext, features = false): { last: T; feats: T[] } {
  const [n] = x.shape;
  let y = b.block("features.0", x, () => {
    const c = b.conv(x, { out: spec.embed, k: 4, s: 4, p: 0, bias: true });
    return b.layerNorm(b.view(c, [n, c.shape[2], c.shape[3], spec.embed]));
  });
  const total = spec.depths.reduce((a, c) => a + c, 0);
  const feats: T[] = [];
  let id = 0;
  spec.depths.forEach((depth, si) => {
    const dim = spec.embed * 2 ** si;
    y = b.block(`features.${2 * si + 1}`, y, () => {
      for (let i = 0; i < depth; i++) {
        const sd = (spec.sd * id) / (total - 1);
        id++;
        y = b.block(String(i), y, () => {
          const inp = y;
          const ln1 = b.layerNorm(inp);
          let a = b.block("attn", ln1, () => windowAttention(b, ln1, spec.heads[si], spec.window, i % 2 === 1));
          a = b.stochasticDepth(a, sd, ctx.training);
          const r = b.add(inp, a);
          const ln2 = b.layerNorm(r);
          let m = b.block("mlp", ln2, () => {
            let t = b.scope("0", () => b.linear(ln2, 4 * dim));
            t = b.act(t, "gelu");
            return b.scope("3", () => b.linear(t, dim));
          });
          m = b.stochasticDepth(m, sd, ctx.training);
          return b.add(r, m);
        });
      }
      return y;
    });
    if (features) {
      const o = b.scope(`norm${si}`, () => b.layerNorm(y));
      const [bn, H, W, C] = o.shape;
      feats.push(b.copy(o, [bn, C, H, W], "permute_contiguous"));
    }
    if (si < spec.depths.length - 1) {
      y = b.block(`features.${2 * si + 2}`, y, () => {
        const [bn, H, W, C] = y.shape;
        const padded = b.copy(y, [bn, H + (H % 2), W + (W % 2), C], "pad");
        const h2 = padded.shape[1] / 2;
        const w2 = padded.shape[2] / 2;
        const parts = [0, 1, 2, 3].map(() => b.view(padded, [bn, h2, w2, C]));
        const cat = b.cat(parts, -1);
        return b.scope("reduction", () => b.linear(b.layerNorm(cat), 2 * C, false));
      });
    }
  });
  return { last: y, feats };
}

export function swin(name: string | SwinSpec): BuildFn {
  const spec = typeof name === "string" ? SWINS[name] : name;
  return (b, x, ctx) => {
    const y = swinTrunk(b, x, spec, ctx).last;
    const normed = b.layerNorm(y);
    const [bn, H, W, C] = normed.shape;
    const pooled = b.adaptiveAvgPool(b.view(normed, [bn, C, H, W]), [1, 1]);
    return [b.scope("head", () => b.linear(b.view(pooled, [bn, C]), ctx.classes ?? 1000))];
  };
}
