/**
 * `vramfit fit`: the engine flags that fit the GPUs (mixed cards, per-device budgets, a margin) and the host RAM.
 *   vramfit fit qwen3-30b-a3b --engine llama.cpp --quant q4_k_m --gpu rtx-4090,rtx-3090 --host-ram 64gb
 *   vramfit fit --gpu 2xh100-sxm -- vllm serve Qwen/Qwen2.5-72B-Instruct
 * The solver lives in src/fit/ (loaded on demand); this file parses the flags and renders the plan.
 */
import type { Command } from "commander";
import pc from "picocolors";
import { VramfitError } from "../core/errors.js";
import { formatBytes } from "../core/units.js";
import type { CommandFit } from "../fit/command.js";
import { intArg, tokensArg } from "./options.js";

const ENGINES = ["vllm", "sglang", "llama.cpp", "ollama"];

export function addFitCommand(program: Command, print: (s: string) => void, engineArgv?: string[]): void {
  program
    .command("fit")
    .argument("[model]", "model (catalog id, Hugging Face id, path); or -- and an engine command")
    .description("the engine flags that fit your GPUs and host RAM: context, parallel slots, GPU layers, tensor split, MoE experts to CPU, KV type; vLLM/SGLang memory fraction, tensor parallel")
    .option("--engine <name>", `engine: ${ENGINES.join(" | ")} (with a pasted command: that command's)`)
    .option("--gpu <list>", "GPUs: rtx-4090, rtx-4090,rtx-3090 (mixed), 2xh100-sxm, or a size like 24gb (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--budget <list>", "memory each GPU may use (one for all, or one per GPU): 20gb or 20gb,10gb")
    .option("--margin <size>", "kept free on every GPU (default 0; llama.cpp's --fit keeps 1024 MiB)")
    .option("--host-ram <size>", "host RAM the plan may use (weights, KV and buffers moved off the GPU)")
    .option("--context <tokens>", "context to reach and keep (default: the command's, else the model's full context)", tokensArg("--context"))
    .option("--min-context <tokens>", "least context worth serving when the context is open (default 4096)", tokensArg("--min-context"))
    .option("--concurrency <n>", "vLLM/SGLang: full-context requests that must fit at once (default 1)", intArg("--concurrency"))
    .option("-q, --quant <type>", "weights (GGUF type for llama.cpp/Ollama with a catalog or Hub model, e.g. q4_k_m)")
    .option("--parallel <n>", "llama.cpp/Ollama parallel slots (-np / OLLAMA_NUM_PARALLEL)", intArg("--parallel"))
    .option("--central", "judge by the central estimate instead of the high bound of the error band")
    .option("--no-kv-quant", "never propose a quantized KV cache")
    .option("--json", "as JSON")
    .action(async (spec: string | undefined, o: Record<string, unknown>) => {
      const { fitCommand, fitModel, parseDevices, parseBytes } = await import("../fit/command.js");
      const gpus = (o.gpu as string[] | undefined) ?? [];
      const devices = parseDevices(gpus, o.budget as string | undefined);
      const common = {
        devices,
        marginBytes: o.margin !== undefined ? parseBytes(String(o.margin), "--margin") : undefined,
        hostRamBytes: o.hostRam !== undefined ? parseBytes(String(o.hostRam), "--host-ram") : undefined,
        safety: o.central ? ("central" as const) : ("high" as const),
        context: o.context as number | undefined,
        minContext: o.minContext as number | undefined,
        concurrency: o.concurrency as number | undefined,
        allowKvQuant: o.kvQuant !== false,
      };
      const extra: Record<string, unknown> = {};
      if (typeof o.quant === "string") extra.quant = o.quant.toLowerCase();
      if (o.parallel !== undefined) extra.parallel = o.parallel;
      let r: CommandFit;
      if (engineArgv) {
        r = await fitCommand(engineArgv.length === 1 ? engineArgv[0] : engineArgv, { ...common, env: process.env as Record<string, string>, options: extra });
      } else {
        if (!spec) throw new VramfitError("invalid_option", "fit needs a model and --engine, or -- followed by an engine command", { suggestion: "vramfit fit qwen2.5-7b --engine vllm --gpu rtx-4090, or vramfit fit --gpu rtx-4090 -- llama-server -m model.gguf" });
        const engine = o.engine as string | undefined;
        if (!engine || !ENGINES.includes(engine)) throw new VramfitError("invalid_option", `--engine must be one of ${ENGINES.join(", ")}${engine ? `, got '${engine.slice(0, 30)}'` : ""}`);
        const { resolveModelArg } = await import("./model-source.js");
        const model = await resolveModelArg(spec);
        r = fitModel(model, { ...common, engine: engine as "vllm", fixed: extra });
      }
      print(o.json ? JSON.stringify(r, null, 2) : renderFit(r));
    });
}

export function renderFit(r: CommandFit): string {
  const out: string[] = [];
  const head = r.command ? r.command.program : r.engine;
  out.push(pc.bold(`${head}`) + pc.dim(` · ${r.model}`));
  out.push(r.fits ? pc.green(`✔ fits with:  ${r.flags.map((f) => f.flag).join("  ")}`) : pc.red(`✘ does not fit; the closest plan:  ${r.flags.map((f) => f.flag).join("  ")}`));
  for (const f of r.flags) out.push(`  ${f.flag.padEnd(36)} ${pc.dim(f.why)}`);
  out.push("");
  for (const d of r.devices) {
    const pct = Math.round((100 * d.used_high_bytes) / d.budget_bytes);
    out.push(`  ${d.device} ${d.name.padEnd(28)} ${formatBytes(d.used_bytes).padStart(10)} (high ${formatBytes(d.used_high_bytes)}) of ${formatBytes(d.budget_bytes)}  ${pct}%`);
  }
  if (r.host.needed_bytes > 0 || r.host.limit_bytes !== null) out.push(`  host RAM ${formatBytes(r.host.needed_bytes)}${r.host.limit_bytes !== null ? ` of ${formatBytes(r.host.limit_bytes)}` : ""}`);
  out.push("");
  for (const s of r.steps) out.push(pc.dim(`  · ${s}`));
  if (r.workload?.notModelled.length) for (const n of r.workload.notModelled) out.push(pc.yellow(`  not modelled: ${n}`));
  if (r.workload?.unknown.length) out.push(pc.yellow(`  unknown flags: ${r.workload.unknown.join(" ")}`));
  return out.join("\n");
}
