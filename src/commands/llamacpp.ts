/**
 * llama.cpp's command line (llama-server, llama-cli), as common/arg.cpp defines it.
 *
 * Version read: ggml-org/llama.cpp common/arg.cpp at 145b6280d6aa1890e22457143dad0badb3fd6820 (the
 * upstream snapshot in the index, with --fit, -fa on|off|auto, --kv-unified, --n-cpu-moe), plus what later
 * builds added and Ollama v0.33 (which pins llama.cpp b10488) passes to llama-server: --load-mode,
 * -no-kvu/--no-kv-unified, -ngl auto|all. Defaults from common/common.h; the server's parallel-slot default
 * from tools/server/server.cpp. Facts and citations: docs/engines/llama.cpp.md.
 *
 * How the parser reads argv (common_params_parse_ex): every word must be an exact spelling; options starting
 * with "--" have '_' read as '-'; the word after a value-taking option is its value even when it starts with
 * '-'; there is no `--flag=value`; numbers go through std::stoi / std::stof; LLAMA_ARG_* environment
 * variables set options the command line does not (the command line wins).
 */
import { indexFlags, llamaTriState, parseFlags, typed, type ParserStyle } from "./flags.js";
import { clip, emptyCommand, invalidOption, type EngineCommand, type FlagSpec, type FlagType } from "./types.js";

const ARG = "common/arg.cpp @145b6280";
const HDR = "common/common.h";
const LATER = "later builds (b10488, used by Ollama v0.33)";

/** Cache types accepted by -ctk/-ctv (kv_cache_types in common/arg.cpp @145b6280). */
export const LLAMA_KV_CACHE_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"] as const;

function m(name: string, names: string[], type: FlagType, dflt: string, effect: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, names, type, default: dflt, memory: true, effect, source: ARG, ...extra };
}
/** A known option that does not change memory (value-taking unless type is "bool"). */
function x(names: string[], type: FlagType = "string", extra: Partial<FlagSpec> = {}): FlagSpec {
  const long = names.find((n) => n.startsWith("--")) ?? names[0];
  const name = long.replace(/^-+/, "").replace(/-/g, "_");
  return { name, names, type, default: "—", memory: false, effect: extra.effect ?? "no effect on memory", source: ARG, ...extra };
}

const ctkNorm = (s: string) => s.toLowerCase();
const overrideCheck = (v: number | string) =>
  typeof v === "string" && !/^[^=]+=[^=]+$/.test(v) ? `expects <tensor name pattern>=<buffer type> (e.g. exps=CPU), got '${clip(v)}'` : undefined;
const nonNegative = (v: number | string) => (typeof v === "number" && v < 0 ? `must be 0 or more, got ${v}` : undefined);
const positive = (v: number | string) => (typeof v === "number" && v < 1 ? `must be at least 1, got ${v}` : undefined);

