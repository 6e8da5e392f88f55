/**
 * Ollama: `ollama run <model>` / `ollama serve` with OLLAMA_* in the environment, and Modelfile
 * `PARAMETER` lines (or `/set parameter` in `ollama run`).
 *
 * Version read: ollama/ollama at fb30760996871fa9460115c753afd2c60d4ab0f7 (v0.33.0-rc2, 2026-08-21):
 * envconfig/config.go (the variables and their parsing), api/types.go (Runner options, DefaultOptions,
 * FormatParams), parser/parser.go (deprecated parameters), server/routes.go (the VRAM-tier default context),
 * server/sched.go (parallel slots, automatic batch), llm/llama_server.go (the llama-server flags Ollama passes),
 * cmd/cmd.go (`ollama run` flags). Since v0.33 Ollama runs upstream llama-server (llama.cpp b10488) for GGUF
 * models, so the memory is llama.cpp's with the flags Ollama chooses. Details: docs/engines/ollama.md.
 */
import { indexFlags, parseFlags, parseGoBool, typed, type ParserStyle } from "./flags.js";
import { LLAMA_KV_CACHE_TYPES } from "./llamacpp.js";
import { clip, emptyCommand, invalidOption, type EngineCommand, type FlagSpec, type FlagType } from "./types.js";

const ENVC = "envconfig/config.go @fb307609";
const API = "api/types.go @fb307609";
const CMD = "cmd/cmd.go @fb307609";

function env(name: string, variable: string, type: FlagType, dflt: string, memory: boolean, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, names: [variable], type, default: dflt, memory, effect, source: ENVC, env: variable, ...extra };
}
function param(name: string, type: FlagType, dflt: string, memory: boolean, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, names: [`PARAMETER ${name}`], type, default: dflt, memory, effect, source: API, ...extra };
}

const uint = (v: number | string) => (typeof v === "number" && v < 0 ? `must be 0 or more, got ${v}` : undefined);

/** OLLAMA_* variables (read by `ollama serve`; `ollama run` talks to that server). */
export const OLLAMA_ENV_FLAGS: FlagSpec[] = [
  env("context_length", "OLLAMA_CONTEXT_LENGTH", "int", "0 = by total VRAM: 262144 (≥ 47 GiB), 32768 (≥ 23 GiB), else 4096; capped at the model's context", true, "num_ctx of every model that does not set its own: KV cells", { check: uint }),
  env("num_parallel", "OLLAMA_NUM_PARALLEL", "int", "1 (forced to 1 for embedding models and some architectures)", true, "parallel slots: llama-server gets -c num_ctx×parallel and -np parallel", { check: uint }),
  env("kv_cache_type", "OLLAMA_KV_CACHE_TYPE", "enum", "f16 (empty: llama-server's default)", true, "passed to llama-server as --cache-type-k and --cache-type-v", { choices: LLAMA_KV_CACHE_TYPES, normalize: (s) => s.toLowerCase() }),
  env("flash_attention", "OLLAMA_FLASH_ATTENTION", "string", "unset = auto where every GPU supports it, else off", true, "llama-server --flash-attn on/off/auto (any value that is not a Go bool reads as true)"),
  env("gpu_overhead", "OLLAMA_GPU_OVERHEAD", "int", "0 bytes", true, "bytes per GPU the scheduler keeps free (on top of 457 MiB, 512 MiB on Metal); also lowers the VRAM total behind the default context", { check: uint }),
  env("sched_spread", "OLLAMA_SCHED_SPREAD", "string", "false", true, "spread a model over all GPUs instead of one GPU that fits it"),
  env("max_loaded_models", "OLLAMA_MAX_LOADED_MODELS", "int", "0 = automatic", true, "models resident at once", { check: uint }),
  env("fit", "LLAMA_ARG_FIT", "string", "on (llama-server's)", true, "passed through to llama-server: its automatic fit of -c/-ngl", { source: `${ENVC} (AsMap)` }),
  env("fit_target", "LLAMA_ARG_FIT_TARGET", "string", "llama-server's 1024 MiB (+ the projector's size when one is offloaded)", true, "MiB left free per device by llama-server's fit", { source: "llm/llama_server.go @fb307609" }),
  env("keep_alive", "OLLAMA_KEEP_ALIVE", "string", "5m", false, "how long memory stays allocated, not how much"),
  env("host", "OLLAMA_HOST", "string", "127.0.0.1:11434", false, "server address"),
  env("models", "OLLAMA_MODELS", "string", "~/.ollama/models", false, "where models are stored"),
  env("max_queue", "OLLAMA_MAX_QUEUE", "string", "512", false, "queued requests"),
  env("load_timeout", "OLLAMA_LOAD_TIMEOUT", "string", "5m", false, "stall detection"),
  env("debug", "OLLAMA_DEBUG", "string", "false", false, "logging"),
  env("origins", "OLLAMA_ORIGINS", "string", "—", false, "CORS"),
  env("noprune", "OLLAMA_NOPRUNE", "string", "false", false, "blob pruning"),
  env("nohistory", "OLLAMA_NOHISTORY", "string", "false", false, "readline history"),
  env("llm_library", "OLLAMA_LLM_LIBRARY", "string", "autodetect", false, "backend library choice"),
  env("vulkan", "OLLAMA_VULKAN", "string", "true", false, "which GPUs are discovered"),
  env("igpu_enable", "OLLAMA_IGPU_ENABLE", "string", "—", false, "which GPUs are discovered"),
  env("no_cloud", "OLLAMA_NO_CLOUD", "string", "false", false, "cloud features"),
  env("remotes", "OLLAMA_REMOTES", "string", "ollama.com", false, "remote models"),
  env("go_template", "OLLAMA_GO_TEMPLATE", "string", "true", false, "prompt templates"),
  env("max_transfer_streams", "OLLAMA_MAX_TRANSFER_STREAMS", "string", "4", false, "downloads"),
  env("auth", "OLLAMA_AUTH", "string", "false", false, "authentication"),
  env("editor", "OLLAMA_EDITOR", "string", "—", false, "interactive editing"),
  env("debug_log_requests", "OLLAMA_DEBUG_LOG_REQUESTS", "string", "false", false, "logging"),
];

