/**
 * vramfit as an MCP server (stdio), with the official TypeScript SDK: assistants ask "will it fit?" and get vramfit's
 * numbers. Tools:
 * - estimate: a model + options, or a pasted vllm / sglang / llama-server / ollama command → memory per component;
 * - fit: the engine flags that fit given GPUs (mixed, per-device budgets), a margin and host RAM;
 * - plan: the multi-GPU planner (training or serving) → ranked plans with engine configs;
 * - check: a real run's log → printed memory beside the estimate.
 * Every input has a zod schema; a VramfitError comes back as an error result carrying its code, never a crash.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { isVramfitError } from "../core/errors.js";
import type { Estimate } from "../core/estimate-types.js";
import type { ModelDescription } from "../core/model.js";

const VERSION = "0.1.0";

type ToolResult = { content: { type: "text"; text: string }[]; isError?: boolean; structuredContent?: Record<string, unknown> };

function ok(data: Record<string, unknown>, summary: string): ToolResult {
  return { content: [{ type: "text", text: `${summary}\n\n${JSON.stringify(data, null, 1)}` }], structuredContent: data };
}

async function guarded(f: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await f();
  } catch (e) {
    if (isVramfitError(e)) {
      const error = { code: e.code, message: e.message, ...(e.suggestion ? { suggestion: e.suggestion } : {}), ...(e.details ? { details: e.details } : {}) };
      return { content: [{ type: "text", text: JSON.stringify({ error }) }], isError: true };
    }
    return { content: [{ type: "text", text: JSON.stringify({ error: { code: "internal", message: (e as Error)?.message ?? String(e) } }) }], isError: true };
  }
}

const GiB = 2 ** 30;
const gib = (b: number | undefined | null) => (b === undefined || b === null ? null : Math.round((b / GiB) * 100) / 100);

/** The parts of an estimate an assistant needs, bytes kept and GiB added for reading. */
function compact(e: Estimate): Record<string, unknown> {
  return {
    model: e.model.id,
    workload: e.workload,
    components: e.components.map((c) => ({ id: c.id, label: c.label, bytes: c.bytes, gib: gib(c.bytes), ...(c.location === "cpu" ? { location: "cpu" } : {}) })),
    totals: e.totals,
    device_gib: gib(e.totals.device_bytes),
    device_range_gib: e.totals.device_range ? e.totals.device_range.map(gib) : null,
    gpu: e.gpu ?? null,
    ...(e.cpu_bytes ? { cpu_bytes: e.cpu_bytes } : {}),
    ...((e as unknown as { serving?: unknown }).serving ? { serving: (e as unknown as { serving: unknown }).serving } : {}),
    ...((e as unknown as { devices?: unknown }).devices ? { devices: (e as unknown as { devices: unknown }).devices } : {}),
    warnings: e.warnings,
    assumptions: e.assumptions,
    uncertainty: e.uncertainty ?? null,
  };
}

function verdictLine(e: Estimate): string {
  const total = `${gib(e.totals.device_bytes)} GiB per GPU (range ${e.totals.device_range ? e.totals.device_range.map(gib).join("–") : "?"})`;
  if (!e.gpu) return `${e.model.id}: ${total}; no GPU given, no verdict`;
  return `${e.model.id}: ${total} on ${e.gpu.name}: ${e.gpu.verdict === "fits" ? "fits" : e.gpu.verdict === "tight" ? "tight (fits at the estimate, not at the high bound)" : e.gpu.reason ? `does not fit: ${e.gpu.reason}` : "does not fit"}`;
}

const options = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe("vramfit options (library keys): mode, batch, seq, dtype, quant, kv_dtype, runtime, gpus, and each runtime's own (max_model_len, gpu_memory_utilization, ctx_size, parallel, cache_type_k, mem_fraction_static, ...)");
const env = z.record(z.string(), z.string()).describe("environment of the command: OLLAMA_*, LLAMA_ARG_*, CUDA_VISIBLE_DEVICES");

export interface McpDeps {
  /** Model reader (default: the library's resolveModel: catalog, local files, Hugging Face headers). */
  resolveModel?: (spec: string) => Promise<ModelDescription>;
}

