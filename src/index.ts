/** vramfit: GPU memory planner for deep learning. Public API. */
export { estimate, resolveModelSync, resolveGpu, type EstimateOptions } from "./core/estimate.js";
export { maxBatch, maxSeq, type SolveResult } from "./core/solve.js";
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
