/**
 * Ultralytics YOLOv8, YOLO11 and YOLOv5 (v6.x) detection models, built from the structure of their model yaml
 * files (ultralytics/cfg/models/v8/yolov8.yaml, yolov5 models/yolov5*.yaml) and the parse_model rules:
 * repeats n → max(round(n·depth), 1), channels c → make_divisible(min(c, max_channels)·width, 8).
 * Modules (ultralytics/nn/modules/block.py, conv.py, head.py): Conv = Conv2d(no bias) + BN + SiLU
 * (not in place); C2f = cv1 → chunk(2) → n Bottlenecks on the last chunk → cat → cv2; C3 = cv1 → n
 * Bottlenecks, cv2 on the input, cat, cv3; SPPF = cv1 → 3× MaxPool(5, 1, 2) → cat → cv2.
 * Training adds the loss (v8DetectionLoss / v5 ComputeLoss) as labelled approximations.
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildContext, BuildFn } from "./types.js";

const makeDivisible = (x: number, d: number) => Math.ceil(x / d) * d;

function conv(b: GraphBuilder, x: T, c2: number, k = 1, s = 1, p?: number, name = "conv", act = true, g = 1): T {
  return b.block(name, x, () => {
    const y = b.batchNorm(b.conv(x, { out: c2, k, s, g, p: p ?? Math.floor(k / 2) }));
    return act ? b.act(y, "silu") : y;
  });
}

const gcd = (a: number, c: number): number => (c === 0 ? a : gcd(c, a % c));

function bottleneck(b: GraphBuilder, x: T, c2: number, shortcut: boolean, k1: number, e = 1.0, name = "m"): T {
  return b.block(name, x, () => {
    const c_ = Math.floor(c2 * e);
    const y = conv(b, conv(b, x, c_, k1, 1, undefined, "cv1"), c2, 3, 1, undefined, "cv2");
    return shortcut && x.shape[1] === c2 ? b.add(x, y) : y;
  });
}

function c2f(b: GraphBuilder, x: T, c2: number, n: number, shortcut: boolean): T {
  const c = Math.floor(c2 * 0.5);
  const a = conv(b, x, 2 * c, 1, 1, undefined, "cv1");
  const ys = b.split(a, [c, c], 1);
  for (let i = 0; i < n; i++) ys.push(bottleneck(b, ys[ys.length - 1], c, shortcut, 3, 1.0, `m.${i}`));
  const cat = b.cat(ys, 1);
  return conv(b, cat, c2, 1, 1, undefined, "cv2");
}

function c3(b: GraphBuilder, x: T, c2: number, n: number, shortcut: boolean): T {
  const c_ = Math.floor(c2 * 0.5);
  let m = conv(b, x, c_, 1, 1, undefined, "cv1");
  for (let i = 0; i < n; i++) m = bottleneck(b, m, c_, shortcut, 1, 1.0, `m.${i}`);
  const side = conv(b, x, c_, 1, 1, undefined, "cv2");
  return conv(b, b.cat([m, side], 1), c2, 1, 1, undefined, "cv3");
}

function sppf(b: GraphBuilder, x: T, c2: number, k = 5): T {
  const c_ = Math.floor(x.shape[1] / 2);
  const ys = [conv(b, x, c_, 1, 1, undefined, "cv1")];
  for (let i = 0; i < 3; i++) ys.push(b.maxPool(ys[ys.length - 1], k, 1, Math.floor(k / 2)));
  return conv(b, b.cat(ys, 1), c2, 1, 1, undefined, "cv2");
}

export interface YoloScale {
  depth: number;
  width: number;
  maxChannels: number;
}

export const YOLOV8_SCALES: Record<string, YoloScale> = {
  n: { depth: 0.33, width: 0.25, maxChannels: 1024 },
  s: { depth: 0.33, width: 0.5, maxChannels: 1024 },
  m: { depth: 0.67, width: 0.75, maxChannels: 768 },
  l: { depth: 1.0, width: 1.0, maxChannels: 512 },
  x: { depth: 1.0, width: 1.25, maxChannels: 512 },
};

export const YOLOV5_SCALES: Record<string, YoloScale> = {
  n: { depth: 0.33, width: 0.25, maxChannels: Infinity },
  s: { depth: 0.33, width: 0.5, maxChannels: Infinity },
  m: { depth: 0.67, width: 0.75, maxChannels: Infinity },
  l: { depth: 1.0, width: 1.0, maxChannels: Infinity },
  x: { depth: 1.33, width: 1.25, maxChannels: Infinity },
};

/**
 * Loss-side tensors of a training step (labelled approximation): the per-level head outputs
 * concatenated to [N, no, anchors], the split/permuted copies of box and class predictions, the fp32
 * DFL softmax that backward keeps, the BCE target map, and the task-aligned assigner's
 * [N, max_boxes, anchors] metric tensors (max_boxes: a workload option, default 100).
 */
