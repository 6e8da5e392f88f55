/**
 * The model names people type → a composed VisionModel: MMDetection/MMSegmentation/MMYOLO config names
 * (`retinanet_r50_fpn_1x_coco`, `cascade-mask-rcnn_x101-32x4d_fpn_1x`, `pspnet_r101-d8`, `segformer-b2`),
 * detectron2 config names (`mask_rcnn_R_50_FPN_3x`, `faster_rcnn_R_101_C4_3x`), Ultralytics weights
 * (`yolo11n-seg`, `yolov8s-pose`, `yolo11m-obb.pt`, `yolov8n-cls`), torchvision and timm model names
 * (`resnext101_32x8d`, `convnextv2_tiny`, `vit_base_patch14_dinov2`, `swin_base_patch4_window12_384`).
 * Parsing is pure; an unknown name returns undefined (the registry then suggests close names).
 */
import { CONVNEXTS, type ConvNextSpec } from "./models/convnext.js";
import { type BackboneSpec, composedDetector, type DetArch, type DetectorSpec, type DetFramework } from "./models/detectors.js";
import { type SegHead, type SegmenterSpec, segmenter } from "./models/mmseg.js";
import { swinSpec } from "./models/swin.js";
import type { VisionModel } from "./registry.js";

const cache = new Map<string, VisionModel | null>();

/** A name → VisionModel, or undefined when no parser understands it. */
export function parseVisionName(name: string): VisionModel | undefined {
  const key = name.trim().toLowerCase().replace(/\.(pt|pth|py|yaml)$/, "");
  if (cache.has(key)) return cache.get(key) ?? undefined;
  let m: VisionModel | undefined;
  for (const p of PARSERS) {
    m = p(name.trim().replace(/\.(pt|pth|py|yaml)$/i, ""));
    if (m) break;
  }
  cache.set(key, m ?? null);
  return m;
}

type Parser = (name: string) => VisionModel | undefined;
const PARSERS: Parser[] = [];

/** Register another parser (segmenters, Ultralytics tasks, timm/HF models live in their own modules). */
export function addNameParser(p: Parser): void {
  PARSERS.push(p);
  cache.clear();
}

// ---- detectors -------------------------------------------------------------------------------

const MMDET_ARCH: Record<string, DetArch> = {
  "faster-rcnn": "faster_rcnn",
  "mask-rcnn": "mask_rcnn",
  "cascade-rcnn": "cascade_rcnn",
  "cascade-mask-rcnn": "cascade_mask_rcnn",
  rpn: "rpn",
  "fast-rcnn": "fast_rcnn",
  retinanet: "retinanet",
  fcos: "fcos",
  atss: "atss",
  "panoptic-fpn": "panoptic_fpn",
  "keypoint-rcnn": "keypoint_rcnn",
};

/** ResNet / ResNeXt / Swin / ConvNeXt backbone token of an MMDetection name (r50, r101-caffe, x101-32x4d, swin-t-p4-w7, convnext-t-p4-w7). */
function mmBackbone(tok: string): BackboneSpec | undefined {
  let m = /^r(18|34|50|101|152)(?:-(caffe))?$/.exec(tok);
  if (m) return { kind: "resnet", depth: Number(m[1]), style: m[2] === "caffe" ? "caffe" : "pytorch" };
  m = /^x(50|101|152)-(\d+)x(\d+)d$/.exec(tok);
  if (m) return { kind: "resnet", depth: Number(m[1]), groups: Number(m[2]), width: Number(m[3]), style: "pytorch" };
  m = /^swin-([tsbl])(?:-p4)?(?:-w(\d+))?/.exec(tok);
  if (m) return { kind: "swin", spec: swinSpec(m[1], m[2] ? Number(m[2]) : 7) };
  m = /^convnext-([tsbl])/.exec(tok);
  if (m) return { kind: "convnext", spec: { ...CONVNEXTS[{ t: "tiny", s: "small", b: "base", l: "large" }[m[1]]!], sd: 0.4 } as ConvNextSpec };
  return undefined;
}

function detectorModel(id: string, spec: DetectorSpec, source: string): VisionModel {
  const fwLabel = { mmdet: "MMDetection", detectron2: "detectron2", torchvision: "torchvision" }[spec.framework];
  return {
    id,
    aliases: [],
    family: "detector",
    architecture: `${fwLabel} ${spec.arch.replace(/_/g, " ")} (${describeBackbone(spec.backbone)}${spec.neck && spec.neck !== "fpn" ? `, ${spec.neck.toUpperCase()}` : ", FPN"})`,
    build: composedDetector(spec),
    default_image: [800, 1333],
    classes: spec.framework === "torchvision" ? 91 : spec.arch === "keypoint_rcnn" ? 1 : 80,
    published_params: null,
    params_source: `composed from ${fwLabel}'s module definitions (${source})`,
    notes: "RoI sampling, proposals, mask targets and the label assigner are labelled approximations sized from the framework defaults and --max-boxes",
  };
}

