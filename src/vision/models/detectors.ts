/**
 * Detectors by composition, as MMDetection (3.x), detectron2 and torchvision build them: a backbone
 * (ResNet 18–152 / ResNeXt in pytorch or caffe style, Swin, ConvNeXt) × a neck (FPN, PAFPN; detectron2's C4
 * and DC5) × heads (RPN + RoI box heads, cascade stages, mask and keypoint heads, panoptic semantic head;
 * RetinaNet, FCOS, ATSS).
 *
 * Sources (module structure and defaults; figures are the frameworks' config defaults):
 * - MMDetection configs/_base_/models/faster-rcnn_r50_fpn.py, mask-rcnn_r50_fpn.py, cascade-rcnn_r50_fpn.py,
 *   retinanet_r50_fpn.py, configs/fcos, configs/atss: RPN 3 anchors/location; train rpn_proposal nms_pre 2000,
 *   max_per_img 1000; rcnn sampler RandomSampler num 512, pos_fraction 0.25, add_gt_as_proposals; Shared2FC
 *   box head (fc 1024 ×2), FCNMaskHead (4 × conv 3×3 256, deconv 2×2, 1×1 logits, RoIs 14×14 → masks 28×28);
 *   test max_per_img 100; ResNet norm_cfg BN requires_grad=True, norm_eval=True, frozen_stages=1, style pytorch
 *   ("-caffe" configs: requires_grad=False, style caffe); FPN out 256 num_outs 5 (RetinaNet start_level 1,
 *   add_extra_convs on_input; FCOS/ATSS on_output).
 * - detectron2 config/defaults.py: RESNETS.NORM FrozenBN, BACKBONE.FREEZE_AT 2, STRIDE_IN_1X1 True (MSRA
 *   R50/R101), RPN.PRE_NMS_TOPK_TRAIN 2000 / POST_NMS_TOPK_TRAIN 1000 per image, ROI_HEADS.BATCH_SIZE_PER_IMAGE
 *   512, POSITIVE_FRACTION 0.25, ROI_BOX_HEAD 2 × fc 1024 (GN configs: 4 conv + 1 fc), keypoint head 8 × conv
 *   512 → deconv → ×2 upsample (56×56 heatmaps), Res5ROIHeads for C4.
 * - torchvision/models/detection (v0.14): FrozenBatchNorm2d, trainable_backbone_layers 3, RPN post-NMS 2000
 *   (train) / 1000 (test), box predictor Linear(1024, 4 × classes incl. background).
 *
 * Data-dependent training costs are sized from the workload: sampled RoIs per image (512), positive RoIs
 * for the mask/keypoint heads (the sampler's upper bound, 25 % of 512), ground-truth boxes of the busiest
 * image (`max_boxes`) in the IoU assigner. They are labelled approximations in the graph.
 */
import { VramfitError } from "../../core/errors.js";
import type { GraphBuilder, T } from "../builder.js";
import { type ConvNextSpec, convnextTrunk } from "./convnext.js";
import { type Norm, type ResNetStyle, norm as applyNorm, resnetSpec, resnetTrunk } from "./resnet.js";
import { vitdetTrunk } from "./sam.js";
import { type SwinSpec, swinTrunk } from "./swin.js";
import type { BuildContext, BuildFn, Conventions } from "./types.js";

export type DetFramework = "mmdet" | "detectron2" | "torchvision";

export type BackboneSpec =
  | { kind: "resnet"; depth: number; groups?: number; width?: number; style?: ResNetStyle; deepStem?: boolean; avgDown?: boolean; dilateLast?: boolean; c4?: boolean }
  | { kind: "swin"; spec: SwinSpec }
  | { kind: "convnext"; spec: ConvNextSpec }
  | { kind: "vitdet"; size: "b" | "l" | "h" };

export type DetArch = "faster_rcnn" | "mask_rcnn" | "cascade_rcnn" | "cascade_mask_rcnn" | "rpn" | "fast_rcnn" | "keypoint_rcnn" | "panoptic_fpn" | "retinanet" | "fcos" | "atss";

