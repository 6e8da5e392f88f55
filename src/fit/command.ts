/**
 * The fit solver for a pasted command: `fitCommand("llama-server -m model.gguf -np 4", { devices: [...] })` keeps the
 * flags the user set (a given -c, -np, KV type, placement) and answers with the flags that fit, written the way the
 * command spells them (engineSetting), plus GPU list parsing for the CLI and the MCP server.
 */
import { VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import type { EstimateInput } from "../core/profile.js";
import { GiB } from "../core/units.js";
import { defaultEstimator } from "../default-estimator.js";
import { prepareCommand, commandSummary, type CommandOptions } from "../commands/estimate.js";
import type { EngineCommand } from "../commands/types.js";
import { engineSetting, type CommandWorkload } from "../commands/workload.js";
import { fit, type FitDeviceSpec, type FitEngine, type FitOptions, type FitResult } from "./index.js";

export interface FitFlag {
  /** vramfit option key. */
  key: string;
  /** The engine flag as the command spells it ("-c 32768", "--mem-fraction-static 0.86", "OLLAMA_NUM_PARALLEL=2"). */
  flag: string;
  value: unknown;
  why: string;
}

export interface CommandFit extends FitResult {
  command?: ReturnType<typeof commandSummary>;
  workload?: CommandWorkload;
  /** The plan as engine flags. */
  flags: FitFlag[];
}

export type CommandFitOptions = Omit<FitOptions, "engine" | "fixed"> & Pick<CommandOptions, "env" | "resolveModel"> & {
  /** vramfit options beside the command (they join the fixed settings). */
  options?: EstimateInput;
};

/** The engine flags of a plan, spelled as `cmd` spells them (or the engine's own spelling). */
export function planFlags(cmd: Pick<EngineCommand, "engine" | "spelled">, r: FitResult): FitFlag[] {
  const out: FitFlag[] = [];
  const seen = new Set<string>();
  for (const c of r.choices) {
    if (c.key === "gpus" && (cmd.engine === "llama.cpp" || cmd.engine === "ollama")) continue;
    const s = engineSetting(cmd, c.key, c.value);
    if (!s) continue;
    if (seen.has(s.text)) continue;
    seen.add(s.text);
    out.push({ key: c.key, flag: s.text, value: c.value, why: c.why });
  }
  return out;
}

export async function fitCommand(input: string | readonly string[] | EngineCommand, opts: CommandFitOptions): Promise<CommandFit> {
  const { cmd, workload, model, options } = await prepareCommand(input, { env: opts.env, resolveModel: opts.resolveModel, options: opts.options });
  // What the user set stays; what the engine would choose by itself (-c 0 / the model's context) is the solver's.
  const fixed: EstimateInput = { ...options };
  delete fixed.runtime;
  if (workload.seqFromModel && !(opts.options && "seq" in opts.options)) delete fixed.seq;
  if (cmd.engine === "llama.cpp" && workload.from.parallel?.engineName === "parallel" && cmd.flags.parallel === undefined) {
    // llama-server's automatic 4 slots stay as llama-server would run them.
  }
  const r = fit(defaultEstimator, model, { ...opts, engine: workload.runtime as FitEngine, fixed });
  return { ...r, command: commandSummary(cmd), workload, flags: planFlags(cmd, r) };
}

/** The fit of a model (no command): flags in the engine's own first spelling. */
export function fitModel(model: Parameters<typeof fit>[1], o: FitOptions): CommandFit {
  const r = fit(defaultEstimator, model, o);
  return { ...r, flags: planFlags({ engine: o.engine, spelled: {} }, r) };
}

/** "rtx-4090,rtx-3090", "2xh100-sxm", "24gb" → devices; budgets "20gb,10gb" (one per device, or one for all). */
export function parseDevices(gpus: readonly string[], budgets?: string): FitDeviceSpec[] {
  const list: (string | Gpu)[] = [];
  for (const word of gpus.flatMap((g) => g.split(",")).map((g) => g.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*[x×*]\s*(.+)$/i.exec(word);
    const count = m ? Number(m[1]) : 1;
    if (!Number.isSafeInteger(count) || count < 1 || count > 64) throw new VramfitError("invalid_option", `'${word.slice(0, 40)}': a GPU count must be 1 to 64`);
    for (let i = 0; i < count; i++) list.push(m ? m[2].trim() : word);
    if (list.length > 64) throw new VramfitError("invalid_option", "at most 64 GPUs");
  }
  if (list.length === 0) throw new VramfitError("invalid_option", "name the GPUs: --gpu rtx-4090 (or rtx-4090,rtx-3090, or 2xh100-sxm)");
  const b = budgets === undefined ? [] : budgets.split(",").map((x) => parseBytes(x.trim(), "--budget"));
  if (b.length > 1 && b.length !== list.length) throw new VramfitError("invalid_option", `--budget has ${b.length} values for ${list.length} GPUs (give one per GPU, or one for all)`);
  return list.map((gpu, i) => ({ gpu, ...(b.length ? { budgetBytes: b.length === 1 ? b[0] : b[i] } : {}) }));
}

/** "24gb", "1.5GiB", "512mb", "1024mib", or plain bytes → bytes (GB and GiB both read as 2^30, as vramfit's GPU sizes). */
export function parseBytes(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i.exec(s.trim());
  if (!m) throw new VramfitError("invalid_option", `${what}: '${s.slice(0, 40)}' is not a size (e.g. 24gb, 512mb)`);
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 2 ** 20 : unit === "g" ? GiB : unit === "t" ? 2 ** 40 : 1;
  const v = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(v)) throw new VramfitError("invalid_option", `${what}: ${s.slice(0, 40)} is too large`);
  return v;
}
