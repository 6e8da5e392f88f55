/**
 * The diffusion components as layer graphs, built from their real config.json files: text encoders (CLIP,
 * OpenCLIP bigG, T5 / UMT5 encoders), denoisers (UNet2DConditionModel, Flux, SD3/SD3.5 MMDiT, Wan 2.1) and
 * the VAEs (AutoencoderKL encoder/decoder; Wan's causal 3-D VAE as a labelled approximation).
 *
 * Each builder follows the module's forward in diffusers v0.35.1 (commit 0f252be0ed42006c125ef4429156cb13ae6c1d60):
 * models/unets/unet_2d_condition.py, unets/unet_2d_blocks.py, resnet.py, attention.py (BasicTransformerBlock,
 * JointTransformerBlock, FeedForward), attention_processor.py (AttnProcessor2_0), transformers/transformer_flux.py,
 * transformers/transformer_sd3.py, transformers/transformer_wan.py, autoencoders/vae.py (Encoder, Decoder),
 * upsampling.py / downsampling.py; and transformers 5.18.0 models/clip and models/t5 for the text encoders.
 * Parameter counts of every graph equal PyTorch's for the same config (bench/diffusion/params.json, checked
 * in architectures.spec.ts).
 */
import { VramfitError } from "../core/errors.js";
import type { GraphBuilder } from "../vision/builder.js";
import {
  type BuildCtx,
  type T,
  cast,
  checkpointed,
  composedAct,
  conv,
  extraInput,
  feedForward,
  gatedResidual,
  groupNorm,
  heldUntilNow,
  layerNorm,
  linear,
  mlpEmbedding,
  modulate,
  rmsNorm,
  rotary,
  sdpa,
  wanRotary,
  timesteps,
} from "./nn.js";

/** A component's config.json as read (values used as they are). */
export type Cfg = Record<string, any>;

const list = (v: number | number[] | null | undefined, n: number, fallback: number): number[] =>
  Array.isArray(v) ? v : new Array<number>(n).fill(v ?? fallback);

function need(cond: boolean, what: string): void {
  if (!cond) throw new VramfitError("invalid_option", what, { suggestion: "use an image size that is a multiple of 16 pixels", details: { key: "image" } });
}

// ---- text encoders ---------------------------------------------------------------------------------

/**
 * transformers CLIPTextModel(WithProjection): token + position embeddings, pre-LN encoder layers (q/k/v/out
 * with bias, SDPA with the causal mask, fc1 → quick_gelu → fc2), final LayerNorm, optional text_projection.
 */
export function clipText(c: BuildCtx, cfg: Cfg, batch: number, withProjection: boolean): T[] {
  const b = c.b;
  const h = cfg.hidden_size as number;
  const seq = cfg.max_position_embeddings as number;
  const ids = b.input([batch, seq]);
  let x = b.scope("text_model.embeddings", () => {
    const tok = b.scope("token_embedding", () => b.fusedOp("embedding", [ids], [batch, seq, h], [], [[cfg.vocab_size, h]]));
    const pos = b.scope("position_embedding", () => b.fusedOp("embedding", [ids], [1, seq, h], [], [[seq, h]]));
    return b.add(tok, pos);
  });
  const heads = cfg.num_attention_heads as number;
  // CLIPEncoder.forward: `hidden_states = inputs_embeds`, and the local `inputs_embeds` keeps the embeddings'
  // output alive through every layer (the peak is in layer 1, not 0).
  const embeds = x;
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    x = checkpointed(c, `text_model.encoder.layers.${i}`, [x], () => {
      const n = layerNorm(c, "layer_norm1", x);
      const a = b.block("self_attn", n, () => {
        const o = sdpa(c, linear(c, "q_proj", n, h), linear(c, "k_proj", n, h), linear(c, "v_proj", n, h), heads, false);
        return linear(c, "out_proj", o, h);
      });
      const r = b.add(x, a);
      const n2 = layerNorm(c, "layer_norm2", r);
      // quick_gelu = x * sigmoid(1.702 x): one intermediate beside input and output.
      const m = b.block("mlp", n2, () => linear(c, "fc2", composedAct(b, linear(c, "fc1", n2, cfg.intermediate_size), cfg.hidden_act === "quick_gelu" ? 1 : 0, cfg.hidden_act ?? "gelu"), h));
      return b.add(r, m);
    });
  }
  heldUntilNow(b, embeds);
  const last = layerNorm(c, "text_model.final_layer_norm", x);
  const pooled = b.copy(last, [batch, h], "pooled_gather");
  if (!withProjection) return [last, pooled];
  return [last, linear(c, "text_projection", pooled, cfg.projection_dim, false)];
}

/** T5LayerNorm (weight only): fp32 variance, x·rsqrt promoted to fp32, cast back, × weight. */
function t5Norm(c: BuildCtx, name: string, x: T): T {
  return rmsNorm(c, name, x, true);
}

/**
 * transformers T5EncoderModel / UMT5EncoderModel: shared embedding, per layer self-attention with the
 * relative position bias (layer 0 only for T5, every layer for UMT5) added to the scores, softmax in fp32,
 * gated-GELU feed-forward (wi_0, wi_1, wo; `wo` kept in fp32 when `woFp32`), final norm.
 */