function detectionLoss(b: GraphBuilder, heads: T[], nc: number, regChannels: number, ctx: BuildContext, perPair = 16): T[] {
  if (!ctx.training) return heads;
  const n = heads[0].shape[0];
  const anchors = heads.reduce((s, h) => s + h.shape[2] * h.shape[3], 0);
  const no = heads[0].shape[1];
  const dt = heads[0].dtype;
  return b.scope("loss", () => {
    const flat = b.cat(heads.map((h) => b.view(h, [n, no, h.shape[2] * h.shape[3]])), 2);
    const scores = b.approx("pred_scores", [flat], [n, anchors, nc], dt, "pred_scores permute(0, 2, 1).contiguous()");
    const dist = b.approx("pred_distri", [flat], [n, anchors, regChannels], dt, "pred_distri permute(0, 2, 1).contiguous()");
    const soft = regChannels > 4 ? b.approx("dfl_softmax", [dist], [n, anchors, regChannels], "f32", "DFL softmax in fp32, saved for backward", true) : dist;
    // TaskAlignedAssigner (ultralytics/utils/tal.py, no grad): in-box deltas and expanded pred/gt boxes
    // [N, max_boxes, anchors, 4] ×2 plus ~8 [N, max_boxes, anchors] maps (overlaps, scores, align metric,
    // masks) — 16 fp32 values per (box slot, anchor), alive together at the end of forward (approx).
    const boxes = ctx.maxBoxes ?? 100;
    b.approx("assigner", [scores], [perPair, n, boxes, anchors], "f32", `task-aligned assigner: ${perPair} fp32 × [N, ${boxes} boxes, ${anchors} anchors] (approx; boxes = most labels of an image in the batch${perPair > 16 ? "; rotated boxes add the probiou covariance terms" : ""})`);
    const target = b.approx("target_scores", [scores], [n, anchors, nc], "f32", "BCE target scores, saved by BCEWithLogits", true);
    const loss = b.approx("bce", [scores, target, soft], [1], "f32", "scalar loss");
    return [loss];
  });
}

/** C3k (C3 with n k×k Bottlenecks, e = 1.0 inside) — ultralytics/nn/modules/block.py. */
function c3k(b: GraphBuilder, x: T, c2: number, n: number, shortcut: boolean): T {
  const c_ = Math.floor(c2 * 0.5);
  let m = conv(b, x, c_, 1, 1, undefined, "cv1");
  for (let i = 0; i < n; i++) m = bottleneck(b, m, c_, shortcut, 3, 1.0, `m.${i}`);
  const side = conv(b, x, c_, 1, 1, undefined, "cv2");
  return conv(b, b.cat([m, side], 1), c2, 1, 1, undefined, "cv3");
}

/** C3k2 (C2f whose blocks are C3k(c, c, 2) when c3k, else Bottleneck(c, c) with its default e = 0.5). */
function c3k2(b: GraphBuilder, x: T, c2: number, n: number, c3kOn: boolean, e: number): T {
  const c = Math.floor(c2 * e);
  const a = conv(b, x, 2 * c, 1, 1, undefined, "cv1");
  const ys = b.split(a, [c, c], 1);
  for (let i = 0; i < n; i++)
    ys.push(b.block(`m.${i}`, ys[ys.length - 1], () => (c3kOn ? c3k(b, ys[ys.length - 1], c, 2, true) : bottleneck(b, ys[ys.length - 1], c, true, 3, 0.5))));
  return conv(b, b.cat(ys, 1), c2, 1, 1, undefined, "cv2");
}

