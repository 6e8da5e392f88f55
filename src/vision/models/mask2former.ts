/**
 * Mask2Former as transformers lays it out (Mask2FormerForUniversalSegmentation, transformers 5.18
 * models/mask2former/modeling_mask2former.py; the modules of facebookresearch/Mask2Former):
 * - backbone: Swin (SwinBackbone, stage1–stage4 each through its own LayerNorm: hidden_states_norms) or ResNet;
 *   here the torchvision Swin trunk (src/vision/models/swin.ts) with the per-stage norms — the same parameters, the
 *   activations of torchvision's window attention rather than transformers' SwinSelfAttention (approx);
 * - pixel decoder (Mask2FormerPixelDecoder): 1×1 conv + GroupNorm(32) on the 1/32, 1/16, 1/8 maps, sine position
 *   embedding + level_embed, a 6-layer post-norm multi-scale deformable-attention encoder (8 heads, 3 levels,
 *   4 points, ReLU FFN 1024) over all tokens of the three levels, then one FPN level: lateral 1×1 conv (no bias) +
 *   GN on the 1/4 map, + bilinear upsampling of the 1/8 output, 3×3 conv (no bias) + GN + ReLU, and the 1×1
 *   mask_projection → the 1/4 mask features;
 * - transformer decoder (Mask2FormerMaskedAttentionDecoder, decoder_layers 10 = the query-only prediction + 9
 *   layers): per layer masked cross-attention (nn.MultiheadAttention with a bool attn_mask: the math path keeps
 *   the [N·heads, Q, S_level] probabilities) on the level idx % 3, self-attention (Mask2FormerAttention, eager
 *   bmm/softmax), ReLU FFN 2048, post-norm; after the query embedding and after every layer the shared layernorm,
 *   the mask predictor (3-layer MLP, einsum with the mask features → [N, Q, H/4, W/4]) and the next layer's
 *   attention mask (bilinear resize to the level, sigmoid, repeat over heads, < 0.5, detached);
 * - class_predictor Linear(256, labels + 1) on all 10 intermediate states.
 * Training (Mask2FormerLoss, per prediction: the final and 9 auxiliary): the Hungarian matcher on train_num_points
 * (12544) point samples of every query's mask and every target (no grad), the point-sampled sigmoid-BCE and dice
 * losses on the matched masks (importance sampling over 3 × 12544 candidates), the cross-entropy over
 * labels + 1; mask labels [N, masks, H, W] fp32 and their padded copy (sized from max_boxes: masks per image).
 * Loss-side tensors are labelled approximations.
 */
import type { GraphBuilder, T } from "../builder.js";
import { detrAttention } from "./detr.js";
import { sampleLevels } from "./rtdetr.js";
import { type Norm, resnetSpec, resnetTrunk } from "./resnet.js";
import { type SwinSpec, swinTrunk } from "./swin.js";
import type { BuildContext, BuildFn } from "./types.js";

/** `hfLayernorm`: transformers' Swin backbone carries the unused final layernorm of its Swin model (swin.layernorm, counted in its parameters). */
export type Mask2FormerBackbone = { kind: "swin"; spec: SwinSpec; hfLayernorm?: boolean } | { kind: "resnet"; depth: 50 | 101; norm?: Norm };

export interface Mask2FormerSpec {
  backbone: Mask2FormerBackbone;
  /** num_queries (100; 200 for the Swin-L checkpoints). */
  queries: number;
  hidden?: number;
  heads?: number;
  encLayers?: number;
  encFfn?: number;
  /** Masked-attention layers (transformers' decoder_layers − 1). */
  decLayers?: number;
  decFfn?: number;
  /** train_num_points. */
  points?: number;
}