export const LLAMACPP_FLAGS: FlagSpec[] = [
  // ---- model
  m("model", ["-m", "--model"], "string", "— (required, except llama-server router mode)", "the GGUF whose tensors are loaded", { model: true, env: "LLAMA_ARG_MODEL" }),
  m("hf_repo", ["-hf", "-hfr", "--hf-repo"], "string", "—", "downloads USER/MODEL[:QUANT] (default quant Q4_K_M) and loads it, with its mmproj unless --no-mmproj", { model: true, env: "LLAMA_ARG_HF_REPO" }),
  m("hf_file", ["-hff", "--hf-file"], "string", "—", "picks the file inside --hf-repo, i.e. the quantization loaded", { env: "LLAMA_ARG_HF_FILE" }),
  m("model_url", ["-mu", "--model-url"], "string", "—", "downloads and loads this GGUF", { model: true, env: "LLAMA_ARG_MODEL_URL" }),
  m("docker_repo", ["-dr", "--docker-repo"], "string", "—", "loads a Docker Hub model ([REPO/]MODEL[:QUANT])", { model: true, env: "LLAMA_ARG_DOCKER_REPO" }),
  // ---- context and batches
  m("ctx_size", ["-c", "--ctx-size"], "int", "0 = the model's n_ctx_train (common.h n_ctx; 4096 in older builds); --fit may lower an unset context to fit, not below --fit-ctx", "KV cache cells (padded to 256) and, without flash attention, the KQ part of the compute buffer", { check: nonNegative, env: "LLAMA_ARG_CTX_SIZE" }),
  m("parallel", ["-np", "--parallel"], "int", "1; llama-server: -1 = auto → 4 slots with a unified KV cache (server.cpp)", "sequences (server slots); without --kv-unified each slot gets ctx_size/parallel cells (padded to 256) in its own stream", { env: "LLAMA_ARG_N_PARALLEL", words: ["auto"] }),
  m("batch_size", ["-b", "--batch-size"], "int", "2048", "logical batch; n_ubatch is capped at it and the output buffer holds up to n_batch rows of logits", { check: positive, env: "LLAMA_ARG_BATCH" }),
  m("ubatch_size", ["-ub", "--ubatch-size"], "int", "512", "physical batch: the compute buffer grows with it", { check: positive, env: "LLAMA_ARG_UBATCH" }),
  m("flash_attn", ["-fa", "--flash-attn"], "enum", "auto (on where the backend supports it)", "flash attention: no n_ctx×n_ubatch KQ matrix in the compute buffer; required for a quantized V cache", { choices: ["on", "off", "auto"], normalize: llamaTriState, env: "LLAMA_ARG_FLASH_ATTN", bareValue: "on" }),
  m("cache_type_k", ["-ctk", "--cache-type-k"], "enum", "f16", "bytes per K element of the KV cache", { choices: LLAMA_KV_CACHE_TYPES, normalize: ctkNorm, env: "LLAMA_ARG_CACHE_TYPE_K" }),
  m("cache_type_v", ["-ctv", "--cache-type-v"], "enum", "f16", "bytes per V element of the KV cache (quantized V needs flash attention)", { choices: LLAMA_KV_CACHE_TYPES, normalize: ctkNorm, env: "LLAMA_ARG_CACHE_TYPE_V" }),
  m("swa_full", ["--swa-full"], "bool", "false", "sliding-window layers keep a full-context KV cache instead of window + ubatch cells", { env: "LLAMA_ARG_SWA_FULL" }),
  m("kv_unified", ["-kvu", "--kv-unified"], "bool", "false; true when llama-server picks -np automatically", "one KV stream shared by all sequences instead of one per sequence", { negNames: ["-no-kvu", "--no-kv-unified"], env: "LLAMA_ARG_KV_UNIFIED" }),
  m("no_kv_offload", ["-nkvo", "--no-kv-offload"], "bool", "false (KV offloaded with its layer)", "keeps the KV cache in host memory", { negNames: ["-kvo", "--kv-offload"], env: "LLAMA_ARG_KV_OFFLOAD" }),
  m("ctx_checkpoints", ["--ctx-checkpoints", "--swa-checkpoints"], "int", "8 per slot", "copies of the SWA/recurrent state kept per slot for prompt reuse (host memory)", { check: nonNegative, env: "LLAMA_ARG_CTX_CHECKPOINTS" }),
  m("cache_ram", ["--cache-ram", "-cram"], "int", "8192 MiB (-1 = no limit, 0 = off)", "host RAM for llama-server's prompt cache", { env: "LLAMA_ARG_CACHE_RAM" }),
  // ---- placement
  m("n_gpu_layers", ["-ngl", "--gpu-layers", "--n-gpu-layers"], "int", "-1 = auto (with --fit: as many as fit); 'all' or ≤ -2 = every layer", "which layers' weights and KV live on the GPU", { words: ["auto", "all"], env: "LLAMA_ARG_N_GPU_LAYERS" }),
  m("split_mode", ["-sm", "--split-mode"], "enum", "layer", "none: one GPU; layer: layers and KV split across GPUs; row: weight rows split, KV and intermediates on --main-gpu", { choices: ["none", "layer", "row"], env: "LLAMA_ARG_SPLIT_MODE" }),
  m("tensor_split", ["-ts", "--tensor-split"], "list", "proportional to each device's free memory", "share of the offloaded layers per GPU (comma or / separated proportions)", { env: "LLAMA_ARG_TENSOR_SPLIT" }),
  m("main_gpu", ["-mg", "--main-gpu"], "int", "0", "the GPU used with --split-mode none, or for KV and intermediates with row split", { check: nonNegative, env: "LLAMA_ARG_MAIN_GPU" }),
  m("device", ["-dev", "--device"], "string", "all GPUs", "the devices used for offloading (none = CPU only)", { env: "LLAMA_ARG_DEVICE" }),
  m("override_tensor", ["-ot", "--override-tensor"], "list", "—", "puts tensors whose names match a pattern in a buffer type (exps=CPU keeps MoE experts in host RAM); repeatable", { check: overrideCheck }),
  m("cpu_moe", ["-cmoe", "--cpu-moe"], "bool", "false", "keeps every MoE expert tensor in host memory", { env: "LLAMA_ARG_CPU_MOE" }),
  m("n_cpu_moe", ["-ncmoe", "--n-cpu-moe"], "int", "0", "keeps the MoE expert tensors of the first N layers in host memory", { check: nonNegative, env: "LLAMA_ARG_N_CPU_MOE" }),
  m("fit", ["-fit", "--fit"], "enum", "on", "adjusts unset -c, -ngl and tensor placement at load time so the model fits the free device memory", { choices: ["on", "off"], normalize: (s) => { const t = llamaTriState(s); return t === "auto" ? s : t; }, env: "LLAMA_ARG_FIT" }),
  m("fit_target", ["-fitt", "--fit-target"], "string", "1024 MiB per device", "free memory --fit leaves on each device (MiB; later builds take a comma list per device)", { check: (v) => (/^\d+(,\d+)*$/.test(String(v)) ? undefined : `expects MiB (or MiB,MiB,... per device), got '${clip(String(v))}'`), env: "LLAMA_ARG_FIT_TARGET" }),
  m("fit_ctx", ["-fitc", "--fit-ctx"], "int", "4096", "the smallest context --fit may choose", { check: nonNegative, env: "LLAMA_ARG_FIT_CTX" }),
  // ---- host memory
  m("mlock", ["--mlock"], "bool", "false", "locks the model in RAM (host memory cannot be swapped)", { env: "LLAMA_ARG_MLOCK" }),
  m("mmap", ["--mmap"], "bool", "true", "memory-maps the GGUF (page cache) instead of reading it into anonymous host buffers", { negNames: ["--no-mmap"], env: "LLAMA_ARG_MMAP" }),
  m("load_mode", ["-lm", "--load-mode"], "string", "auto", "how weights are read (Ollama passes none for use_mmap=false and dio for integrated GPUs)", { source: LATER, since: "b10488" }),
  m("no_host", ["--no-host"], "bool", "false", "bypasses the pinned host buffer so extra (repack) buffer types can be used", { env: "LLAMA_ARG_NO_HOST" }),
  m("repack", ["--repack"], "bool", "true", "CPU weights repacked into CPU_REPACK buffers (host memory)", { negNames: ["-nr", "--no-repack"], env: "LLAMA_ARG_REPACK" }),
  // ---- adapters, multimodal
  m("lora", ["--lora"], "list", "—", "LoRA adapter weights (repeatable)"),
  m("lora_scaled", ["--lora-scaled"], "list", "—", "LoRA adapter weights with a scale (FNAME SCALE, repeatable)", { values: 2 }),
  m("mmproj", ["-mm", "--mmproj"], "string", "from -hf when available", "multimodal projector weights and the image encoder's compute buffer", { env: "LLAMA_ARG_MMPROJ" }),
  m("mmproj_url", ["-mmu", "--mmproj-url"], "string", "—", "downloads and loads the projector", { env: "LLAMA_ARG_MMPROJ_URL" }),
  m("mmproj_auto", ["--mmproj-auto"], "bool", "true", "with -hf, loads the repository's projector", { negNames: ["--no-mmproj", "--no-mmproj-auto"], env: "LLAMA_ARG_MMPROJ_AUTO" }),
  m("mmproj_offload", ["--mmproj-offload"], "bool", "true", "projector on the GPU (off: host memory)", { negNames: ["--no-mmproj-offload"], env: "LLAMA_ARG_MMPROJ_OFFLOAD" }),
  m("image_min_tokens", ["--image-min-tokens"], "int", "from the model", "tokens per image (dynamic-resolution vision models): encoder compute buffer and context use", { env: "LLAMA_ARG_IMAGE_MIN_TOKENS" }),
  m("image_max_tokens", ["--image-max-tokens"], "int", "from the model", "tokens per image (dynamic-resolution vision models)", { env: "LLAMA_ARG_IMAGE_MAX_TOKENS" }),
  // ---- speculative decoding (a second model)
  m("model_draft", ["-md", "--model-draft"], "string", "—", "a draft model: its weights, KV cache and compute buffer", { env: "LLAMA_ARG_MODEL_DRAFT" }),
  m("hf_repo_draft", ["-hfd", "-hfrd", "--hf-repo-draft"], "string", "—", "downloads and loads a draft model", { env: "LLAMA_ARG_HFD_REPO" }),
  m("gpu_layers_draft", ["-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft"], "int", "-1 (as the main model)", "draft layers on the GPU", { words: ["auto", "all"], env: "LLAMA_ARG_N_GPU_LAYERS_DRAFT" }),
  m("ctx_size_draft", ["-cd", "--ctx-size-draft"], "int", "0 = from the model", "draft KV cache cells", { check: nonNegative, env: "LLAMA_ARG_CTX_SIZE_DRAFT" }),
  m("cache_type_k_draft", ["-ctkd", "--cache-type-k-draft"], "enum", "f16", "draft K cache element type", { choices: LLAMA_KV_CACHE_TYPES, normalize: ctkNorm, env: "LLAMA_ARG_CACHE_TYPE_K_DRAFT" }),
  m("cache_type_v_draft", ["-ctvd", "--cache-type-v-draft"], "enum", "f16", "draft V cache element type", { choices: LLAMA_KV_CACHE_TYPES, normalize: ctkNorm, env: "LLAMA_ARG_CACHE_TYPE_V_DRAFT" }),
  m("device_draft", ["-devd", "--device-draft"], "string", "all GPUs", "devices for the draft model"),
  m("override_tensor_draft", ["-otd", "--override-tensor-draft"], "list", "—", "tensor placement for the draft model", { check: overrideCheck }),
  m("cpu_moe_draft", ["-cmoed", "--cpu-moe-draft"], "bool", "false", "draft MoE experts in host memory", { env: "LLAMA_ARG_CPU_MOE_DRAFT" }),
  m("n_cpu_moe_draft", ["-ncmoed", "--n-cpu-moe-draft"], "int", "0", "draft MoE experts of the first N layers in host memory", { check: nonNegative, env: "LLAMA_ARG_N_CPU_MOE_DRAFT" }),
  m("draft_max", ["--draft-max", "--draft", "--draft-n"], "int", "16", "tokens drafted per step: the verification batch", { env: "LLAMA_ARG_DRAFT_MAX" }),

  // ---- presets: they set the model and sizes (the last arg.cpp entries)
  ...[
    ["--fim-qwen-1.5b-default", "Qwen2.5-Coder-1.5B Q8_0, -ub 1024 -b 1024 -c 0"],
    ["--fim-qwen-3b-default", "Qwen2.5-Coder-3B Q8_0, -ub 1024 -b 1024 -c 0"],
    ["--fim-qwen-7b-default", "Qwen2.5-Coder-7B Q8_0, -ub 1024 -b 1024 -c 0"],
    ["--fim-qwen-7b-spec", "Qwen2.5-Coder-7B Q8_0 + 0.5B draft, -ub 1024 -b 1024 -c 0"],
    ["--fim-qwen-14b-spec", "Qwen2.5-Coder-14B Q8_0 + 0.5B draft, -ub 1024 -b 1024 -c 0"],
    ["--fim-qwen-30b-default", "Qwen3-Coder-30B-A3B Q8_0, -ub 1024 -b 1024 -c 0"],
    ["--gpt-oss-20b-default", "gpt-oss-20b MXFP4, -ub 2048 -b 32768 -np 2 -c 262144"],
    ["--gpt-oss-120b-default", "gpt-oss-120b, -ub 2048 -b 32768 -np 2 -c 262144"],
    ["--vision-gemma-4b-default", "Gemma 3 4B QAT, -c 0"],
    ["--vision-gemma-12b-default", "Gemma 3 12B QAT, -c 0"],
    ["--embd-gemma-default", "EmbeddingGemma 300M Q4_0, -ub 2048 -b 2048 -np 32 -c 65536"],
    ["--tts-oute-default", "OuteTTS 0.2 500M Q8_0 + WavTokenizer"],
  ].map(([flag, what]) => m(flag.slice(2).replace(/[-.]/g, "_"), [flag], "bool", "—", `preset: ${what}`)),

  // ---- known, no memory effect
  x(["-h", "--help", "--usage"], "bool"), x(["--version"], "bool"), x(["-cl", "--cache-list"], "bool"), x(["--completion-bash"], "bool"),
  x(["--verbose-prompt"], "bool"), x(["--display-prompt"], "bool", { negNames: ["--no-display-prompt"] }), x(["-co", "--color"]),
  x(["-t", "--threads"], "string", { effect: "CPU threads" }), x(["-tb", "--threads-batch"]), x(["-C", "--cpu-mask"]), x(["-Cr", "--cpu-range"]),
  x(["--cpu-strict"]), x(["--prio"]), x(["--poll"]), x(["-Cb", "--cpu-mask-batch"]), x(["-Crb", "--cpu-range-batch"]), x(["--cpu-strict-batch"]),
  x(["--prio-batch"]), x(["--poll-batch"]), x(["-lcs", "--lookup-cache-static"]), x(["-lcd", "--lookup-cache-dynamic"]),
  x(["-n", "--predict", "--n-predict"], "string", { effect: "tokens to generate (bounded by the context, which is what is allocated)" }),
  x(["--keep"]), x(["--context-shift"], "bool", { negNames: ["--no-context-shift"] }), x(["--chunks"]),
  x(["-p", "--prompt"]), x(["-sys", "--system-prompt"]), x(["--perf"], "bool", { negNames: ["--no-perf"] }), x(["--show-timings"], "bool", { negNames: ["--no-show-timings"] }),
  x(["-f", "--file"]), x(["-sysf", "--system-prompt-file"]), x(["--in-file"]), x(["-bf", "--binary-file"]), x(["-e", "--escape"], "bool", { negNames: ["--no-escape"] }),
  x(["-ptc", "--print-token-count"]), x(["--prompt-cache"]), x(["--prompt-cache-all"], "bool"), x(["--prompt-cache-ro"], "bool"), x(["-r", "--reverse-prompt"]),
  x(["-sp", "--special"], "bool"), x(["-cnv", "--conversation"], "bool", { negNames: ["-no-cnv", "--no-conversation"] }), x(["-st", "--single-turn"], "bool"),
  x(["-i", "--interactive"], "bool"), x(["-if", "--interactive-first"], "bool"), x(["-mli", "--multiline-input"], "bool"), x(["--in-prefix-bos"], "bool"),
  x(["--in-prefix"]), x(["--in-suffix"]), x(["--warmup"], "bool", { negNames: ["--no-warmup"] }), x(["--spm-infill"], "bool"),
  x(["--samplers"], "string", { effect: "sampling" }), x(["-s", "--seed"]), x(["--sampling-seq", "--sampler-seq"]), x(["--ignore-eos"], "bool"), x(["--temp", "--temperature"]),
  x(["--top-k"]), x(["--top-p"]), x(["--min-p"]), x(["--top-nsigma"]), x(["--xtc-probability"]), x(["--xtc-threshold"]), x(["--typical"]),
  x(["--repeat-last-n"]), x(["--repeat-penalty"]), x(["--presence-penalty"]), x(["--frequency-penalty"]), x(["--dry-multiplier"]), x(["--dry-base"]),
  x(["--dry-allowed-length"]), x(["--dry-penalty-last-n"]), x(["--dry-sequence-breaker"]), x(["--dynatemp-range"]), x(["--dynatemp-exp"]),
  x(["--mirostat"]), x(["--mirostat-lr"]), x(["--mirostat-ent"]), x(["-l", "--logit-bias"]), x(["--grammar"]), x(["--grammar-file"]), x(["-j", "--json-schema"]),
  x(["-jf", "--json-schema-file"]), x(["--pooling"]), x(["--attention"]),
  x(["--rope-scaling"], "string", { effect: "RoPE scaling: changes positions, not allocations (-c sets the cells)" }), x(["--rope-scale"]), x(["--rope-freq-base"]), x(["--rope-freq-scale"]),
  x(["--yarn-orig-ctx"]), x(["--yarn-ext-factor"]), x(["--yarn-attn-factor"]), x(["--yarn-beta-slow"]), x(["--yarn-beta-fast"]), x(["-gan", "--grp-attn-n"]), x(["-gaw", "--grp-attn-w"]),
  x(["-dt", "--defrag-thold"], "string", { effect: "deprecated, ignored by llama.cpp" }), x(["-ns", "--sequences"]),
  x(["-cb", "--cont-batching"], "bool", { negNames: ["-nocb", "--no-cont-batching"] }), x(["--image", "--audio"]), x(["--rpc"], "string", { effect: "adds remote devices (their memory is on other machines)" }),
  x(["--numa"]), x(["--list-devices"], "bool"), x(["--check-tensors"], "bool"), x(["--override-kv"], "string", { effect: "overrides GGUF metadata; memory changes only if it overrides shapes or context length" }),
  x(["--op-offload"], "bool", { negNames: ["--no-op-offload"] }), x(["--control-vector"]), x(["--control-vector-scaled"], "list", { values: 2 }),
  x(["--control-vector-layer-range"], "list", { values: 2 }), x(["-a", "--alias"]), x(["-hfv", "-hfrv", "--hf-repo-v"]), x(["-hffv", "--hf-file-v"]), x(["-hft", "--hf-token"]),
  x(["-o", "--output", "--output-file"]), x(["--host"], "string", { effect: "server address" }), x(["--port"]), x(["--path"]), x(["--api-prefix"]),
  x(["--webui"], "bool", { negNames: ["--no-webui"] }), x(["--embedding", "--embeddings"], "bool"), x(["--reranking", "--rerank"], "bool"), x(["--api-key"]), x(["--api-key-file"]),
  x(["--ssl-key-file"]), x(["--ssl-cert-file"]), x(["--chat-template-kwargs"]), x(["-to", "--timeout"]), x(["--threads-http"]), x(["--cache-reuse"]),
  x(["--metrics"], "bool"), x(["--props"], "bool"), x(["--slots"], "bool", { negNames: ["--no-slots"] }), x(["--slot-save-path"]), x(["--media-path"]),
  x(["--models-dir"]), x(["--models-preset"]), x(["--models-max"]), x(["--models-autoload"], "bool", { negNames: ["--no-models-autoload"] }),
  x(["--jinja"], "bool", { negNames: ["--no-jinja"] }), x(["--reasoning-format"]), x(["--reasoning-budget"]), x(["--chat-template"]), x(["--chat-template-file"]),
  x(["--prefill-assistant"], "bool", { negNames: ["--no-prefill-assistant"] }), x(["-sps", "--slot-prompt-similarity"]), x(["--lora-init-without-apply"], "bool"),
  x(["--simple-io"], "bool"), x(["--log-disable"], "bool"), x(["--log-file"]), x(["--log-colors"]), x(["-v", "--verbose", "--log-verbose"], "bool"),
  x(["--offline"], "bool"), x(["-lv", "--verbosity", "--log-verbosity"]), x(["--log-prefix"], "bool"), x(["--log-timestamps"], "bool"),
  x(["-td", "--threads-draft"]), x(["-tbd", "--threads-batch-draft"]), x(["--draft-min", "--draft-n-min"]), x(["--draft-p-split"]), x(["--draft-p-min"]),
  x(["--spec-replace"], "list", { values: 2 }), x(["--no-log-prefix"], "bool", { source: LATER }), x(["--no-log-timestamps"], "bool", { source: LATER }),
  x(["--spec-type"], "string", { source: LATER }), x(["--spec-draft-n-max"], "string", { source: LATER }), x(["--spec-draft-model"], "string", { source: LATER, effect: "a draft model (later builds); memory not modelled yet" }),
];

