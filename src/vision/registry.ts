/**
 * Built-in vision architectures, addressable by name. Each carries its published parameter count and
 * where it was published; the engine's count (graphParams of the built graph) must equal it, which the
 * tests check.
 */
import { VramfitError, closest } from "../core/errors.js";
import { parseVisionName } from "./names.js";
import { convnextTiny } from "./models/convnext.js";
import { detector } from "./models/detection.js";
import { efficientnetB0, mobilenetV3 } from "./models/mobile.js";
import { segmenter } from "./models/mmseg.js";
import { resnet } from "./models/resnet.js";
import { segmentation } from "./models/segmentation.js";
import { swin } from "./models/swin.js";
import type { BuildFn } from "./models/types.js";
import { unet } from "./models/unet.js";
import { vit } from "./models/vit.js";
import { yolo11, yolov5, yolov8 } from "./models/yolo.js";

export interface VisionModel {
  id: string;
  aliases: string[];
  family: "cnn" | "vit" | "detector" | "segmentation";
  /** Framework and module the graph follows. */
  architecture: string;
  build: BuildFn;
  /** Input shape for a workload; default [batch, 3, h, w]. (ONNX graphs declare their own.) */
  inputShape?: (w: { batch: number; image: [number, number] }) => number[];
  /** Image size the published checkpoint uses ([h, w]). */
  default_image: [number, number];
  /** The only image size the model takes ([h, w]): ONNX graphs exported with fixed height and width. */
  fixed_image?: [number, number];
  /** Classes of the published checkpoint (the head size the parameter count refers to). */
  classes: number;
  /** Published parameter count, or null where no exact published figure was found. */
  published_params: number | null;
  params_source: string;
  /** ModelSource kind of the estimate ("vision-builtin" unless set, "onnx" for ONNX graphs). */
  source_kind?: string;
  /** Attention backend default for transformer models. */
  attention?: "sdpa" | "eager";
  notes?: string;
}

const TV = "torchvision 0.14 model docs / sum(p.numel()) (bench/accuracy/vision-cpu-autograd.jsonl)";
const UL_V8 = "Ultralytics YOLOv8 README table / model.info() (n 3,157,200; s 11,166,560; m 25,902,640; l 43,691,520; x 68,229,648)";

const entry = (e: Omit<VisionModel, "aliases"> & { aliases?: string[] }): VisionModel => ({ aliases: [], ...e });

