/**
 * Paste the command, get the estimate: `estimateCommand("vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 32768
 * -tp 2", { gpu: "h100-sxm" })`. The command is parsed (parseEngineCommand), mapped to vramfit's workload
 * (commandWorkload), the model is read (catalog, Hub headers, local GGUF), and the estimate comes back with the
 * settings it used written as the engine's own flags, the way the user spelled them.
 */
import type { Estimate } from "../core/estimate-types.js";
import { VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import type { ModelDescription } from "../core/model.js";
import type { EstimateInput } from "../core/profile.js";
import { defaultEstimator } from "../default-estimator.js";
import { DEFAULT_PROFILES } from "../profiles.js";
import { resolveModel as readModel } from "../readers/resolve.js";
import { onnxModelDescription } from "../vision/family.js";
import { parseEngineCommand } from "./index.js";
import type { EngineCommand } from "./types.js";
import { commandWorkload, engineSetting, type CommandWorkload, type EngineSetting } from "./workload.js";

export interface CommandOptions {
  /** The environment the command runs in (OLLAMA_*, LLAMA_ARG_*, CUDA_VISIBLE_DEVICES); the command's own `KEY=val` win. */
  env?: Record<string, string>;
  /** The GPU: a catalog id, a size ("24gb") or a Gpu object. */
  gpu?: string | Gpu;
  /** vramfit options given beside the command (--batch, --gpus, ...): they win over what the command implies. */
  options?: EstimateInput;
  /** Model reader (default: the library's resolveModel: catalog, files, Hub headers). */
  resolveModel?: (spec: string) => Promise<ModelDescription>;
}

export interface CommandEstimate {
  command: Pick<EngineCommand, "engine" | "program" | "model" | "flags" | "spelled" | "env">;
  workload: CommandWorkload;
  estimate: Estimate;
  /** The settings behind the estimate, as the engine's flags: the user's, then the defaults the engine would use. */
  settings: (EngineSetting & { given: boolean })[];
}

/** Parse (if needed), map, read the model. Shared by estimateCommand and the fit solver. */
export async function prepareCommand(input: string | readonly string[] | EngineCommand, opts: CommandOptions = {}): Promise<{ cmd: EngineCommand; workload: CommandWorkload; model: ModelDescription; options: EstimateInput }> {
  const cmd = isCommand(input) ? input : parseEngineCommand(input as string | readonly string[], opts.env ?? {});
  const workload = commandWorkload(cmd);
  // The library's resolveModel (src/index.ts), built here so that index.ts may re-export this module without a cycle.
  const resolve = opts.resolveModel ?? ((spec: string) => readModel(spec, { resolveName: DEFAULT_PROFILES.resolveName, onnxToModel: onnxModelDescription }));
  const model = await resolve(workload.model);
  if (model.family !== "transformer") throw new VramfitError("unsupported", `${cmd.program} serves language models; ${model.id} is a ${model.family} model`);
  const options: EstimateInput = { ...workload.options };
  if (workload.seqFromModel && model.transformer.maxPositions > 0 && options.seq === undefined) options.seq = model.transformer.maxPositions;
  Object.assign(options, opts.options ?? {});
  if (opts.gpu !== undefined) options.gpu = opts.gpu;
  return { cmd, workload, model, options };
}

export async function estimateCommand(input: string | readonly string[] | EngineCommand, opts: CommandOptions = {}): Promise<CommandEstimate> {
  const { cmd, workload, model, options } = await prepareCommand(input, opts);
  const estimate = defaultEstimator.estimate(model, options);
  return { command: commandSummary(cmd), workload, estimate, settings: settingsOf(cmd, workload, estimate) };
}

export function commandSummary(cmd: EngineCommand): CommandEstimate["command"] {
  return { engine: cmd.engine, program: cmd.program, model: cmd.model, flags: cmd.flags, spelled: cmd.spelled, env: cmd.env };
}

function isCommand(x: unknown): x is EngineCommand {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "engine" in x && "flags" in x;
}

/** The estimate's effective settings as engine flags: given ones first, then the engine defaults it assumed. */
export function settingsOf(cmd: EngineCommand, w: CommandWorkload, e: Estimate): (EngineSetting & { given: boolean })[] {
  const out: (EngineSetting & { given: boolean })[] = [];
  const seen = new Set<string>();
  const push = (key: string, value: unknown, given: boolean) => {
    const s = engineSetting(cmd, key, value);
    if (!s || seen.has(s.name)) return;
    seen.add(s.name);
    out.push({ ...s, given });
  };
  for (const key of Object.keys(w.from)) push(key, e.workload[key] ?? w.options[key], true);
  const serving = (e as unknown as { serving?: Record<string, number> }).serving ?? {};
  const wl = e.workload as Record<string, unknown>;
  switch (cmd.engine) {
    case "vllm":
      push("max_model_len", serving.max_model_len, false);
      push("gpu_memory_utilization", serving.gpu_memory_utilization, false);
      push("max_num_seqs", serving.max_num_seqs, false);
      push("max_num_batched_tokens", serving.max_num_batched_tokens, false);
      break;
    case "sglang":
      push("context_length", serving.context_length, false);
      push("mem_fraction_static", serving.mem_fraction_static, false);
      push("chunked_prefill_size", serving.chunked_prefill_size, false);
      push("max_running_requests", serving.max_running_requests, false);
      push("cuda_graph_max_bs", serving.cuda_graph_max_bs, false);
      break;
    case "llama.cpp":
    case "ollama":
      push("seq", wl.seq, false);
      push("parallel", wl.parallel ?? 1, false);
      push("cache_type_k", wl.cache_type_k ?? "f16", false);
      if (cmd.engine === "llama.cpp") push("cache_type_v", wl.cache_type_v ?? "f16", false);
      // The flash-attention state the estimate used (Ollama's default depends on its version and the GPU: ollama.ts).
      push("flash_attn", wl.flash_attn ?? / flash attention on/.test(e.components.find((c) => c.id === "compute_buffer")?.formula ?? ""), false);
      if (cmd.engine === "llama.cpp" || wl.n_gpu_layers !== undefined) push("n_gpu_layers", wl.n_gpu_layers ?? -1, false);
      break;
  }
  return out;
}
