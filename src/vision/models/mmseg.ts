/**
 * Semantic segmenters as MMSegmentation 1.x composes them (configs/_base_/models/*.py): a backbone
 * (ResNetV1c — deep stem — or V1b with output stride 8/16/32 by dilation, Swin, ConvNeXt, MiT) × a decode head
 * (FCNHead, PSPHead, ASPPHead, DepthwiseSeparableASPPHead, UPerHead, SegformerHead) × the auxiliary FCNHead on
 * stage 3 (training only; `aux_head`). Norm: SyncBN, trained (norm_cfg SyncBN requires_grad=True) — it saves
 * what BatchNorm saves. Training adds the loss: logits resized (bilinear) to the crop, cross-entropy whose
 * log-softmax (fp32, also under autocast) is kept for backward, for the decode and the auxiliary head.
 *
 * Head defaults (channels 512, aux channels 256; ResNet-18 configs 128 / 64): pspnet_r50-d8.py pool_scales
 * (1, 2, 3, 6); deeplabv3_r50-d8.py dilations (1, 12, 24, 36); deeplabv3plus_r50-d8.py c1_in_channels 256,
 * c1_channels 48; fcn_r50-d8.py num_convs 2, concat_input True; upernet_r50.py pool_scales (1, 2, 3, 6);
 * segformer_mit-b0.py channels 256, MiT embed 32/64, heads (1, 2, 5, 8), sr_ratios (8, 4, 2, 1).
 */
import type { GraphBuilder, T } from "../builder.js";
import { type ConvNextSpec, convnextTrunk } from "./convnext.js";
import { resnetSpec, resnetTrunk } from "./resnet.js";
import { type SwinSpec, swinTrunk } from "./swin.js";
import type { BuildContext, BuildFn } from "./types.js";

export type SegBackbone =
  | { kind: "resnet"; depth: number; v1c: boolean; stride: 8 | 16 | 32 }
  | { kind: "swin"; spec: SwinSpec }
  | { kind: "convnext"; spec: ConvNextSpec }
  | { kind: "mit"; embed: number; depths: [number, number, number, number] };

export type SegHead = "fcn" | "psp" | "aspp" | "dsaspp" | "uper" | "segformer";

export interface SegmenterSpec {
  backbone: SegBackbone;
  head: SegHead;
  /** FCN-D6: FCNHead with dilation 6. */
  headDilation?: number;
  /** Decode-head channels (SegFormer: 256 in MMSegmentation, decoder_hidden_size in transformers). */
  channels?: number;
  /** transformers' SegformerDecodeHead: a Linear (with bias, no norm) per level instead of a 1×1 ConvModule. */
  hfHead?: boolean;
}

function cbr(b: GraphBuilder, x: T, out: number, k: number, d = 1, name = "conv"): T {
  return b.block(name, x, () => b.act(b.batchNorm(b.conv(x, { out, k, d, p: k === 1 ? 0 : d })), "relu", true));
}

/** DepthwiseSeparableConvModule: depthwise 3×3 (dilated) + BN + ReLU, pointwise 1×1 + BN + ReLU. */
function dsconv(b: GraphBuilder, x: T, out: number, d: number, name: string): T {
  return b.block(name, x, () => {
    const dw = b.act(b.batchNorm(b.conv(x, { out: x.shape[1], k: 3, d, p: d, g: x.shape[1] })), "relu", true);
    return b.act(b.batchNorm(b.conv(dw, { out, k: 1, p: 0 })), "relu", true);
  });
}

