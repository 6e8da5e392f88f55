/** Public API of the vision engine (issue 5): built-in architectures, ONNX graphs, estimates and the
 * max-batch / max-image / sweep questions. Pure: no I/O. */
export {
  estimateVision,
  parseImageSize,
  parseVisionWorkload,
  visionGraph,
  visionMaxBatch,
  visionMaxImage,
  visionSweep,
  type VisionSweepRow,
  type VisionWorkload,
  type VisionWorkloadInput,
} from "./estimate.js";
export { getVisionModel, isVisionModel, visionModels, type VisionModel } from "./registry.js";
export { onnxInputShape, onnxVisionModel, type OnnxShapeOptions } from "./onnx-to-graph.js";
export { VISION_PRECISIONS, type VisionGraph, type VisionPrecision } from "./graph.js";
export { onnxModelDescription, visionDescription, visionFamily, visionInput, visionModelDescription } from "./family.js";
