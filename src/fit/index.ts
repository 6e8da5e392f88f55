/**
 * The fit solver: given a model, an engine, the GPUs (mixed cards allowed, each with its own budget and a margin)
 * and the host's RAM, the engine flags that fit — and why. It searches on vramfit's own estimates (the high bound
 * of the error band by default), the way each engine's memory levers work:
 *
 * - llama.cpp / Ollama: the context (-c / num_ctx) down to a floor when the user left it open (llama.cpp's own
 *   --fit lowers an unset context first: docs/engines/llama.cpp.md), a quantized KV cache, then MoE expert tensors
 *   to host memory (--n-cpu-moe / -ot exps=CPU) before whole layers (-ngl); several GPUs share the layers in
 *   proportion to their budgets (--tensor-split); host RAM bounds what may move off the GPUs.
 * - vLLM: the smallest tensor-parallel group that serves the context, an fp8 KV cache if needed, and the
 *   --gpu-memory-utilization that fills each GPU's budget (CUDA graphs and the context sit outside it).
 * - SGLang: the same with --mem-fraction-static, checking that the runtime share holds graphs, workspace and a
 *   prefill chunk, and that the token pool holds the context.
 */
import { VramfitError } from "../core/errors.js";
import type { Estimate } from "../core/estimate-types.js";
import { gpuUsableBytes, type Gpu } from "../core/gpu.js";
import type { ModelDescription, TransformerModel } from "../core/model.js";
import type { EstimateInput } from "../core/profile.js";
import { formatBytes, GiB } from "../core/units.js";
import type { Estimator } from "../core/estimator.js";

export type FitEngine = "vllm" | "sglang" | "llama.cpp" | "ollama";

export interface FitDeviceSpec {
  gpu: string | Gpu;
  /** This device's budget in bytes (default: its usable memory). The margin comes off it. */
  budgetBytes?: number;
}

export interface FitOptions {
  engine: FitEngine;
  devices: readonly FitDeviceSpec[];
  /** Bytes kept free on every device (default 0; llama.cpp's own --fit keeps 1024 MiB). */
  marginBytes?: number;
  /** Host RAM the plan may use (weights, KV and buffers left in host memory). */
  hostRamBytes?: number;
  /** Judge by the high bound of the error band (default) or the central estimate. */
  safety?: "high" | "central";
  /** The user's settings the plan must keep (vramfit option keys: seq, parallel, cache_type_k, ...). */
  fixed?: EstimateInput;
  /** Context to reach (tokens; llama.cpp: -c, the total over slots; Ollama: num_ctx per slot; vLLM/SGLang: per request).
   *  Default: the user's fixed value, else the model's trained context. A given context is kept, not lowered. */
  context?: number;
  /** The least context worth serving when the context is left open (default min(4096, target)). */
  minContext?: number;
  /** vLLM/SGLang: requests of the full context that must fit at once (default 1). */
  concurrency?: number;
  /** Allow a quantized KV cache (q8_0 / fp8) as a lever (default true). */
  allowKvQuant?: boolean;
}

export interface FitDeviceReport {
  device: string;
  gpu: string;
  name: string;
  budget_bytes: number;
  used_bytes: number;
  used_high_bytes: number;
  headroom_bytes: number;
}

export interface FitChoice {
  /** vramfit option key. */
  key: string;
  value: unknown;
  why: string;
}

export interface FitResult {
  engine: FitEngine;
  model: string;
  fits: boolean;
  /** The plan as vramfit options (estimate() takes them with `gpu`). */
  options: EstimateInput;
  /** What the solver chose, option by option, and why (the command layer writes them as engine flags). */
  choices: FitChoice[];
  devices: FitDeviceReport[];
  host: { needed_bytes: number; limit_bytes: number | null };
  /** The context the plan serves (see FitOptions.context for each engine's meaning). */
  context: number;
  steps: string[];
  estimate: Estimate;
}

interface Device {
  gpu: Gpu;
  budget: number;
}

/** vramfit's ceiling for --gpu-memory-utilization / --mem-fraction-static: 5 % of each GPU left to what no estimate
 *  sees (other processes, fragmentation). A choice, not an engine default. */
