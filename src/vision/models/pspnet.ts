/**
 * MMSegmentation PSPNet (configs/_base_/models/pspnet_r50-d8.py): ResNetV1c backbone (3-conv deep
 * stem, dilations (1, 1, 2, 4), strides (1, 2, 1, 1), contract_dilation: output stride 8, BN trained),
 * PSPHead (pyramid pooling 1/2/3/6 → 1×1 ConvModule 512 → bilinear resize, concat, 3×3 ConvModule
 * 512, dropout 0.1, 1×1 classifier) and the auxiliary FCNHead on layer3 (3×3 ConvModule 256, dropout,
 * 1×1 classifier). Training adds the decode losses: logits resized to the crop and cross-entropy
 * (log-softmax kept for backward) for both heads.
 */
import type { GraphBuilder, T } from "../builder.js";
import { RESNETS, resnetTrunk } from "./resnet.js";
import type { BuildFn } from "./types.js";

function convBnRelu(b: GraphBuilder, x: T, out: number, k: number, s = 1, d = 1): T {
  return b.act(b.batchNorm(b.conv(x, { out, k, s, d, p: Math.floor(k / 2) * d })), "relu", true);
}

export function pspnet(depth: 18 | 50 | 101, classes = 19): BuildFn {
  return (b, x, ctx) => {
    const nc = ctx.classes ?? classes;
    const [n, , H, W] = x.shape;
    const stem = (inp: T) => b.block("stem", inp, () => convBnRelu(b, convBnRelu(b, convBnRelu(b, inp, 32, 3, 2), 32, 3), 64, 3));
    const feats = b.scope("backbone", () => resnetTrunk(b, x, RESNETS[`resnet${depth}`], { dilate: [false, true, true], stem }));
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