/** Multi-scale deformable self-attention of the pixel-decoder encoder (2-D reference points, PyTorch grid_sample path). */
function deformableSelfAttention(b: GraphBuilder, q: T, mem: T, shapes: [number, number][], heads: number, P: number): T {
  const [n, nq, d] = q.shape;
  const L = shapes.length;
  // value.masked_fill(attention_mask[..., None], 0): the pixel decoder always passes a (all-False) mask, so the
  // projected values are copied once; the copy is what the function keeps.
  const value = b.retain(b.copy(b.scope("value_proj", () => b.linear(mem, d)), [n, mem.shape[1], d], "masked_fill"));
  // The module's locals (the position-added queries, offsets, weights, sampling locations and grids) stay referenced
  // until it returns (the eval peak, measured in bench/vision/mask2former-cpu-torch2.jsonl, falls inside this call).
  b.retain(q);
  const off = b.retain(b.scope("sampling_offsets", () => b.linear(q, heads * L * P * 2)));
  const aw = b.retain(b.softmax(b.view(b.scope("attention_weights", () => b.linear(q, heads * L * P)), [n, nq, heads, L * P])));
  // sampling_locations = reference_points[:, :, None, :, None, :] + offsets / offset_normalizer; grid = 2·loc − 1.
  const scaled = b.mul(b.view(off, [n, nq, heads, L, P, 2]), b.approx("offset_normalizer", [], [1, 1, 1, L, 1, 2], off.dtype, "1 / (w, h) per level"));
  const loc = b.retain(b.add(scaled, b.approx("reference_points", [], [n, nq, 1, L, 1, 2], off.dtype, "pixel-centre reference points (no grad)")));
  const grid = b.retain(b.scale(loc));
  return sampleLevels(b, value, grid, aw, shapes, heads, P);
}

function mlp(b: GraphBuilder, x: T, dims: number[], contiguous = true): T {
  let t = x;
  dims.forEach((dim, i) => {
    t = b.scope(`${i}.0`, () => b.linear(t, dim, true, i === 0 ? { contiguous } : {}));
    if (i < dims.length - 1) t = b.act(t, "relu");
  });
  return t;
}

function backboneFeatures(b: GraphBuilder, x: T, bb: Mask2FormerBackbone, ctx: BuildContext): T[] {
  if (bb.kind === "swin") {
    const feats = swinTrunk(b, x, bb.spec, ctx, true).feats;
    // The Swin model's own final layernorm (swin.layernorm): a parameter the backbone forward never uses.
    if (bb.hfLayernorm === false) return feats;
    const last = bb.spec.embed * 2 ** (bb.spec.depths.length - 1);
    b.extraParams("swin.layernorm", [[last], [last]]);
    return feats;
  }
  return resnetTrunk(b, x, resnetSpec(bb.depth), { norm: bb.norm ?? "bn_frozen" });
}

