/**
 * RT-DETR as transformers builds it (RTDetrForObjectDetection, transformers 5.18 models/rt_detr/modeling_rt_detr.py and
 * modeling_rt_detr_resnet.py; the modules of lyuwenyu/RT-DETR rtdetr_pytorch):
 * - backbone: PResNet-vd (RTDetrResNet): deep stem 3×3 convs 32-32-64, max pool, basic (R18/R34) or bottleneck
 *   (R50/R101) stages, stride on the 3×3, average-pool shortcuts, a 1×1 shortcut on every first basic block;
 *   BatchNorm replaced by frozen batch norm (freeze_backbone_batch_norms), convolutions trained; C3–C5 out;
 * - encoder_input_proj: 1×1 conv (no bias) + BatchNorm per level to encoder_hidden_dim;
 * - hybrid encoder: AIFI (one post-norm transformer layer, GELU FFN, 2-D sin-cos positions) on the stride-32 level;
 *   CCFM: top-down (lateral 1×1 conv-BN-SiLU, nearest ×2, concat, CSPRepLayer of 3 RepVGG blocks) and bottom-up
 *   (3×3/2 conv-BN-SiLU, concat, CSPRepLayer);
 * - decoder_input_proj: 1×1 conv + BN per level to d_model; flattened memory of all levels; enc_output (Linear +
 *   LayerNorm), enc_score_head, enc_bbox_head (3-layer MLP) on every memory token; top-k num_queries (300) queries;
 * - decoder layers: self-attention (SDPA) with query position from query_pos_head (MLP 4 → 2d → d), multi-scale
 *   deformable cross-attention (grid_sample per level: value projection, sampling offsets, attention weights),
 *   ReLU FFN; per-layer class head and box MLP (iterative box refinement).
 * Training adds contrastive denoising queries (num_denoising 100: groups = 100 // max boxes, 2·max boxes·groups
 * queries) and, per decoder output plus the encoder's top-k, the Hungarian matcher's cost matrices and the
 * varifocal/L1/GIoU losses (labelled approximations sized by max_boxes).
 */
import type { GraphBuilder, T } from "../builder.js";
import { detrLosses } from "./detr.js";
import { resnetSpec, resnetTrunk } from "./resnet.js";
import type { BuildContext, BuildFn } from "./types.js";

export interface RtDetrSpec {
  depth: 18 | 34 | 50 | 101;
  encHidden: number;
  encFfn: number;
  expansion: number;
  decLayers: number;
  dModel?: number;
  heads?: number;
  decFfn?: number;
  levels?: number;
  points?: number;
  queries?: number;
  numDenoising?: number;
}

/** The transformers / paper configurations (RT-DETR paper Table: R18 20M, R34 31M, R50 42M, R101 76M). */
export const RTDETR_SPECS: Record<string, RtDetrSpec> = {
  r18: { depth: 18, encHidden: 256, encFfn: 1024, expansion: 0.5, decLayers: 3 },
  r34: { depth: 34, encHidden: 256, encFfn: 1024, expansion: 0.5, decLayers: 4 },
  r50: { depth: 50, encHidden: 256, encFfn: 1024, expansion: 1.0, decLayers: 6 },
  r101: { depth: 101, encHidden: 384, encFfn: 2048, expansion: 1.0, decLayers: 6 },
};

function convNorm(b: GraphBuilder, x: T, out: number, k: number, s = 1, act = true): T {
  const y = b.batchNorm(b.conv(x, { out, k, s, p: (k - 1) >> 1 }));
  return act ? b.act(y, "silu") : y;
}

/** transformers' attention interface (SDPA by default) on batch-first [N, L, E] with separate q/k/v projections. */
function selfAttention(b: GraphBuilder, qk: T, v: T, heads: number, ctx: BuildContext): T {
  const [n, L, e] = qk.shape;
  const dh = e / heads;
  const q = b.scope("q_proj", () => b.linear(qk, e));
  const k = b.scope("k_proj", () => b.linear(qk, e));
  const vv = b.scope("v_proj", () => b.linear(v, e));
  const split = (t: T) => b.view(t, [n, heads, L, dh]); // view(…).transpose(1, 2)
  let o: T;
  let merged: T;
  if (ctx.attention === "sdpa") {
    o = b.sdpa(split(q), split(k), split(vv));
    // SDPA's output in q's (N, L, heads, d) layout (CPU / flash kernels): transpose(1, 2).reshape is a view.
    const sameLayout = b.device === "cpu" || o.dtype !== "f32";
    merged = sameLayout ? b.view(o, [n, L, e]) : b.copy(o, [n, L, e], "transpose_contiguous");
  } else {
    o = b.eagerAttention(split(q), split(k), split(vv), 0);
    merged = b.copy(o, [n, L, e], "transpose_contiguous");
  }
  return b.scope("o_proj", () => b.linear(merged, e));
}

