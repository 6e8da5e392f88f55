/** The vramfit command line: parses input, calls the library, renders the answer. */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import pc from "picocolors";
import { catalogModel, catalogModelEntries, catalogVariants } from "../catalog/models.js";
import { defaultEstimator as est } from "../default-estimator.js";
import { gpuCatalog } from "../catalog/gpus.js";
import { VramfitError } from "../core/errors.js";
import type { SolveResult } from "../core/solve.js";
import { formatBytes, formatCount, GiB } from "../core/units.js";
import type { PlanCommandOptions } from "../planner/render.js";
import { resolveModelArg, resolveModelArgWithFacts } from "./model-source.js";
import { addWorkloadOptions, intArg, tokensArg, toEstimateOptions } from "./options.js";
import { renderEstimate, solveWhat } from "./render.js";
import { addFitCommand } from "./fit.js";
import { addCheckCommand } from "./check.js";
import { addMcpCommand } from "./mcp.js";

const VERSION = "0.1.0";

export function buildProgram(print: (s: string) => void, engineArgv?: string[]): Command {
  const program = new Command("vramfit")
    .description("Will it fit? GPU memory for inference and training, component by component.")
    .version(VERSION)
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => print(s.trimEnd()), writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      "after",
      `
Examples:
  vramfit estimate llama-3.1-8b --gpu rtx-4090
  vramfit estimate Qwen/Qwen2.5-7B-Instruct --quant nf4 --seq 8k --batch 4 --json
  vramfit max-batch mistral-7b-v0.3 --gpu a100-80gb --seq 4096
  vramfit max-seq llama-3.1-70b --quant awq --gpu h100-sxm --gpus 2
  vramfit estimate 7b --dtype fp16 --gpu 24gb
  vramfit estimate yolov8s --mode train --batch 16 --image 640 --gpu rtx-4090
  vramfit plan llama-3.1-8b --mode train --gpu a100-80gb --gpus 8 --batch 64
  vramfit serve                              # the web calculator

<model> is a catalog id (vramfit models), a vision architecture (resnet50, yolov8s, ...), a Hugging Face id
(org/name, org/name/file.gguf), a local folder, config.json, .safetensors, index, .gguf or .onnx file, or a
parameter count (7b, 1.5b, 350m). Hub reads honour HF_TOKEN and HF_ENDPOINT and are cached in
~/.cache/vramfit (VRAMFIT_CACHE_DIR). Sizes print in GiB (2^30 bytes); --json gives bytes.`,
    );

  addWorkloadOptions(
    program.command("estimate").argument("[model]", "catalog id, Hugging Face id, path, or parameter count (or -- and a vllm/sglang/llama-server/ollama command)").description("memory breakdown of one configuration"), est)
    .option("--formulas", "show the formula behind each component")
    .option("--config <file>", "a training config (axolotl, LLaMA-Factory, torchtune, LitGPT, TRL, DeepSpeed, accelerate); repeat for several", (v: string, prev: string[] = []) => [...prev, v])
    .option("--set <key=value>", "override a key of the --config file(s) (torchtune style; ~key removes it); repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .action(async (spec: string | undefined, o: Record<string, unknown>) => {
      if (engineArgv) return (await import("./engine-command.js")).runEstimateCommand(engineArgv, o, toEstimateOptions({ ...o, gpu: undefined }, est), print);
      if (o.config) return (await import("./config.js")).runConfigEstimate(spec, o, print);
      if (spec === undefined) throw new VramfitError("invalid_option", "estimate needs a model, or -- followed by an engine command", { suggestion: "vramfit estimate llama-3.1-8b --gpu rtx-4090, or vramfit estimate --gpu h100-sxm -- vllm serve Qwen/Qwen2.5-7B-Instruct" });
      const model = await resolveModelArg(spec);
      const opts = toEstimateOptions(o, est);
      const e = est.estimate(model, opts);
      const lever = e.gpu?.verdict === "tight" ? est.leverForTight(model, opts) : null;
      const levers = e.gpu?.verdict === "does_not_fit" ? (await import("../fit/levers.js")).leversToFit(est, model, opts).map(({ patch: _p, ...l }) => l) : undefined;
      print(o.json ? JSON.stringify(levers ? { ...e, levers } : e, null, 2) : renderEstimate(e, { formulas: Boolean(o.formulas), lever: lever?.change, levers }));
    });

  addWorkloadOptions(program.command("max-batch").argument("<model>").description("largest batch size that fits the GPU"), est).action(
    async (spec: string, o: Record<string, unknown>) => {
      const model = await resolveModelArg(spec);
      const r = est.maxBatch(model, toEstimateOptions(o, est));
      print(o.json ? JSON.stringify(solveJson("batch", r), null, 2) : renderSolve("batch", r));
    },
  );

  addWorkloadOptions(program.command("max-seq").argument("<model>").description("longest sequence (context) that fits the GPU"), est).action(
    async (spec: string, o: Record<string, unknown>) => {
      const model = await resolveModelArg(spec);
      const r = est.maxSeq(model, toEstimateOptions(o, est));
      print(o.json ? JSON.stringify(solveJson("seq", r), null, 2) : renderSolve("seq", r));
    },
  );

  addWorkloadOptions(
    program.command("max-image").argument("<model>", "a vision model").description("largest image (same aspect ratio as --image) that fits the GPU"), est).action(async (spec: string, o: Record<string, unknown>) => {
    const model = await resolveModelArg(spec);
    const r = est.maxImage(model, toEstimateOptions(o, est));
    if (o.json) return print(JSON.stringify({ max_image: r.image, max_image_central: r.central_image, estimate: r.estimate }, null, 2));
    if (!r.estimate) return print(pc.red(`✘ even a 32-pixel image does not fit at the high bound`) + (r.central_image ? pc.dim(`\n  the central estimate alone would allow ${r.central_image[1]}x${r.central_image[0]}`) : ""));
    print(pc.green(`✔ largest image that fits: ${pc.bold(`${r.image[1]}x${r.image[0]}`)} (width x height), ${formatBytes(r.estimate.totals.device_bytes)} on ${r.estimate.gpu!.name}`));
    if (r.central_image && r.central_image[0] > r.image[0]) print(pc.dim(`  the central estimate alone would allow ${r.central_image[1]}x${r.central_image[0]}`));
  });

  addWorkloadOptions(
    program
      .command("sweep")
      .argument("<model>")
      .description("memory over a list: --image 320,640,960,1280 (vision), --seqs 1k,4k,16k or --batches 1,8,32")
      .option("--seqs <list>", "sequence lengths to sweep, e.g. 1k,4k,16k")
      .option("--batches <list>", "batch sizes to sweep, e.g. 1,8,32"), est).action(async (spec: string, o: Record<string, unknown>) => {
    const model = await resolveModelArg(spec);
    const lists: [string, (number | string)[]][] = [];
    if (typeof o.opt_image === "string" && o.opt_image.includes(",")) lists.push(["image", o.opt_image.split(",").map((x) => x.trim())]);
    if (typeof o.seqs === "string") lists.push(["seq", o.seqs.split(",").map((x) => tokensArg("--seqs")(x))]);
    if (typeof o.batches === "string") lists.push(["batch", o.batches.split(",").map((x) => intArg("--batches")(x))]);
    if (lists.length !== 1) throw new VramfitError("invalid_option", "sweep needs exactly one list: --image 320,640,960 (vision), --seqs 1k,4k,16k or --batches 1,8,32");
    const [key, values] = lists[0];
    const base = toEstimateOptions({ ...o, ...(key === "image" ? { opt_image: undefined } : {}) }, est);
    const rows = values.map((v) => {
      const opts = { ...base, [key]: v };
      const e = est.estimate(model, opts);
      const mb = base.gpu && key !== "batch" ? est.maxBatch(model, opts).value : null;
      return { [key]: v, allocated_bytes: e.totals.allocated_bytes, reserved_bytes: e.totals.reserved_bytes, device_bytes: e.totals.device_bytes, device_range: e.totals.device_range ?? null, verdict: e.gpu?.verdict ?? null, max_batch: mb };
    });
    if (o.json) return print(JSON.stringify(rows, null, 2));
    print(pc.bold(`${key.padEnd(10)} ${"device".padStart(11)} ${"range (GiB)".padStart(13)}${base.gpu ? `  ${"verdict".padEnd(13)}${key !== "batch" ? "max batch" : ""}` : ""}`));
    for (const r of rows) {
      const range = r.device_range ? `${(r.device_range[0] / GiB).toFixed(1)}–${(r.device_range[1] / GiB).toFixed(1)}` : "";
      const fit = base.gpu ? `  ${String(r.verdict).padEnd(13)}${r.max_batch ?? ""}` : "";
      print(`${String(r[key]).padEnd(10)} ${`${(r.device_bytes / GiB).toFixed(2)} GiB`.padStart(11)} ${range.padStart(13)}${fit}`);
    }
  });

  program
    .command("plan")
    .argument("<model>", "catalog id or parameter count")
    .description("multi-GPU planner and make-it-fit advisor: configurations that fit, ranked by speed cost, with engine configs")
    .optionsGroup("Search:")
    .requiredOption("--gpu <id>", "GPU from `vramfit gpus`")
    .option("--mode <mode>", "train | infer (serving with vLLM)", "infer")
    .option("--gpus <n>", "GPUs in total", intArg("--gpus"))
    .option("--gpus-per-node <n>", "GPUs per node (hybrid sharding, TP within a node)", intArg("--gpus-per-node"))
    .option("-b, --batch <n>", "train: effective (global) batch; infer: sequences at once", intArg("--batch"))
    .option("-s, --seq <tokens>", "sequence length", tokensArg("--seq"))
    .option("--precision <policy>", "fp32 | amp-fp16 | amp-bf16 | bf16")
    .option("--optimizer <name>", "optimizer (see estimate --help)")
    .option("--methods <list>", "fine-tuning methods to consider: full,lora,qlora")
    .option("--lora-rank <r>", "LoRA rank for lora/qlora plans", intArg("--lora-rank"))
    .option("--no-offload", "never offload to CPU/NVMe")
    .option("--offload-device <where>", "cpu | nvme")
    .option("--engines <list>", "deepspeed,fsdp,ddp,megatron")
    .option("--attention <impl>", "sdpa | flash | eager")
    .option("--framework <name>", "train: transformers | trl | torchtune | litgpt | unsloth | axolotl | llama-factory (its defaults and the changes it can make)")
    .option("-q, --quant <type>", "serving: weight quantization (awq, gptq, fp8, ... or none)")
    .option("--kv-dtype <dtype>", "serving: KV cache dtype (bf16 | fp8)")
    .option("--gpu-memory-utilization <f>", "serving: vLLM memory fraction (default 0.9)", Number)
    .option("--limit <n>", "how many plans to list", intArg("--limit"))
    .optionsGroup("Check one configuration (make-it-fit advice when it does not fit):")
    .option("--strategy <s>", "ddp | zero1 | zero2 | zero3 | fsdp_full | fsdp_hybrid | fsdp_grad_op")
    .option("--micro-batch <n>", "micro-batch per GPU", intArg("--micro-batch"))
    .option("--tp <n>", "tensor-parallel degree (serving: one vLLM configuration)", intArg("--tp"))
    .option("--pp <n>", "pipeline-parallel degree", intArg("--pp"))
    .option("--checkpointing", "activation checkpointing")
    .option("--offload-target <what>", "none | optimizer | optimizer+params")
    .option("--method <m>", "full | lora | qlora")
    .optionsGroup("Output:")
    .option("--json", "as JSON")
    .action(async (spec: string, o: Record<string, unknown>) => {
      const { json, ...opts } = o;
      // Loaded on demand: an estimate does not pay for the planner, the readers or the web server.
      const { planCommand } = await import("../planner/render.js");
      const r = planCommand(spec, opts as unknown as PlanCommandOptions);
      print(json ? JSON.stringify(r.json, null, 2) : r.text);
    });

  addFitCommand(program, print, engineArgv);
  addCheckCommand(program, print);
  addMcpCommand(program);

  program
    .command("serve")
    .description("the web calculator on a local port (estimates run in your browser)")
    .option("--port <n>", "port; 0 picks a free one", (v: string) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`--port must be 0–65535, got '${v}'`);
      return Number(v);
    }, 5177)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--no-open", "do not open a browser")
    .action(async (o: { port: number; host: string; open: boolean }) => {
      const { serveWeb } = await import("./serve.js");
      await serveWeb({ port: o.port, host: o.host, open: o.open }); // the server keeps the process alive
    });

  program
    .command("inspect")
    .argument("<model>", "catalog id, Hugging Face id, GGUF/ONNX/safetensors file, folder, or parameter count")
    .description("what was read: architecture, parameters by dtype and module group, quantization, context, sources")
    .option("--refresh", "ignore the Hub cache and read again")
    .option("--offline", "use only the disk cache (also HF_HUB_OFFLINE=1)")
    .option("--json", "as JSON")
    .action(async (spec: string, o: { json?: boolean; refresh?: boolean; offline?: boolean }) => {
      const r = await resolveModelArgWithFacts(spec, o);
      const { inspectModel, formatInspect } = await import("../readers/inspect.js");
      const report = inspectModel(r.model, r.facts);
      print(o.json ? JSON.stringify(report, null, 2) : formatInspect(report).join("\n"));
    });

  program
    .command("models")
    .description("list the built-in model catalog")
    .option("--json", "as JSON")
    .action((o: { json?: boolean }) => {
      // Entries, then the Instruct/chat/base siblings that share an entry's config (each under its own id).
      const rows = [...catalogModelEntries().map((e) => e.id), ...catalogVariants().map((v) => v.variant.id)].map((id) => {
        const m = catalogModel(id);
        return { id, hf_id: m.hfId ?? id, family: "transformer", architecture: m.architecture, parameters: m.parameters, active_parameters: m.activeParameters };
      });
      const families = est.families.map((f) => ({
        label: f.label,
        rows: (f.builtins?.() ?? []).map((b) => ({ id: b.id, hf_id: b.description, family: f.id, architecture: b.architecture, parameters: b.parameters, active_parameters: b.parameters })),
      }));
      const all = [...rows, ...families.flatMap((f) => f.rows)];
      if (o.json) return print(JSON.stringify(all, null, 2));
      const w = Math.max(...all.map((r) => r.id.length), 4);
      const line = (r: (typeof rows)[number]) => `${r.id.padEnd(w)}  ${formatCount(r.parameters).padStart(8)}  ${r.architecture.padEnd(12)}  ${pc.dim(r.hf_id)}`;
      print([pc.bold("Language models"), ...rows.map(line), ...families.flatMap((f) => ["", pc.bold(`${f.label[0].toUpperCase()}${f.label.slice(1)}`), ...f.rows.map(line)])].join("\n"));
    });

  program
    .command("gpus")
    .description("list the built-in GPU catalog")
    .option("--json", "as JSON")
    .action((o: { json?: boolean }) => {
      const gpus = gpuCatalog();
      if (o.json) return print(JSON.stringify(gpus, null, 2));
      const w = Math.max(...gpus.map((g) => g.id.length), 4);
      print(gpus.map((g) => `${g.id.padEnd(w)}  ${((g.usable_bytes ?? g.memory_bytes) / GiB).toFixed(1).padStart(6)} GiB  ${pc.dim(g.name)}`).join("\n"));
    });

  return program;
}