const STYLE: ParserStyle = {
  equals: false,
  abbreviations: false,
  underscores: true,
  attachedShort: false,
  dashValues: "always",
  numbers: "stoi",
  boolValues: false,
  engine: "llama.cpp",
};

const INDEX = indexFlags(LLAMACPP_FLAGS);

/** Environment variables llama.cpp (or its CUDA backend) reads that change memory, besides LLAMA_ARG_*. */
const LLAMACPP_ENV = ["CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GGML_CUDA_ENABLE_UNIFIED_MEMORY", "GGML_VK_VISIBLE_DEVICES"];

const PROGRAMS: Record<string, string> = {
  "llama-server": "llama-server",
  server: "llama-server",
  "llama-cli": "llama-cli",
  main: "llama-cli",
  "llama-completion": "llama-cli",
  "llama-mtmd-cli": "llama-cli",
};

/** The llama.cpp program a word names (a path or a .exe is fine), or undefined. */
export function llamaProgram(word: string): string | undefined {
  const base = word.replace(/\\/g, "/").split("/").pop()!.replace(/\.exe$/i, "");
  if (base === "llama-bench") return "llama-bench";
  return PROGRAMS[base];
}

export function parseLlamaCpp(argv: readonly string[], env: Record<string, string> = {}): EngineCommand {
  const program = llamaProgram(argv[0] ?? "");
  if (!program) throw invalidOption(`not a llama.cpp command: ${clip(argv[0] ?? "")}`);
  if (program === "llama-bench") {
    throw invalidOption("llama-bench command lines are not read yet (its -ngl/-fa/-nkvo take lists and 0|1 values)", "paste the equivalent llama-server or llama-cli command");
  }
  const cmd = emptyCommand("llama.cpp", program);
  parseFlags(argv.slice(1), INDEX, STYLE, cmd, {
    positional: (word) => {
      cmd.unknown.push(clip(word));
      cmd.warnings.push(`llama.cpp takes no positional arguments: '${clip(word)}' would stop it with "invalid argument"`);
      return true;
    },
  });
  for (const w of argv.slice(1)) {
    if (/^--?[A-Za-z][\w-]*=/.test(w)) {
      const [flag] = w.split("=");
      if (INDEX.exact.has(flag.replace(/_/g, "-")) || INDEX.exact.has(flag)) {
        cmd.warnings.push(`llama.cpp does not read ${clip(w)}: it stops with "invalid argument"; write ${flag} ${clip(w.slice(flag.length + 1))}`);
      }
    }
  }
  applyLlamaEnv(cmd, env);
  if (program === "llama-server" && cmd.flags.parallel === undefined) {
    cmd.warnings.push("llama-server without -np runs 4 slots with a unified KV cache (n_parallel auto)");
  }
  return cmd;
}