export const visionModels: VisionModel[] = [
  entry({ id: "resnet18", aliases: ["resnet-18"], family: "cnn", architecture: "torchvision ResNet", build: resnet("resnet18"), default_image: [224, 224], classes: 1000, published_params: 11_689_512, params_source: TV }),
  entry({ id: "resnet50", aliases: ["resnet-50"], family: "cnn", architecture: "torchvision ResNet", build: resnet("resnet50"), default_image: [224, 224], classes: 1000, published_params: 25_557_032, params_source: TV }),
  entry({ id: "resnet101", aliases: ["resnet-101"], family: "cnn", architecture: "torchvision ResNet", build: resnet("resnet101"), default_image: [224, 224], classes: 1000, published_params: 44_549_160, params_source: TV }),
  entry({ id: "mobilenet_v3_large", aliases: ["mobilenetv3", "mobilenet-v3-large", "mobilenet_v3"], family: "cnn", architecture: "torchvision MobileNetV3", build: mobilenetV3("large"), default_image: [224, 224], classes: 1000, published_params: 5_483_032, params_source: TV }),
  entry({ id: "mobilenet_v3_small", aliases: ["mobilenet-v3-small"], family: "cnn", architecture: "torchvision MobileNetV3", build: mobilenetV3("small"), default_image: [224, 224], classes: 1000, published_params: 2_542_856, params_source: TV }),
  entry({ id: "efficientnet_b0", aliases: ["efficientnet-b0"], family: "cnn", architecture: "torchvision EfficientNet", build: efficientnetB0(), default_image: [224, 224], classes: 1000, published_params: 5_288_548, params_source: TV }),
  entry({ id: "convnext_tiny", aliases: ["convnext-t", "convnext_t", "convnext-tiny"], family: "cnn", architecture: "torchvision ConvNeXt", build: convnextTiny(), default_image: [224, 224], classes: 1000, published_params: 28_589_128, params_source: TV }),
  entry({ id: "vit_b_16", aliases: ["vit-b/16", "vit-b-16", "vit_base_patch16_224"], family: "vit", architecture: "torchvision VisionTransformer", build: vit("vit_b_16"), default_image: [224, 224], classes: 1000, published_params: 86_567_656, params_source: TV, attention: "sdpa", notes: "the position embedding follows the image size (interpolated checkpoint), so params change off 224" }),
  entry({ id: "vit_l_16", aliases: ["vit-l/16", "vit-l-16", "vit_large_patch16_224"], family: "vit", architecture: "torchvision VisionTransformer", build: vit("vit_l_16"), default_image: [224, 224], classes: 1000, published_params: 304_326_632, params_source: TV, attention: "sdpa" }),
  entry({ id: "swin_t", aliases: ["swin-t", "swin_tiny"], family: "vit", architecture: "torchvision SwinTransformer v1", build: swin("swin_t"), default_image: [224, 224], classes: 1000, published_params: 28_288_354, params_source: TV, attention: "eager" }),
  ...(["n", "s", "m", "l", "x"] as const).map((s) =>
    entry({
      id: `yolov8${s}`,
      aliases: [`yolov8-${s}`, `yolov8${s}.pt`],
      family: "detector",
      architecture: "Ultralytics YOLOv8 detect (yolov8.yaml)",
      build: yolov8(s),
      default_image: [640, 640],
      classes: 80,
      published_params: { n: 3_157_200, s: 11_166_560, m: 25_902_640, l: 43_691_520, x: 68_229_648 }[s],
      params_source: UL_V8,
    }),
  ),
  ...(["n", "s", "m", "l", "x"] as const).map((s) =>
    entry({
      id: `yolov5${s}`,
      aliases: [`yolov5-${s}`, `yolov5${s}.pt`],
      family: "detector",
      architecture: "Ultralytics YOLOv5 v6.x detect (yolov5*.yaml)",
      build: yolov5(s),
      default_image: [640, 640],
      classes: 80,
      // YOLOv5 training-log model summaries ("YOLOv5s summary: 214 layers, 7235389 parameters"); m and x
      // were not found published at this precision (the README rounds to 21.2M / 86.7M).
      published_params: { n: 1_872_157, s: 7_235_389, m: null, l: 46_563_709, x: null }[s],
      params_source: "YOLOv5 model summary lines in training logs (unfused model, 80 classes)",
    }),
  ),
  ...(["n", "s", "m", "l", "x"] as const).map((s) =>
    entry({
      id: `yolo11${s}`,
      aliases: [`yolov11${s}`, `yolo11-${s}`, `yolo11${s}.pt`],
      family: "detector",
      architecture: "Ultralytics YOLO11 detect (yolo11.yaml: C3k2, SPPF, C2PSA, depthwise class head)",
      build: yolo11(s),
      default_image: [640, 640],
      classes: 80,
      published_params: { n: 2_624_080, s: 9_458_752, m: 20_114_688, l: 25_372_160, x: 56_966_176 }[s],
      params_source: "ultralytics/cfg/models/11/yolo11.yaml scale comments / model.info() (e.g. 'summary: 631 layers, 25372160 parameters')",
    }),
  ),
  entry({ id: "fasterrcnn_resnet50_fpn", aliases: ["faster-rcnn", "faster_rcnn_r50_fpn", "fasterrcnn"], family: "detector", architecture: "torchvision Faster R-CNN R50-FPN v1", build: detector("fasterrcnn_resnet50_fpn"), default_image: [800, 1344], classes: 91, published_params: 41_755_286, params_source: TV, notes: "anchors, proposals, ROI sampling and losses are labelled approximations" }),
  entry({
    id: "mmdet_faster_rcnn_r50_fpn",
    aliases: ["faster_rcnn_r50_fpn_1x_coco"],
    family: "detector",
    architecture: "Faster R-CNN R50-FPN with MMDetection's backbone norm (BN requires_grad=True, norm_eval=True), torchvision heads",
    build: detector("mmdet_faster_rcnn_r50_fpn"),
    default_image: [800, 1344],
    classes: 81,
    published_params: null,
    params_source: "not published exactly by MMDetection; counts BN affine parameters on top of torchvision's",
    notes: "BN layers in eval mode still save their input for the weight gradient: about twice the backbone activations of FrozenBN",
  }),
  entry({ id: "retinanet_resnet50_fpn", aliases: ["retinanet", "retinanet_r50_fpn"], family: "detector", architecture: "torchvision RetinaNet R50-FPN v1", build: detector("retinanet_resnet50_fpn"), default_image: [800, 1344], classes: 91, published_params: 34_014_999, params_source: TV, notes: "anchors and the focal loss are labelled approximations" }),
  ...([18, 50, 101] as const).map((d) =>
    entry({
      id: `pspnet_r${d}_d8`,
      aliases: [`pspnet-r${d}-d8`],
      family: "segmentation",
      architecture: "MMSegmentation PSPNet (ResNetV1c-D8 backbone, PSPHead + auxiliary FCNHead)",
      build: segmenter({ backbone: { kind: "resnet", depth: d, v1c: true, stride: 8 }, head: "psp" }),
      default_image: [512, 1024],
      classes: 19,
      published_params: null,
      params_source: "not published exactly by MMSegmentation",
      notes: "Cityscapes configs (19 classes); the auxiliary head exists in training only",
    }),
  ),
  entry({ id: "fcn_resnet50", aliases: ["fcn-resnet50"], family: "segmentation", architecture: "torchvision FCN-ResNet50 (dilated, aux head)", build: segmentation("fcn_resnet50"), default_image: [520, 520], classes: 21, published_params: 35_322_218, params_source: TV }),
  entry({ id: "deeplabv3_resnet50", aliases: ["deeplabv3-resnet50", "deeplabv3"], family: "segmentation", architecture: "torchvision DeepLabV3-ResNet50 (dilated, ASPP, aux head)", build: segmentation("deeplabv3_resnet50"), default_image: [520, 520], classes: 21, published_params: 42_004_074, params_source: TV }),
  entry({ id: "unet", aliases: ["u-net", "unet-64"], family: "segmentation", architecture: "U-Net (milesial/Pytorch-UNet, bilinear=False)", build: unet(64), default_image: [512, 512], classes: 2, published_params: 31_037_698, params_source: "milesial/Pytorch-UNet UNet(n_channels=3, n_classes=2), widely reported as 31,037,698" }),
];

const byName = new Map<string, VisionModel>();
for (const m of visionModels) for (const k of [m.id, ...m.aliases]) byName.set(k.toLowerCase(), m);

/** Is this name a built-in vision model or a name the parsers compose (names.ts)? */
export function isVisionModel(name: string): boolean {
  return byName.has(name.trim().toLowerCase()) || parseVisionName(name) !== undefined;
}

export function getVisionModel(name: string): VisionModel {
  const m = byName.get(name.trim().toLowerCase()) ?? parseVisionName(name);
  if (m) return m;
  const hint = closest(name, [...byName.keys()]);
  throw new VramfitError("unknown_model", `unknown vision model '${name}'`, { suggestion: hint.length ? `did you mean ${hint.join(", ")}?` : `built-in vision models: ${visionModels.map((v) => v.id).join(", ")}` });
}
