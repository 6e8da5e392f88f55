/**
 * vLLM's command line: `vllm serve <model> ...` and `python -m vllm.entrypoints.openai.api_server --model ...`.
 *
 * Versions read (each fact cites its file): vllm/engine/arg_utils.py at 99d7eb5d (v0.11 series: the CLI
 * groups, -tp/-pp/-dp/-dcp/-q/-O, human-readable ints, the per-GPU batch defaults), vllm/config/cache.py
 * at 002f10e0 (a later CacheConfig: gpu_memory_utilization 0.92, block size 16, KV dtypes incl. nvfp4,
 * KV offloading) and vllm/utils/argparse_utils.py at 00da11e3 (FlexibleArgumentParser: '_' = '-' in long
 * names, `--json-arg.key value`, -O<level>, --max-model-len auto). Details: docs/engines/vllm.md.
 *
 * The parser is Python argparse: `--flag value`, `--flag=value`, unique prefixes of long options
 * (allow_abbrev is left on), `-qawq`, values may start with '-' only when they are negative numbers,
 * `--no-<flag>` for the dataclass booleans (BooleanOptionalAction).
 */
import { fraction, indexFlags, parseFlags, type ParserStyle } from "./flags.js";
import { clip, emptyCommand, invalidOption, type EngineCommand, type FlagSpec, type FlagType } from "./types.js";

const ARGS = "vllm/engine/arg_utils.py @99d7eb5d";
const CACHE = "vllm/config/cache.py @002f10e0";
const PARSE = "vllm/utils/argparse_utils.py @00da11e3";
const FRONT = "vllm/entrypoints/openai/cli_args.py";

export const VLLM_DTYPES = ["auto", "half", "float16", "bfloat16", "float", "float32"] as const;
/** CacheDType: v0.11 values plus the later ones in config/cache.py @002f10e0. */
export const VLLM_KV_CACHE_DTYPES = [
  "auto", "float16", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2", "fp8_inc", "fp8_ds_mla", "nvfp4_ds_mla",
  "turboquant_k8v4", "turboquant_4bit_nc", "turboquant_k3v4_nc", "turboquant_3bit_nc", "int4_per_token_head",
  "int8_per_token_head", "fp8_per_token_head", "nvfp4", "nvfp4_4over6",
] as const;

const positive = (v: number | string) => (typeof v === "number" && v < 1 ? `must be at least 1, got ${v}` : undefined);
const nonNegative = (v: number | string) => (typeof v === "number" && v < 0 ? `must be 0 or more, got ${v}` : undefined);
const methodName = (v: number | string) => (typeof v === "string" && !/^[A-Za-z0-9_.\-]+$/.test(v) ? `'${clip(v)}' is not a quantization method name` : undefined);
const maxModelLen = (v: number | string) => (typeof v === "number" && v < 1 && v !== -1 ? `must be at least 1 (or -1/auto), got ${v}` : undefined);

function m(name: string, names: string[], type: FlagType, dflt: string, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, names, type, default: dflt, memory: true, effect, source: ARGS, ...extra };
}
/** A dataclass boolean: argparse.BooleanOptionalAction gives --x and --no-x. */
function mb(name: string, dflt: string, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  const long = `--${name.replace(/_/g, "-")}`;
  return m(name, [long], "bool", dflt, effect, { negNames: [`--no-${long.slice(2)}`], ...extra });
}
function x(names: string[], type: FlagType = "string", extra: Partial<FlagSpec> = {}): FlagSpec {
  const long = names.find((n) => n.startsWith("--")) ?? names[0];
  const name = long.replace(/^-+/, "").replace(/-/g, "_");
  return { name, names, type, default: "—", memory: false, effect: extra.effect ?? "no effect on memory", source: ARGS, ...extra };
}
function xb(name: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  const long = `--${name.replace(/_/g, "-")}`;
  return x([long], "bool", { negNames: [`--no-${long.slice(2)}`], ...extra });
}

