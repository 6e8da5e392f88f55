/**
 * The estimate object: what `estimate()` returns and what `vramfit ... --json` prints, key for key.
 * Keys are snake_case because this is a public JSON contract; keep them stable.
 */
import type { Workload } from "./workload.js";

/**
 * Which of the three totals a component belongs to:
 * - allocated: live tensors (PyTorch `max_memory_allocated`);
 * - reserved: what the caching allocator holds beyond live tensors (rounding, cached blocks);
 * - device: memory outside the allocator (CUDA context, NCCL, runtimes' own buffers) — nvidia-smi.
 */
export type Level = "allocated" | "reserved" | "device";

export interface Component {
  /** snake_case id: weights, kv_cache, activations, logits, cuda_context, ... */
  id: string;
  label: string;
  bytes: number;
  /** The formula with the numbers filled in, and its source where it has one. */
  formula: string;
  level: Level;
  /** Where it lives. Components on the CPU (offload) do not count toward GPU totals. */
  location?: "gpu" | "cpu";
  /** [low, high] from the measured error of this kind of component (src/core/uncertainty.ts). */
  range_bytes?: [number, number];
}

export interface Totals {
  allocated_bytes: number;
  reserved_bytes: number;
  device_bytes: number;
  /** [low, high] of each total, from the calibrated error bands. */
  allocated_range?: [number, number];
  reserved_range?: [number, number];
  device_range?: [number, number];
}

export interface GpuFit {
  id: string;
  name: string;
  /** Memory of one device in bytes (what the driver reports as total). */
  memory_bytes: number;
  /** Where memory_bytes comes from: a measured total (PyTorch / nvidia-smi) or the box label until one is measured. */
  memory_source?: "measured" | "label";
  count: number;
  /** The central estimate fits. */
  fits: boolean;
  /** fits: even the high bound fits; tight: the estimate fits but the high bound does not; does_not_fit. */
  verdict?: "fits" | "tight" | "does_not_fit";
  /** Why it does not fit when memory alone would (the runtime refuses to start). */
  reason?: string;
  /** memory_bytes − device total (negative when it does not fit). */
  headroom_bytes: number;
  /** memory_bytes − high bound of the device total. */
  headroom_high_bytes?: number;
}

export interface EstimateModel {
  id: string;
  hf_id?: string;
  architecture: string;
  family: string;
  parameters: number;
  active_parameters: number;
  source: { kind: string; ref: string; origin?: string };
}

export interface Estimate {
  model: EstimateModel;
  workload: Workload & Record<string, unknown>;
  /** Components live at the peak, per GPU. */
  components: Component[];
  /** Per GPU. */
  totals: Totals;
  gpu?: GpuFit;
  /** When the peak happens (inference: prefill of the last layer; training: see the training engine). */
  peak: { phase: string; description: string };
  warnings: string[];
  /** Assumptions made where the user said nothing (attention backend, logits kept, ...). */
  assumptions: string[];
  /** Training: the allocated total at each moment of the step (the largest is the peak). */
  phases?: { phase: string; allocated_bytes: number }[];
  /** Host memory the job needs (offloaded optimizer states / parameters, llama.cpp host buffers). */
  cpu_bytes?: number;
  trainable_parameters?: number;
  lora?: { rank: number; targets: string[]; trainable_parameters: number };
  /** Serving runtimes (vLLM): the KV budget and how many sequences fit. */
  serving?: Record<string, number>;
  /** The runtime would refuse to start or run this configuration (vLLM without one sequence's KV blocks): the verdict is does_not_fit with this reason. */
  refusal?: string;
  /** Runtimes that serve many sequences from one pre-allocated pool (vLLM, SGLang): how many run at once, the answer of max-batch. */
  capacity?: { sequences: number; note: string };
  /** The error band applied: its category, how many measured cases it rests on. */
  uncertainty?: { category: string; cases: number; source: "measured" | "default"; note?: string };
}
