/**
 * A parsed engine command (EngineCommand) → the workload vramfit estimates: the model to read, the runtime, and
 * every memory-relevant flag under vramfit's option name — with, for each option, the user's own spelling of the
 * flag, so that answers (the estimate, `vramfit fit`) speak in the user's flags. Flag meanings and defaults are the
 * engines' (docs/engines/*.md, the flag tables in this folder); what a flag changes that vramfit does not model is
 * named in `notModelled`, never dropped silently.
 */
import { VramfitError } from "../core/errors.js";
import { LLAMACPP_FLAGS } from "./llamacpp.js";
import { OLLAMA_CLI_FLAGS, OLLAMA_ENV_FLAGS, OLLAMA_PARAM_FLAGS } from "./ollama.js";
import { ollamaModel } from "./ollama-library.js";
import { SGLANG_FLAGS } from "./sglang.js";
import { clip, type Engine, type EngineCommand, type FlagSpec, type FlagValue } from "./types.js";
import { VLLM_FLAGS } from "./vllm.js";

export type RuntimeId = "vllm" | "sglang" | "llama.cpp" | "ollama";

/** One vramfit option set from the command, and the engine flag it came from. */
export interface MappedFlag {
  /** The engine's canonical flag name (EngineCommand.flags key). */
  engineName: string;
  /** As the user spelled it ("-c", "--ctx-size", "OLLAMA_NUM_PARALLEL", "PARAMETER num_ctx"). */
  spelled: string;
  value: FlagValue;
}

export interface CommandWorkload {
  engine: Engine;
  runtime: RuntimeId;
  program: string;
  /** What the model resolver takes: a Hugging Face id, a path, a GGUF file or URL, a catalog id. */
  model: string;
  /** vramfit options (library keys), without the GPU. */
  options: Record<string, unknown>;
  /** vramfit option key → the engine flag that set it. */
  from: Record<string, MappedFlag>;
  /** GPUs the command uses in all (tensor × pipeline × data parallel). */
  gpusTotal: number;
  /** Settings that need the model first: llama.cpp's -c 0 / default = the model's context. */
  seqFromModel: boolean;
  /** Memory flags understood but not modelled, as spelled with what they change. */
  notModelled: string[];
  /** Accepted flags without a memory effect (as spelled), and flags the engine does not know. */
  ignored: string[];
  unknown: string[];
  /** The parser's warnings and how flags were read (one line each). */
  notes: string[];
}

const RUNTIME: Record<Engine, RuntimeId> = { vllm: "vllm", sglang: "sglang", "llama.cpp": "llama.cpp", ollama: "ollama" };

/** The flag table of an engine (Ollama: environment, Modelfile parameters and CLI flags). */
export function engineFlagTable(engine: Engine): readonly FlagSpec[] {
  switch (engine) {
    case "vllm":
      return VLLM_FLAGS;
    case "sglang":
      return SGLANG_FLAGS;
    case "llama.cpp":
      return LLAMACPP_FLAGS;
    case "ollama":
      return [...OLLAMA_ENV_FLAGS, ...OLLAMA_PARAM_FLAGS, ...OLLAMA_CLI_FLAGS];
  }
}

/**
 * How to write `engineName value` for this command: the user's spelling when they gave the flag, else the engine's
 * first spelling. Environment variables come out as NAME=value, Modelfile parameters as `PARAMETER name value`.
 */
export function spellFlag(cmd: Pick<EngineCommand, "engine" | "spelled">, engineName: string, value: FlagValue | null): string {
  const spec = engineFlagTable(cmd.engine).find((f) => f.name === engineName);
  const spelled = cmd.spelled[engineName] ?? spec?.names[0] ?? `--${engineName.replace(/_/g, "-")}`;
  const v = Array.isArray(value) ? value.join(",") : value;
  if (/^[A-Z][A-Z0-9_]+$/.test(spelled)) return `${spelled}=${v ?? ""}`;
  if (spelled.startsWith("PARAMETER ")) return `${spelled} ${v ?? ""}`;
  if (value === true || value === null) return spelled;
  if (value === false) {
    const neg = spec?.negNames?.[0];
    return neg ?? `(no ${spelled})`;
  }
  return `${spelled} ${typeof v === "string" && /[\s"'|()*$]/.test(v) ? JSON.stringify(v) : v}`;
}