/** MixVisionTransformer (SegFormer's MiT): overlapping patch embeds, efficient self-attention with spatial reduction, Mix-FFN. */
function mit(b: GraphBuilder, x: T, embed: number, depths: number[], ctx: BuildContext, mitEager = true): T[] {
  const heads = [1, 2, 5, 8];
  const sr = [8, 4, 2, 1];
  const dims = [embed, embed * 2, embed * 5, embed * 8];
  const total = depths.reduce((s, d) => s + d, 0);
  const outs: T[] = [];
  let y = x;
  let id = 0;
  for (let s = 0; s < 4; s++) {
    const dim = dims[s];
    y = b.block(`layers.${s}`, y, () => {
      const k = s === 0 ? 7 : 3;
      const e = b.conv(y, { out: dim, k, s: s === 0 ? 4 : 2, p: Math.floor(k / 2), bias: true });
      const [n, , h, w] = e.shape;
      let t = b.layerNorm(b.copy(e, [n, h * w, dim], "flatten_transpose"));
      for (let i = 0; i < depths[s]; i++) {
        const dp = (0.1 * id++) / Math.max(1, total - 1);
        t = b.block(`${i}`, t, () => {
          const inp = t;
          const a = b.block("attn", inp, () => {
            const ln = b.layerNorm(inp);
            const q = b.scope("q", () => b.linear(ln, dim));
            let kvIn = ln;
            if (sr[s] > 1) {
              const img = b.copy(ln, [n, dim, h, w], "transpose_reshape");
              const red = b.scope("sr", () => b.conv(img, { out: dim, k: sr[s], s: sr[s], p: 0, bias: true }));
              kvIn = b.layerNorm(b.copy(red, [n, red.shape[2] * red.shape[3], dim], "flatten_transpose"));
            }
            const kv = b.scope("kv", () => b.linear(kvIn, 2 * dim));
            const L = kvIn.shape[1];
            const hd = dim / heads[s];
            const [kk, vv] = b.split(kv, [dim, dim], -1);
            const qh = b.copy(q, [n, heads[s], h * w, hd], "heads");
            // MMSegmentation's EfficientMultiheadAttention calls nn.MultiheadAttention without need_weights=False,
            // so torch takes the math path and keeps the softmax probabilities (eager), in torch 2 as in 1.x.
            const o = ctx.attention === "sdpa" && !mitEager ? b.sdpa(qh, b.copy(kk, [n, heads[s], L, hd], "heads"), b.copy(vv, [n, heads[s], L, hd], "heads")) : b.eagerAttention(qh, b.copy(kk, [n, heads[s], L, hd], "heads"), b.copy(vv, [n, heads[s], L, hd], "heads"));
            return b.scope("proj", () => b.linear(b.copy(o, [n, h * w, dim], "merge_heads"), dim));
          });
          const r = b.add(inp, b.stochasticDepth(a, dp, ctx.training));
          const f = b.block("ffn", r, () => {
            const ln = b.layerNorm(r);
            const img = b.copy(ln, [n, dim, h, w], "transpose_reshape");
            let z = b.conv(img, { out: 4 * dim, k: 1, p: 0, bias: true });
            z = b.conv(z, { out: 4 * dim, k: 3, p: 1, g: 4 * dim, bias: true });
            z = b.act(z, "gelu");
            z = b.conv(z, { out: dim, k: 1, p: 0, bias: true });
            return b.copy(z, [n, h * w, dim], "flatten_transpose");
          });
          return b.add(r, b.stochasticDepth(f, dp, ctx.training));
        });
      }
      const normed = b.layerNorm(t);
      return b.copy(normed, [n, dim, h, w], "transpose_reshape");
    });
    outs.push(y);
  }
  return outs;
}

function backbone(b: GraphBuilder, x: T, bb: SegBackbone, ctx: BuildContext): T[] {
  if (bb.kind === "swin") return b.scope("backbone", () => swinTrunk(b, x, bb.spec, ctx, true).feats);
  if (bb.kind === "convnext") return b.scope("backbone", () => convnextTrunk(b, x, bb.spec, ctx, true).feats);
  if (bb.kind === "mit") return b.scope("backbone", () => mit(b, x, bb.embed, bb.depths, ctx));
  const dilate: [boolean, boolean, boolean] = bb.stride === 8 ? [false, true, true] : bb.stride === 16 ? [false, false, true] : [false, false, false];
  const frozen = ctx.conv?.frozenStages;
  return b.scope("backbone", () =>
    resnetTrunk(b, x, resnetSpec(bb.depth), {
      norm: ctx.conv?.norm === "frozen_bn" ? "frozen" : ctx.conv?.normEval ? "bn_eval" : "bn",
      deepStem: bb.v1c,
      dilate,
      frozenStages: frozen != null && frozen >= 0 ? frozen + 1 : 0,
    }),
  );
}

function fcnHead(b: GraphBuilder, x: T, channels: number, convs: number, concat: boolean, classes: number, ctx: BuildContext, name: string, d = 1): T {
  return b.block(name, x, () => {
    let h = x;
    for (let i = 0; i < convs; i++) h = cbr(b, h, channels, 3, d, `convs.${i}`);
    if (concat) h = cbr(b, b.cat([x, h], 1), channels, 3, 1, "conv_cat");
    h = b.dropout(h, ctx.training ? 0.1 : 0);
    return b.scope("conv_seg", () => b.conv(h, { out: classes, k: 1, p: 0, bias: true }));
  });
}

function ppm(b: GraphBuilder, x: T, channels: number): T[] {
  return [1, 2, 3, 6].map((s) => b.block(`ppm.${s}`, x, () => b.upsample(cbr(b, b.adaptiveAvgPool(x, [s, s]), channels, 1), [x.shape[2], x.shape[3]])));
}

