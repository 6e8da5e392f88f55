/**
 * torchvision VisionTransformer (torchvision/models/vision_transformer.py, v0.14): patchify conv,
 * class token, learned position embedding, pre-norm encoder blocks with nn.MultiheadAttention
 * (batch_first, need_weights=False) and MLP (Linear → GELU → Linear), final LayerNorm, head on the class
 * token. Attention follows torch.nn.functional.multi_head_attention_forward:
 * - "eager" (torch < 2.0, and the math path): packed in-projection on a transposed (non-contiguous)
 *   input, `.contiguous()` copy of q/k/v, q / sqrt(d), bmm, softmax, bmm, transpose-copy, out-proj;
 * - "sdpa" (torch ≥ 2.0 training): the same projections around one fused scaled_dot_product_attention
 *   that saves q, k, v, its output and the log-sum-exp instead of the S×S probabilities.
 * Inference without grad takes the fused native MHA fast path in both: one op whose q/k/v and
 * attention scores exist only while it runs (modelled as transients of that op).
 */
import { VramfitError } from "../../core/errors.js";
import type { GraphBuilder, T } from "../builder.js";
import type { BuildContext, BuildFn } from "./types.js";

export interface VitSpec {
  patch: number;
  hidden: number;
  layers: number;
  heads: number;
  mlp: number;
}

export const VITS: Record<string, VitSpec> = {
  vit_b_16: { patch: 16, hidden: 768, layers: 12, heads: 12, mlp: 3072 },
  vit_l_16: { patch: 16, hidden: 1024, layers: 24, heads: 16, mlp: 4096 },
};

/** Multi-head self-attention on x [N, S, h] (batch_first), returning [N, S, h]. */
export function multiheadAttention(b: GraphBuilder, x: T, heads: number, ctx: BuildContext): T {
  const [n, s, h] = x.shape;
  const d = h / heads;
  if (!ctx.training) {
    // Native MHA fast path (no grad): one fused op whose packed q/k/v and scores live only inside it.
    return b.fusedOp("native_mha", [x], [n, s, h], [[3, n, heads, s, d], ...(ctx.attention === "eager" ? [[n, heads, s, s]] : [])], [[3 * h, h], [3 * h], [h, h], [h]]);
  }
  const xt = b.view(x, [s, n, h]); // query.transpose(1, 0)
  const proj = b.scope("in_proj", () => b.linear(xt, 3 * h, true, { contiguous: false }));
  let q: T, k: T, v: T;
  if (b.torch1) {
    // torch 1.x: linear(...).chunk(3, -1), then q/k/v.contiguous() copy each third.
    [q, k, v] = b.split(proj, [h, h, h], -1).map((t) => b.copy(t, [n, heads, s, d], "contiguous"));
  } else {
    // torch 2.x: unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous(): one packed copy.
    const packed = b.copy(proj, [3, s, n, h], "contiguous");
    [q, k, v] = b.split(packed, [1, 1, 1], 0).map((t) => b.view(t, [n, heads, s, d]));
  }
  const o = ctx.attention === "sdpa" ? b.sdpa(q, k, v) : b.eagerAttention(q, k, v, 0);
  // attn_output.permute(2, 0, 1, 3).contiguous(): q is laid out (S, N, heads, d) because the input was
  // transposed. Kernels that allocate their output like q (flash: empty_like(q) in flash_api.cpp, used for
  // fp16/bf16 on CUDA, and the CPU kernel — bench/torch2/COMPARISON.md) make the permute contiguous: no
  // copy. The memory-efficient kernel (fp32 on CUDA) allocates (N, S, heads, d): a copy. Eager bmm: a copy.
  const sameLayout = ctx.attention === "sdpa" && !b.torch1 && (b.device === "cpu" || o.dtype !== "f32" || n === 1);
  const merged = sameLayout ? b.view(o, [s * n, h]) : b.copy(o, [s * n, h], "contiguous");
  const out = b.scope("out_proj", () => b.linear(merged, h));
  return b.view(out, [n, s, h]);
}

export function vit(name: string): BuildFn {
  const spec = VITS[name];
  return (b, x, ctx) => {
    const [n, , H, W] = x.shape;
    if (H % spec.patch || W % spec.patch) {
      throw new VramfitError("invalid_option", `image ${H}x${W} is not a multiple of ${name}'s patch size ${spec.patch}`, { suggestion: `use an image size divisible by ${spec.patch}` });
    }
    let y = b.scope("conv_proj", () => b.conv(x, { out: spec.hidden, k: spec.patch, s: spec.patch, p: 0, bias: true }));
    const s = (H / spec.patch) * (W / spec.patch) + 1;
    const seq = b.view(y, [n, s - 1, spec.hidden]); // reshape + permute(0, 2, 1): views
    const cls = b.parameter([1, 1, spec.hidden]);
    y = b.cat([b.view(cls, [n, 1, spec.hidden]), seq], 1);
    // The position embedding has one row per token: at another image size the checkpoint's is interpolated
    // to the new grid (torchvision image_size argument), so it follows the input.
    const posLen = s;
    y = b.block("encoder", y, () => {
      const pos = b.parameter([1, posLen, spec.hidden]);
      let z = b.add(y, b.view(pos, [1, s, spec.hidden]));
      z = b.block("layers", z, () => {
        let u = z;
        for (let i = 0; i < spec.layers; i++) {
          u = b.block(`encoder_layer_${i}`, u, () => {
            const inp = u;
            const ln1 = b.layerNorm(inp);
            // EncoderBlock keeps ln_1's output in a local while attention runs.
            const a = b.block("self_attention", ln1, () => multiheadAttention(b, ln1, spec.heads, ctx));
            const r = b.add(a, inp);
            const ln2 = b.layerNorm(r);
            // `y = self.mlp(y)`: ln_2's output stays referenced during the MLP.
            const m = b.block("mlp", ln2, () => {
              let t = b.scope("0", () => b.linear(ln2, spec.mlp));
              t = b.act(t, "gelu");
              return b.scope("3", () => b.linear(t, spec.hidden));
            });
            return b.add(r, m);
          });
        }
        return u;
      });
      return b.layerNorm(z);
    });
    const clsOut = b.view(y, [n, spec.hidden]); // x[:, 0]
    return [b.scope("heads.head", () => b.linear(clsOut, ctx.classes ?? 1000))];
  };
}