export interface DetectorSpec {
  framework: DetFramework;
  arch: DetArch;
  backbone: BackboneSpec;
  /** fpn (default), pafpn, or detectron2's C4 (RPN on res4, res5 as the RoI head) / DC5 (dilated res5). */
  neck?: "fpn" | "pafpn" | "c4" | "dc5";
  /** RoI box head: 2fc (default) or 4conv1fc (GN / SyncBN configs). */
  boxHead?: "2fc" | "4conv1fc";
  /** Norm inside the heads and the FPN (detectron2 GN/SyncBN configs, FCOS/ATSS GroupNorm heads, ViTDet LayerNorm). */
  headNorm?: "gn" | "bn" | "ln";
  /** FCOS "centeronreg" variant: centerness on the regression branch (no parameter change). */
  stuffClasses?: number;
}

// ---- framework conventions ---------------------------------------------------------------------

interface Resolved {
  norm: Norm;
  frozenStages: number;
  style: ResNetStyle;
}

/** The backbone's norm, frozen stages and style: the framework's defaults, overridden by the workload. */
export function resolveConventions(spec: DetectorSpec, conv: Conventions = {}): Resolved {
  const fw = conv.framework === "mmdet" || conv.framework === "detectron2" || conv.framework === "torchvision" ? conv.framework : spec.framework;
  const bb = spec.backbone;
  const caffe = bb.kind === "resnet" && bb.style === "caffe";
  let norm: Norm;
  if (conv.norm === "gn") norm = "gn";
  else if (conv.norm === "frozen_bn") norm = "frozen";
  else if (conv.norm === "bn" || conv.norm === "syncbn") norm = conv.normEval === true ? "bn_eval" : "bn";
  else if (conv.normEval === false) norm = "bn";
  else if (fw === "mmdet") norm = caffe ? "bn_frozen" : "bn_eval";
  else norm = "frozen";
  // MMDetection frozen_stages=1 / detectron2 FREEZE_AT=2 / torchvision trainable_backbone_layers=3: stem + stage 1.
  const frozenStages = (conv.frozenStages ?? (norm === "gn" && fw !== "mmdet" ? 1 : 1)) + 1;
  const style: ResNetStyle = conv.style ?? (bb.kind === "resnet" && bb.style ? bb.style : fw === "detectron2" && bb.kind === "resnet" && (bb.groups ?? 1) === 1 ? "caffe" : "pytorch");
  return { norm, frozenStages, style };
}

// ---- building blocks -----------------------------------------------------------------------------

function layerNorm2d(b: GraphBuilder, x: T): T {
  const [n, c, h, w] = x.shape;
  return b.view(b.layerNorm(b.view(x, [n, h, w, c])), [n, c, h, w]);
}

function convNormAct(b: GraphBuilder, x: T, out: number, k: number, o: { s?: number; norm?: "gn" | "bn" | "ln"; act?: boolean } = {}): T {
  let y = b.conv(x, { out, k, s: o.s ?? 1, p: Math.floor(k / 2), bias: !o.norm });
  if (o.norm === "gn") y = b.groupNorm(y, 32);
  else if (o.norm === "bn") y = b.batchNorm(y);
  else if (o.norm === "ln") y = layerNorm2d(b, y);
  return o.act === false ? y : b.act(y, "relu", true);
}

/**
 * The detection batch as the data preprocessor makes it: normalized on the GPU (a new tensor), then the
 * images padded into one batch tensor to a multiple of 32 (MMDetection pad_size_divisor=32, detectron2
 * SIZE_DIVISIBILITY, torchvision GeneralizedRCNNTransform).
 */
export function detectionBatch(b: GraphBuilder, x: T): T {
  const [n, c, h, w] = x.shape;
  const norm = b.copy(x, x.shape, "normalize");
  return b.copy(norm, [n, c, Math.ceil(h / 32) * 32, Math.ceil(w / 32) * 32], "batch_images");
}

function backbone(b: GraphBuilder, x: T, spec: DetectorSpec, r: Resolved, ctx: BuildContext): T[] {
  const bb = spec.backbone;
  if (bb.kind === "swin") return b.scope("backbone", () => swinTrunk(b, x, bb.spec, ctx, true).feats);
  if (bb.kind === "convnext") return b.scope("backbone", () => convnextTrunk(b, x, bb.spec, ctx, true).feats);
  if (bb.kind === "vitdet") throw new VramfitError("unsupported", "ViTDet's backbone feeds a SimpleFeaturePyramid, not a multi-level neck");
  const rs = resnetSpec(bb.depth, bb.groups ?? 1, bb.width ?? 64);
  return b.scope("backbone", () =>
    resnetTrunk(b, x, rs, { norm: r.norm, frozenStages: r.frozenStages, style: r.style, deepStem: bb.deepStem, avgDown: bb.avgDown, dilate: [false, false, !!bb.dilateLast], ...(bb.c4 ? { stages: 3 } : {}) }),
  );
}

