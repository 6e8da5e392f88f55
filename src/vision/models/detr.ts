/**
 * DETR (facebookresearch/detr @ 29901c51d7fe8712168b8d0d64351170bc0f83e0, models/detr.py, transformer.py,
 * backbone.py, matcher.py; the same modules as transformers' DetrForObjectDetection with use_timm_backbone):
 * - backbone: torchvision ResNet-50/101 with FrozenBatchNorm2d; conv1 and layer1 frozen (backbone.py L63: only
 *   parameters named layer2/3/4 train); DC5 replaces layer4's stride with dilation;
 * - input_proj 1×1 conv 2048 → 256, sine position embedding (no parameters, computed without grad);
 * - transformer (main.py defaults): 6 post-norm encoder layers, 6 decoder layers, d_model 256, 8 heads, FFN 2048,
 *   dropout 0.1, return_intermediate (the decoder norm applied after every layer), 100 object queries;
 * - heads on all 6 decoder outputs (aux_loss): class Linear(256, classes + 1), box MLP 256-256-256-4 + sigmoid.
 *
 * Attention is nn.MultiheadAttention (sequence-first, need_weights left at True, q = k ≠ v), so torch takes
 * F.multi_head_attention_forward's math path in torch 2 as in 1.x: three separate in-projections (q is k but k is
 * not v), q·scale, baddbmm with the key-padding mask, softmax, dropout(0.1) on the probabilities, bmm with v, a
 * transpose copy, out_proj; the head-averaged weights are computed and dropped. The probabilities are kept twice
 * (softmax output and the dropped copy) with a 1-byte mask: N·8·S² per encoder layer, S = (H/32)·(W/32).
 *
 * Training-time costs that depend on data (models/matcher.py, SetCriterion in detr.py), for the final output and
 * each auxiliary output (6 in all): the Hungarian matcher's cost matrix over the batch, [N·queries, boxes in the
 * batch] for the class, L1 and GIoU costs (no grad, sent to the CPU for scipy), sized with max_boxes per image;
 * the cross-entropy keeps the fp32 log-softmax of [N, queries, classes + 1] per decoder output.
 */
import type { GraphBuilder, T } from "../builder.js";
import { resnetSpec, resnetTrunk } from "./resnet.js";
import type { BuildContext, BuildFn } from "./types.js";

export interface DetrSpec {
  depth: 50 | 101;
  dc5?: boolean;
  dModel?: number;
  heads?: number;
  ffn?: number;
  encLayers?: number;
  decLayers?: number;
  queries?: number;
  dropout?: number;
  /** Auxiliary decoding losses (aux_loss, default true; transformers' auxiliary_loss defaults to false). */
  auxLoss?: boolean;
  /**
   * transformers' DetrForObjectDetection: DetrSelfAttention / DetrCrossAttention through the attention interface
   * (SDPA by default, eager keeps the probabilities), attention_dropout 0 (config default), batch-first.
   */
  hf?: boolean;
  /**
   * MMDetection 3.x configs/detr (detr_r50_8xb2-150e_coco.py): ResNet with BN requires_grad=False, norm_eval=True,
   * frozen_stages=1 (BN parameters exist, nothing of them trains); DetDataPreprocessor normalises on the GPU;
   * 80 classes + background in fc_cls; the same 6+6 transformer over mmcv's MultiheadAttention (need_weights
   * left True: the math path).
   */
  mmdet?: boolean;
}

