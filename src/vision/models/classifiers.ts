/**
 * Image classifiers of torchvision and timm beyond the hand-built ones:
 * - EfficientNet B0–B7 and V2 S/M/L (torchvision/models/efficientnet.py v0.14 `_efficientnet_conf`: width/depth
 *   multipliers, channels _make_divisible(c × width, 8), layers ceil(n × depth); MBConv = expand 1×1, depthwise k×k,
 *   SE (squeeze max(1, in // 4), SiLU / sigmoid), project 1×1; FusedMBConv = k×k expand + 1×1 project; stochastic
 *   depth 0.2 × block / blocks; last conv 4 × last stage (B) or 1280 (V2)). timm's efficientnet_b* have the same tensors.
 * - RegNet X/Y (torchvision/models/regnet.py `BlockParams.from_init_params`, `_adjust_widths_groups_compatibilty`):
 *   stem 3×3/2 to 32, ResBottleneckBlock = 1×1, grouped 3×3 (stride), SE (Y: int(round(0.25 × width_in))), 1×1,
 *   projection when the shape changes, ReLU after the add.
 * - ViT in timm's form (timm/models/vision_transformer.py): patch embed, class token, position embedding, blocks of
 *   LayerNorm → Attention (qkv Linear, fused SDPA, proj) → LayerNorm → MLP, optional LayerScale (DeiT III, DINOv2).
 */
import type { GraphBuilder, T } from "../builder.js";
import { VramfitError } from "../../core/errors.js";
import { convBnAct, makeDivisible } from "./mobile.js";
import type { BuildContext, BuildFn } from "./types.js";

// ---- EfficientNet --------------------------------------------------------------------------------

/** (fused, expand, kernel, stride, in, out, layers) */
type EffRow = [boolean, number, number, number, number, number, number];
const B_ROWS: EffRow[] = [
  [false, 1, 3, 1, 32, 16, 1], [false, 6, 3, 2, 16, 24, 2], [false, 6, 5, 2, 24, 40, 2], [false, 6, 3, 2, 40, 80, 3],
  [false, 6, 5, 1, 80, 112, 3], [false, 6, 5, 2, 112, 192, 4], [false, 6, 3, 1, 192, 320, 1],
];
const V2: Record<string, EffRow[]> = {
  s: [[true, 1, 3, 1, 24, 24, 2], [true, 4, 3, 2, 24, 48, 4], [true, 4, 3, 2, 48, 64, 4], [false, 4, 3, 2, 64, 128, 6], [false, 6, 3, 1, 128, 160, 9], [false, 6, 3, 2, 160, 256, 15]],
  m: [[true, 1, 3, 1, 24, 24, 3], [true, 4, 3, 2, 24, 48, 5], [true, 4, 3, 2, 48, 80, 5], [false, 4, 3, 2, 80, 160, 7], [false, 6, 3, 1, 160, 176, 14], [false, 6, 3, 2, 176, 304, 18], [false, 6, 3, 1, 304, 512, 5]],
  l: [[true, 1, 3, 1, 32, 32, 4], [true, 4, 3, 2, 32, 64, 7], [true, 4, 3, 2, 64, 96, 7], [false, 4, 3, 2, 96, 192, 10], [false, 6, 3, 1, 192, 224, 19], [false, 6, 3, 2, 224, 384, 25], [false, 6, 3, 1, 384, 640, 7]],
};
/** [width, depth, dropout] of efficientnet_b0..b7 (torchvision). */
export const EFFICIENTNET_B: Array<[number, number, number]> = [[1.0, 1.0, 0.2], [1.0, 1.1, 0.2], [1.1, 1.2, 0.3], [1.2, 1.4, 0.3], [1.4, 1.8, 0.4], [1.6, 2.2, 0.4], [1.8, 2.6, 0.5], [2.0, 3.1, 0.5]];

function squeezeExcite(b: GraphBuilder, x: T, squeeze: number): T {
  return b.block("se", x, () => {
    let s = b.adaptiveAvgPool(x, [1, 1]);
    s = b.scope("fc1", () => b.conv(s, { out: squeeze, k: 1, p: 0, bias: true }));
    s = b.act(s, "silu", true);
    s = b.scope("fc2", () => b.conv(s, { out: x.shape[1], k: 1, p: 0, bias: true }));
    s = b.act(s, "sigmoid", false);
    return b.mul(s, x);
  });
}

