/**
 * vramfit: GPU memory planner for deep learning. The public API: what a user calls.
 * Readers, runtimes, the planner and the vision engine have their own entry points
 * (vramfit/readers, vramfit/runtimes, vramfit/planner, vramfit/vision, and vramfit/mcp for the MCP server).
 */
import type { Estimator } from "./core/estimator.js";
import { defaultEstimator } from "./default-estimator.js";
import { DEFAULT_PROFILES } from "./profiles.js";
import { resolveModel as readModel, type ResolveOptions } from "./readers/resolve.js";
import type { ModelDescription } from "./core/model.js";
import { onnxModelDescription } from "./vision/family.js";
import { visionConfigToModel } from "./vision/hf-config.js";
import { estimateTrainingConfig, type ConfigEstimate, type ConfigEstimateOptions, type ConfigFile } from "./frameworks/config-estimate.js";

/** The estimator built from src/profiles.ts: every runtime, training stack and family vramfit knows. */
export { defaultEstimator };

/** Memory of one configuration: components, the three totals with their ranges, the fit on a GPU. */
export const estimate: Estimator["estimate"] = (model, options) => defaultEstimator.estimate(model, options);
/** Largest batch whose high bound fits the GPU. */
export const maxBatch: Estimator["maxBatch"] = (model, options, limit) => defaultEstimator.maxBatch(model, options, limit);
/** Longest sequence whose high bound fits the GPU. */
export const maxSeq: Estimator["maxSeq"] = (model, options, limit) => defaultEstimator.maxSeq(model, options, limit);
/** Largest image (same aspect ratio) whose high bound fits the GPU: image models. */
export const maxImage: Estimator["maxImage"] = (model, options, step, side) => defaultEstimator.maxImage(model, options, step, side);
/** For a tight verdict, the gentlest single change that makes the high bound fit. */
export const leverForTight: Estimator["leverForTight"] = (model, options) => defaultEstimator.leverForTight(model, options);

/**
 * Any model the CLI accepts → a description: catalog ids, built-in architectures, parameter counts, local
 * files and folders, GGUF URLs, Hugging Face ids (headers only, cached).
 */
export function resolveModel(spec: string, options: ResolveOptions = {}): Promise<ModelDescription> {
  return readModel(spec, { resolveName: DEFAULT_PROFILES.resolveName, onnxToModel: onnxModelDescription, configToModel: visionConfigToModel, ...options });
}

/**
 * "Will my config fit?": a training framework's own config file(s) (axolotl, LLaMA-Factory, torchtune, LitGPT,
 * TRL / TrainingArguments, DeepSpeed, accelerate) → the per-GPU estimate and what to change in the file's keys.
 * The model the file names resolves like resolveModel (catalog, Hub id, local path).
 */
export function estimateConfig(files: readonly ConfigFile[], options: ConfigEstimateOptions = {}): Promise<ConfigEstimate> {
  return estimateTrainingConfig(files, { resolveModel: (s) => resolveModel(s), ...options });
}
export type { ConfigFile, ConfigEstimate, ConfigEstimateOptions, ConfigAdvice } from "./frameworks/config-estimate.js";

/** "Paste the command": a vllm / llama-server / ollama / sglang command line → the estimate for that engine. */
export { estimateCommand, type CommandEstimate, type CommandOptions } from "./commands/estimate.js";
export { parseEngineCommand } from "./commands/index.js";
export type { EngineCommand, Engine } from "./commands/types.js";
/** "Get the flags that fit": the engine flags (context, slots, GPU layers, utilization) that fit the GPUs. */
export { fitCommand, fitModel, type CommandFit, type CommandFitOptions, type FitFlag } from "./fit/command.js";
export type { FitOptions, FitResult, FitDeviceSpec, FitEngine } from "./fit/index.js";
/** "Check against the real log": a startup log or memory summary → measured vs estimated, line by line. */
export { checkLog, logToCases, type CheckOptions, type CheckResult, type CheckRow, type LogCaseMeta } from "./check/index.js";
export { parseLog, type ParsedLog, type Measured, type LogKind, type LogEngine } from "./check/parse.js";

export { createEstimator, type Estimator, type EstimatorConfig } from "./core/estimator.js";
export { plan, type PlanOptions, type PlanResult } from "./planner/advisor.js";
export { VramfitError, isVramfitError, type ErrorCode } from "./core/errors.js";
export { findGpu, gpuCatalog } from "./catalog/gpus.js";
export { catalogModelEntries } from "./catalog/models.js";

export type { Estimate, Component, Totals, GpuFit, Level } from "./core/estimate-types.js";
export type { ModelDescription, TransformerModel, VisionModelDescription, TransformerShape, TensorGroup } from "./core/model.js";
export type { Workload, WorkloadInput } from "./core/workload.js";
export type { Gpu } from "./core/gpu.js";
export type { SolveResult, Lever } from "./core/solve.js";
export type { EstimateInput, EstimateInput as EstimateOptions, RuntimeProfile, TrainingProfile, ModelFamily, PartialEstimate } from "./core/profile.js";
export type { OptionSpec } from "./core/options.js";
export type { ResolveOptions } from "./readers/resolve.js";