export function t5Encoder(c: BuildCtx, cfg: Cfg, batch: number, seq: number, opts: { umt5: boolean; woFp32: boolean; eager: boolean }): T {
  const b = c.b;
  const d = cfg.d_model as number;
  const heads = cfg.num_heads as number;
  const inner = heads * (cfg.d_kv as number);
  const ids = b.input([batch, seq]);
  let x = b.scope("shared", () => b.fusedOp("embedding", [ids], [batch, seq, d], [], [[cfg.vocab_size, d]]));
  // T5Stack.forward: `hidden_states = self.dropout(inputs_embeds)` is the same tensor in eval, and the local
  // `inputs_embeds` holds it through every block.
  const embeds = x;
  let bias: T | null = null;
  for (let i = 0; i < cfg.num_layers; i++) {
    x = checkpointed(c, `encoder.block.${i}`, [x], () => {
      const n = t5Norm(c, "layer.0.layer_norm", x);
      const a = b.block("layer.0.SelfAttention", n, () => {
        const q = linear(c, "q", n, inner, false);
        const k = linear(c, "k", n, inner, false);
        const v = linear(c, "v", n, inner, false);
        if (i === 0 || opts.umt5) {
          b.scope("relative_attention_bias", () => b.extraParams("embedding", [[cfg.relative_attention_num_buckets, heads]]));
          bias = b.approx("position_bias", [], [batch, heads, seq, seq], x.dtype, "relative position bias + mask [B, heads, S, S]", false, false);
        }
        let o: T;
        if (opts.eager) {
          const qh = b.view(q, [batch, heads, seq, inner / heads]);
          const kh = b.view(k, [batch, heads, inner / heads, seq]);
          const scores = b.add(b.matmul(qh, kh), bias!, true);
          const p = cast(b, b.softmax(cast(b, scores, "f32")), x.dtype);
          o = b.copy(b.matmul(p, b.view(v, [batch, heads, seq, inner / heads])), [batch, seq, inner], "transpose_reshape");
        } else o = sdpa(c, q, k, v, heads, false);
        return linear(c, "o", o, d, false);
      });
      const r = b.add(x, a);
      const n2 = t5Norm(c, "layer.1.layer_norm", r);
      const f = b.block("layer.1.DenseReluDense", n2, () => {
        // gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as eager ops: two intermediates live together.
        const g = composedAct(b, linear(c, "wi_0", n2, cfg.d_ff, false), 2, "gelu_new");
        const l = linear(c, "wi_1", n2, cfg.d_ff, false);
        let hid = b.mul(g, l);
        if (opts.woFp32) hid = cast(b, hid, "f32");
        return cast(b, linear(c, "wo", hid, d, false), x.dtype);
      });
      return b.add(r, f);
    });
  }
  if (bias) b.holds.push([(bias as T).storage, b.nodes.length - 1]);
  heldUntilNow(b, embeds);
  return t5Norm(c, "encoder.final_layer_norm", x);
}

// ---- UNet2DConditionModel --------------------------------------------------------------------------

/** ResnetBlock2D (resnet.py): GN → SiLU → conv1 (+ time projection) → GN → SiLU → conv2, shortcut, / scale. */
export function resnet2d(c: BuildCtx, name: string, x: T, out: number, temb: T | null, groups: number): T {
  const b = c.b;
  return checkpointed(c, name, [x], () => {
    let h = b.act(groupNorm(c, "norm1", x, groups), "silu");
    h = conv(c, "conv1", h, out, 3);
    if (temb) {
      const t = linear(c, "time_emb_proj", b.act(temb, "silu"), out);
      h = b.add(h, b.view(t, [t.shape[0], out, 1, 1]));
    }
    h = b.act(groupNorm(c, "norm2", h, groups), "silu");
    h = conv(c, "conv2", h, out, 3);
    const sc = x.shape[1] !== out ? conv(c, "conv_shortcut", x, out, 1, 1, 0) : x;
    return b.scale(b.add(sc, h)); // (input + hidden) / output_scale_factor: a new tensor
  });
}

/** Attention of BasicTransformerBlock (to_q/k/v without bias, to_out.0 with bias) through AttnProcessor2_0. */
function attention(c: BuildCtx, name: string, x: T, ctx: T, heads: number, eager: boolean): T {
  const b = c.b;
  const inner = x.shape[2];
  return b.block(name, x, () => {
    const o = sdpa(c, linear(c, "to_q", x, inner, false), linear(c, "to_k", ctx, inner, false), linear(c, "to_v", ctx, inner, false), heads, eager);
    // hidden_states / attn.rescale_output_factor: a new tensor even for 1.0
    return b.scale(linear(c, "to_out.0", o, inner));
  });
}

/**
 * Transformer2DModel (continuous input): GroupNorm, proj_in (Linear or 1×1 conv), BasicTransformerBlocks
 * (LN → self-attn → +, LN → cross-attn → +, LN → GEGLU FF → +), proj_out, + residual.
 */