export function efficientnet(variant: number | "v2_s" | "v2_m" | "v2_l"): BuildFn {
  const v2 = typeof variant === "string";
  const [wm, dm, drop] = v2 ? [1, 1, variant === "v2_s" ? 0.2 : variant === "v2_m" ? 0.3 : 0.4] : EFFICIENTNET_B[variant];
  const rows = (v2 ? V2[variant.slice(3)] : B_ROWS).map(([f, e, k, s, i, o, n]): EffRow => [f, e, k, s, makeDivisible(i * wm, 8), makeDivisible(o * wm, 8), Math.ceil(n * dm)]);
  return (b, x, ctx) => {
    let y = convBnAct(b, x, rows[0][4], 3, 2, 1, "silu", "features.0");
    const total = rows.reduce((s, r) => s + r[6], 0);
    let id = 0;
    rows.forEach(([fused, e, k, s0, in0, out, n], si) => {
      y = b.block(`features.${si + 1}`, y, () => {
        for (let i = 0; i < n; i++) {
          const inp = i === 0 ? in0 : out;
          const s = i === 0 ? s0 : 1;
          const sd = (0.2 * id) / total;
          id++;
          y = b.block(`${i}`, y, () => {
            const exp = makeDivisible(inp * e, 8);
            let z = y;
            if (fused) {
              if (exp !== inp) {
                z = convBnAct(b, z, exp, k, s, 1, "silu", "expand");
                z = convBnAct(b, z, out, 1, 1, 1, null, "project");
              } else z = convBnAct(b, z, out, k, s, 1, "silu", "fused");
            } else {
              if (exp !== inp) z = convBnAct(b, z, exp, 1, 1, 1, "silu", "expand");
              z = convBnAct(b, z, exp, k, s, exp, "silu", "dw");
              z = squeezeExcite(b, z, Math.max(1, Math.floor(inp / 4)));
              z = convBnAct(b, z, out, 1, 1, 1, null, "project");
            }
            if (s === 1 && inp === out) return b.add(b.stochasticDepth(z, sd, ctx.training), y, true);
            return z;
          });
        }
        return y;
      });
    });
    const last = v2 ? 1280 : 4 * rows[rows.length - 1][5];
    y = convBnAct(b, y, last, 1, 1, 1, "silu", `features.${rows.length + 1}`);
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    let h = b.view(pooled, [pooled.shape[0], pooled.shape[1]]);
    h = b.dropout(h, ctx.training ? drop : 0);
    return [b.scope("classifier.1", () => b.linear(h, ctx.classes ?? 1000))];
  };
}

// ---- RegNet --------------------------------------------------------------------------------------

export interface RegNetInit {
  depth: number;
  w0: number;
  wa: number;
  wm: number;
  groupWidth: number;
  se: boolean;
}

export const REGNETS: Record<string, RegNetInit> = {
  y_400mf: { depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, se: true },
  y_800mf: { depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, se: true },
  y_1_6gf: { depth: 27, w0: 48, wa: 20.71, wm: 2.65, groupWidth: 24, se: true },
  y_3_2gf: { depth: 21, w0: 80, wa: 42.63, wm: 2.66, groupWidth: 24, se: true },
  y_8gf: { depth: 17, w0: 192, wa: 76.82, wm: 2.19, groupWidth: 56, se: true },
  y_16gf: { depth: 18, w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112, se: true },
  y_32gf: { depth: 20, w0: 232, wa: 115.89, wm: 2.53, groupWidth: 232, se: true },
  y_128gf: { depth: 27, w0: 456, wa: 160.83, wm: 2.52, groupWidth: 264, se: true },
  x_400mf: { depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16, se: false },
  x_800mf: { depth: 16, w0: 56, wa: 35.73, wm: 2.28, groupWidth: 16, se: false },
  x_1_6gf: { depth: 18, w0: 80, wa: 34.01, wm: 2.25, groupWidth: 24, se: false },
  x_3_2gf: { depth: 25, w0: 88, wa: 26.31, wm: 2.25, groupWidth: 48, se: false },
  x_8gf: { depth: 23, w0: 80, wa: 49.56, wm: 2.88, groupWidth: 120, se: false },
  x_16gf: { depth: 22, w0: 216, wa: 55.59, wm: 2.1, groupWidth: 128, se: false },
  x_32gf: { depth: 23, w0: 320, wa: 69.86, wm: 2.0, groupWidth: 168, se: false },
};

const f32 = Math.fround;
/** torch.round: half to even. */
const roundEven = (v: number) => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Stage widths, depths and group widths as BlockParams.from_init_params computes them (float32 like torch). */
export function regnetStages(p: RegNetInit): { widths: number[]; depths: number[]; groups: number[] } {
  const blockWidths: number[] = [];
  for (let i = 0; i < p.depth; i++) {
    const wc = f32(f32(i * f32(p.wa)) + p.w0);
    const cap = roundEven(f32(f32(Math.log(f32(wc / p.w0))) / f32(Math.log(p.wm))));
    const w = f32(p.w0 * f32(Math.pow(p.wm, cap)));
    blockWidths.push(roundEven(f32(w / 8)) * 8);
  }
  const widths: number[] = [];
  const depths: number[] = [];
  for (const w of blockWidths) {
    if (widths.length && widths[widths.length - 1] === w) depths[depths.length - 1]++;
    else {
      widths.push(w);
      depths.push(1);
    }
  }
  const groups = widths.map((w) => Math.min(p.groupWidth, w));
  return { widths: widths.map((w, i) => makeDivisible(w, groups[i])), depths, groups };
}

