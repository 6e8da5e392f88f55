/**
 * torchvision detectors (torchvision/models/detection, v0.14): Faster R-CNN and RetinaNet on a
 * ResNet-50 FPN backbone. The backbone uses FrozenBatchNorm2d with conv1 + layer1 frozen
 * (trainable_backbone_layers=3), so the stem saves nothing in training. The image is taken as the
 * network input size after GeneralizedRCNNTransform (resize to 800/1333, pad to a multiple of 32): pass
 * e.g. --image 1344x800 or 1333x800 (padded up here).
 *
 * Anchors, proposals, ROI sampling and the losses are labelled approximations sized from torchvision's
 * defaults: RPN pre/post-NMS top-n 2000/2000 (train) and 1000/1000 (test), 512 sampled ROIs per image
 * in training, 1000 proposals per image at test, MultiScaleRoIAlign 7×7, RetinaNet 9 anchors per
 * location and sigmoid focal loss over every anchor × class.
 */
import type { GraphBuilder, T } from "../builder.js";
import { type Norm, RESNETS, resnetTrunk } from "./resnet.js";
import type { BuildContext, BuildFn } from "./types.js";

/** torchvision FeaturePyramidNetwork: 1×1 lateral convs, nearest top-down upsample + add, 3×3 output convs. */
function fpn(b: GraphBuilder, feats: T[], out = 256): T[] {
  return b.block("fpn", feats, () => {
    const n = feats.length;
    let last = b.scope(`inner_blocks.${n - 1}`, () => b.conv(feats[n - 1], { out, k: 1, p: 0, bias: true }));
    const results = [b.scope(`layer_blocks.${n - 1}`, () => b.conv(last, { out, k: 3, p: 1, bias: true }))];
    for (let i = n - 2; i >= 0; i--) {
      const lateral = b.scope(`inner_blocks.${i}`, () => b.conv(feats[i], { out, k: 1, p: 0, bias: true }));
      const top = b.upsample(last, [lateral.shape[2], lateral.shape[3]]);
      last = b.add(lateral, top);
      results.unshift(b.scope(`layer_blocks.${i}`, () => b.conv(last, { out, k: 3, p: 1, bias: true })));
    }
    return results;
  });
}

function pad32(x: T, b: GraphBuilder): T {
  const [n, c, h, w] = x.shape;
  const H = Math.ceil(h / 32) * 32;
  const W = Math.ceil(w / 32) * 32;
  // GeneralizedRCNNTransform: normalize (new tensor) and batch the padded images (new tensor).
  const norm = b.copy(x, x.shape, "normalize");
  return b.copy(norm, [n, c, H, W], "batch_images");
}

/** Anchors + box decoding + NMS bookkeeping of a set of levels (labelled approximation). */
function anchorTensors(b: GraphBuilder, levels: T[], perLoc: number, name: string): number {
  const n = levels[0].shape[0];
  const anchors = levels.reduce((s, l) => s + l.shape[2] * l.shape[3] * perLoc, 0);
  b.approx(name, levels, [3, n, anchors, 4], "f32", `${name}: anchors, decoded boxes and clipped boxes, [N, ${anchors}, 4] fp32 each (approx)`);
  return anchors;
}

/**
 * Training-time anchor matching (no grad, one image at a time): torchvision ops.box_iou between the
 * ground-truth boxes and every anchor holds lt, rb, rb − lt and wh ([G, A, 2] each) then inter, the
 * partial union and the union ([G, A]): 9 fp32 values per (box, anchor) at its peak (torchvision/ops/
 * boxes.py _box_inter_union). G = the workload's max_boxes (approx: the worst image sets the peak).
 */
function anchorMatching(b: GraphBuilder, levels: T[], anchors: number, ctx: BuildContext): void {
  if (!ctx.training) return;
  const boxes = ctx.maxBoxes ?? 100;
  b.approx("anchor_matching_iou", levels, [9, boxes, anchors], "f32", `box_iou of ${boxes} ground-truth boxes × ${anchors} anchors, one image at a time (approx)`);
}