/** LLAMA_ARG_* variables set the options the command line leaves unset (common_params_parse_ex). */
function applyLlamaEnv(cmd: EngineCommand, env: Record<string, string>): void {
  for (const k of LLAMACPP_ENV) if (env[k] !== undefined) cmd.env[k] = env[k];
  for (const spec of LLAMACPP_FLAGS) {
    if (!spec.env) continue;
    const negEnv = spec.env.replace("LLAMA_ARG_", "LLAMA_ARG_NO_");
    const hasNeg = spec.negNames !== undefined && env[negEnv] !== undefined;
    const raw = env[spec.env];
    if (raw === undefined && !hasNeg) continue;
    if (raw !== undefined) cmd.env[spec.env] = raw;
    if (hasNeg) cmd.env[negEnv] = env[negEnv];
    if (cmd.flags[spec.name] !== undefined) continue; // the command line wins
    let value: string | number | boolean | string[];
    if (hasNeg) value = false;
    else if (spec.type === "bool") {
      const t = llamaTriState(raw!);
      if (t !== "on" && t !== "off") throw invalidOption(`llama.cpp: ${spec.env}=${clip(raw!)} is not a boolean (on/off/true/false/1/0)`);
      value = t === "on";
    } else if (spec.type === "list") value = [String(typed({ ...spec, type: "string" }, raw!, spec.env, STYLE))];
    else value = typed(spec, raw!, spec.env, STYLE);
    cmd.flags[spec.name] = value;
    cmd.spelled[spec.name] = hasNeg ? negEnv : spec.env;
    if (spec.model && typeof value === "string") cmd.model = value;
  }
}
