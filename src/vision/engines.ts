/**
 * Inference engines for vision models (`engine` option): what each allocates on the GPU beyond PyTorch
 * eager. The facts and their sources are in docs/vision-engines.md; the lines that state them are cited here.
 *
 * - compile (torch.compile, Inductor): buffers are freed after their last use and reused
 *   (torch/_inductor/config.py @ torch 2.13: inplace_buffers = True, allow_buffer_reuse = True), fused
 *   pointwise chains never materialize, so the live peak is at most eager's: eager's peak is kept (measured equal
 *   within 0.05 % for SDXL: huggingface/blog simple_sdxl_optimizations.md @11e799d). `reduce-overhead` /
 *   `max-autotune` add CUDA graphs: the recorded graph's private pool keeps its peak allocations reserved and the
 *   graph outputs alive until the next replay (torch/_inductor/cudagraph_trees.py @00008d3).
 * - onnxruntime (CUDA EP): initializers and activations come from the BFC arena
 *   (onnxruntime/core/framework/bfc_arena.cc @009aae1): the first region is 1 MiB; with kNextPowerOfTwo each
 *   extension doubles the region size (`while (bytes > curr_region_allocation_bytes_) curr_region_allocation_bytes_ *= 2`)
 *   and the arena never returns memory during a session; kSameAsRequested extends by the request. The CUDA EP's
 *   default cuDNN algorithm search is exhaustive (cuda_provider_options.h: OrtCudnnConvAlgoSearchExhaustive): the
 *   largest convolution workspace is tried at the first run.
 * - tensorrt: the engine's weights in its precision (deserialization), and one execution context whose device
 *   memory holds the activations of the fused layer graph at the profile's max shape plus the tactics' scratch
 *   (NvInferRuntime.h getDeviceMemorySizeV2; kWORKSPACE "defaults to max device memory", NvInfer.h @a892d22).
 *   TensorRT before 10 loads cuBLAS/cuBLASLt and cuDNN as tactic sources: 182 MiB and 241 MiB of device memory on
 *   the one log that prints them (NVIDIA/TensorRT#2217, TensorRT 8.x; single source, not a fitted rule).
 */
import { allocatedSize } from "../core/allocator.js";
import type { Component } from "../core/estimate-types.js";
import { VramfitError } from "../core/errors.js";
import type { OptionSpec } from "../core/options.js";
import { MiB } from "../core/units.js";
import { type VisionGraph, numelOf } from "./graph.js";

export const VISION_ENGINES = ["pytorch", "compile", "onnxruntime", "tensorrt"] as const;
export type VisionEngine = (typeof VISION_ENGINES)[number];
export const COMPILE_MODES = ["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"] as const;

const GROUP = "Vision inference engine";
const INFER = { families: ["vision"], modes: ["infer"] } as const;

export const ENGINE_OPTIONS: readonly OptionSpec[] = [
  { key: "engine", group: GROUP, scope: INFER, help: `vision inference engine: ${VISION_ENGINES.join(" | ")} (default pytorch eager)`, cli: { arg: "string", flags: "--engine <name>" }, web: { label: "Inference engine", kind: "select", choices: VISION_ENGINES, def: "pytorch" } },
  { key: "compile_mode", group: GROUP, scope: INFER, help: `torch.compile mode: ${COMPILE_MODES.join(" | ")} (reduce-overhead / max-autotune use CUDA graphs)`, cli: { arg: "string", flags: "--compile-mode <mode>" }, web: { label: "torch.compile mode", kind: "select", choices: COMPILE_MODES, def: "default", visible: (c) => c.values.engine === "compile" } },
  { key: "arena_extend_strategy", group: GROUP, scope: INFER, help: "ONNX Runtime CUDA EP arena growth: next_power_of_two (default) | same_as_requested", cli: { arg: "string", flags: "--arena-extend-strategy <s>" }, web: { label: "ORT arena growth", kind: "select", choices: ["next_power_of_two", "same_as_requested"], def: "next_power_of_two", visible: (c) => c.values.engine === "onnxruntime" } },
  { key: "trt_workspace", group: GROUP, scope: INFER, help: "TensorRT workspace pool limit in MiB (trtexec --memPoolSize=workspace:N; default: no limit)", cli: { arg: "int", flags: "--trt-workspace <MiB>" }, web: { label: "TensorRT workspace (MiB)", kind: "int", min: 0, max: 1_000_000, auto: "no limit", visible: (c) => c.values.engine === "tensorrt" } },
  { key: "trt_version", group: GROUP, scope: INFER, help: "TensorRT major version (before 10, cuBLAS and cuDNN are loaded as tactic sources; default 10)", cli: { arg: "int", flags: "--trt-version <n>" }, web: { label: "TensorRT version", kind: "int", min: 7, max: 20, auto: "10", visible: (c) => c.values.engine === "tensorrt" } },
];