/**
 * FPN (MMDetection necks/fpn.py; detectron2 modeling/backbone/fpn.py; torchvision ops/feature_pyramid_network.py):
 * 1×1 laterals from `start` on, nearest top-down upsampling + add, 3×3 outputs; extra levels up to `numOuts` by
 * max-pool (stride 2, kernel 1) or by 3×3/2 convs on the last input ("on_input") or output ("on_output").
 */
export function fpn(b: GraphBuilder, feats: T[], o: { start?: number; numOuts?: number; extra?: "pool" | "on_input" | "on_output"; reluBeforeExtra?: boolean; norm?: "gn" | "bn" | "ln"; out?: number } = {}): T[] {
  const out = o.out ?? 256;
  const ins = feats.slice(o.start ?? 0);
  return b.block("neck", ins, () => {
    const laterals = ins.map((f, i) => b.scope(`lateral_convs.${i}`, () => convNormAct(b, f, out, 1, { norm: o.norm, act: false })));
    for (let i = laterals.length - 1; i > 0; i--) laterals[i - 1] = b.add(laterals[i - 1], b.upsample(laterals[i], [laterals[i - 1].shape[2], laterals[i - 1].shape[3]]));
    const outs = laterals.map((l, i) => b.scope(`fpn_convs.${i}`, () => convNormAct(b, l, out, 3, { norm: o.norm, act: false })));
    const numOuts = o.numOuts ?? 5;
    for (let k = outs.length; k < numOuts; k++) {
      if ((o.extra ?? "pool") === "pool") outs.push(b.maxPool(outs[outs.length - 1], 1, 2, 0));
      else {
        let src = k === ins.length && o.extra === "on_input" ? ins[ins.length - 1] : outs[outs.length - 1];
        if (k > ins.length || o.reluBeforeExtra) src = b.act(src, "relu");
        outs.push(b.scope(`fpn_convs.${k}`, () => b.conv(src, { out, k: 3, s: 2, p: 1, bias: true })));
      }
    }
    return outs;
  });
}

/**
 * ViTDet's SimpleFeaturePyramid (detectron2 modeling/backbone/vit.py): from the stride-16 map, scale 4 = two 2×2/2
 * transposed convs (LayerNorm + GELU between), 2 = one, 1 = identity, 0.5 = 2×2 max pool; each then 1×1 and 3×3
 * convs to 256 with LayerNorm; P6 by max pool.
 */
function simpleFeaturePyramid(b: GraphBuilder, x: T): T[] {
  const dim = x.shape[1];
  return b.block("simfp", x, () => {
    const outs = [4, 2, 1, 0.5].map((scale) =>
      b.scope(`simfp_${scale}`, () => {
        let t = x;
        if (scale === 4) {
          t = b.convTranspose(t, { out: dim / 2, k: 2, s: 2 });
          t = b.act(layerNorm2d(b, t), "gelu");
          t = b.convTranspose(t, { out: dim / 4, k: 2, s: 2 });
        } else if (scale === 2) t = b.convTranspose(t, { out: dim / 2, k: 2, s: 2 });
        else if (scale === 0.5) t = b.maxPool(t, 2, 2);
        t = convNormAct(b, t, 256, 1, { norm: "ln", act: false });
        return convNormAct(b, t, 256, 3, { norm: "ln", act: false });
      }),
    );
    outs.push(b.maxPool(outs[3], 1, 2, 0));
    return outs;
  });
}

/** PAFPN (MMDetection necks/pafpn.py): FPN, then a bottom-up path of 3×3/2 downsample convs + adds and 3×3 convs. */
function pafpn(b: GraphBuilder, feats: T[]): T[] {
  const base = fpn(b, feats, { numOuts: feats.length });
  return b.block("pafpn", base, () => {
    const outs = [base[0]];
    for (let i = 1; i < base.length; i++) {
      const down = b.scope(`downsample_convs.${i - 1}`, () => b.conv(outs[i - 1], { out: 256, k: 3, s: 2, p: 1, bias: true }));
      outs.push(b.scope(`pafpn_convs.${i - 1}`, () => b.conv(b.add(base[i], down), { out: 256, k: 3, p: 1, bias: true })));
    }
    outs.push(b.maxPool(outs[outs.length - 1], 1, 2, 0));
    return outs;
  });
}

