/**
 * BEiT against transformers 5.18 on torch 2.13 CPU (bench/vision/beit_truth.py → bench/vision/beit-cpu-torch2.jsonl):
 * parameter count, saved bytes of a train-mode forward (drop_path 0) within 1 %, eval peak within 6 % (measured −2.5…−5 %:
 * the rest are small temporaries of the bias and residual code), for SDPA (CPU: the math path, because the relative
 * position bias is a float mask) and eager attention.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inferencePeak, savedActivations } from "./analysis.js";
import { GraphBuilder } from "./builder.js";
import { graphParams } from "./graph.js";
import { beit } from "./models/beit.js";
import { getVisionModel } from "./registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const truth = fs
  .readFileSync(path.join(repo, "bench/vision/beit-cpu-torch2.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

describe("BEiT vs transformers on torch 2.13 CPU", () => {
  for (const r of truth) {
    it(`${r.model} ${r.attention} b${r.batch}`, () => {
      const build = beit({ dim: 768, depth: 12, heads: 12, mlp: 3072, patch: 16, img: 224, relPos: "layer", dropPath: r.drop_path });
      const mk = (training: boolean) => {
        const b = new GraphBuilder("fp32", { device: "cpu" });
        return b.finish(build(b, b.input([r.batch, 3, ...r.image]), { training, attention: r.attention, classes: 1000 }));
      };
      const g = mk(true);
      expect(graphParams(g)).toBe(r.params);
      expect(Math.abs(savedActivations(g).bytes / r.saved_bytes - 1)).toBeLessThan(0.01);
      expect(Math.abs(inferencePeak(mk(false), "cpu").bytes / r.infer_peak_bytes - 1)).toBeLessThan(0.06);
    });
  }
  it("names resolve to the same graph", () => {
    expect(getVisionModel("microsoft/beit-base-patch16-224").classes).toBe(1000);
    expect(getVisionModel("microsoft/beit-base-patch16-224-pt22k-ft22k").classes).toBe(21841);
  });
});
