/**
 * The engine's default (torch 2) semantics against exact CPU ground truth recorded with torch 2.13
 * (bench/torch2/vision.py → bench/accuracy/vision-cpu-torch2-*.jsonl; mechanisms in bench/torch2/COMPARISON.md).
 * Graphs are built with `device: "cpu"`: CPU autocast keeps layer_norm in bf16 and CPU SDPA writes its output in
 * q's layout — the two places where the CUDA build (what users get) differs on purpose.
 * The torch 1.13 files keep their own spec (ground-truth.spec.ts, GraphBuilder `torch1`).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { backwardPeak, inferencePeak, savedActivations, trainingForwardPeak } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { graphParams, type VisionPrecision } from "./graph.js";
import { getVisionModel } from "./registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (f: string) =>
  fs
    .readFileSync(path.join(repo, "bench/accuracy", f), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

function build(model: string, shape: number[], training: boolean, precision: VisionPrecision = "fp32") {
  const m = getVisionModel(model);
  const b = new GraphBuilder(precision, { device: "cpu" });
  return b.finish(m.build(b, b.input(shape), { training, attention: "sdpa", classes: m.classes }));
}
const rel = (est: number, meas: number) => Math.abs(est / meas - 1);

describe("vision engine (torch 2 semantics) vs torch 2.13 CPU", () => {
  for (const r of read("vision-cpu-torch2-autograd.jsonl")) {
    const label = r.batch ? `${r.model} b${r.batch} ${r.image.join("x")}` : `${r.model} params`;
    it(label, () => {
      const shape = r.batch ? [r.batch, 3, r.image[0], r.image[1]] : [1, 3, 800, 1344];
      const train = build(r.model, shape, true);
      expect(graphParams(train)).toBe(r.params);
      if (!r.batch) return;
      expect(rel(savedActivations(train).bytes, r.saved_bytes)).toBeLessThan(0.01);
      expect(rel(inferencePeak(build(r.model, shape, false), "cpu").bytes, r.infer_peak_bytes)).toBeLessThan(0.01);
    });
  }

  for (const r of read("vision-cpu-torch2-train-peak.jsonl")) {
    it(`train step ${r.model} b${r.batch}`, () => {
      const g = build(r.model, [r.batch, 3, r.image[0], r.image[1]], true);
      const est = Math.max(trainingForwardPeak(g).allocated, backwardPeak(g, 4).bytes);
      expect(rel(est, r.train_peak_bytes)).toBeLessThan(0.02);
    });
  }

  for (const r of read("vision-cpu-torch2-autocast.jsonl")) {
    it(`amp-bf16 ${r.model} b${r.batch}`, () => {
      const g = build(r.model, [r.batch, 3, r.image[0], r.image[1]], true, "amp-bf16");
      const casts = g.nodes.filter((n) => n.op === "conv2d" || n.op === "linear").reduce((s, n) => s + n.params[0].reduce((p, d) => p * d, 1) * 2, 0);
      expect(casts).toBe(r.autocast_weight_copy_bytes);
      expect(rel(savedActivations(g).bytes + casts, r.saved_bytes)).toBeLessThan(0.01);
    });
  }
});