/** IoU of `boxes` ground-truth boxes with every anchor/point, one image at a time (approx: 9 fp32 values per pair, the torchvision/MMDetection bbox_overlaps intermediates). */
function assigner(b: GraphBuilder, levels: T[], perLoc: number, ctx: BuildContext, what: string, perPair = 9): void {
  if (!ctx.training) return;
  const anchors = levels.reduce((s, l) => s + l.shape[2] * l.shape[3] * perLoc, 0);
  const boxes = ctx.maxBoxes ?? 100;
  b.approx("assigner", levels, [perPair, boxes, anchors], "f32", `${what}: IoU of ${boxes} ground-truth boxes × ${anchors} anchors, ${perPair} fp32 values per pair, one image at a time (approx)`);
}

/** Anchors, decoded boxes and scores of every location of a batch (approx: [3, N, anchors, 4] fp32). */
function anchorTensors(b: GraphBuilder, levels: T[], perLoc: number, name: string): number {
  const n = levels[0].shape[0];
  const anchors = levels.reduce((s, l) => s + l.shape[2] * l.shape[3] * perLoc, 0);
  b.approx(name, levels, [3, n, anchors, 4], "f32", `${name}: anchors, decoded and clipped boxes, [N, ${anchors}, 4] fp32 each (approx)`);
  return anchors;
}

function shared<R>(b: GraphBuilder, i: number, f: () => R): R {
  return i === 0 ? f() : b.sharedWeights(f);
}

// ---- two-stage ---------------------------------------------------------------------------------

interface RoiCounts {
  /** RoIs per image through the box head. */
  box: number;
  /** RoIs per image through the mask / keypoint head. */
  mask: number;
}

function roiCounts(fw: DetFramework, training: boolean): RoiCounts {
  // Training: 512 sampled RoIs, at most 25 % positive (all three frameworks). Inference: the RPN's post-NMS
  // proposals (1000) through the box head, the 100 final detections through the mask head.
  if (training) return { box: 512, mask: 128 };
  return { box: 1000, mask: 100 };
}

function rpnHead(b: GraphBuilder, levels: T[], anchorsPerLoc: number, ctx: BuildContext): void {
  b.scope("rpn_head", () =>
    levels.forEach((f, i) =>
      shared(b, i, () => {
        const t = b.act(b.conv(f, { out: f.shape[1], k: 3, p: 1, bias: true }), "relu", true);
        b.conv(t, { out: anchorsPerLoc, k: 1, p: 0, bias: true });
        b.conv(t, { out: 4 * anchorsPerLoc, k: 1, p: 0, bias: true });
      }),
    ),
  );
  anchorTensors(b, levels, anchorsPerLoc, "rpn_anchors");
  assigner(b, levels, anchorsPerLoc, ctx, "RPN MaxIoUAssigner");
}

/** RoIAlign of `rois` RoIs from the levels into [rois, C, s, s] (MultiScaleRoIAlign / SingleRoIExtractor). */
function roiAlign(b: GraphBuilder, levels: T[], rois: number, size: number, what: string): T {
  return b.approx("roi_align", levels, [rois, levels[0].shape[1], size, size], levels[0].dtype, `${what}: RoIAlign ${size}×${size} of ${rois} RoIs (the feature maps are not saved, only the RoIs)`);
}

function boxHead(b: GraphBuilder, pooled: T, kind: "2fc" | "4conv1fc", norm: "gn" | "bn" | "ln" | undefined, classes: number, regOut: number, name: string, ctx: BuildContext): T {
  return b.block(name, pooled, () => {
    let h = pooled;
    if (kind === "4conv1fc") for (let i = 0; i < 4; i++) h = b.scope(`shared_convs.${i}`, () => convNormAct(b, h, 256, 3, { norm: norm ?? "gn" }));
    const rois = h.shape[0];
    h = b.view(h, [rois, h.shape[1] * h.shape[2] * h.shape[3]]);
    const fcs = kind === "4conv1fc" ? 1 : 2;
    for (let i = 0; i < fcs; i++) h = b.act(b.scope(`shared_fcs.${i}`, () => b.linear(h, 1024)), "relu", true);
    const cls = b.scope("fc_cls", () => b.linear(h, classes + 1));
    b.scope("fc_reg", () => b.linear(h, regOut));
    if (ctx.training) b.approx("cross_entropy", [cls], [rois, classes + 1], "f32", "softmax cross-entropy over the sampled RoIs (log-softmax kept)", true);
    return cls;
  });
}