function describeBackbone(bb: BackboneSpec): string {
  if (bb.kind === "swin") return `Swin (embed ${bb.spec.embed}, window ${bb.spec.window})`;
  if (bb.kind === "convnext") return `ConvNeXt (dims ${bb.spec.dims.join("/")})`;
  const x = bb.groups && bb.groups > 1 ? `ResNeXt-${bb.depth} ${bb.groups}x${bb.width}d` : `ResNet-${bb.depth}`;
  return `${x}${bb.style === "caffe" ? " caffe" : ""}${bb.deepStem ? " V1c" : ""}${bb.avgDown ? "d" : ""}`;
}

/** MMDetection 3.x / 2.x config names: arch_backbone_neck[_head options][_schedule][_dataset]. */
function parseMmdet(name: string): VisionModel | undefined {
  const s = name.toLowerCase();
  const parts = s.split("_");
  // 2.x names use underscores inside the architecture (faster_rcnn_r50_fpn_1x_coco): rejoin.
  let archTok = parts[0];
  let i = 1;
  while (i < parts.length && !MMDET_ARCH[archTok] && MMDET_ARCH[`${archTok}-${parts[i]}`] === undefined && MMDET_ARCH[[archTok, parts[i], parts[i + 1]].join("-")] === undefined) i = parts.length;
  if (!MMDET_ARCH[archTok]) {
    for (let k = 2; k <= 3 && !MMDET_ARCH[archTok]; k++) {
      const cand = parts.slice(0, k).join("-");
      if (MMDET_ARCH[cand]) {
        archTok = cand;
        i = k;
      }
    }
  }
  const arch = MMDET_ARCH[archTok];
  if (!arch || i >= parts.length) return undefined;
  if (/dcn|dconv|mdconv/.test(s)) return undefined;
  const bb = mmBackbone(parts[i]);
  if (!bb) return undefined;
  const rest = parts.slice(i + 1).join("_");
  if (!/^(fpn|pafpn)/.test(rest)) return undefined;
  const spec: DetectorSpec = { framework: "mmdet", arch, backbone: bb, neck: rest.startsWith("pafpn") ? "pafpn" : "fpn" };
  if (/4conv1fc/.test(rest)) spec.boxHead = "4conv1fc";
  if (/(^|_)gn(_|-|$)|gn-all/.test(rest)) spec.headNorm = "gn";
  const short = parts.slice(0, i + 2).join("_");
  return detectorModel(name, spec, `MMDetection config ${short}`);
}

const D2_ARCH: Record<string, DetArch> = {
  faster_rcnn: "faster_rcnn",
  mask_rcnn: "mask_rcnn",
  cascade_mask_rcnn: "cascade_mask_rcnn",
  retinanet: "retinanet",
  rpn: "rpn",
  fast_rcnn: "fast_rcnn",
  keypoint_rcnn: "keypoint_rcnn",
  panoptic_fpn: "panoptic_fpn",
};

/** detectron2 model zoo names: mask_rcnn_R_50_FPN_3x, faster_rcnn_X_101_32x8d_FPN_3x, retinanet_R_101_FPN_3x, panoptic_fpn_R_50_1x. */
function parseDetectron2(name: string): VisionModel | undefined {
  const m = /^(scratch_)?(faster_rcnn|mask_rcnn|cascade_mask_rcnn|retinanet|rpn|fast_rcnn|keypoint_rcnn|panoptic_fpn)_(R|X)_(\d+)(?:_(\d+)x(\d+)d)?(?:_(FPN|C4|DC5))?(?:_(\d+x))?(?:_(gn|syncbn))?$/.exec(name);
  if (!m) return undefined;
  const [, , archTok, rx, depth, g, w, neck, , norm] = m;
  const bb: BackboneSpec = rx === "X" ? { kind: "resnet", depth: Number(depth), groups: Number(g ?? 32), width: Number(w ?? 8), style: "pytorch" } : { kind: "resnet", depth: Number(depth), style: norm === "gn" ? "pytorch" : "caffe" };
  const spec: DetectorSpec = { framework: "detectron2", arch: D2_ARCH[archTok], backbone: bb, neck: (neck ?? "FPN").toLowerCase() as DetectorSpec["neck"] };
  if (norm) {
    spec.boxHead = "4conv1fc";
    spec.headNorm = norm === "gn" ? "gn" : "bn";
  }
  return detectorModel(name, spec, `detectron2 configs/${archTok === "panoptic_fpn" ? "COCO-PanopticSegmentation" : "COCO-*"}/${name}.yaml`);
}

