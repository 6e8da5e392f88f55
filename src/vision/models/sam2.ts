/**
 * SAM 2 / 2.1 image encoders (facebookresearch/sam2 @ 2b90b9f5ceec907a1c18123530e92e794ad901a4,
 * sam2/modeling/backbones/hieradet.py Hiera, image_encoder.py FpnNeck; sizes from sam2/configs/sam2.1/sam2.1_hiera_{t,s,b+,l}.yaml):
 * 7×7/4 patch conv, a background position embedding interpolated (bicubic) to the grid plus a tiled window embedding,
 * four stages of MultiScaleBlocks (LayerNorm → windowed or global attention with SDPA → residual → LayerNorm → MLP
 * (GELU) → residual); the first block of stages 2–4 doubles the width (a Linear on the shortcut) and max-pools q and the
 * shortcut 2×2 (q pooling); the window size of that block is the previous stage's. FpnNeck: a 1×1 conv to 256 on every
 * stage output, top-down nearest upsampling + add into the two lowest-resolution levels, sine position encodings.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildContext, BuildFn } from "./types.js";

export interface HieraSpec {
  embed: number;
  heads: number;
  stages: [number, number, number, number];
  global: number[];
  windows: [number, number, number, number];
  bkg: [number, number];
}

/** sam2.1_hiera_*.yaml trunk settings (Hiera defaults: stages 2-3-16-3, global 12/16/20, windows 8-4-14-7, background 14×14). */
export const HIERA_SIZES: Record<"t" | "s" | "b+" | "l", HieraSpec> = {
  t: { embed: 96, heads: 1, stages: [1, 2, 7, 2], global: [5, 7, 9], windows: [8, 4, 14, 7], bkg: [7, 7] },
  s: { embed: 96, heads: 1, stages: [1, 2, 11, 2], global: [7, 10, 13], windows: [8, 4, 14, 7], bkg: [7, 7] },
  "b+": { embed: 112, heads: 2, stages: [2, 3, 16, 3], global: [12, 16, 20], windows: [8, 4, 14, 7], bkg: [14, 14] },
  l: { embed: 144, heads: 2, stages: [2, 6, 36, 4], global: [23, 33, 43], windows: [8, 4, 16, 8], bkg: [7, 7] },
};

function maxPool2x2(b: GraphBuilder, x: T): T {
  // do_pool: permute to N×C×H×W (a view), max_pool2d 2×2, permute back (a view)
  const [n, h, w, c] = x.shape;
  const y = b.maxPool(b.view(x, [n, c, h, w]), 2, 2, 0);
  return b.view(y, [n, y.shape[2], y.shape[3], c]);
}

function attention(b: GraphBuilder, x: T, dimOut: number, heads: number, pool: boolean, ctx: BuildContext): T {
  const [bw, h, w] = x.shape;
  const hd = dimOut / heads;
  const qkv = b.scope("qkv", () => b.linear(x, 3 * dimOut));
  let [q, k, v] = b.split(b.view(qkv, [bw, h * w, 3, heads, hd]), [1, 1, 1], 2).map((t) => b.view(t, [bw, h * w, heads, hd]));
  let oh = h;
  let ow = w;
  if (pool) {
    const pooled = maxPool2x2(b, b.copy(q, [bw, h, w, dimOut], "reshape"));
    oh = pooled.shape[1];
    ow = pooled.shape[2];
    q = b.copy(pooled, [bw, oh * ow, heads, hd], "reshape");
  }
  const tq = b.view(q, [bw, heads, oh * ow, hd]);
  const tk = b.view(k, [bw, heads, h * w, hd]);
  const tv = b.view(v, [bw, heads, h * w, hd]);
  const o = ctx.attention === "sdpa" ? b.sdpa(tq, tk, tv) : b.eagerAttention(tq, tk, tv, 0);
  const sameLayout = ctx.attention === "sdpa" && (b.device === "cpu" || o.dtype !== "f32");
  const merged = sameLayout ? b.view(o, [bw, oh, ow, dimOut]) : b.copy(o, [bw, oh, ow, dimOut], "transpose_reshape");
  return b.scope("proj", () => b.linear(merged, dimOut));
}