/** FCNMaskHead / MaskRCNNConvUpsampleHead: 4 × conv 3×3 + ReLU on 14×14 RoIs, deconv 2×2/2 + ReLU, 1×1 logits per class; BCE on the 28×28 targets of each RoI's class. */
function maskHead(b: GraphBuilder, levels: T[], rois: number, classes: number, norm: "gn" | "bn" | "ln" | undefined, name: string, ctx: BuildContext): T {
  const pooled = roiAlign(b, levels, rois, 14, `${name} RoIs`);
  return b.block(name, pooled, () => {
    let h = pooled;
    for (let i = 0; i < 4; i++) h = b.scope(`convs.${i}`, () => convNormAct(b, h, 256, 3, { norm }));
    h = b.act(b.scope("upsample", () => b.convTranspose(h, { out: 256, k: 2, s: 2 })), "relu", true);
    const logits = b.scope("conv_logits", () => b.conv(h, { out: classes, k: 1, p: 0, bias: true }));
    if (ctx.training) {
      // mask targets: RoIAlign of each positive's gt mask to 28×28 (fp32), BCE-with-logits on its class channel
      b.approx("mask_targets", [logits], [rois, 28, 28], "f32", "28×28 fp32 mask targets of the positive RoIs");
      b.approx("mask_bce", [logits], [rois, 28, 28], "f32", "binary cross-entropy on the gathered class channel", true);
    }
    return logits;
  });
}

/** detectron2 KRCNNConvDeconvUpsampleHead: 8 × conv 3×3 512 + ReLU on 14×14, deconv 4×4/2 to K maps, ×2 bilinear → 56×56, softmax CE over 56² per keypoint. */
function keypointHead(b: GraphBuilder, levels: T[], rois: number, keypoints: number, ctx: BuildContext): T {
  const pooled = roiAlign(b, levels, rois, 14, "keypoint RoIs");
  return b.block("keypoint_head", pooled, () => {
    let h = pooled;
    for (let i = 0; i < 8; i++) h = b.act(b.scope(`conv_fcn${i + 1}`, () => b.conv(h, { out: 512, k: 3, p: 1, bias: true })), "relu", true);
    const low = b.scope("score_lowres", () => b.convTranspose(h, { out: keypoints, k: 4, s: 2, p: 1 }));
    const up = b.upsample(low, 2);
    if (ctx.training) b.approx("keypoint_ce", [up], [rois * keypoints, up.shape[2] * up.shape[3]], "f32", "cross-entropy over the 56×56 heatmap of each keypoint (log-softmax kept)", true);
    return up;
  });
}

/** detectron2 SemSegFPNHead / MMDetection PanopticFPNHead: per level conv 3×3 128 + GN + ReLU (+ ×2 upsample) to stride 4, sum, 1×1 predictor, ×4 upsample, cross-entropy. */
function semanticHead(b: GraphBuilder, levels: T[], stuff: number, imageHW: [number, number], ctx: BuildContext): T {
  return b.block("sem_seg_head", levels, () => {
    const target = levels[0];
    let sum: T | undefined;
    levels.slice(0, 4).forEach((f, li) => {
      let h = f;
      const steps = Math.max(1, li);
      for (let k = 0; k < steps; k++) {
        h = b.scope(`scale_heads.${li}.${k}`, () => convNormAct(b, h, 128, 3, { norm: "gn" }));
        if (li > 0) h = b.upsample(h, 2);
      }
      if (h.shape[2] !== target.shape[2] || h.shape[3] !== target.shape[3]) h = b.upsample(h, [target.shape[2], target.shape[3]]);
      sum = sum ? b.add(sum, h) : h;
    });
    const logits = b.scope("predictor", () => b.conv(sum!, { out: stuff, k: 1, p: 0, bias: true }));
    const up = b.upsample(logits, imageHW);
    if (ctx.training) b.approx("sem_seg_ce", [up], up.shape, "f32", "cross-entropy log-softmax over the full-resolution stuff logits", true);
    return up;
  });
}

