/**
 * diffusers' and transformers' building blocks as ops of the vision layer-graph engine (src/vision/builder.ts):
 * each function follows the module's forward at diffusers v0.35.1 (commit 0f252be0ed42006c125ef4429156cb13ae6c1d60)
 * / transformers 5.18.0, op by op where the op creates a tensor, so the engine's live-tensor sweep
 * (src/vision/analysis.ts) sees what PyTorch holds. Module names follow the checkpoints' (to_q, to_out.0,
 * transformer_blocks.3) so LoRA targets and group offloading can find them.
 *
 * Casts and ops the builder has no method for (RMSNorm's fp32 variance, rotary embeddings) are recorded as
 * labelled `approx` nodes with the shape and dtype the op produces.
 */
import type { GraphBuilder, T } from "../vision/builder.js";

export type { T };

/** What a graph is built for: inference, or a training step with LoRA and checkpointing. */
export interface BuildCtx {
  b: GraphBuilder;
  /** PEFT LoRA on nn.Linear modules whose name is in `targets` (to_q, to_k, to_v, to_out.0, ...). */
  lora?: { rank: number; targets: ReadonlySet<string> };
  /** Gradient checkpointing: the node ranges of each checkpointed module call are recorded here. */
  checkpoint?: Array<{ start: number; end: number; inputs: number[] }>;
}

/** nn.Linear named `name`, with a PEFT LoRA branch when targeted (peft/tuners/lora/layer.py Linear.forward). */
export function linear(c: BuildCtx, name: string, x: T, out: number, bias = true, opts: { contiguous?: boolean } = {}): T {
  const b = c.b;
  return b.scope(name, () => {
    if (!c.lora || !c.lora.targets.has(name)) return b.linear(x, out, bias, opts);
    const base = b.linear(x, out, bias, opts);
    const was = b.trainable;
    b.trainable = true;
    try {
      // result = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling (dropout 0: identity)
      const a = b.scope("lora_A", () => b.linear(x, c.lora!.rank, false));
      const up = b.scope("lora_B", () => b.linear(a, out, false));
      return b.add(base, b.scale(up));
    } finally {
      b.trainable = was;
    }
  });
}

/** A module call that gradient checkpointing wraps (diffusers `_gradient_checkpointing_func(block, ...)`). */
export function checkpointed<R>(c: BuildCtx, name: string, inputs: T[], f: () => R): R {
  const start = c.b.nodes.length;
  const r = c.b.block(name, inputs, f);
  if (c.checkpoint) c.checkpoint.push({ start, end: c.b.nodes.length - 1, inputs: inputs.map((t) => t.storage) });
  return r;
}

/** A tensor the pipeline hands in (prompt embeddings, timesteps): alive for the whole call. */
export function extraInput(b: GraphBuilder, shape: number[], dtype: T["dtype"], what: string): T {
  const t = b.approx(what, [], shape, dtype, "input given by the pipeline", false, false);
  const list = held.get(b) ?? [];
  list.push(t);
  held.set(b, list);
  return t;
}
const held = new WeakMap<GraphBuilder, T[]>();

/** Keep the extra inputs of `b` alive to the end of its graph (the caller holds them). */
export function holdInputs(b: GraphBuilder): void {
  for (const t of held.get(b) ?? []) b.holds.push([t.storage, b.nodes.length - 1]);
  held.delete(b);
}

/**
 * A Python local that is reassigned later: `t` stays referenced until the node just built (the reassignment
 * `norm_hidden_states = self.norm2(...)` frees the old value only once the new one exists).
 */
export function heldUntilNow(b: GraphBuilder, ...ts: T[]): void {
  for (const t of ts) b.holds.push([t.storage, b.nodes.length - 1]);
}

/** A dtype cast (`.float()`, `.to(dtype)`, `.type_as`): a new tensor unless the dtype is already right. */
export function cast(b: GraphBuilder, x: T, dtype: T["dtype"]): T {
  if (x.dtype === dtype) return x;
  return b.approx("cast", [x], x.shape, dtype, "dtype cast (.float() / .to(dtype))", false, true);
}

/** diffusers RMSNorm (normalization.py): fp32 variance, x·rsqrt in fp32, cast back, × weight. */
export function rmsNorm(c: BuildCtx, name: string, x: T, affine = true): T {
  const b = c.b;
  return b.scope(name, () => {
    const f = cast(b, x, "f32");
    const n = b.approx("rms_norm", [f], x.shape, "f32", "x * rsqrt(mean(x²) + eps) in fp32", true, true);
    const y = cast(b, n, x.dtype);
    if (!affine) return y;
    b.extraParams("rms_norm_weight", [[x.shape[x.shape.length - 1]]]);
    return b.approx("rms_norm_scale", [y], x.shape, x.dtype, "× weight", false, true);
  });
}

/** nn.LayerNorm named `name` (elementwise_affine as configured). */
export function layerNorm(c: BuildCtx, name: string, x: T, affine = true): T {
  return c.b.scope(name, () => c.b.layerNorm(x, affine));
}

/** torch.nn.GroupNorm (32 groups in every diffusers UNet/VAE here). */
export function groupNorm(c: BuildCtx, name: string, x: T, groups: number): T {
  return c.b.scope(name, () => c.b.groupNorm(x, groups));
}

export function conv(c: BuildCtx, name: string, x: T, out: number, k: number, s = 1, p?: number): T {
  return c.b.scope(name, () => c.b.conv(x, { out, k, s, p: p ?? Math.floor(k / 2), bias: true }));
}

