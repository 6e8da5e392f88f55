/**
 * SGLang's command line: `python -m sglang.launch_server --model-path ...` and `sglang serve ...`.
 *
 * Versions read: python/sglang/srt/server_args.py as stored in the search index (the current version,
 * index id 61620183500, with --cuda-graph-max-bs-decode and the per-phase CUDA-graph config; and the early-2026
 * v0.5.x version, index id 271536807, with --cuda-graph-max-bs); the GPU-memory defaults from
 * handle_gpu_memory_settings (index id 57672074322) and, for v0.5.x, ServerArgs._handle_gpu_memory_settings;
 * the KV pool from python/sglang/srt/model_executor/model_runner_kv_cache_mixin.py at 226149ac. The index does
 * not name commits for the server_args versions; docs/engines/sglang.md says what each fact came from.
 *
 * The parser is plain argparse (launch_server builds an ArgumentParser): `--flag value`, `--flag=value`,
 * unique prefixes of long options (so the common `--mem-frac 0.8` and `--tp 2` work), no '_' → '-'.
 */
import { indexFlags, parseFlags, type ParserStyle } from "./flags.js";
import { clip, emptyCommand, type EngineCommand, type FlagSpec, type FlagType } from "./types.js";

const SA = "python/sglang/srt/server_args.py (current)";
const SA5 = "python/sglang/srt/server_args.py (v0.5.x)";
const MEM = "handle_gpu_memory_settings (server-args resolution, current)";

export const SGLANG_DTYPES = ["auto", "half", "float16", "bfloat16", "float", "float32"] as const;
export const SGLANG_KV_CACHE_DTYPES = ["auto", "fp8_e5m2", "fp8_e4m3", "mxfp8", "bf16", "bfloat16", "nvfp4", "fp4_mx_block16", "fp4_e2m1"] as const;

const positive = (v: number | string) => (typeof v === "number" && v < 1 ? `must be at least 1, got ${v}` : undefined);
const nonNegative = (v: number | string) => (typeof v === "number" && v < 0 ? `must be 0 or more, got ${v}` : undefined);
const openFraction = (v: number | string) => (typeof v === "number" && !(v > 0 && v < 1) ? `must be between 0 and 1, got ${v}` : undefined);
const chunk = (v: number | string) => (typeof v === "number" && v < 1 && v !== -1 ? `must be at least 1, or -1 to disable chunked prefill; got ${v}` : undefined);

function m(name: string, names: string[], type: FlagType, dflt: string, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, names, type, default: dflt, memory: true, effect, source: SA, ...extra };
}
function x(names: string[], type: FlagType = "string", extra: Partial<FlagSpec> = {}): FlagSpec {
  const long = names.find((n) => n.startsWith("--")) ?? names[0];
  const name = long.replace(/^-+/, "").replace(/-/g, "_");
  return { name, names, type, default: "—", memory: false, effect: extra.effect ?? "no effect on memory", source: SA, ...extra };
}

