/** The multi-GPU planner and make-it-fit advisor: public API. */
export { plan, makeItFit, makeServingFit, trainingCandidates, type PlanOptions, type PlanResult, type Suggestion } from "./advisor.js";
export { evaluateTrainingPlan, trainingCosts, describeTraining, layerParams, largestTensorParams, type TrainingJob } from "./training-plan.js";
export { evaluateServingPlan } from "./serving-plan.js";
export { shardModelStates, zeroPaperModelStates, hfAutoZeroBuffers, DEEPSPEED_DEFAULT_BUFFERS, type DataParallel, type ModelStates, type ZeroBuffers } from "./zero.js";
export { trainingEngineConfig, deepspeedConfig, accelerateConfig, megatronArgs, vllmServeFlags, decoderLayerClass, type EngineConfig } from "./configs.js";
export { planCommand, planJson, planText, engineConfigFor, type PlanCommandOptions, type PlanJson } from "./render.js";
export type { TrainingConfig, ServingConfig, EvaluatedPlan, Cost, Method, OffloadTarget } from "./types.js";