/**
 * Attention as AttnProcessor2_0 / FluxAttnProcessor / JointAttnProcessor2_0 compute it: projections,
 * heads as a view, F.scaled_dot_product_attention (flash / memory-efficient kernels keep no S×S matrix)
 * or, with `eager`, the scores and probabilities (AttnProcessor: baddbmm + softmax + bmm), then the
 * heads merged back (transpose + reshape copies).
 */
export function sdpa(c: BuildCtx, q: T, k: T, v: T, heads: number, eager: boolean): T {
  const b = c.b;
  const [bs, sq, inner] = q.shape;
  const sk = k.shape[1];
  const d = inner / heads;
  const qh = b.view(q, [bs, heads, sq, d]);
  const kh = b.view(k, [bs, heads, sk, d]);
  const vh = b.view(v, [bs, heads, sk, d]);
  const o = eager ? b.eagerAttention(b.copy(qh), b.copy(kh), b.copy(vh)) : b.sdpa(qh, kh, vh);
  return b.copy(o, [bs, sq, inner], "transpose_reshape");
}

/** Rotary embedding on q or k (apply_rotary_emb, embeddings.py): x.float()·cos + rotate(x).float()·sin, cast back. */
export function rotary(c: BuildCtx, x: T): T {
  const b = c.b;
  // The function's argument and its local `x_rotated` live until it returns.
  return b.block("rope", x, () => {
    const rot = b.retain(b.approx("rotate_half", [x], x.shape, x.dtype, "stack([-x_imag, x_real]).flatten", false, true));
    const xf = cast(b, x, "f32");
    const a = b.approx("rope_mul_cos", [xf], x.shape, "f32", "x.float() * cos", true, true);
    const rf = cast(b, rot, "f32");
    const s = b.approx("rope_mul_sin", [rf], x.shape, "f32", "rotated.float() * sin", true, true);
    const sum = b.add(a, s);
    return cast(b, sum, x.dtype);
  });
}

/**
 * WanAttnProcessor's apply_rotary_emb (transformer_wan.py): out = empty_like(x); out[..., 0::2] = x1·cos − x2·sin;
 * out[..., 1::2] = x1·sin + x2·cos — in the model dtype, each half-size product and their sum live while
 * the slice is written.
 */
export function wanRotary(c: BuildCtx, x: T): T {
  const b = c.b;
  const half = [...x.shape.slice(0, -1), x.shape[x.shape.length - 1] / 2];
  return b.block("rope", x, () => {
    const out = b.approx("empty_like", [x], x.shape, x.dtype, "torch.empty_like(hidden_states)", false, true);
    for (const part of ["even", "odd"]) {
      const p1 = b.approx(`rope_${part}_a`, [x], half, x.dtype, "x1 * cos (or x1 * sin)", true, true);
      const p2 = b.approx(`rope_${part}_b`, [x], half, x.dtype, "x2 * sin (or x2 * cos)", true, true);
      b.approx(`rope_${part}_sum`, [p1, p2], half, x.dtype, "difference / sum written into out's slice", false, true);
      heldUntilNow(b, out);
    }
    return b.view(out, x.shape);
  });
}

/**
 * An activation computed as several eager ops (transformers' quick_gelu = x·sigmoid(1.702x); gelu_new's tanh
 * formula): `temps` intermediates of the input's size live together before the output is produced.
 */
export function composedAct(b: GraphBuilder, x: T, temps: number, what: string): T {
  const t: T[] = [];
  for (let i = 0; i < temps; i++) t.push(b.approx(`${what}_tmp`, [x], x.shape, x.dtype, `${what} intermediate`, false, true));
  const y = b.approx(what, [x, ...t], x.shape, x.dtype, `${what} (eager elementwise ops)`, true, true);
  return y;
}

/** FeedForward (attention.py): GELU / GELU(tanh) / GEGLU projection, dropout (identity), output Linear. */
export function feedForward(c: BuildCtx, name: string, x: T, inner: number, out: number, act: "gelu" | "geglu"): T {
  const b = c.b;
  // A module call: its input argument stays referenced until it returns.
  return b.block(name, x, () => {
    let h: T;
    if (act === "geglu") {
      // GEGLU: hidden, gate = proj(x).chunk(2); hidden * gelu(gate)
      const p = linear(c, "net.0.proj", x, inner * 2);
      const [hid, gate] = b.split(p, [inner, inner], -1);
      h = b.mul(hid, b.act(gate, "gelu"));
    } else {
      h = b.act(linear(c, "net.0.proj", x, inner), "gelu");
    }
    return linear(c, "net.2", h, out);
  });
}

/** out = x * (1 + scale) + shift with per-sample [B, 1, D] modulation (AdaLayerNormZero and friends). */
export function modulate(b: GraphBuilder, x: T, mod: T): T {
  return b.add(b.mul(x, mod), mod);
}

/** gate * y (broadcast [B, 1, D]) then the residual add. */
export function gatedResidual(b: GraphBuilder, x: T, y: T, gate: T): T {
  return b.add(x, b.mul(y, gate));
}

/** Sinusoidal timestep features (Timesteps / get_timestep_embedding): fp32 [B, dim] → model dtype. */
export function timesteps(c: BuildCtx, batch: number, dim: number, dtype: T["dtype"]): T {
  const t = extraInput(c.b, [batch], "f32", "timestep");
  const f = c.b.approx("timestep_proj", [t], [batch, dim], "f32", "sin/cos features", false, false);
  return cast(c.b, f, dtype);
}

/** TimestepEmbedding / PixArtAlphaTextProjection: linear_1, SiLU (or GELU-tanh), linear_2. */
export function mlpEmbedding(c: BuildCtx, name: string, x: T, dim: number, hiddenDim = dim): T {
  const b = c.b;
  return b.scope(name, () => linear(c, "linear_2", b.act(linear(c, "linear_1", x, hiddenDim), "silu"), dim));
}
