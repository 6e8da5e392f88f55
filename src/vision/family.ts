/**
 * The vision model family as the estimator's ModelFamily: built-in architectures by name and ONNX graphs.
 * A vision ModelDescription carries its VisionModel (the layer-graph builder), so the engine never looks
 * the model up again, and a copy of the description keeps its graph.
 */
import type { ModelDescription, VisionModelDescription } from "../core/model.js";
import type { OptionSpec } from "../core/options.js";
import type { EstimateInput, ModelFamily } from "../core/profile.js";
import { OPTIMIZER_IMPLS, OPTIMIZERS } from "../training/options.js";
import type { ReadModel } from "../readers/checkpoint.js";
import type { OnnxGraph } from "../readers/onnx-types.js";
import { estimateVision, type VisionWorkloadInput } from "./estimate.js";
import { VISION_PRECISIONS } from "./graph.js";
import { ENGINE_OPTIONS } from "./engines.js";
import { VISION_FRAMEWORKS } from "./estimate.js";
import { onnxVisionModel } from "./onnx-to-graph.js";
import { getVisionModel, isVisionModel, visionModels, type VisionModel } from "./registry.js";
import { VISION_NAME_EXAMPLES } from "./names.js";

/** The description of a vision model (parameters at its published configuration). */
export function visionDescription(m: VisionModel, base?: Partial<ModelDescription>): VisionModelDescription {
  const params = estimateVision(m, {}).model.parameters;
  return {
    id: m.id,
    architecture: m.architecture,
    parameters: params,
    activeParameters: params,
    storedDtype: "fp32",
    tensors: [],
    source: { kind: "vision-builtin", ref: m.id, origin: m.params_source },
    warnings: m.notes ? [m.notes] : [],
    ...base,
    family: "vision",
    vision: m,
  };
}

/** The ModelDescription of a built-in vision model by name. */
export function visionModelDescription(name: string): VisionModelDescription {
  return visionDescription(getVisionModel(name));
}

/** An ONNX file read by the reader → a vision description carrying the graph (resolveModel's `onnxToModel`). */
export function onnxModelDescription(read: ReadModel & { onnx: OnnxGraph }): VisionModelDescription {
  const vision = onnxVisionModel(read.onnx, { id: read.model.id });
  return { ...read.model, family: "vision", vision } as VisionModelDescription;
}

/** EstimateInput (CLI/JSON keys, snake_case) → the vision workload. */
export function visionInput(o: EstimateInput): VisionWorkloadInput {
  const pick = <K extends keyof VisionWorkloadInput>(k: K) => (o[k] === undefined ? {} : { [k]: o[k] });
  const attention = o.attention === "eager" ? "eager" : o.attention === undefined ? undefined : "sdpa";
  return {
    ...pick("mode"),
    ...pick("batch"),
    ...pick("image"),
    ...pick("precision"),
    ...(o.precision === undefined && o.dtype !== undefined ? { dtype: o.dtype as VisionWorkloadInput["dtype"] } : {}),
    ...pick("optimizer"),
    ...pick("optimizer_impl"),
    ...(attention ? { attention } : {}),
    ...pick("ema"),
    ...pick("cudnn_benchmark"),
    ...pick("classes"),
    ...pick("max_boxes"),
    ...pick("framework"),
    ...pick("norm"),
    ...pick("norm_eval"),
    ...pick("sync_bn"),
    ...pick("frozen_stages"),
    ...pick("resnet_style"),
    ...pick("aux_head"),
    ...pick("keypoints"),
    ...pick("stuff_classes"),
    ...pick("cascade_stages"),
    ...pick("mask_refine"),
    ...pick("num_queries"),
    ...pick("checkpointing"),
    ...pick("torch_version"),
    ...pick("engine"),
    ...pick("gpus"),
    ...pick("ddp_fp16_compression"),
    ...pick("trt_workspace"),
    ...pick("arena_extend_strategy"),
    ...pick("compile_mode"),
  } as VisionWorkloadInput;
}

const VISION = { families: ["vision"] } as const;
const VISION_TRAIN = { families: ["vision"], modes: ["train"] } as const;
const GROUP = "Vision models (resnet50, vit_b_16, yolov8s, ... or an .onnx file)";

