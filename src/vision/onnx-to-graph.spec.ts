/**
 * ONNX shape inference on the real files in ../shared/fixtures/onnx (fixtures/SOURCES.md): parameter
 * counts equal the initializers' (readers/onnx.ts onnxParameters), inferred output shapes equal the
 * shapes the exporters declared, and a hand-derived live-tensor peak for mnist-8.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { onnxParameters, readOnnxGraph } from "../readers/onnx.js";
import type { OnnxGraph } from "../readers/onnx-types.js";
import { inferencePeak } from "./analysis.js";
import { estimateVision, parseVisionWorkload, visionGraph, visionMaxBatch } from "./estimate.js";
import { onnxVisionModel } from "./onnx-to-graph.js";

const shared = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/onnx");
const load = (f: string): OnnxGraph => readOnnxGraph(new Uint8Array(fs.readFileSync(path.join(shared, f))));

describe("ONNX → layer graph", () => {
  for (const f of ["mnist-8.onnx", "squeezenet_cifar10.onnx", "har-cnn.onnx"]) {
    it(`${f}: parameters and declared output shape`, () => {
      const g = load(f);
      const m = onnxVisionModel(g, { id: f });
      for (const batch of [1, 8]) {
        const w = parseVisionWorkload(m, { batch });
        const graph = visionGraph(m, w);
        const e = estimateVision(m, { batch });
        expect(e.model.parameters).toBe(onnxParameters(g).total);
        const declared = g.outputs[0].dims.map((d, i) => (i === 0 ? batch : d));
        expect(graph.tensors[graph.outputs[0]].shape).toEqual(declared);
      }
    });
  }

  it("mnist-8 inference peak, derived by hand from the ONNX ops", () => {
    const m = onnxVisionModel(load("mnist-8.onnx"));
    const g = visionGraph(m, parseVisionWorkload(m, { batch: 1 }));
    // input 1×1×28×28 fp32 (3,136 B) held by the caller + Conv 8×28×28 SAME (25,088 B) + the bias Add's
    // new output (25,088 B): the largest set (ReLU is not in place in ONNX semantics: same size).
    expect(inferencePeak(g).bytes).toBe(3136 + 25088 + 25088);
  });

  it("symbolic batch follows the workload; training saves more than inference keeps live", () => {
    const m = onnxVisionModel(load("squeezenet_cifar10.onnx"));
    const a = estimateVision(m, { mode: "train", batch: 64, precision: "fp32" });
    const b = estimateVision(m, { mode: "train", batch: 128, precision: "fp32" });
    const act = (e: typeof a) => e.components.filter((c) => c.id.startsWith("activation")).reduce((s, c) => s + c.bytes, 0);
    expect(act(b) / act(a)).toBeGreaterThan(1.9);
    expect(visionMaxBatch(m, { batch: 1 }, { id: "t", name: "t", vendor: "nvidia", memory_bytes: 2 ** 30, arch: "ampere" }).batch).toBeGreaterThan(64);
  });

  it("an unsupported op is one clear error naming it", () => {
    const g = load("mnist-8.onnx");
    const bad: OnnxGraph = { ...g, nodes: g.nodes.map((n, i) => (i === 3 ? { ...n, opType: "NonMaxSuppression" } : n)) };
    expect(() => estimateVision(onnxVisionModel(bad), {})).toThrow(VramfitError);
    expect(() => estimateVision(onnxVisionModel(bad), {})).toThrow(/NonMaxSuppression/);
  });
});

describe("fixed input sizes (issue #15 item 4)", () => {
  it("a graph exported at 28x28 refuses another --image, and max-image says there is nothing to search", async () => {
    const { estimate, maxImage, resolveModel } = await import("../index.js");
    const { isVramfitError } = await import("../core/errors.js");
    const m = await resolveModel(path.join(shared, "mnist-8.onnx"));
    expect(estimate(m, {}).workload).toMatchObject({ image: [28, 28] });
    expect(() => estimate(m, { image: 640 })).toThrow(/fixed at 28x28/);
    try {
      maxImage(m, { gpu: "rtx-4090" });
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "unsupported")).toBe(true);
      expect(String(e)).toMatch(/takes only 28x28 images/);
    }
    expect(() => visionMaxBatch(onnxVisionModel(load("mnist-8.onnx")), { image: 28 }, { id: "x", name: "x", memory_bytes: 2 ** 30 } as never)).not.toThrow();
  });
});