function solveJson(key: string, r: SolveResult) {
  return { [`max_${key}`]: r.value, [`max_${key}_central`]: r.central_value, fits: r.value > 0, next: r.next ?? null, estimate: r.estimate };
}

function renderSolve(key: "batch" | "seq", r: SolveResult): string {
  const g = r.estimate.gpu!;
  const what = solveWhat(key, r.estimate);
  if (r.value === 0 && r.central_value > 0) {
    return pc.yellow(`~ only the central estimate fits on ${g.name} (up to ${what} ${r.central_value}); even ${what} 1 exceeds the GPU at the high bound`);
  }
  if (r.value === 0) {
    return pc.red(`✘ even ${what} 1 does not fit on ${g.name}: needs ${formatBytes(r.estimate.totals.device_bytes)} of ${formatBytes(g.memory_bytes)}`);
  }
  const lines = [
    pc.green(`✔ largest ${what} that fits on ${g.name}${g.count > 1 ? ` ×${g.count}` : ""}: ${pc.bold(String(r.value))}`),
    `  at ${r.value}: ${formatBytes(r.estimate.totals.device_bytes)} of ${formatBytes(g.memory_bytes)} (${formatBytes(g.headroom_bytes)} headroom)`,
  ];
  if (r.next) lines.push(pc.dim(`  at ${r.next.value}: ${formatBytes(r.next.device_bytes)} — ${r.estimate.serving ? "the engine would not start (too few KV blocks for one sequence)" : "its high bound does not fit"}`));
  if (r.central_value > r.value) lines.push(pc.dim(`  the central estimate alone would allow ${r.central_value} (safe answer uses the high bound of the error band)`));
  return lines.join("\n");
}