function fasterRcnn(b: GraphBuilder, x: T, ctx: BuildContext, normKind: Norm): T[] {
  const img = pad32(x, b);
  const n = img.shape[0];
  // MMDetection freezes the stem and layer1 (frozen_stages=1); torchvision / detectron2 the same (freeze_at=2).
  const c = b.scope("backbone.body", () => resnetTrunk(b, img, RESNETS.resnet50, { norm: normKind, frozenStages: 2 }));
  const p = b.scope("backbone", () => fpn(b, c));
  p.push(b.maxPool(p[3], 1, 2, 0)); // LastLevelMaxPool → "pool"
  // RPN head (shared over the 5 levels): 3×3 conv + ReLU, 1×1 objectness (3 anchors), 1×1 deltas.
  const rpnOut: T[] = [];
  b.scope("rpn.head", () => {
    // Parameters are shared: count them once, on the first level.
    p.forEach((f, i) => {
      const run = () => {
        const t = b.act(b.conv(f, { out: 256, k: 3, p: 1, bias: true }), "relu", true);
        rpnOut.push(b.conv(t, { out: 3, k: 1, p: 0, bias: true }), b.conv(t, { out: 12, k: 1, p: 0, bias: true }));
      };
      if (i === 0) run();
      else b.sharedWeights(run);
    });
  });
  const rpnAnchors = anchorTensors(b, p, 3, "rpn_anchors");
  anchorMatching(b, p, rpnAnchors, ctx);
  const rois = ctx.training ? 512 * n : 1000 * n;
  const pooled = b.approx("roi_align", p.slice(0, 4), [rois, 256, 7, 7], p[0].dtype, `MultiScaleRoIAlign 7×7 over ${rois / n} ROIs per image (approx)`);
  let h = b.view(pooled, [rois, 256 * 49]);
  h = b.act(b.scope("roi_heads.box_head.fc6", () => b.linear(h, 1024)), "relu");
  h = b.act(b.scope("roi_heads.box_head.fc7", () => b.linear(h, 1024)), "relu");
  const classes = ctx.classes ?? 91;
  const cls = b.scope("roi_heads.box_predictor.cls_score", () => b.linear(h, classes));
  const box = b.scope("roi_heads.box_predictor.bbox_pred", () => b.linear(h, 4 * classes));
  if (ctx.training) b.approx("fastrcnn_loss", [cls], [rois, classes], "f32", "cross-entropy log-softmax kept for backward (approx)", true);
  return [cls, box];
}

function retinanet(b: GraphBuilder, x: T, ctx: BuildContext): T[] {
  const img = pad32(x, b);
  const n = img.shape[0];
  const c = b.scope("backbone.body", () => resnetTrunk(b, img, RESNETS.resnet50, { norm: "frozen", frozenStages: 2 }));
  const p = b.scope("backbone", () => fpn(b, c.slice(1)));
  // LastLevelP6P7(256, 256): P6 = 3×3/2 conv on P5, P7 = 3×3/2 conv on relu(P6).
  const p6 = b.scope("backbone.fpn.extra_blocks.p6", () => b.conv(p[2], { out: 256, k: 3, s: 2, p: 1, bias: true }));
  const p7 = b.scope("backbone.fpn.extra_blocks.p7", () => b.conv(b.act(p6, "relu"), { out: 256, k: 3, s: 2, p: 1, bias: true }));
  p.push(p6, p7);
  const classes = ctx.classes ?? 91;
  const A = 9;
  const subnet = (name: string, outCh: number) =>
    b.scope(name, () =>
      p.map((f, li) => {
        const run = () => {
          let t = f;
          for (let i = 0; i < 4; i++) t = b.act(b.conv(t, { out: 256, k: 3, p: 1, bias: true }), "relu", true);
          const o = b.conv(t, { out: outCh, k: 3, p: 1, bias: true });
          // view(N, A, K, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, K): a copy
          return b.copy(o, [n, o.shape[2] * o.shape[3] * A, outCh / A], "head_reshape");
        };
        return li === 0 ? run() : b.sharedWeights(run);
      }),
    );
  const clsOut = b.cat(subnet("head.classification_head", A * classes), 1);
  const regOut = b.cat(subnet("head.regression_head", A * 4), 1);
  const anchors = anchorTensors(b, p, A, "anchors");
  anchorMatching(b, p, anchors, ctx);
  if (ctx.training) {
    // sigmoid_focal_loss (torchvision/ops/focal_loss.py) per image over all anchors × classes: the one-hot
    // target, sigmoid p, BCE, p_t, (1 − p_t)^γ, the product and alpha_t — about 8 fp32 maps of
    // [anchors, classes] kept for backward per image (approx).
    const terms = b.approx("focal_loss_terms", [clsOut], [7, n, anchors, classes], "f32", "sigmoid focal loss: ~7 fp32 [anchors × classes] intermediates per image kept for backward (approx)", true);
    // The per-element loss map, then its sum: backward carries [anchors × classes] gradients through them.
    const lossMap = b.approx("focal_loss", [clsOut, terms], [n, anchors, classes], "f32", "focal loss map (approx)", true, true);
    b.approx("loss_sum", [lossMap], [1], "f32", "loss reduction", false, true);
  }
  return [clsOut, regOut];
}

export function detector(kind: "fasterrcnn_resnet50_fpn" | "retinanet_resnet50_fpn" | "mmdet_faster_rcnn_r50_fpn"): BuildFn {
  return (b, x, ctx) =>
    kind === "retinanet_resnet50_fpn" ? retinanet(b, x, ctx) : fasterRcnn(b, x, ctx, kind === "mmdet_faster_rcnn_r50_fpn" ? "bn_eval" : "frozen");
}
