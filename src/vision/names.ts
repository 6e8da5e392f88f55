/**
 * The model names people type → a composed VisionModel: MMDetection/MMSegmentation/MMYOLO config names
 * (`retinanet_r50_fpn_1x_coco`, `cascade-mask-rcnn_x101-32x4d_fpn_1x`, `pspnet_r101-d8`, `segformer-b2`),
 * detectron2 config names (`mask_rcnn_R_50_FPN_3x`, `faster_rcnn_R_101_C4_3x`), Ultralytics weights
 * (`yolo11n-seg`, `yolov8s-pose`, `yolo11m-obb.pt`, `yolov8n-cls`), torchvision and timm model names
 * (`resnext101_32x8d`, `convnextv2_tiny`, `vit_base_patch14_dinov2`, `swin_base_patch4_window12_384`).
 * Parsing is pure; an unknown name returns undefined (the registry then suggests close names).
 */
import { efficientnet, REGNETS, regnet, timmVit } from "./models/classifiers.js";
import { CONVNEXTS, type ConvNextSpec, convnext } from "./models/convnext.js";
import { resnet, resnetD } from "./models/resnet.js";
import { type BackboneSpec, composedDetector, type DetArch, type DetectorSpec, type DetFramework } from "./models/detectors.js";
import { type SegHead, type SegmenterSpec, segmenter } from "./models/mmseg.js";
import { samEncoder } from "./models/sam.js";
import { sam2Encoder } from "./models/sam2.js";
import { detr } from "./models/detr.js";
import { beit } from "./models/beit.js";
import { RTDETR_SPECS, rtdetr } from "./models/rtdetr.js";
import { swin, swinSpec } from "./models/swin.js";
import { mask2former } from "./models/mask2former.js";
import { defaultClasses, type YoloTask, yolo11, yolov8 } from "./models/yolo.js";
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
  if (bb.kind === "vitdet") return `ViTDet ViT-${bb.size.toUpperCase()} + SimpleFeaturePyramid`;
  const x = bb.groups && bb.groups > 1 ? `ResNeXt-${bb.depth} ${bb.groups}x${bb.width}d` : `ResNet-${bb.depth}`;
  return `${x}${bb.style === "caffe" ? " caffe" : ""}${bb.deepStem ? " V1c" : ""}${bb.avgDown ? "d" : ""}`;
}

