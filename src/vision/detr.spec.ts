/**
 * DETR against exact CPU ground truth (torch 2.13, bench/vision/detr_truth.py → bench/vision/detr-cpu-torch2.jsonl):
 * parameter counts (equal to transformers' DetrForObjectDetection: R50 41,524,768, R101 60,464,672 with 91 classes),
 * autograd's saved bytes of the model forward (the matcher and loss nodes left out: the truth has no loss) and the
 * live peak of an eval forward. Graphs are built with `device: "cpu"` (CPU dropout keeps an fp32 noise tensor).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inferencePeak, savedActivations } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { estimateVision } from "./estimate.js";
import { graphParams } from "./graph.js";
import { getVisionModel } from "./registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const truth = fs
  .readFileSync(path.join(repo, "bench/vision/detr-cpu-torch2.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

function build(model: string, shape: number[], training: boolean) {
  const m = getVisionModel(model);
  const b = new GraphBuilder("fp32", { device: "cpu" });
  return b.finish(m.build(b, b.input(shape), { training, attention: "sdpa", classes: m.classes }));
}

describe("DETR vs torch 2.13 CPU", () => {
  for (const r of truth) {
    it(`${r.model} b${r.batch} ${r.image.join("x")}`, () => {
      const shape = [r.batch, 3, ...r.image];
      const g = build(r.model, shape, true);
      expect(graphParams(g)).toBe(r.params);
      const loss = new Set(g.nodes.filter((n) => n.op.startsWith("loss_")).flatMap((n) => n.saved));
      const saved = savedActivations(g).bytes - [...loss].reduce((s, id) => s + g.storages[id].bytes, 0);
      expect(Math.abs(saved / r.saved_bytes - 1)).toBeLessThan(0.01);
      expect(Math.abs(inferencePeak(build(r.model, shape, false), "cpu").bytes / r.infer_peak_bytes - 1)).toBeLessThan(0.01);
    });
  }
});

describe("DETR names and data-dependent costs", () => {
  it("hub and Hub-id names resolve", () => {
    expect(getVisionModel("facebook/detr-resnet-50").id).toBe("detr_resnet50");
    expect(getVisionModel("detr_resnet101_dc5").id).toBe("detr_resnet101_dc5");
    expect(getVisionModel("facebook/detr-resnet-101").id).toBe("detr_resnet101");
  });
  it("more queries and more boxes per image cost more in training, never less", () => {
    const at = (o: Record<string, number>) => estimateVision(getVisionModel("detr_resnet50"), { mode: "train", batch: 2, image: 512, ...o } as never).totals.allocated_bytes;
    expect(at({ num_queries: 300 })).toBeGreaterThan(at({ num_queries: 100 }));
    expect(at({ max_boxes: 500 })).toBeGreaterThanOrEqual(at({ max_boxes: 10 }));
  });
});