export const MAX_FRACTION = 0.95;

/** Serving engines whose KV pool absorbs estimation errors: the components outside the pool's budget (whose error can overflow the GPU). */
const POOL_SIZED: Partial<Record<FitEngine, readonly string[]>> = {
  vllm: ["cuda_graphs", "cuda_context"],
  sglang: ["req_to_token", "attention_workspace", "activations", "cuda_graphs", "nccl", "cuda_context"],
};

interface Trial {
  ok: boolean;
  /** Some device (or the host) is over its budget (ok is also false when the engine would not start). */
  overBudget: boolean;
  estimate: Estimate;
  used: number[];
  usedHigh: number[];
  host: number;
  why?: string;
}

export function fit(est: Estimator, model: ModelDescription, o: FitOptions): FitResult {
  if (model.family !== "transformer") throw new VramfitError("unsupported", `fit serves language models; ${model.id} is a ${model.family} model`);
  if (o.devices.length === 0) throw new VramfitError("invalid_option", "fit needs at least one GPU");
  if (o.devices.length > 64) throw new VramfitError("invalid_option", `fit takes at most 64 GPUs, got ${o.devices.length}`);
  const margin = o.marginBytes ?? 0;
  if (!Number.isFinite(margin) || margin < 0) throw new VramfitError("invalid_option", "the margin must be 0 or more bytes");
  const devices: Device[] = o.devices.map((d) => {
    const gpu = est.resolveGpu(d.gpu)!;
    const budget = (d.budgetBytes ?? gpuUsableBytes(gpu)) - margin;
    if (!(budget > 0)) throw new VramfitError("invalid_option", `${gpu.name}: the margin leaves no memory (budget ${formatBytes(budget)})`);
    return { gpu, budget };
  });
  const ctx = new Solver(est, model, devices, o);
  switch (o.engine) {
    case "llama.cpp":
    case "ollama":
      return ctx.llamaCpp();
    case "vllm":
      return ctx.vllm();
    case "sglang":
      return ctx.sglang();
    default:
      throw new VramfitError("invalid_option", `unknown engine '${String(o.engine)}' (vllm, sglang, llama.cpp, ollama)`);
  }
}

/** Largest x in [lo, hi] with ok(x) (ok monotone: true then false), or undefined. Integers only. */
function largest(lo: number, hi: number, ok: (x: number) => boolean): number | undefined {
  if (hi < lo || !ok(lo)) return undefined;
  if (ok(hi)) return hi;
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (ok(m)) a = m;
    else b = m;
  }
  return a;
}

/** Smallest x in [lo, hi] with ok(x) (ok monotone: false then true), or undefined. */
function smallest(lo: number, hi: number, ok: (x: number) => boolean): number | undefined {
  if (hi < lo || !ok(hi)) return undefined;
  if (ok(lo)) return lo;
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (ok(m)) b = m;
    else a = m;
  }
  return b;
}

class Solver {
  private readonly shape: TransformerModel["transformer"];
  private readonly fixed: EstimateInput;
  private readonly steps: string[] = [];
  constructor(
    private readonly est: Estimator,
    private readonly model: TransformerModel,
    private readonly devices: Device[],
    private readonly o: FitOptions,
  ) {
    this.shape = model.transformer;
    this.fixed = { ...(o.fixed ?? {}) };
    delete this.fixed.gpu;
  }

  private get high(): boolean {
    return (this.o.safety ?? "high") === "high";
  }