function twoStage(b: GraphBuilder, x: T, spec: DetectorSpec, ctx: BuildContext): T[] {
  const r = resolveConventions(spec, ctx.conv);
  const img = detectionBatch(b, x);
  const n = img.shape[0];
  const fw = spec.framework;
  // torchvision's num_classes counts the background: its heads have num_classes outputs, the others classes + 1.
  const classes = fw === "torchvision" ? (ctx.classes ?? 91) - 1 : (ctx.classes ?? 80);
  const counts = roiCounts(fw, ctx.training);
  const headNorm = spec.headNorm;
  if (spec.neck === "c4" || spec.neck === "dc5") return resnetC4(b, img, spec, r, ctx);
  const bb = spec.backbone;
  const p =
    bb.kind === "vitdet"
      ? simpleFeaturePyramid(b, b.scope("backbone.net", () => vitdetTrunk(b, img, bb.size, ctx.training)))
      : spec.neck === "pafpn"
        ? pafpn(b, backbone(b, img, spec, r, ctx))
        : fpn(b, backbone(b, img, spec, r, ctx), { norm: headNorm });
  const roiLevels = p.slice(0, 4);
  const outs: T[] = [];
  if (spec.arch !== "fast_rcnn") rpnHead(b, p, 3, ctx);
  if (spec.arch === "rpn") return p;
  const cascade = spec.arch === "cascade_rcnn" || spec.arch === "cascade_mask_rcnn";
  const stages = cascade ? (ctx.conv?.cascadeStages ?? 3) : 1;
  const withMask = spec.arch === "mask_rcnn" || spec.arch === "cascade_mask_rcnn";
  const boxKind = spec.boxHead ?? "2fc";
  // torchvision's predictor regresses 4 values for every class incl. background; MMDetection/detectron2
  // for every foreground class; cascade stages are class-agnostic.
  const reg = cascade ? 4 : fw === "torchvision" ? 4 * (classes + 1) : 4 * classes;
  for (let s = 0; s < stages; s++) {
    const rois = counts.box * n;
    if (ctx.training) b.approx("roi_sampling", [], [rois, 5], "f32", `${counts.box} sampled RoIs per image (box, score, targets; approx)`);
    const pooled = roiAlign(b, roiLevels, rois, 7, `stage ${s} box`);
    outs.push(boxHead(b, pooled, boxKind, headNorm, classes, reg, `roi_head.bbox_head.${s}`, ctx));
    if (withMask && (ctx.training || s === stages - 1)) outs.push(maskHead(b, roiLevels, counts.mask * n, fw === "torchvision" ? classes + 1 : classes, headNorm, `roi_head.mask_head.${s}`, ctx));
  }
  if (spec.arch === "keypoint_rcnn") outs.push(keypointHead(b, roiLevels, counts.mask * n, ctx.conv?.keypoints ?? 17, ctx));

  if (spec.arch === "panoptic_fpn") outs.push(semanticHead(b, p, ctx.conv?.stuffClasses ?? spec.stuffClasses ?? (spec.framework === "mmdet" ? 53 : 54), [img.shape[2], img.shape[3]], ctx));
  return outs;
}

/**
 * detectron2 C4 / DC5 (configs/Base-RCNN-C4.yaml, Base-RCNN-DilatedC5.yaml): C4 runs the backbone to res4
 * (stride 16), one RPN level with 15 anchors (5 sizes × 3 ratios), and res5 (3 bottlenecks, first stride 2) on
 * 14×14 RoIs as the box head (Res5ROIHeads), average-pooled into the predictor; Mask R-CNN C4 puts a deconv
 * mask head on res5's output. DC5 dilates res5 (stride 16), RPN on it, 2 × fc 1024 box head on 7×7 RoIs.
 */