/**
 * C2PSA: cv1 → split → n PSABlocks (attention with a depthwise positional conv, then a 2× conv FFN,
 * both residual) on one half → cat → cv2. Attention (block.py Attention): qkv 1×1 conv to
 * dim + 2·heads·key_dim (key_dim = head_dim/2), softmax(qᵀk·scale), v·attnᵀ + pe(v), proj.
 */
function c2psa(b: GraphBuilder, x: T, c2: number, n: number): T {
  const c = Math.floor(x.shape[1] * 0.5);
  const [N, , H, W] = x.shape;
  const heads = Math.floor(c / 64);
  const headDim = c / heads;
  const keyDim = Math.floor(headDim * 0.5);
  const a = conv(b, x, 2 * c, 1, 1, undefined, "cv1");
  const [p0, p1] = b.split(a, [c, c], 1);
  let y = p1;
  for (let i = 0; i < n; i++) {
    y = b.block(`m.${i}`, y, () => {
      const inp = y;
      const attn = b.block("attn", inp, () => {
        const qkv = conv(b, inp, c + 2 * heads * keyDim, 1, 1, undefined, "qkv", false);
        const [q, k, v] = b.split(b.view(qkv, [N, heads, 2 * keyDim + headDim, H * W]), [keyDim, keyDim, headDim], 2);
        const scores = b.matmul(b.view(q, [N, heads, H * W, keyDim]), k);
        const probs = b.softmax(b.scale(scores));
        const o = b.matmul(v, b.view(probs, [N, heads, H * W, H * W]));
        const pe = conv(b, b.copy(v, [N, c, H, W], "reshape"), c, 3, 1, undefined, "pe", false, c);
        return conv(b, b.add(b.view(o, [N, c, H, W]), pe), c, 1, 1, undefined, "proj", false);
      });
      const r = b.add(inp, attn);
      const f = conv(b, conv(b, r, 2 * c, 1, 1, undefined, "ffn.0"), c, 1, 1, undefined, "ffn.1", false);
      return b.add(r, f);
    });
  }
  return conv(b, b.cat([p0, y], 1), c2, 1, 1, undefined, "cv2");
}

export const YOLO11_SCALES: Record<string, YoloScale> = {
  n: { depth: 0.5, width: 0.25, maxChannels: 1024 },
  s: { depth: 0.5, width: 0.5, maxChannels: 1024 },
  m: { depth: 0.5, width: 1.0, maxChannels: 512 },
  l: { depth: 1.0, width: 1.0, maxChannels: 512 },
  x: { depth: 1.0, width: 1.5, maxChannels: 512 },
};

export type YoloTask = "detect" | "segment" | "pose" | "obb" | "classify";

/** The checkpoints' classes: COCO 80 (detect, segment), 1 person (pose), DOTA 15 (obb), ImageNet 1000 (classify). */
export function defaultClasses(task: YoloTask): number {
  return { detect: 80, segment: 80, pose: 1, obb: 15, classify: 1000 }[task];
}