/** vramfit dtype from an engine's --dtype value (auto: left to the checkpoint). */
function dtypeOf(v: string): string | undefined {
  const x = v.toLowerCase();
  if (x === "half" || x === "float16" || x === "fp16") return "fp16";
  if (x === "bfloat16" || x === "bf16") return "bf16";
  if (x === "float" || x === "float32" || x === "fp32") return "fp32";
  return undefined;
}

/** vramfit KV dtype from vLLM/SGLang --kv-cache-dtype (undefined for auto; null for a type vramfit does not size). */
function kvDtypeOf(v: string): string | undefined | null {
  const x = v.toLowerCase();
  if (x === "auto") return undefined;
  if (/^fp8(_e4m3|_e5m2|_inc)?$/.test(x)) return "fp8";
  if (x === "bfloat16" || x === "bf16") return "bf16";
  if (x === "float16" || x === "fp16" || x === "half") return "fp16";
  return null;
}

/** vramfit weight format from vLLM/SGLang --quantization (null: a method vramfit does not size). */
function quantOf(v: string): string | null {
  const x = v.toLowerCase();
  if (x === "awq" || x === "awq_marlin") return "awq";
  if (x === "gptq" || x === "gptq_marlin") return "gptq";
  if (x === "fp8" || x === "w8a8_fp8") return "fp8";
  if (x === "bitsandbytes") return "nf4";
  if (x === "mxfp4") return "mxfp4";
  return null;
}