function transformer2d(c: BuildCtx, name: string, x: T, ctx: T, heads: number, layers: number, linearProj: boolean, eager: boolean): T {
  const b = c.b;
  const [n, ch, hh, ww] = x.shape;
  return b.block(name, x, () => {
    // permute(0, 2, 3, 1).reshape(batch, H·W, C) of an NCHW map is a (transposed) view: H and W merge. With
    // use_linear_projection, proj_in then sees a non-contiguous input (copy, mm, bias added out of place).
    let h = groupNorm(c, "norm", x, 32);
    if (linearProj) h = linear(c, "proj_in", b.view(h, [n, hh * ww, ch]), ch, true, { contiguous: false });
    else h = b.view(conv(c, "proj_in", h, ch, 1, 1, 0), [n, hh * ww, ch]);
    for (let i = 0; i < layers; i++) {
      const hin = h;
      h = checkpointed(c, `transformer_blocks.${i}`, [hin], () => {
        // Python locals keep `attn_output` (attn2's) and `norm_hidden_states` (norm3's) alive to the block's end.
        const n1 = layerNorm(c, "norm1", hin);
        let y = b.add(attention(c, "attn1", n1, n1, heads, eager), hin);
        const n2 = layerNorm(c, "norm2", y);
        const a2 = b.retain(attention(c, "attn2", n2, ctx, heads, eager));
        y = b.add(a2, y);
        const n3 = b.retain(layerNorm(c, "norm3", y));
        return b.add(feedForward(c, "ff", n3, ch * 4, ch, "geglu"), y);
      });
    }
    let o: T;
    if (linearProj) o = b.copy(linear(c, "proj_out", h, ch), [n, ch, hh, ww], "reshape_permute");
    else o = conv(c, "proj_out", b.copy(h, [n, ch, hh, ww], "reshape_permute"), ch, 1, 1, 0);
    return b.add(o, x);
  });
}

export interface UNetIO {
  batch: number;
  /** Latent height and width. */
  h: number;
  w: number;
  ctxLen: number;
  eager: boolean;
}

/** UNet2DConditionModel.forward (SD 1.x/2.x, SDXL): time (and SDXL's text_time) embedding, down, mid, up, out. */
export function unet2dCondition(c: BuildCtx, cfg: Cfg, io: UNetIO): T {
  const b = c.b;
  const blocks = cfg.block_out_channels as number[];
  const nb = blocks.length;
  const dtype = b.paramElem;
  const heads = list(cfg.num_attention_heads ?? cfg.attention_head_dim, nb, 8);
  const tLayers = list(cfg.transformer_layers_per_block, nb, 1);
  const lpb = list(cfg.layers_per_block, nb, 2);
  const groups = cfg.norm_num_groups ?? 32;
  const linearProj = Boolean(cfg.use_linear_projection);
  const tembDim = 4 * blocks[0];
  const x = b.input([io.batch, cfg.in_channels, io.h, io.w]);
  const ctx = extraInput(b, [io.batch, io.ctxLen, cfg.cross_attention_dim], dtype, "encoder_hidden_states");

  // UNet2DConditionModel.forward's locals `t_emb` and `aug_emb` live to its end.
  const tEmb = timesteps(c, io.batch, blocks[0], dtype);
  const locals: T[] = [tEmb];
  let emb = mlpEmbedding(c, "time_embedding", tEmb, tembDim);
  if (cfg.addition_embed_type === "text_time") {
    const text = extraInput(b, [io.batch, cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim], dtype, "text_embeds");
    const ids = extraInput(b, [io.batch * 6], "f32", "time_ids");
    const tproj = cast(b, b.approx("add_time_proj", [ids], [io.batch, 6 * cfg.addition_time_embed_dim], "f32", "sin/cos features", false, false), dtype);
    const add = mlpEmbedding(c, "add_embedding", b.cat([text, tproj], -1), tembDim);
    locals.push(add);
    emb = b.add(emb, add);
  } else if (cfg.addition_embed_type) throw new VramfitError("unsupported", `UNet addition_embed_type '${cfg.addition_embed_type}' is not modelled`);

  let h = conv(c, "conv_in", x, blocks[0], cfg.conv_in_kernel ?? 3);
  const res: T[] = [h];
  const hasAttn = (t: string) => t.startsWith("CrossAttn");
  // Each block's input stays referenced by the caller's `sample` until the block returns.
  (cfg.down_block_types as string[]).forEach((type, i) => {
    b.block(`down_blocks.${i}`, h, () => {
      for (let j = 0; j < lpb[i]; j++) {
        h = resnet2d(c, `resnets.${j}`, h, blocks[i], emb, groups);
        if (hasAttn(type)) h = transformer2d(c, `attentions.${j}`, h, ctx, heads[i], list(tLayers[i], lpb[i], 1)[j], linearProj, io.eager);
        res.push(h);
      }
      if (i < nb - 1) {
        h = conv(c, "downsamplers.0.conv", h, blocks[i], 3, 2, cfg.downsample_padding ?? 1);
        res.push(h);
      }
    });
  });
  b.block("mid_block", h, () => {
    h = resnet2d(c, "resnets.0", h, blocks[nb - 1], emb, groups);
    h = transformer2d(c, "attentions.0", h, ctx, heads[nb - 1], tLayers[nb - 1], linearProj, io.eager);
    h = resnet2d(c, "resnets.1", h, blocks[nb - 1], emb, groups);
  });
  const rev = [...blocks].reverse();
  const revHeads = [...heads].reverse();
  const revT = [...tLayers].reverse();
  const revL = [...lpb].reverse();
  // `res_samples = down_block_res_samples[-len(upsample_block.resnets):]` holds an up block's skips for the
  // whole block call, and the last block's to the end of forward (it is never reassigned after the loop).
  let skips: T[] = [];
  (cfg.up_block_types as string[]).forEach((type, i) => {
    const layers = revL[i] + 1;
    skips = res.splice(res.length - layers, layers);
    b.block(`up_blocks.${i}`, [h, ...skips], () => {
      const outCh = rev[i];
      for (let j = 0; j < layers; j++) {
        const skip = skips[layers - 1 - j];
        h = resnet2d(c, `resnets.${j}`, b.cat([h, skip], 1), outCh, emb, groups);
        if (hasAttn(type)) h = transformer2d(c, `attentions.${j}`, h, ctx, revHeads[i], revT[i], linearProj, io.eager);
      }
      // Upsample2D to the next skip's size (forward_upsample_size when the latent is not divisible by 2**num_upsamplers).
      if (i < nb - 1) h = conv(c, "upsamplers.0.conv", b.upsample(h, [res[res.length - 1].shape[2], res[res.length - 1].shape[3]]), outCh, 3);
    });
  });
  h = b.act(groupNorm(c, "conv_norm_out", h, groups), "silu");
  const out = conv(c, "conv_out", h, cfg.out_channels, cfg.conv_out_kernel ?? 3);
  heldUntilNow(b, ...skips, ...locals);
  return out;
}

