/** Names people type resolve to composed models; options that change memory move it the way their mechanism says. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isVramfitError } from "../core/errors.js";
import { estimate } from "../index.js";
import { estimateVision } from "./estimate.js";
import { visionFamily } from "./family.js";
import { VISION_NAME_EXAMPLES } from "./names.js";
import { getVisionModel, isVisionModel } from "./registry.js";

const train = { mode: "train" as const, batch: 2, image: "1333x800", precision: "fp32" as const, optimizer: "sgd-momentum" as const };
const alloc = (name: string, o: Record<string, unknown> = {}) => estimateVision(getVisionModel(name), { ...train, ...o } as never).totals.allocated_bytes;

describe("names", () => {
  it.each([
    ["retinanet_r50_fpn_1x_coco", "detector"],
    ["cascade-rcnn_r50_fpn_1x", "detector"],
    ["cascade-rcnn-r50-fpn", "detector"],
    ["mask-rcnn-swin-t-p4-w7-fpn-1x-coco", "detector"],
    ["faster-rcnn-x101-32x4d-fpn", "detector"],
    ["cascade-mask-rcnn_x101-32x4d_fpn_1x", "detector"],
    ["mask_rcnn_R_50_FPN_3x", "detector"],
    ["faster_rcnn_R_101_C4_3x", "detector"],
    ["yolo11n-seg", "segmentation"],
    ["yolov8s-pose", "detector"],
    ["yolo11m-obb.pt", "detector"],
    ["yolov8n-cls", "cnn"],
    ["pspnet_r101-d8", "segmentation"],
    ["segformer-b2", "segmentation"],
    ["convnextv2_tiny", "cnn"],
    ["vit_base_patch14_dinov2", "vit"],
  ])("%s resolves (%s)", (name, family) => {
    expect(isVisionModel(name)).toBe(true);
    expect(getVisionModel(name).family).toBe(family);
  });

  it("SAM image encoders: transformers' SamVisionModel counts (transformers 5.18, default and L/H configs)", () => {
    expect(estimateVision(getVisionModel("sam_vit_b"), {}).model.parameters).toBe(89_670_912);
    expect(estimateVision(getVisionModel("sam_vit_l"), {}).model.parameters).toBe(308_278_272);
    expect(estimateVision(getVisionModel("facebook/sam-vit-huge"), {}).model.parameters).toBe(637_026_048);
  });

  it("every listed example builds, and the family lists them", () => {
    const ids = new Set(visionFamily.builtins!().map((b) => b.id));
    for (const n of VISION_NAME_EXAMPLES) expect(ids.has(getVisionModel(n).id), n).toBe(true);
  });

  it("unknown or hostile names are one unknown_model error, never a crash", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          getVisionModel(s);
        } catch (e) {
          expect(isVramfitError(e, "unknown_model")).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    for (const s of ["retinanet_r77_fpn", "mask_rcnn_R_50_FPN_1x_dconv_c3-c5", "yolov9z-seg", "regnet_y_9gf", "segformer-b9"]) expect(isVisionModel(s), s).toBe(false);
  });
});

describe("framework conventions move memory by their mechanism", () => {
  it("a frozen backbone keeps less than a trained one (nothing saved in frozen stages)", () => {
    expect(alloc("faster-rcnn_r50_fpn_1x", { frozen_stages: 4 })).toBeLessThan(alloc("faster-rcnn_r50_fpn_1x", { frozen_stages: -1 }));
  });
  it("norm_eval BN saves less than training-mode BN, FrozenBN less than norm_eval", () => {
    const bn = alloc("faster-rcnn_r50_fpn_1x", { norm: "bn" });
    const ev = alloc("faster-rcnn_r50_fpn_1x", { norm_eval: "on" });
    const fz = alloc("faster-rcnn_r50_fpn_1x", { norm: "frozen_bn" });
    expect(ev).toBeLessThanOrEqual(bn);
    expect(fz).toBeLessThan(ev);
  });
  it("DDP adds one copy of the trainable gradients per GPU", () => {
    const e1 = estimateVision(getVisionModel("mask_rcnn_R_50_FPN_3x"), train);
    const e8 = estimateVision(getVisionModel("mask_rcnn_R_50_FPN_3x"), { ...train, gpus: 8 });
    const grads = e8.components.find((c) => c.id === "ddp_buckets")!.bytes;
    expect(grads).toBeGreaterThan(0);
    expect(e8.totals.allocated_bytes - e1.totals.allocated_bytes).toBe(grads);
  });
  it("more ground-truth boxes never need less (the assigner grows)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (a, c) => {
      const [lo, hi] = a <= c ? [a, c] : [c, a];
      return alloc("yolo11n-seg", { max_boxes: lo, image: 320 }) <= alloc("yolo11n-seg", { max_boxes: hi, image: 320 });
    }), { numRuns: 8 });
  });
  it("the auxiliary head costs memory in training only", () => {
    const seg = { mode: "train", batch: 2, image: "1024x512" };
    expect(alloc("pspnet_r50-d8", { ...seg, aux_head: "off" })).toBeLessThan(alloc("pspnet_r50-d8", { ...seg, aux_head: "on" }));
  });
  it("bad convention values are one invalid_option error", () => {
    for (const o of [{ norm: "layer" }, { frozen_stages: 9 }, { resnet_style: "tf" }, { framework: "keras" }, { norm_eval: "maybe" }]) {
      try {
        estimate("faster-rcnn_r50_fpn_1x", { ...train, ...o } as never);
        expect.unreachable(JSON.stringify(o));
      } catch (e) {
        expect(isVramfitError(e, "invalid_option"), JSON.stringify(o)).toBe(true);
      }
    }
  });
});

describe("the all-hyphen MMDetection spelling", () => {
  it("is the same model as the config name", () => {
    for (const [typed, config] of [
      ["cascade-rcnn-r50-fpn", "cascade-rcnn_r50_fpn_1x_coco"],
      ["mask-rcnn-swin-t-p4-w7-fpn-1x-coco", "mask-rcnn_swin-t-p4-w7_fpn_1x_coco"],
      ["faster-rcnn-x101-64x4d-fpn-1x-coco", "faster-rcnn_x101-64x4d_fpn_1x_coco"],
    ]) {
      const a = estimateVision(getVisionModel(typed), train as never);
      const b = estimateVision(getVisionModel(config), train as never);
      expect(a.model.parameters, typed).toBe(b.model.parameters);
      expect(a.totals.allocated_bytes, typed).toBe(b.totals.allocated_bytes);
    }
    expect(isVisionModel("cascade-rcnn-r50-gpn")).toBe(false);
  });
});
