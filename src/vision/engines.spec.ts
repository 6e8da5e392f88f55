/** Inference engines: components each allocates, ONNX Runtime's arena growth, TensorRT's fused activations. */
import { describe, expect, it } from "vitest";
import { isVramfitError } from "../core/errors.js";
import { MiB } from "../core/units.js";
import { ortArenaBytes } from "./engines.js";
import { estimateVision } from "./estimate.js";
import { getVisionModel } from "./registry.js";

const est = (o: Record<string, unknown>) => estimateVision(getVisionModel("yolov8s"), { batch: 8, image: 640, dtype: "fp16", ...o } as never);
const comp = (e: ReturnType<typeof est>, id: string) => e.components.find((c) => c.id === id)?.bytes;

describe("engines", () => {
  it("BFC arena, kNextPowerOfTwo: regions of 1, 2, 4 … MiB until they hold the need", () => {
    expect(ortArenaBytes(1 * MiB, 1 * MiB, "next_power_of_two")).toBe(1 * MiB);
    expect(ortArenaBytes(3 * MiB, MiB, "next_power_of_two")).toBe(3 * MiB);
    expect(ortArenaBytes(4 * MiB, MiB, "next_power_of_two")).toBe(7 * MiB);
    // a 100 MiB tensor first: the region doubles to 128 MiB before it is allocated
    expect(ortArenaBytes(100 * MiB, 100 * MiB, "next_power_of_two")).toBe(128 * MiB);
    expect(ortArenaBytes(100 * MiB, 100 * MiB, "same_as_requested")).toBe(100 * MiB);
  });
  it("each engine names its own components", () => {
    expect(comp(est({}), "activations")).toBeGreaterThan(0);
    expect(comp(est({ engine: "onnxruntime" }), "arena_reserve")).toBeGreaterThanOrEqual(0);
    const trt = est({ engine: "tensorrt" });
    expect(comp(trt, "trt_weights")).toBe(11_166_560 * 2);
    expect(comp(trt, "trt_activation")).toBeGreaterThan(0);
    expect(comp(trt, "cublas_init")).toBeUndefined();
    expect(comp(est({ engine: "tensorrt", trt_version: 8 }), "cudnn_init")).toBe(241 * MiB);
    expect(comp(est({ engine: "compile", compile_mode: "reduce-overhead" }), "cudagraph_outputs")).toBeGreaterThan(0);
  });
  it("TensorRT's fused layer graph holds no more activations than eager's live set", () => {
    const eager = comp(est({}), "activations")!;
    const trt = est({ engine: "tensorrt", trt_workspace: 0 });
    expect(comp(trt, "trt_activation")!).toBeLessThanOrEqual(eager);
  });
  it("an engine for training, or an unknown engine, is one error", () => {
    for (const [o, code] of [[{ engine: "tensorrt", mode: "train" }, "unsupported"], [{ engine: "tvm" }, "invalid_option"], [{ engine: "onnxruntime", arena_extend_strategy: "grow" }, "invalid_option"]] as const) {
      try {
        est(o);
        expect.unreachable(JSON.stringify(o));
      } catch (e) {
        expect(isVramfitError(e, code), JSON.stringify(o)).toBe(true);
      }
    }
  });
});