/** torchvision detection builders beyond the two hand-built ones. */
function parseTorchvisionDet(name: string): VisionModel | undefined {
  const m = /^(maskrcnn|keypointrcnn|fcos)_resnet50_fpn$/.exec(name.toLowerCase());
  if (!m) return undefined;
  const arch: DetArch = m[1] === "maskrcnn" ? "mask_rcnn" : m[1] === "keypointrcnn" ? "keypoint_rcnn" : "fcos";
  const spec: DetectorSpec = { framework: "torchvision" as DetFramework, arch, backbone: { kind: "resnet", depth: 50, style: "pytorch" } };
  const model = detectorModel(name.toLowerCase(), spec, `torchvision.models.detection.${name.toLowerCase()}`);
  model.classes = arch === "keypoint_rcnn" ? 2 : 91;
  return model;
}

PARSERS.push(parseDetectron2, parseMmdet, parseTorchvisionDet);

// ---- semantic segmenters (MMSegmentation) ---------------------------------------------------------

const SEG_HEAD: Record<string, SegHead> = { fcn: "fcn", "fcn-d6": "fcn", pspnet: "psp", deeplabv3: "aspp", deeplabv3plus: "dsaspp" };

function segModel(id: string, spec: SegmenterSpec, ade: boolean, source: string): VisionModel {
  return {
    id,
    aliases: [],
    family: "segmentation",
    architecture: `MMSegmentation ${spec.head === "dsaspp" ? "DeepLabV3+" : spec.head === "aspp" ? "DeepLabV3" : spec.head === "psp" ? "PSPNet" : spec.head === "uper" ? "UPerNet" : spec.head === "segformer" ? "SegFormer" : "FCN"} (${spec.backbone.kind === "resnet" ? `ResNet${spec.backbone.v1c ? "V1c" : "V1b"}-${spec.backbone.depth}, output stride ${spec.backbone.stride}` : spec.backbone.kind === "mit" ? `MiT embed ${spec.backbone.embed}` : spec.backbone.kind})`,
    build: segmenter(spec),
    default_image: ade ? [512, 512] : [512, 1024],
    classes: ade ? 150 : 19,
    published_params: null,
    params_source: `composed from MMSegmentation's module definitions (${source})`,
    notes: ade ? "ADE20K configs (150 classes, 512×512 crop)" : "Cityscapes configs (19 classes, 512×1024 crop); the auxiliary head exists in training only",
  };
}

const MIT_DEPTHS: Record<string, [number, number, number, number]> = { b0: [2, 2, 2, 2], b1: [2, 2, 2, 2], b2: [3, 4, 6, 3], b3: [3, 4, 18, 3], b4: [3, 8, 27, 3], b5: [3, 6, 40, 3] };

function parseMmseg(name: string): VisionModel | undefined {
  const s = name.toLowerCase();
  let m = /^(fcn|fcn-d6|pspnet|deeplabv3|deeplabv3plus)_r(18|50|101)(b)?[-_]d(8|16|32)(?:-mg124)?(?:[-_]rsb)?(?:_.*)?$/.exec(s);
  if (m) {
    const spec: SegmenterSpec = { backbone: { kind: "resnet", depth: Number(m[2]), v1c: !m[3], stride: Number(m[4]) as 8 | 16 | 32 }, head: SEG_HEAD[m[1]], ...(m[1] === "fcn-d6" ? { headDilation: 6 } : {}) };
    return segModel(name, spec, false, `configs/${m[1].replace("-d6", "")}/${name}`);
  }
  m = /^upernet_r(50|101)(?:_.*)?$/.exec(s);
  if (m) return segModel(name, { backbone: { kind: "resnet", depth: Number(m[1]), v1c: true, stride: 32 }, head: "uper" }, true, "configs/upernet");
  m = /^segformer[-_](?:mit-)?(b[0-5])(?:_.*)?$/.exec(s);
  if (m) return segModel(name, { backbone: { kind: "mit", embed: m[1] === "b0" ? 32 : 64, depths: MIT_DEPTHS[m[1]] }, head: "segformer" }, true, `configs/segformer/segformer_mit-${m[1]}`);
  m = /^convnext-(tiny|small|base|large|xlarge)_upernet(?:_.*)?$/.exec(s);
  if (m) return segModel(name, { backbone: { kind: "convnext", spec: { ...CONVNEXTS[m[1]], sd: 0.4 } }, head: "uper" }, true, "configs/convnext");
  m = /^swin-(tiny|small|base|large)-patch4-window(7|12)(?:[-_].*)?_upernet(?:_.*)?$/.exec(s);
  if (m) return segModel(name, { backbone: { kind: "swin", spec: swinSpec(m[1][0], Number(m[2]), 0.3) }, head: "uper" }, true, "configs/swin");
  return undefined;
}

PARSERS.push(parseMmseg);
