/**
 * Parameter counts of the vision models vramfit composes against the frameworks' published counts
 * (bench/accuracy/incoming/vision-params.jsonl: torchvision Weights num_params, timm results tables, Ultralytics
 * YAML summaries and docs tables). Exact integers must match exactly; counts published as "3.4M" must agree to
 * the printed digit (rounded or truncated, as the tables do both). Every model name the parsers resolve is checked.
 *
 * Classes: the record's dataset; the Ultralytics YAML summary comments ("summary: 344 layers, 2908507 parameters")
 * are counts of the model built from the YAML, nc: 80 — they match with 80 classes to the parameter, not with the
 * checkpoints' 1 (pose), 15 (obb) or 1000 (cls) classes the records' dataset field suggests.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { estimateVision } from "./estimate.js";
import { getVisionModel, isVisionModel } from "./registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const records = fs
  .readFileSync(path.join(repo, "bench/accuracy/incoming/vision-params.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

function classesOf(r: { quote?: string; dataset?: string; framework: string }): number | undefined {
  if (r.framework === "ultralytics" && /summary:/.test(r.quote ?? "")) return 80;
  const m = /(\d+)\s*class|COCO (\d+)|ImageNet:? (\d+)|DOTAv1:? (\d+)|Open Images V7 (\d+)/.exec(r.dataset ?? "");
  if (!m) return undefined;
  return Number(m.slice(1).find((x) => x != null));
}

/** torchvision's SWAG end-to-end weights run ViTs at 384 (B), 512 (L), 518 (H): the position embedding follows. */
function imageOf(r: { model: string; notes?: string }): number | undefined {
  if (!/SWAG_E2E/.test(r.notes ?? "")) return undefined;
  return { vit_b_16: 384, vit_l_16: 512, vit_h_14: 518 }[r.model];
}

function agrees(count: number, published: number | string): boolean {
  if (typeof published === "number") return count === published;
  const m = /^([\d.]+)M$/.exec(published);
  if (!m) return false;
  const digits = (m[1].split(".")[1] ?? "").length;
  const unit = 10 ** -digits;
  const v = Number(m[1]);
  const c = count / 1e6;
  return c >= v - unit / 2 - 1e-9 && c < v + unit + 1e-9;
}

describe("published parameter counts", () => {
  const checked = records.filter((r) => isVisionModel(r.model));
  it("covers the composed families", () => {
    expect(checked.length).toBeGreaterThanOrEqual(170);
    for (const name of ["yolo11n-seg", "yolov8s-pose", "yolo11m-obb", "yolov8n-cls", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn", "fcos_resnet50_fpn", "regnet_y_16gf", "efficientnet_v2_l", "convnextv2_tiny", "vit_base_patch14_dinov2", "swin_base_patch4_window7_224", "resnext101_64x4d"])
      expect(checked.some((r) => r.model === name), name).toBe(true);
  });
  for (const r of checked) {
    it(`${r.model} (${r.framework}) ${r.params}`, () => {
      const classes = classesOf(r);
      const image = imageOf(r);
      const e = estimateVision(getVisionModel(r.model), { ...(classes ? { classes } : {}), ...(image ? { image } : {}) });
      expect(agrees(e.model.parameters, r.params), `${e.model.parameters} vs ${r.params}`).toBe(true);
    });
  }
});
