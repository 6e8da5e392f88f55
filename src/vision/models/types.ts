/** What a built-in architecture provides to the engine. */
import type { GraphBuilder, T } from "../builder.js";

export interface BuildContext {
  /** Training forward (stochastic depth, dropout and detector training branches active). */
  training: boolean;
  /** Attention implementation for ViT-style blocks. */
  attention: "sdpa" | "eager";
  /** Number of classes for classifiers/detectors (default: the published checkpoint's). */
  classes?: number;
  /** Detector training: most ground-truth boxes per image in a batch (label assigner size). */
  maxBoxes?: number;
}

/** Builds the forward graph from an input tensor [N, C, H, W] and returns the model outputs. */
export type BuildFn = (b: GraphBuilder, x: T, ctx: BuildContext) => T[];
