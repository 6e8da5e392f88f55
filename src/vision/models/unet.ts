/**
 * U-Net (Ronneberger et al. 2015, arXiv:1505.04597) as implemented in milesial/Pytorch-UNet
 * (unet/unet_parts.py, unet_model.py): DoubleConv = 2 × (3×3 conv, no bias → BN → ReLU in place),
 * Down = MaxPool2d(2) → DoubleConv, Up = ConvTranspose2d(c, c/2, 2, 2) → cat with the skip →
 * DoubleConv, 1×1 OutConv. Padding 1, so the output has the input's size; the four skips stay live until
 * their decoder stage (the concat-heavy liveness of docs/research/mechanics.md §9.3).
 */
import type { GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

function doubleConv(b: GraphBuilder, x: T, out: number, mid = out): T {
  return b.block("double_conv", x, () => {
    const y = b.act(b.batchNorm(b.conv(x, { out: mid, k: 3, p: 1 })), "relu", true);
    return b.act(b.batchNorm(b.conv(y, { out, k: 3, p: 1 })), "relu", true);
  });
}

export function unet(base = 64): BuildFn {
  return (b, x, ctx) => {
    const c = [base, base * 2, base * 4, base * 8, base * 16];
    const x1 = b.scope("inc", () => doubleConv(b, x, c[0]));
    const skips = [x1];
    let y = x1;
    for (let i = 1; i <= 4; i++) {
      y = b.block(`down${i}`, y, () => doubleConv(b, b.maxPool(y, 2), c[i]));
      skips.push(y);
    }
    for (let i = 3; i >= 0; i--) {
      const skip = skips[i];
      y = b.block(`up${4 - i}`, [y, skip], () => {
        const up = b.convTranspose(y, { out: c[i], k: 2, s: 2 });
        return doubleConv(b, b.cat([skip, up], 1), c[i]);
      });
    }
    return [b.scope("outc", () => b.conv(y, { out: ctx.classes ?? 2, k: 1, p: 0, bias: true }))];
  };
}