export const VISION_OPTIONS: readonly OptionSpec[] = [
  { key: "image", group: GROUP, scope: VISION, help: "input image: 640 (square) or 1333x800 (width x height)", cli: { arg: "string", flags: "--image <size>" }, web: { label: "Image size (px)", kind: "text", pattern: /^\d{1,5}(x\d{1,5})?$/, auto: "model default", example: "640 or 1333x800" } },
  { key: "precision", group: GROUP, scope: VISION, help: `vision: ${VISION_PRECISIONS.join(" | ")} (default amp-fp16 to train, fp32 to infer)`, web: { label: "Precision", kind: "select", choices: VISION_PRECISIONS, auto: "default" } },
  { key: "dtype", group: GROUP, scope: { families: ["vision"], modes: ["infer"] }, help: "vision: the model's dtype (model.half())", web: { label: "Weights / compute dtype", kind: "select", choices: ["fp32", "fp16", "bf16"], def: "fp32" } },
  { key: "optimizer", group: GROUP, scope: VISION_TRAIN, help: "vision training optimizer", web: { label: "Optimizer", kind: "select", choices: OPTIMIZERS, def: "adamw" } },
  { key: "optimizer_impl", group: GROUP, scope: VISION_TRAIN, help: "vision training optimizer step", web: { label: "Optimizer step", kind: "select", choices: OPTIMIZER_IMPLS, def: "foreach" } },
  { key: "ema", group: GROUP, scope: VISION_TRAIN, help: "train: an fp32 EMA copy of the weights (Ultralytics, MMEngine)", cli: { arg: "flag" }, web: { label: "EMA copy of the weights", kind: "bool", def: false } },
  { key: "cudnn_benchmark", group: GROUP, scope: VISION, help: "torch.backends.cudnn.benchmark (first iteration may reserve more)", cli: { arg: "flag" } },
  { key: "classes", group: GROUP, scope: VISION, help: "classes of the head (default: the published checkpoint's)", cli: { arg: "int", flags: "--classes <n>" }, web: { label: "Classes", kind: "int", min: 1, max: 1_000_000, auto: "checkpoint's" } },
  { key: "max_boxes", group: GROUP, scope: VISION_TRAIN, help: "detector training: most ground-truth boxes in one image (default 100)", cli: { arg: "int", flags: "--max-boxes <n>" }, web: { label: "Max boxes per image", kind: "int", min: 1, max: 100_000, auto: "default" } },
  { key: "framework", group: GROUP, scope: VISION_TRAIN, help: `vision training framework whose conventions apply: ${VISION_FRAMEWORKS.join(" | ")} (default: the model's own)`, cli: { arg: "string", flags: "--framework <name>" }, web: { label: "Framework", kind: "select", choices: VISION_FRAMEWORKS, auto: "model's own" } },
  { key: "norm", group: GROUP, scope: VISION_TRAIN, help: "backbone norm: bn | syncbn | frozen_bn | gn (default: the framework's: FrozenBN in detectron2/torchvision, BN elsewhere)", cli: { arg: "string", flags: "--norm <kind>" }, web: { label: "Backbone norm", kind: "select", choices: ["bn", "syncbn", "frozen_bn", "gn"], auto: "framework's" } },
  { key: "norm_eval", group: GROUP, scope: VISION_TRAIN, help: "keep BatchNorm on running statistics while training (MMDetection norm_eval)", cli: { arg: "onoff", flags: "--norm-eval <on|off>" }, web: { label: "norm_eval", kind: "select", choices: ["on", "off"], boolean: true, auto: "framework's" } },
  { key: "sync_bn", group: GROUP, scope: VISION_TRAIN, help: "SyncBatchNorm (saves what BatchNorm saves)", cli: { arg: "flag" }, web: { label: "SyncBN", kind: "bool", def: false } },
  { key: "frozen_stages", group: GROUP, scope: VISION_TRAIN, help: "backbone stages frozen after the stem (MMDetection frozen_stages; detectron2 FREEZE_AT − 1; −1 none)", cli: { arg: "int", flags: "--frozen-stages <n>" }, web: { label: "Frozen stages", kind: "int", min: -1, max: 4, auto: "framework's" } },
  { key: "resnet_style", group: GROUP, scope: VISION_TRAIN, help: "ResNet bottleneck stride on the 3x3 (pytorch) or the first 1x1 (caffe)", cli: { arg: "string", flags: "--resnet-style <pytorch|caffe>" }, web: { label: "ResNet style", kind: "select", choices: ["pytorch", "caffe"], auto: "model's" } },
  { key: "aux_head", group: GROUP, scope: VISION_TRAIN, help: "segmenters: the auxiliary FCN head in training (MMSegmentation default on)", cli: { arg: "onoff", flags: "--aux-head <on|off>" }, web: { label: "Auxiliary head", kind: "select", choices: ["on", "off"], boolean: true, auto: "model's" } },
  { key: "keypoints", group: GROUP, scope: VISION, help: "pose models: keypoints per object (default 17, COCO)", cli: { arg: "int", flags: "--keypoints <n>" }, web: { label: "Keypoints", kind: "int", min: 1, max: 1000, auto: "17" } },
  { key: "stuff_classes", group: GROUP, scope: VISION, help: "panoptic models: stuff classes of the semantic head (COCO: 53 MMDetection, 54 detectron2)", cli: { arg: "int", flags: "--stuff-classes <n>" }, web: { label: "Stuff classes", kind: "int", min: 1, max: 100_000, auto: "model's" } },
  { key: "cascade_stages", group: GROUP, scope: VISION, help: "Cascade R-CNN: RoI head stages (default 3)", cli: { arg: "int", flags: "--cascade-stages <n>" }, web: { label: "Cascade stages", kind: "int", min: 1, max: 10, auto: "3" } },
  { key: "mask_refine", group: GROUP, scope: VISION_TRAIN, help: "MMYOLO mask_refine: boxes refined from polygon masks in the data pipeline (CPU); no GPU memory of its own", cli: { arg: "flag" } },
  { key: "num_queries", group: GROUP, scope: VISION, help: "DETR-style models: object queries (default: the model's)", cli: { arg: "int", flags: "--num-queries <n>" }, web: { label: "Queries", kind: "int", min: 1, max: 100_000, auto: "model's" } },
  { key: "checkpointing", group: GROUP, scope: VISION_TRAIN, help: "vision: activation checkpointing of backbone blocks (MMCV with_cp, timm set_grad_checkpointing)", web: { label: "Activation checkpointing", kind: "bool", def: false } },
  { key: "torch_version", group: GROUP, scope: VISION, help: "vision: PyTorch version (before 2.0: nn.MultiheadAttention keeps the S×S probabilities, pooled maps are saved)", cli: { arg: "string", flags: "--torch-version <x.y>" }, web: { label: "PyTorch version", kind: "text", pattern: /^\d+\.\d+(\.\d+)?$/, auto: "2.x", example: "2.5" } },
  { key: "ddp_fp16_compression", group: GROUP, scope: VISION_TRAIN, help: "DDP fp16 gradient compression hook (one fp16 bucket in flight)", cli: { arg: "flag" } },
  ...ENGINE_OPTIONS,
];

export const visionFamily: ModelFamily<VisionModelDescription> = {
  id: "vision",
  label: "vision models (--image)",
  options: VISION_OPTIONS,
  resolveName: (spec) => (isVisionModel(spec) ? visionModelDescription(spec) : undefined),
  builtins: () =>
    [...visionModels, ...VISION_NAME_EXAMPLES.map((n) => getVisionModel(n))].map((m) => {
      let params: number | undefined;
      return {
        id: m.id,
        label: `${m.id} — ${m.architecture} (vision)`,
        description: m.architecture,
        keys: [m.id, m.architecture, ...m.aliases, "vision"].join(" ").toLowerCase(),
        architecture: m.family,
        // Building a graph costs milliseconds: counted when a listing asks, not when a picker loads.
        get parameters() {
          return (params ??= estimateVision(m, {}).model.parameters);
        },
      };
    }),
  estimate: (model, input, gpu) => estimateVision(model.vision, visionInput(input), gpu),
  levers: (e) =>
    e.workload.mode === "train" && (e.workload.optimizer === "adamw" || e.workload.optimizer === "adam")
      ? [{ change: "8-bit AdamW (--optimizer adamw-8bit)", patch: { optimizer: "adamw-8bit" } }]
      : [],
};