export const VLLM_FLAGS: FlagSpec[] = [
  // ---- model and weights
  m("model", ["--model"], "string", "facebook/opt-125m (vllm serve takes it as the first positional)", "the checkpoint whose weights are loaded", { model: true }),
  m("dtype", ["--dtype"], "enum", "auto (the checkpoint's dtype; FP32 checkpoints run in FP16)", "bytes per weight and activation element", { choices: VLLM_DTYPES }),
  m("quantization", ["--quantization", "-q"], "string", "from the checkpoint's quantization_config", "weight format (awq, gptq, fp8, bitsandbytes, gguf, ...): bytes per weight", { check: methodName }),
  m("load_format", ["--load-format"], "string", "auto", "bitsandbytes / gguf / dummy change how weights are stored and loaded"),
  m("hf_overrides", ["--hf-overrides"], "string", "{}", "overrides config.json fields (layers, max_position_embeddings, ...) that size weights and the context", { dotted: true }),
  m("rope_scaling", ["--rope-scaling"], "string", "{} (from the model)", "a RoPE scaling factor raises the derived max_model_len", { dotted: true }),
  m("max_model_len", ["--max-model-len"], "hint", "derived from the model config (max_position_embeddings × RoPE factor); -1/auto: the largest that fits (later versions)", "context per sequence: the profile run and whether one max-length sequence fits the KV pool", { words: ["auto"], check: maxModelLen, source: PARSE }),
  // ---- KV cache
  m("gpu_memory_utilization", ["--gpu-memory-utilization"], "float", "0.9 (v0.11); 0.92 in later CacheConfig", "the share of each GPU's total memory vLLM may use: weights + activations peak + non-torch memory + KV cache", { check: fraction, source: CACHE }),
  m("kv_cache_memory_bytes", ["--kv-cache-memory-bytes"], "hint", "none (derived from gpu_memory_utilization)", "KV cache size per GPU in bytes; when set, gpu_memory_utilization is ignored", { check: nonNegative, source: CACHE }),
  m("kv_cache_dtype", ["--kv-cache-dtype"], "enum", "auto (= the model dtype; DeepSeek-V3.2 defaults to fp8)", "bytes per KV element", { choices: VLLM_KV_CACHE_DTYPES, source: CACHE }),
  m("block_size", ["--block-size"], "int", "16 on CUDA (CacheConfig.DEFAULT_BLOCK_SIZE)", "tokens per KV block: the pool is a whole number of blocks", { check: positive, source: CACHE }),
  m("num_gpu_blocks_override", ["--num-gpu-blocks-override"], "int", "none", "replaces the profiled number of KV blocks", { check: positive, source: CACHE }),
  m("swap_space", ["--swap-space"], "float", "4 GiB (removed in later versions)", "CPU swap space per GPU for preempted sequences (host memory)", { check: nonNegative }),
  m("cpu_offload_gb", ["--cpu-offload-gb"], "float", "0", "GiB of weights per GPU kept in host memory and streamed in", { check: nonNegative }),
  m("kv_offloading_size", ["--kv-offloading-size"], "float", "none (off)", "GiB of host memory for KV offloading (summed over TP ranks)", { check: nonNegative, source: CACHE, since: "later than v0.11" }),
  m("kv_offloading_backend", ["--kv-offloading-backend"], "enum", "native", "which KV offloading backend allocates the host buffer", { choices: ["native", "lmcache"], source: CACHE, since: "later than v0.11" }),
  m("kv_transfer_config", ["--kv-transfer-config"], "string", "none", "a KV connector (LMCache, NIXL, offloading) with its own buffers", { dotted: true }),
  mb("disable_sliding_window", "false", "sliding-window models keep full-length KV in every layer"),
  mb("disable_hybrid_kv_cache_manager", "false", "hybrid (SWA / Mamba) models get one uniform KV layout instead of per-group pools"),
  m("mamba_cache_dtype", ["--mamba-cache-dtype"], "enum", "auto", "bytes per Mamba conv/SSM state element", { choices: ["auto", "float32", "float16", "bfloat16"] }),
  m("mamba_ssm_cache_dtype", ["--mamba-ssm-cache-dtype"], "enum", "auto", "bytes per Mamba SSM state element", { choices: ["auto", "float32", "float16", "bfloat16"] }),
  m("mamba_block_size", ["--mamba-block-size"], "int", "none", "tokens per Mamba cache block (prefix caching)", { check: positive }),
  // ---- parallelism
  m("tensor_parallel_size", ["--tensor-parallel-size", "-tp"], "int", "1", "weights and KV heads split over this many GPUs", { check: positive }),
  m("pipeline_parallel_size", ["--pipeline-parallel-size", "-pp"], "int", "1", "layers split over this many GPUs", { check: positive }),
  m("data_parallel_size", ["--data-parallel-size", "-dp"], "int", "1", "full replicas (each with its own TP group)", { check: positive }),
  m("decode_context_parallel_size", ["--decode-context-parallel-size", "-dcp"], "int", "1", "KV cache split over the TP group's ranks (tp must be a multiple)", { check: positive }),
  mb("enable_expert_parallel", "false", "MoE experts split across GPUs instead of tensor-parallel slices"),
  m("all2all_backend", ["--all2all-backend"], "string", "none (allgather_reducescatter)", "expert-parallel all-to-all kernels (DeepEP) allocate communication buffers"),
  mb("enable_eplb", "false", "expert load balancing adds redundant experts (more expert weights per GPU)"),
  m("eplb_config", ["--eplb-config"], "string", "{}", "EPLB settings incl. num_redundant_experts", { dotted: true }),
  m("num_redundant_experts", ["--num-redundant-experts"], "int", "0 (deprecated: --eplb-config)", "extra expert copies per GPU", { check: nonNegative }),
  // ---- scheduler and activations
  m("max_num_batched_tokens", ["--max-num-batched-tokens"], "hint", "vllm serve: 2048, or 8192 on GPUs ≥ 70 GiB that are not an A100 (LLM class: 8192 / 16384); = max_model_len with chunked prefill off", "tokens in one forward pass: the profile run's activation peak", { check: positive }),
  m("max_num_seqs", ["--max-num-seqs"], "int", "256, or 1024 on GPUs ≥ 70 GiB that are not an A100 (capped at max_num_batched_tokens)", "sequences per step: sampler buffers and the largest CUDA graph", { check: positive }),
  mb("enable_chunked_prefill", "true for generative models (V1)", "off: the profile batch is max_model_len tokens"),
  mb("enforce_eager", "false", "no CUDA graphs: no graph memory pool"),
  m("cudagraph_capture_sizes", ["--cudagraph-capture-sizes"], "list", "derived from max_cudagraph_capture_size", "batch sizes captured as CUDA graphs", { multi: true }),
  m("cuda_graph_sizes", ["--cuda-graph-sizes"], "list", "deprecated alias of --cudagraph-capture-sizes", "batch sizes captured as CUDA graphs", { multi: true }),
  m("max_cudagraph_capture_size", ["--max-cudagraph-capture-size"], "int", "min(max_num_seqs × 2, 512)", "largest batch captured as a CUDA graph", { check: positive }),
  m("max_seq_len_to_capture", ["--max-seq-len-to-capture"], "int", "8192 (older versions)", "longest sequence covered by CUDA graphs (V0)", { check: positive }),
  m("compilation_config", ["--compilation-config", "-O"], "string", "{} (mode and cudagraph_mode per -O level)", "torch.compile and CUDA-graph mode; -O0 runs without CUDA graphs", { dotted: true }),
  m("optimization_level", ["--optimization-level"], "string", "2 (later versions; -O<n> sets it)", "compile/CUDA-graph level: 0 = eager", { source: PARSE, since: "later than v0.11" }),
  m("speculative_config", ["--speculative-config"], "string", "none", "a draft model or MTP/EAGLE head: extra weights, KV and graphs", { dotted: true }),
  // ---- LoRA and multimodal
  mb("enable_lora", "false", "LoRA slots are preallocated on the GPU"),
  m("max_loras", ["--max-loras"], "int", "1", "LoRA adapters resident at once (GPU slots)", { check: positive }),
  m("max_lora_rank", ["--max-lora-rank"], "int", "16", "rank of each LoRA slot", { check: positive }),
  m("max_cpu_loras", ["--max-cpu-loras"], "int", "max_loras", "LoRA adapters cached in host memory", { check: positive }),
  mb("fully_sharded_loras", "false", "LoRA weights sharded over TP ranks"),
  m("lora_dtype", ["--lora-dtype"], "string", "auto (the model dtype)", "bytes per LoRA weight"),
  m("lora_extra_vocab_size", ["--lora-extra-vocab-size"], "int", "256", "extra vocabulary rows per LoRA slot", { check: nonNegative }),
  m("limit_mm_per_prompt", ["--limit-mm-per-prompt"], "string", "1 item per modality", "how many images/videos the profile run feeds the encoder", { dotted: true }),
  m("mm_processor_cache_gb", ["--mm-processor-cache-gb"], "float", "4 GiB", "host memory for the multimodal preprocessor cache (per API process)", { check: nonNegative }),
  mb("skip_mm_profiling", "false", "the profile run leaves out the encoder: its activations are not reserved"),
  m("mm_encoder_tp_mode", ["--mm-encoder-tp-mode"], "enum", "weights", "data: each TP rank holds the whole vision encoder", { choices: ["weights", "data"] }),

  // ---- known, no memory effect (engine)
  x(["--runner"]), x(["--convert"]), x(["--task"]), x(["--tokenizer"]), x(["--tokenizer-mode"]), xb("trust_remote_code"), x(["--seed"]),
  x(["--hf-config-path"]), x(["--allowed-local-media-path"]), x(["--allowed-media-domains"], "list", { multi: true }), x(["--revision"]), x(["--code-revision"]),
  x(["--rope-theta"], "string", { effect: "RoPE base: positions, not sizes" }), x(["--tokenizer-revision"]), x(["--max-logprobs"]), x(["--logprobs-mode"]),
  xb("disable_cascade_attn"), xb("skip_tokenizer_init"), xb("enable_prompt_embeds"), x(["--served-model-name"], "list", { multi: true }),
  x(["--config-format"]), x(["--hf-token"]), x(["--pooler-config"]), x(["--override-pooler-config"]), x(["--logits-processor-pattern"]),
  x(["--generation-config"]), x(["--override-generation-config"]), xb("enable_sleep_mode", { effect: "lets the engine free memory on request; not the steady state" }),
  x(["--model-impl"]), x(["--override-attention-dtype"]), x(["--logits-processors"], "list", { multi: true }), x(["--io-processor-plugin"]),
  x(["--download-dir"]), x(["--safetensors-load-strategy"]), x(["--model-loader-extra-config"]), x(["--ignore-patterns"], "list", { multi: true }),
  xb("use_tqdm_on_load"), x(["--pt-load-map-location"]), x(["--reasoning-parser"]), x(["--guided-decoding-backend"]),
  x(["--guided-decoding-disable-fallback"]), x(["--guided-decoding-disable-any-whitespace"]), x(["--guided-decoding-disable-additional-properties"]),
  x(["--structured-outputs-config"]), x(["--distributed-executor-backend"]), x(["--data-parallel-rank", "-dpn"]), x(["--data-parallel-start-rank", "-dpr"]),
  x(["--data-parallel-size-local", "-dpl"]), x(["--data-parallel-address", "-dpa"]), x(["--data-parallel-rpc-port", "-dpp"]), x(["--data-parallel-backend", "-dpb"]),
  xb("data_parallel_hybrid_lb"), xb("enable_dbo"), x(["--dbo-decode-token-threshold"]), x(["--dbo-prefill-token-threshold"]),
  xb("disable_nccl_for_dp_synchronization"), x(["--expert-placement-strategy"]), x(["--eplb-window-size"]), x(["--eplb-step-interval"]),
  xb("eplb_log_balancedness"), x(["--max-parallel-loading-workers"]), xb("ray_workers_use_nsight"),
  xb("disable_custom_all_reduce", { effect: "skips the custom all-reduce IPC buffers (a few MiB)" }), x(["--worker-cls"]), x(["--worker-extension-cls"]),
  x(["--enable-multimodal-encoder-data-parallel"], "bool"), xb("enable_prefix_caching", { effect: "reuses KV blocks; the pool size is the same" }),
  x(["--prefix-caching-hash-algo"]), xb("calculate_kv_scales"), xb("kv_sharing_fast_prefill"), xb("enable_mm_embeds"), x(["--media-io-kwargs"]),
  x(["--mm-processor-kwargs"]), x(["--disable-mm-preprocessor-cache"], "bool"), x(["--mm-processor-cache-type"]), x(["--mm-shm-cache-max-object-size-mb"]),
  x(["--mm-encoder-attn-backend"]), xb("interleave_mm_strings"), x(["--video-pruning-rate"]), x(["--default-mm-loras"]),
  x(["--show-hidden-metrics-for-version"]), x(["--otlp-traces-endpoint"]), x(["--collect-detailed-traces"]), x(["--max-num-partial-prefills"]),
  x(["--max-long-partial-prefills"]), x(["--long-prefill-token-threshold"]), x(["--num-lookahead-slots"]), x(["--scheduling-policy"]),
  xb("disable_chunked_mm_input"), x(["--scheduler-cls"]), xb("async_scheduling"), x(["--kv-events-config"]), x(["--additional-config"]),
  x(["--disable-log-stats"], "bool"), x(["--aggregate-engine-logging"], "bool"), xb("enable_log_requests"), xb("disable_log_requests"),
  x(["--preemption-mode"]), x(["--num-scheduler-steps"]), xb("multi_step_stream_outputs"),
  // ---- known, no memory effect (OpenAI server front end)
  x(["--host"], "string", { source: FRONT, effect: "server address" }), x(["--port"], "string", { source: FRONT }), x(["--uds"], "string", { source: FRONT }),
  x(["--uvicorn-log-level"], "string", { source: FRONT }), xb("disable_uvicorn_access_log", { source: FRONT }), xb("allow_credentials", { source: FRONT }),
  x(["--allowed-origins"], "string", { source: FRONT }), x(["--allowed-methods"], "string", { source: FRONT }), x(["--allowed-headers"], "string", { source: FRONT }),
  x(["--api-key"], "list", { source: FRONT, multi: true }), x(["--lora-modules"], "list", { source: FRONT, multi: true, effect: "adapters loaded into the --max-loras slots (sized by the LoRA flags)" }),
  x(["--chat-template"], "string", { source: FRONT }), x(["--chat-template-content-format"], "string", { source: FRONT }), xb("trust_request_chat_template", { source: FRONT }),
  x(["--response-role"], "string", { source: FRONT }), x(["--ssl-keyfile"], "string", { source: FRONT }), x(["--ssl-certfile"], "string", { source: FRONT }),
  x(["--ssl-ca-certs"], "string", { source: FRONT }), xb("enable_ssl_refresh", { source: FRONT }), x(["--ssl-cert-reqs"], "string", { source: FRONT }),
  x(["--root-path"], "string", { source: FRONT }), x(["--middleware"], "list", { source: FRONT }), xb("return_tokens_as_token_ids", { source: FRONT }),
  xb("disable_frontend_multiprocessing", { source: FRONT }), xb("enable_request_id_headers", { source: FRONT }), xb("enable_auto_tool_choice", { source: FRONT }),
  xb("exclude_tools_when_tool_choice_none", { source: FRONT }), x(["--tool-call-parser"], "string", { source: FRONT }), x(["--tool-parser-plugin"], "string", { source: FRONT }),
  x(["--tool-server"], "string", { source: FRONT }), x(["--log-config-file"], "string", { source: FRONT }), x(["--max-log-len"], "string", { source: FRONT }),
  xb("disable_fastapi_docs", { source: FRONT }), xb("enable_prompt_tokens_details", { source: FRONT }), xb("enable_server_load_tracking", { source: FRONT }),
  xb("enable_force_include_usage", { source: FRONT }), xb("enable_tokenizer_info_endpoint", { source: FRONT }), xb("enable_log_outputs", { source: FRONT }),
  x(["--h11-max-incomplete-event-size"], "string", { source: FRONT }), x(["--h11-max-header-count"], "string", { source: FRONT }), xb("log_error_stack", { source: FRONT }),
  x(["--api-server-count", "-asc"], "string", { source: FRONT }), x(["--headless"], "bool", { source: FRONT }),
  x(["--config"], "string", { source: PARSE, effect: "a YAML file of more flags (not read here)" }),
];