/** Modelfile PARAMETER names (api.Options json tags) and the deprecated ones parser.go warns about. */
export const OLLAMA_PARAM_FLAGS: FlagSpec[] = [
  param("num_ctx", "int", "OLLAMA_CONTEXT_LENGTH, else the VRAM tier; capped at the model's n_ctx_train", true, "context per slot: llama-server -c is num_ctx × parallel", { check: uint }),
  param("num_batch", "int", "512; automatic 512/1024/2048 by context when not set (256 on ≤ 8 GiB CUDA GPUs without flash attention)", true, "llama-server -b and -ub: the compute buffer", { check: uint }),
  param("num_gpu", "int", "-1 = let llama-server fit the layers", true, "llama-server -ngl (0 = CPU only)"),
  param("main_gpu", "int", "unset", true, "llama-server --split-mode none --main-gpu N: the whole model on one GPU", { check: uint }),
  param("use_mmap", "string", "unset (mmap)", true, "false → llama-server --load-mode none (weights read into host buffers)"),
  param("draft_num_predict", "int", "4", true, "draft tokens per step (speculative models)", { check: uint }),
  param("num_thread", "int", "0 = the runtime decides", false, "CPU threads"),
  ...["num_keep", "seed", "num_predict", "top_k", "top_p", "min_p", "typical_p", "repeat_last_n", "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty", "stop"].map((n) =>
    param(n, n === "stop" ? "list" : "string", "—", false, "sampling / generation"),
  ),
  ...["penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock", "mirostat", "mirostat_tau", "mirostat_eta"].map((n) =>
    param(n, "string", "—", false, "deprecated: Ollama prints a warning and ignores it", { source: "parser/parser.go @fb307609" }),
  ),
];

