/** The planner's vocabulary: one parallel training or serving configuration, and what it costs. */
import type { Component, Totals } from "../core/estimate-types.js";
import type { DataParallel } from "./zero.js";

export type Method = "full" | "lora" | "qlora";
export type OffloadTarget = "none" | "optimizer" | "optimizer+params";

/** One way to run a training job on `gpus` GPUs (gpus = dp × tp × pp × cp). */
export interface TrainingConfig {
  dataParallel: DataParallel;
  /** Data-parallel degree (ranks that each see a slice of the batch). */
  dp: number;
  tp: number;
  pp: number;
  /** Expert parallel degree (within the data-parallel ranks; MoE only). */
  ep: number;
  /** Context (sequence) parallel degree. */
  cp: number;
  microBatch: number;
  gradAccum: number;
  checkpointing: boolean;
  precision: "fp32" | "amp-fp16" | "amp-bf16" | "bf16";
  optimizer: string;
  method: Method;
  loraRank: number;
  /** LoRA target modules ("all-linear" unless given, e.g. "q_proj,k_proj,v_proj"). */
  loraTargets?: string;
  offload: OffloadTarget;
  offloadDevice: "cpu" | "nvme";
  gpusPerNode: number;
  /** The training framework whose profile each single-GPU step comes from (default: the estimator's first). */
  framework?: string;
  /** FSDP1 gradient accumulation under no_sync(): unsharded gradients until the sync (options.ts fsdp_no_sync). */
  fsdpNoSync?: boolean;
  /** FSDP1 use_orig_params with frozen and trainable parameters in one unit: gradients for the whole unit (fsdp_use_orig_params). */
  fsdpUseOrigParams?: boolean;
  /** Framework options beyond the planner's own (liger, activation_offload, loss, optimizer_in_backward). */
  extra?: Record<string, unknown>;
}

export interface ServingConfig {
  runtime: "vllm";
  tp: number;
  quant: string | null;
  kvDtype: string;
  maxModelLen: number;
  gpuMemoryUtilization: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  enforceEager: boolean;
}

/** What a choice costs in speed, as a factor on step time (1 = free), with the reason. */
export interface Cost {
  what: string;
  factor: number;
}

export interface EvaluatedPlan<C> {
  config: C;
  /** Components per GPU (the busiest GPU: pipeline stage 0). */
  components: Component[];
  totals: Totals;
  /** Host memory per GPU for offloaded states. */
  cpuBytes: number;
  fits: boolean;
  headroomBytes: number;
  /** Product of the cost factors: ~relative step time. */
  speedFactor: number;
  costs: Cost[];
  /** 0: the training asked for; 1: changes numerics (pure bf16, 8-bit optimizer); 2: LoRA; 3: QLoRA. */
  fidelity: number;
  summary: string;
  /** The moment the peak happens. */
  peak?: string;
  /** Serving only: how many sequences of the requested length fit at once. */
  maxSequences?: number;
  /** Serving only: vLLM's KV budget per GPU (negative: it will not start). */
  kvBudgetBytes?: number;
}
