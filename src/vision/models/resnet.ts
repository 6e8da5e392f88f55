/**
 * torchvision ResNet (torchvision/models/resnet.py, v0.14): conv-BN-ReLU(inplace) stem, max pool,
 * BasicBlock (18/34) or Bottleneck with stride on the 3×3 (ResNet v1.5), 1×1 downsample on the first
 * block of a stage, residual `out += identity` then in-place ReLU, adaptive avg pool, fc.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

/** bn: BatchNorm2d in training mode (SyncBN saves the same tensors); bn_eval: trainable affine on running
 * statistics (MMDetection norm_eval=True); bn_frozen: BatchNorm2d in eval mode with requires_grad=False (MMDetection
 * "caffe" configs) — parameters exist, nothing is saved; frozen: torchvision FrozenBatchNorm2d (buffers only, as
 * detectron2's FrozenBN); gn: GroupNorm(32) (MMDetection/detectron2 "gn" configs). */
export type Norm = "bn" | "bn_eval" | "bn_frozen" | "frozen" | "gn";

export function norm(b: GraphBuilder, x: T, kind: Norm): T {
  if (kind === "frozen") return b.frozenBatchNorm(x);
  if (kind === "gn") return b.groupNorm(x, 32);
  if (kind === "bn_frozen") return b.frozen(() => b.batchNorm(x, true));
  return b.batchNorm(x, kind === "bn_eval");
}

/** Where a bottleneck strides: "pytorch" on the 3×3 (torchvision, ResNet v1.5), "caffe" on the first 1×1
 * (MSRA weights; MMDetection style='caffe', detectron2 STRIDE_IN_1X1=True). */
export type ResNetStyle = "pytorch" | "caffe";