/** `ollama run` flags (cmd/cmd.go): none changes memory. */
export const OLLAMA_CLI_FLAGS: FlagSpec[] = [
  { name: "keepalive", names: ["--keepalive"], type: "string", default: "5m", memory: false, effect: "how long the model stays loaded", source: CMD },
  { name: "verbose", names: ["--verbose"], type: "bool", default: "false", memory: false, effect: "timings", source: CMD },
  { name: "insecure", names: ["--insecure"], type: "bool", default: "false", memory: false, effect: "registry", source: CMD },
  { name: "nowordwrap", names: ["--nowordwrap"], type: "bool", default: "false", memory: false, effect: "output", source: CMD },
  { name: "format", names: ["--format"], type: "string", default: "—", memory: false, effect: "output format", source: CMD },
  { name: "think", names: ["--think"], type: "string", default: "—", memory: false, effect: "thinking mode", source: CMD, optionalValue: "true" },
  { name: "hidethinking", names: ["--hidethinking"], type: "bool", default: "false", memory: false, effect: "output", source: CMD },
  { name: "truncate", names: ["--truncate"], type: "bool", default: "true", memory: false, effect: "embedding inputs", source: CMD },
  { name: "dimensions", names: ["--dimensions"], type: "string", default: "0", memory: false, effect: "embedding output", source: CMD },
  { name: "version", names: ["--version", "-v"], type: "bool", default: "false", memory: false, effect: "prints the version", source: CMD },
  { name: "help", names: ["--help", "-h"], type: "bool", default: "false", memory: false, effect: "help", source: CMD },
];

const CLI_STYLE: ParserStyle = {
  equals: true,
  abbreviations: false,
  underscores: false,
  attachedShort: false,
  dashValues: "always",
  numbers: "go",
  boolValues: true,
  engine: "Ollama",
};
const CLI_INDEX = indexFlags(OLLAMA_CLI_FLAGS);
const PARAMS = new Map(OLLAMA_PARAM_FLAGS.map((s) => [s.name, s]));
const DEPRECATED = new Set(["penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock", "mirostat", "mirostat_tau", "mirostat_eta"]);

