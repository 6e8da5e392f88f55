/**
 * Reads what a real run printed: llama.cpp's load log and `llama_memory_breakdown_print`, Ollama's server log,
 * vLLM's and SGLang's startup logs, `torch.cuda.memory_summary()`, `nvidia-smi`. Recovers the settings the log
 * states and the memory it printed, component by component, each with the line it came from.
 *
 * Hostile input: the text is capped (64 MiB), lines are cut at 16 KiB, every pattern is anchored on a literal and
 * has bounded repetition (no backtracking blow-ups), and a number is kept only when it is finite, non-negative and
 * plausible (≤ 1 PiB; llama.cpp's "unaccounted" column underflows to 2^44 MiB and is dropped). Unparseable lines
 * are skipped; nothing here throws except for input that is not text at all.
 *
 * Units as the engines print them (docs/engines/*.md): llama.cpp MiB; vLLM "GiB" and "GB" are GiB
 * (`/ GiB_bytes`); SGLang "GB" is GiB (`/ (1 << 30)`); Ollama prints Go's binary units (format.HumanBytes2);
 * nvidia-smi MiB; torch.cuda.memory_summary B/KiB/MiB/GiB.
 */
import { VramfitError } from "../core/errors.js";

export type LogKind = "llama.cpp" | "ollama" | "vllm" | "sglang" | "torch" | "nvidia-smi";
export type LogEngine = "llama.cpp" | "ollama" | "vllm" | "sglang";

export interface Measured {
  /** vramfit component id (weights, kv_cache, compute_buffer, cuda_graphs, activations, ...) or a total (device, allocated, reserved). */
  component: string;
  bytes: number;
  level: "component" | "allocated" | "reserved" | "device";
  /** Device label as printed (CUDA0, CPU, GPU0, TP1, Host). */
  device?: string;
  /** Host memory rather than the GPU. */
  host?: boolean;
  value: number;
  unit: string;
  /** 1-based line number and the line as printed (cut at 300 characters). */
  line: number;
  quote: string;
  what: string;
  /** An engine's own prediction (Ollama's offload estimate), not an allocation. */
  predicted?: boolean;
}

export interface ParsedLog {
  kinds: LogKind[];
  engine?: LogEngine;
  version?: string;
  /** Settings in vramfit's option keys (seq, parallel, gpu_memory_utilization, mem_fraction_static, ...). */
  settings: Record<string, unknown>;
  model?: { path?: string; name?: string; architecture?: string; fileType?: string; parameters?: number; hparams: Record<string, number> };
  gpu?: { name?: string; totalBytes?: number; freeBytes?: number; count?: number };
  measured: Measured[];
  /** Counts the engine printed that are not bytes (KV tokens, blocks). */
  counts: Record<string, number>;
  notes: string[];
  /** Startups found (a log holding two runs reports the last). */
  runs: number;
}

export const MAX_LOG_BYTES = 64 * 1024 * 1024;
const MAX_LINE = 16 * 1024;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const MAX_PLAUSIBLE = 2 ** 50;

const UNIT: Record<string, number> = { b: 1, kib: 1024, kb: 1024, mib: MiB, mb: MiB, gib: GiB, gb: GiB, tib: 2 ** 40, tb: 2 ** 40 };

/** "12.5", "1,197,552" → number, or undefined when not a plausible value. */
function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s.replace(/,/g, ""));
  return Number.isFinite(v) && v >= 0 && v <= MAX_PLAUSIBLE ? v : undefined;
}

function bytesOf(value: number, unit: string): number | undefined {
  const m = UNIT[unit.toLowerCase()];
  if (m === undefined) return undefined;
  const b = Math.round(value * m);
  return Number.isSafeInteger(b) && b <= MAX_PLAUSIBLE ? b : undefined;
}