/** nn.MultiheadAttention(query, key, value) on sequence-first inputs [L, N, E], need_weights=True (math path). */
export function detrAttention(b: GraphBuilder, q: T, k: T, v: T, heads: number, dropout: number, contiguous: boolean, training: boolean, sdpa = false): T {
  const [L, n, e] = q.shape;
  const S = k.shape[0];
  const dh = e / heads;
  const qp = b.scope("q_proj", () => b.linear(q, e, true, { contiguous }));
  const kp = b.scope("k_proj", () => b.linear(k, e, true, { contiguous }));
  const vp = b.scope("v_proj", () => b.linear(v, e, true, { contiguous }));
  // in_proj_weight [3E, E] + in_proj_bias [3E] are one parameter each; the three linears above count them.
  const qh = b.view(qp, [n * heads, L, dh]);
  const kh = b.view(kp, [n * heads, S, dh]);
  const vh = b.view(vp, [n * heads, S, dh]);
  const o = sdpa ? b.sdpa(b.view(qh, [n, heads, L, dh]), b.view(kh, [n, heads, S, dh]), b.view(vh, [n, heads, S, dh])) : b.eagerAttention(qh, kh, vh, training ? dropout : 0);
  const merged = b.copy(o, [L * n, e], "transpose_contiguous");
  const out = b.scope("out_proj", () => b.linear(merged, e));
  return b.view(out, [L, n, e]);
}

/** The post-norm DETR encoder and decoder on the projected C5 map. Returns the decoder's intermediate outputs [D, N, Q, E]. */
export function detrTransformer(b: GraphBuilder, src: T, pos: T, s: Required<Omit<DetrSpec, "depth" | "dc5" | "auxLoss" | "hf" | "mmdet">> & { hf?: boolean; auxLoss?: boolean }, ctx: BuildContext): T {
  const sdpa = !!s.hf && ctx.attention === "sdpa";
  const attnDrop = s.hf ? 0 : s.dropout;
  const [S, n, e] = src.shape;
  const p = ctx.training ? s.dropout : 0;
  const drop = (x: T) => b.dropout(x, p);
  let mem = src;
  for (let i = 0; i < s.encLayers; i++) {
    const first = i === 0;
    mem = b.block(`encoder.layers.${i}`, mem, () => {
      const inp = mem;
      const qk = b.add(inp, pos);
      // Layer 0 sees the permuted (non-contiguous) C5 view; after the first LayerNorm the sequence is contiguous.
      const a = b.block("self_attn", [qk, inp], () => detrAttention(b, qk, qk, inp, s.heads, attnDrop, !first && !s.hf, ctx.training, sdpa));
      const x1 = b.layerNorm(b.add(inp, drop(a)));
      const f = b.block("ffn", x1, () => {
        const h = drop(b.act(b.scope("linear1", () => b.linear(x1, s.ffn)), "relu"));
        return b.scope("linear2", () => b.linear(h, e));
      });
      return b.layerNorm(b.add(x1, drop(f)));
    });
  }
  const queries = s.queries;
  const qEmb = b.parameter([queries, e]);
  const qpos = b.copy(qEmb, [queries, n, e], "repeat");
  let tgt = b.approx("zeros_like", [], [queries, n, e], mem.dtype, "tgt = torch.zeros_like(query_embed)");
  const inter: T[] = [];
  for (let i = 0; i < s.decLayers; i++) {
    tgt = b.block(`decoder.layers.${i}`, tgt, () => {
      const inp = tgt;
      const qk = b.add(inp, qpos);
      const a = b.block("self_attn", [qk, inp], () => detrAttention(b, qk, qk, inp, s.heads, attnDrop, true, ctx.training, sdpa));
      const x1 = b.layerNorm(b.add(inp, drop(a)));
      const q2 = b.add(x1, qpos);
      const k2 = b.add(mem, pos);
      const c = b.block("multihead_attn", [q2, k2], () => detrAttention(b, q2, k2, mem, s.heads, attnDrop, true, ctx.training, sdpa));
      const x2 = b.layerNorm(b.add(x1, drop(c)));
      const f = b.block("ffn", x2, () => {
        const h = drop(b.act(b.scope("linear1", () => b.linear(x2, s.ffn)), "relu"));
        return b.scope("linear2", () => b.linear(h, e));
      });
      return b.layerNorm(b.add(x2, drop(f)));
    });
    // return_intermediate: the shared decoder norm after every layer (one set of parameters).
    const normed = b.scope("decoder.norm", () => (i === 0 ? b.layerNorm(tgt) : b.sharedWeights(() => b.layerNorm(tgt))));
    if (s.auxLoss !== false || i === s.decLayers - 1) inter.push(normed);
  }
  const hs = inter.length > 1 ? b.cat(inter.map((t) => b.view(t, [1, queries, n, e])), 0) : b.view(inter[0], [1, queries, n, e]);
  return b.view(hs, [hs.shape[0], n, queries, e]); // hs.transpose(1, 2): a view
}

