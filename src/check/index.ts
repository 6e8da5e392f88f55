/**
 * `vramfit check <log>`: what a real run printed beside vramfit's estimate for the same settings, component by
 * component, with the difference and its likely cause. The settings come from the log (parse.ts); what the log
 * does not say (the model when only a local path is printed, the GPU) comes from the caller. Also
 * `logToCases`: a log's printed components as accuracy cases (bench/accuracy's case format).
 */
import { existsSync } from "node:fs";
import type { Estimate } from "../core/estimate-types.js";
import { isVramfitError, VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import type { ModelDescription, TransformerModel } from "../core/model.js";
import type { EstimateInput } from "../core/profile.js";
import { formatBytes, GiB, MiB } from "../core/units.js";
import { defaultEstimator } from "../default-estimator.js";
import { transformerShapeFromGguf } from "../ggml/shape.js";
import { llamaCppComputeBuffer } from "../runtimes/llamacpp/compute-buffer.js";
import { llamaCppKvCache } from "../runtimes/llamacpp/kv-cache.js";
import { cudaContextComponent } from "../core/overheads.js";
import { parseLog, type Measured, type ParsedLog } from "./parse.js";

export { parseLog } from "./parse.js";
export type { ParsedLog, Measured, LogKind, LogEngine } from "./parse.js";

export interface CheckOptions {
  /** The model (catalog id, Hugging Face id, path, or a description) when the log names only a path vramfit cannot read. */
  model?: string | ModelDescription;
  /** The GPU (catalog id, size, or Gpu) when the log does not print its total. */
  gpu?: string | Gpu;
  /** vramfit options that win over what the log says (a setting it did not print). */
  options?: EstimateInput;
  /** Model reader (default: the library's resolveModel; the CLI passes one that may read the Hub). */
  resolveModel?: (spec: string) => Promise<ModelDescription>;
}

export interface CheckRow {
  component: string;
  device?: string;
  printed_bytes: number;
  estimate_bytes: number | null;
  diff_bytes: number | null;
  /** (estimate − printed) / printed. */
  diff: number | null;
  /** What the printed number is (the log line's meaning). */
  what: string;
  line: number;
  quote: string;
  cause: string;
  /** The engine's own prediction (Ollama's offload line), not an allocation. */
  predicted?: boolean;
}

export interface CheckResult {
  engine: string | null;
  version: string | null;
  model: string | null;
  gpu: string | null;
  /** Settings recovered from the log, in vramfit option keys. */
  settings: Record<string, unknown>;
  counts: Record<string, number>;
  rows: CheckRow[];
  estimate: Estimate | null;
  notes: string[];
}

const QUANT_OF: Record<string, string> = { awq: "awq", awq_marlin: "awq", gptq: "gptq", gptq_marlin: "gptq", fp8: "fp8", mxfp4: "mxfp4", bitsandbytes: "nf4" };

/** llama.cpp's printed file type ("Q8_0", "Q4_K - Medium", "MOSTLY_Q4_K_M") → vramfit's GGUF type name. */
export function ggufTypeOf(fileType: string | undefined): string | undefined {
  if (!fileType) return undefined;
  const s = fileType.trim().replace(/^MOSTLY_/i, "").replace(/\s*\(guessed\)\s*$/i, "");
  const sized = /^(Q\d_K)\s*-\s*(Small|Medium|Large)$/i.exec(s);
  if (sized) return `${sized[1]}_${sized[2][0]}`.toLowerCase();
  return s.toLowerCase().replace(/\s+/g, "_");
}

/** The log's settings as vramfit options (the parser's keys, engine names translated). */
function optionsOf(log: ParsedLog): EstimateInput {
  const o: EstimateInput = {};
  for (const [k, v] of Object.entries(log.settings)) {
    if (k === "quantization") {
      const q = QUANT_OF[String(v).toLowerCase()];
      if (q) o.quant = q;
      continue;
    }
    o[k] = v;
  }
  if (log.engine) o.runtime = log.engine;
  if (log.engine === "vllm" && typeof o.max_model_len === "number") o.seq = o.max_model_len;
  if (log.engine === "sglang" && typeof o.context_length === "number") o.seq = o.context_length;
  if ((log.engine === "llama.cpp" || log.engine === "ollama") && o.quant === undefined) {
    const q = ggufTypeOf(log.model?.fileType);
    if (q) o.quant = q;
  }
  return o;
}

/** The GPU the log describes: its printed total (vLLM, llama.cpp's breakdown, nvidia-smi, an OOM line), or free memory before loading. */
function gpuOf(log: ParsedLog, tp: number): Gpu | undefined {
  const g = log.gpu;
  if (!g) return undefined;
  const name = g.name ?? "GPU from the log";
  const arch = /H100|H200|H800|H20\b|GH200/i.test(name) ? "hopper" : /B200|B100|GB200|RTX 50/i.test(name) ? "blackwell" : /4090|4080|L40|L4\b|Ada/i.test(name) ? "ada" : "ampere";
  let total = g.totalBytes;
  let note = "the total the log prints";
  if (total === undefined && g.freeBytes !== undefined) {
    // SGLang prints the free memory before the weights load; vramfit's estimate takes the CUDA context (and NCCL
    // under tensor parallelism) off the total, so the total that reproduces that free memory is free + those.
    total = g.freeBytes + cudaContextComponent({}).bytes + (tp > 1 ? Math.round(0.2 * GiB) : 0);
    note = "free memory before loading + the CUDA context";
  }
  if (total === undefined || !(total > 0)) return undefined;
  return { id: `${(total / GiB).toFixed(2)}gb-from-log`, name: `${name} (${formatBytes(total)}: ${note})`, vendor: "nvidia", memory_bytes: total, usable_bytes: total, arch };
}

async function modelOf(log: ParsedLog, opts: CheckOptions, notes: string[]): Promise<ModelDescription | undefined> {
  if (opts.model !== undefined) {
    if (typeof opts.model !== "string") return opts.model;
    return opts.resolveModel ? opts.resolveModel(opts.model) : defaultEstimator.resolveModel(opts.model);
  }
  const path = log.model?.path;
  if (path) {
    if (existsSync(path) && opts.resolveModel) {
      try {
        return await opts.resolveModel(path);
      } catch (e) {
        if (!isVramfitError(e)) throw e;
        notes.push(`the model at ${path} could not be read: ${e.message}`);
      }
    }
    const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
    try {
      return defaultEstimator.resolveModel(base);
    } catch (e) {
      if (!isVramfitError(e)) throw e;
    }
    notes.push(`the log names the model ${path}; vramfit cannot read it here: give --model (a catalog id, a Hugging Face id or a local path) to compare weights and the pools`);
  }
  return undefined;
}

/** A model description from llama.cpp's printed hyper-parameters (print_info), for KV and compute buffers only. */
function llamaShape(log: ParsedLog): TransformerModel["transformer"] | undefined {
  const hp = log.model?.hparams ?? {};
  const arch = log.model?.architecture;
  if (!arch || hp.n_layer === undefined || hp.n_embd === undefined || hp.n_head === undefined) return undefined;
  const meta: Record<string, unknown> = { "general.architecture": arch };
  const put = (k: string, v: number | undefined) => {
    if (v !== undefined) meta[`${arch}.${k}`] = v;
  };
  put("block_count", hp.n_layer);
  put("embedding_length", hp.n_embd);
  put("attention.head_count", hp.n_head);
  put("attention.head_count_kv", hp.n_head_kv);
  put("attention.key_length", hp.n_embd_head_k);
  put("attention.value_length", hp.n_embd_head_v);
  put("feed_forward_length", hp.n_ff);
  put("context_length", hp.n_ctx_train);
  put("expert_count", hp.n_expert);
  put("expert_used_count", hp.n_expert_used);
  put("expert_feed_forward_length", hp.n_ff_exp);
  put("attention.sliding_window", hp.n_swa);
  put("attention.kv_lora_rank", hp.n_lora_kv);
  put("rope.dimension_count", hp.n_rot);
  try {
    return transformerShapeFromGguf(meta, { vocab: hp.n_vocab ?? 32000, name: "the log's model" }).shape;
  } catch (e) {
    if (isVramfitError(e)) return undefined;
    throw e;
  }
}

function estimateComponent(e: Estimate, id: string, device: string | undefined, engine: string | undefined): number | null {
  if (id === "device") return e.totals.device_bytes;
  if (id === "allocated") return e.totals.allocated_bytes;
  if (id === "reserved") return e.totals.reserved_bytes;
  const devices = (e as unknown as { devices?: { device: string; weights_bytes: number; kv_cache_bytes: number; compute_bytes: number }[] }).devices;
  if (devices && device && /^CUDA\d/.test(device)) {
    const d = devices.find((x) => x.device === device);
    if (d) {
      if (id === "weights") return d.weights_bytes;
      if (id === "kv_cache") return d.kv_cache_bytes;
      if (id === "compute_buffer") return d.compute_bytes;
      if (id === "self") return d.weights_bytes + d.kv_cache_bytes + d.compute_bytes;
    }
  }
  if (id === "self") {
    const sum = ["weights", "kv_cache", "compute_buffer"].map((c) => e.components.find((x) => x.id === c)?.bytes ?? 0).reduce((a, b) => a + b, 0);
    return sum || null;
  }
  if (id === "compute_buffer_host") return null;
  const c = e.components.find((x) => x.id === id);
  void engine;
  return c ? c.bytes : null;
}

/** The usual reason an estimate and a printed component differ, by component and engine. */
export function likelyCause(component: string, engine: string | undefined, diff: number | null, predicted: boolean): string {
  if (diff === null) return predicted ? "the engine's own prediction; vramfit has no matching component" : "vramfit has no matching component for these settings";
  const a = Math.abs(diff);
  if (a < 0.02) return "matches";
  const more = diff > 0 ? "higher" : "lower";
  const pool = engine === "vllm" || engine === "sglang";
  if (predicted) return `Ollama's own prediction is coarse ("intentionally conservative": GGUF size + a KV formula); vramfit is ${more}`;
  switch (component) {
    case "weights":
    case "weights_host":
      return `weights ${more}: a checkpoint format or dtype other than assumed (pass --quant / --dtype), buffers loaded with the weights (rotary caches, MoE workspaces), or another model revision`;
    case "kv_cache":
      return pool
        ? `the pool fills what is left of the budget: a weights or activation difference, another GPU total (pass --gpu) or another memory fraction moves it (${more})`
        : `the KV cache follows -c, -np, the cache types and the sliding-window layers: a setting the log did not state (pass it) or a model shape read differently`;
    case "compute_buffer":
      return "llama.cpp's compute buffer: its CUDA constants are fitted on published logs; ubatch size, flash attention and the graph split change it";
    case "cuda_graphs":
      return "CUDA graph memory depends on the captured batch sizes and backend; vramfit uses a fitted constant";
    case "activations":
      return "the profile run's activation peak: max_num_batched_tokens, the sampler and MoE kernels' workspaces";
    case "non_torch":
      return "non-torch memory (NCCL, custom all-reduce buffers) varies with the interconnect and TP size";
    case "state_cache":
      return "Mamba state slots follow --mamba-full-memory-ratio or --max-mamba-cache-size (versions differ)";
    case "cuda_context":
      return "memory in use before loading: this process's CUDA context, NCCL under tensor parallelism, and any other process on the GPU";
    case "device":
      return "nvidia-smi counts every process and the CUDA context; a caching allocator may hold more than the peak";
    case "allocated":
    case "reserved":
      return "torch's peak includes every transient of the run (a larger batch or sequence than stated?)";
    default:
      return `vramfit is ${more}`;
  }
}

export async function checkLog(text: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const log = parseLog(text);
  const notes = [...log.notes];
  if (log.kinds.length === 0 || log.measured.length === 0) {
    throw new VramfitError("invalid_file", "no memory lines found: not a llama.cpp, Ollama, vLLM or SGLang startup log, a torch.cuda.memory_summary() or nvidia-smi output", { suggestion: "paste the whole startup log (the lines with 'buffer size', 'Model loading took', 'KV Cache is allocated', ...)" });
  }
  const options = { ...optionsOf(log), ...(opts.options ?? {}) };
  const tp = typeof options.gpus === "number" ? options.gpus : 1;
  let gpu: Gpu | undefined;
  if (opts.gpu !== undefined) gpu = defaultEstimator.resolveGpu(opts.gpu);
  else gpu = gpuOf(log, tp);
  let model: ModelDescription | undefined;
  try {
    model = await modelOf(log, opts, notes);
  } catch (e) {
    if (!isVramfitError(e)) throw e;
    notes.push(`model: ${e.message}`);
  }
  let estimate: Estimate | null = null;
  if (model) {
    if (!options.runtime && log.kinds.includes("torch")) options.runtime = "transformers";
    if (!gpu && (options.runtime === "vllm" || options.runtime === "sglang")) notes.push("no GPU total in the log: give --gpu to estimate the pools");
    else {
      try {
        estimate = defaultEstimator.estimate(model, { ...options, ...(gpu ? { gpu } : {}) });
      } catch (e) {
        if (!isVramfitError(e)) throw e;
        notes.push(`vramfit cannot estimate these settings: ${e.message}${e.suggestion ? ` (${e.suggestion})` : ""}`);
      }
    }
  }

  // Without a model, llama.cpp's printed hyper-parameters still give the KV cache and compute buffer.
  let shapeOnly: { kv: number; compute: number } | undefined;
  if (!estimate && (log.engine === "llama.cpp" || log.engine === "ollama")) {
    const shape = llamaShape(log);
    const seq = options.seq as number | undefined;
    if (shape && seq) {
      try {
        const kvOpts = { nCtx: seq, nSeq: (options.parallel as number | undefined) ?? 1, kvUnified: options.kv_unified === true, typeK: (options.cache_type_k as string | undefined) ?? "f16", typeV: (options.cache_type_v as string | undefined) ?? "f16", flashAttn: options.flash_attn === true, nUbatch: (options.ubatch_size as number | undefined) ?? 512, nBatch: (options.batch_size as number | undefined) ?? 2048, architecture: log.model?.architecture };
        shapeOnly = { kv: llamaCppKvCache(shape, kvOpts).totalBytes, compute: llamaCppComputeBuffer(shape, kvOpts, "cuda").bytes };
        notes.push("the model was rebuilt from the hyper-parameters llama.cpp printed (print_info): KV cache and compute buffer compared; give --model to compare the weights");
      } catch (e) {
        if (!isVramfitError(e)) throw e;
        notes.push(`the printed hyper-parameters do not give a KV cache: ${e.message}`);
      }
    }
  }

  const rows: CheckRow[] = [];
  const kvPrinted = log.measured.filter((m) => (m.component === "kv_cache" || m.component === "kv_cache_host") && !m.predicted);
  for (const m of log.measured) {
    let est: number | null = null;
    if (estimate) est = estimateComponent(estimate, m.component, m.device, log.engine);
    else if (shapeOnly && !m.predicted) {
      if (m.component === "kv_cache" && kvPrinted.length === 1) est = shapeOnly.kv;
      if (m.component === "compute_buffer" && m.device === "CUDA0") est = shapeOnly.compute;
    }
    const diff = est === null ? null : m.bytes > 0 ? (est - m.bytes) / m.bytes : null;
    rows.push({
      component: m.component,
      ...(m.device ? { device: m.device } : {}),
      printed_bytes: m.bytes,
      estimate_bytes: est,
      diff_bytes: est === null ? null : est - m.bytes,
      diff,
      what: m.what,
      line: m.line,
      quote: m.quote,
      cause: likelyCause(m.component, log.engine, diff, m.predicted === true),
      ...(m.predicted ? { predicted: true } : {}),
    });
  }
  if (shapeOnly && kvPrinted.length > 1) {
    const sum = kvPrinted.reduce((a, m) => a + m.bytes, 0);
    const diff = (shapeOnly.kv - sum) / sum;
    rows.push({ component: "kv_cache", device: "all devices", printed_bytes: sum, estimate_bytes: shapeOnly.kv, diff_bytes: shapeOnly.kv - sum, diff, what: "llama.cpp KV buffers summed over devices", line: kvPrinted[0].line, quote: kvPrinted[0].quote, cause: likelyCause("kv_cache", log.engine, diff, false) });
  }
  if (log.counts.kv_tokens && estimate) {
    const s = (estimate as unknown as { serving?: Record<string, number> }).serving;
    const tokens = s ? (log.engine === "vllm" ? s.num_blocks * s.block_size : s.max_total_num_tokens) : undefined;
    if (tokens !== undefined) notes.push(`KV tokens: the log prints ${log.counts.kv_tokens}, vramfit ${tokens} (${(((tokens - log.counts.kv_tokens) / log.counts.kv_tokens) * 100).toFixed(1)} %)`);
  }
  return {
    engine: log.engine ?? (log.kinds[0] ?? null),
    version: log.version ?? null,
    model: model?.id ?? null,
    gpu: gpu?.name ?? null,
    settings: log.settings,
    counts: log.counts,
    rows,
    estimate,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Logs as accuracy cases (bench/accuracy's format; the accuracy helper calls this)

export interface LogCaseMeta {
  /** Case ids are `${idPrefix}-${component}[-${device}]`. */
  idPrefix: string;
  /** The independent source (all cases of one source are left out together in calibration). */
  source: string;
  source_url: string;
  /** A vramfit model reference (catalog id, {hf}, {config}) — the log only names a path. */
  model: unknown;
  /** GPU id or "<total>gb" (default: the log's printed total). */
  gpu?: string;
  gpus?: number;
  framework_version?: string | null;
  confidence?: "high" | "medium" | "low";
  /** Workload keys to add or override (what the log does not say). */
  workload?: Record<string, unknown>;
  notes?: string;
}

const CATEGORY: Record<string, string> = { vllm: "vllm", sglang: "sglang", "llama.cpp": "llamacpp", ollama: "ollama" };

/**
 * The printed GPU components of a log as accuracy cases: level "component", the quoted line, the settings the log
 * states as the workload. Predicted figures (Ollama's offload line) and host buffers are left out.
 */
export function logToCases(text: string, meta: LogCaseMeta): Record<string, unknown>[] {
  const log = parseLog(text);
  if (!log.engine) throw new VramfitError("invalid_file", "not a vLLM, SGLang, llama.cpp or Ollama startup log");
  const workload: Record<string, unknown> = { mode: "infer", ...optionsOf(log), ...(meta.workload ?? {}) };
  const g = gpuOf(log, typeof workload.gpus === "number" ? workload.gpus : 1);
  const gpu = meta.gpu ?? (g ? `${(g.memory_bytes / GiB).toFixed(2)}gb` : null);
  const out: Record<string, unknown>[] = [];
  for (const m of log.measured) {
    if (m.predicted || m.host || m.level !== "component" || m.component === "self") continue;
    const dev = m.device && /\d/.test(m.device) && m.device !== "CUDA0" ? `-${m.device.toLowerCase()}` : "";
    out.push({
      id: `${meta.idPrefix}-${m.component.replace(/_/g, "-")}${dev}`,
      source: meta.source,
      source_url: meta.source_url,
      quote: m.quote,
      category: CATEGORY[log.engine] ?? log.engine,
      framework: log.engine,
      framework_version: meta.framework_version ?? log.version ?? null,
      model: meta.model,
      gpu,
      gpus: meta.gpus ?? (typeof workload.gpus === "number" ? workload.gpus : 1),
      workload,
      measured: { level: "component", component: m.component, bytes: m.bytes, value: m.value, unit: m.unit, what: m.what },
      settings: Object.entries(log.settings).map(([k, v]) => `${k}=${String(v)}`).join(", "),
      confidence: meta.confidence ?? "high",
      notes: [meta.notes, `imported by vramfit check (logToCases) from line ${m.line}`, m.device ? `device ${m.device}` : ""].filter(Boolean).join("; "),
    });
  }
  return out;
}

/** Bytes as the check table prints them. */
export function fmt(b: number | null): string {
  if (b === null) return "—";
  return Math.abs(b) >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`;
}
