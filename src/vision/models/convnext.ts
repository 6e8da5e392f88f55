/**
 * ConvNeXt (torchvision/models/convnext.py v0.14; timm convnext.py for the V2 and small variants): 4×4/4
 * patchify conv + LayerNorm2d, CNBlock = 7×7 depthwise conv → permute → LayerNorm → Linear(4×) → GELU
 * (→ GRN in V2) → Linear → permute, layer scale (V1 only), stochasticDepth (rate · block / (blocks − 1)),
 * residual; downsample = LayerNorm2d + 2×2/2 conv. LayerNorm2d permutes to NHWC, layer-norms (saving the
 * permuted view of its input) and permutes back. V2's GRN (global response normalization, timm
 * GlobalResponseNorm): gamma·(x·nx) + beta + x with nx = ‖x‖₂ over H, W / mean over channels.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildContext, BuildFn } from "./types.js";

function layerNorm2d(b: GraphBuilder, x: T): T {
  const [n, c, h, w] = x.shape;
  const nhwc = b.view(x, [n, h, w, c]);
  const y = b.layerNorm(nhwc);
  return b.view(y, [n, c, h, w]);
}

export interface ConvNextSpec {
  dims: [number, number, number, number];
  depths: [number, number, number, number];
  /** Drop-path rate of the last block. */
  sd: number;
  v2?: boolean;
}

export const CONVNEXTS: Record<string, ConvNextSpec> = {
  atto: { dims: [40, 80, 160, 320], depths: [2, 2, 6, 2], sd: 0 },
  femto: { dims: [48, 96, 192, 384], depths: [2, 2, 6, 2], sd: 0 },
  pico: { dims: [64, 128, 256, 512], depths: [2, 2, 6, 2], sd: 0 },
  nano: { dims: [80, 160, 320, 640], depths: [2, 2, 8, 2], sd: 0 },
  tiny: { dims: [96, 192, 384, 768], depths: [3, 3, 9, 3], sd: 0.1 },
  small: { dims: [96, 192, 384, 768], depths: [3, 3, 27, 3], sd: 0.4 },
  base: { dims: [128, 256, 512, 1024], depths: [3, 3, 27, 3], sd: 0.5 },
  large: { dims: [192, 384, 768, 1536], depths: [3, 3, 27, 3], sd: 0.5 },
  xlarge: { dims: [256, 512, 1024, 2048], depths: [3, 3, 27, 3], sd: 0.5 },
  huge: { dims: [352, 704, 1408, 2816], depths: [3, 3, 27, 3], sd: 0.5 },
};

/** GRN over NHWC x (timm GlobalResponseNorm, channels last): saves x, the norm and the normalised map. */
function grn(b: GraphBuilder, x: T): T {
  const [n, , , c] = x.shape;
  const gx = b.approx("grn_norm", [x], [n, 1, 1, c], x.dtype, "GRN: L2 norm over H, W", true, true);
  const nx = b.approx("grn_scale", [gx], [n, 1, 1, c], x.dtype, "GRN: divided by the channel mean", true, true);
  const xn = b.mul(x, nx);
  const g = b.layerScale(xn, c);
  b.extraParams("grn_beta", [[c]]);
  return b.add(b.add(g, x), b.view(nx, [n, 1, 1, c]));
}

/** The trunk; `features`: each stage's output after a LayerNorm2d (MMDetection/MMSegmentation out_indices). */
export function convnextTrunk(b: GraphBuilder, x: T, spec: ConvNextSpec, ctx: BuildContext, features = false): { last: T; feats: T[] } {
  let y = b.block("features.0", x, () => layerNorm2d(b, b.conv(x, { out: spec.dims[0], k: 4, s: 4, p: 0, bias: true })));
  const total = spec.depths.reduce((s, n) => s + n, 0);
  const feats: T[] = [];
  let id = 0;
  spec.depths.forEach((n, si) => {
    const dim = spec.dims[si];
    // Each stage is an nn.Sequential: its input stays referenced until the whole stage returns.
    y = b.block(`features.${2 * si + 1}`, y, () => {
      for (let i = 0; i < n; i++) {
        const sd = total > 1 ? (spec.sd * id) / (total - 1) : 0;
        id++;
        y = b.block(`stage${si}.${i}`, y, () => {
          const [bs, , h, w] = y.shape;
          let z = b.conv(y, { out: dim, k: 7, p: 3, g: dim, bias: true });
          z = b.view(z, [bs, h, w, dim]);
          z = b.layerNorm(z);
          z = b.scope("pwconv1", () => b.linear(z, 4 * dim));
          z = b.act(z, "gelu");
          if (spec.v2) z = grn(b, z);
          z = b.scope("pwconv2", () => b.linear(z, dim));
          z = b.view(z, [bs, dim, h, w]);
          if (!spec.v2) z = b.layerScale(z, dim);
          z = b.stochasticDepth(z, sd, ctx.training);
          return b.add(z, y, true);
        });
      }
      return y;
    });
    if (features) feats.push(b.scope(`norm${si}`, () => layerNorm2d(b, y)));
    if (si < 3) y = b.block(`downsample${si}`, y, () => b.conv(layerNorm2d(b, y), { out: spec.dims[si + 1], k: 2, s: 2, p: 0, bias: true }));
  });
  return { last: y, feats };
}

export function convnext(spec: ConvNextSpec): BuildFn {
  return (b, x, ctx) => {
    const y = convnextTrunk(b, x, spec, ctx).last;
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    const normed = layerNorm2d(b, pooled);
    const flat = b.view(normed, [normed.shape[0], normed.shape[1]]);
    return [b.scope("classifier.2", () => b.linear(flat, ctx.classes ?? 1000))];
  };
}

export function convnextTiny(): BuildFn {
  return convnext(CONVNEXTS.tiny);
}
