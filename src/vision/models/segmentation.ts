/**
 * torchvision semantic segmentation (torchvision/models/segmentation, v0.14): FCN-ResNet50 and
 * DeepLabV3-ResNet50 on a dilated ResNet-50 (replace_stride_with_dilation [False, True, True]: output
 * stride 8), with the auxiliary FCN head on layer3 (aux_loss=True, as the published weights), and
 * bilinear upsampling of both outputs to the input size. IntermediateLayerGetter keeps layer3's output in
 * its result dict until the auxiliary head runs.
 */
import type { GraphBuilder, T } from "../builder.js";
import { RESNETS, resnetTrunk } from "./resnet.js";
import type { BuildFn } from "./types.js";

function convBnRelu(b: GraphBuilder, x: T, out: number, k: number, d = 1): T {
  return b.act(b.batchNorm(b.conv(x, { out, k, d, p: k === 1 ? 0 : d })), "relu");
}

/** FCNHead: 3×3 conv to in/4 → BN → ReLU → Dropout(0.1) → 1×1 conv. */
function fcnHead(b: GraphBuilder, x: T, classes: number, training: boolean): T {
  return b.block("fcn_head", x, () => {
    const h = b.dropout(convBnRelu(b, x, x.shape[1] / 4, 3), training ? 0.1 : 0);
    return b.conv(h, { out: classes, k: 1, p: 0, bias: true });
  });
}

/** DeepLabHead: ASPP (1×1, atrous 12/24/36, image pooling) → project → 3×3 conv → 1×1 conv. */
function deeplabHead(b: GraphBuilder, x: T, classes: number, training: boolean): T {
  return b.block("deeplab_head", x, () => {
    const aspp = b.block("aspp", x, () => {
      const branches = [b.block("convs.0", x, () => convBnRelu(b, x, 256, 1))];
      for (const r of [12, 24, 36]) branches.push(b.block(`atrous${r}`, x, () => convBnRelu(b, x, 256, 3, r)));
      branches.push(
        b.block("pooling", x, () => b.upsample(convBnRelu(b, b.adaptiveAvgPool(x, [1, 1]), 256, 1), [x.shape[2], x.shape[3]])),
      );
      const cat = b.cat(branches, 1);
      return b.block("project", cat, () => b.dropout(convBnRelu(b, cat, 256, 1), training ? 0.5 : 0));
    });
    const h = convBnRelu(b, aspp, 256, 3);
    return b.conv(h, { out: classes, k: 1, p: 0, bias: true });
  });
}

export function segmentation(kind: "fcn_resnet50" | "deeplabv3_resnet50"): BuildFn {
  return (b, x, ctx) => {
    const classes = ctx.classes ?? 21;
    const [, , H, W] = x.shape;
    const feats = b.scope("backbone", () => resnetTrunk(b, x, RESNETS.resnet50, { dilate: [false, true, true] }));
    const [c3, c4] = [feats[2], feats[3]];
    // features["aux"] (layer3) stays referenced by the backbone's result dict until the aux head runs.
    return b.block("model", [c3], () => {
      const main = kind === "fcn_resnet50" ? fcnHead(b, c4, classes, ctx.training) : deeplabHead(b, c4, classes, ctx.training);
      const out = b.upsample(main, [H, W]);
      const aux = b.upsample(fcnHead(b, c3, classes, ctx.training), [H, W]);
      return [out, aux];
    });
  };
}
