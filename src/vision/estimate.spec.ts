/**
 * The built-in registry against published parameter counts, and the estimate API's answers
 * (max batch, max image, sweep) against their own definition of "fits".
 */
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import { estimateVision, parseImageSize, visionMaxBatch, visionMaxImage, visionSweep } from "./estimate.js";
import { getVisionModel, visionModels } from "./registry.js";

const gpu24: Gpu = { id: "test-24g", name: "Test 24 GiB", vendor: "nvidia", memory_bytes: 24 * 2 ** 30, arch: "ada" };

describe("registry", () => {
  // Published counts (independent of the engine): Ultralytics YOLOv8 README / model.info(); yolo11.yaml
  // scale comments; YOLOv5 training
  // log summaries; torchvision weights' num_params; milesial U-Net.
  const published: Record<string, number> = {
    yolov8n: 3_157_200,
    yolov8s: 11_166_560,
    yolov8m: 25_902_640,
    yolov8l: 43_691_520,
    yolov8x: 68_229_648,
    yolov5n: 1_872_157,
    yolov5s: 7_235_389,
    yolov5l: 46_563_709,
    yolo11n: 2_624_080,
    yolo11s: 9_458_752,
    yolo11m: 20_114_688,
    yolo11l: 25_372_160,
    yolo11x: 56_966_176,
    unet: 31_037_698,
  };
  for (const [id, n] of Object.entries(published)) {
    it(`${id} has ${n.toLocaleString("en-US")} parameters`, () => {
      const m = getVisionModel(id);
      expect(estimateVision(m, { image: m.default_image }).model.parameters).toBe(n);
    });
  }

  it("every entry with a published count matches it at its default image", () => {
    for (const m of visionModels) {
      if (m.published_params == null) continue;
      expect(estimateVision(m, {}).model.parameters, m.id).toBe(m.published_params);
    }
  });

  it("names and aliases resolve; unknown names suggest", () => {
    expect(getVisionModel("YOLOv8n").id).toBe("yolov8n");
    expect(getVisionModel("faster-rcnn").id).toBe("fasterrcnn_resnet50_fpn");
    expect(() => getVisionModel("yolov8q")).toThrow(VramfitError);
  });
});

describe("estimate", () => {
  it("training memory grows with image size faster than with batch (YOLO activations ∝ pixels)", () => {
    const m = getVisionModel("yolov8s");
    const a = estimateVision(m, { mode: "train", batch: 8, image: 640 }).totals.allocated_bytes;
    const b = estimateVision(m, { mode: "train", batch: 8, image: 1280 }).totals.allocated_bytes;
    expect(b / a).toBeGreaterThan(3);
    expect(b / a).toBeLessThan(4.5);
  });

  it("totals are allocated ≤ reserved ≤ device, and every component is a safe integer", () => {
    for (const id of ["resnet50", "vit_b_16", "yolov8n", "fasterrcnn_resnet50_fpn", "unet"]) {
      for (const mode of ["infer", "train"] as const) {
        const e = estimateVision(getVisionModel(id), { mode, batch: 2 });
        expect(e.totals.allocated_bytes).toBeLessThanOrEqual(e.totals.reserved_bytes);
        expect(e.totals.reserved_bytes).toBeLessThanOrEqual(e.totals.device_bytes);
        for (const c of e.components) expect(Number.isSafeInteger(c.bytes) && c.bytes >= 0, `${id} ${c.id}`).toBe(true);
      }
    }
  });

  it("image sizes: 640 is square, 1333x800 is width × height", () => {
    expect(parseImageSize("640")).toEqual([640, 640]);
    expect(parseImageSize("1333x800")).toEqual([800, 1333]);
    expect(() => parseImageSize("big")).toThrow(VramfitError);
    expect(() => parseImageSize(0)).toThrow(VramfitError);
  });

  it("bad workloads give one clear error", () => {
    const m = getVisionModel("resnet18");
    expect(() => estimateVision(m, { batch: 0 })).toThrow(VramfitError);
    expect(() => estimateVision(getVisionModel("unet"), { mode: "train", batch: 2 ** 20, image: 16384 })).toThrow(VramfitError);
    expect(() => estimateVision(m, { precision: "int3" as never })).toThrow(/unknown precision/);
    expect(() => estimateVision(getVisionModel("vit_b_16"), { image: 225 })).toThrow(VramfitError);
    // YOLO's top-down concat needs sizes that halve evenly five times (Ultralytics pads to 32).
    expect(() => estimateVision(getVisionModel("yolov8n"), { image: 100 })).toThrow(/concat/);
  });
});

describe("questions", () => {
  it("max batch fits and max batch + 1 does not", () => {
    const m = getVisionModel("yolov8m");
    const r = visionMaxBatch(m, { mode: "train", image: 640 }, gpu24);
    expect(r.batch).toBeGreaterThan(1);
    expect(r.estimate!.gpu!.fits).toBe(true);
    expect(estimateVision(m, { mode: "train", image: 640, batch: r.batch + 1 }, gpu24).gpu!.fits).toBe(false);
  });

  it("max image keeps the aspect ratio, fits, and one step more does not", () => {
    const m = getVisionModel("unet");
    const r = visionMaxImage(m, { mode: "train", batch: 4, image: "1024x512" }, gpu24);
    const [h, w] = r.image;
    expect(w).toBe(2 * h);
    expect(r.estimate!.gpu!.fits).toBe(true);
    // The next step on the search grid is no larger than [h + 32, w + 64] in either side.
    expect(estimateVision(m, { mode: "train", batch: 4, image: [h + 32, w + 64] }, gpu24).gpu!.fits).toBe(false);
  });

  it("sweep rows rise with image size", () => {
    const rows = visionSweep(getVisionModel("yolov8n"), { mode: "train", batch: 16 }, [320, 640, 960, 1280], gpu24, { maxBatch: true });
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].allocated_bytes).toBeGreaterThan(rows[i - 1].allocated_bytes);
      expect(rows[i].max_batch!).toBeLessThanOrEqual(rows[i - 1].max_batch!);
    }
  });
});

describe("properties", () => {
  it("memory never decreases with batch or image size (random models, modes, sizes)", async () => {
    const fc = await import("fast-check");
    const ids = ["resnet18", "mobilenet_v3_small", "yolov8n", "yolo11n", "unet", "swin_t"];
    fc.assert(
      fc.property(
        fc.constantFrom(...ids),
        fc.constantFrom("infer" as const, "train" as const),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 8 }),
        (id, mode, batch, k) => {
          const m = getVisionModel(id);
          const side = k * 32;
          const base = estimateVision(m, { mode, batch, image: side }).totals.allocated_bytes;
          expect(estimateVision(m, { mode, batch: batch + 1, image: side }).totals.allocated_bytes).toBeGreaterThanOrEqual(base);
          expect(estimateVision(m, { mode, batch, image: side + 32 }).totals.allocated_bytes).toBeGreaterThanOrEqual(base);
        },
      ),
      { numRuns: 40 },
    );
  });
});