export interface EngineSettings {
  engine: VisionEngine;
  compile_mode: (typeof COMPILE_MODES)[number];
  arena_extend_strategy: "next_power_of_two" | "same_as_requested";
  /** Bytes; Infinity when unlimited. */
  trt_workspace: number;
  trt_version: number;
}

export function parseEngine(o: { engine?: string; compile_mode?: string; arena_extend_strategy?: string; trt_workspace?: number; trt_version?: number; mode?: string }): EngineSettings {
  const engine = (o.engine ?? "pytorch") as VisionEngine;
  if (!VISION_ENGINES.includes(engine)) throw new VramfitError("invalid_option", `unknown engine '${o.engine}' (choose one of: ${VISION_ENGINES.join(", ")})`, { details: { key: "engine" } });
  if (engine !== "pytorch" && o.mode === "train")
    throw new VramfitError("unsupported", `--engine ${engine} is modelled for inference only`, { suggestion: "drop --engine for training (PyTorch eager); torch.compile training fuses what eager saves, which vramfit does not model", details: { key: "engine" } });
  const cm = (o.compile_mode ?? "default") as EngineSettings["compile_mode"];
  if (!COMPILE_MODES.includes(cm)) throw new VramfitError("invalid_option", `unknown compile_mode '${o.compile_mode}' (choose one of: ${COMPILE_MODES.join(", ")})`, { details: { key: "compile_mode" } });
  const arena = (o.arena_extend_strategy ?? "next_power_of_two") as EngineSettings["arena_extend_strategy"];
  if (arena !== "next_power_of_two" && arena !== "same_as_requested") throw new VramfitError("invalid_option", `arena_extend_strategy must be next_power_of_two or same_as_requested, got '${arena}'`, { details: { key: "arena_extend_strategy" } });
  const ws = o.trt_workspace;
  if (ws != null && (!Number.isSafeInteger(ws) || ws < 0 || ws > 1_000_000)) throw new VramfitError("invalid_option", `trt_workspace must be MiB from 0 to 1000000, got ${ws}`, { details: { key: "trt_workspace" } });
  const v = o.trt_version ?? 10;
  if (!Number.isSafeInteger(v) || v < 7 || v > 20) throw new VramfitError("invalid_option", `trt_version must be a major version from 7 to 20, got ${v}`, { details: { key: "trt_version" } });
  return { engine, compile_mode: cm, arena_extend_strategy: arena, trt_workspace: ws == null ? Infinity : ws * MiB, trt_version: v };
}

/** Element-wise ops a TensorRT build fuses into the producing layer (conv + BN + activation + residual add). */
const FUSED = new Set(["batch_norm", "frozen_bn_mul", "frozen_bn_add", "relu", "relu6", "silu", "gelu", "hardswish", "hardsigmoid", "sigmoid", "tanh", "leaky_relu", "add", "mul_scalar", "dropout", "view", "split", "autocast_cast", "normalize", "contiguous"]);

/**
 * The live-tensor peak of the layer graph after TensorRT-style fusion (approx): element-wise layers write into
 * their producer's buffer, views are free, and every other layer's output is a block the builder assigns; the
 * peak of simultaneously live blocks is the activation memory ("Total Activation Memory" after block assignment).
 * Blocks are 256-byte aligned.
 */
