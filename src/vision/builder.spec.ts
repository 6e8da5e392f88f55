/**
 * Hand-derived checks of the ops (shapes from the PyTorch docs' output-size formulas; saved bytes from
 * docs/research/mechanics.md §9.1–9.3).
 */
import { describe, expect, it } from "vitest";
import { backwardPeak, inferencePeak, savedActivations } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { graphParams } from "./graph.js";

describe("shape propagation", () => {
  it("conv2d: H_out = floor((H + 2p − d(k − 1) − 1)/s + 1), params = out·in/g·k² (+ bias)", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([2, 16, 33, 20]);
    const y = b.conv(x, { out: 32, k: 3, s: 2, p: 2, d: 2, g: 4, bias: true });
    // (33 + 4 − 4 − 1)/2 + 1 = 17 ; (20 + 4 − 4 − 1)/2 + 1 = 10 (floor 10.5)
    expect(y.shape).toEqual([2, 32, 17, 10]);
    expect(graphParams(b.finish([y]))).toBe(32 * 4 * 9 + 32);
  });

  it("max pool with ceil_mode drops a window that starts in the padding only", () => {
    const b = new GraphBuilder("fp32");
    expect(b.maxPool(b.input([1, 1, 7, 7]), 2, 2, 0, true).shape).toEqual([1, 1, 4, 4]);
    expect(b.maxPool(b.input([1, 1, 7, 7]), 2, 2, 0, false).shape).toEqual([1, 1, 3, 3]);
  });

  it("conv transpose: (H − 1)·s − 2p + k", () => {
    const b = new GraphBuilder("fp32");
    expect(b.convTranspose(b.input([1, 8, 10, 12]), { out: 4, k: 2, s: 2 }).shape).toEqual([1, 4, 20, 24]);
  });

  it("rejects a shape that shrinks to nothing with a clear error", () => {
    const b = new GraphBuilder("fp32");
    expect(() => b.conv(b.input([1, 3, 4, 4]), { out: 8, k: 7, s: 2, p: 0 })).toThrow(/too small|non-positive/);
  });
});

describe("bytes saved for backward", () => {
  const map = 2 * 64 * 56 * 56; // N·C·H·W elements of the block output

  it("conv → BN → in-place ReLU → conv saves 2 maps (mechanics §9.2) + BN stats", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([2, 64, 56, 56]);
    const a = b.conv(x, { out: 64, k: 3 });
    const r = b.act(b.batchNorm(a), "relu", true);
    const y = b.conv(r, { out: 64, k: 3 });
    const s = savedActivations(b.finish([y]));
    // input image (saved by conv 1) + conv out (BN input) + ReLU out (= BN out, in place) + 2·64 fp32 stats
    expect(s.bytes).toBe(4 * map + 4 * map + 4 * map + 2 * 64 * 4);
  });

  it("conv → BN → SiLU → conv saves 3 maps (SiLU keeps its input, the next conv its output)", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([2, 64, 56, 56]);
    const a = b.act(b.batchNorm(b.conv(x, { out: 64, k: 3 })), "silu");
    const s = savedActivations(b.finish([b.conv(a, { out: 64, k: 3 })]));
    expect(s.bytes).toBe(4 * map * 4 + 2 * 64 * 4);
  });

  it("max pool keeps int64 indices, 8 B per output element", () => {
    const b = new GraphBuilder("amp-fp16");
    const x = b.conv(b.input([1, 3, 8, 8]), { out: 4, k: 3 });
    const s = savedActivations(b.finish([b.maxPool(x, 2)]));
    expect(s.byDtype.i64).toBe(4 * 4 * 4 * 8);
  });

  it("autocast saves the fp16 copy of an fp32 input; layer norm runs in fp32", () => {
    const b = new GraphBuilder("amp-bf16");
    const x = b.input([1, 3, 4, 4]); // fp32 from the data loader
    const y = b.conv(x, { out: 8, k: 1, p: 0 }); // saves a bf16 copy of x: 3·16·2 B
    expect(y.dtype).toBe("bf16");
    const t = b.view(y, [1, 16, 8]);
    const n = b.layerNorm(t); // cast to fp32, saves the fp32 copy + fp32 stats
    expect(n.dtype).toBe("f32");
    const s = savedActivations(b.finish([n]));
    expect(s.byDtype.bf16).toBe(3 * 16 * 2);
    expect(s.byDtype.f32).toBe(128 * 4 + 2 * 16 * 4);
  });

  it("a frozen stage with a grad-free input saves nothing", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([1, 3, 32, 32]);
    const y = b.frozen(() => b.act(b.batchNorm(b.conv(x, { out: 8, k: 3 })), "relu", true));
    expect(savedActivations(b.finish([y])).bytes).toBe(0);
  });

  it("eager attention keeps the S×S probabilities, SDPA only q, k, v, output and the log-sum-exp", () => {
    const mk = (mode: "sdpa" | "eager") => {
      const b = new GraphBuilder("fp32");
      const x = b.linear(b.input([2, 4, 50, 16]), 16);
      const q = b.linear(x, 16);
      const o = mode === "sdpa" ? b.sdpa(q, q, q) : b.eagerAttention(q, q, q);
      return savedActivations(b.finish([o])).bytes;
    };
    const t = 2 * 4 * 50 * 16 * 4;
    const base = 2 * 4 * 50 * 16 * 4 * 2; // the two linears' inputs
    expect(mk("sdpa")).toBe(base + t /* q=k=v storage */ + t /* output */ + 2 * 4 * 50 * 4 /* lse */);
    expect(mk("eager")).toBe(base + t /* scaled q */ + t /* k (=v) */ + 2 * 4 * 50 * 50 * 4 /* softmax */);
  });
});