const STYLE: ParserStyle = {
  equals: true,
  abbreviations: true,
  underscores: true,
  attachedShort: true,
  dashValues: "numbers",
  numbers: "python",
  boolValues: false,
  engine: "vLLM",
};

const INDEX = indexFlags(VLLM_FLAGS);

/** Environment variables that change what vLLM allocates. */
const VLLM_ENV = [
  "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "PYTORCH_CUDA_ALLOC_CONF", "VLLM_ATTENTION_BACKEND", "VLLM_USE_V1",
  "VLLM_CPU_KVCACHE_SPACE", "VLLM_ALLOW_LONG_MAX_MODEL_LEN", "VLLM_MM_INPUT_CACHE_GIB",
];

/**
 * `argv` starts at the program: ["vllm", "serve", ...] or ["python", "-m", "vllm.entrypoints.openai.api_server", ...]
 * (the dispatcher normalises the python prefix and passes `program`).
 */
export function parseVllm(program: "vllm serve" | "python -m vllm.entrypoints.openai.api_server", args: readonly string[], env: Record<string, string> = {}): EngineCommand {
  const cmd = emptyCommand("vllm", program);
  const argv = preprocessO(args);
  let sawPositional = false;
  parseFlags(argv, INDEX, STYLE, cmd, {
    positional: (word) => {
      if (program === "vllm serve" && !sawPositional && cmd.model === undefined) {
        sawPositional = true;
        cmd.model = word;
        cmd.flags.model = word;
        cmd.spelled.model = "<model>";
        return true;
      }
      cmd.unknown.push(clip(word));
      return true;
    },
    wantsPositional: () => program === "vllm serve" && !sawPositional && cmd.model === undefined,
  });
  for (const k of VLLM_ENV) if (env[k] !== undefined) cmd.env[k] = env[k];
  if (cmd.flags.config !== undefined) cmd.warnings.push("--config reads more flags from a YAML file, which is not read here");
  if (program !== "vllm serve" && cmd.model === undefined) cmd.warnings.push("no --model: vLLM would load facebook/opt-125m");
  if (cmd.flags.kv_cache_memory_bytes !== undefined && cmd.flags.gpu_memory_utilization !== undefined) {
    cmd.warnings.push("--kv-cache-memory-bytes is set, so vLLM ignores --gpu-memory-utilization");
  }
  return cmd;
}