export function hieraTrunk(b: GraphBuilder, x: T, s: HieraSpec, ctx: BuildContext): T[] {
  const pe = b.scope("patch_embed", () => b.conv(x, { out: s.embed, k: 7, s: 4, p: 3, bias: true }));
  const [n, , gh, gw] = pe.shape;
  const pos = b.parameter([1, s.embed, s.bkg[0], s.bkg[1]]);
  const win = b.parameter([1, s.embed, s.windows[0], s.windows[0]]);
  const posFull = b.add(b.upsample(pos, [gh, gw]), b.copy(win, [1, s.embed, gh, gw], "tile"));
  let y = b.add(b.view(pe, [n, gh, gw, s.embed]), b.view(posFull, [1, gh, gw, s.embed]));
  const outs: T[] = [];
  let dim = s.embed;
  let heads = s.heads;
  let blockIdx = 0;
  for (let st = 0; st < 4; st++) {
    for (let j = 0; j < s.stages[st]; j++, blockIdx++) {
      const first = st > 0 && j === 0;
      const dimOut = first ? dim * 2 : dim;
      if (first) heads *= 2;
      const window = s.global.includes(blockIdx) ? 0 : first ? s.windows[st - 1] : s.windows[st];
      const inp = y;
      const din = dim;
      y = b.block(`blocks.${blockIdx}`, inp, () => {
        const [, h, w] = inp.shape;
        const x1 = b.layerNorm(inp);
        let shortcut = inp;
        if (din !== dimOut) shortcut = maxPool2x2(b, b.scope("proj", () => b.linear(x1, dimOut)));
        let t: T;
        if (window > 0) {
          const ph = Math.ceil(h / window) * window;
          const pw = Math.ceil(w / window) * window;
          const padded = ph !== h || pw !== w ? b.copy(x1, [n, ph, pw, din], "pad") : x1;
          const wins = b.copy(padded, [n * (ph / window) * (pw / window), window, window, din], "window_partition");
          const a = b.block("attn", wins, () => attention(b, wins, dimOut, heads, first, ctx));
          const ow = first ? window / 2 : window;
          const [H, W] = [shortcut.shape[1], shortcut.shape[2]];
          const uph = Math.ceil(H / ow) * ow;
          const upw = Math.ceil(W / ow) * ow;
          const un = b.copy(a, [n, uph, upw, dimOut], "window_unpartition");
          t = uph !== H || upw !== W ? b.copy(un, [n, H, W, dimOut], "unpad_contiguous") : un;
        } else t = b.block("attn", x1, () => attention(b, x1, dimOut, heads, first, ctx));
        const r = b.add(shortcut, t);
        const m = b.block("mlp", r, () => {
          const z = b.act(b.scope("layers.0", () => b.linear(b.layerNorm(r), 4 * dimOut)), "gelu");
          return b.scope("layers.1", () => b.linear(z, dimOut));
        });
        return b.add(r, m);
      });
      dim = dimOut;
    }
    outs.push(y);
  }
  return outs;
}

/** SAM 2 image encoder: Hiera trunk + FpnNeck; returns the three levels SAM 2 uses (scalp 1) and the last. */
export function sam2Encoder(size: keyof typeof HIERA_SIZES): BuildFn {
  const s = HIERA_SIZES[size];
  return (b, x, ctx) => {
    const feats = b.scope("trunk", () => hieraTrunk(b, x, s, ctx));
    const n = x.shape[0];
    const outs: T[] = [];
    let prev: T | undefined;
    for (let i = 3; i >= 0; i--) {
      const f = feats[i];
      const [, h, w, c] = f.shape;
      const lat = b.scope(`neck.convs.${3 - i}`, () => b.conv(b.view(f, [n, c, h, w]), { out: 256, k: 1, p: 0, bias: true }));
      prev = (i === 2 || i === 3) && i !== 3 && prev ? b.add(lat, b.upsample(prev, [h, w])) : lat;
      b.approx("position_encoding", [], [n, 256, h, w], "f32", "sine position encoding of the level (no grad)");
      outs.push(prev);
    }
    return outs.slice(1);
  };
}