export function fusedActivationPeak(g: VisionGraph): number {
  const alias = new Map<number, number>();
  const root = (s: number): number => {
    let r = s;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const birth = new Map<number, number>();
  const death = new Map<number, number>();
  for (const node of g.nodes) {
    const ins = node.inputs.map((t) => root(g.tensors[t].storage));
    if (FUSED.has(node.op) && ins.length > 0) {
      for (const t of node.outputs.slice(0, 1)) {
        const s = g.tensors[t].storage;
        if (s !== ins[0]) alias.set(s, ins[0]);
      }
    } else {
      node.outputs.forEach((t, k) => {
        if (k > 0 && (node.op === "batch_norm" || node.op === "layer_norm" || node.op === "group_norm" || node.op === "max_pool2d" || node.op === "sdpa")) return;
        const s = root(g.tensors[t].storage);
        if (!birth.has(s)) birth.set(s, node.id);
      });
    }
    for (const s of ins) death.set(s, Math.max(death.get(s) ?? node.id, node.id));
  }
  const inputS = root(g.tensors[g.input].storage);
  birth.set(inputS, -1);
  for (const t of g.outputs) death.set(root(g.tensors[t].storage), g.nodes.length);
  const n = g.nodes.length;
  const add = new Array<number>(n + 2).fill(0);
  for (const [s, b] of birth) {
    const bytes = Math.ceil(g.storages[s].bytes / 256) * 256;
    const d = Math.max(death.get(s) ?? b, b);
    add[b + 1] += bytes;
    add[d + 2] -= bytes;
  }
  let live = 0;
  let peak = 0;
  for (let i = 0; i <= n + 1; i++) {
    live += add[i];
    peak = Math.max(peak, live);
  }
  return peak;
}

/** Bytes of weights in a TensorRT engine: every parameter in the build precision (fp32 4, fp16/bf16 2). */
function engineWeightBytes(g: VisionGraph, elem: number): number {
  let n = 0;
  for (const node of g.nodes) if (!node.shared) for (const p of node.params) n += numelOf(p);
  return n * elem;
}

/** ONNX Runtime BFC arena: the regions reserved to hold `need` bytes whose largest single request is `largest`. */
export function ortArenaBytes(need: number, largest: number, strategy: EngineSettings["arena_extend_strategy"]): number {
  if (strategy === "same_as_requested") return need;
  let region = MiB;
  let total = 0;
  while (total < need) {
    while (largest > region) region *= 2;
    total += region;
    region *= 2;
  }
  return total;
}

/**
 * Replace the eager components of an inference estimate by the engine's. `components` holds weights,
 * activations, cudnn_workspace, cublas_workspace, allocator_rounding, cuda_context (estimateVision's order).
 */
export function engineComponents(g: VisionGraph, eager: Component[], s: EngineSettings, assumptions: string[]): Component[] {
  if (s.engine === "pytorch") return eager;
  const by = (id: string) => eager.find((c) => c.id === id);
  const ctx = by("cuda_context")!;
  if (s.engine === "compile") {
    assumptions.push("torch.compile: the live-tensor peak is taken as eager's (Inductor frees and reuses buffers; fused intermediates never materialize)");
    if (s.compile_mode === "reduce-overhead" || s.compile_mode === "max-autotune") {
      const outs = g.outputs.reduce((sum, t) => sum + allocatedSize(g.storages[g.tensors[t].storage].bytes), 0);
      return [...eager.filter((c) => c.id !== "cuda_context"), { id: "cudagraph_outputs", label: "CUDA graph outputs", bytes: outs, formula: "graph outputs live in the private pool until the next replay (cudagraph_trees.py)", level: "allocated" }, ctx];
    }
    return eager;
  }

  if (s.engine === "onnxruntime") {
    const weights = by("weights")!.bytes;
    const acts = by("activations")!.bytes;
    const ws = by("cudnn_workspace")!.bytes;
    const largest = Math.max(ws, ...g.storages.map((st) => st.bytes));
    const need = weights + acts + ws;
    const arena = ortArenaBytes(need, largest, s.arena_extend_strategy);
    assumptions.push(`ONNX Runtime CUDA EP: weights, activations and the cuDNN workspace come from the BFC arena (${s.arena_extend_strategy}); the arena keeps its regions for the session`);
    return [
      { ...by("weights")!, formula: `${by("weights")!.formula}; initializers placed in the CUDA EP arena` },
      { ...by("activations")!, label: "Live activations (peak, ORT allocation plan)" },
      { ...by("cudnn_workspace")!, formula: "largest convolution workspace: the exhaustive cuDNN algorithm search (CUDA EP default) tries it at the first run (approx: the larger feature map of the call)" },
      { id: "arena_reserve", label: "ORT arena regions beyond use", bytes: Math.max(0, arena - need), formula: `BFC arena regions of 1 MiB doubling (kNextPowerOfTwo) until they hold ${Math.round(need / MiB)} MiB: ${Math.round(arena / MiB)} MiB reserved`, level: "reserved" },
      ctx,
    ];
  }
  // TensorRT
  const trtElem = g.precision === "fp32" ? 4 : 2;
  const weights = engineWeightBytes(g, trtElem);
  const acts = fusedActivationPeak(g);
  const scratch = Math.min(s.trt_workspace, by("cudnn_workspace")!.bytes);
  assumptions.push("TensorRT: one execution context (kSTATIC) sized for the input shape given (the profile's max shape); conv + BN + activation + residual adds fused into one layer (approx)");
  if (s.trt_workspace === Infinity) assumptions.push("TensorRT workspace pool unlimited (the default: max device memory); tactic scratch taken as the largest convolution workspace (approx)");
  const out: Component[] = [
    { id: "trt_weights", label: "Engine weights", bytes: weights, formula: `${(weights / trtElem).toLocaleString("en-US")} params × ${trtElem} B (${trtElem === 4 ? "fp32" : "fp16"} engine; TRT-managed allocation at deserialization)`, level: "allocated" },
    { id: "trt_activation", label: "Execution context memory", bytes: acts + scratch, formula: `activations of the fused layer graph (live-block peak, 256-B aligned) + tactic scratch ${Math.round(scratch / MiB)} MiB`, level: "allocated" },
  ];
  if (s.trt_version < 10) {
    out.push({ id: "cublas_init", label: "cuBLAS/cuBLASLt init", bytes: 182 * MiB, formula: "TensorRT < 10 loads cuBLAS/cuBLASLt as a tactic source: 182 MiB on NVIDIA/TensorRT#2217 (one log)", level: "device" });
    out.push({ id: "cudnn_init", label: "cuDNN init", bytes: 241 * MiB, formula: "TensorRT < 10 loads cuDNN as a tactic source: 241 MiB on NVIDIA/TensorRT#2217 (one log)", level: "device" });
  }
  out.push(ctx);

  return out;
}