function basicBlock(b: GraphBuilder, x: T, planes: number, stride: number, normKind: Norm, dilation = 1, avgDown = false, forceProj = false): T {
  let out = b.scope("conv1", () => b.conv(x, { out: planes, k: 3, s: stride, d: dilation, p: dilation }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv2", () => b.conv(out, { out: planes, k: 3, d: dilation, p: dilation }));
  out = norm(b, out, normKind);
  let identity = x;
  if (forceProj || stride !== 1 || x.shape[1] !== planes) identity = b.scope("downsample", () => norm(b, projection(b, x, planes, stride, avgDown), normKind));
  out = b.add(out, identity, true);
  return b.act(out, "relu", true);
}

function bottleneck(b: GraphBuilder, x: T, planes: number, stride: number, normKind: Norm, groups = 1, widthPerGroup = 64, dilation = 1, projStride = stride, style: ResNetStyle = "pytorch", avgDown = false): T {
  const width = Math.floor(planes * (widthPerGroup / 64)) * groups;
  const [s1, s2] = style === "caffe" ? [stride, 1] : [1, stride];
  let out = b.scope("conv1", () => b.conv(x, { out: width, k: 1, s: s1, p: 0 }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv2", () => b.conv(out, { out: width, k: 3, s: s2, g: groups, d: dilation, p: dilation }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv3", () => b.conv(out, { out: planes * 4, k: 1, p: 0 }));
  out = norm(b, out, normKind);
  let identity = x;
  if (projStride !== 1 || x.shape[1] !== planes * 4)
    identity = b.scope("downsample", () => norm(b, projection(b, x, planes * 4, stride, avgDown), normKind));
  out = b.add(out, identity, true);
  return b.act(out, "relu", true);
}

/** The shortcut projection: a strided 1×1 conv, or (ResNetV1d avg_down) AvgPool2d(stride, ceil_mode) then a 1×1 conv. */
function projection(b: GraphBuilder, x: T, out: number, stride: number, avgDown: boolean): T {
  if (avgDown && stride !== 1) return b.conv(b.avgPool(x, stride, stride, 0, true), { out, k: 1, p: 0 });
  return b.conv(x, { out, k: 1, s: stride, p: 0 });
}

export interface ResNetSpec {
  block: "basic" | "bottleneck";
  layers: [number, number, number, number];
  groups?: number;
  widthPerGroup?: number;
}

export const RESNETS: Record<string, ResNetSpec> = {
  resnet18: { block: "basic", layers: [2, 2, 2, 2] },
  resnet34: { block: "basic", layers: [3, 4, 6, 3] },
  resnet50: { block: "bottleneck", layers: [3, 4, 6, 3] },
  resnet101: { block: "bottleneck", layers: [3, 4, 23, 3] },
  resnet152: { block: "bottleneck", layers: [3, 8, 36, 3] },
  resnext50_32x4d: { block: "bottleneck", layers: [3, 4, 6, 3], groups: 32, widthPerGroup: 4 },
  resnext101_32x4d: { block: "bottleneck", layers: [3, 4, 23, 3], groups: 32, widthPerGroup: 4 },
  resnext101_32x8d: { block: "bottleneck", layers: [3, 4, 23, 3], groups: 32, widthPerGroup: 8 },
  resnext101_64x4d: { block: "bottleneck", layers: [3, 4, 23, 3], groups: 64, widthPerGroup: 4 },
  wide_resnet50_2: { block: "bottleneck", layers: [3, 4, 6, 3], widthPerGroup: 128 },
  wide_resnet101_2: { block: "bottleneck", layers: [3, 4, 23, 3], widthPerGroup: 128 },
};

/** The ResNet of a depth (18–152) with optional ResNeXt groups × width per group. */
export function resnetSpec(depth: number, groups = 1, widthPerGroup = 64): ResNetSpec {
  const base = RESNETS[`resnet${depth}`];
  if (!base) throw new Error(`no ResNet-${depth}`);
  return groups === 1 && widthPerGroup === 64 ? base : { ...base, groups, widthPerGroup };
}

/**
 * The ResNet trunk up to layer4, returning the outputs of layer1..layer4 (C2..C5). `normKind` "frozen"
 * with `frozenStages` = 2 is torchvision's detection backbone (FrozenBatchNorm2d, conv1 + layer1 frozen:
 * trainable_backbone_layers=3).
 */
export interface TrunkOptions {
  norm?: Norm;
  /** Stages frozen from the stem on (1 = stem, 2 = stem + layer1). */
  frozenStages?: number;
  /**
   * torchvision replace_stride_with_dilation for layer2..4: a dilated stage keeps stride 1 and multiplies
   * the dilation; its first block uses the previous dilation (ResNet._make_layer; the same as
   * MMSegmentation's contract_dilation).
   */
  dilate?: [boolean, boolean, boolean];
  /** A different stem (MMSegmentation ResNetV1c: three 3×3 convs), ending before the max pool. */
  stem?: (x: T) => T;
  /** ResNetV1c/V1d deep stem: 3×3/2 conv to stemChannels/2, 3×3 conv, 3×3 conv to stemChannels (each norm + ReLU). */
  deepStem?: boolean;
  /** ResNetV1d: average-pool shortcut projections. */
  avgDown?: boolean;
  style?: ResNetStyle;
  /** Stem norm (default: the blocks' norm). */
  stemNorm?: Norm;
  /** Run only the first `stages` stages (detectron2 C4: res2–res4). */
  stages?: number;
  /** Run only this stage (0-based) on `x`, without the stem (detectron2 Res5ROIHeads: res5 on RoI features). */
  onlyStage?: number;
  /** A 1×1 projection shortcut on the first block of every stage, even where shapes agree (RT-DETR's PResNet basic blocks). */
  projectFirst?: boolean;
}

export function resnetTrunk(b: GraphBuilder, x: T, spec: ResNetSpec, opts: TrunkOptions = {}): T[] {
  const normKind = opts.norm ?? "bn";
  const frozenStages = opts.frozenStages ?? 0;
  const dilate = opts.dilate ?? [false, false, false];
  let dilation = 1;
  const stem = () => {
    let y: T;
    const sn = opts.stemNorm ?? normKind;
    if (opts.stem) y = opts.stem(x);
    else if (opts.deepStem) {
      y = b.block("stem", x, () => {
        let z = b.act(norm(b, b.conv(x, { out: 32, k: 3, s: 2, p: 1 }), sn), "relu", true);
        z = b.act(norm(b, b.conv(z, { out: 32, k: 3, p: 1 }), sn), "relu", true);
        return b.act(norm(b, b.conv(z, { out: 64, k: 3, p: 1 }), sn), "relu", true);
      });
    } else {
      y = b.scope("conv1", () => b.conv(x, { out: 64, k: 7, s: 2, p: 3 }));
      y = b.act(norm(b, y, sn), "relu", true);
    }
    return b.maxPool(y, 3, 2, 1);
  };
  let y = opts.onlyStage != null ? x : frozenStages >= 1 ? b.frozen(stem) : stem();
  const feats: T[] = [];
  const planes = [64, 128, 256, 512];
  const first = opts.onlyStage ?? 0;
  const last = opts.onlyStage != null ? opts.onlyStage + 1 : (opts.stages ?? 4);
  for (let s = first; s < last; s++) {
    const stage = () =>
      b.block(`layer${s + 1}`, y, () => {
        const previous = dilation;
        let stageStride = s > 0 ? 2 : 1;
        if (s > 0 && dilate[s - 1]) {
          dilation *= stageStride;
          stageStride = 1;
        }
        for (let i = 0; i < spec.layers[s]; i++) {
          const stride = i === 0 ? stageStride : 1;
          // The downsample projection exists on the first block whenever the stage would have strided.
          const proj = i === 0 && s > 0 ? 2 : stride;
          const d = i === 0 ? previous : dilation;
          y = b.block(String(i), y, () =>
            spec.block === "basic"
              ? basicBlock(b, y, planes[s], stride, normKind, d, opts.avgDown, !!opts.projectFirst && i === 0)
              : bottleneck(b, y, planes[s], stride, normKind, spec.groups, spec.widthPerGroup, d, proj, opts.style, opts.avgDown),
          );
        }
        return y;
      });
    feats.push(frozenStages >= s + 2 ? b.frozen(stage) : stage());
  }
  return feats;
}

export function resnet(name: keyof typeof RESNETS | string): BuildFn {
  const spec = RESNETS[name];
  if (!spec) throw new Error(`no ResNet '${name}'`);
  return (b, x, ctx) => {
    const feats = resnetTrunk(b, x, spec);
    const c5 = feats[3];
    const pooled = b.adaptiveAvgPool(c5, [1, 1]);
    const flat = b.view(pooled, [pooled.shape[0], pooled.shape[1]]);
    return [b.scope("fc", () => b.linear(flat, ctx.classes ?? 1000))];
  };
}

/** timm ResNet-D (resnet50d): deep stem 32-32-64 and average-pool shortcut projections. */
export function resnetD(depth: number): BuildFn {
  const spec = resnetSpec(depth);
  return (b, x, ctx) => {
    const c5 = resnetTrunk(b, x, spec, { deepStem: true, avgDown: true })[3];
    const pooled = b.adaptiveAvgPool(c5, [1, 1]);
    return [b.scope("fc", () => b.linear(b.view(pooled, [pooled.shape[0], pooled.shape[1]]), ctx.classes ?? 1000))];
  };
}