function resnetC4(b: GraphBuilder, img: T, spec: DetectorSpec, r: Resolved, ctx: BuildContext): T[] {
  const n = img.shape[0];
  const classes = ctx.classes ?? 80;
  const counts = roiCounts(spec.framework, ctx.training);
  const bb = spec.backbone;
  if (bb.kind !== "resnet") throw new VramfitError("unsupported", "C4/DC5 heads need a ResNet backbone");
  const rs = resnetSpec(bb.depth, bb.groups ?? 1, bb.width ?? 64);
  const withMask = spec.arch === "mask_rcnn";
  if (spec.neck === "dc5") {
    const c = b.scope("backbone", () => resnetTrunk(b, img, rs, { norm: r.norm, frozenStages: r.frozenStages, style: r.style, dilate: [false, false, true] }));
    const res5 = [c[3]];
    rpnHead(b, res5, 15, ctx);
    if (spec.arch === "rpn") return res5;
    const pooled = roiAlign(b, res5, counts.box * n, 7, "box");
    const outs = [boxHead(b, pooled, "2fc", undefined, classes, 4 * classes, "roi_heads.box_head", ctx)];
    if (withMask) outs.push(maskHead(b, res5, counts.mask * n, classes, undefined, "roi_heads.mask_head", ctx));
    return outs;
  }
  const c = b.scope("backbone", () => resnetTrunk(b, img, rs, { norm: r.norm, frozenStages: r.frozenStages, style: r.style, stages: 3 }));
  const res4 = [c[2]];
  rpnHead(b, res4, 15, ctx);
  if (spec.arch === "rpn") return res4;
  const rois = counts.box * n;
  const pooled = roiAlign(b, res4, rois, 14, "box");
  const res5 = b.scope("roi_heads.res5", () => resnetTrunk(b, pooled, rs, { norm: r.norm, style: r.style, onlyStage: 3 }))[0];
  const feat = b.adaptiveAvgPool(res5, [1, 1]);
  const flat = b.view(feat, [rois, res5.shape[1]]);
  const cls = b.scope("roi_heads.box_predictor.cls_score", () => b.linear(flat, classes + 1));
  b.scope("roi_heads.box_predictor.bbox_pred", () => b.linear(flat, 4 * classes));
  if (ctx.training) b.approx("cross_entropy", [cls], [rois, classes + 1], "f32", "softmax cross-entropy (log-softmax kept)", true);
  const outs = [cls];
  if (withMask) {
    // Mask head on the positives' res5 features (7×7): deconv 2×2/2 + ReLU, 1×1 logits (MaskRCNNConvUpsampleHead, 0 convs).
    const m = counts.mask * n;
    const pos = b.approx("positive_res5", [res5], [m, res5.shape[1], res5.shape[2], res5.shape[3]], res5.dtype, "res5 features of the positive RoIs (index copy)");
    const up = b.act(b.scope("roi_heads.mask_head.deconv", () => b.convTranspose(pos, { out: 256, k: 2, s: 2 })), "relu", true);
    const logits = b.scope("roi_heads.mask_head.predictor", () => b.conv(up, { out: classes, k: 1, p: 0, bias: true }));
    if (ctx.training) b.approx("mask_bce", [logits], [m, logits.shape[2], logits.shape[3]], "f32", "binary cross-entropy on the gathered class channel", true);
    outs.push(logits);
  }
  return outs;
}

// ---- one-stage ---------------------------------------------------------------------------------

/**
 * Dense-head classification loss. MMDetection's FocalLoss calls mmcv's fused CUDA sigmoid_focal_loss on the
 * flattened logits (it keeps its input, the targets and a per-element loss); detectron2 (fvcore
 * sigmoid_focal_loss_jit) and torchvision (ops.sigmoid_focal_loss) compute it in Python: sigmoid p, the BCE
 * map, p_t, (1 − p_t)^γ, the product and α_t — about 7 fp32 maps of [anchors × classes] kept for backward.
 */
function focalLoss(b: GraphBuilder, logits: T, fw: DetFramework): void {
  const [n, a, c] = logits.shape;
  if (fw === "mmdet") {
    const flat = b.copy(logits, [n * a, c], "contiguous");
    b.approx("sigmoid_focal_loss", [flat], [n * a, c], "f32", "mmcv fused sigmoid focal loss: per-element loss map", false, true);
    return;
  }
  const terms = b.approx("focal_loss_terms", [logits], [7, n, a, c], "f32", "sigmoid focal loss in Python: ~7 fp32 [anchors × classes] intermediates kept for backward (approx)", true);
  b.approx("focal_loss", [logits, terms], [n, a, c], "f32", "focal loss map", true, true);
}

