/**
 * torchvision MobileNetV3 and EfficientNet-B0 (torchvision/models/mobilenetv3.py, efficientnet.py,
 * ops/misc.py Conv2dNormActivation + SqueezeExcitation, v0.14). Activations inside
 * Conv2dNormActivation are in place (inplace=True default); SE multiplies `scale * input`.
 */
import type { Act, GraphBuilder, T } from "../builder.js";
import type { BuildFn } from "./types.js";

/** torchvision _make_divisible (from the TF MobileNet code). */
export function makeDivisible(v: number, divisor = 8, minValue?: number): number {
  const min = minValue ?? divisor;
  let n = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Conv2dNormActivation: conv (no bias) → BN → activation (in place). Its input is held until it returns. */
export function convBnAct(b: GraphBuilder, x: T, out: number, k: number, s = 1, g = 1, act: Act | null = "relu", name = "conv"): T {
  return b.block(name, x, () => {
    const y = b.batchNorm(b.conv(x, { out, k, s, g, p: Math.floor((k - 1) / 2) }));
    return act ? b.act(y, act, true) : y;
  });
}

/** ops.SqueezeExcitation: avgpool → fc1 (1×1 conv, bias) → act → fc2 → scale act; returns scale * input. */
function squeezeExcite(b: GraphBuilder, x: T, squeeze: number, act: Act, actInplace: boolean, scaleAct: Act): T {
  return b.block("se", x, () => {
    let s = b.adaptiveAvgPool(x, [1, 1]);
    s = b.scope("fc1", () => b.conv(s, { out: squeeze, k: 1, p: 0, bias: true }));
    s = b.act(s, act, actInplace);
    s = b.scope("fc2", () => b.conv(s, { out: x.shape[1], k: 1, p: 0, bias: true }));
    s = b.act(s, scaleAct, false);
    return b.mul(s, x);
  });
}

type V3Row = [number, number, number, number, boolean, "RE" | "HS", number];
// (input, kernel, expanded, out, use_se, activation, stride) — torchvision _mobilenet_v3_conf
const V3_LARGE: V3Row[] = [
  [16, 3, 16, 16, false, "RE", 1], [16, 3, 64, 24, false, "RE", 2], [24, 3, 72, 24, false, "RE", 1],
  [24, 5, 72, 40, true, "RE", 2], [40, 5, 120, 40, true, "RE", 1], [40, 5, 120, 40, true, "RE", 1],
  [40, 3, 240, 80, false, "HS", 2], [80, 3, 200, 80, false, "HS", 1], [80, 3, 184, 80, false, "HS", 1],
  [80, 3, 184, 80, false, "HS", 1], [80, 3, 480, 112, true, "HS", 1], [112, 3, 672, 112, true, "HS", 1],
  [112, 5, 672, 160, true, "HS", 2], [160, 5, 960, 160, true, "HS", 1], [160, 5, 960, 160, true, "HS", 1],
];
const V3_SMALL: V3Row[] = [
  [16, 3, 16, 16, true, "RE", 2], [16, 3, 72, 24, false, "RE", 2], [24, 3, 88, 24, false, "RE", 1],
  [24, 5, 96, 40, true, "HS", 2], [40, 5, 240, 40, true, "HS", 1], [40, 5, 240, 40, true, "HS", 1],
  [40, 5, 120, 48, true, "HS", 1], [48, 5, 144, 48, true, "HS", 1], [48, 5, 288, 96, true, "HS", 2],
  [96, 5, 576, 96, true, "HS", 1], [96, 5, 576, 96, true, "HS", 1],
];

export function mobilenetV3(size: "large" | "small"): BuildFn {
  const rows = size === "large" ? V3_LARGE : V3_SMALL;
  const lastChannel = size === "large" ? 1280 : 1024;
  return (b, x, ctx) => {
    let y = convBnAct(b, x, 16, 3, 2, 1, "hardswish", "features.0");
    rows.forEach(([inp, k, exp, out, se, a, s], i) => {
      const act: Act = a === "RE" ? "relu" : "hardswish";
      y = b.block(`features.${i + 1}`, y, () => {
        let z = y;
        if (exp !== inp) z = convBnAct(b, z, exp, 1, 1, 1, act, "expand");
        z = convBnAct(b, z, exp, k, s, exp, act, "dw");
        if (se) z = squeezeExcite(b, z, makeDivisible(exp / 4, 8), "relu", false, "hardsigmoid");
        z = convBnAct(b, z, out, 1, 1, 1, null, "project");
        return s === 1 && inp === out ? b.add(z, y, true) : z;
      });
    });
    y = convBnAct(b, y, 6 * rows[rows.length - 1][3], 1, 1, 1, "hardswish", "features.last");
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    let h = b.view(pooled, [pooled.shape[0], pooled.shape[1]]);
    h = b.scope("classifier.0", () => b.linear(h, lastChannel));
    h = b.act(h, "hardswish", true);
    h = b.dropout(h, ctx.training ? 0.2 : 0);
    return [b.scope("classifier.3", () => b.linear(h, ctx.classes ?? 1000))];
  };
}

// (expand_ratio, kernel, stride, in, out, layers) — torchvision efficientnet_b0
const B0: Array<[number, number, number, number, number, number]> = [
  [1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1],
];

export function efficientnetB0(): BuildFn {
  return (b, x, ctx) => {
    let y = convBnAct(b, x, 32, 3, 2, 1, "silu", "features.0");
    const total = B0.reduce((s, r) => s + r[5], 0);
    let id = 0;
    B0.forEach(([e, k, s0, in0, out, n], si) => {
      y = b.block(`features.${si + 1}`, y, () => {
        for (let i = 0; i < n; i++) {
          const inp = i === 0 ? in0 : out;
          const s = i === 0 ? s0 : 1;
          const sd = (0.2 * id) / total;
          id++;
          y = b.block(`features.${si + 1}.${i}`, y, () => {
            const exp = makeDivisible(inp * e, 8);
            let z = y;
            if (exp !== inp) z = convBnAct(b, z, exp, 1, 1, 1, "silu", "expand");
            z = convBnAct(b, z, exp, k, s, exp, "silu", "dw");
            z = squeezeExcite(b, z, Math.max(1, Math.floor(inp / 4)), "silu", true, "sigmoid");
            z = convBnAct(b, z, out, 1, 1, 1, null, "project");
            if (s === 1 && inp === out) {
              z = b.stochasticDepth(z, sd, ctx.training);
              return b.add(z, y, true);
            }
            return z;
          });
        }
        return y;
      });
    });
    y = convBnAct(b, y, 1280, 1, 1, 1, "silu", "features.8");
    const pooled = b.adaptiveAvgPool(y, [1, 1]);
    let h = b.view(pooled, [pooled.shape[0], pooled.shape[1]]);
    h = b.dropout(h, ctx.training ? 0.2 : 0);
    return [b.scope("classifier.1", () => b.linear(h, ctx.classes ?? 1000))];
  };
}