// ---- AutoencoderKL ---------------------------------------------------------------------------------

/** The VAE's mid-block Attention: GN, to_q/k/v/to_out with bias on the transposed map, one head, + residual. */
function vaeAttention(c: BuildCtx, x: T, groups: number, eager: boolean): T {
  const b = c.b;
  const [n, ch, hh, ww] = x.shape;
  return b.block("attentions.0", x, () => {
    const g = b.view(groupNorm(c, "group_norm", b.view(x, [n, ch, hh * ww]), groups), [n, hh * ww, ch]);
    const o = sdpa(c, linear(c, "to_q", g, ch, true, { contiguous: false }), linear(c, "to_k", g, ch, true, { contiguous: false }), linear(c, "to_v", g, ch, true, { contiguous: false }), 1, eager);
    const p = b.copy(linear(c, "to_out.0", o, ch), [n, ch, hh, ww], "transpose_reshape");
    return b.scale(b.add(p, x));
  });
}

function vaeMid(c: BuildCtx, h: T, ch: number, groups: number, eager: boolean, attn: boolean): T {
  return c.b.scope("mid_block", () => {
    h = resnet2d(c, "resnets.0", h, ch, null, groups);
    if (attn) h = vaeAttention(c, h, groups, eager);
    return resnet2d(c, "resnets.1", h, ch, null, groups);
  });
}

/**
 * AutoencoderKL.decode → Decoder.forward: post_quant_conv, conv_in, mid block, up blocks (layers_per_block+1
 * resnets, nearest ×2 upsample + conv), GN → SiLU → conv_out. `stage` builds one part: SDXL's upcast_vae
 * keeps post_quant_conv, conv_in and the mid block in fp16 and runs the up blocks in fp32.
 */
export function vaeDecoder(c: BuildCtx, cfg: Cfg, batch: number, h: number, w: number, opts: { eager: boolean; stage?: "mid" | "up"; channels?: number[] }): T {
  const b = c.b;
  const blocks = opts.channels ?? (cfg.block_out_channels as number[]);
  const groups = cfg.norm_num_groups ?? 32;
  const top = blocks[blocks.length - 1];
  if (opts.stage === "up") return vaeUp(c, cfg, b.input([batch, top, h, w]), blocks, groups);
  let x = b.input([batch, cfg.latent_channels, h, w]);
  if (cfg.use_post_quant_conv !== false) x = conv(c, "post_quant_conv", x, cfg.latent_channels, 1, 1, 0);
  // AutoencoderKL._decode: `z = self.post_quant_conv(z); dec = self.decoder(z)` — the local z lives through the decoder.
  return b.block("decoder", x, () => {
    let y = conv(c, "conv_in", x, top, 3);
    y = vaeMid(c, y, top, groups, opts.eager, cfg.mid_block_add_attention !== false);
    if (opts.stage === "mid") return y;
    return vaeUp(c, cfg, y, blocks, groups, true);
  });
}

function vaeUp(c: BuildCtx, cfg: Cfg, y: T, blocks: number[], groups: number, scoped = false): T {
  const b = c.b;
  const f = () => {
    const rev = [...blocks].reverse();
    const layers = (cfg.layers_per_block ?? 2) + 1;
    rev.forEach((outCh, i) => {
      b.scope(`up_blocks.${i}`, () => {
        for (let j = 0; j < layers; j++) y = resnet2d(c, `resnets.${j}`, y, outCh, null, groups);
        if (i < rev.length - 1) y = conv(c, "upsamplers.0.conv", b.upsample(y, 2), outCh, 3);
      });
    });
    y = b.act(groupNorm(c, "conv_norm_out", y, groups), "silu");
    return conv(c, "conv_out", y, cfg.out_channels ?? 3, 3);
  };
  return scoped ? f() : b.scope("decoder", f);
}