  /** Estimate `options` and judge every device against its budget (and the host against its RAM). */
  private trial(options: EstimateInput, gpu: Gpu, sameOnAll: boolean): Trial {
    let e: Estimate;
    try {
      e = this.est.estimate(this.model, { ...options, gpu });
    } catch (err) {
      // A configuration the engine refuses (a quantized V cache without flash attention, ...) does not fit.
      if (err instanceof VramfitError && (err.code === "does_not_run" || err.code === "invalid_option" || err.code === "unsupported")) {
        return { ok: false, overBudget: true, estimate: undefined as unknown as Estimate, used: [], usedHigh: [], host: 0, why: err.message };
      }
      throw err;
    }
    const t = e.totals;
    const per = (e as unknown as { devices?: { total_bytes: number }[] }).devices;
    const used = sameOnAll || !per ? this.devices.map(() => t.device_bytes) : this.devices.map((_, i) => per[i]?.total_bytes ?? 0);
    let usedHigh: number[];
    const pooled = POOL_SIZED[this.o.engine];
    if (pooled) {
      // vLLM and SGLang size their KV pool from the memory they measure at startup: an error in the weights or the
      // profiled activations moves the pool, not the total. Only what sits outside that budget can overflow it.
      const extra = this.high ? e.components.filter((c) => c.location !== "cpu" && pooled.includes(c.id)).reduce((a, c) => a + Math.max(0, (c.range_bytes?.[1] ?? c.bytes) - c.bytes), 0) : 0;
      usedHigh = used.map((u) => u + extra);
    } else {
      const factor = this.high && t.device_range && t.device_bytes > 0 ? t.device_range[1] / t.device_bytes : 1;
      usedHigh = used.map((u) => Math.ceil(u * factor));
    }
    const host = e.cpu_bytes ?? 0;
    let ok = usedHigh.every((u, i) => u <= this.devices[i].budget);
    let why: string | undefined = ok ? undefined : `${this.devices.map((d, i) => `${d.gpu.id} needs ${formatBytes(usedHigh[i])} of ${formatBytes(d.budget)}`).find((_, i) => usedHigh[i] > this.devices[i].budget)}`;
    if (ok && this.o.hostRamBytes !== undefined && host > this.o.hostRamBytes) {
      ok = false;
      why = `host memory ${formatBytes(host)} over the ${formatBytes(this.o.hostRamBytes)} given`;
    }
    const overBudget = !ok;
    const serving = (e as unknown as { serving?: Record<string, number> }).serving;
    if (ok && serving && serving.starts === 0) {
      ok = false;
      why = "the engine would not start (its static budget is smaller than the weights)";
    }
    return { ok, overBudget, estimate: e, used, usedHigh, host, why };
  }