/**
 * FlexibleArgumentParser rewrites -O<x>: -O3 / -O=3 / -O 3 → --optimization-level (later versions; in
 * v0.11 -O3 meant --compilation-config 3, i.e. level 3). `-O '{json}'` and `-O.key value` stay compilation config.
 */
function preprocessO(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-O") && a !== "-O" && !a.startsWith("-O.") && !a.startsWith("-O{")) {
      out.push("--optimization-level", a[2] === "=" ? a.slice(3) : a.slice(2));
    } else if (a === "-O" && /^[0-3]$/.test(args[i + 1] ?? "")) {
      out.push("--optimization-level");
    } else if (a.startsWith("-O.")) {
      out.push(`--compilation-config${a.slice(2)}`);
    } else out.push(a);
  }
  return out;
}

/** Is this argv a vLLM server start? Returns the program and where its own arguments begin. */
export function vllmProgram(argv: readonly string[]): { program: "vllm serve" | "python -m vllm.entrypoints.openai.api_server"; rest: number } | undefined {
  const base = (argv[0] ?? "").replace(/\\/g, "/").split("/").pop();
  if (base === "vllm") {
    if (argv[1] === "serve") return { program: "vllm serve", rest: 2 };
    if (argv[1] !== undefined) throw invalidOption(`'vllm ${clip(argv[1])}' does not start a server; only 'vllm serve' is read`);
    throw invalidOption("'vllm' needs a subcommand: vllm serve <model> ...");
  }
  return undefined;
}

export const VLLM_MODULES = ["vllm.entrypoints.openai.api_server", "vllm.entrypoints.api_server"];