/** Encoder.forward (+ quant_conv): conv_in, down blocks (resnets, pad + stride-2 conv), mid, GN → SiLU → conv_out (2×latent). */
export function vaeEncoder(c: BuildCtx, cfg: Cfg, batch: number, height: number, width: number, eager: boolean): T {
  const b = c.b;
  const blocks = cfg.block_out_channels as number[];
  const groups = cfg.norm_num_groups ?? 32;
  need(height % 2 ** (blocks.length - 1) === 0 && width % 2 ** (blocks.length - 1) === 0, `the VAE needs an image side divisible by ${2 ** (blocks.length - 1)}`);
  const x = b.input([batch, cfg.in_channels ?? 3, height, width]);
  const z = b.scope("encoder", () => {
    let h = conv(c, "conv_in", x, blocks[0], 3);
    blocks.forEach((outCh, i) => {
      b.scope(`down_blocks.${i}`, () => {
        for (let j = 0; j < (cfg.layers_per_block ?? 2); j++) h = resnet2d(c, `resnets.${j}`, h, outCh, null, groups);
        if (i < blocks.length - 1) {
          const [n, ch, hh, ww] = h.shape;
          const padded = b.copy(h, [n, ch, hh + 1, ww + 1], "pad");
          h = conv(c, "downsamplers.0.conv", padded, outCh, 3, 2, 0);
        }
      });
    });
    h = vaeMid(c, h, blocks[blocks.length - 1], groups, eager, cfg.mid_block_add_attention !== false);
    h = b.act(groupNorm(c, "conv_norm_out", h, groups), "silu");
    return conv(c, "conv_out", h, 2 * cfg.latent_channels, 3);
  });
  return cfg.use_quant_conv !== false ? conv(c, "quant_conv", z, 2 * cfg.latent_channels, 1, 1, 0) : z;
}

// ---- DiT denoisers -----------------------------------------------------------------------------------

/** [B, D] conditioning → linear(silu(emb)) → [B, 1, k·D] modulation chunks (views). */
function adaLN(c: BuildCtx, name: string, temb: T, dim: number, chunks: number): T {
  const b = c.b;
  return b.scope(name, () => {
    const e = linear(c, "linear", b.act(temb, "silu"), chunks * dim);
    return b.view(e, [e.shape[0], 1, chunks * dim]);
  });
}

/** A [B, 1, D] chunk of a modulation tensor (a view). */
function chunk(b: GraphBuilder, mod: T, dim: number): T {
  return b.view(mod, [mod.shape[0], 1, dim]);
}

/** Multi-head projections reshaped to [B, S, heads, d], with per-head RMSNorm when the model has qk_norm. */
function qkv(c: BuildCtx, x: T, names: [string, string, string], inner: number, heads: number, norm: [string, string] | null, bias = true): [T, T, T] {
  const b = c.b;
  const [bs, s] = x.shape;
  const d = inner / heads;
  let q = b.view(linear(c, names[0], x, inner, bias), [bs, s, heads, d]);
  let k = b.view(linear(c, names[1], x, inner, bias), [bs, s, heads, d]);
  const v = b.view(linear(c, names[2], x, inner, bias), [bs, s, heads, d]);
  if (norm) {
    q = rmsNorm(c, norm[0], q);
    k = rmsNorm(c, norm[1], k);
  }
  return [q, k, v];
}

/** SDPA over [B, S, heads, d] tensors (dispatch_attention_fn, native backend) → [B, S, heads·d] (flatten copies). */
function attend(c: BuildCtx, q: T, k: T, v: T, eager: boolean): T {
  const b = c.b;
  const [bs, s, heads, d] = q.shape;
  const sk = k.shape[1];
  const qh = b.view(q, [bs, heads, s, d]);
  const kh = b.view(k, [bs, heads, sk, d]);
  const vh = b.view(v, [bs, heads, sk, d]);
  const o = eager ? b.eagerAttention(b.copy(qh), b.copy(kh), b.copy(vh)) : b.sdpa(qh, kh, vh);
  return b.copy(o, [bs, s, heads * d], "flatten");
}

export interface DitIO {
  batch: number;
  /** Latent height and width (before patching). */
  h: number;
  w: number;
  /** Latent frames (video models). */
  frames?: number;
  txtLen: number;
  eager: boolean;
}