export const SGLANG_FLAGS: FlagSpec[] = [
  // ---- model and weights
  m("model_path", ["--model-path", "--model"], "string", "— (required)", "the checkpoint whose weights are loaded", { model: true }),
  m("context_length", ["--context-length"], "hint", "the model's config.json", "longest request: req_to_token rows, the default max_running_requests, CUDA-graph buffers"),
  m("dtype", ["--dtype"], "enum", "auto", "bytes per weight and activation element", { choices: SGLANG_DTYPES }),
  m("quantization", ["--quantization"], "string", "from the checkpoint", "weight format: bytes per weight"),
  m("kv_cache_dtype", ["--kv-cache-dtype"], "enum", "auto (the model dtype; DeepSeek DSA: fp8_e4m3 on SM ≥ 10, else bfloat16)", "bytes per KV element (cell_size)", { choices: SGLANG_KV_CACHE_DTYPES }),
  m("load_format", ["--load-format"], "string", "auto", "bitsandbytes / gguf / layered change weight bytes or the loading peak"),
  m("json_model_override_args", ["--json-model-override-args"], "string", "{}", "overrides config fields (context length, layers) that size the pools"),
  // ---- static memory and pools
  m("mem_fraction_static", ["--mem-fraction-static"], "float", "derived: round((GPU MiB − reserved MiB) / GPU MiB, 3), see docs", "share of GPU memory for weights + KV pool; the rest is left for activations and CUDA graphs", { check: openFraction, source: MEM }),
  m("max_total_tokens", ["--max-total-tokens"], "hint", "profiled (max_total_num_tokens)", "caps the KV pool in tokens", { check: positive }),
  m("max_running_requests", ["--max-running-requests"], "int", "min(max(⌊tokens / context_len × 512⌋, 2048), 4096)", "req_to_token pool rows (and the decode CUDA-graph batch)", { check: positive }),
  m("chunked_prefill_size", ["--chunked-prefill-size"], "int", "by GPU memory: 2048 (<20 GiB), 4096 (<35, current; 2048 in v0.5.x), 4096 (<60), 8192 (<160), 16384; -1 = off", "tokens per prefill chunk: the activation reserve (×1.5 MiB/token in the default mem_fraction_static)", { check: chunk, source: MEM }),
  m("max_prefill_tokens", ["--max-prefill-tokens"], "hint", "16384", "tokens in one prefill batch (the activation reserve when chunked prefill is off)", { check: positive }),
  m("page_size", ["--page-size"], "int", "1 (64 for DeepSeek DSA on CUDA; backend-specific)", "KV pool rounded down to whole pages", { check: positive }),
  m("swa_full_tokens_ratio", ["--swa-full-tokens-ratio"], "float", "0.8", "SWA-layer tokens per full-layer token in the hybrid SWA pool", { check: (v) => (typeof v === "number" && !(v > 0 && v <= 1) ? `must be in (0, 1], got ${v}` : undefined) }),
  m("disable_hybrid_swa_memory", ["--disable-hybrid-swa-memory"], "bool", "false", "every layer gets a full-length KV pool"),
  m("disable_radix_cache", ["--disable-radix-cache"], "bool", "false", "Mamba/hybrid models: state slots sized from max_running_requests instead of the memory ratio"),
  m("max_mamba_cache_size", ["--max-mamba-cache-size"], "int", "from --mamba-full-memory-ratio", "Mamba state slots", { check: positive, source: SA5 }),
  m("mamba_full_memory_ratio", ["--mamba-full-memory-ratio"], "float", "0.9", "Mamba state memory / full-attention KV memory", { source: SA5 }),
  m("mamba_ssm_dtype", ["--mamba-ssm-dtype"], "string", "float32", "bytes per Mamba SSM state element", { source: SA5 }),
  // ---- parallelism
  m("tp_size", ["--tp-size", "--tensor-parallel-size"], "int", "1", "weights and KV heads split over this many GPUs (also raises the default reserve by tp×pp/8 GiB)", { check: positive }),
  m("pp_size", ["--pp-size", "--pipeline-parallel-size"], "int", "1", "layers split over this many GPUs", { check: positive }),
  m("dp_size", ["--dp-size", "--data-parallel-size"], "int", "1", "replicas (or DP-attention groups)", { check: positive }),
  m("ep_size", ["--ep-size", "--expert-parallel-size", "--ep"], "int", "1", "MoE experts split across GPUs", { check: positive, source: SA5 }),
  m("dcp_size", ["--dcp-size", "--decode-context-parallel-size"], "int", "1", "KV split across decode context-parallel ranks", { check: positive }),
  m("attn_cp_size", ["--attn-cp-size", "--attention-context-parallel-size"], "int", "1", "attention context parallelism", { check: positive }),
  m("moe_dp_size", ["--moe-dp-size", "--moe-data-parallel-size"], "int", "1", "MoE data parallelism", { check: positive }),
  m("enable_dp_attention", ["--enable-dp-attention"], "bool", "false", "attention replicated per DP group; larger CUDA-graph reserve (max_bs × dp × 3 MiB)"),
  m("enable_dp_lm_head", ["--enable-dp-lm-head"], "bool", "false", "vocabulary split across the attention TP group"),
  m("moe_a2a_backend", ["--moe-a2a-backend"], "string", "none", "deepep adds 2 GiB to the default reserve (all-to-all buffers)", { source: MEM }),
  // ---- CUDA graphs
  m("cuda_graph_max_bs", ["--cuda-graph-max-bs"], "int", "by GPU memory and tp (v0.5.x flag; see cuda_graph_max_bs_decode)", "largest decode batch captured: graph memory (reserve 2 MiB per batch slot)", { check: positive, source: SA5 }),
  m("cuda_graph_bs", ["--cuda-graph-bs"], "list", "derived from the max batch", "decode batch sizes captured (v0.5.x flag)", { multi: true, source: SA5 }),
  m("disable_cuda_graph", ["--disable-cuda-graph"], "bool", "false", "no CUDA graphs (v0.5.x flag; current: --disable-decode-cuda-graph / --disable-prefill-cuda-graph)", { source: SA5 }),
  m("cuda_graph_max_bs_decode", ["--cuda-graph-max-bs-decode"], "int", "by GPU memory: 8 (<20 GiB), 48/160 (<35 GiB, tp<4 / ≥4), 32/160 (<60), 256/512 (<160), 512; no GPU info: 160", "largest decode batch captured as a CUDA graph", { check: positive, source: MEM }),
  m("cuda_graph_max_bs_prefill", ["--cuda-graph-max-bs-prefill"], "int", "chunked_prefill_size (2048 with MLA)", "largest prefill graph (tokens)", { check: positive, source: MEM }),
  m("cuda_graph_bs_decode", ["--cuda-graph-bs-decode"], "list", "generated up to the max", "decode batch sizes captured", { multi: true }),
  m("cuda_graph_bs_prefill", ["--cuda-graph-bs-prefill"], "list", "generated up to the max", "prefill token counts captured (reserve 8 MiB each without MLA)", { multi: true }),
  m("cuda_graph_config", ["--cuda-graph-config"], "string", "per phase", "per-phase CUDA-graph backends and sizes as JSON"),
  m("cuda_graph_backend_decode", ["--cuda-graph-backend-decode"], "enum", "full", "disabled = no decode graphs", { choices: ["full", "breakable", "tc_piecewise", "disabled"] }),
  m("cuda_graph_backend_prefill", ["--cuda-graph-backend-prefill"], "enum", "per version", "disabled = no prefill graphs", { choices: ["full", "breakable", "tc_piecewise", "disabled"] }),
  m("disable_decode_cuda_graph", ["--disable-decode-cuda-graph"], "bool", "false", "no decode CUDA graphs"),
  m("disable_prefill_cuda_graph", ["--disable-prefill-cuda-graph"], "bool", "false", "no prefill CUDA graphs"),
  m("disable_cuda_graph_padding", ["--disable-cuda-graph-padding"], "bool", "false", "captures every batch size 1..max (more graphs)"),
  m("enable_piecewise_cuda_graph", ["--enable-piecewise-cuda-graph"], "bool", "false", "prefill graphs (v0.5.x flag): reserve 8 MiB per captured size", { source: SA5 }),
  m("piecewise_cuda_graph_max_tokens", ["--piecewise-cuda-graph-max-tokens"], "int", "chunked_prefill_size (2048 with MLA)", "largest prefill graph (v0.5.x flag)", { check: positive, source: SA5 }),
  m("enable_torch_compile", ["--enable-torch-compile"], "bool", "false", "compiled graphs for batches up to --torch-compile-max-bs"),
  m("torch_compile_max_bs", ["--torch-compile-max-bs"], "int", "32", "largest batch compiled", { check: positive }),
  // ---- offload and host caches
  m("cpu_offload_gb", ["--cpu-offload-gb"], "int", "0", "GiB of weights kept in host memory", { check: nonNegative, source: SA5 }),
  m("offload_group_size", ["--offload-group-size"], "int", "-1", "layer-group weight offloading", { source: SA5 }),
  m("offload_num_in_group", ["--offload-num-in-group"], "int", "1", "layers offloaded per group", { source: SA5 }),
  m("offload_prefetch_step", ["--offload-prefetch-step"], "int", "1", "layers prefetched ahead", { source: SA5 }),
  m("offload_mode", ["--offload-mode"], "string", "cpu", "where offloaded layers live", { source: SA5 }),
  m("enable_hierarchical_cache", ["--enable-hierarchical-cache"], "bool", "false", "a host-memory KV tier (hicache)", { source: SA5 }),
  m("hicache_ratio", ["--hicache-ratio"], "float", "2.0", "host KV tier size as a multiple of the device pool", { source: SA5 }),
  m("hicache_size", ["--hicache-size"], "int", "0 (use the ratio)", "host KV tier size in GB", { check: nonNegative, source: SA5 }),
  m("hicache_storage_backend", ["--hicache-storage-backend"], "string", "none", "a third KV tier (file, mooncake, ...)", { source: SA5 }),
  // ---- speculative decoding, LoRA, multimodal
  m("speculative_algorithm", ["--speculative-algorithm"], "string", "none", "EAGLE/NEXTN/STANDALONE draft: extra weights, KV and graphs (v0.5.x reserve +2 GiB, STANDALONE +6 GiB)"),
  m("speculative_draft_model_path", ["--speculative-draft-model-path"], "string", "—", "draft model weights"),
  m("speculative_num_steps", ["--speculative-num-steps"], "int", "per algorithm", "draft steps", { check: positive }),
  m("speculative_eagle_topk", ["--speculative-eagle-topk"], "int", "per algorithm", "draft tree width", { check: positive }),
  m("speculative_num_draft_tokens", ["--speculative-num-draft-tokens"], "int", "per algorithm", "tokens verified per step (also extends req_to_token rows)", { check: positive }),
  m("speculative_draft_model_quantization", ["--speculative-draft-model-quantization"], "string", "the target's", "draft weight format"),
  m("enable_lora", ["--enable-lora"], "bool", "false (true when --lora-paths is given)", "LoRA memory pool"),
  m("max_lora_rank", ["--max-lora-rank"], "int", "max over --lora-paths", "rank of the LoRA pool slots", { check: positive }),
  m("max_loras_per_batch", ["--max-loras-per-batch"], "int", "8", "LoRA slots on the GPU", { check: positive }),
  m("max_loaded_loras", ["--max-loaded-loras"], "int", "none", "adapters kept in host memory", { check: positive }),
  m("lora_paths", ["--lora-paths"], "list", "—", "adapters loaded at start", { multi: true }),
  m("lora_target_modules", ["--lora-target-modules"], "list", "from the adapters", "which modules get LoRA buffers", { multi: true }),
  m("disaggregation_mode", ["--disaggregation-mode"], "enum", "null", "decode: the activation reserve follows running requests; prefill: no decode graphs", { choices: ["null", "prefill", "decode"] }),
  m("language_only", ["--language-only"], "bool", "false", "no vision encoder (no VLM reduction of mem_fraction_static)"),
  m("encoder_only", ["--encoder-only"], "bool", "false", "only the multimodal encoder"),
  m("enable_symm_mem", ["--enable-symm-mem"], "bool", "false", "preallocates 4 GB of NCCL symmetric memory (SGLANG_SYMM_MEM_PREALLOC_GB_SIZE)", { source: MEM }),
  m("attention_backend", ["--attention-backend"], "string", "flashinfer before Hopper (triton for MLA and gpt-oss), fa3 on Hopper (as the startup logs show)", "flashinfer allocates a 384 MiB workspace (512 MiB for Qwen2/Qwen3/MiMo, flashinfer_backend.py; SGLANG_FLASHINFER_WORKSPACE_SIZE in srt/environ.py)"),
  m("enable_double_sparsity", ["--enable-double-sparsity"], "bool", "false", "a DoubleSparseTokenToKVPool (extra heavy-channel cache)", { source: SA5 }),

  // ---- known, no memory effect
  x(["--tokenizer-path"]), x(["--tokenizer-mode"]), x(["--tokenizer-backend"]), x(["--tokenizer-worker-num"]), x(["--detokenizer-worker-num"]),
  x(["--skip-tokenizer-init"], "bool"), x(["--model-loader-extra-config"]), x(["--trust-remote-code"], "bool"), x(["--is-embedding"], "bool"),
  x(["--enable-multimodal"], "bool"), x(["--revision"]), x(["--model-impl"]), x(["--quantization-param-path"]), x(["--enable-fp32-lm-head"], "bool"),
  x(["--max-queued-requests"], "string", { effect: "queue length; queued requests hold no KV" }), x(["--prefill-max-requests"]), x(["--schedule-policy"]),
  x(["--enable-priority-scheduling"], "bool"), x(["--schedule-conservativeness"]), x(["--radix-eviction-policy"]), x(["--disable-chunked-prefix-cache"], "bool"),
  x(["--disable-overlap-schedule"], "bool"), x(["--num-continuous-decode-steps"]), x(["--scheduler-recv-interval"]), x(["--enable-mixed-chunk"], "bool"),
  x(["--nccl-port"]), x(["--dist-timeout"]), x(["--dist-init-addr", "--nccl-init-addr"]), x(["--nnodes"]), x(["--node-rank"]), x(["--load-balance-method"]),
  x(["--device"]), x(["--base-gpu-id"], "string", { effect: "which GPUs, not how much of them" }), x(["--gpu-id-step"]), x(["--random-seed"]), x(["--watchdog-timeout"]),
  x(["--soft-watchdog-timeout"]), x(["--sleep-on-idle"], "bool"), x(["--numa-node"], "list", { multi: true }), x(["--host"], "string", { effect: "server address" }),
  x(["--port"]), x(["--skip-server-warmup"], "bool"), x(["--warmups"]), x(["--api-key"]), x(["--admin-api-key"]), x(["--served-model-name"]), x(["--weight-version"]),
  x(["--chat-template"]), x(["--hf-chat-template-name"]), x(["--completion-template"]), x(["--file-storage-path"]), x(["--enable-cache-report"], "bool"),
  x(["--reasoning-parser"]), x(["--tool-call-parser"]), x(["--tool-server"]), x(["--sampling-defaults"]), x(["--preferred-sampling-params"]),
  x(["--allow-auto-truncate"], "bool"), x(["--stream-interval"]), x(["--stream-output"], "bool"), x(["--log-level"]), x(["--log-level-http"]),
  x(["--log-requests"], "bool"), x(["--log-requests-level"]), x(["--crash-dump-folder"]), x(["--show-time-cost"], "bool"), x(["--enable-metrics"], "bool"),
  x(["--enable-metrics-for-all-schedulers"], "bool"), x(["--decode-log-interval"]), x(["--enable-trace"], "bool"), x(["--otlp-traces-endpoint"]),
  x(["--constrained-json-whitespace-pattern"]), x(["--constrained-json-disable-any-whitespace"], "bool"), x(["--decode-attention-backend"]), x(["--prefill-attention-backend"]), x(["--sampling-backend"]), x(["--grammar-backend"]), x(["--mm-attention-backend"]),
  x(["--fp8-gemm-backend"]), x(["--fp4-gemm-backend"]), x(["--moe-runner-backend"]), x(["--disable-custom-all-reduce"], "bool"), x(["--enable-p2p-check"], "bool"),
  x(["--triton-attention-reduce-in-fp32"], "bool"), x(["--triton-attention-num-kv-splits"]), x(["--enable-deterministic-inference"], "bool"),
  x(["--enable-two-batch-overlap"], "bool"), x(["--enable-memory-saver"], "bool", { effect: "lets the server release memory on request; not the steady state" }),
  x(["--download-dir"]), x(["--enable-custom-logit-processor"], "bool"), x(["--enable-nan-detection"], "bool"), x(["--enable-flashinfer-allreduce-fusion"], "bool"),
  x(["--kv-events-config"]), x(["--config"], "string", { effect: "a YAML file of more flags (not read here)" }),
];

