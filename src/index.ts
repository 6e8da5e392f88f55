/** vramfit: GPU memory planner for deep learning. Public API. */
export { estimate, resolveModelSync, resolveGpu, type EstimateOptions } from "./core/estimate.js";
export { maxBatch, maxSeq, maxImage, leverForTight, type SolveResult, type Lever } from "./core/solve.js";
export type { Estimate, Component, Totals, GpuFit, Level } from "./core/estimate-types.js";
export type { ModelDescription, TensorGroup, TransformerShape } from "./core/model.js";
export type { Workload, WorkloadInput } from "./core/workload.js";
export type { Gpu } from "./core/gpu.js";
export { VramfitError } from "./core/errors.js";
export { modelFromHfConfig } from "./models/hf-config.js";
export { modelFromParameterCount } from "./models/param-count.js";
export { catalogModel, catalogModelEntries, findCatalogModel } from "./catalog/models.js";
export { findGpu, gpuCatalog } from "./catalog/gpus.js";
export { formatBytes } from "./core/units.js";
import "./engines.js";

// Readers: every model source the CLI accepts (src/readers/).
export { resolveModel, resolveModelWithFacts, type ResolvedModel, type ResolveOptions } from "./readers/resolve.js";
export { readHubModel, readHubGguf, type HubOptions } from "./readers/hub.js";
export { readLocalFolder, readLocalSafetensors, readLocalIndex, readLocalConfig } from "./readers/local.js";
export { readGguf, modelFromGguf } from "./readers/gguf.js";
export { readOnnxGraph, onnxParameters } from "./readers/onnx.js";
export { readOnnxFile } from "./readers/onnx-model.js";
export type { OnnxGraph } from "./readers/onnx-types.js";
export { readSafetensorsHeader } from "./readers/safetensors.js";
export { parseSafetensorsIndex } from "./readers/safetensors-index.js";
export { inspectModel, formatInspect } from "./readers/inspect.js";
export type { ReadModel, CheckpointFacts } from "./readers/checkpoint.js";

// Runtime profiles.
export * from "./runtimes/llamacpp/index.js";

// Vision models: layer-graph engine, built-in architectures, ONNX graphs.
export * from "./vision/index.js";

// Multi-GPU planner and make-it-fit advisor; vLLM serving memory.
export * from "./planner/index.js";
export { vllmMemory } from "./runtimes/vllm/memory.js";

// The web calculator's local server.
export { serveWeb, type ServeOptions } from "./cli/serve.js";
