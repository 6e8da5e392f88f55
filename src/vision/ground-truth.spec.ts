/**
 * The engine against exact CPU ground truth recorded with Debian's torch 1.13 / torchvision 0.14
 * (bench/vision/saved_bytes.py → bench/accuracy/vision-cpu-autograd.jsonl): parameter counts exactly,
 * bytes saved for backward within 2 %, inference live-tensor peak within 2 %.
 * Graphs are built with torch 1.x semantics (GraphBuilder `torch1`) because that is what produced the data.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { backwardPeak, inferencePeak, savedActivations, trainingForwardPeak } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { graphParams } from "./graph.js";
import { getVisionModel } from "./registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const records = fs
  .readFileSync(path.join(repo, "bench/accuracy/vision-cpu-autograd.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

function build(model: string, shape: number[], training: boolean, attention: "sdpa" | "eager") {
  const m = getVisionModel(model);
  const b = new GraphBuilder("fp32", { torch1: true });
  const outs = m.build(b, b.input(shape), { training, attention, classes: m.classes });
  return b.finish(outs);
}

describe("vision engine vs torch CPU ground truth", () => {
  it("covers every torchvision architecture we ship", () => {
    const models = new Set(records.map((r) => r.model));
    for (const m of ["resnet18", "resnet50", "resnet101", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "vit_b_16", "vit_l_16", "swin_t", "fcn_resnet50", "deeplabv3_resnet50", "fasterrcnn_resnet50_fpn", "retinanet_resnet50_fpn"])
      expect(models.has(m), m).toBe(true);
  });

  for (const r of records) {
    const label = r.batch ? `${r.model} b${r.batch} ${r.image.join("x")}` : `${r.model} params`;
    it(label, () => {
      // torch 1.13's nn.MultiheadAttention has no fused training path: the math (eager) one ran.
      const shape = r.batch ? [r.batch, 3, r.image[0], r.image[1]] : [1, 3, 800, 1344];
      const train = build(r.model, shape, true, "eager");
      expect(graphParams(train)).toBe(r.params);
      if (!r.batch) return;
      const saved = savedActivations(train);
      expect(Math.abs(saved.bytes / r.saved_bytes - 1)).toBeLessThan(0.02);
      const infer = inferencePeak(build(r.model, shape, false, "eager"), "cpu");
      expect(Math.abs(infer.bytes / r.infer_peak_bytes - 1)).toBeLessThan(0.02);
    });
  }
});

/**
 * The whole fp32 training step (forward, sum loss, backward) tracked on CPU
 * (bench/vision/train_peak.py → bench/accuracy/vision-cpu-train-peak.jsonl): the live peak of
 * activations, activation gradients and parameter gradients. vramfit's step peak without weights and
 * optimizer = max(training forward peak, backward walk); backward's transient gradients are an
 * approximation (gradient lifetimes per storage), so the bound is 5 %.
 */
describe("training step peak vs torch CPU", () => {
  const peaks = fs
    .readFileSync(path.join(repo, "bench/accuracy/vision-cpu-train-peak.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  for (const r of peaks) {
    it(`${r.model} b${r.batch} ${r.image.join("x")}`, () => {
      const g = build(r.model, [r.batch, 3, r.image[0], r.image[1]], true, "eager");
      const est = Math.max(trainingForwardPeak(g).allocated, backwardPeak(g, 4).bytes);
      expect(Math.abs(est / r.train_peak_bytes - 1)).toBeLessThan(0.05);
    });
  }
});

/**
 * Autocast: torch.autocast("cpu", bfloat16) on Debian's torch 1.13 (bench/vision/autocast_saved.py →
 * bench/accuracy/vision-cpu-autocast.jsonl). What autograd keeps = the engine's saved activations (bf16
 * cast copies of fp32 inputs, bf16 BN/activation maps, fp32 BN statistics, int64 pool indices) plus the
 * bf16 copies of every conv/linear weight (the autocast weight cache). The CPU dropout mask is float (the
 * engine's CUDA model: 1 byte), the only tolerated difference.
 */
describe("autocast (amp-bf16) saved bytes vs torch CPU autocast", () => {
  const amp = fs
    .readFileSync(path.join(repo, "bench/accuracy/vision-cpu-autocast.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  for (const r of amp) {
    it(`${r.model} b${r.batch} ${r.image.join("x")}`, () => {
      const m = getVisionModel(r.model);
      const b = new GraphBuilder("amp-bf16", { torch1: true });
      const g = b.finish(m.build(b, b.input([r.batch, 3, r.image[0], r.image[1]]), { training: true, attention: "eager", classes: m.classes }));
      const weightCasts = g.nodes
        .filter((n) => n.op === "conv2d" || n.op === "linear")
        .reduce((s, n) => s + n.params[0].reduce((p, d) => p * d, 1) * 2, 0);
      const est = savedActivations(g).bytes + weightCasts;
      expect(Math.abs(est / r.saved_bytes - 1)).toBeLessThan(0.02);
      expect(savedActivations(g).byDtype.i64 ?? 0).toBe(r.saved_by_dtype.int64 ?? 0);
    });
  }
});
