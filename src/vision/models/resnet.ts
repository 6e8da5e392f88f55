/**
 * torchvision ResNet (torchvision/models/resnet.py, v0.14): conv-BN-ReLU(inplace) stem, max pool,
 * BasicBlock (18/34) or Bottleneck with stride on the 3×3 (ResNet v1.5), 1×1 downsample on the first
 * block of a stage, residual `out += identity` then in-place ReLU, adaptive avg pool, fc.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

/** bn: BatchNorm2d in training mode; bn_eval: trainable affine on running statistics (MMDetection
 * norm_eval=True); frozen: torchvision FrozenBatchNorm2d (buffers only, as detectron2's FrozenBN). */
export type Norm = "bn" | "bn_eval" | "frozen";

function norm(b: GraphBuilder, x: T, kind: Norm): T {
  return kind === "frozen" ? b.frozenBatchNorm(x) : b.batchNorm(x, kind === "bn_eval");
}

function basicBlock(b: GraphBuilder, x: T, planes: number, stride: number, normKind: Norm, dilation = 1): T {
  let out = b.scope("conv1", () => b.conv(x, { out: planes, k: 3, s: stride, d: dilation, p: dilation }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv2", () => b.conv(out, { out: planes, k: 3, d: dilation, p: dilation }));
  out = norm(b, out, normKind);
  let identity = x;
  if (stride !== 1 || x.shape[1] !== planes) identity = b.scope("downsample", () => norm(b, b.conv(x, { out: planes, k: 1, s: stride, p: 0 }), normKind));
  out = b.add(out, identity, true);
  return b.act(out, "relu", true);
}

function bottleneck(b: GraphBuilder, x: T, planes: number, stride: number, normKind: Norm, groups = 1, widthPerGroup = 64, dilation = 1, projStride = stride): T {
  const width = Math.floor(planes * (widthPerGroup / 64)) * groups;
  let out = b.scope("conv1", () => b.conv(x, { out: width, k: 1, p: 0 }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv2", () => b.conv(out, { out: width, k: 3, s: stride, g: groups, d: dilation, p: dilation }));
  out = b.act(norm(b, out, normKind), "relu", true);
  out = b.scope("conv3", () => b.conv(out, { out: planes * 4, k: 1, p: 0 }));
  out = norm(b, out, normKind);
  let identity = x;
  if (projStride !== 1 || x.shape[1] !== planes * 4)
    identity = b.scope("downsample", () => norm(b, b.conv(x, { out: planes * 4, k: 1, s: stride, p: 0 }), normKind));
  out = b.add(out, identity, true);
  return b.act(out, "relu", true);
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
};

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
}

export function resnetTrunk(b: GraphBuilder, x: T, spec: ResNetSpec, opts: TrunkOptions = {}): T[] {
  const normKind = opts.norm ?? "bn";
  const frozenStages = opts.frozenStages ?? 0;
  const dilate = opts.dilate ?? [false, false, false];
  let dilation = 1;
  const stem = () => {
    let y: T;
    if (opts.stem) y = opts.stem(x);
    else {
      y = b.scope("conv1", () => b.conv(x, { out: 64, k: 7, s: 2, p: 3 }));
      y = b.act(norm(b, y, normKind), "relu", true);
    }
    return b.maxPool(y, 3, 2, 1);
  };
  let y = frozenStages >= 1 ? b.frozen(stem) : stem();
  const feats: T[] = [];
  const planes = [64, 128, 256, 512];
  for (let s = 0; s < 4; s++) {
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
              ? basicBlock(b, y, planes[s], stride, normKind, d)
              : bottleneck(b, y, planes[s], stride, normKind, spec.groups, spec.widthPerGroup, d, proj),
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
  return (b, x, ctx) => {
    const feats = resnetTrunk(b, x, spec);
    const c5 = feats[3];
    const pooled = b.adaptiveAvgPool(c5, [1, 1]);
    const flat = b.view(pooled, [pooled.shape[0], pooled.shape[1]]);
    return [b.scope("fc", () => b.linear(flat, ctx.classes ?? 1000))];
  };
}