/** Runs the CLI; returns the exit code. Errors are one readable line, never a stack trace. */
export async function runCli(argv: string[], print: (s: string) => void = (s) => process.stdout.write(s + "\n")): Promise<number> {
  // `vramfit estimate|fit [options] -- <engine command>`: the words after `--` are the engine's, not vramfit's.
  const dash = ["estimate", "fit"].includes(argv[0] ?? "") ? argv.indexOf("--") : -1;
  const engineArgv = dash >= 0 ? argv.slice(dash + 1) : undefined;
  const program = buildProgram(print, engineArgv);
  program.exitOverride();
  try {
    if (engineArgv && engineArgv.length === 0) throw new VramfitError("invalid_option", "nothing after --: paste the engine command there", { suggestion: "vramfit estimate --gpu h100-sxm -- vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 32768" });
    await program.parseAsync(dash >= 0 ? argv.slice(0, dash) : argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its own message (help and version exit 0).
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : 1;
    }
    if (e instanceof VramfitError) {
      // With --json the error is JSON too (on stderr), so scripts and assistants can branch on its code.
      if (argv.includes("--json")) {
        process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, ...(e.suggestion ? { suggestion: e.suggestion } : {}), ...(e.details ? { details: e.details } : {}) } })}\n`);
        return 1;
      }
      process.stderr.write(`${pc.red("error:")} ${e.message}\n`);
      if (e.suggestion) process.stderr.write(`  ${e.suggestion}\n`);
      return 1;
    }
    process.stderr.write(`${pc.red("internal error:")} ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.VRAMFIT_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    return 2;
  }
}