/** YOLO11 (ultralytics/cfg/models/11/yolo11*.yaml); C3k2 uses C3k blocks at scales m/l/x. `classify`: the backbone to C2PSA (yolo11-cls.yaml) + Classify. */
export function yolo11(scale: string, task: YoloTask = "detect"): BuildFn {
  const sc = YOLO11_SCALES[scale];
  const ch = (c: number) => makeDivisible(Math.min(c, sc.maxChannels) * sc.width, 8);
  const rep = (n: number) => (n > 1 ? Math.max(Math.round(n * sc.depth), 1) : n);
  const big = "mlx".includes(scale);
  return (b, x, ctx) => {
    const nc = ctx.classes ?? defaultClasses(task);
    const L: T[] = [];
    const at = (i: number, f: () => T) => (L[i] = b.block(`model.${i}`, L[i - 1] ?? x, f));
    at(0, () => conv(b, x, ch(64), 3, 2));
    at(1, () => conv(b, L[0], ch(128), 3, 2));
    at(2, () => c3k2(b, L[1], ch(256), rep(2), big, 0.25));
    at(3, () => conv(b, L[2], ch(256), 3, 2));
    at(4, () => c3k2(b, L[3], ch(512), rep(2), big, 0.25));
    at(5, () => conv(b, L[4], ch(512), 3, 2));
    at(6, () => c3k2(b, L[5], ch(512), rep(2), true, 0.5));
    at(7, () => conv(b, L[6], ch(1024), 3, 2));
    at(8, () => c3k2(b, L[7], ch(1024), rep(2), true, 0.5));
    if (task === "classify") {
      at(9, () => c2psa(b, L[8], ch(1024), rep(2)));
      return classifyHead(b, L[9], nc, ctx, "model.10");
    }
    at(9, () => sppf(b, L[8], ch(1024)));
    at(10, () => c2psa(b, L[9], ch(1024), rep(2)));
    at(11, () => b.upsample(L[10], 2));
    at(12, () => b.cat([L[11], L[6]], 1));
    at(13, () => c3k2(b, L[12], ch(512), rep(2), big, 0.5));
    at(14, () => b.upsample(L[13], 2));
    at(15, () => b.cat([L[14], L[4]], 1));
    at(16, () => c3k2(b, L[15], ch(256), rep(2), big, 0.5));
    at(17, () => conv(b, L[16], ch(256), 3, 2));
    at(18, () => b.cat([L[17], L[13]], 1));
    at(19, () => c3k2(b, L[18], ch(512), rep(2), big, 0.5));
    at(20, () => conv(b, L[19], ch(512), 3, 2));
    at(21, () => b.cat([L[20], L[10]], 1));
    at(22, () => c3k2(b, L[21], ch(1024), rep(2), true, 0.5));
    return yoloHead(b, [L[16], L[19], L[22]], task, nc, ctx, "model.23", false, makeDivisible(Math.min(256, sc.maxChannels) * sc.width, 8));
  };
}

/** YOLOv8 (yolov8*.yaml) at scale n/s/m/l/x with the legacy Detect head; `classify`: yolov8-cls.yaml (C2f backbone, max_channels 1024) + Classify. */
export function yolov8(scale: string, task: YoloTask = "detect"): BuildFn {
  const sc = task === "classify" ? { ...YOLOV8_SCALES[scale], maxChannels: 1024 } : YOLOV8_SCALES[scale];
  const ch = (c: number) => makeDivisible(Math.min(c, sc.maxChannels) * sc.width, 8);
  const rep = (n: number) => (n > 1 ? Math.max(Math.round(n * sc.depth), 1) : n);
  return (b, x, ctx) => {
    const nc = ctx.classes ?? defaultClasses(task);
    const L: T[] = [];
    const at = (i: number, f: () => T) => (L[i] = b.block(`model.${i}`, L[i - 1] ?? x, f));
    at(0, () => conv(b, x, ch(64), 3, 2));
    at(1, () => conv(b, L[0], ch(128), 3, 2));
    at(2, () => c2f(b, L[1], ch(128), rep(3), true));
    at(3, () => conv(b, L[2], ch(256), 3, 2));
    at(4, () => c2f(b, L[3], ch(256), rep(6), true));
    at(5, () => conv(b, L[4], ch(512), 3, 2));
    at(6, () => c2f(b, L[5], ch(512), rep(6), true));
    at(7, () => conv(b, L[6], ch(1024), 3, 2));
    at(8, () => c2f(b, L[7], ch(1024), rep(3), true));
    if (task === "classify") return classifyHead(b, L[8], nc, ctx, "model.9");
    at(9, () => sppf(b, L[8], ch(1024)));
    at(10, () => b.upsample(L[9], 2));
    at(11, () => b.cat([L[10], L[6]], 1));
    at(12, () => c2f(b, L[11], ch(512), rep(3), false));
    at(13, () => b.upsample(L[12], 2));
    at(14, () => b.cat([L[13], L[4]], 1));
    at(15, () => c2f(b, L[14], ch(256), rep(3), false));
    at(16, () => conv(b, L[15], ch(256), 3, 2));
    at(17, () => b.cat([L[16], L[12]], 1));
    at(18, () => c2f(b, L[17], ch(512), rep(3), false));
    at(19, () => conv(b, L[18], ch(512), 3, 2));
    at(20, () => b.cat([L[19], L[9]], 1));
    at(21, () => c2f(b, L[20], ch(1024), rep(3), false));
    return yoloHead(b, [L[15], L[18], L[21]], task, nc, ctx, "model.22", true, makeDivisible(Math.min(256, sc.maxChannels) * sc.width, 8));
  };
}

