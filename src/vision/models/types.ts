/** What a built-in architecture provides to the engine. */
import type { GraphBuilder, T } from "../builder.js";

/** Framework conventions that change what a model keeps in memory (workload options of the vision family). */
export interface Conventions {
  /** Training framework (sets the defaults below: detectron2/torchvision FrozenBN, MMDetection norm_eval BN, ...). */
  framework?: string;
  /** Backbone norm: bn (train mode, also SyncBN), frozen_bn, gn; norm_eval keeps BN on running statistics. */
  norm?: "bn" | "syncbn" | "frozen_bn" | "gn";
  normEval?: boolean;
  /** Backbone stages frozen after the stem (MMDetection frozen_stages; detectron2 FREEZE_AT − 1). −1: none. */
  frozenStages?: number;
  /** Bottleneck stride placement (MMDetection style, detectron2 STRIDE_IN_1X1). */
  style?: "pytorch" | "caffe";
  /** MMSegmentation auxiliary FCN head in training. */
  auxHead?: boolean;
  /** Keypoints of a pose head. */
  keypoints?: number;
  /** Stuff classes of a panoptic semantic head. */
  stuffClasses?: number;
  /** Cascade R-CNN stages. */
  cascadeStages?: number;
  /** Object queries of a DETR-style decoder. */
  numQueries?: number;
  /** Activation checkpointing of backbone blocks (MMCV with_cp, timm grad_checkpointing). */
  checkpointing?: boolean;
}

export interface BuildContext {
  /** Training forward (stochastic depth, dropout and detector training branches active). */
  training: boolean;
  /** Attention implementation for ViT-style blocks. */
  attention: "sdpa" | "eager";
  /** Number of classes for classifiers/detectors (default: the published checkpoint's). */
  classes?: number;
  /** Detector training: most ground-truth boxes per image in a batch (label assigner size). */
  maxBoxes?: number;
  /** Framework conventions (absent: the model's own defaults). */
  conv?: Conventions;
}

/** Builds the forward graph from an input tensor [N, C, H, W] and returns the model outputs. */
export type BuildFn = (b: GraphBuilder, x: T, ctx: BuildContext) => T[];