function decode(b: GraphBuilder, feats: T[], spec: SegmenterSpec, channels: number, classes: number, ctx: BuildContext): T {
  const last = feats[feats.length - 1];
  return b.block("decode_head", feats, () => {
    let h: T;
    switch (spec.head) {
      case "fcn":
        return fcnHead(b, last, channels, 2, true, classes, ctx, "fcn", spec.headDilation ?? 1);
      case "psp":
        h = cbr(b, b.cat([last, ...ppm(b, last, channels)], 1), channels, 3, 1, "bottleneck");
        break;
      case "aspp":
      case "dsaspp": {
        const pool = b.block("image_pool", last, () => b.upsample(cbr(b, b.adaptiveAvgPool(last, [1, 1]), channels, 1), [last.shape[2], last.shape[3]]));
        const branches = [pool, cbr(b, last, channels, 1, 1, "aspp.0")];
        for (const d of [12, 24, 36]) branches.push(spec.head === "dsaspp" ? dsconv(b, last, channels, d, `aspp.${d}`) : cbr(b, last, channels, 3, d, `aspp.${d}`));
        h = cbr(b, b.cat(branches, 1), channels, 3, 1, "bottleneck");
        if (spec.head === "dsaspp") {
          const c1 = cbr(b, feats[0], 48, 1, 1, "c1_bottleneck");
          const up = b.upsample(h, [c1.shape[2], c1.shape[3]]);
          h = dsconv(b, b.cat([up, c1], 1), channels, 1, "sep_bottleneck.0");
          h = dsconv(b, h, channels, 1, "sep_bottleneck.1");
        }
        break;
      }
      case "uper": {
        const psp = cbr(b, b.cat([last, ...ppm(b, last, channels)], 1), channels, 3, 1, "psp_bottleneck");
        const lat = feats.slice(0, -1).map((f, i) => cbr(b, f, channels, 1, 1, `lateral_convs.${i}`));
        lat.push(psp);
        for (let i = lat.length - 1; i > 0; i--) lat[i - 1] = b.add(lat[i - 1], b.upsample(lat[i], [lat[i - 1].shape[2], lat[i - 1].shape[3]]));
        const outs = lat.slice(0, -1).map((l, i) => cbr(b, l, channels, 3, 1, `fpn_convs.${i}`));
        outs.push(psp);
        const size: [number, number] = [outs[0].shape[2], outs[0].shape[3]];
        h = cbr(b, b.cat(outs.map((o, i) => (i === 0 ? o : b.upsample(o, size))), 1), channels, 3, 1, "fpn_bottleneck");
        break;
      }
      case "segformer": {
        const size: [number, number] = [feats[0].shape[2], feats[0].shape[3]];
        const ups = feats.map((f, i) => {
          const c = spec.hfHead ? b.scope(`linear_c.${i}`, () => b.conv(f, { out: channels, k: 1, p: 0, bias: true })) : cbr(b, f, channels, 1, 1, `convs.${i}`);
          return i === 0 ? c : b.upsample(c, size);
        });
        h = cbr(b, b.cat(ups, 1), channels, 1, 1, "fusion_conv");
        break;
      }
    }
    h = b.dropout(h, ctx.training ? 0.1 : 0);
    return b.scope("conv_seg", () => b.conv(h, { out: classes, k: 1, p: 0, bias: true }));
  });
}

/** Resize to the crop and cross-entropy: F.cross_entropy keeps its fp32 log-softmax (autocast runs it in fp32). */
function segLoss(b: GraphBuilder, logits: T, hw: [number, number], name: string): T {
  const [n, c] = logits.shape;
  const up = b.upsample(logits, hw);
  const ls = b.approx(name, [up], [n, c, hw[0], hw[1]], "f32", "log-softmax of the logits resized to the crop, kept by cross-entropy (fp32)", true);
  // nll_loss consumes it: in backward the gradient of the log-softmax ([N, C, H, W], fp32) and then of the
  // resized logits exist together, on top of everything saved.
  return b.approx("nll_loss", [ls], [n, hw[0], hw[1]], "f32", "per-pixel loss (reduction='none'), then weighted mean", false, true);
}

export function segmenter(spec: SegmenterSpec): BuildFn {
  return (b, x, ctx) => {
    const classes = ctx.classes ?? 19;
    const [, , H, W] = x.shape;
    const feats = backbone(b, x, spec.backbone, ctx);
    const small = spec.backbone.kind === "resnet" && spec.backbone.depth < 50;
    const channels = spec.channels ?? (spec.head === "segformer" ? 256 : small ? 128 : 512);
    const logits = decode(b, feats, spec, channels, classes, ctx);
    const outs = [logits];
    const aux = (ctx.conv?.auxHead ?? spec.head !== "segformer") && ctx.training;
    if (ctx.training) {
      outs.push(segLoss(b, logits, [H, W], "loss_decode"));
      if (aux) {
        const a = fcnHead(b, feats[2], small ? 64 : 256, 1, false, classes, ctx, "auxiliary_head");
        outs.push(segLoss(b, a, [H, W], "loss_aux"));
      }
    }
    return outs;
  };
}