/** Device-visibility variables Ollama passes on (envconfig.go AsMap). */
const DEVICE_ENV = ["CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GGML_VK_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "HSA_OVERRIDE_GFX_VERSION"];

export function parseOllama(argv: readonly string[], environment: Record<string, string> = {}): EngineCommand {
  const sub = argv[1];
  if (sub !== "run" && sub !== "serve" && sub !== "start") {
    throw invalidOption(sub === undefined ? "'ollama' needs a subcommand: ollama run <model> or ollama serve" : `'ollama ${clip(sub)}' does not load a model; paste 'ollama run <model>' or 'ollama serve'`);
  }
  const cmd = emptyCommand("ollama", `ollama ${sub}`);
  let prompt = false;
  parseFlags(argv.slice(2), CLI_INDEX, CLI_STYLE, cmd, {
    positional: (word) => {
      if (sub === "run" && cmd.model === undefined) {
        cmd.model = word;
        cmd.spelled.model = "<model>";
        return true;
      }
      if (sub === "run") {
        prompt = true; // the rest is the prompt
        return true;
      }
      cmd.unknown.push(clip(word));
      return true;
    },
    wantsPositional: () => sub === "run" && cmd.model === undefined,
  });
  void prompt;
  if (sub === "run" && cmd.model === undefined) throw invalidOption("ollama run needs a model, e.g. ollama run qwen2.5:14b");
  applyOllamaEnv(cmd, environment);
  return cmd;
}

/** Read OLLAMA_* (and device) variables as envconfig does: trimmed of blanks and quotes, typed, validated. */
export function applyOllamaEnv(cmd: EngineCommand, environment: Record<string, string>): void {
  for (const k of DEVICE_ENV) if (environment[k] !== undefined) cmd.env[k] = environment[k];
  for (const spec of OLLAMA_ENV_FLAGS) {
    const variable = spec.env!;
    if (environment[variable] === undefined) continue;
    const raw = environment[variable].trim().replace(/^["']+|["']+$/g, "");
    cmd.env[variable] = environment[variable];
    if (raw === "") continue; // envconfig treats empty as unset
    let value: string | number | boolean;
    if (variable === "OLLAMA_FLASH_ATTENTION" || variable === "OLLAMA_SCHED_SPREAD") {
      const b = parseGoBool(raw);
      if (b === undefined) cmd.warnings.push(`${variable}=${clip(raw)} is not a Go bool; Ollama reads it as true`);
      value = b ?? true;
    } else if (spec.type === "int") {
      if (!/^\d+$/.test(raw)) throw invalidOption(`Ollama: ${variable}=${clip(raw)} must be a whole number ≥ 0 (Ollama would log a warning and use its default)`);
      value = typed(spec, raw, variable, CLI_STYLE) as number;
    } else {
      value = typed(spec, raw, variable, CLI_STYLE);
    }
    cmd.flags[spec.name] = value;
    cmd.spelled[spec.name] = variable;
    if (!spec.memory) cmd.ignored.push(variable);
  }
  for (const k of Object.keys(environment)) {
    if (k.startsWith("OLLAMA_") && !OLLAMA_ENV_FLAGS.some((s) => s.env === k)) {
      cmd.unknown.push(k);
      cmd.env[k] = environment[k];
    }
  }
}

/**
 * A Modelfile (FROM / PARAMETER / ADAPTER lines) or `/set parameter name value` lines from `ollama run`.
 * Unknown parameters are errors in Ollama ("unknown parameter"); here they are listed in `unknown`.
 */
export function parseOllamaModelfile(text: string, environment: Record<string, string> = {}): EngineCommand {
  if (text.length > 1_000_000) throw invalidOption(`the Modelfile is ${text.length} characters long; at most 1000000 are read`);
  const cmd = emptyCommand("ollama", "Modelfile");
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const set = /^\/set\s+parameter\s+(\S+)\s+(.*)$/i.exec(line);
    const m = set ? null : /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!set && !m) {
      cmd.unknown.push(clip(line));
      continue;
    }
    const instr = set ? "PARAMETER" : m![1].toUpperCase();
    let args = set ? `${set[1]} ${set[2]}` : m![2];
    if (args.startsWith('"""')) {
      // multi-line string (TEMPLATE, SYSTEM, MESSAGE): skip to the closing """
      if (!(args.length > 3 && args.slice(3).includes('"""'))) {
        while (i + 1 < lines.length && !lines[i + 1].includes('"""')) i++;
        i++;
      }
      args = "";
    }
    switch (instr) {
      case "FROM":
        cmd.model = unquote(args.trim());
        cmd.spelled.model = "FROM";
        break;
      case "ADAPTER": {
        const prev = cmd.flags.adapter;
        cmd.flags.adapter = [...(Array.isArray(prev) ? prev : []), unquote(args.trim())];
        cmd.spelled.adapter = "ADAPTER";
        break;
      }
      case "PARAMETER": {
        const pm = /^(\S+)\s+(.*)$/.exec(args.trim());
        if (!pm) {
          cmd.unknown.push(clip(line));
          break;
        }
        const name = pm[1].toLowerCase();
        const raw = unquote(pm[2].trim());
        const spec = PARAMS.get(name);
        const spelling = set ? `/set parameter ${name}` : `PARAMETER ${name}`;
        if (!spec) {
          cmd.unknown.push(spelling);
          cmd.warnings.push(`Ollama refuses unknown parameter '${clip(pm[1])}'`);
          break;
        }
        if (DEPRECATED.has(name)) {
          cmd.ignored.push(spelling);
          cmd.warnings.push(`parameter ${name} is deprecated: Ollama ignores it`);
          break;
        }
        let value: string | number | boolean | string[];
        if (spec.type === "int") {
          if (!/^[+-]?\d+$/.test(raw)) throw invalidOption(`Ollama: ${spelling} expects a whole number, got '${clip(raw)}' (Ollama: invalid int value)`);
          value = typed(spec, raw, spelling, CLI_STYLE) as number;
        } else if (name === "use_mmap") {
          const b = parseGoBool(raw);
          if (b === undefined) throw invalidOption(`Ollama: ${spelling} expects true or false, got '${clip(raw)}'`);
          value = b;
        } else if (spec.type === "list") {
          const prev = cmd.flags[name];
          value = [...(Array.isArray(prev) ? prev : []), raw];
        } else value = raw;
        cmd.flags[name] = value;
        cmd.spelled[name] = spelling;
        if (!spec.memory && !cmd.ignored.includes(spelling)) cmd.ignored.push(spelling);
        break;
      }
      case "TEMPLATE":
      case "SYSTEM":
      case "LICENSE":
      case "MESSAGE":
      case "REQUIRES":
      case "RENDERER":
      case "PARSER":
        cmd.ignored.push(instr);
        break;
      default:
        cmd.unknown.push(clip(instr));
    }
  }
  applyOllamaEnv(cmd, environment);
  return cmd;
}

function unquote(s: string): string {
  return s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) ? s.slice(1, -1) : s;
}