export function mask2former(spec: Mask2FormerSpec): BuildFn {
  return (b, x, ctx) => {
    const d = spec.hidden ?? 256;
    const heads = spec.heads ?? 8;
    const Q = ctx.conv?.numQueries ?? spec.queries;
    const labels = ctx.classes ?? 80;
    const D = spec.decLayers ?? 9;
    const P = spec.points ?? 12544;
    const [n, , H, W] = x.shape;
    // Mask2FormerModel.forward: pixel_mask = torch.ones((N, H, W)) (fp32) when none is given; referenced to the end.
    const pixelMask = b.approx("pixel_mask", [], [n, H, W], "f32", "pixel_mask = torch.ones(N, H, W)");
    const feats = b.scope("model.pixel_level_module.encoder", () => backboneFeatures(b, x, spec.backbone, ctx));
    // ---- pixel decoder ----
    const pd = "model.pixel_level_module.decoder";
    const levels = [feats[3], feats[2], feats[1]]; // features[::-1][:3]: 1/32, 1/16, 1/8
    const proj = levels.map((f, i) => b.scope(`${pd}.input_projections.${i}`, () => b.groupNorm(b.conv(f, { out: d, k: 1, p: 0, bias: true }), 32)));
    const shapes = proj.map((p) => [p.shape[2], p.shape[3]] as [number, number]);
    const S = shapes.reduce((a, [h, w]) => a + h * w, 0);
    b.extraParams(`${pd}.level_embed`, [[3, d]]);
    const flat = b.cat(proj.map((p) => b.view(p, [n, p.shape[2] * p.shape[3], d])), 1);
    const pos = b.approx("position_embedding_sine", [], [n, S, d], flat.dtype, "sine position embeddings + level_embed of the three levels (no grad)");
    let hs = flat;
    // Mask2FormerModel runs with output_hidden_states = use_auxiliary_loss (true by default, in eval too): the
    // encoder keeps every layer's input (all_hidden_states) until the pixel decoder returns.
    const encInputs: T[] = [];
    for (let i = 0; i < (spec.encLayers ?? 6); i++) {
      encInputs.push(hs);
      hs = b.block(`${pd}.encoder.layers.${i}`, hs, () => {
        const inp = hs;
        const a = b.block("self_attn", inp, () => deformableSelfAttention(b, b.add(inp, pos), inp, shapes, heads, 4));
        const x1 = b.layerNorm(b.add(inp, a));
        const f = b.scope("fc2", () => b.linear(b.act(b.scope("fc1", () => b.linear(x1, spec.encFfn ?? 1024)), "relu"), d));
        return b.layerNorm(b.add(x1, f));
      });
    }
    // split + transpose(1, 2).view: views of the encoder output.
    const outs = shapes.map(([h, w]) => b.view(hs, [n, d, h, w]));
    const c2 = feats[0];
    const fpn = b.block(pd, c2, () => {
      const lat = b.scope("adapter_1", () => b.groupNorm(b.conv(c2, { out: d, k: 1, p: 0 }), 32));
      const up = b.upsample(outs[2], [c2.shape[2], c2.shape[3]]);
      const sum = b.add(lat, up);
      return b.act(b.scope("layer_1", () => b.groupNorm(b.conv(sum, { out: d, k: 3, p: 1 }), 32)), "relu");
    });
    const maskFeatures = b.scope(`${pd}.mask_projection`, () => b.conv(fpn, { out: d, k: 1, p: 0, bias: true }));
    for (const t of encInputs) b.holds.push([t.storage, b.nodes.length - 1]);
    const [, , h4, w4] = maskFeatures.shape;
    const pixel = b.view(maskFeatures, [n, d, h4 * w4]);
    // ---- transformer module ----
    const tm = "model.transformer_module";
    b.extraParams(`${tm}.level_embed`, [[3, d]]);
    const memory = outs.map((o, i) => b.view(b.add(b.view(o, [n, d, shapes[i][0] * shapes[i][1]]), b.approx("level_embed", [], [1, d, 1], o.dtype, "level_embed.weight[i][None, :, None]")), [shapes[i][0] * shapes[i][1], n, d]));
    const mpos = shapes.map(([h, w]) => b.approx("position_embedding_sine", [], [h * w, n, d], memory[0].dtype, "sine position embedding of the level (no grad)"));
    const qpos = b.scope(`${tm}.queries_embedder`, () => b.copy(b.parameter([Q, d]), [Q, n, d], "repeat"));
    let tgt = b.scope(`${tm}.queries_features`, () => b.copy(b.parameter([Q, d]), [Q, n, d], "repeat"));
    const dec = `${tm}.decoder`;
    const inter: T[] = [];
    const masks: T[] = [];
    let first = true;
    const predict = (state: T, level: number): T => {
      const shared = <R>(f: () => R): R => (first ? f() : b.sharedWeights(f));
      const normed = b.scope(`${dec}.layernorm`, () => shared(() => b.layerNorm(state)));
      const emb = b.scope(`${dec}.mask_predictor.mask_embedder`, () => shared(() => mlp(b, b.view(normed, [n, Q, d]), [d, d, d], false)));
      first = false;
      const m = b.view(b.matmul(emb, pixel), [n, Q, h4, w4]); // einsum("bqc,bchw->bqhw")
      const [hl, wl] = shapes[level];
      // interpolate → sigmoid → repeat over heads → < 0.5: a detached bool mask (the float steps are transient).
      const resized = b.approx("interpolate_bilinear", [m], [n, Q, hl, wl], m.dtype, "attention-mask resize (its graph is dropped by the comparison)");
      const sig = b.approx("sigmoid", [resized], [n, Q, hl * wl], "f32", "sigmoid of the resized mask");
      const rep = b.approx("repeat", [sig], [n, heads, Q, hl * wl], "f32", "repeat over heads");
      const attnMask = b.approx("lt_bool", [rep], [n * heads, Q, hl * wl], "bool", "(mask < 0.5).bool().detach()");
      inter.push(normed);
      masks.push(m);
      return attnMask;
    };
    let attnMask = predict(tgt, 0);
    for (let i = 0; i < D; i++) {
      const level = i % 3;
      const mask = attnMask;
      tgt = b.block(`${dec}.layers.${i}`, tgt, () => {
        const inp = tgt;
        const q2 = b.add(inp, qpos);
        const k2 = b.add(memory[level], mpos[level]);
        // F.multi_head_attention_forward: the bool attn_mask becomes a float −inf mask, the baddbmm's addend.
        b.approx("float_attn_mask", [mask], mask.shape, q2.dtype, "bool attn_mask → float −inf mask (transient)");
        const c = b.block("cross_attn", [q2, k2], () => detrAttention(b, q2, k2, memory[level], heads, 0, true, ctx.training));
        const x1 = b.layerNorm(b.add(inp, c));
        const qk = b.add(x1, qpos);
        const a = b.block("self_attn", [qk, x1], () => detrAttention(b, qk, qk, x1, heads, 0, true, ctx.training));
        const x2 = b.layerNorm(b.add(x1, a));
        const f = b.scope("fc2", () => b.linear(b.act(b.scope("fc1", () => b.linear(x2, spec.decFfn ?? 2048)), "relu"), d));
        return b.layerNorm(b.add(x2, f));
      });
      attnMask = predict(tgt, (i + 1) % 3);
    }
    // class_predictor on every intermediate state (transpose(0, 1) views).
    const logits = inter.map((s, i) => b.scope("class_predictor", () => {
      const f = () => b.linear(b.view(s, [n, Q, d]), labels + 1, true, { contiguous: false });
      return i === 0 ? f() : b.sharedWeights(f);
    }));
    // The pixel decoder's outputs, the memory, the intermediate states and every layer's [N, Q, H/4, W/4] masks stay
    // referenced until the forward returns (they are returned: masks_queries_logits and the auxiliary predictions).
    const end = b.nodes.length - 1;
    for (const t of [pixelMask, ...feats, ...proj, hs, fpn, maskFeatures, ...memory, ...inter, ...masks, ...logits]) b.holds.push([t.storage, end]);
    if (ctx.training) mask2formerLosses(b, masks, logits, n, Q, labels, H, W, P, ctx.maxBoxes ?? 100);
    return [logits[logits.length - 1], masks[masks.length - 1]];
  };
}

