/**
 * torchvision ConvNeXt-T (torchvision/models/convnext.py, v0.14): 4×4/4 patchify conv + LayerNorm2d,
 * CNBlock = 7×7 depthwise conv → permute → LayerNorm → Linear(4×) → GELU → Linear → permute, layer
 * scale (1e-6), stochastic depth (0.1 · block / 17), residual; downsample = LayerNorm2d + 2×2/2 conv.
 * LayerNorm2d permutes to NHWC, layer-norms (saving the permuted view of its input) and permutes back.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

function layerNorm2d(b: GraphBuilder, x: T): T {
  const [n, c, h, w] = x.shape;
  const nhwc = b.view(x, [n, h, w, c]);
  const y = b.layerNorm(nhwc);
  return b.view(y, [n, c, h, w]);
}

const STAGES: Array<[number, number]> = [
  [96, 3],
  [192, 3],
  [384, 9],
  [768, 3],
];

export function convnextTiny(): BuildFn {
  return (b, x, ctx) => {
    let y = b.block("features.0", x, () => layerNorm2d(b, b.conv(x, { out: 96, k: 4, s: 4, p: 0, bias: true })));
    const total = STAGES.reduce((s, [, n]) => s + n, 0);
    let id = 0;
    STAGES.forEach(([dim, n], si) => {
      // Each stage is an nn.Sequential: its input stays referenced until the whole stage returns.
      y = b.block(`features.${2 * si + 1}`, y, () => {
        for (let i = 0; i < n; i++) {
          const sd = (0.1 * id) / (total - 1);
          id++;
          y = b.block(`stage${si}.${i}`, y, () => {
            const [bs, , h, w] = y.shape;
            let z = b.conv(y, { out: dim, k: 7, p: 3, g: dim, bias: true });
            z = b.view(z, [bs, h, w, dim]);
            z = b.layerNorm(z);
            z = b.scope("pwconv1", () => b.linear(z, 4 * dim));
            z = b.act(z, "gelu");
            z = b.scope("pwconv2", () => b.linear(z, dim));
            z = b.view(z, [bs, dim, h, w]);
            z = b.layerScale(z, dim);
            z = b.stochasticDepth(z, sd, ctx.training);
            return b.add(z, y, true);
          });
        }
        return y;
      });
      if (si < 3) y = b.block(`downsample${si}`, y, () => b.conv(layerNorm2d(b, y), { out: dim * 2, k: 2, s: 2, p: 0, bias: true }));
    });
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    const normed = layerNorm2d(b, pooled);
    const flat = b.view(normed, [normed.shape[0], normed.shape[1]]);
    return [b.scope("classifier.2", () => b.linear(flat, ctx.classes ?? 1000))];
  };
}