/**
 * Classify (ultralytics/nn/modules/head.py): Conv(c1, 1280, 1) → AdaptiveAvgPool2d(1) → flatten → Dropout(0)
 * → Linear(1280, nc); training: cross-entropy over [N, nc].
 */
function classifyHead(b: GraphBuilder, x: T, nc: number, ctx: BuildContext, name: string): T[] {
  return b.block(name, x, () => {
    const c = conv(b, x, 1280, 1, 1, undefined, "conv");
    const p = b.adaptiveAvgPool(c, [1, 1]);
    const logits = b.scope("linear", () => b.linear(b.view(p, [p.shape[0], 1280]), nc));
    if (ctx.training) return [b.approx("cross_entropy", [logits], logits.shape, "f32", "log-softmax over the classes (kept)", true)];
    return [logits];
  });
}

/**
 * Detect / Segment / Pose / OBB heads on [P3, P4, P5] (ultralytics/nn/modules/head.py): box branch cv2 and class
 * branch cv3 (legacy: two 3×3 Convs; YOLO11: DWConv + Conv twice), plus for the tasks a third branch cv4 of two
 * 3×3 Convs and a 1×1 conv to 32 mask coefficients (Segment), 17·3 keypoint values (Pose) or 1 angle (OBB),
 * c4 = max(ch[0] // 4, outputs); Segment adds Proto(ch[0], npr, 32): Conv 3×3, ConvTranspose 2×2/2, Conv 3×3,
 * Conv 1×1 (npr = 256 scaled by width in parse_model).
 */
function yoloHead(b: GraphBuilder, feats: T[], task: YoloTask, nc: number, ctx: BuildContext, name: string, legacy: boolean, npr: number): T[] {
  const regMax = 16;
  const c2 = Math.max(16, Math.floor(feats[0].shape[1] / 4), regMax * 4);
  const c3 = Math.max(feats[0].shape[1], Math.min(nc, 100));
  const extra = task === "segment" ? 32 : task === "pose" ? 3 * (ctx.conv?.keypoints ?? 17) : task === "obb" ? 1 : 0;
  const c4 = Math.max(Math.floor(feats[0].shape[1] / 4), extra);
  let proto: T | undefined;
  const heads = b.block(name, feats, () => {
    if (task === "segment")
      proto = b.block("proto", feats[0], () => {
        let p = conv(b, feats[0], npr, 3, 1, undefined, "cv1");
        p = b.scope("upsample", () => b.convTranspose(p, { out: npr, k: 2, s: 2, bias: true }));
        p = conv(b, p, npr, 3, 1, undefined, "cv2");
        return conv(b, p, 32, 1, 1, undefined, "cv3");
      });
    return feats.map((f, i) => {
      const box = b.scope(`cv2.${i}`, () => b.conv(conv(b, conv(b, f, c2, 3), c2, 3), { out: 4 * regMax, k: 1, p: 0, bias: true }));
      const cls = b.scope(`cv3.${i}`, () => {
        if (legacy) return b.conv(conv(b, conv(b, f, c3, 3), c3, 3), { out: nc, k: 1, p: 0, bias: true });
        // DWConv(c1, c2, k) = Conv(..., g = gcd(c1, c2)): depthwise here since c1 = c2.
        let t = conv(b, f, f.shape[1], 3, 1, undefined, "dw0", true, gcd(f.shape[1], f.shape[1]));
        t = conv(b, t, c3, 1);
        t = conv(b, t, c3, 3, 1, undefined, "dw1", true, c3);
        t = conv(b, t, c3, 1);
        return b.conv(t, { out: nc, k: 1, p: 0, bias: true });
      });
      const outs = [box, cls];
      if (extra) outs.push(b.scope(`cv4.${i}`, () => b.conv(conv(b, conv(b, f, c4, 3), c4, 3), { out: extra, k: 1, p: 0, bias: true })));
      return b.cat(outs, 1);
    });
  });
  // DFL: a frozen Conv2d(16, 1, 1, bias=False); Ultralytics' parameter count includes it.
  b.frozen(() => b.extraParams("dfl", [[1, regMax, 1, 1]]));
  const loss = detectionLoss(b, heads, nc, 4 * regMax, ctx, task === "obb" ? 24 : 16);
  if (ctx.training && task === "segment" && proto) segmentLoss(b, proto, ctx);
  return loss;
}

