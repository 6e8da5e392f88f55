/**
 * MMSegmentation PSPNet (configs/_base_/models/pspnet_r50-d8.py): ResNetV1c backbone (3-conv deep
 * stem, dilations (1, 1, 2, 4), strides (1, 2, 1, 1), contract_dilation: output stride 8, BN trained),
 * PSPHead (pyramid pooling 1/2/3/6 → 1×1 ConvModule 512 → bilinear resize, concat, 3×3 ConvModule
 * 512, dropout 0.1, 1×1 classifier) and the auxiliary FCNHead on layer3 (3×3 ConvModule 256, dropout,
 * 1×1 classifier). Training adds the decode losses: logits resized to the crop and cross-entropy
 * (log-softmax kept for backward) for both heads.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

function convBnRelu(b: GraphBuilder, x: T, out: number, k: number, s = 1, d = 1): T {
  return b.act(b.batchNorm(b.conv(x, { out, k, s, d, p: Math.floor(k / 2) * d })), "relu", true);
}

function bottleneck(b: GraphBuilder, x: T, planes: number, stride: number, dilation: number): T {
  return b.block("block", x, () => {
    let out = convBnRelu(b, x, planes, 1);
    out = convBnRelu(b, out, planes, 3, stride, dilation);
    out = b.batchNorm(b.conv(out, { out: planes * 4, k: 1, p: 0 }));
    let id = x;
    if (stride !== 1 || x.shape[1] !== planes * 4) id = b.batchNorm(b.conv(x, { out: planes * 4, k: 1, s: stride, p: 0 }));
    return b.act(b.add(out, id, true), "relu", true);
  });
}

const LAYERS: Record<number, number[]> = { 18: [2, 2, 2, 2], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3] };

function basic(b: GraphBuilder, x: T, planes: number, stride: number, dilation: number): T {
  return b.block("block", x, () => {
    let out = convBnRelu(b, x, planes, 3, stride, dilation);
    out = b.batchNorm(b.conv(out, { out: planes, k: 3, d: dilation, p: dilation }));
    let id = x;
    if (stride !== 1 || x.shape[1] !== planes) id = b.batchNorm(b.conv(x, { out: planes, k: 1, s: stride, p: 0 }));
    return b.act(b.add(out, id, true), "relu", true);
  });
}

export function pspnet(depth: 18 | 50 | 101, classes = 19): BuildFn {
  return (b, x, ctx) => {
    const nc = ctx.classes ?? classes;
    const [n, , H, W] = x.shape;
    let y = b.block("stem", x, () => convBnRelu(b, convBnRelu(b, convBnRelu(b, x, 32, 3, 2), 32, 3), 64, 3));
    y = b.maxPool(y, 3, 2, 1);
    const strides = [1, 2, 1, 1];
    const dil = [1, 1, 2, 4];
    const feats: T[] = [];
    const expansion = depth === 18 ? 1 : 4;
    for (let s = 0; s < 4; s++) {
      y = b.block(`layer${s + 1}`, y, () => {
        for (let i = 0; i < LAYERS[depth][s]; i++) {
          // contract_dilation: the first block of a dilated stage uses half the dilation.
          const d = i === 0 && dil[s] > 1 ? dil[s] / 2 : dil[s];
          const planes = 64 * 2 ** s;
          y = depth === 18 ? basic(b, y, planes, i === 0 ? strides[s] : 1, d) : bottleneck(b, y, planes, i === 0 ? strides[s] : 1, d);
        }
        return y;
      });
      feats.push(y);
    }
    const c4 = feats[3];
    const ch = depth === 18 ? 128 : 512;
    const logits = b.block("decode_head", c4, () => {
      const ppm = [1, 2, 3, 6].map((sc) =>
        b.upsample(convBnRelu(b, b.adaptiveAvgPool(c4, [sc, sc]), ch, 1), [c4.shape[2], c4.shape[3]]),
      );
      const cat = b.cat([c4, ...ppm], 1);
      const h = b.dropout(convBnRelu(b, cat, ch, 3), ctx.training ? 0.1 : 0);
      return b.conv(h, { out: nc, k: 1, p: 0, bias: true });
    });
    const outs = [logits];
    if (ctx.training) {
      const aux = b.block("auxiliary_head", feats[2], () => {
        const h = b.dropout(convBnRelu(b, feats[2], depth === 18 ? 64 : 256, 3), 0.1);
        return b.conv(h, { out: nc, k: 1, p: 0, bias: true });
      });
      for (const l of [logits, aux]) {
        // resize to the crop, then CrossEntropyLoss: log_softmax over classes kept for backward.
        const up = b.upsample(l, [H, W]);
        outs.push(b.approx("cross_entropy", [up], [n, nc, H, W], "f32", "log-softmax of the resized logits kept by cross-entropy", true));
      }
    }
    return outs;
  };
}
