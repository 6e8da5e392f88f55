/** Optimizer state and step temporaries, checked against the sources' own arithmetic. */
import { describe, expect, it } from "vitest";
import { adafactorStateElements, bnb8bitStateBytes, optimizerMemory, type ParamTensor } from "./optimizers.js";

const params: ParamTensor[] = [
  { numel: 4096 * 4096, shape: [4096, 4096], count: 10, bytes: 4 },
  { numel: 4096, shape: [4096], count: 20, bytes: 4 },
  { numel: 100, shape: [100], count: 1, bytes: 4 },
];
const n = 4096 * 4096 * 10 + 4096 * 20 + 100;

describe("optimizer states", () => {
  it("AdamW keeps two fp32 states: 8 bytes/param (transformers 'Model training anatomy')", () => {
    expect(optimizerMemory("adamw", "foreach", params).stateBytes).toBe(8 * n);
  });
  it("SGD with momentum keeps one state (4 bytes/param), plain SGD none", () => {
    expect(optimizerMemory("sgd-momentum", "foreach", params).stateBytes).toBe(4 * n);
    expect(optimizerMemory("sgd", "foreach", params).stateBytes).toBe(0);
  });
  it("Lion, Adagrad and RMSprop keep one state each", () => {
    for (const o of ["lion", "adagrad", "rmsprop"] as const) expect(optimizerMemory(o, "fused", params).stateBytes).toBe(4 * n);
  });
  it("bitsandbytes 8-bit: uint8 states + fp32 absmax per 256-block; tensors < 4096 elements stay fp32", () => {
    // 1M elements: 2 × (1,000,000 B + ceil(1e6/256)=3907 blocks × 4 B)
    expect(bnb8bitStateBytes(1_000_000, 2)).toBe(2 * (1_000_000 + 3907 * 4));
    expect(bnb8bitStateBytes(4095, 2)).toBe(4095 * 8);
    const m = optimizerMemory("adamw-8bit", "foreach", params);
    // ≈ 2 bytes/param for the large tensors (transformers doc: "2 bytes * number of parameters for 8-bit AdamW")
    expect(m.stateBytes / n).toBeGreaterThan(2);
    expect(m.stateBytes / n).toBeLessThan(2.05);
    expect(m.paged).toBe(false);
    expect(optimizerMemory("paged-adamw-8bit", "foreach", params).paged).toBe(true);
  });
  it("Adafactor factors matrices into rows + columns", () => {
    expect(adafactorStateElements([4096, 11008])).toBe(4096 + 11008);
    expect(adafactorStateElements([768])).toBe(768);
    const m = optimizerMemory("adafactor", "foreach", params);
    expect(m.stateBytes).toBe(4 * (10 * 8192 + 20 * 4096 + 100));
  });
});

describe("step temporaries", () => {
  it("multi-tensor Adam allocates one state-sized list (torch._foreach_sqrt of exp_avg_sq)", () => {
    expect(optimizerMemory("adamw", "foreach", params).stepTempBytes).toBe(4 * n);
  });
  it("fused Adam allocates no full-size temporaries", () => {
    expect(optimizerMemory("adamw", "fused", params).stepTempBytes).toBe(0);
  });
  it("the per-tensor loop needs two temporaries of the largest tensor", () => {
    expect(optimizerMemory("adamw", "for-loop", params).stepTempBytes).toBe(2 * 4096 * 4096 * 4);
  });
});