/**
 * v8SegmentationLoss (ultralytics/utils/loss.py): per image, the mask of every foreground anchor is
 * `einsum("in,nhw->ihw", coefficients, proto)` at proto resolution, with its gt mask gathered, then BCE with
 * logits — prediction and target kept for backward for every image of the batch. Foreground anchors: the
 * assigner's top-k (10) per object; the busiest image has max_boxes objects, the others the COCO train2017 mean
 * of 7.3 (860,001 instances / 118,287 images) (approx, labelled).
 */
function segmentLoss(b: GraphBuilder, proto: T, ctx: BuildContext): void {
  const [n, , h, w] = proto.shape;
  const fg = Math.round(10 * ((ctx.maxBoxes ?? 100) + 7.3 * (n - 1)));
  b.approx("mask_pred", [proto], [fg, h, w], "f32", `mask logits of ${fg} foreground anchors at ${h}×${w} (approx: top-10 anchors per object)`, true, true);
  b.approx("mask_target", [proto], [fg, h, w], "f32", "gathered gt masks of the foreground anchors (kept by BCE)", true);
}


/** YOLOv5 v6.x detect (yolov5{n,s,m,l,x}.yaml), anchors 3 per level, no = nc + 5. */
export function yolov5(scale: string): BuildFn {
  const sc = YOLOV5_SCALES[scale];
  const ch = (c: number) => makeDivisible(c * sc.width, 8);
  const rep = (n: number) => (n > 1 ? Math.max(Math.round(n * sc.depth), 1) : n);
  return (b, x, ctx) => {
    const nc = ctx.classes ?? 80;
    const L: T[] = [];
    const at = (i: number, f: () => T) => (L[i] = b.block(`model.${i}`, L[i - 1] ?? x, f));
    at(0, () => conv(b, x, ch(64), 6, 2, 2));
    at(1, () => conv(b, L[0], ch(128), 3, 2));
    at(2, () => c3(b, L[1], ch(128), rep(3), true));
    at(3, () => conv(b, L[2], ch(256), 3, 2));
    at(4, () => c3(b, L[3], ch(256), rep(6), true));
    at(5, () => conv(b, L[4], ch(512), 3, 2));
    at(6, () => c3(b, L[5], ch(512), rep(9), true));
    at(7, () => conv(b, L[6], ch(1024), 3, 2));
    at(8, () => c3(b, L[7], ch(1024), rep(3), true));
    at(9, () => sppf(b, L[8], ch(1024)));
    at(10, () => conv(b, L[9], ch(512), 1, 1));
    at(11, () => b.upsample(L[10], 2));
    at(12, () => b.cat([L[11], L[6]], 1));
    at(13, () => c3(b, L[12], ch(512), rep(3), false));
    at(14, () => conv(b, L[13], ch(256), 1, 1));
    at(15, () => b.upsample(L[14], 2));
    at(16, () => b.cat([L[15], L[4]], 1));
    at(17, () => c3(b, L[16], ch(256), rep(3), false));
    at(18, () => conv(b, L[17], ch(256), 3, 2));
    at(19, () => b.cat([L[18], L[14]], 1));
    at(20, () => c3(b, L[19], ch(512), rep(3), false));
    at(21, () => conv(b, L[20], ch(512), 3, 2));
    at(22, () => b.cat([L[21], L[10]], 1));
    at(23, () => c3(b, L[22], ch(1024), rep(3), false));
    const feats = [L[17], L[20], L[23]];
    const no = nc + 5;
    const heads = b.block("model.24", feats, () => feats.map((f, i) => b.scope(`m.${i}`, () => b.conv(f, { out: 3 * no, k: 1, p: 0, bias: true }))));
    if (!ctx.training) return heads;
    // v5 ComputeLoss works on per-level views [N, 3, H, W, no] and gathers the matched anchors only:
    // the loss side is small next to the activations (approx: one fp32 copy of each head output).
    return b.scope("loss", () => heads.map((h) => b.approx("head_view", [h], h.shape, "f32", "ComputeLoss fp32 copies of the head outputs (approx)", true)));
  };
}