const STYLE: ParserStyle = {
  equals: true,
  abbreviations: true,
  underscores: false,
  attachedShort: true,
  dashValues: "numbers",
  numbers: "python",
  boolValues: false,
  engine: "SGLang",
};

const INDEX = indexFlags(SGLANG_FLAGS);

const SGLANG_ENV = ["CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "PYTORCH_CUDA_ALLOC_CONF", "SGLANG_SYMM_MEM_PREALLOC_GB_SIZE"];

export const SGLANG_MODULES = ["sglang.launch_server", "sglang_router.launch_server"];

export function parseSglang(program: string, args: readonly string[], env: Record<string, string> = {}): EngineCommand {
  const cmd = emptyCommand("sglang", program);
  parseFlags(args, INDEX, STYLE, cmd);
  for (const k of SGLANG_ENV) if (env[k] !== undefined) cmd.env[k] = env[k];
  for (const u of cmd.unknown) {
    if (u.startsWith("--") && u.includes("_")) {
      const dashed = u.replace(/_/g, "-");
      if (INDEX.exact.has(dashed)) cmd.warnings.push(`SGLang does not read ${clip(u)} (argparse has no '_' → '-'); did you mean ${dashed}?`);
    }
  }
  if (cmd.model === undefined) cmd.warnings.push("no --model-path: SGLang requires one");
  if (cmd.flags.config !== undefined) cmd.warnings.push("--config reads more flags from a YAML file, which is not read here");
  return cmd;
}