function mlp(b: GraphBuilder, x: T, dims: number[], act: "relu" | "gelu" = "relu"): T {
  let t = x;
  dims.forEach((d, i) => {
    t = b.scope(`layers.${i}`, () => b.linear(t, d));
    if (i < dims.length - 1) t = b.act(t, act);
  });
  return t;
}

function cspRep(b: GraphBuilder, x: T, out: number, expansion: number): T {
  const hid = Math.floor(out * expansion);
  return b.block("csp", x, () => {
    let h1 = b.scope("conv1", () => convNorm(b, x, hid, 1));
    for (let i = 0; i < 3; i++) {
      const inp = h1;
      h1 = b.block(`bottlenecks.${i}`, inp, () => {
        const a = b.scope("conv1", () => convNorm(b, inp, hid, 3, 1, false));
        const c = b.scope("conv2", () => convNorm(b, inp, hid, 1, 1, false));
        return b.act(b.add(a, c), "silu");
      });
    }
    const h2 = b.scope("conv2", () => convNorm(b, x, hid, 1));
    const s = b.add(h1, h2);
    return hid !== out ? b.scope("conv3", () => convNorm(b, s, out, 1)) : s;
  });
}

export function rtdetr(spec: RtDetrSpec): BuildFn {
  return (b, x, ctx) => {
    const d = spec.dModel ?? 256;
    const heads = spec.heads ?? 8;
    const L = spec.levels ?? 3;
    const P = spec.points ?? 4;
    const Q = ctx.conv?.numQueries ?? spec.queries ?? 300;
    const eh = spec.encHidden;
    const classes = ctx.classes ?? 80;
    const [n, , H, W] = x.shape;
    // RTDetrModel.forward: pixel_mask = torch.ones((N, H, W)) (fp32) when none is given; referenced to the end.
    const pixelMask = b.approx("pixel_mask", [], [n, H, W], "f32", "pixel_mask = torch.ones(N, H, W)");
    const feats = b.scope("backbone", () =>
      resnetTrunk(b, x, resnetSpec(spec.depth), { norm: "frozen", deepStem: true, avgDown: true, projectFirst: spec.depth < 50 }).slice(1),
    );
    const proj = feats.map((f, i) => b.scope(`encoder_input_proj.${i}`, () => b.batchNorm(b.conv(f, { out: eh, k: 1, p: 0 }))));
    // AIFI on the stride-32 level.
    const c5 = proj[2];
    const [, , h5, w5] = c5.shape;
    const aifi = b.block("encoder.aifi.0", c5, () => {
      const seq = b.view(c5, [n, h5 * w5, eh]); // flatten(2).transpose(1, 2): a view
      const pos = b.approx("sincos_position", [], [1, h5 * w5, eh], seq.dtype, "2-D sin-cos position embedding (no grad)");
      const inp = seq;
      const qk = b.add(inp, pos);
      const a = b.block("self_attn", [qk, inp], () => selfAttention(b, qk, inp, 8, ctx));
      const x1 = b.layerNorm(b.add(inp, a));
      const f = b.block("mlp", x1, () => b.scope("fc2", () => b.linear(b.act(b.scope("fc1", () => b.linear(x1, spec.encFfn)), "gelu"), eh)));
      const x2 = b.layerNorm(b.add(x1, f));
      return b.copy(x2, [n, eh, h5, w5], "transpose_reshape_contiguous");
    });
    // CCFM top-down then bottom-up.
    const fm = [proj[0], proj[1], aifi];
    const fpn: T[] = [fm[2]];
    for (let i = 0; i < 2; i++) {
      const lat = b.scope(`encoder.lateral_convs.${i}`, () => convNorm(b, fpn[fpn.length - 1], eh, 1));
      fpn[fpn.length - 1] = lat;
      const bb = fm[1 - i];
      const up = b.upsample(lat, [bb.shape[2], bb.shape[3]]);
      fpn.push(b.scope(`encoder.fpn_blocks.${i}`, () => cspRep(b, b.cat([up, bb], 1), eh, spec.expansion)));
    }
    fpn.reverse();
    const pan: T[] = [fpn[0]];
    for (let i = 0; i < 2; i++) {
      const down = b.scope(`encoder.downsample_convs.${i}`, () => convNorm(b, pan[pan.length - 1], eh, 3, 2));
      pan.push(b.scope(`encoder.pan_blocks.${i}`, () => cspRep(b, b.cat([down, fpn[i + 1]], 1), eh, spec.expansion)));
    }
    // Decoder inputs: 1×1 conv + BN per level, flattened and concatenated.
    const sources = pan.map((p, i) => b.scope(`decoder_input_proj.${i}`, () => b.batchNorm(b.conv(p, { out: d, k: 1, p: 0 }))));
    const shapes = sources.map((s) => [s.shape[2], s.shape[3]] as [number, number]);
    const S = shapes.reduce((a, [hh, ww]) => a + hh * ww, 0);
    const flat = b.cat(sources.map((s) => b.view(s, [n, s.shape[2] * s.shape[3], d])), 1);
    const anchors = b.approx("generate_anchors", [], [1, S, 4], flat.dtype, "anchors and valid mask (no grad)");
    const memory = b.mul(flat, b.approx("valid_mask", [], [1, S, 1], flat.dtype, "valid mask of the anchors (no grad)"));
    const outMem = b.block("enc_output", memory, () => b.layerNorm(b.scope("0", () => b.linear(memory, d))));
    const encLogits = b.scope("enc_score_head", () => b.linear(outMem, classes));
    const encBoxes = b.block("enc_bbox_head", outMem, () => b.add(mlp(b, outMem, [d, d, 4]), anchors));
    // Top-k queries (indices without grad) and their gathered logits / boxes / memory (the target is detached).
    const topLogits = b.custom("gather", [encLogits], [n, Q, classes], encLogits.dtype, []);
    b.custom("gather", [encBoxes], [n, Q, 4], encBoxes.dtype, []);
    let target = b.custom("gather_detached", [outMem], [n, Q, d], outMem.dtype, [], false);
    let nq = Q;
    let dn = 0;
    if (ctx.training && (spec.numDenoising ?? 100) > 0) {
      const maxGt = ctx.maxBoxes ?? 100;
      const groups = Math.max(1, Math.floor((spec.numDenoising ?? 100) / maxGt));
      dn = maxGt * 2 * groups;
      b.extraParams("denoising_class_embed", [[classes + 1, d]]);
      const dnq = b.custom("denoising_class_embed", [], [n, dn, d], target.dtype, [], true);
      target = b.cat([dnq, target], 1);
      nq = Q + dn;
    } else b.extraParams("denoising_class_embed", [[classes + 1, d]]);
    let hs = target;
    const value = flat;
    const outs: T[] = [];
    const kept: T[] = [];
    for (let i = 0; i < spec.decLayers; i++) {
      const ref = b.approx("reference_points", [], [n, nq, 4], hs.dtype, "sigmoid reference boxes (detached)");
      const qpos = b.block("decoder.query_pos_head", ref, () => b.scope(`${i}`, () => (i === 0 ? mlp(b, ref, [2 * d, d]) : b.sharedWeights(() => mlp(b, ref, [2 * d, d])))));
      hs = b.block(`decoder.layers.${i}`, hs, () => {
        const inp = hs;
        const qk = b.add(inp, qpos);
        const a = b.block("self_attn", [qk, inp], () => selfAttention(b, qk, inp, heads, ctx));
        const x1 = b.layerNorm(b.add(inp, a));
        const c = b.block("encoder_attn", x1, () => deformableAttention(b, b.add(x1, qpos), value, shapes, heads, L, P));
        const x2 = b.layerNorm(b.add(x1, c));
        const f = b.block("mlp", x2, () => b.scope("fc2", () => b.linear(b.act(b.scope("fc1", () => b.linear(x2, spec.decFfn ?? 1024)), "relu"), d)));
        return b.layerNorm(b.add(x2, f));
      });
      const box = b.block(`decoder.bbox_embed.${i}`, hs, () => b.act(mlp(b, hs, [d, d, 4]), "sigmoid"));
      const logit = b.scope(`decoder.class_embed.${i}`, () => b.linear(hs, classes));
      outs.push(logit, box);
      kept.push(hs, ref);
    }
    // RTDetrModel.forward's locals (backbone features, projected levels, sources, flattened memory, encoder head
    // outputs) and the returned intermediates stay referenced until the forward returns (checked: the eval peak in
    // bench/vision/rtdetr-cpu-torch2.jsonl falls in the last decoder layer, with all of them live).
    const end = b.nodes.length - 1;
    for (const t of [pixelMask, ...feats, proj[0], proj[1], aifi, ...pan, ...sources, flat, memory, outMem, encLogits, encBoxes, topLogits, target, ...kept, ...outs]) b.holds.push([t.storage, end]);
    if (ctx.training) {
      // Final + auxiliary decoder outputs and the encoder's top-k output; denoising outputs ride in the same tensors.
      detrLosses(b, topLogits, outs[outs.length - 1], n, nq, classes - 1, spec.decLayers + 1, ctx.maxBoxes ?? 100);
    }
    return [outs[outs.length - 2], outs[outs.length - 1]];
  };
}