/** FluxTransformer2DModel.forward: 2×2-packed latents, double-stream then single-stream blocks, AdaLN out. */
export function fluxTransformer(c: BuildCtx, cfg: Cfg, io: DitIO): T {
  const b = c.b;
  const heads = cfg.num_attention_heads as number;
  const dim = heads * (cfg.attention_head_dim as number);
  need(io.h % 2 === 0 && io.w % 2 === 0, "Flux packs 2×2 latent patches: the image side must be a multiple of 16");
  const s = (io.h / 2) * (io.w / 2);
  const t = io.txtLen;
  const dtype = b.paramElem;
  const x0 = b.input([io.batch, s, cfg.in_channels]);
  const ctx0 = extraInput(b, [io.batch, t, cfg.joint_attention_dim], dtype, "encoder_hidden_states");
  const pooled = extraInput(b, [io.batch, cfg.pooled_projection_dim], dtype, "pooled_projections");
  let x = linear(c, "x_embedder", x0, dim);
  const temb = b.scope("time_text_embed", () => {
    let e = mlpEmbedding(c, "timestep_embedder", timesteps(c, io.batch, 256, dtype), dim);
    if (cfg.guidance_embeds) e = b.add(e, mlpEmbedding(c, "guidance_embedder", timesteps(c, io.batch, 256, dtype), dim));
    return b.add(e, mlpEmbedding(c, "text_embedder", pooled, dim));
  });
  let ctx = linear(c, "context_embedder", ctx0, dim);
  // txt_ids / img_ids as the pipeline passes them (model dtype), and forward's local `ids = torch.cat(...)`.
  const ids = b.cat([extraInput(b, [t, 3], dtype, "txt_ids"), extraInput(b, [s, 3], dtype, "img_ids")], 0);
  extraInput(b, [s + t, cfg.attention_head_dim], "f32", "rotary cos");
  extraInput(b, [s + t, cfg.attention_head_dim], "f32", "rotary sin");
  for (let i = 0; i < cfg.num_layers; i++) {
    [ctx, x] = checkpointed(c, `transformer_blocks.${i}`, [x, ctx], () => {
      const mod = adaLN(c, "norm1", temb, dim, 6);
      const cmod = adaLN(c, "norm1_context", temb, dim, 6);
      // `norm_hidden_states` locals live on after the attention call (until reassigned near the block's end).
      const nx = b.retain(modulate(b, layerNorm(c, "norm1.norm", x, false), chunk(b, mod, dim)));
      const nc = b.retain(modulate(b, layerNorm(c, "norm1_context.norm", ctx, false), chunk(b, cmod, dim)));
      const [ao, co] = b.block("attn", [nx, nc], () => {
        const [q, k, v] = qkv(c, nx, ["to_q", "to_k", "to_v"], dim, heads, ["norm_q", "norm_k"]);
        const [eq, ek, ev] = qkv(c, nc, ["add_q_proj", "add_k_proj", "add_v_proj"], dim, heads, ["norm_added_q", "norm_added_k"]);
        const qa = rotary(c, b.cat([eq, q], 1));
        const ka = rotary(c, b.cat([ek, k], 1));
        const o = attend(c, qa, ka, b.cat([ev, v], 1), io.eager);
        const [oc, ox] = b.split(o, [t, s], 1);
        return [linear(c, "to_out.0", ox, dim), linear(c, "to_add_out", oc, dim)];
      });
      let hx = gatedResidual(b, x, ao, chunk(b, mod, dim));
      const f = feedForward(c, "ff", modulate(b, layerNorm(c, "norm2", hx, false), chunk(b, mod, dim)), 4 * dim, dim, "gelu");
      hx = gatedResidual(b, hx, f, chunk(b, mod, dim));
      let hc = gatedResidual(b, ctx, co, chunk(b, cmod, dim));
      const fc = feedForward(c, "ff_context", modulate(b, layerNorm(c, "norm2_context", hc, false), chunk(b, cmod, dim)), 4 * dim, dim, "gelu");
      hc = gatedResidual(b, hc, fc, chunk(b, cmod, dim));
      return [hc, hx];
    });
  }
  for (let i = 0; i < cfg.num_single_layers; i++) {
    [ctx, x] = checkpointed(c, `single_transformer_blocks.${i}`, [x, ctx], () => {
      const hcat = b.cat([ctx, x], 1);
      const mod = adaLN(c, "norm", temb, dim, 3);
      const n = b.retain(modulate(b, layerNorm(c, "norm.norm", hcat, false), chunk(b, mod, dim)));
      const mlp = b.act(linear(c, "proj_mlp", n, 4 * dim), "gelu");
      const a = b.block("attn", n, () => {
        const [q, k, v] = qkv(c, n, ["to_q", "to_k", "to_v"], dim, heads, ["norm_q", "norm_k"]);
        return attend(c, rotary(c, q), rotary(c, k), v, io.eager);
      });
      const y = gatedResidual(b, hcat, linear(c, "proj_out", b.cat([a, mlp], 2), dim), chunk(b, mod, dim));
      const [oc, ox] = b.split(y, [t, s], 1);
      return [oc, ox];
    });
  }
  const mod = adaLN(c, "norm_out", temb, dim, 2);
  x = modulate(b, layerNorm(c, "norm_out.norm", x, false), chunk(b, mod, dim));
  const out = linear(c, "proj_out", x, cfg.in_channels * (cfg.patch_size ?? 1) ** 2);
  heldUntilNow(b, ids);
  return out;
}