export function regnet(p: RegNetInit): BuildFn {
  const st = regnetStages(p);
  return (b, x, ctx) => {
    let y = convBnAct(b, x, 32, 3, 2, 1, "relu", "stem");
    st.widths.forEach((wOut, si) => {
      y = b.block(`trunk_output.block${si + 1}`, y, () => {
        for (let i = 0; i < st.depths[si]; i++) {
          const stride = i === 0 ? 2 : 1;
          y = b.block(`${i}`, y, () => {
            const wIn = y.shape[1];
            let z = convBnAct(b, y, wOut, 1, 1, 1, "relu", "a");
            z = convBnAct(b, z, wOut, 3, stride, wOut / st.groups[si], "relu", "b");
            if (p.se)
              z = b.block("se", z, () => {
                let s = b.adaptiveAvgPool(z, [1, 1]);
                s = b.act(b.conv(s, { out: Math.round(0.25 * wIn), k: 1, p: 0, bias: true }), "relu", false);
                s = b.act(b.conv(s, { out: wOut, k: 1, p: 0, bias: true }), "sigmoid", false);
                return b.mul(s, z);
              });
            z = convBnAct(b, z, wOut, 1, 1, 1, null, "c");
            const id = wIn !== wOut || stride !== 1 ? convBnAct(b, y, wOut, 1, stride, 1, null, "proj") : y;
            return b.act(b.add(id, z), "relu", true);
          });
        }
        return y;
      });
    });
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    return [b.scope("fc", () => b.linear(b.view(pooled, [pooled.shape[0], pooled.shape[1]]), ctx.classes ?? 1000))];
  };
}

// ---- ViT (timm) ----------------------------------------------------------------------------------

export interface TimmVitSpec {
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Image the position embedding was trained for (its length: (img / patch)² + 1). */
  img: number;
  /** DeiT III / DINOv2 LayerScale. */
  layerScale?: boolean;
  /** Classifier head (DINOv2 checkpoints have none). */
  head?: boolean;
  /** The position embedding has one row per input token (torchvision's image_size argument: a checkpoint for that size). */
  posFromInput?: boolean;
}

/** timm Attention: qkv Linear → reshape/permute (views) → unbind → F.scaled_dot_product_attention → transpose-reshape (copy) → proj. */
function timmAttention(b: GraphBuilder, x: T, heads: number, ctx: BuildContext): T {
  const [n, s, d] = x.shape;
  const hd = d / heads;
  const qkv = b.scope("qkv", () => b.linear(x, 3 * d));
  const [q, k, v] = b.split(b.view(qkv, [3, n, heads, s, hd]), [1, 1, 1], 0).map((t) => b.view(t, [n, heads, s, hd]));
  const o = ctx.attention === "sdpa" ? b.sdpa(q, k, v) : b.eagerAttention(q, k, v, 0);
  const merged = b.copy(o, [n, s, d], "transpose_reshape");
  return b.scope("proj", () => b.linear(merged, d));
}

export function timmVit(spec: TimmVitSpec): BuildFn {
  return (b, x, ctx) => {
    const [n, , H, W] = x.shape;
    if (H % spec.patch || W % spec.patch) throw new VramfitError("invalid_option", `image ${H}x${W} is not a multiple of the patch size ${spec.patch}`, { suggestion: `use an image size divisible by ${spec.patch}` });
    const tokens = (H / spec.patch) * (W / spec.patch);
    const pe = b.scope("patch_embed", () => b.conv(x, { out: spec.dim, k: spec.patch, s: spec.patch, p: 0, bias: true }));
    const seq = b.copy(pe, [n, tokens, spec.dim], "flatten_transpose");
    const cls = b.parameter([1, 1, spec.dim]);
    let y = b.cat([b.view(cls, [n, 1, spec.dim]), seq], 1);
    // The checkpoint's position embedding (img/patch)² + 1 rows; another input size interpolates it (a copy).
    const pos = b.parameter([1, spec.posFromInput ? tokens + 1 : (spec.img / spec.patch) ** 2 + 1, spec.dim]);
    const posUsed = tokens + 1 === pos.shape[1] ? pos : b.copy(pos, [1, tokens + 1, spec.dim], "interpolate_pos_embed");
    y = b.add(y, posUsed);
    for (let i = 0; i < spec.depth; i++) {
      y = b.block(`blocks.${i}`, y, () => {
        const inp = y;
        let a = b.block("attn", inp, () => timmAttention(b, b.layerNorm(inp), spec.heads, ctx));
        if (spec.layerScale) a = b.mul(a, b.parameter([spec.dim]));
        const r = b.add(inp, a);
        let m = b.block("mlp", r, () => {
          let t = b.scope("fc1", () => b.linear(b.layerNorm(r), spec.dim * spec.mlpRatio));
          t = b.act(t, "gelu");
          return b.scope("fc2", () => b.linear(t, spec.dim));
        });
        if (spec.layerScale) m = b.mul(m, b.parameter([spec.dim]));
        return b.add(r, m);
      });
    }
    const normed = b.layerNorm(y);
    const clsTok = b.view(normed, [n, spec.dim]);
    if (spec.head === false) return [clsTok];
    return [b.scope("head", () => b.linear(clsTok, ctx.classes ?? 1000))];
  };
}