describe("inference liveness", () => {
  it("a chain holds at most input + one op's input and output", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([1, 1, 100, 100]); // 40,000 B
    let y = b.conv(x, { out: 4, k: 3 }); // 160,000 B
    y = b.conv(y, { out: 8, k: 3 }); // 320,000 B
    y = b.conv(y, { out: 2, k: 3 }); // 80,000 B
    const p = inferencePeak(b.finish([y]));
    expect(p.bytes).toBe(40_000 + 160_000 + 320_000);
  });

  it("a skip kept for a later concat stays live (U-Net pattern)", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([1, 1, 100, 100]);
    const skip = b.conv(x, { out: 4, k: 3 }); // 160,000
    const d = b.conv(skip, { out: 4, k: 3, s: 2 }); // 40,000
    const e = b.conv(d, { out: 8, k: 3 }); // 80,000
    const u = b.upsample(e, 2); // 320,000
    const y = b.cat([skip, u], 1); // 480,000
    const p = inferencePeak(b.finish([y]));
    expect(p.bytes).toBe(40_000 + 160_000 + 320_000 + 480_000);
  });

  it("an in-place ReLU adds no storage", () => {
    const b = new GraphBuilder("fp32");
    const x = b.input([1, 1, 10, 10]);
    const c = b.conv(x, { out: 1, k: 1, p: 0 });
    const r = b.act(c, "relu", true);
    expect(r.storage).toBe(c.storage);
    expect(inferencePeak(b.finish([r])).bytes).toBe(800);
  });
});

describe("backward walk", () => {
  it("frees saved maps as it goes and peaks below forward-end + all grads", () => {
    const b = new GraphBuilder("fp32");
    let y = b.input([4, 3, 64, 64]);
    for (let i = 0; i < 4; i++) y = b.act(b.batchNorm(b.conv(y, { out: 32, k: 3 })), "relu", true);
    const g = b.finish([y]);
    const saved = savedActivations(g).allocated;
    const bw = backwardPeak(g, 4);
    expect(bw.bytes).toBeGreaterThan(saved * 0.5);
    expect(bw.bytes).toBeLessThanOrEqual(saved + graphParams(g) * 4 + 2 * 4 * 32 * 64 * 64 * 4 + 4096);
  });
});