/** SD3Transformer2DModel.forward: PatchEmbed (+ cropped pos_embed), JointTransformerBlocks (MMDiT; SD3.5 dual attention), AdaLN out. */
export function sd3Transformer(c: BuildCtx, cfg: Cfg, io: DitIO): T {
  const b = c.b;
  const heads = cfg.num_attention_heads as number;
  const dim = heads * (cfg.attention_head_dim as number);
  const p = cfg.patch_size as number;
  need(io.h % p === 0 && io.w % p === 0, `SD3 patches the latent by ${p}: the image side must be a multiple of ${8 * p}`);
  const maxPos = cfg.pos_embed_max_size as number | undefined;
  // PatchEmbed.cropped_pos_embed raises beyond pos_embed_max_size (embeddings.py): the model does not run there.
  if (maxPos != null && (io.h / p > maxPos || io.w / p > maxPos))
    throw new VramfitError("does_not_run", `SD3's position embedding covers at most ${maxPos}×${maxPos} patches (${maxPos * p * 8} px per side)`, { suggestion: `use an image of at most ${maxPos * p * 8} px per side`, details: { key: "image" } });
  const s = (io.h / p) * (io.w / p);
  const t = io.txtLen;
  const dtype = b.paramElem;
  const qkNorm = cfg.qk_norm === "rms_norm";
  const dual = new Set<number>(cfg.dual_attention_layers ?? []);
  const lat = b.input([io.batch, cfg.in_channels, io.h, io.w]);
  const ctx0 = extraInput(b, [io.batch, t, cfg.joint_attention_dim], dtype, "encoder_hidden_states");
  const pooled = extraInput(b, [io.batch, cfg.pooled_projection_dim], dtype, "pooled_projections");
  let x = b.scope("pos_embed", () => {
    const pr = b.scope("proj", () => b.conv(lat, { out: dim, k: p, s: p, p: 0, bias: true }));
    return b.add(b.view(pr, [io.batch, s, dim]), b.view(pr, [1, s, dim]));
  });
  const temb = b.scope("time_text_embed", () => b.add(mlpEmbedding(c, "timestep_embedder", timesteps(c, io.batch, 256, dtype), dim), mlpEmbedding(c, "text_embedder", pooled, dim)));
  let ctx: T | null = linear(c, "context_embedder", ctx0, cfg.caption_projection_dim);
  for (let i = 0; i < cfg.num_layers; i++) {
    const last = i === cfg.num_layers - 1;
    const isDual = dual.has(i);
    const inputs: T[] = ctx ? [x, ctx] : [x];
    // JointTransformerBlock.forward (attention.py) local by local: `norm_hidden_states2` (SD3.5 dual
    // attention), the gated `attn_output`/`attn_output2`, and the last block's `norm_encoder_hidden_states`
    // and `context_attn_output` (a view of the whole attention output) live to the block's end; locals that
    // are reassigned (`norm_hidden_states`, `norm_encoder_hidden_states`) die when the new value exists.
    [ctx, x] = checkpointed(c, `transformer_blocks.${i}`, inputs, () => {
      const c0 = ctx!;
      const mod = adaLN(c, "norm1", temb, dim, isDual ? 9 : 6);
      const cmod = adaLN(c, "norm1_context", temb, dim, last ? 2 : 6);
      let nx: T;
      let n2: T | null = null;
      b.scope("norm1", () => {
        const nrm = layerNorm(c, "norm", x, false);
        nx = modulate(b, nrm, chunk(b, mod, dim));
        // SD35AdaLayerNormZeroX: norm_hidden_states2 from the same normalized input, computed up front.
        if (isDual) n2 = b.retain(modulate(b, nrm, chunk(b, mod, dim)));
      });
      let nc = modulate(b, layerNorm(c, "norm1_context.norm", c0, false), chunk(b, cmod, dim));
      if (last) b.retain(nc);
      // The attention output is split along the sequence: for batch > 1 each part is a strided view, so the
      // projections after it take nn.Linear's non-contiguous path (copy, mm, bias added out of place).
      const contiguous = io.batch === 1;
      const [ao, co] = b.block("attn", [nx!, nc], () => {
        const [q, k, v] = qkv(c, nx!, ["to_q", "to_k", "to_v"], dim, heads, qkNorm ? ["norm_q", "norm_k"] : null);
        const [eq, ek, ev] = qkv(c, nc, ["add_q_proj", "add_k_proj", "add_v_proj"], dim, heads, qkNorm ? ["norm_added_q", "norm_added_k"] : null);
        const o = attend(c, b.cat([q, eq], 1), b.cat([k, ek], 1), b.cat([v, ev], 1), io.eager);
        const [ox, oc] = b.split(o, [s, t], 1);
        return [linear(c, "to_out.0", ox, dim, true, { contiguous }), last ? oc : linear(c, "to_add_out", oc, dim, true, { contiguous })];
      });
      let hx = b.add(x, b.retain(b.mul(ao, chunk(b, mod, dim))));
      if (isDual) {
        const a2 = b.block("attn2", n2!, () => {
          const [q, k, v] = qkv(c, n2!, ["to_q", "to_k", "to_v"], dim, heads, qkNorm ? ["norm_q", "norm_k"] : null);
          return linear(c, "to_out.0", attend(c, q, k, v, io.eager), dim);
        });
        hx = b.add(hx, b.retain(b.mul(a2, chunk(b, mod, dim))));
      }
      const nh = modulate(b, layerNorm(c, "norm2", hx, false), chunk(b, mod, dim));
      heldUntilNow(b, nx!);
      b.retain(nh);
      const f = feedForward(c, "ff", nh, 4 * dim, dim, "gelu");
      hx = b.add(hx, b.retain(b.mul(f, chunk(b, mod, dim))));
      if (last) {
        b.retain(co);
        return [null, hx] as [T | null, T];
      }
      let hc = b.add(c0, b.retain(b.mul(co!, chunk(b, cmod, dim))));
      const nc2 = modulate(b, layerNorm(c, "norm2_context", hc, false), chunk(b, cmod, dim));
      heldUntilNow(b, nc);
      nc = b.retain(nc2);
      const fc = b.retain(feedForward(c, "ff_context", nc, 4 * dim, dim, "gelu"));
      hc = b.add(hc, b.mul(fc, chunk(b, cmod, dim)));
      return [hc, hx] as [T | null, T];
    });
  }
  const mod = adaLN(c, "norm_out", temb, dim, 2);
  x = modulate(b, layerNorm(c, "norm_out.norm", x, false), chunk(b, mod, dim));
  const o = linear(c, "proj_out", x, p * p * cfg.out_channels);
  return b.copy(o, [io.batch, cfg.out_channels, io.h, io.w], "unpatchify");
}

/**
 * WanTransformer3DModel.forward (text-to-video): Conv3d (1,2,2) patches, time/text conditioning, blocks with
 * fp32 LayerNorms and residuals (self-attention with RMSNorm across heads and rotary, cross-attention to
 * the UMT5 text, GELU-tanh FF), fp32 output norm, unpatchify.
 */