export function createVramfitMcpServer(deps: McpDeps = {}): McpServer {
  const server = new McpServer({ name: "vramfit", version: VERSION });
  const resolve = async (spec: string): Promise<ModelDescription> => {
    if (deps.resolveModel) return deps.resolveModel(spec);
    const { resolveModel } = await import("../index.js");
    return resolveModel(spec);
  };

  // The SDK's tool declaration, bound once (four declarations in this file, not a registry).
  const tool = server.registerTool.bind(server);

  tool(
    "estimate",
    {
      title: "Estimate GPU memory",
      description:
        "GPU memory of one configuration, component by component (weights, KV cache, activations, runtime buffers, CUDA context), with the totals' error range and a fits/tight/does-not-fit verdict on a GPU. Give `model` (catalog id like llama-3.1-8b, a Hugging Face id, or a parameter count like 7b) with `options`, or paste an engine `command` (vllm serve ..., python -m sglang.launch_server ..., llama-server ..., ollama run ...).",
      inputSchema: {
        model: z.string().max(500).optional().describe("catalog id, Hugging Face id, path, or parameter count (7b)"),
        command: z.string().max(20000).optional().describe("a vllm / sglang / llama-server / llama-cli / ollama command line"),
        gpu: z.string().max(100).optional().describe("GPU id (rtx-4090, h100-sxm, a100-80gb-sxm, ...) or a size like 24gb"),
        options: options.optional(),
        env: env.optional(),
      },
    },
    (args) =>
      guarded(async () => {
        if (args.command) {
          const { estimateCommand } = await import("../commands/estimate.js");
          const r = await estimateCommand(args.command, { gpu: args.gpu, env: args.env ?? {}, options: (args.options ?? {}) as Record<string, unknown>, resolveModel: resolve });
          const data = { engine: r.command.engine, settings: r.settings.map((s) => ({ flag: s.text, given: s.given })), not_modelled: r.workload.notModelled, unknown_flags: r.workload.unknown, notes: r.workload.notes, estimate: compact(r.estimate) };
          return ok(data, verdictLine(r.estimate));
        }
        if (!args.model) throw new (await import("../core/errors.js")).VramfitError("invalid_option", "give `model` (with `options`) or an engine `command`");
        const { defaultEstimator } = await import("../default-estimator.js");
        const model = await resolve(args.model);
        const opts = { ...(args.options ?? {}), ...(args.gpu ? { gpu: args.gpu } : {}) } as Record<string, unknown>;
        const e = defaultEstimator.estimate(model, opts);
        // does_not_fit: the gentlest changes that make it fit, as the CLI prints them (src/fit/levers.ts).
        if (e.gpu?.verdict !== "does_not_fit") return ok(compact(e), verdictLine(e));
        const levers = (await import("../fit/levers.js")).leversToFit(defaultEstimator, model, opts).map(({ patch: _p, ...l }) => l);
        return ok({ ...compact(e), levers }, `${verdictLine(e)}${levers.length ? `; changes that fit: ${levers.map((l) => l.change).join("; ")}` : ""}`);
      }),
  );

  tool(
    "fit",
    {
      title: "Engine flags that fit",
      description:
        "The serving-engine flags that fit the given GPUs (mixed cards allowed, per-device budgets, a margin) and host RAM, and why: llama.cpp -c/-np/-ngl/--tensor-split/--n-cpu-moe/-ctk; Ollama num_ctx/OLLAMA_NUM_PARALLEL; vLLM --max-model-len/--gpu-memory-utilization/-tp/--kv-cache-dtype; SGLang --mem-fraction-static/--context-length. Give a pasted `command`, or `model` with `engine`.",
      inputSchema: {
        command: z.string().max(20000).optional().describe("an engine command whose flags are kept and completed"),
        model: z.string().max(500).optional(),
        engine: z.enum(["vllm", "sglang", "llama.cpp", "ollama"]).optional(),
        gpus: z.array(z.string().max(100)).min(1).max(64).describe("GPUs, e.g. [\"rtx-4090\", \"rtx-3090\"] or [\"2xh100-sxm\"]"),
        budgets: z.string().max(500).optional().describe("memory each GPU may use: \"20gb\" or \"20gb,10gb\""),
        margin: z.string().max(40).optional().describe("kept free on every GPU, e.g. \"1gb\""),
        host_ram: z.string().max(40).optional().describe("host RAM the plan may use, e.g. \"64gb\""),
        context: z.number().int().min(1).max(2 ** 24).optional().describe("context to reach and keep"),
        min_context: z.number().int().min(1).max(2 ** 24).optional(),
        concurrency: z.number().int().min(1).max(1 << 16).optional().describe("vLLM/SGLang: full-context requests at once"),
        options: options.optional(),
        env: env.optional(),
        central: z.boolean().optional().describe("judge by the central estimate instead of the high bound"),
      },
    },
    (args) =>
      guarded(async () => {
        const { fitCommand, fitModel, parseDevices, parseBytes } = await import("../fit/command.js");
        const common = {
          devices: parseDevices(args.gpus, args.budgets),
          marginBytes: args.margin ? parseBytes(args.margin, "margin") : undefined,
          hostRamBytes: args.host_ram ? parseBytes(args.host_ram, "host_ram") : undefined,
          context: args.context,
          minContext: args.min_context,
          concurrency: args.concurrency,
          safety: args.central ? ("central" as const) : ("high" as const),
        };
        let r;
        if (args.command) r = await fitCommand(args.command, { ...common, env: args.env ?? {}, options: (args.options ?? {}) as Record<string, unknown>, resolveModel: resolve });
        else {
          const { VramfitError } = await import("../core/errors.js");
          if (!args.model || !args.engine) throw new VramfitError("invalid_option", "give `command`, or `model` with `engine`");
          r = fitModel(await resolve(args.model), { ...common, engine: args.engine, fixed: (args.options ?? {}) as Record<string, unknown> });
        }
        const data = { fits: r.fits, flags: r.flags, devices: r.devices, host: r.host, context: r.context, steps: r.steps, options: r.options };
        return ok(data, `${r.fits ? "fits" : "does not fit"} with: ${r.flags.map((f) => f.flag).join(" ")}`);
      }),
  );

  tool(
    "plan",
    {
      title: "Multi-GPU plan",
      description: "Configurations that fit on N GPUs, ranked by speed cost: training (DDP, ZeRO 1/2/3, FSDP, tensor/pipeline parallel, LoRA/QLoRA, offload) or serving with vLLM (tensor parallel, quantization), with ready DeepSpeed / accelerate / vLLM configs.",
      inputSchema: {
        model: z.string().max(500).describe("catalog id or parameter count (e.g. llama-3.1-70b, 7b)"),
        gpu: z.string().max(100),
        gpus: z.number().int().min(1).max(4096),
        mode: z.enum(["train", "infer"]).optional(),
        batch: z.number().int().min(1).max(1 << 20).optional(),
        seq: z.number().int().min(1).max(2 ** 24).optional(),
        quant: z.string().max(40).optional(),
        methods: z.string().max(40).optional().describe("full,lora,qlora"),
        limit: z.number().int().min(1).max(50).optional(),
      },
    },
    (args) =>
      guarded(async () => {
        const { planCommand } = await import("../planner/render.js");
        const r = planCommand(args.model, { gpu: args.gpu, gpus: args.gpus, mode: args.mode ?? "infer", batch: args.batch, seq: args.seq, quant: args.quant, methods: args.methods, limit: args.limit ?? 5 });
        return ok({ plan: r.json } as Record<string, unknown>, r.text.split("\n").slice(0, 12).join("\n"));
      }),
  );

  tool(
    "check",
    {
      title: "Check a real run's log",
      description:
        "Reads a real run's output — llama.cpp load log or llama_memory_breakdown_print, Ollama server log, vLLM or SGLang startup log, torch.cuda.memory_summary(), nvidia-smi — recovers its settings and prints what it printed beside vramfit's estimate, component by component, with the difference and its likely cause.",
      inputSchema: {
        log: z.string().max(16 * 1024 * 1024).describe("the log text"),
        model: z.string().max(500).optional().describe("the model when the log names only a local path"),
        gpu: z.string().max(100).optional(),
      },
    },
    (args) =>
      guarded(async () => {
        const { checkLog } = await import("../check/index.js");
        const r = await checkLog(args.log, { model: args.model, gpu: args.gpu, resolveModel: resolve });
        const { estimate, ...rest } = r;
        const lines = r.rows.map((x) => `${x.component}${x.device ? `@${x.device}` : ""}: printed ${gib(x.printed_bytes)} GiB, vramfit ${gib(x.estimate_bytes) ?? "—"} GiB${x.diff !== null ? ` (${(x.diff * 100).toFixed(1)} %)` : ""}`);
        return ok({ ...rest, estimate: estimate ? compact(estimate) : null }, `${r.engine ?? "log"}: ${lines.join("; ")}`);
      }),
  );
  return server;
}

/** `vramfit mcp`: serve over stdio until the client closes. */
export async function runMcpStdio(): Promise<void> {
  const server = createVramfitMcpServer();
  await server.connect(new StdioServerTransport());
}