/**
 * RTDetrMultiscaleDeformableAttention + the PyTorch MultiScaleDeformableAttention (disable_custom_kernels): value
 * projection of the whole memory, sampling offsets and attention weights (softmax) per query, one grid_sample per
 * level on a [N·heads, d/heads, H, W] copy of that level's values, stacked samples × weights summed over points.
 */
function deformableAttention(b: GraphBuilder, q: T, mem: T, shapes: [number, number][], heads: number, L: number, P: number): T {
  const [n, nq, d] = q.shape;
  // Locals of the Python functions (value, the list of sampled values, the last level's copies) stay referenced
  // until the module returns.
  const value = b.retain(b.scope("value_proj", () => b.linear(mem, d)));
  const off = b.scope("sampling_offsets", () => b.linear(q, heads * L * P * 2));
  const aw = b.softmax(b.view(b.scope("attention_weights", () => b.linear(q, heads * L * P)), [n, nq, heads, L * P]));
  // sampling_locations = ref[..., :2] + offsets / P · ref[..., 2:] · 0.5 (elementwise on [N, Q, heads, L, P, 2]);
  // 2·loc − 1 is the grid.
  const scaled = b.mul(b.view(off, [n, nq, heads, L, P, 2]), b.approx("ref_wh", [], [n, nq, 1, L, 1, 2], off.dtype, "reference size / P · 0.5"));
  const loc = b.add(scaled, b.approx("ref_xy", [], [n, nq, 1, L, 1, 2], off.dtype, "reference centre"));
  const grid = b.scale(loc);
  return sampleLevels(b, value, grid, aw, shapes, heads, P);
}