function denseHead(b: GraphBuilder, levels: T[], o: { convs: number; norm?: "gn"; clsOut: number; regOut: number; centerness: boolean; name: string; bias: boolean; scales: boolean }): { cls: T[]; reg: T[] } {
  const cls: T[] = [];
  const reg: T[] = [];
  b.scope(o.name, () =>
    levels.forEach((f, li) =>
      shared(b, li, () => {
        let tc = f;
        let tr = f;
        for (let i = 0; i < o.convs; i++) {
          tc = b.scope(`cls_convs.${i}`, () => {
            let y = b.conv(tc, { out: 256, k: 3, p: 1, bias: o.bias || !o.norm });
            if (o.norm) y = b.groupNorm(y, 32);
            return b.act(y, "relu", true);
          });
          tr = b.scope(`reg_convs.${i}`, () => {
            let y = b.conv(tr, { out: 256, k: 3, p: 1, bias: o.bias || !o.norm });
            if (o.norm) y = b.groupNorm(y, 32);
            return b.act(y, "relu", true);
          });
        }
        const c = b.scope("conv_cls", () => b.conv(tc, { out: o.clsOut, k: 3, p: 1, bias: true }));
        const r = b.scope("conv_reg", () => b.conv(tr, { out: o.regOut, k: 3, p: 1, bias: true }));
        if (o.centerness) b.scope("conv_centerness", () => b.conv(tr, { out: 1, k: 3, p: 1, bias: true }));
        // MMDetection's FCOS/ATSS heads learn one Scale per level; torchvision's FCOS has none.
        if (o.scales && li === 0) b.extraParams("scales", levels.map(() => [1]));
        cls.push(c);
        reg.push(r);
      }),
    ),
  );
  return { cls, reg };
}

function oneStage(b: GraphBuilder, x: T, spec: DetectorSpec, ctx: BuildContext): T[] {
  const r = resolveConventions(spec, ctx.conv);
  const img = detectionBatch(b, x);
  const n = img.shape[0];
  const fw = spec.framework;
  const classes = fw === "torchvision" ? (ctx.classes ?? 91) : (ctx.classes ?? 80);
  const c = backbone(b, img, spec, r, ctx);
  const retina = spec.arch === "retinanet";
  // RetinaNet: P3–P7, P6 from C5 (on_input; detectron2 LastLevelP6P7 from res5, torchvision v1 from P5);
  // FCOS/ATSS: P6 from P5's output (on_output), FCOS with ReLU before the extra convs.
  const extra = retina ? (fw === "torchvision" ? "on_output" : "on_input") : "on_output";
  const p = fpn(b, c, { start: 1, numOuts: 5, extra, reluBeforeExtra: spec.arch === "fcos" });
  const A = retina ? 9 : 1;
  const head = denseHead(b, p, {
    convs: 4,
    norm: retina ? undefined : "gn",
    clsOut: A * classes,
    regOut: A * 4,
    centerness: !retina,
    name: "bbox_head",
    bias: fw === "torchvision",
    scales: !retina && fw === "mmdet",
  });
  const anchors = p.reduce((s, f) => s + f.shape[2] * f.shape[3] * A, 0);
  // permute(0, 2, 3, 1).reshape(N, -1, C) per level, concatenated
  const clsFlat = b.cat(head.cls.map((t) => b.copy(t, [n, t.shape[2] * t.shape[3] * A, classes], "head_reshape")), 1);
  b.cat(head.reg.map((t) => b.copy(t, [n, t.shape[2] * t.shape[3] * A, 4], "head_reshape")), 1);
  anchorTensors(b, p, A, "anchors");
  // MaxIoUAssigner (RetinaNet), ATSSAssigner (IoU + centre distances over candidates), FCOS point targets
  // (areas, [points, boxes, 4] regression targets and inside masks: ~12 values per pair).
  assigner(b, p, A, ctx, retina ? "MaxIoUAssigner" : spec.arch === "atss" ? "ATSSAssigner" : "FCOS targets", spec.arch === "fcos" ? 12 : 9);
  if (ctx.training) focalLoss(b, clsFlat, fw);
  return [clsFlat];
}

/** A composed detector's build function. */
export function composedDetector(spec: DetectorSpec): BuildFn {
  return (b, x, ctx) => {
    switch (spec.arch) {
      case "retinanet":
      case "fcos":
      case "atss":
        return oneStage(b, x, spec, ctx);
      default:
        return twoStage(b, x, spec, ctx);
    }
  };
}

/** Apply a head/neck norm the way the backbone helpers do (exported for the segmenters). */
export { applyNorm };