/** MMDetection 3.x / 2.x config names: arch_backbone_neck[_head options][_schedule][_dataset]. */
function parseMmdet(name: string): VisionModel | undefined {
  let s = name.toLowerCase();
  // The all-hyphen spelling people type (cascade-rcnn-r50-fpn, mask-rcnn-swin-t-p4-w7-fpn-1x-coco) → the config
  // name's underscores between architecture, backbone, neck and the rest.
  const hy = /^([a-z]+(?:-[a-z]+)*?)-(r\d+(?:-caffe)?|x\d+-\d+x\d+d|swin-[tsbl](?:-p4)?(?:-w\d+)?|convnext-[tsbl](?:-p4)?(?:-w\d+)?)-((?:pa)?fpn)((?:-[\w]+)*)$/.exec(s);
  if (hy && !s.includes("_")) s = `${hy[1]}_${hy[2]}_${hy[3]}${hy[4].replace(/-/g, "_")}`;
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

// ---- Ultralytics tasks --------------------------------------------------------------------------

const TASKS: Record<string, YoloTask> = { seg: "segment", pose: "pose", obb: "obb", cls: "classify" };

function parseUltralytics(name: string): VisionModel | undefined {
  const m = /^yolo(v8|11|v11)([nsmlx])-(seg|pose|obb|cls)$/.exec(name.toLowerCase());
  if (!m) return undefined;
  const v11 = m[1] !== "v8";
  const task = TASKS[m[3]];
  const yaml = `${v11 ? "11/yolo11" : "v8/yolov8"}-${m[3]}.yaml`;
  return {
    id: name.toLowerCase(),
    aliases: [],
    family: task === "classify" ? "cnn" : task === "segment" ? "segmentation" : "detector",
    architecture: `Ultralytics YOLO${v11 ? "11" : "v8"} ${task} (ultralytics/cfg/models/${yaml})`,
    build: (v11 ? yolo11 : yolov8)(m[2], task),
    default_image: task === "classify" ? [224, 224] : task === "obb" ? [1024, 1024] : [640, 640],
    classes: defaultClasses(task),
    published_params: null,
    params_source: `Ultralytics ${yaml} scales comment / docs table (bench/accuracy/incoming/vision-params.jsonl)`,
    notes: task === "segment" ? "the mask loss is sized for top-10 anchors per object (max_boxes in the busiest image)" : undefined,
  };
}

// ---- torchvision and timm classifiers --------------------------------------------------------------

function cls(id: string, family: VisionModel["family"], architecture: string, build: VisionModel["build"], source: string, image = 224, extra: Partial<VisionModel> = {}): VisionModel {
  return { id, aliases: [], family, architecture, build, default_image: [image, image], classes: 1000, published_params: null, params_source: source, ...extra };
}

const VIT_SIZES: Record<string, [number, number, number]> = { tiny: [192, 12, 3], small: [384, 12, 6], base: [768, 12, 12], large: [1024, 24, 16], huge: [1280, 32, 16] };
const TV_VIT: Record<string, [string, number]> = { vit_b_16: ["base", 16], vit_b_32: ["base", 32], vit_l_16: ["large", 16], vit_l_32: ["large", 32], vit_h_14: ["huge", 14] };

function parseClassifier(name: string): VisionModel | undefined {
  const s = name.toLowerCase();
  const TV = `torchvision.models.${s} (torchvision 0.14 definitions)`;
  const TIMM = `timm.create_model("${s}") (timm 1.0 definitions)`;
  let m = /^(resnet(?:18|34|50|101|152)|resnext50_32x4d|resnext101_32x8d|resnext101_64x4d|resnext101_32x4d|wide_resnet50_2|wide_resnet101_2)$/.exec(s);
  if (m) return cls(s, "cnn", "torchvision / timm ResNet", resnet(m[1]), TV);
  m = /^resnet(50|101|152)d$/.exec(s);
  if (m) return cls(s, "cnn", "timm ResNet-D (deep stem 32-32-64, average-pool shortcuts)", resnetD(Number(m[1])), TIMM);
  m = /^efficientnet_b([0-7])$/.exec(s);
  if (m) return cls(s, "cnn", `torchvision EfficientNet-B${m[1]}`, efficientnet(Number(m[1])), TV, [224, 240, 288, 300, 380, 456, 528, 600][Number(m[1])]);
  m = /^(?:efficientnet_v2_|tf_efficientnetv2_)([sml])$/.exec(s);
  if (m) return cls(s, "cnn", `torchvision EfficientNetV2-${m[1].toUpperCase()}`, efficientnet(`v2_${m[1]}` as "v2_s"), TV, { s: 384, m: 480, l: 480 }[m[1]]!);
  m = /^regnet_?([xy])_?(\d+(?:_\d+)?(?:mf|gf))$/.exec(s);
  if (m && REGNETS[`${m[1]}_${m[2]}`]) return cls(s, "cnn", `torchvision RegNet${m[1].toUpperCase()}-${m[2].toUpperCase()}`, regnet(REGNETS[`${m[1]}_${m[2]}`]), TV);
  m = /^(?:convnext|convnext_)(atto|femto|pico|nano|tiny|small|base|large|xlarge)$/.exec(s);
  if (m) return cls(s, "cnn", `ConvNeXt-${m[1]}`, convnext(CONVNEXTS[m[1]]), TV);
  m = /^convnextv2_(atto|femto|pico|nano|tiny|base|large|huge)$/.exec(s);
  if (m) return cls(s, "cnn", `timm ConvNeXt V2-${m[1]} (GRN)`, convnext({ ...CONVNEXTS[m[1]], v2: true }), TIMM);
  m = /^swin_([tsb])$/.exec(s);
  if (m) return cls(s, "vit", `torchvision Swin-${m[1].toUpperCase()}`, swin(swinSpec(m[1])), TV, 224, { attention: "eager" });
  m = /^swin_(tiny|small|base|large)_patch4_window(7|12)_(224|384)$/.exec(s);
  if (m) return cls(s, "vit", `timm Swin-${m[1]} window ${m[2]}`, swin(swinSpec(m[1][0], Number(m[2]))), TIMM, Number(m[3]), { attention: "eager" });
  m = /^(vit_[bhl]_(?:16|32|14))$/.exec(s);
  if (m && TV_VIT[m[1]] && !["vit_b_16", "vit_l_16"].includes(m[1])) {
    const [size, patch] = TV_VIT[m[1]];
    const [dim, depth, heads] = VIT_SIZES[size];
    return cls(s, "vit", "torchvision VisionTransformer (timm-equivalent tensors)", timmVit({ patch, dim, depth, heads, mlpRatio: 4, img: 224, posFromInput: true }), TV);
  }
  m = /^(vit|deit|deit3)_(tiny|small|base|large|huge)_patch(8|14|16|32)_(224|384)(?:_.*)?$/.exec(s);
  if (m) {
    const [dim, depth, heads] = VIT_SIZES[m[2]];
    // ImageNet-21k feature checkpoints that timm creates without a classifier (default_cfg num_classes=0).
    const noHead = s === "vit_huge_patch14_224" || s === "vit_large_patch32_224";
    return cls(s, "vit", `timm ${m[1] === "vit" ? "ViT" : m[1] === "deit" ? "DeiT" : "DeiT III"}-${m[2]}/${m[3]}${noHead ? " (no head)" : ""}`, timmVit({ patch: Number(m[3]), dim, depth, heads, mlpRatio: 4, img: Number(m[4]), layerScale: m[1] === "deit3", head: !noHead }), TIMM, Number(m[4]), { attention: "sdpa" });
  }
  m = /^vit_(small|base|large)_patch14_dinov2$/.exec(s);
  if (m) {
    const [dim, depth, heads] = VIT_SIZES[m[1]];
    return cls(s, "vit", `timm DINOv2 ViT-${m[1]}/14 (LayerScale, no head)`, timmVit({ patch: 14, dim, depth, heads, mlpRatio: 4, img: 518, layerScale: true, head: false }), TIMM, 518, { attention: "sdpa" });
  }
  return undefined;
}

/** Composed names the pickers list (any other name the parsers understand resolves too). */
export const VISION_NAME_EXAMPLES: readonly string[] = [
  ...["v8", "11"].flatMap((v) => ["n", "s", "m", "l", "x"].flatMap((s) => ["seg", "pose", "obb", "cls"].map((t) => `yolo${v}${s}-${t}`))),
  "faster-rcnn_r50_fpn_1x_coco", "faster-rcnn_r101_fpn_1x_coco", "faster-rcnn_x101-64x4d_fpn_1x_coco", "mask-rcnn_r50_fpn_1x_coco", "mask-rcnn_r101_fpn_1x_coco",
  "cascade-rcnn_r50_fpn_1x_coco", "cascade-mask-rcnn_r50_fpn_1x_coco", "cascade-mask-rcnn_x101-32x4d_fpn_1x_coco", "retinanet_r18_fpn_1x_coco", "retinanet_r50_fpn_1x_coco",
  "retinanet_r101_fpn_1x_coco", "fcos_r50-caffe_fpn_gn-head_1x_coco", "atss_r50_fpn_1x_coco", "mask-rcnn_swin-t-p4-w7_fpn_1x_coco", "mask-rcnn_convnext-t-p4-w7_fpn_amp-ms-crop-3x_coco",
  "faster_rcnn_R_50_FPN_3x", "faster_rcnn_R_50_C4_3x", "faster_rcnn_R_50_DC5_3x", "mask_rcnn_R_50_FPN_3x", "mask_rcnn_R_101_FPN_3x", "mask_rcnn_X_101_32x8d_FPN_3x",
  "cascade_mask_rcnn_R_50_FPN_3x", "retinanet_R_50_FPN_3x", "keypoint_rcnn_R_50_FPN_3x", "panoptic_fpn_R_50_3x",
  "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn", "fcos_resnet50_fpn",
  "fcn_r50-d8", "pspnet_r101-d8", "deeplabv3_r50-d8", "deeplabv3plus_r50-d8", "deeplabv3plus_r101-d8", "upernet_r50", "upernet_r101",
  "segformer-b0", "segformer-b2", "segformer-b5", "convnext-tiny_upernet", "swin-tiny-patch4-window7-in1k-pre_upernet",
  "resnet34", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2", "resnet50d",
  ...[1, 2, 3, 4, 5, 6, 7].map((i) => `efficientnet_b${i}`), "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
  "regnet_y_400mf", "regnet_y_1_6gf", "regnet_y_16gf", "regnet_x_3_2gf", "regnet_x_32gf",
  "convnext_small", "convnext_base", "convnext_large", "convnextv2_tiny", "convnextv2_base", "convnextv2_large",
  "swin_s", "swin_b", "swin_base_patch4_window12_384", "swin_large_patch4_window7_224",
  "vit_b_32", "vit_h_14", "vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_384", "vit_large_patch16_224", "deit_small_patch16_224", "deit3_base_patch16_224",
  "vit_small_patch14_dinov2", "vit_base_patch14_dinov2", "vit_large_patch14_dinov2",
  "sam_vit_b", "sam_vit_l", "sam_vit_h", "detr_resnet50", "detr_resnet101", "detr_resnet50_dc5", "rtdetr_r18vd", "rtdetr_r50vd", "rtdetr_r101vd", "beit_base_patch16_224", "beit_large_patch16_224", "sam2.1_hiera_tiny", "sam2.1_hiera_base_plus", "sam2.1_hiera_large", "mask_rcnn_vitdet_b_100ep", "cascade_mask_rcnn_vitdet_l_100ep",
];

// ---- Segment Anything image encoders ---------------------------------------------------------------

function parseSam(name: string): VisionModel | undefined {
  const m = /^(?:sam[_-]vit[_-]([blh])|facebook\/sam-vit-(base|large|huge))(?:_[0-9a-f]+)?$/i.exec(name);
  if (!m) return undefined;
  const size = (m[1] ?? m[2][0]).toLowerCase() as "b" | "l" | "h";
  return {
    id: `sam_vit_${size}`,
    aliases: [],
    family: "vit",
    architecture: `Segment Anything ViT-${size.toUpperCase()} image encoder (windowed attention, relative positions, 256-channel neck)`,
    build: samEncoder(size),
    default_image: [1024, 1024],
    classes: 1,
    published_params: null,
    params_source: "segment_anything ImageEncoderViT; equals transformers SamVisionModel (ViT-B 89,670,912 / L 308,278,272 / H 637,026,048 with transformers 5.18)",
    attention: "eager",
    notes: "image encoder only (the prompt encoder and mask decoder are small); the image must be 1024×1024 for the checkpoint's position embedding",
  };
}

/**
 * detectron2 projects/ViTDet: mask_rcnn_vitdet_{b,l,h}_*ep and cascade_mask_rcnn_vitdet_* (LayerNorm in the
 * pyramid and in the 4-conv box head and mask head, LSJ 1024² input), cascade_mask_rcnn_swin_{b,l}_in21k_*ep
 * (Swin window 7 + FPN with LayerNorm heads).
 */
function parseVitdet(name: string): VisionModel | undefined {
  const m = /^(mask_rcnn|cascade_mask_rcnn)_(vitdet|swin)_([bhl])(?:_in21k)?_\d+ep$/.exec(name.toLowerCase());
  if (!m) return undefined;
  const bb: BackboneSpec = m[2] === "vitdet" ? { kind: "vitdet", size: m[3] as "b" | "l" | "h" } : { kind: "swin", spec: swinSpec(m[3], 7, m[3] === "b" ? 0.3 : 0.3) };
  if (bb.kind === "swin" && m[3] === "h") return undefined;
  const spec: DetectorSpec = { framework: "detectron2", arch: m[1] === "mask_rcnn" ? "mask_rcnn" : "cascade_mask_rcnn", backbone: bb, boxHead: "4conv1fc", headNorm: "ln" };
  const model = detectorModel(name.toLowerCase(), spec, `detectron2 projects/ViTDet/configs/COCO/${name.toLowerCase()}.py`);
  model.default_image = [1024, 1024];
  model.attention = "eager";
  return model;
}

// ---- DETR ------------------------------------------------------------------------------------------

/** facebookresearch/detr hub names (detr_resnet50, detr_resnet101_dc5), Hub ids (facebook/detr-resnet-50[-dc5]). */
function parseDetr(name: string): VisionModel | undefined {
  const m = /^(?:detr[_-](?:resnet|r)(50|101)(?:[_-](dc5))?|facebook\/detr-resnet-(50|101)(-dc5)?)$/i.exec(name.trim());
  if (!m) return undefined;
  const depth = Number(m[1] ?? m[3]) as 50 | 101;
  const dc5 = !!(m[2] ?? m[4]);
  return {
    id: `detr_resnet${depth}${dc5 ? "_dc5" : ""}`,
    aliases: [],
    family: "detector",
    architecture: `DETR ResNet-${depth}${dc5 ? "-DC5" : ""} (facebookresearch/detr: FrozenBN backbone, 6+6 post-norm transformer, 100 queries, auxiliary losses)`,
    build: detr({ depth, dc5 }),
    default_image: [800, 1333],
    classes: 91,
    published_params: null,
    params_source: "facebookresearch/detr models/detr.py; equals transformers DetrForObjectDetection (R50 41,524,768 / R101 60,464,672 with transformers 5.18, 91 classes)",
    attention: "eager",
    notes: "nn.MultiheadAttention with need_weights=True keeps the S×S attention probabilities (math path); the Hungarian matcher and the losses are sized from --max-boxes and --num-queries",
  };
}

/** MMDetection configs/detr: detr_r50_8xb2-150e_coco (3.x), detr_r50_8x2_150e_coco (2.x), detr_r101_…. */
function parseMmdetDetr(name: string): VisionModel | undefined {
  const m = /^detr_r(50|101)_8x(?:b)?\d+[-_]\d+e(?:_coco)?$/i.exec(name.trim());
  if (!m) return undefined;
  const depth = Number(m[1]) as 50 | 101;
  return {
    id: name.trim().toLowerCase(),
    aliases: [],
    family: "detector",
    architecture: `MMDetection DETR ResNet-${depth} (BN frozen with norm_eval, frozen_stages=1; 6+6 transformer, 100 queries, 80 classes)`,
    build: detr({ depth, mmdet: true }),
    default_image: [800, 1333],
    classes: 80,
    published_params: null,
    params_source: `composed from MMDetection configs/detr/detr_r${depth}_8xb2-150e_coco.py (the facebookresearch/detr modules with BN affine parameters and an 81-way classifier)`,
    attention: "eager",
    notes: "the Hungarian matcher and the losses are sized from --max-boxes and --num-queries",
  };
}

// ---- RT-DETR (transformers) -------------------------------------------------------------------------

/** rtdetr_r18vd … rtdetr_r101vd (transformers' PekingU/rtdetr_* checkpoints; paper names rtdetr-r50). */
function parseRtDetr(name: string): VisionModel | undefined {
  const m = /^(?:pekingu\/)?rt[-_]?detr[-_](r18|r34|r50|r101)(?:vd)?(?:[-_](?:coco|o365)[\w-]*)?$/i.exec(name.trim());
  if (!m) return undefined;
  const key = m[1].toLowerCase();
  return {
    id: `rtdetr_${key}vd`,
    aliases: [],
    family: "detector",
    architecture: `RT-DETR ${key.toUpperCase()}vd (transformers RTDetrForObjectDetection: PResNet-vd, hybrid encoder, ${RTDETR_SPECS[key].decLayers}-layer deformable decoder, 300 queries)`,
    build: rtdetr(RTDETR_SPECS[key]),
    default_image: [640, 640],
    classes: 80,
    published_params: null,
    params_source: "transformers 5.18 RTDetrForObjectDetection with the paper's configurations (R18 20,174,608 / R34 31,424,388 / R50 42,891,372 / R101 76,556,268; RT-DETR paper: 20M / 31M / 42M / 76M)",
    attention: "sdpa",
    notes: "denoising queries, the Hungarian matcher and the losses are labelled approximations sized from --max-boxes",
  };
}

// ---- BEiT (transformers / timm names) --------------------------------------------------------------------

/** beit_base_patch16_224, beit_large_patch16_384, microsoft/beit-base-patch16-224[-pt22k-ft22k]. */
function parseBeit(name: string): VisionModel | undefined {
  const m = /^(?:microsoft\/)?beit[-_](base|large)[-_]patch16[-_](224|384|512)(?:[-_.](pt22k[-_]ft22k|in22k[-_]ft_in22k|in22k[-_]ft_in22k_in1k|pt22k[-_]ft22kto1k))?$/i.exec(name.trim());
  if (!m) return undefined;
  const large = m[1].toLowerCase() === "large";
  const img = Number(m[2]);
  const in22k = !!m[3] && /ft22k$|ft_in22k$/i.test(m[3]);
  return {
    id: name.trim().toLowerCase(),
    aliases: [],
    family: "vit",
    architecture: `BEiT-${large ? "L" : "B"}/16 at ${img} (transformers BeitForImageClassification: relative position bias per layer, layer scale, mean pooling)`,
    build: beit({ dim: large ? 1024 : 768, depth: large ? 24 : 12, heads: large ? 16 : 12, mlp: large ? 4096 : 3072, patch: 16, img, relPos: "layer" }),
    default_image: [img, img],
    classes: in22k ? 21841 : 1000,
    published_params: null,
    params_source: "transformers 5.18 BeitForImageClassification (B/16-224 86,530,984; L/16-224 304,430,568; B/16-384 86,744,104; 21,841 labels 102,557,713)",
    attention: "sdpa",
  };
}

// ---- SAM 2 image encoders ------------------------------------------------------------------------------

/** sam2_hiera_tiny / sam2.1_hiera_small / sam2.1_hiera_b+ / facebook/sam2.1-hiera-large (the image encoder only). */
function parseSam2(name: string): VisionModel | undefined {
  const m = /^(?:facebook\/)?sam2(\.1)?[-_]hiera[-_](tiny|small|base[-_]plus|b\+|large|t|s|l)(?:\.pt)?$/i.exec(name.trim());
  if (!m) return undefined;
  const k = m[2].toLowerCase();
  const size = (k.startsWith("t") ? "t" : k.startsWith("s") ? "s" : k.startsWith("l") ? "l" : "b+") as "t" | "s" | "b+" | "l";
  const label = { t: "tiny", s: "small", "b+": "base_plus", l: "large" }[size];
  return {
    id: `sam2${m[1] ?? ""}_hiera_${label}`,
    aliases: [],
    family: "vit",
    architecture: `SAM 2${m[1] ?? ""} image encoder, Hiera-${size.toUpperCase()} + FPN neck (facebookresearch/sam2 hieradet.py, SDPA)`,
    build: sam2Encoder(size),
    default_image: [1024, 1024],
    classes: 1,
    published_params: null,
    params_source: "facebookresearch/sam2 configs/sam2.1/sam2.1_hiera_*.yaml; equals transformers 5.18 Sam2VisionModel with those settings (T 27,219,136 / S 34,316,992 / B+ 69,106,816 / L 212,703,280)",
    attention: "sdpa",
    notes: "image encoder only: SAM 2's memory attention, memory encoder, prompt encoder and mask decoder are not counted",
  };
}

// ---- Mask2Former (transformers facebook/mask2former-* checkpoints, MMDetection configs/mask2former) ----------

/** Labels of the Mask2Former datasets: COCO instance 80 / panoptic 133, ADE20K 150, Cityscapes semantic and
 * panoptic 19 / instance 8, Mapillary Vistas 65 (facebookresearch/Mask2Former configs, NUM_CLASSES). */
const M2F_LABELS: Record<string, number> = { "coco-instance": 80, "coco-panoptic": 133, "ade-semantic": 150, "ade-panoptic": 150, "cityscapes-semantic": 19, "cityscapes-panoptic": 19, "cityscapes-instance": 8, "mapillary-vistas-semantic": 65, "mapillary-vistas-panoptic": 65 };

/** facebook/mask2former-swin-tiny-coco-instance, mask2former_swin_large_ade_semantic, mask2former_r50_8xb2-lsj-50e_coco, mask2former_swin-t-p4-w7-224_8xb2-lsj-50e_coco-panoptic. */
function parseMask2Former(name: string): VisionModel | undefined {
  const raw = name.trim();
  const hf = /^(?:facebook\/)?mask2former[-_]swin[-_](tiny|small|base|large)(?:[-_](?:in21k|IN21k))?[-_](coco[-_](?:instance|panoptic)|ade[-_](?:semantic|panoptic)|cityscapes[-_](?:semantic|panoptic|instance)|mapillary[-_]vistas[-_](?:semantic|panoptic))$/i.exec(raw);
  if (hf) {
    const size = hf[1].toLowerCase() as "tiny" | "small" | "base" | "large";
    const task = hf[2].toLowerCase().replace(/_/g, "-");
    const [dataset, kind] = [task.replace(/-(instance|panoptic|semantic)$/, ""), task.replace(/^.*-/, "")];
    const window = size === "base" || size === "large" ? 12 : 7;
    // Mask2Former's Swin-L configs use 200 queries for instance and panoptic segmentation, 100 otherwise.
    const queries = size === "large" && kind !== "semantic" ? 200 : 100;
    const image: [number, number] = dataset === "coco" ? [1024, 1024] : dataset === "cityscapes" ? [512, 1024] : size === "large" ? [640, 640] : [512, 512];
    return {
      id: `mask2former_swin_${size}_${task.replace(/-/g, "_")}`,
      aliases: [],
      family: "segmentation",
      architecture: `Mask2Former Swin-${size[0].toUpperCase()} ${task} (transformers Mask2FormerForUniversalSegmentation: 6-layer deformable pixel decoder, 9 masked-attention layers, ${queries} queries)`,
      build: mask2former({ backbone: { kind: "swin", spec: swinSpec(size[0], window) }, queries }),
      default_image: image,
      classes: M2F_LABELS[task],
      published_params: null,
      params_source: "transformers 5.18 Mask2FormerForUniversalSegmentation with the checkpoints' Swin settings (bench/vision/mask2former_params.py: Swin-T COCO instance 47,423,179; S 68,741,083; B 106,906,249; L 200 queries 215,525,061); model card / paper: Swin-T 47M",
      attention: "eager",
      notes: "mask labels, the Hungarian matcher on 12544 sampled points and the point-sampled mask losses are labelled approximations sized from --max-boxes (masks per image) and --num-queries; the Swin backbone follows torchvision's window attention",
    };
  }
  const mm = /^mask2former_(r50|r101|swin-([tsbl])-p4-w(7|12)(?:-(?:224|384))?(?:-in21k)?)_(\d+xb\d+)-lsj-(\d+e)_(coco(?:-panoptic)?)$/i.exec(raw);
  if (!mm) return undefined;
  const panoptic = mm[6].toLowerCase() === "coco-panoptic";
  const resnetDepth = mm[1].toLowerCase() === "r50" ? 50 : mm[1].toLowerCase() === "r101" ? 101 : undefined;
  const swinSize = mm[2]?.toLowerCase();
  const queries = swinSize === "l" ? 200 : 100;
  return {
    id: raw.toLowerCase(),
    aliases: [],
    family: "segmentation",
    architecture: `MMDetection Mask2Former ${resnetDepth ? `ResNet-${resnetDepth} (BN frozen, norm_eval)` : `Swin-${swinSize!.toUpperCase()}`} COCO ${panoptic ? "panoptic" : "instance"} (${queries} queries, LSJ 1024)`,
    build: mask2former({ backbone: resnetDepth ? { kind: "resnet", depth: resnetDepth as 50 | 101 } : { kind: "swin", spec: swinSpec(swinSize!, Number(mm[3])), hfLayernorm: false }, queries }),
    default_image: [1024, 1024],
    classes: panoptic ? 133 : 80,
    published_params: null,
    params_source: "composed in transformers' Mask2Former layout with MMDetection's backbone (configs/mask2former); MMDetection's own module count not checked",
    attention: "eager",
    notes: "mmcv's CUDA multi-scale deformable attention is modelled by the PyTorch grid_sample path (approx); loss-side tensors are labelled approximations sized from --max-boxes and --num-queries",
  };
}

/** Every name parser, tried in order (the first that understands a name wins). */
const PARSERS: readonly Parser[] = [
  parseDetectron2,
  parseMmdet,
  parseTorchvisionDet,
  parseMmseg,
  parseUltralytics,
  parseClassifier,
  parseSam,
  parseVitdet,
  parseDetr,
  parseMmdetDetr,
  parseRtDetr,
  parseBeit,
  parseSam2,
  parseMask2Former,
];