  private result(engine: FitEngine, fits: boolean, options: EstimateInput, choices: FitChoice[], context: number, trial: Trial): FitResult {
    const e = trial.estimate;
    return {
      engine,
      model: this.model.id,
      fits,
      options,
      choices,
      devices: this.devices.map((d, i) => ({
        device: `GPU${i}`,
        gpu: d.gpu.id,
        name: d.gpu.name,
        budget_bytes: d.budget,
        used_bytes: trial.used[i] ?? 0,
        used_high_bytes: trial.usedHigh[i] ?? 0,
        headroom_bytes: d.budget - (trial.usedHigh[i] ?? 0),
      })),
      host: { needed_bytes: trial.host, limit_bytes: this.o.hostRamBytes ?? null },
      context,
      steps: this.steps,
      estimate: e,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // llama.cpp and Ollama

  llamaCpp(): FitResult {
    const engine = this.o.engine;
    const L = this.shape.layers;
    const n = this.devices.length;
    const gpu = this.devices[0].gpu;
    const maxCtx = this.shape.maxPositions > 0 ? this.shape.maxPositions : 131072;
    const givenCtx = this.o.context ?? (this.fixed.seq as number | undefined);
    const target = Math.min(givenCtx ?? maxCtx, engine === "ollama" ? maxCtx : 1 << 24);
    const minCtx = givenCtx !== undefined ? target : Math.min(this.o.minContext ?? 4096, target);
    const base: EstimateInput = { ...this.fixed, runtime: engine };
    const choices: FitChoice[] = [];
    if (n > 1) {
      // Layers in proportion to each card's budget (llama.cpp's default split follows free memory the same way).
      const shares = this.devices.map((d) => Math.max(1, Math.round(d.budget / GiB)));
      base.gpus = n;
      if (this.fixed.tensor_split === undefined) {
        base.tensor_split = shares.join(",");
        choices.push({ key: "tensor_split", value: base.tensor_split, why: `layers in proportion to each GPU's budget (${this.devices.map((d) => `${d.gpu.id} ${formatBytes(d.budget)}`).join(", ")})` });
      }
    }
    const at = (patch: EstimateInput, seq: number) => this.trial({ ...base, ...patch, seq }, gpu, false);
    const fitsAt = (patch: EstimateInput) => (seq: number) => at(patch, seq).ok;
    const pad = (c: number) => Math.max(256, Math.floor(c / 256) * 256);
    /** Longest context in [minCtx, target] for this placement (multiples of 256 below the target). */
    const longest = (patch: EstimateInput): number | undefined => {
      const ok = fitsAt(patch);
      if (ok(target)) return target;
      if (givenCtx !== undefined) return undefined;
      const k = largest(Math.ceil(minCtx / 256), Math.floor(target / 256), (x) => ok(x * 256));
      return k === undefined ? undefined : pad(k * 256);
    };

    const kvQuant = this.o.allowKvQuant !== false && this.fixed.cache_type_k === undefined && this.fixed.cache_type_v === undefined && this.fixed.kv_dtype === undefined;
    const q8: EstimateInput = { cache_type_k: "q8_0", cache_type_v: "q8_0", flash_attn: true };
    const moe = this.shape.moe && this.shape.moe.experts > 1;
    const placementFixed = this.fixed.n_gpu_layers !== undefined || this.fixed.override_tensor !== undefined || this.fixed.n_cpu_moe !== undefined || this.fixed.cpu_moe !== undefined;

    // 1. Everything on the GPUs: the longest context (a given context is kept).
    let c = longest({});
    if (c !== undefined) {
      this.steps.push(c === target ? `everything fits on the GPU${n > 1 ? "s" : ""} at ${target} tokens of context` : `everything on the GPU${n > 1 ? "s" : ""}: the context is lowered to ${c} tokens to fit (llama.cpp's --fit would lower an unset -c the same way)`);
      if (c < target && kvQuant) {
        const cq = longest(q8);
        if (cq !== undefined && cq > c) this.steps.push(`alternative: a q8_0 KV cache (with flash attention) serves ${cq} tokens`);
      }
      return this.llamaDone(choices, {}, c, at({}, c));
    }
    this.steps.push(`everything on the GPU${n > 1 ? "s" : ""} does not fit at ${minCtx} tokens: ${at({}, minCtx).why ?? ""}`);

    // 2. A q8_0 KV cache (half the bytes of f16; needs flash attention for V).
    if (kvQuant) {
      c = longest(q8);
      if (c !== undefined) {
        this.steps.push(`a q8_0 KV cache (flash attention on) fits ${c} tokens with every layer on the GPU`);
        return this.llamaDone(choices, q8, c, at(q8, c));
      }
    }
    const kvPatch = kvQuant ? q8 : {};
    const ctxFor = givenCtx !== undefined ? target : minCtx;
    if (placementFixed) {
      this.steps.push("the placement flags you gave (-ngl / -ot / --n-cpu-moe) are kept, so nothing else can move to host memory");
      return this.llamaDone(choices, kvPatch, ctxFor, at(kvPatch, ctxFor), false);
    }

    // 3. MoE experts to host memory, layer by layer from the first (--n-cpu-moe N), the fewest that fit.
    if (moe) {
      const moeL = L;
      const nMoe = smallest(1, moeL, (k) => at({ ...kvPatch, n_cpu_moe: k }, ctxFor).ok);
      if (nMoe !== undefined) {
        const patch = nMoe >= moeL ? { ...kvPatch, cpu_moe: true } : { ...kvPatch, n_cpu_moe: nMoe };
        const cc = givenCtx !== undefined ? target : (longest(patch) ?? ctxFor);
        this.steps.push(nMoe >= moeL ? "every MoE expert tensor in host memory (--cpu-moe, i.e. -ot exps=CPU) fits; attention and shared weights stay on the GPU" : `the MoE expert tensors of the first ${nMoe} layers in host memory (--n-cpu-moe ${nMoe}) fit; the rest stays on the GPU`);
        return this.llamaDone(choices, patch, cc, at(patch, cc));
      }
      this.steps.push("even with every expert tensor in host memory it does not fit: whole layers move next");
    }

    // 4. Whole layers to host memory (-ngl), the most that fit on the GPUs.
    const expertsOff: EstimateInput = moe ? { ...kvPatch, cpu_moe: true } : { ...kvPatch };
    const ngl = largest(0, L, (k) => at({ ...expertsOff, n_gpu_layers: k }, ctxFor).ok);
    if (ngl !== undefined) {
      const patch = { ...expertsOff, n_gpu_layers: ngl };
      this.steps.push(`${ngl} of ${L} layers on the GPU (-ngl ${ngl}); the rest run on the CPU`);
      return this.llamaDone(choices, patch, ctxFor, at(patch, ctxFor));
    }
    const cpuOnly = { ...expertsOff, n_gpu_layers: 0 };
    const last = at(cpuOnly, ctxFor);
    this.steps.push(`does not fit even with every layer on the CPU: ${last.why ?? ""}`);
    return this.llamaDone(choices, cpuOnly, ctxFor, last, false);
  }

  private llamaDone(choices: FitChoice[], patch: EstimateInput, context: number, t: Trial, fits = t.ok): FitResult {
    const opts: EstimateInput = { ...this.fixed, runtime: this.o.engine, ...(this.devices.length > 1 ? { gpus: this.devices.length } : {}), ...patch, seq: context };
    for (const ch of choices) opts[ch.key] = ch.value;
    const why: Record<string, string> = {
      seq: this.fixed.seq !== undefined || this.o.context !== undefined ? "the context you asked for" : context >= (this.shape.maxPositions || context) ? "the model's full context fits" : "the longest context that fits",
      cache_type_k: "q8_0 KV: half the bytes of f16",
      cache_type_v: "q8_0 KV: half the bytes of f16",
      flash_attn: "needed for a quantized V cache",
      n_cpu_moe: "expert tensors of the first layers in host memory",
      cpu_moe: "every expert tensor in host memory",
      n_gpu_layers: "layers on the GPU; the rest on the CPU",
    };
    const out: FitChoice[] = [{ key: "seq", value: context, why: why.seq }, ...choices];
    for (const [k, v] of Object.entries(patch)) if (k !== "seq") out.push({ key: k, value: v, why: why[k] ?? "" });
    if (t.estimate === undefined) throw new VramfitError("does_not_run", `${this.o.engine} cannot run this configuration: ${t.why ?? ""}`);
    return this.result(this.o.engine, fits, opts, out, context, t);
  }

  // -------------------------------------------------------------------------------------------------------------
  // vLLM and SGLang: identical ranks; the smallest budget bounds them all

  private servingGpu(): { gpu: Gpu; budget: number } {
    const d = this.devices.reduce((a, b) => (b.budget < a.budget ? b : a));
    if (new Set(this.devices.map((x) => x.gpu.id)).size > 1) this.steps.push(`mixed GPUs: every rank gets the smallest budget (${d.gpu.id}, ${formatBytes(d.budget)}), as tensor-parallel ranks hold equal shares`);
    return d;
  }

  /** Tensor-parallel sizes to try: divisors of the GPU count that divide the attention heads, smallest first. */
  private tpCandidates(fixedTp: number | undefined): number[] {
    const n = this.devices.length;
    if (fixedTp !== undefined) {
      if (fixedTp > n) throw new VramfitError("invalid_option", `tensor parallel ${fixedTp} needs ${fixedTp} GPUs; ${n} given`);
      return [fixedTp];
    }
    const out: number[] = [];
    for (let t = 1; t <= n; t++) if (n % t === 0 && this.shape.heads % t === 0) out.push(t);
    return out;
  }

  vllm(): FitResult {
    return this.serving("vllm");
  }

  sglang(): FitResult {
    return this.serving("sglang");
  }

  private serving(engine: "vllm" | "sglang"): FitResult {
    const { gpu, budget } = this.servingGpu();
    const n = this.devices.length;
    const lenKey = engine === "vllm" ? "max_model_len" : "context_length";
    const fracKey = engine === "vllm" ? "gpu_memory_utilization" : "mem_fraction_static";
    const maxCtx = this.shape.maxPositions > 0 ? this.shape.maxPositions : 131072;
    const givenCtx = this.o.context ?? ((this.fixed[lenKey] as number | undefined) ?? (this.fixed.seq as number | undefined));
    const target = Math.min(givenCtx ?? maxCtx, maxCtx);
    const minCtx = givenCtx !== undefined ? target : Math.min(this.o.minContext ?? 4096, target);
    const want = this.o.concurrency ?? 1;
    const fixedFrac = this.fixed[fracKey] as number | undefined;
    const ppKey = engine === "vllm" ? "pipeline_parallel_size" : "pp_size";
    const fixedTp = this.fixed.gpus as number | undefined;
    const fixedPp = this.fixed[ppKey] as number | undefined;
    const kvFixed = this.fixed.kv_dtype !== undefined;
    const kvs: (string | undefined)[] = kvFixed ? [this.fixed.kv_dtype as string] : this.o.allowKvQuant === false ? [undefined] : [undefined, "fp8"];
    const base: EstimateInput = { ...this.fixed, runtime: engine };

    const tokensOf = (e: Estimate): number => {
      const s = (e as unknown as { serving: Record<string, number> }).serving;
      const tokens = engine === "vllm" ? s.num_blocks * s.block_size : s.max_total_num_tokens;
      if (!this.high) return tokens;
      // Weights at their high bound leave that much less for the pool.
      const w = e.components.find((c) => c.id === "weights");
      const over = w ? Math.max(0, (w.range_bytes?.[1] ?? w.bytes) - w.bytes) : 0;
      return Math.max(0, tokens - Math.ceil(over / Math.max(1, s.kv_bytes_per_token)));
    };
    const serves = (t: Trial, len: number) => t.ok && tokensOf(t.estimate) >= len * want;
    const at = (patch: EstimateInput, len: number, frac: number) => this.trial({ ...base, ...patch, [lenKey]: len, seq: len, [fracKey]: frac }, gpu, true);
    /**
     * The largest fraction (0.01 steps, at most MAX_FRACTION) whose device total fits the budget, or the user's own;
     * undefined when even that does not let the engine start.
     */
    const bestFrac = (patch: EstimateInput, len: number): number | undefined => {
      if (fixedFrac !== undefined) return at(patch, len, fixedFrac).ok ? fixedFrac : undefined;
      const k = largest(10, Math.round(MAX_FRACTION * 100), (x) => !at(patch, len, x / 100).overBudget);
      return k === undefined || !at(patch, len, k / 100).ok ? undefined : k / 100;
    };

    const layouts: { tp: number; pp: number }[] = [];
    for (const tp of this.tpCandidates(fixedTp)) layouts.push({ tp, pp: fixedPp ?? 1 });
    if (fixedPp === undefined && fixedTp === undefined) {
      for (const tp of this.tpCandidates(undefined)) if (n / tp > 1 && n % tp === 0) layouts.push({ tp, pp: n / tp });
    }
    const patchOf = (l: { tp: number; pp: number }, kv: string | undefined): EstimateInput => ({ ...(l.tp > 1 ? { gpus: l.tp } : { gpus: 1 }), ...(l.pp > 1 ? { [ppKey]: l.pp } : {}), ...(kv ? { kv_dtype: kv } : {}) });

    // The full context first: the model's KV dtype before fp8, the smallest layout first.
    for (const kv of kvs) {
      for (const l of layouts) {
        const patch = patchOf(l, kv);
        const frac = bestFrac(patch, target);
        if (frac === undefined) continue;
        const t = at(patch, target, frac);
        if (serves(t, target)) {
          this.steps.push(`${l.tp > 1 ? `tensor parallel ${l.tp}` : "one GPU"}${l.pp > 1 ? ` × pipeline ${l.pp}` : ""}${kv ? `, ${kv} KV cache` : ""}: ${fracKey} ${frac} leaves room for ${tokensOf(t.estimate)} KV tokens, ${Math.floor(tokensOf(t.estimate) / target)} request(s) of ${target}`);
          return this.servingDone(engine, patch, target, frac, t, true, lenKey, fracKey);
        }
      }
    }
    // Then, when the context was left open, the longest context any layout serves (ties: the earlier layout).
    let best: { patch: EstimateInput; len: number; frac: number; t: Trial } | undefined;
    if (givenCtx === undefined) {
      for (const kv of kvs) {
        for (const l of layouts) {
          const patch = patchOf(l, kv);
          const len = largest(Math.ceil(minCtx / 16), Math.floor(target / 16), (x) => {
            const f = bestFrac(patch, x * 16);
            return f !== undefined && serves(at(patch, x * 16, f), x * 16);
          });
          if (len !== undefined && (!best || len * 16 > best.len)) {
            const f = bestFrac(patch, len * 16)!;
            best = { patch, len: len * 16, frac: f, t: at(patch, len * 16, f) };
          }
        }
      }
    }
    if (best) {
      this.steps.push(`the model's full ${target}-token context does not fit; the longest that does with ${best.patch.gpus ?? 1} GPU(s)${best.patch.kv_dtype ? " and an fp8 KV cache" : ""} is ${best.len}`);
      return this.servingDone(engine, best.patch, best.len, best.frac, best.t, true, lenKey, fracKey);
    }
    const l = layouts[layouts.length - 1];
    const patch = patchOf(l, kvs[kvs.length - 1]);
    const t = at(patch, minCtx, fixedFrac ?? (engine === "vllm" ? 0.9 : 0.85));
    this.steps.push(`no layout of ${n} GPU(s) serves ${minCtx} tokens: ${t.why ?? (t.estimate ? `the KV pool holds ${tokensOf(t.estimate)} tokens` : "")}`);
    return this.servingDone(engine, patch, minCtx, fixedFrac ?? (engine === "vllm" ? 0.9 : 0.85), t, false, lenKey, fracKey);
  }

  private servingDone(engine: "vllm" | "sglang", patch: EstimateInput, len: number, frac: number, t: Trial, fits: boolean, lenKey: string, fracKey: string): FitResult {
    const opts: EstimateInput = { ...this.fixed, runtime: engine, ...patch, [lenKey]: len, seq: len, [fracKey]: frac };
    if (t.estimate === undefined) throw new VramfitError("does_not_run", `${engine} cannot run this configuration: ${t.why ?? ""}`);
    const s = (t.estimate as unknown as { serving: Record<string, number> }).serving;
    const choices: FitChoice[] = [
      { key: lenKey, value: len, why: this.o.context !== undefined || this.fixed[lenKey] !== undefined ? "the context you asked for" : len >= (this.shape.maxPositions || len) ? "the model's full context" : "the longest context that fits" },
      { key: fracKey, value: frac, why: this.fixed[fracKey] !== undefined ? "yours" : `the largest share of the GPU whose total (with CUDA graphs and the CUDA context outside it) fits the budget at the ${this.high ? "high bound" : "central estimate"}` },
      { key: "gpus", value: patch.gpus ?? 1, why: Number(patch.gpus ?? 1) > 1 ? "tensor parallel: weights and KV heads split over the GPUs" : "one GPU holds it" },
    ];
    const pp = patch.pipeline_parallel_size ?? patch.pp_size;
    if (pp !== undefined) choices.push({ key: engine === "vllm" ? "pipeline_parallel_size" : "pp_size", value: pp, why: "pipeline stages: layers split over the remaining GPUs" });
    if (patch.kv_dtype) choices.push({ key: "kv_dtype", value: patch.kv_dtype, why: "fp8 KV: half the bytes per token" });
    const tokens = engine === "vllm" ? s.num_blocks * s.block_size : s.max_total_num_tokens;
    this.steps.push(`the KV pool holds ${tokens} tokens per GPU: ${Math.floor(tokens / len)} request(s) of the full ${len} at once, more when they are shorter`);
    const w = t.estimate.components.find((c) => c.id === "weights");
    const budget = Math.min(...this.devices.map((d) => d.budget));
    if (!fits && w && w.bytes > budget) this.steps.push(`the weights alone need ${formatBytes(w.bytes)} per GPU: quantized weights (fp8, awq, gptq) or more GPUs`);
    return this.result(engine, fits, opts, choices, len, t);
  }
}