export function wanTransformer(c: BuildCtx, cfg: Cfg, io: DitIO): T {
  const b = c.b;
  const heads = cfg.num_attention_heads as number;
  const dim = heads * (cfg.attention_head_dim as number);
  const [pt, ph, pw] = cfg.patch_size as number[];
  const f = io.frames ?? 1;
  need(io.h % ph === 0 && io.w % pw === 0 && f % pt === 0, "Wan patches the latent 2×2: the frame side must be a multiple of 16");
  const s = (f / pt) * (io.h / ph) * (io.w / pw);
  const dtype = b.paramElem;
  const lat = b.input([io.batch, cfg.in_channels, f, io.h, io.w]);
  const ctx0 = extraInput(b, [io.batch, io.txtLen, cfg.text_dim], dtype, "encoder_hidden_states");
  // WanRotaryPosEmbed: non-persistent freqs_cos/freqs_sin buffers, cast with the model (.to(dtype)); forward
  // concatenates the per-axis slices into [1, S, 1, head_dim] in the model dtype.
  extraInput(b, [1, s, 1, cfg.attention_head_dim], dtype, "rotary cos");
  extraInput(b, [1, s, 1, cfg.attention_head_dim], dtype, "rotary sin");
  let x = b.scope("patch_embedding", () => {
    b.extraParams("conv3d", [[dim, cfg.in_channels, pt, ph, pw], [dim]]);
    return b.approx("conv3d", [lat], [io.batch, s, dim], dtype, "Conv3d patch embedding, flattened", false, true);
  });
  const [temb, tproj] = b.scope("condition_embedder", () => {
    const e = mlpEmbedding(c, "time_embedder", timesteps(c, io.batch, cfg.freq_dim ?? 256, dtype), dim);
    const pr = linear(c, "time_proj", b.act(e, "silu"), 6 * dim);
    return [e, pr];
  });
  const ctx = b.scope("condition_embedder", () => mlpEmbedding(c, "text_embedder", ctx0, dim));
  const modOf = (m: T) => b.approx("modulation", [m], [io.batch, 6, dim], "f32", "scale_shift_table + temb.float()", false, true);
  for (let i = 0; i < cfg.num_layers; i++) {
    x = checkpointed(c, `blocks.${i}`, [x], () => {
      b.extraParams("scale_shift_table", [[1, 6, dim]]);
      const mod = chunk(b, modOf(tproj), dim);
      const n1 = cast(b, modulate(b, layerNorm(c, "norm1", cast(b, x, "f32"), false), mod), dtype);
      const a1 = b.block("attn1", n1, () => {
        const q = rmsNorm(c, "norm_q", linear(c, "to_q", n1, dim));
        const k = rmsNorm(c, "norm_k", linear(c, "to_k", n1, dim));
        const v = linear(c, "to_v", n1, dim);
        const sh = [io.batch, s, heads, dim / heads];
        const o = attend(c, wanRotary(c, b.view(q, sh)), wanRotary(c, b.view(k, sh)), b.view(v, sh), io.eager);
        return linear(c, "to_out.0", o, dim);
      });
      let h = cast(b, b.add(cast(b, x, "f32"), b.mul(a1, mod)), dtype);
      const n2 = cast(b, layerNorm(c, "norm2", cast(b, h, "f32"), cfg.cross_attn_norm !== false), dtype);
      const a2 = b.block("attn2", n2, () => {
        const q = rmsNorm(c, "norm_q", linear(c, "to_q", n2, dim));
        const k = rmsNorm(c, "norm_k", linear(c, "to_k", ctx, dim));
        const v = linear(c, "to_v", ctx, dim);
        const o = attend(c, b.view(q, [io.batch, s, heads, dim / heads]), b.view(k, [io.batch, io.txtLen, heads, dim / heads]), b.view(v, [io.batch, io.txtLen, heads, dim / heads]), io.eager);
        return linear(c, "to_out.0", o, dim);
      });
      h = b.add(h, a2);
      b.retain(a2);
      const n3 = b.retain(cast(b, modulate(b, layerNorm(c, "norm3", cast(b, h, "f32"), false), mod), dtype));
      const ff = feedForward(c, "ffn", n3, cfg.ffn_dim, dim, "gelu");
      return cast(b, b.add(cast(b, h, "f32"), b.mul(cast(b, ff, "f32"), mod)), dtype);
    });
  }
  b.extraParams("scale_shift_table", [[1, 2, dim]]);
  const n = cast(b, modulate(b, layerNorm(c, "norm_out", cast(b, x, "f32"), false), b.view(temb, [io.batch, 1, dim])), dtype);
  const o = linear(c, "proj_out", n, cfg.out_channels * pt * ph * pw);
  return b.copy(o, [io.batch, cfg.out_channels, f, io.h, io.w], "unpatchify");
}

/**
 * Wan 2.1's causal 3-D VAE decoder (AutoencoderKLWan, class defaults: base_dim 96, dim_mult [1, 2, 4, 4]),
 * approximated: diffusers decodes one latent frame per call with a cache of the last 2 frames per causal
 * convolution (autoencoder_kl_wan.py `_decode`), so one call's maps are those of a 2-D decoder of the same
 * widths over 4 output frames plus the 2 cached ones. Labelled as an approximation in the estimate.
 */
export function wanVaeDecodeChunk(c: BuildCtx, batch: number, h: number, w: number): T {
  const cfg: Cfg = { latent_channels: 16, layers_per_block: 2, norm_num_groups: 32, out_channels: 3, use_post_quant_conv: true, mid_block_add_attention: true };
  return vaeDecoder(c, cfg, batch * 6, h, w, { eager: false, channels: [96, 192, 384, 384] });
}
