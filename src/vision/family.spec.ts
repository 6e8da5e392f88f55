/** The vision engine through the core's estimate(): built-in names and an ONNX fixture. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { estimate } from "../index.js";
import { onnxParameters, readOnnxGraph } from "../readers/onnx.js";
import { estimateVision } from "./estimate.js";
import { getVisionModel } from "./registry.js";
import { onnxModelDescription, visionModelDescription } from "./family.js";

describe("estimate() dispatch to the vision engine", () => {
  it("a built-in model gives the same totals as estimateVision, with the core's band", () => {
    const w = { mode: "train" as const, batch: 16, image: 640, precision: "amp-fp16" as const, optimizer: "sgd-momentum" as const };
    const e = estimate(visionModelDescription("yolov8n"), w as never);
    const direct = estimateVision(getVisionModel("yolov8n"), w);
    expect(e.model.family).toBe("vision");
    expect(e.model.parameters).toBe(3_157_200);
    expect(e.components.map((c) => c.bytes)).toEqual(direct.components.map((c) => c.bytes));
  });

  it("an ONNX graph attached through onnxToModel is estimated from its layers", () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/onnx/squeezenet_cifar10.onnx");
    const graph = readOnnxGraph(new Uint8Array(fs.readFileSync(file)));
    const p = onnxParameters(graph);
    const desc = onnxModelDescription({
      model: { id: "squeezenet", family: "generic", architecture: "onnx", parameters: p.total, activeParameters: p.total, tensors: [], source: { kind: "onnx", ref: file }, warnings: [] },
      facts: { provenance: {} },
      onnx: graph,
    });
    const e = estimate(desc, { batch: 32 } as never);
    expect(e.model.parameters).toBe(p.total);
    expect(e.components.find((c) => c.id === "activations")!.bytes).toBeGreaterThan(32 * 3 * 32 * 32 * 4);
  });
});