/** Mask2FormerLoss + Mask2FormerHungarianMatcher over the final and auxiliary predictions (labelled approximations). */
function mask2formerLosses(b: GraphBuilder, masks: T[], logits: T[], n: number, Q: number, labels: number, H: number, W: number, P: number, maxMasks: number): void {
  const [, , h4, w4] = masks[0].shape;
  const matched = n * Math.min(Q, maxMasks);
  // mask_labels: one [masks, H, W] fp32 tensor per image, alive for the whole step; loss_masks pads them to the
  // batch maximum (a copy) and gathers the matched ones (another).
  const gt = b.approx("mask_labels", [], [n, maxMasks, H, W], "f32", `ground-truth masks, ${maxMasks} per image (max_boxes) at the input resolution`);
  masks.forEach((m, i) => {
    // Matcher (no grad, per image): point samples of every query's mask and every target, the pairwise sigmoid-BCE
    // and dice costs ([Q, P] and [masks, P] planes, [Q, masks] costs).
    b.approx("hungarian_point_costs", [m], [6, Math.max(Q, maxMasks), P], "f32", `matcher on ${P} sampled points per image (no grad, transient; approx)`);
    b.approx("padded_mask_labels", [gt], [n, maxMasks, H, W], "f32", "_pad_images_to_max_in_batch copy + matched-target gather (transient)");
    // loss_masks: masks_queries_logits[src_idx] (saved by point_sample's grid_sample), importance sampling over 3·P
    // candidates (no grad), the [matched, P] point logits and labels saved by the BCE-with-logits and dice losses.
    const src = b.approx("loss_masks_src", [m], [matched, 1, h4, w4], m.dtype, "matched mask logits gathered for point_sample (saved)", true);
    b.approx("uncertainty_points", [src], [matched, 3 * P, 3], "f32", "oversampled point logits and coordinates (no grad, transient)");
    // Saved per matched mask and point: the grid (2·coords − 1, two floats) kept by grid_sample, the point logits and
    // labels kept by the BCE-with-logits, the sigmoid kept by the dice loss: five fp32 planes (measured: the labelled
    // rows of bench/vision/mask2former-cpu-torch2.jsonl).
    b.approx("loss_masks_points", [src], [5, matched, P], "f32", `point grid, logits, labels and sigmoid of ${matched} matched masks × ${P} points (saved)`, true);
    b.approx("loss_ce", [logits[i]], [n, Q, labels + 1], "f32", "cross-entropy log-softmax over labels + 1 (saved)", true);
  });
  b.holds.push([gt.storage, b.nodes.length - 1]);
}