/** Strip what wraps the engine's own message: ANSI colours, journald/docker prefixes, comment markers. */
function clean(line: string): string {
  let s = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\u001b\[[0-9;]{0,16}[A-Za-z]/g, "").replace(/\r$/, "");
  s = s.replace(/^\s{0,8}#\s{0,4}/, "");
  return s;
}

class Parser {
  readonly out: ParsedLog = { kinds: [], settings: {}, measured: [], counts: {}, notes: [], runs: 0 };
  private readonly hp: Record<string, number> = {};
  private sawArgs = false;
  private lineNo = 0;
  private raw = "";

  /** A new startup begins: what an earlier one printed is dropped (the last run is read). */
  newRun(): void {
    this.out.runs += 1;
    if (this.out.measured.length === 0) return;
    this.out.measured = [];
    this.out.settings = {};
    this.out.counts = {};
    this.out.gpu = undefined;
    this.out.model = undefined;
    for (const k of Object.keys(this.hp)) delete this.hp[k];
  }

  kind(k: LogKind): void {
    if (!this.out.kinds.includes(k)) this.out.kinds.push(k);
  }
  engine(e: LogEngine): void {
    this.out.engine ??= e;
    this.kind(e);
  }
  set(key: string, value: unknown): void {
    if (value !== undefined && value !== null && !(typeof value === "number" && !Number.isFinite(value))) this.out.settings[key] = value;
  }
  measure(m: Omit<Measured, "line" | "quote">): void {
    // A log of several ranks prints the same line per rank: keep one value per component and device.
    const i = this.out.measured.findIndex((x) => x.component === m.component && x.device === m.device && x.host === m.host && x.level === m.level && x.predicted === m.predicted);
    const entry = { ...m, line: this.lineNo, quote: this.raw.trim().slice(0, 300) };
    if (i >= 0) this.out.measured[i] = entry;
    else this.out.measured.push(entry);
  }
  component(component: string, value: number | undefined, unit: string, what: string, extra: Partial<Measured> = {}): void {
    if (value === undefined) return;
    const b = bytesOf(value, unit);
    if (b === undefined) {
      this.out.notes.push(`line ${this.lineNo}: an implausible ${component} value was skipped`);
      return;
    }
    this.measure({ component, bytes: b, level: "component", value, unit, what, ...extra });
  }

  parse(text: string): ParsedLog {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      this.lineNo = i + 1;
      this.raw = lines[i];
      const s = clean(lines[i]);
      if (s.length < 4) continue;
      this.llamaCpp(s);
      this.ollama(s);
      this.vllm(s);
      this.sglang(s);
      this.torch(s);
      this.nvidiaSmi(s, lines, i);
    }
    if (Object.keys(this.hp).length > 0) this.out.model = { ...(this.out.model ?? {}), hparams: this.hp };
    if (this.out.runs > 1) this.out.notes.push(`the log holds ${this.out.runs} startups: the values of the last one are read`);
    return this.out;
  }

  // ------------------------------------------------------------------------------------------------------------
  // llama.cpp (llama-cli / llama-server, and the runner Ollama starts)

  private llamaCpp(s: string): void {
    let m: RegExpExecArray | null;
    if ((m = /using device (\w{1,20}) \((.{1,120}?)\)(?: \([0-9a-f:.]{1,20}\))? - (\d{1,9}) MiB free/.exec(s))) {
      this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
      if (m[1] === "CUDA0" || m[1] === "ROCm0" || m[1] === "Metal") this.newRun();
      this.out.gpu = { ...(this.out.gpu ?? {}), name: m[2], freeBytes: (num(m[3]) ?? 0) * MiB };
      return;
    }
    if ((m = /(?:print_info|llm_load_print_meta): +([a-z_]{2,40}) +=\s{0,4}(.{1,200})$/.exec(s))) {
      this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
      const key = m[1];
      const v = m[2].trim();
      if (key === "arch") this.out.model = { ...(this.out.model ?? { hparams: {} }), architecture: v };
      else if (key === "file_type" || key === "ftype") this.out.model = { ...(this.out.model ?? { hparams: {} }), fileType: v };
      else if (key === "model_params") {
        const p = /^([\d.]{1,10}) ([KMBT])/.exec(v);
        if (p) this.out.model = { ...(this.out.model ?? { hparams: {} }), parameters: Math.round((num(p[1]) ?? 0) * { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[p[2] as "K"]) };
      } else if (key === "general.name" || key === "general_name") this.out.model = { ...(this.out.model ?? { hparams: {} }), name: v };
      else {
        const n = /^-?\d{1,12}(\.\d{1,8})?$/.test(v) ? num(v) : undefined;
        if (n !== undefined) this.hp[key] = n;
      }
      return;
    }
    if ((m = /(?:print_info|llm_load_print_meta): file type += (.{1,60})$/.exec(s))) {
      this.out.model = { ...(this.out.model ?? { hparams: {} }), fileType: m[1].trim() };
      return;
    }
    if ((m = /offloaded (\d{1,6})\/(\d{1,6}) layers to GPU/.exec(s))) {
      this.engine(this.out.engine ?? "llama.cpp");
      const n = num(m[1])!;
      const total = num(m[2])!;
      this.set("n_gpu_layers", n >= total ? -1 : n);
      return;
    }
    if ((m = /(?:load_tensors|llm_load_tensors):\s{1,30}([A-Za-z0-9_]{2,30}) model buffer size =\s{0,12}([\d.]{1,14}) MiB/.exec(s))) {
      this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
      if (/^CPU/.test(m[1]) && this.out.measured.some((x) => x.component === "weights" && x.device === m![1])) this.out.runs = Math.max(this.out.runs, 1);
      this.llamaBuffer("weights", m[1], m[2], "model buffer size");
      return;
    }
    if ((m = /\s([A-Za-z0-9_]{2,30}) KV buffer size =\s{0,12}([\d.]{1,14}) MiB/.exec(s))) {
      this.llamaBuffer("kv_cache", m[1], m[2], "KV buffer size");
      return;
    }
    if ((m = /\s([A-Za-z0-9_]{2,30}) compute buffer size =\s{0,12}([\d.]{1,14}) MiB/.exec(s))) {
      this.llamaBuffer("compute_buffer", m[1], m[2], "compute buffer size");
      return;
    }
    if ((m = /\s([A-Za-z0-9_]{2,30})\s{1,4}output buffer size =\s{0,12}([\d.]{1,14}) MiB/.exec(s))) {
      this.component("output_buffer", num(m[2]), "MiB", "llama.cpp output buffer size", { device: m[1], host: true });
      return;
    }
    if ((m = /llama_kv_cache: size =\s{0,8}[\d.]{1,14} MiB \(\s{0,8}(\d{1,10}) cells,\s{1,8}(\d{1,6}) layers,\s{0,4}(\d{1,6})\/(\d{1,6}) seqs\), K \(([a-z0-9_]{2,10})\): [\d.]{1,14} MiB, V \(([a-z0-9_]{2,10})\)/.exec(s))) {
      this.set("cache_type_k", m[5]);
      this.set("cache_type_v", m[6]);
      this.out.counts.kv_cells = num(m[1]) ?? 0;
      return;
    }
    if ((m = /KV self size\s{0,4}=\s{0,8}[\d.]{1,14} MiB, K \(([a-z0-9_]{2,10})\): [\d.]{1,14} MiB, V \(([a-z0-9_]{2,10})\)/.exec(s))) {
      this.set("cache_type_k", m[1]);
      this.set("cache_type_v", m[2]);
      return;
    }
    if ((m = /llama_kv_cache_init: kv_size = (\d{1,10}), offload = (\d), type_k = '([a-z0-9_]{2,10})', type_v = '([a-z0-9_]{2,10})'/.exec(s))) {
      this.set("cache_type_k", m[3]);
      this.set("cache_type_v", m[4]);
      if (m[2] === "0") this.set("no_kv_offload", true);
      return;
    }
    if ((m = /^(?:.{0,60})(?:llama_context|llama_new_context_with_model): (n_seq_max|n_ctx|n_batch|n_ubatch|flash_attn|kv_unified)\s{0,12}= (\S{1,12})$/.exec(s))) {
      this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
      const v = m[2];
      switch (m[1]) {
        case "n_seq_max":
          this.set("parallel", num(v));
          break;
        case "n_ctx":
          this.set("seq", num(v));
          this.out.runs = Math.max(this.out.runs, 1);
          break;
        case "n_batch":
          this.set("batch_size", num(v));
          break;
        case "n_ubatch":
          this.set("ubatch_size", num(v));
          break;
        case "flash_attn":
          if (v === "1" || v === "enabled" || v === "true") this.set("flash_attn", true);
          else if (v === "0" || v === "disabled" || v === "false") this.set("flash_attn", false);
          break;
        case "kv_unified":
          this.set("kv_unified", v === "true" || v === "1");
          break;
      }
      return;
    }
    if (/Flash Attention was auto, set to enabled/.test(s)) {
      this.set("flash_attn", true);
      return;
    }
    if (s.includes("llama_memory_breakdown_print:")) this.breakdown(s);
  }

  private llamaBuffer(component: string, dev: string, value: string, what: string): void {
    this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
    const host = /^(CPU|CUDA_Host|Metal_Mapped|CPU_Mapped|CPU_REPACK|ROCm_Host)/i.test(dev) || /_Host$|_Mapped$|REPACK/i.test(dev);
    const id = host ? `${component === "weights" ? "weights" : component === "kv_cache" ? "kv_cache" : component}_host` : component;
    this.component(id, num(value), "MiB", `llama.cpp ${dev} ${what}`, { device: dev, host });
  }

  /**
   * llama_memory_breakdown_print (llama.cpp, later builds): "| - CUDA0 (RTX 3090) | total = free + (self = model +
   * context + compute) + unaccounted |" per device and "| - Host | self = model + context + compute |", MiB.
   */
  private breakdown(s: string): void {
    this.engine(this.out.engine === "ollama" ? "ollama" : "llama.cpp");
    let m = /\|\s{1,8}- (.{1,80}?)\s{0,60}\|\s{0,20}(\d{1,9}) = (\d{1,9}) \+ \(\s{0,12}(\d{1,9}) =\s{0,12}(\d{1,9}) \+\s{0,12}(\d{1,9}) \+\s{0,12}(\d{1,9})\)/.exec(s);
    if (m) {
      const dev = m[1].trim();
      const label = dev.split(" ")[0];
      this.component("weights", num(m[5]), "MiB", "llama_memory_breakdown_print model column", { device: label });
      this.component("kv_cache", num(m[6]), "MiB", "llama_memory_breakdown_print context column (KV cache)", { device: label });
      this.component("compute_buffer", num(m[7]), "MiB", "llama_memory_breakdown_print compute column", { device: label });
      this.component("self", num(m[4]), "MiB", "llama_memory_breakdown_print self column (model + context + compute)", { device: label });
      const total = num(m[2]);
      if (total !== undefined && /CUDA|ROCm|Vulkan|SYCL|MTL|Metal/.test(label)) {
        const name = /\((.{1,60})\)/.exec(dev)?.[1];
        this.out.gpu = { ...(this.out.gpu ?? {}), totalBytes: total * MiB, ...(name ? { name: this.out.gpu?.name ?? name } : {}) };
      }
      return;
    }
    m = /\|\s{1,8}- (Host[A-Za-z0-9_-]{0,20}|[A-Za-z0-9_]{1,20}-REPACK)\s{0,60}\|\s{0,40}(\d{1,9}) =\s{0,12}(\d{1,9}) \+\s{0,12}(\d{1,9}) \+\s{0,12}(\d{1,9})/.exec(s);
    if (m) {
      const dev = m[1];
      this.component("weights_host", num(m[3]), "MiB", "llama_memory_breakdown_print host model column", { device: dev, host: true });
      this.component("kv_cache_host", num(m[4]), "MiB", "llama_memory_breakdown_print host context column", { device: dev, host: true });
      this.component("compute_buffer_host", num(m[5]), "MiB", "llama_memory_breakdown_print host compute column", { device: dev, host: true });
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Ollama's server log (its own offload estimate and the new engine's buffers)

  private ollama(s: string): void {
    if (!/level=(INFO|WARN|DEBUG|ERROR) source=/.test(s)) return;
    this.engine("ollama");
    let m: RegExpExecArray | null;
    if (/msg=offload /.test(s)) {
      const field = (k: string) => new RegExp(`${k.replace(/\./g, "\\.")}="?\\[?([\\d.]{1,12}) ?(B|KiB|MiB|GiB|TiB)`).exec(s);
      const predicted = (k: string, component: string, what: string) => {
        const f = field(k);
        if (f) this.component(component, num(f[1]), f[2], `Ollama's offload estimate ${k} (a prediction, not an allocation)`, { predicted: true });
        void what;
      };
      predicted("memory.weights.total", "weights", "");
      predicted("memory.required.kv", "kv_cache", "");
      predicted("memory.graph.full", "compute_buffer", "");
      predicted("memory.required.full", "device", "");
      if ((m = /layers\.offload=(\d{1,6})/.exec(s))) this.out.counts.layers_offloaded = num(m[1]) ?? 0;
      if ((m = /layers\.model=(\d{1,6})/.exec(s))) this.out.counts.layers_model = num(m[1]) ?? 0;
      const avail = /memory\.available="\[([\d.]{1,12}) (GiB|MiB)/.exec(s);
      if (avail) this.out.gpu = { ...(this.out.gpu ?? {}), freeBytes: bytesOf(num(avail[1]) ?? 0, avail[2]) };
      return;
    }
    if ((m = /msg="model weights" buffer=([A-Za-z0-9_]{1,20}) size="([\d.]{1,12}) (B|KiB|MiB|GiB)"/.exec(s))) {
      const host = /^CPU/.test(m[1]);
      this.component(host ? "weights_host" : "weights", num(m[2]), m[3], `Ollama ${m[1]} model weights`, { device: m[1], host });
      return;
    }
    if ((m = /msg="(kv cache|compute graph)" (?:device|buffer)=([A-Za-z0-9_]{1,20}) size="([\d.]{1,12}) (B|KiB|MiB|GiB)"/.exec(s))) {
      const host = /^CPU/.test(m[2]);
      const c = m[1] === "kv cache" ? "kv_cache" : "compute_buffer";
      this.component(host ? `${c}_host` : c, num(m[3]), m[4], `Ollama ${m[2]} ${m[1]}`, { device: m[2], host });
      return;
    }
    if ((m = /msg="starting llama server" cmd="(.{1,2000}?)"/.exec(s))) {
      const cmd = m[1];
      const flag = (f: string) => new RegExp(`--${f} (\\S{1,40})`).exec(cmd)?.[1];
      this.set("seq", num(flag("ctx-size")));
      this.set("batch_size", num(flag("batch-size")));
      this.set("parallel", num(flag("parallel")));
      const ngl = num(flag("n-gpu-layers"));
      if (ngl !== undefined) this.set("n_gpu_layers", ngl);
      if (/--flash-attn( on)?\b/.test(cmd) && !/--flash-attn off/.test(cmd)) this.set("flash_attn", true);
      const kv = flag("cache-type-k") ?? flag("kv-cache-type");
      if (kv) this.set("cache_type_k", kv);
      const path = flag("model");
      if (path) this.out.model = { ...(this.out.model ?? { hparams: {} }), path };
      return;
    }
    if (/msg="enabling flash attention"/.test(s)) this.set("flash_attn", true);
    if ((m = /msg=ggml.{0,40}architecture=([a-z0-9_]{1,30}) file_type=([A-Za-z0-9_]{1,20})/.exec(s)) || (m = /msg="" architecture=([a-z0-9_]{1,30}) file_type=([A-Za-z0-9_]{1,20})/.exec(s))) {
      this.out.model = { ...(this.out.model ?? { hparams: {} }), architecture: m[1], fileType: m[2] };
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // vLLM (V0 worker.py profile lines, the V0 table of PR #10511, V1 gpu_worker / kv_cache_utils)

  private vllm(s: string): void {
    let m: RegExpExecArray | null;
    if ((m = /Initializing an? (V0|V1) LLM engine \(v([0-9][0-9a-z.+-]{0,30})\) with config: model='([^']{1,300})'/.exec(s))) {
      this.engine("vllm");
      if (!this.sawArgs) this.newRun();
      this.sawArgs = false;
      this.out.version = `${m[2]} (${m[1]})`;
      this.out.model = { ...(this.out.model ?? { hparams: {} }), path: m[3] };
      const cfg = (k: string) => new RegExp(`[ ,]${k}=([^,]{1,80})`).exec(s)?.[1];
      this.set("max_model_len", num(cfg("max_seq_len")));
      this.set("gpus", num(cfg("tensor_parallel_size")));
      const pp = num(cfg("pipeline_parallel_size"));
      if (pp && pp > 1) this.set("pipeline_parallel_size", pp);
      const dt = cfg("dtype");
      if (dt === "torch.bfloat16") this.set("dtype", "bf16");
      else if (dt === "torch.float16") this.set("dtype", "fp16");
      const q = cfg("quantization");
      if (q && q !== "None") this.set("quantization", q);
      const kv = cfg("kv_cache_dtype");
      if (kv && kv !== "auto") this.set("kv_dtype", kv.startsWith("fp8") ? "fp8" : kv);
      if (cfg("enforce_eager") === "True") this.set("enforce_eager", true);
      const mnbt = num(/max_num_batched_tokens=(\d{1,9})/.exec(s)?.[1]);
      const mns = num(/max_num_seqs=(\d{1,9})/.exec(s)?.[1]);
      if (mnbt !== undefined) this.set("max_num_batched_tokens", mnbt);
      if (mns !== undefined) this.set("max_num_seqs", mns);
      // V0's EngineArgs default is 256 sequences whatever the GPU (the per-GPU defaults came with V1's serve).
      else if (m[1] === "V0") this.set("max_num_seqs", 256);
      // V0 with chunked prefill off profiles one batch of max(max_model_len, 2048) tokens (vllm/config.py SchedulerConfig, V0).
      if (mnbt === undefined && /chunked_prefill_enabled=False/.test(s) && m[1] === "V0") {
        const len = num(cfg("max_seq_len"));
        if (len !== undefined) this.set("max_num_batched_tokens", Math.max(len, 2048));
      }
      return;
    }
    if ((m = /non-default args: (\{.{1,4000}\})/.exec(s))) {
      this.engine("vllm");
      this.newRun();
      this.sawArgs = true;
      const dict = m[1];
      const val = (k: string) => new RegExp(`'${k}': ([^,}]{1,60})`).exec(dict)?.[1]?.trim();
      this.set("max_model_len", num(val("max_model_len")));
      this.set("gpu_memory_utilization", num(val("gpu_memory_utilization")));
      this.set("max_num_seqs", num(val("max_num_seqs")));
      this.set("max_num_batched_tokens", num(val("max_num_batched_tokens")));
      const tp = num(val("tensor_parallel_size"));
      if (tp) this.set("gpus", tp);
      const model = val("model")?.replace(/^'|'$/g, "") ?? val("model_tag")?.replace(/^'|'$/g, "");
      if (model) this.out.model = { ...(this.out.model ?? { hparams: {} }), path: model };
      return;
    }
    if ((m = /(?:Loading model weights took|Model loading took) ([\d.]{1,12}) (GiB|GB)/.exec(s))) {
      this.engine("vllm");
      this.component("weights", num(m[1]), "GiB", "vLLM 'Model loading took X GiB' (the drop in free memory while loading)");
      return;
    }
    if ((m = /total_gpu_memory \(([\d.]{1,10})GiB\) x gpu_memory_utilization \(([\d.]{1,6})\)/.exec(s))) {
      this.engine("vllm");
      this.out.gpu = { ...(this.out.gpu ?? {}), totalBytes: bytesOf(num(m[1]) ?? 0, "GiB") };
      this.set("gpu_memory_utilization", num(m[2]));
      return;
    }
    if ((m = /model weights take ([\d.]{1,12})GiB; non_torch_memory takes ([\d.]{1,12})GiB; PyTorch activation peak memory takes ([\d.]{1,12})GiB; the rest of the memory reserved for KV Cache is (-?[\d.]{1,12})GiB/.exec(s))) {
      this.engine("vllm");
      this.component("weights", num(m[1]), "GiB", "vLLM profile: model weights take");
      this.component("non_torch", num(m[2]), "GiB", "vLLM profile: non_torch_memory");
      this.component("activations", num(m[3]), "GiB", "vLLM profile: PyTorch activation peak memory");
      const kv = Number(m[4]);
      if (kv >= 0) this.component("kv_cache", kv, "GiB", "vLLM profile: the rest of the memory reserved for KV Cache");
      else this.out.notes.push(`line ${this.lineNo}: vLLM's KV budget is negative (${m[4]} GiB): it does not start`);
      return;
    }
    if ((m = /worker\.py:\d{1,5}\] (total_gpu_memory|gpu_memory_utilization|model weights take|non_torch_memory|PyTorch activation peak memory|available_kv_cache_memory)\s{1,12}(-?[\d.]{1,12})(GiB)?/.exec(s))) {
      this.engine("vllm");
      const v = num(m[2]);
      if (m[1] === "total_gpu_memory" && v !== undefined) this.out.gpu = { ...(this.out.gpu ?? {}), totalBytes: bytesOf(v, "GiB") };
      else if (m[1] === "gpu_memory_utilization") this.set("gpu_memory_utilization", v);
      else if (m[1] === "model weights take") this.component("weights", v, "GiB", "vLLM profiling table: model weights take");
      else if (m[1] === "non_torch_memory") this.component("non_torch", v, "GiB", "vLLM profiling table: non_torch_memory");
      else if (m[1] === "PyTorch activation peak memory") this.component("activations", v, "GiB", "vLLM profiling table: PyTorch activation peak memory");
      else if (m[1] === "available_kv_cache_memory") this.component("kv_cache", v, "GiB", "vLLM profiling table: available_kv_cache_memory");
      return;
    }
    if ((m = /Available KV cache memory: (-?[\d.]{1,12}) (GiB|GB)/.exec(s))) {
      this.engine("vllm");
      if (Number(m[1]) >= 0) this.component("kv_cache", num(m[1]), "GiB", "vLLM V1 'Available KV cache memory'");
      else this.out.notes.push(`line ${this.lineNo}: vLLM's KV budget is negative (${m[1]} GiB): it does not start`);
      return;
    }
    if ((m = /GPU KV cache size: ([\d,]{1,16}) tokens/.exec(s))) {
      this.engine("vllm");
      this.out.counts.kv_tokens = num(m[1]) ?? 0;
      return;
    }
    if ((m = /# (?:cuda|GPU) blocks: (\d{1,12})/.exec(s))) {
      this.engine("vllm");
      this.out.counts.num_blocks = num(m[1]) ?? 0;
      return;
    }
    if ((m = /Maximum concurrency for ([\d,]{1,12}) tokens per request/.exec(s))) {
      this.set("max_model_len", num(m[1]));
      return;
    }
    if ((m = /Graph capturing finished in \d{1,6} secs?, took ([\d.]{1,10}) (GiB|GB)/.exec(s))) {
      this.engine("vllm");
      this.component("cuda_graphs", num(m[1]), "GiB", "vLLM 'Graph capturing finished ... took X GiB'");
      return;
    }
    if ((m = /Free memory on device \(([\d.]{1,10})\/([\d.]{1,10}) GiB\) on startup is less than desired GPU memory utilization \(([\d.]{1,6}), ([\d.]{1,10}) GiB\)/.exec(s))) {
      this.engine("vllm");
      const free = num(m[1]);
      const total = num(m[2]);
      if (free !== undefined && total !== undefined && total >= free) {
        this.out.gpu = { ...(this.out.gpu ?? {}), totalBytes: bytesOf(total, "GiB"), freeBytes: bytesOf(free, "GiB") };
        this.component("cuda_context", Math.round((total - free) * 100) / 100, "GiB", "vLLM startup check: total − free memory before loading (this process's CUDA context, NCCL, other processes)");
      }
      this.set("gpu_memory_utilization", num(m[3]));
      this.out.notes.push(`line ${this.lineNo}: vLLM refused to start: gpu_memory_utilization ${m[3]} asks for more than the free memory`);
      return;
    }
    if ((m = /Estimated CUDA graph memory: ([\d.]{1,10}) GiB/.exec(s))) {
      this.component("cuda_graphs", num(m[1]), "GiB", "vLLM 'Estimated CUDA graph memory' (its own estimate)", { predicted: true });
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // SGLang (model_runner / memory_pool / scheduler lines)

  private sglang(s: string): void {
    let m: RegExpExecArray | null;
    if ((m = /server_args=ServerArgs\((.{1,12000})/.exec(s))) {
      this.engine("sglang");
      this.newRun();
      const a = m[1];
      const val = (k: string) => new RegExp(`[(, ]${k}=([^,)]{1,200})`).exec(a)?.[1]?.trim();
      const str = (k: string) => val(k)?.replace(/^'|'$/g, "");
      const path = str("model_path");
      if (path) this.out.model = { ...(this.out.model ?? { hparams: {} }), path };
      this.set("context_length", num(val("context_length")));
      this.set("mem_fraction_static", num(val("mem_fraction_static")));
      this.set("chunked_prefill_size", Number(val("chunked_prefill_size")) === -1 ? -1 : num(val("chunked_prefill_size")));
      this.set("max_running_requests", num(val("max_running_requests")));
      this.set("max_total_tokens", num(val("max_total_tokens")));
      this.set("page_size", num(val("page_size")));
      this.set("cuda_graph_max_bs", num(val("cuda_graph_max_bs")));
      if (val("disable_cuda_graph") === "True") this.set("disable_cuda_graph", true);
      const tp = num(val("tp_size"));
      if (tp) this.set("gpus", tp);
      const pp = num(val("pp_size"));
      if (pp && pp > 1) this.set("pp_size", pp);
      const kv = str("kv_cache_dtype");
      if (kv && kv !== "auto") this.set("kv_dtype", kv.startsWith("fp8") ? "fp8" : kv === "bfloat16" ? "bf16" : kv);
      const ab = str("attention_backend");
      if (ab && ab !== "None") this.set("attention_backend", ab);
      const q = str("quantization");
      if (q && q !== "None") this.set("quantization", q);
      return;
    }
    if ((m = /Load weight begin\. avail mem=([\d.]{1,10}) GB/.exec(s))) {
      this.engine("sglang");
      this.out.gpu = { ...(this.out.gpu ?? {}), freeBytes: bytesOf(num(m[1]) ?? 0, "GiB") };
      return;
    }
    if ((m = /Load weight end\. .{0,200}?mem usage=([\d.]{1,10}) GB/.exec(s))) {
      this.engine("sglang");
      this.component("weights", num(m[1]), "GiB", "SGLang 'Load weight end ... mem usage' (the drop in free memory while loading)");
      return;
    }
    if ((m = /KV Cache is allocated\. #tokens: (\d{1,12}), K size: ([\d.]{1,10}) GB, V size: ([\d.]{1,10}) GB/.exec(s))) {
      this.engine("sglang");
      const k = num(m[2]);
      const v = num(m[3]);
      if (k !== undefined && v !== undefined) this.component("kv_cache", Math.round((k + v) * 100) / 100, "GiB", "SGLang 'KV Cache is allocated' K size + V size");
      this.out.counts.kv_tokens = num(m[1]) ?? 0;
      return;
    }
    if ((m = /KV Cache is allocated\. #tokens: (\d{1,12}), KV size: ([\d.]{1,10}) GB/.exec(s))) {
      this.engine("sglang");
      this.component("kv_cache", num(m[2]), "GiB", "SGLang 'KV Cache is allocated' KV size (MLA pool)");
      this.out.counts.kv_tokens = num(m[1]) ?? 0;
      return;
    }
    if ((m = /Mamba Cache is allocated\. max_mamba_cache_size: (\d{1,9}), conv_state size: ([\d.]{1,10}) ?GB, ssm_state size: ([\d.]{1,10}) ?GB/.exec(s))) {
      this.engine("sglang");
      const c = num(m[2]);
      const ss = num(m[3]);
      if (c !== undefined && ss !== undefined) this.component("state_cache", Math.round((c + ss) * 100) / 100, "GiB", "SGLang 'Mamba Cache is allocated' conv + ssm state");
      this.out.counts.max_mamba_cache_size = num(m[1]) ?? 0;
      return;
    }
    if ((m = /Capture cuda graph end\. .{0,80}?mem usage=([\d.]{1,10}) GB/.exec(s))) {
      this.engine("sglang");
      this.component("cuda_graphs", num(m[1]), "GiB", "SGLang 'Capture cuda graph end ... mem usage'");
      return;
    }
    if ((m = /max_total_num_tokens=(\d{1,12}), chunked_prefill_size=(-?\d{1,9}), max_prefill_tokens=(\d{1,9}), max_running_requests=(\d{1,9}), context_len=(\d{1,12})/.exec(s))) {
      this.engine("sglang");
      this.out.counts.kv_tokens = num(m[1]) ?? 0;
      this.set("chunked_prefill_size", Number(m[2]) === -1 ? -1 : num(m[2]));
      this.set("max_running_requests", num(m[4]));
      this.set("context_length", num(m[5]));
      return;
    }
    if ((m = /GPU \d{1,3} has a total capacity of ([\d.]{1,10}) GiB/.exec(s))) {
      this.kind(this.out.engine ?? "torch");
      this.out.gpu = { ...(this.out.gpu ?? {}), totalBytes: bytesOf(num(m[1]) ?? 0, "GiB") };
      this.out.notes.push(`line ${this.lineNo}: the run stopped with CUDA out of memory`);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // torch.cuda.memory_summary(): "| Allocated memory      |  12345 MiB |  23456 MiB | ..." (cur, peak, tot alloc, tot freed)

  private torch(s: string): void {
    const m = /^\|\s{0,4}(Allocated memory|Active memory|Reserved memory|GPU reserved memory|Requested memory)\s{0,30}\|\s{0,12}([\d.]{1,12}) ?(B|KiB|KB|MiB|MB|GiB|GB)\s{0,4}\|\s{0,12}([\d.]{1,12}) ?(B|KiB|KB|MiB|MB|GiB|GB)\s{0,4}\|/.exec(s);
    if (!m) return;
    this.kind("torch");
    const peak = num(m[4]);
    if (m[1] === "Allocated memory") this.totalOf("allocated", peak, m[5], "torch.cuda.memory_summary 'Allocated memory' peak usage");
    else if (m[1] === "Reserved memory" || m[1] === "GPU reserved memory") this.totalOf("reserved", peak, m[5], "torch.cuda.memory_summary 'GPU reserved memory' peak usage");
  }

  private totalOf(level: "allocated" | "reserved" | "device", value: number | undefined, unit: string, what: string, device?: string): void {
    if (value === undefined) return;
    const b = bytesOf(value, unit);
    if (b === undefined) return;
    this.measure({ component: level, bytes: b, level, value, unit, what, ...(device ? { device } : {}) });
  }

  // ------------------------------------------------------------------------------------------------------------
  // nvidia-smi: "|   0  NVIDIA A100-SXM4-80GB   On | ... |  41234MiB / 81920MiB |"

  private nvidiaSmi(s: string, lines: string[], i: number): void {
    const m = /\|\s{0,6}(\d{1,2})\s{1,6}(NVIDIA [^|]{1,60}?|Tesla [^|]{1,60}?|Quadro [^|]{1,60}?)\s{1,40}(On|Off)\s{0,6}\|/.exec(s);
    if (!m) return;
    const next = clean(lines[i + 1] ?? "");
    const u = /\|\s{0,40}(\d{1,9})MiB \/\s{0,6}(\d{1,9})MiB\s{0,6}\|/.exec(next);
    if (!u) return;
    this.kind("nvidia-smi");
    const used = num(u[1]);
    const total = num(u[2]);
    const dev = `GPU${m[1]}`;
    this.lineNo = i + 2;
    this.raw = lines[i + 1];
    this.totalOf("device", used, "MiB", `nvidia-smi memory used on ${dev} (whole device: every process, CUDA contexts included)`, dev);
    const name = m[2].trim();
    const count = (this.out.gpu?.count ?? 0) + 1;
    this.out.gpu = { ...(this.out.gpu ?? {}), name: this.out.gpu?.name ?? name, totalBytes: this.out.gpu?.totalBytes ?? (total !== undefined ? total * MiB : undefined), count };
  }
}

/** Parse a log's text. Throws (invalid_file) only for input that is not text or is too large. */
export function parseLog(text: string): ParsedLog {
  if (typeof text !== "string") throw new VramfitError("invalid_file", "the log must be text");
  if (text.length > MAX_LOG_BYTES) throw new VramfitError("invalid_file", `the log is ${Math.round(text.length / MiB)} MiB; at most ${MAX_LOG_BYTES / MiB} MiB is read`, { suggestion: "cut it to the startup lines" });
  if (text.includes("\u0000")) throw new VramfitError("invalid_file", "the log holds NUL bytes: not a text log");
  return new Parser().parse(text);
}