export function detr(spec: DetrSpec): BuildFn {
  return (b, x, ctx) => {
    const s = { dModel: 256, heads: 8, ffn: 2048, encLayers: 6, decLayers: 6, dropout: 0.1, ...stripUndefined(spec), queries: ctx.conv?.numQueries ?? spec.queries ?? 100 };
    const e = s.dModel;
    const classes = ctx.classes ?? (spec.mmdet ? 80 : 91);
    const [n] = x.shape;
    // DETR's data loader normalises and pads (NestedTensor) on the host: the batch arrives ready. MMDetection's
    // DetDataPreprocessor normalises on the GPU (a new tensor).
    const img = spec.mmdet ? b.copy(x, x.shape, "normalize") : x;
    const c5 = b.scope("backbone", () => resnetTrunk(b, img, resnetSpec(spec.depth), { norm: spec.mmdet ? "bn_frozen" : "frozen", frozenStages: 2, dilate: [false, false, !!spec.dc5] })[3]);
    const [, , h, w] = c5.shape;
    const S = h * w;
    // NestedTensor mask interpolated to the C5 grid and PositionEmbeddingSine (cumsum, divide, sin/cos, cat): no grad.
    const pos = b.view(b.approx("position_embedding_sine", [], [n, e, h, w], "f32", "sine position embedding of the C5 grid (no grad)"), [S, n, e]);
    const proj = b.scope("input_proj", () => b.conv(c5, { out: e, k: 1, p: 0, bias: true }));
    const src = b.view(proj, [S, n, e]); // flatten(2).permute(2, 0, 1): a view
    const hs = b.scope("transformer", () => detrTransformer(b, src, pos, s, ctx));
    const D = hs.shape[0];
    const logits = b.scope("class_embed", () => b.linear(hs, classes + 1, true, { contiguous: false }));
    const boxes = b.block("bbox_embed", hs, () => {
      let t = b.act(b.scope("layers.0", () => b.linear(hs, e, true, { contiguous: false })), "relu");
      t = b.act(b.scope("layers.1", () => b.linear(t, e)), "relu");
      return b.act(b.scope("layers.2", () => b.linear(t, 4)), "sigmoid");
    });
    if (ctx.training) detrLosses(b, logits, boxes, n, s.queries, classes, D, ctx.maxBoxes ?? 100);
    return [logits, boxes];
  };
}

/** SetCriterion + HungarianMatcher for D decoder outputs (the final one and D − 1 auxiliary ones). */
export function detrLosses(b: GraphBuilder, logits: T, boxes: T, n: number, queries: number, classes: number, D: number, maxBoxes: number): void {
  const targets = n * maxBoxes;
  // matcher.py: out_prob [N·Q, C+1] softmax, cost_class / cost_bbox (cdist) / cost_giou (box_iou: areas, lt, rb
  // [N·Q, T, 2], wh, inter, union, iou, enclosing lt/rb/wh, area), C = weighted sum: ~12 fp32 [N·Q, T] planes alive
  // at the giou step, no grad, one decoder output at a time (transient).
  b.approx("hungarian_cost", [logits], [12, n * queries, targets], "f32", `Hungarian matcher cost matrices over the batch: [${n * queries} queries, ${targets} boxes] fp32 (max_boxes ${maxBoxes} per image; approx)`);
  b.approx("loss_ce", [logits], [D, n, queries, classes + 1], "f32", "cross-entropy over every query of every decoder output (fp32 log-softmax kept)", true);
  b.approx("loss_boxes", [boxes], [D, 8, targets, 4], "f32", "L1 + GIoU on the matched boxes of every decoder output (approx)", true);
}

function stripUndefined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}