/**
 * The sampling half of PyTorch's multi_scale_deformable_attention (shared with Mask2Former's pixel decoder): one
 * grid_sample per level on a [N·heads, d/heads, H, W] copy of that level's values, the samples stacked and
 * weighted by `aw` [N, Q, heads, L·P], summed over points, then output_proj. The last level's copies and every
 * sample stay referenced until the function returns.
 */
export function sampleLevels(b: GraphBuilder, value: T, grid: T, aw: T, shapes: [number, number][], heads: number, P: number): T {
  const [n, nq] = aw.shape;
  const d = value.shape[2];
  const dh = d / heads;
  const L = shapes.length;
  const samples = shapes.map(([hh, ww], l) => {
    const vl = b.copy(value, [n * heads, dh, hh, ww], "level_values_transpose_reshape");
    const gl = b.copy(grid, [n * heads, nq, P, 2], "level_grid_transpose_flatten");
    if (l === L - 1) b.retain(vl), b.retain(gl);
    return b.retain(b.custom("grid_sample", [vl, gl], [n * heads, dh, nq, P], value.dtype, [vl, gl]));
  });
  const stacked = b.cat(samples.map((s) => b.view(s, [n * heads, dh, nq, 1, P])), 3);
  const w = b.copy(aw, [n * heads, 1, nq, L * P], "weights_transpose_reshape");
  const prod = b.mul(b.view(stacked, [n * heads, dh, nq, L * P]), w);
  const summed = b.custom("sum", [prod], [n * heads, dh, nq], prod.dtype, []);
  const out = b.copy(summed, [n, nq, d], "transpose_contiguous");
  return b.scope("output_proj", () => b.linear(out, d));
}