function num(v: FlagValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

class Mapper {
  readonly out: CommandWorkload;
  private readonly used = new Set<string>(["model"]);
  constructor(private readonly cmd: EngineCommand) {
    const table = engineFlagTable(cmd.engine);
    this.memory = new Set(table.filter((f) => f.memory).map((f) => f.name));
    for (const f of table) if (f.model) this.used.add(f.name);
    this.effects = new Map(table.map((f) => [f.name, f.effect]));
    this.out = {
      engine: cmd.engine,
      runtime: RUNTIME[cmd.engine],
      program: cmd.program,
      model: cmd.model ?? "",
      options: { runtime: RUNTIME[cmd.engine] },
      from: {},
      gpusTotal: 1,
      seqFromModel: false,
      notModelled: [],
      ignored: [...cmd.ignored],
      unknown: [...cmd.unknown],
      notes: [...cmd.warnings],
    };
  }
  private readonly memory: Set<string>;
  private readonly effects: Map<string, string>;

  has(name: string): boolean {
    return this.cmd.flags[name] !== undefined;
  }
  get(name: string): FlagValue | undefined {
    return this.cmd.flags[name];
  }
  /** Set vramfit option `key` from engine flag `name` (value transformed), remembering the spelling. */
  set(key: string, name: string, value: unknown, raw: FlagValue | undefined = this.cmd.flags[name]): void {
    this.used.add(name);
    if (value === undefined) return;
    this.out.options[key] = value;
    if (raw !== undefined) this.out.from[key] = { engineName: name, spelled: this.cmd.spelled[name] ?? name, value: raw };
  }
  /** The flag was read (no vramfit option needed, or noted). */
  use(name: string): void {
    this.used.add(name);
  }
  note(s: string): void {
    this.out.notes.push(s);
  }
  /** Memory flags the user gave that no rule above turned into an option. */
  finish(): CommandWorkload {
    for (const [name, value] of Object.entries(this.cmd.flags)) {
      if (this.used.has(name) || !this.memory.has(name)) continue;
      if (value === false || (Array.isArray(value) && value.length === 0)) continue;
      this.out.notModelled.push(`${spellFlag(this.cmd, name, value)} — ${this.effects.get(name) ?? "changes memory"} (not modelled: the estimate leaves it out)`);
    }
    if (!this.out.model) throw new VramfitError("invalid_option", `the ${this.cmd.program} command names no model`, { suggestion: this.cmd.engine === "llama.cpp" ? "add -m model.gguf" : this.cmd.engine === "sglang" ? "add --model-path <model>" : "add the model" });
    return this.out;
  }
}

/** The workload of a parsed engine command. Throws a one-line VramfitError for what cannot be estimated. */
export function commandWorkload(cmd: EngineCommand): CommandWorkload {
  const m = new Mapper(cmd);
  switch (cmd.engine) {
    case "vllm":
      mapVllm(m);
      break;
    case "sglang":
      mapSglang(m);
      break;
    case "llama.cpp":
      mapLlamaCpp(m, cmd);
      break;
    case "ollama":
      mapOllama(m, cmd);
      break;
  }
  return m.finish();
}

function mapDtypeQuantKv(m: Mapper, engine: string): void {
  const dt = m.get("dtype");
  if (typeof dt === "string") m.set("dtype", "dtype", dtypeOf(dt));
  const q = m.get("quantization");
  if (typeof q === "string") {
    const v = quantOf(q);
    if (v) m.set("quant", "quantization", v);
    else {
      m.use("quantization");
      m.note(`--quantization ${clip(q)}: weights sized as the checkpoint declares them (${engine} reads its quantization_config)`);
    }
  }
  const kv = m.get("kv_cache_dtype");
  if (typeof kv === "string") {
    const v = kvDtypeOf(kv);
    if (v === null) {
      m.use("kv_cache_dtype");
      throw new VramfitError("unsupported", `--kv-cache-dtype ${clip(kv)} is not modelled (vramfit sizes fp8, bf16 and fp16 KV caches)`);
    }
    m.set("kv_dtype", "kv_cache_dtype", v);
  }
}

function mapVllm(m: Mapper): void {
  mapDtypeQuantKv(m, "vLLM");
  const mml = m.get("max_model_len");
  if (typeof mml === "number" && mml > 0) {
    m.set("max_model_len", "max_model_len", mml);
    m.set("seq", "max_model_len", mml);
  } else if (mml !== undefined) {
    m.use("max_model_len");
    m.note("--max-model-len auto: vLLM picks the longest context that fits at startup; the estimate uses the model's context (vramfit fit finds the longest that fits)");
  }
  for (const k of ["gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens", "block_size", "kv_cache_memory_bytes"]) m.set(k, k, num(m.get(k)));
  if (m.get("enforce_eager") === true) m.set("enforce_eager", "enforce_eager", true);
  else m.use("enforce_eager");
  const cc = m.get("compilation_config");
  if (cc === "0" || m.get("optimization_level") === "0") {
    m.set("enforce_eager", m.has("compilation_config") ? "compilation_config" : "optimization_level", true);
    m.note("-O0: no CUDA graphs, as --enforce-eager");
  }
  const tp = num(m.get("tensor_parallel_size")) ?? 1;
  const pp = num(m.get("pipeline_parallel_size")) ?? 1;
  const dp = num(m.get("data_parallel_size")) ?? 1;
  m.set("gpus", "tensor_parallel_size", tp > 1 ? tp : undefined);
  m.set("pipeline_parallel_size", "pipeline_parallel_size", pp > 1 ? pp : undefined);
  if (dp > 1) {
    m.use("data_parallel_size");
    m.note(`${m.get("data_parallel_size")} data-parallel replicas: each holds the per-GPU memory below`);
  }
  m.out.gpusTotal = tp * pp * dp;
  if (m.get("enable_chunked_prefill") === false && typeof mml === "number") {
    m.use("enable_chunked_prefill");
    if (!m.has("max_num_batched_tokens")) m.set("max_num_batched_tokens", "enable_chunked_prefill", Math.max(mml, 2048));
  } else m.use("enable_chunked_prefill");
  for (const k of ["enable_prefix_caching", "disable_sliding_window", "disable_hybrid_kv_cache_manager", "cpu_offload_gb", "swap_space"]) if (m.get(k) === 0 || m.get(k) === false) m.use(k);
}

function mapSglang(m: Mapper): void {
  mapDtypeQuantKv(m, "SGLang");
  const cl = num(m.get("context_length"));
  if (cl !== undefined) {
    m.set("context_length", "context_length", cl);
    m.set("seq", "context_length", cl);
  }
  for (const k of ["mem_fraction_static", "max_total_tokens", "max_running_requests", "chunked_prefill_size", "max_prefill_tokens", "page_size", "mamba_full_memory_ratio", "max_mamba_cache_size"]) m.set(k, k, num(m.get(k)));
  const bs = num(m.get("cuda_graph_max_bs")) ?? num(m.get("cuda_graph_max_bs_decode"));
  if (bs !== undefined) m.set("cuda_graph_max_bs", m.has("cuda_graph_max_bs") ? "cuda_graph_max_bs" : "cuda_graph_max_bs_decode", bs);
  for (const k of ["disable_cuda_graph", "disable_decode_cuda_graph"]) {
    if (m.get(k) === true) m.set("disable_cuda_graph", k, true);
    else m.use(k);
  }
  if (m.get("cuda_graph_backend_decode") === "disabled") m.set("disable_cuda_graph", "cuda_graph_backend_decode", true);
  if (m.get("disable_radix_cache") === true) m.set("disable_radix_cache", "disable_radix_cache", true);
  else m.use("disable_radix_cache");
  const ssm = m.get("mamba_ssm_dtype");
  if (typeof ssm === "string") m.set("mamba_ssm_dtype", "mamba_ssm_dtype", dtypeOf(ssm));
  const ab = m.get("attention_backend");
  if (typeof ab === "string") m.set("attention_backend", "attention_backend", ab);
  const tp = num(m.get("tp_size")) ?? 1;
  const pp = num(m.get("pp_size")) ?? 1;
  const dp = num(m.get("dp_size")) ?? 1;
  m.set("gpus", "tp_size", tp > 1 ? tp : undefined);
  m.set("pp_size", "pp_size", pp > 1 ? pp : undefined);
  if (dp > 1) {
    m.use("dp_size");
    m.note(`${m.get("dp_size")} data-parallel replicas: each holds the per-GPU memory below`);
  }
  m.out.gpusTotal = tp * pp * dp;
  for (const k of ["disable_prefill_cuda_graph", "enable_dp_attention", "enable_piecewise_cuda_graph", "enable_torch_compile"]) if (m.get(k) === false) m.use(k);
}

const LLAMA_BOOL: Record<string, string> = { swa_full: "swa_full", kv_unified: "kv_unified", no_kv_offload: "no_kv_offload", cpu_moe: "cpu_moe" };

function mapLlamaCpp(m: Mapper, cmd: EngineCommand): void {
  const hf = m.get("hf_repo");
  if (cmd.flags.model === undefined && typeof hf === "string") {
    const file = m.get("hf_file");
    const repo = hf.replace(/:[^/]*$/, "");
    if (typeof file !== "string") {
      throw new VramfitError("unsupported", `-hf ${clip(hf)} picks a GGUF file by its quant tag; vramfit needs the file's name`, { suggestion: `add -hff <file.gguf> (then ${clip(repo)}/<file.gguf> is read from the Hub), or give -m with a local path` });
    }
    m.out.model = `${repo}/${file}`;
    m.use("hf_repo");
    m.use("hf_file");
  } else {
    m.use("hf_repo");
    m.use("hf_file");
  }
  for (const k of ["model_url", "docker_repo"]) m.use(k);
  if (typeof cmd.flags.docker_repo === "string" && cmd.flags.model === undefined) throw new VramfitError("unsupported", "-dr (a Docker Hub model) is not read; give the GGUF file with -m");
  const c = num(m.get("ctx_size"));
  if (c !== undefined && c > 0) m.set("seq", "ctx_size", c);
  else {
    m.use("ctx_size");
    m.out.seqFromModel = true;
    m.note(c === 0 ? "-c 0: the model's training context (n_ctx_train)" : "no -c: current llama.cpp builds use the model's training context (-c 0); --fit (on by default) may lower it at load time to fit");
  }
  const np = m.get("parallel");
  const server = cmd.program === "llama-server";
  if (typeof np === "number" && np > 0) m.set("parallel", "parallel", np);
  else if (server) {
    // llama-server: n_parallel auto → 4 slots and kv_unified (server.cpp; docs/engines/llama.cpp.md).
    m.set("parallel", "parallel", 4);
    if (!m.has("kv_unified")) m.set("kv_unified", "parallel", true);
    m.note("llama-server without -np: 4 slots sharing one unified KV cache (n_parallel auto)");
  } else m.use("parallel");
  for (const k of ["batch_size", "ubatch_size", "n_cpu_moe"]) m.set(k, k, num(m.get(k)));
  const fa = m.get("flash_attn");
  if (fa === "on" || fa === "off") m.set("flash_attn", "flash_attn", fa === "on");
  else m.use("flash_attn");
  for (const k of ["cache_type_k", "cache_type_v"]) {
    const v = m.get(k);
    if (typeof v === "string") m.set(k, k, v);
  }
  for (const [engine, key] of Object.entries(LLAMA_BOOL)) {
    const v = m.get(engine);
    if (typeof v === "boolean") m.set(key, engine, v);
    else m.use(engine);
  }
  const ngl = m.get("n_gpu_layers");
  if (typeof ngl === "number") m.set("n_gpu_layers", "n_gpu_layers", ngl <= -2 ? -1 : ngl);
  else if (ngl === "all") m.set("n_gpu_layers", "n_gpu_layers", -1);
  else {
    m.use("n_gpu_layers");
    m.note(ngl === "auto" ? "-ngl auto: --fit offloads what fits; the estimate offloads every layer (vramfit fit finds the count)" : "no -ngl: every layer offloaded unless --fit lowers it at load time");
  }
  const ot = m.get("override_tensor");
  if (Array.isArray(ot) && ot.length > 0) m.set("override_tensor", "override_tensor", ot.join(","));
  const ts = m.get("tensor_split");
  const shares = Array.isArray(ts) ? ts.flatMap((x) => x.split(/[,/]+/)).filter((x) => x !== "") : typeof ts === "string" ? ts.split(/[,/]+/) : [];
  if (shares.length > 0) {
    m.set("tensor_split", "tensor_split", shares.join(","));
    const used = shares.length;
    m.out.gpusTotal = used;
    m.set("gpus", "tensor_split", used > 1 ? used : undefined);
  } else {
    const visible = cmd.env.CUDA_VISIBLE_DEVICES;
    if (visible !== undefined && /^[\d,\s]+$/.test(visible)) {
      const n = visible.split(",").filter((x) => x.trim() !== "").length;
      if (n > 1) {
        m.out.options.gpus = n;
        m.note(`CUDA_VISIBLE_DEVICES=${visible}: layers split over ${n} GPUs`);
      }
      m.out.gpusTotal = Math.max(1, n);
    }
  }
  const sm = m.get("split_mode");
  if (typeof sm === "string") m.set("split_mode", "split_mode", sm);
  if (m.get("device") === "none") {
    m.set("n_gpu_layers", "device", 0);
    m.note("--device none: everything on the CPU");
  } else m.use("device");
  for (const k of ["main_gpu", "fit", "fit_target", "fit_ctx", "mmap", "repack", "mmproj_auto", "mmproj_offload"]) m.use(k);
  if (m.get("fit") !== "off" && (!m.has("ctx_size") || !m.has("n_gpu_layers"))) m.note("llama.cpp's --fit (on by default) adjusts unset -c / -ngl to the free memory at load time; `vramfit fit` computes the same flags offline");
}

/** Go's strconv.ParseBool as envconfig.Bool reads OLLAMA_FLASH_ATTENTION: a value that does not parse reads true. */
function goBool(v: FlagValue): boolean {
  if (typeof v === "boolean") return v;
  const s = String(v).trim();
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return true;
}

function mapOllama(m: Mapper, cmd: EngineCommand): void {
  if (cmd.program === "ollama serve" && !cmd.model) {
    throw new VramfitError("invalid_option", "ollama serve names no model: paste `ollama run <model>` (with the server's OLLAMA_* settings) or a Modelfile");
  }
  const model = cmd.model ?? "";
  if (/\.gguf$/i.test(model) || model.startsWith("/") || model.startsWith("./")) {
    m.out.model = model;
  } else {
    const ref = ollamaModel(model);
    m.out.model = ref.catalogId;
    m.out.options.quant = ref.quant;
    m.note(ref.note);
  }
  const ctx = num(m.get("num_ctx")) ?? num(m.get("context_length"));
  if (ctx !== undefined && ctx > 0) m.set("seq", m.has("num_ctx") ? "num_ctx" : "context_length", ctx);
  m.use("num_ctx");
  m.use("context_length");
  const par = num(m.get("num_parallel"));
  if (par !== undefined && par > 0) m.set("parallel", "num_parallel", par);
  else m.use("num_parallel");
  const kv = m.get("kv_cache_type");
  if (typeof kv === "string" && kv !== "") {
    m.set("cache_type_k", "kv_cache_type", kv);
    m.set("cache_type_v", "kv_cache_type", kv);
  } else m.use("kv_cache_type");
  const fa = m.get("flash_attention");
  if (fa !== undefined && fa !== "") m.set("flash_attn", "flash_attention", goBool(fa));
  else m.use("flash_attention");
  const nb = num(m.get("num_batch"));
  if (nb !== undefined && nb > 0) {
    m.set("batch_size", "num_batch", nb);
    m.set("ubatch_size", "num_batch", nb);
  } else m.use("num_batch");
  const ng = num(m.get("num_gpu"));
  if (ng !== undefined && ng >= 0) m.set("n_gpu_layers", "num_gpu", ng);
  else m.use("num_gpu");
  const oh = num(m.get("gpu_overhead"));
  if (oh !== undefined) m.set("gpu_overhead", "gpu_overhead", oh);
  if (m.get("main_gpu") !== undefined) m.set("split_mode", "main_gpu", "none");
  for (const k of ["sched_spread", "max_loaded_models", "fit", "fit_target", "use_mmap"]) m.use(k);
}

/** vramfit option key → the engine's canonical flag (for answers in the engine's flags), per engine. */
const ENGINE_KEYS: Record<Engine, Record<string, string>> = {
  vllm: {
    max_model_len: "max_model_len", seq: "max_model_len", gpu_memory_utilization: "gpu_memory_utilization", max_num_seqs: "max_num_seqs",
    max_num_batched_tokens: "max_num_batched_tokens", block_size: "block_size", kv_dtype: "kv_cache_dtype", gpus: "tensor_parallel_size",
    pipeline_parallel_size: "pipeline_parallel_size", enforce_eager: "enforce_eager", quant: "quantization", dtype: "dtype", kv_cache_memory_bytes: "kv_cache_memory_bytes",
  },
  sglang: {
    context_length: "context_length", seq: "context_length", mem_fraction_static: "mem_fraction_static", chunked_prefill_size: "chunked_prefill_size",
    max_running_requests: "max_running_requests", max_total_tokens: "max_total_tokens", max_prefill_tokens: "max_prefill_tokens", page_size: "page_size",
    cuda_graph_max_bs: "cuda_graph_max_bs", disable_cuda_graph: "disable_cuda_graph", kv_dtype: "kv_cache_dtype", gpus: "tp_size", pp_size: "pp_size",
    quant: "quantization", dtype: "dtype", attention_backend: "attention_backend",
  },
  "llama.cpp": {
    seq: "ctx_size", parallel: "parallel", cache_type_k: "cache_type_k", cache_type_v: "cache_type_v", flash_attn: "flash_attn", n_gpu_layers: "n_gpu_layers",
    ubatch_size: "ubatch_size", batch_size: "batch_size", override_tensor: "override_tensor", n_cpu_moe: "n_cpu_moe", cpu_moe: "cpu_moe",
    tensor_split: "tensor_split", no_kv_offload: "no_kv_offload", kv_unified: "kv_unified", swa_full: "swa_full", split_mode: "split_mode",
  },
  ollama: {
    seq: "num_ctx", parallel: "num_parallel", cache_type_k: "kv_cache_type", cache_type_v: "kv_cache_type", flash_attn: "flash_attention",
    n_gpu_layers: "num_gpu", ubatch_size: "num_batch", batch_size: "num_batch", gpu_overhead: "gpu_overhead",
  },
};

/** An option value in the engine's own words (fp8 → fp8_e4m3 for SGLang, true → on for llama.cpp's -fa, ...). */
function engineValue(engine: Engine, key: string, value: unknown): FlagValue | null {
  if (typeof value === "boolean") {
    if (engine === "llama.cpp" && key === "flash_attn") return value ? "on" : "off";
    if (engine === "ollama" && key === "flash_attn") return value ? "1" : "0";
    return value ? true : false;
  }
  if (key === "kv_dtype") {
    if (engine === "sglang") return value === "fp8" ? "fp8_e4m3" : value === "bf16" ? "bfloat16" : value === "fp16" ? "float16" : String(value);
    if (engine === "vllm") return value === "bf16" ? "bfloat16" : value === "fp16" ? "float16" : String(value);
  }
  if (key === "dtype") return value === "bf16" ? "bfloat16" : value === "fp16" ? "float16" : value === "fp32" ? "float32" : String(value);
  if (typeof value === "number" || typeof value === "string") return value;
  return null;
}

export interface EngineSetting {
  /** The engine's canonical flag name. */
  name: string;
  /** How to write it for this command ("-c 8192", "--mem-fraction-static 0.85", "OLLAMA_NUM_PARALLEL=2"). */
  text: string;
  value: FlagValue;
}

/** A vramfit option as the engine's flag, spelled as this command spells it; undefined when the engine has none. */
export function engineSetting(cmd: Pick<EngineCommand, "engine" | "spelled">, key: string, value: unknown): EngineSetting | undefined {
  const name = ENGINE_KEYS[cmd.engine][key];
  if (!name) return undefined;
  const v = engineValue(cmd.engine, key, value);
  if (v === null) return undefined;
  // Ollama's context: the user's own spelling (env or PARAMETER), else a Modelfile parameter.
  if (cmd.engine === "ollama" && key === "seq" && cmd.spelled.context_length && !cmd.spelled.num_ctx) return { name: "context_length", text: spellFlag(cmd, "context_length", v), value: v };
  if (cmd.engine === "vllm" && key === "enforce_eager" && v === false) return undefined;
  return { name, text: spellFlag(cmd, name, v), value: v };
}
