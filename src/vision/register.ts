/**
 * Registers the vision engine with the core's estimate() (family "vision"): built-in architectures by
 * name and ONNX graphs. Imported once from src/engines.ts.
 *
 * A vision ModelDescription carries no layer graph, so the engine finds the model again: built-ins by id
 * (source kind "vision-builtin"), ONNX files through the graph attached by `onnxModelDescription`
 * (pass it to resolveModel as `onnxToModel`).
 */
import { VramfitError } from "../core/errors.js";
import { type EstimateOptions, registerFamilyEngine, registerNameResolver, registerOnnxToModel } from "../core/estimate.js";
import type { ModelDescription } from "../core/model.js";
import type { ReadModel } from "../readers/checkpoint.js";
import type { OnnxGraph } from "../readers/onnx-types.js";
import { estimateVision, type VisionWorkloadInput } from "./estimate.js";
import { onnxVisionModel } from "./onnx-to-graph.js";
import { getVisionModel, isVisionModel, type VisionModel } from "./registry.js";

const onnxGraphs = new WeakMap<ModelDescription, OnnxGraph>();

/** The ModelDescription of a built-in vision model (parameters at its published configuration). */
export function visionModelDescription(name: string): ModelDescription {
  const m = getVisionModel(name);
  const params = estimateVision(m, {}).model.parameters;
  return {
    id: m.id,
    family: "vision",
    architecture: m.architecture,
    parameters: params,
    activeParameters: params,
    storedDtype: "fp32",
    tensors: [],
    source: { kind: "vision-builtin", ref: m.id, origin: m.params_source },
    warnings: m.notes ? [m.notes] : [],
  };
}

/** `onnxToModel` for resolveModel: keeps the reader's description and attaches the graph for the engine. */
export function onnxModelDescription(read: ReadModel & { onnx: OnnxGraph }): ModelDescription {
  const model = { ...read.model, family: "vision" as const };
  onnxGraphs.set(model, read.onnx);
  return model;
}

/** The engine's view of a vision ModelDescription. */
export function visionModelFor(model: ModelDescription): VisionModel {
  if (model.source.kind === "vision-builtin") return getVisionModel(model.source.ref);
  const graph = onnxGraphs.get(model);
  if (graph) return onnxVisionModel(graph, { id: model.id });
  throw new VramfitError("unsupported", `${model.id}: no layer graph for this vision model`, { suggestion: "give a built-in vision model name or an .onnx file" });
}

/** EstimateOptions (CLI/JSON keys, snake_case) → the vision workload. */
export function visionInput(o: EstimateOptions & Record<string, unknown>): VisionWorkloadInput {
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
  } as VisionWorkloadInput;
}

registerOnnxToModel((read) => onnxModelDescription(read as ReadModel & { onnx: OnnxGraph }));
registerNameResolver((spec) => (isVisionModel(spec) ? visionModelDescription(spec) : undefined));
registerFamilyEngine("vision", (model, input, gpu) => estimateVision(visionModelFor(model), visionInput(input as EstimateOptions & Record<string, unknown>), gpu));
