/**
 * The llama.cpp and Ollama runtime profiles as estimate() engines: the buffers llama.cpp allocates
 * (memory.ts) become components, GPU parts on the device and host parts marked `location: "cpu"`.
 * llama.cpp allocates with its own cudaMalloc pools, not PyTorch's caching allocator, so allocated and
 * reserved are the same; the device total adds the CUDA context.
 */
import { z } from "zod";
import type { Component } from "../../core/estimate-types.js";
import { VramfitError } from "../../core/errors.js";
import type { Gpu } from "../../core/gpu.js";
import type { TransformerModel } from "../../core/model.js";
import type { OptionSpec } from "../../core/options.js";
import { isGgufQuant, tensorBytes } from "../../core/precision.js";
import { cudaContextComponent } from "../../core/overheads.js";
import { assertLlamaCppEncoderDecoder } from "../../core/encoder-decoder.js";
import { assertNoMediaInput } from "../../core/multimodal.js";
import type { PartialEstimate, RuntimeProfile } from "../../core/profile.js";
import { bytesFromFileDtype } from "../../core/weights.js";
import { positiveInt, type Workload as CommonWorkload } from "../../core/workload.js";
import { LLAMA_CPP_KV_TYPES, llamaCppKvCache, llamaCppStateSplit } from "./kv-cache.js";
import { llamaCppMemory } from "./memory.js";
import type { NamedTensorBytes } from "./model-buffers.js";
import { OLLAMA_CURRENT_VERSION, OLLAMA_DEFAULTS, ollamaAtLeast, ollamaDefaultContext, ollamaFlashAttnDefault, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";

const flags = {
  /** --parallel / OLLAMA_NUM_PARALLEL: sequences sharing the context. */
  parallel: positiveInt("parallel").optional(),
  /** --kv-unified: one KV cache shared by all sequences. */
  kv_unified: z.boolean().optional(),
  cache_type_k: z.enum(LLAMA_CPP_KV_TYPES).optional(),
  cache_type_v: z.enum(LLAMA_CPP_KV_TYPES).optional(),
  flash_attn: z.boolean().optional(),
  swa_full: z.boolean().optional(),
  ubatch_size: positiveInt("ubatch_size").optional(),
  batch_size: positiveInt("batch_size").optional(),
  /** --n-gpu-layers; -1 (default) offloads every layer. */
  n_gpu_layers: z.number().int().min(-1, { error: "n_gpu_layers must be -1 (all) or a layer count" }).optional(),
  /** -ot / --override-tensor: "<regex>=<buffer type>" items, comma-separated (repeated -ot append). */
  override_tensor: z.string().regex(/^[^=,]+=[A-Za-z0-9_]+(,[^=,]+=[A-Za-z0-9_]+)*$/, { error: "override_tensor takes <tensor name pattern>=<buffer type>[,...] (e.g. exps=CPU)" }).optional(),
  /** --cpu-moe: every MoE expert tensor in host memory. */
  cpu_moe: z.boolean().optional(),
  /** --n-cpu-moe N: the MoE expert tensors of the first N layers in host memory. */
  n_cpu_moe: z.number().int().min(0, { error: "n_cpu_moe must be 0 or more" }).optional(),
  /** -nkvo / --no-kv-offload: the KV cache stays in host memory. */
  no_kv_offload: z.boolean().optional(),
  /** -ts / --tensor-split: proportions of the offloaded layers per GPU ("3,1"). */
  tensor_split: z.string().regex(/^\d+(\.\d+)?([,/]\d+(\.\d+)?)*$/, { error: "tensor_split takes proportions per GPU, e.g. 3,1" }).optional(),
  /** -sm / --split-mode: layer (default) or none (one GPU); row is not modelled. */
  split_mode: z.enum(["none", "layer", "row"]).optional(),
  /** OLLAMA_GPU_OVERHEAD: bytes per GPU Ollama keeps free on top of its 457 MiB. */
  gpu_overhead: z.number().int().min(0, { error: "gpu_overhead must be 0 or more bytes" }).max(2 ** 50).optional(),
  /** The Ollama release whose defaults apply (flash attention, num_ctx); default the current one. */
  ollama_version: z.string().regex(/^v?\d+\.\d+(\.\d+)?(-rc\d+)?$/, { error: "ollama_version takes a release such as 0.13.4" }).optional(),
};
export type LlamaCppFlags = z.output<z.ZodObject<typeof flags>>;
type Workload = CommonWorkload & LlamaCppFlags;

const SCOPE = { families: ["transformer"], modes: ["infer"], runtimes: ["llama.cpp", "ollama"] } as const;
const GROUP = "llama.cpp / Ollama (--runtime llama.cpp|ollama; same names as llama.cpp's flags)";

/** llama.cpp's flags that change memory, named as common/arg.cpp names them; Ollama sets the same ones. */
export const LLAMA_CPP_OPTIONS: readonly OptionSpec[] = [
  { key: "ctx_size", aliasOf: "seq", group: GROUP, scope: SCOPE, help: "context size n_ctx (same as --seq)", cli: { arg: "tokens", flags: "-c, --ctx-size <tokens>" } },
  { key: "parallel", schema: flags.parallel, group: GROUP, scope: SCOPE, help: "parallel sequences sharing the context", cli: { arg: "int", flags: "--np, --parallel <n>" }, web: { label: "Parallel sequences (--parallel)", kind: "int", min: 1, max: 4096, auto: "runtime default" } },
  { key: "kv_unified", schema: flags.kv_unified, group: GROUP, scope: SCOPE, help: "one KV cache shared by all sequences", cli: { arg: "flag" }, web: { label: "Unified KV cache (--kv-unified)", kind: "bool", def: false } },
  { key: "cache_type_k", schema: flags.cache_type_k, group: GROUP, scope: SCOPE, help: `K cache type: ${LLAMA_CPP_KV_TYPES.join(" | ")}`, cli: { arg: "string", flags: "--ctk, --cache-type-k <type>" }, web: { label: "K cache type", kind: "select", choices: LLAMA_CPP_KV_TYPES, auto: "f16" } },
  { key: "cache_type_v", schema: flags.cache_type_v, group: GROUP, scope: SCOPE, help: "V cache type (quantized V needs --flash-attn on)", cli: { arg: "string", flags: "--ctv, --cache-type-v <type>" }, web: { label: "V cache type", kind: "select", choices: LLAMA_CPP_KV_TYPES, auto: "f16" } },
  { key: "flash_attn", schema: flags.flash_attn, group: GROUP, scope: SCOPE, help: "flash attention (llama.cpp default auto: on for CUDA)", cli: { arg: "onoff", flags: "--fa, --flash-attn <on|off>" }, web: { label: "Flash attention (--fa)", kind: "select", choices: ["on", "off"], auto: "auto", boolean: true } },
  { key: "swa_full", schema: flags.swa_full, group: GROUP, scope: SCOPE, help: "full-size cache for sliding-window layers", cli: { arg: "flag" }, web: { label: "Full-size SWA cache (--swa-full)", kind: "bool", def: false } },
  { key: "ubatch_size", schema: flags.ubatch_size, group: GROUP, scope: SCOPE, help: "physical batch size (compute buffer), default 512", cli: { arg: "int", flags: "--ub, --ubatch-size <n>" }, web: { label: "Physical batch (--ubatch-size)", kind: "int", min: 1, max: 1 << 20, auto: "512" } },
  { key: "batch_size", schema: flags.batch_size, group: GROUP, scope: SCOPE, help: "logical batch size, default 2048", cli: { arg: "int", flags: "--batch-size <n>" }, web: { label: "Logical batch (--batch-size)", kind: "int", min: 1, max: 1 << 20, auto: "2048" } },
  { key: "n_gpu_layers", schema: flags.n_gpu_layers, group: GROUP, scope: SCOPE, help: "layers on the GPU (-1: all, the default)", cli: { arg: "layers", flags: "--ngl, --n-gpu-layers <n>" }, web: { label: "GPU layers (--n-gpu-layers)", kind: "int", min: -1, max: 100_000, auto: "all" } },
  { key: "override_tensor", schema: flags.override_tensor, group: GROUP, scope: SCOPE, help: "tensors matching a pattern go to a buffer type (exps=CPU: MoE experts in host RAM)", cli: { arg: "string", flags: "--ot, --override-tensor <pattern=buft>" } },
  { key: "cpu_moe", schema: flags.cpu_moe, group: GROUP, scope: SCOPE, help: "every MoE expert tensor in host memory", cli: { arg: "flag" } },
  { key: "n_cpu_moe", schema: flags.n_cpu_moe, group: GROUP, scope: SCOPE, help: "MoE expert tensors of the first N layers in host memory", cli: { arg: "int", flags: "--n-cpu-moe <n>" } },
  { key: "no_kv_offload", schema: flags.no_kv_offload, group: GROUP, scope: SCOPE, help: "--no-kv-offload: keep the KV cache in host memory", cli: { arg: "flag", flags: "--nkvo" } },
  { key: "tensor_split", schema: flags.tensor_split, group: GROUP, scope: SCOPE, help: "share of the offloaded layers per GPU, e.g. 3,1 (default: even over --gpus)", cli: { arg: "string", flags: "--ts, --tensor-split <list>" } },
  { key: "split_mode", schema: flags.split_mode, group: GROUP, scope: SCOPE, help: "layer (default): layers over the GPUs; none: one GPU", cli: { arg: "string", flags: "--split-mode <mode>" } },
  { key: "ollama_version", schema: flags.ollama_version, group: GROUP, scope: { ...SCOPE, runtimes: ["ollama"] }, help: `Ollama release whose defaults apply (flash attention auto from 0.13.4, num_ctx by VRAM from 0.15.5; default ${OLLAMA_CURRENT_VERSION})`, cli: { arg: "string", flags: "--ollama-version <x.y.z>" } },
  { key: "gpu_overhead", schema: flags.gpu_overhead, group: GROUP, scope: { ...SCOPE, runtimes: ["ollama"] }, help: "OLLAMA_GPU_OVERHEAD: bytes per GPU Ollama keeps free", cli: { arg: "int", flags: "--gpu-overhead <bytes>" } },
];

/** vramfit KV dtype names → llama.cpp --cache-type names. */
const KV_TYPE: Record<string, string> = { fp32: "f32", fp16: "f16", bf16: "bf16" };

/** The tensor table of a GGUF model, one entry per tensor with llama.cpp's names (layer index filled in). */
function fileTensors(model: TransformerModel): NamedTensorBytes[] | undefined {
  if (model.source.kind !== "gguf") return undefined;
  const out: NamedTensorBytes[] = [];
  // Groups merge identical tensors across layers; give them layer indices in order so that
  // --n-gpu-layers splits bytes by layer (exact when every layer has the same types).
  const nextLayer = new Map<string, number>();
  for (const g of model.tensors) {
    const perTensor = bytesFromFileDtype(g) ?? tensorBytes(g, "fp16", null);
    const experts = g.expert && model.transformer.moe ? model.transformer.moe.experts : 1;
    const tensorsPerLayer = g.name.includes("{L}") ? experts : 1;
    const n = g.count / tensorsPerLayer;
    for (let i = 0; i < n; i++) {
      const key = g.name.replace(/\.\{E\}/, "");
      const layer = nextLayer.get(key) ?? 0;
      nextLayer.set(key, layer + 1);
      out.push({ name: key.replace("{L}", String(layer)), bytes: perTensor * tensorsPerLayer });
    }
  }
  return out;
}

/** A -ot item: tensors whose name matches `re` (std::regex_search) go to buffer type `buft`. */
interface TensorOverride {
  pattern: string;
  re: RegExp;
  buft: string;
}

/**
 * The overrides in force: -ot items in order, then --cpu-moe ("\\.ffn_(up|down|gate)_(ch|)exps=CPU") and --n-cpu-moe N
 * (one "blk\\.<i>\\.ffn_(up|down|gate)_(ch|)exps=CPU" per layer i < N), as common/arg.cpp adds them
 * (llm_ffn_exps_cpu_override / llm_ffn_exps_block_regex; docs/engines/llama.cpp.md). The first matching item wins.
 */
export function llamaCppOverrides(w: { override_tensor?: string; cpu_moe?: boolean; n_cpu_moe?: number }): TensorOverride[] {
  const out: TensorOverride[] = [];
  for (const item of (w.override_tensor ?? "").split(",").filter((x) => x !== "")) {
    const eq = item.indexOf("=");
    const pattern = item.slice(0, eq);
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch {
      throw new VramfitError("invalid_option", `--override-tensor: '${pattern.slice(0, 60)}' is not a regular expression`, { details: { key: "override_tensor" } });
    }
    out.push({ pattern, re, buft: item.slice(eq + 1) });
  }
  const exps = "\\.ffn_(up|down|gate)_(ch|)exps";
  if (w.cpu_moe) out.push({ pattern: exps, re: new RegExp(exps), buft: "CPU" });
  for (let i = 0; i < (w.n_cpu_moe ?? 0) && i < 100_000; i++) out.push({ pattern: `blk\\.${i}${exps}`, re: new RegExp(`blk\\.${i}${exps}`), buft: "CPU" });
  return out;
}

export interface LlamaCppDeviceShare {
  device: string;
  weights_bytes: number;
  kv_cache_bytes: number;
  compute_bytes: number;
  /** Weights + KV + compute + CUDA context (+ Ollama's reserve). */
  total_bytes: number;
  layers: number;
}

/**
 * Where llama.cpp puts each layer with several GPUs, --n-gpu-layers and --tensor-split (src/llama-model.cpp
 * load_tensors): the split points are the cumulative, normalised proportions (default: each device's free memory,
 * i.e. even over identical GPUs); a layer il in [i_gpu_start, i_gpu_start + act_gpu_layers) goes to the first
 * device whose split point exceeds (il − i_gpu_start) / act_gpu_layers (std::upper_bound); il = n_layer is the output
 * layer; the token embedding stays on the CPU. i_gpu_start = n_layer − n_gpu_layers as model-buffers.ts has it.
 * Returns the device index of each layer 0..n_layer, -1 for the CPU.
 */
export function llamaCppLayerDevices(nLayer: number, nGpuLayers: number, splits: readonly number[]): number[] {
  const nDev = splits.length;
  const ngl = nGpuLayers < 0 ? nLayer + 1 : Math.min(nGpuLayers, nLayer + 1);
  const start = Math.max(nLayer - ngl, 0);
  const act = nDev === 0 ? 0 : Math.min(ngl, nLayer + 1);
  const sum = splits.reduce((a, b) => a + b, 0);
  if (nDev > 0 && !(sum > 0)) throw new VramfitError("invalid_option", "--tensor-split needs at least one positive share", { details: { key: "tensor_split" } });
  const points: number[] = [];
  let acc = 0;
  for (const p of splits) {
    acc += p;
    points.push(acc / sum);
  }
  const out: number[] = [];
  for (let il = 0; il <= nLayer; il++) {
    if (il < start || il - start >= act) {
      out.push(-1);
      continue;
    }
    const x = Math.fround((il - start) / act);
    let d = points.findIndex((pt) => Math.fround(pt) > x);
    if (d < 0) d = nDev - 1;
    out.push(d);
  }
  return out;
}

function blockIndex(name: string): number | null {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}

function engine(runtime: "llama.cpp" | "ollama") {
  return (model: TransformerModel, w: Workload, gpu?: Gpu): PartialEstimate => {
    const shape = model.transformer;
    const assumptions: string[] = [];
    const warnings: string[] = [];
    const tensors = fileTensors(model);
    if (!tensors && !isGgufQuant(w.quant)) {
      if (w.quant) throw new VramfitError("does_not_run", `llama.cpp cannot run ${w.quant} weights; it reads GGUF files`, { suggestion: "give a GGUF type such as --quant q4_k_m, or a .gguf file" });
      throw new VramfitError("invalid_option", `${runtime} needs a GGUF file or a GGUF quant type`, { suggestion: "add --quant q4_k_m (or q8_0, q5_k_m, f16 ...)" });
    }
    if (w.split_mode === "row") throw new VramfitError("unsupported", "--split-mode row (weight rows split across GPUs) is not modelled", { suggestion: "use --split-mode layer (the default)" });
    assertLlamaCppEncoderDecoder(shape, model.id, runtime); // issue #18: T5 only; BART and Whisper do not load
    assertNoMediaInput(w, runtime); // issue #18: the mmproj tower and media tokens are not modelled
    // One meaning of batch and seq (issue #15): --batch is sequences served at once (-np), --seq tokens per sequence,
    // so llama.cpp gets -np batch -c batch × seq. With llama.cpp's own --parallel, --seq/--ctx-size is its -c (the total).
    if (w.parallel !== undefined && w.batch > 1 && w.batch !== w.parallel) throw new VramfitError("invalid_option", `--batch ${w.batch} and --parallel ${w.parallel} contradict each other: in ${runtime} the batch is the parallel slots`, { suggestion: "give one of them", details: { key: "parallel" } });
    const batchSlots = w.parallel === undefined && w.batch > 1 ? w.batch : undefined;
    const nSeqUser = w.parallel ?? batchSlots ?? (runtime === "ollama" ? OLLAMA_DEFAULTS.numParallel : 1);
    const ctx = runtime === "ollama" ? ollamaLlamaCppContext(w.seq, nSeqUser) : { nCtx: batchSlots ? batchSlots * w.seq : w.seq, nSeq: nSeqUser };
    if (batchSlots && runtime === "llama.cpp") assumptions.push(`batch ${batchSlots} × seq ${w.seq}: llama-server -np ${batchSlots} -c ${ctx.nCtx} (each slot holds ${w.seq} tokens)`);
    const typeK = w.cache_type_k ?? KV_TYPE[w.kv_dtype] ?? w.kv_dtype;
    const typeV = w.cache_type_v ?? KV_TYPE[w.kv_dtype] ?? w.kv_dtype;
    const ollamaFa = runtime === "ollama" ? ollamaFlashAttnDefault(w.ollama_version, model.architecture, gpu) : undefined;
    const flashAttn = w.flash_attn ?? (ollamaFa ? ollamaFa.on : true);
    if (w.flash_attn === undefined) {
      assumptions.push(ollamaFa ? ollamaFa.why : "flash attention on (llama.cpp's --flash-attn auto enables it on CUDA)");
    }
    const kvOpts = {
      nCtx: ctx.nCtx,
      nSeq: ctx.nSeq,
      kvUnified: w.kv_unified ?? false,
      typeK,
      typeV,
      flashAttn,
      swaFull: w.swa_full ?? false,
      nUbatch: w.ubatch_size ?? 512,
      nBatch: w.batch_size ?? 2048,
    };
    const nGpuLayers = w.n_gpu_layers ?? -1;
    const mem = llamaCppMemory(model, { ...kvOpts, fileType: tensors ? undefined : (w.quant ?? undefined), tensors, nGpuLayers, backend: "cuda" });
    const overrides = llamaCppOverrides(w);
    const nDev = w.split_mode === "none" ? 1 : w.gpus;
    const split = w.tensor_split ? w.tensor_split.split(/[,/]+/).map(Number) : undefined;
    if (split && split.length > nDev) throw new VramfitError("invalid_option", `--tensor-split has ${split.length} shares for ${nDev} GPU${nDev > 1 ? "s" : ""} (llama.cpp refuses more values than devices)`, { suggestion: `add --gpus ${split.length}`, details: { key: "tensor_split" } });
    const placed = nDev > 1 || overrides.length > 0 || w.no_kv_offload === true;
    const reserve = runtime === "ollama" ? ollamaReservedBytes(w.gpu_overhead ?? 0) : 0;
    const context = cudaContextComponent({ vendor: gpu?.vendor });

    let gpuWeights = mem.gpu.weights;
    let gpuKv = mem.gpu.kvCache;
    let gpuCompute = mem.gpu.compute;
    let hostWeights = mem.host.weights;
    let hostKv = mem.host.kvCache;
    let offloaded = mem.offloadedLayers;
    // ggml's backend buffer names: CUDA0, ROCm0, MTL0 (Apple Metal).
    const backendName = gpu?.vendor === "apple" ? "MTL" : gpu?.vendor === "amd" ? "ROCm" : "CUDA";
    let dev = gpu ? `${backendName}0` : "GPU";
    let devices: LlamaCppDeviceShare[] | undefined;
    let overriddenBytes = 0;
    if (placed) {
      const shares = split ? [...split, ...new Array<number>(nDev - split.length).fill(0)] : new Array<number>(nDev).fill(1);
      const layerDev = llamaCppLayerDevices(shape.layers, nGpuLayers, shares);
      const perDev = shares.map(() => ({ weights: 0, kv: 0, layers: 0 }));
      let hostW = 0;
      const hasOutput = mem.tensors.some((t) => t.name === "output.weight");
      for (const t of mem.tensors) {
        const o = overrides.find((x) => x.re.test(t.name));
        let d: number;
        if (o) {
          const m = /^(?:CUDA|ROCm|MTL)(\d+)$/.exec(o.buft);
          d = m && Number(m[1]) < nDev ? Number(m[1]) : -1;
          if (d < 0) overriddenBytes += t.bytes;
        } else {
          const il = blockIndex(t.name);
          if (il !== null) d = layerDev[Math.min(il, shape.layers - 1)];
          else if (t.name.startsWith("token_embd.") || t.name.startsWith("position_embd.") || t.name.startsWith("token_types.")) d = -1;
          else d = layerDev[shape.layers];
        }
        if (d >= 0) perDev[d].weights += t.bytes;
        else hostW += t.bytes;
        // tied output: the token embedding is duplicated as the output weight on the output layer's device
        if (!hasOutput && t.name === "token_embd.weight" && layerDev[shape.layers] >= 0) perDev[layerDev[shape.layers]].weights += t.bytes;
      }
      for (let il = 0; il < shape.layers; il++) if (layerDev[il] >= 0) perDev[layerDev[il]].layers += 1;
      if (layerDev[shape.layers] >= 0) perDev[layerDev[shape.layers]].layers += 1;
      // KV rows follow their layer's device (offload_kqv), or all stay in host memory with --no-kv-offload.
      const kvLayers = llamaCppKvCache(shape, { ...kvOpts, architecture: model.architecture }).perLayer;
      const kvSum = kvLayers.reduce((a, l) => a + l.kBytes + l.vBytes, 0);
      const kvTotal = mem.kvBytes;
      let hostK = 0;
      for (const l of kvLayers) {
        const bytes = kvSum > 0 ? Math.round(((l.kBytes + l.vBytes) * kvTotal) / kvSum) : 0;
        const d = w.no_kv_offload ? -1 : layerDev[l.layer];
        if (d >= 0) perDev[d].kv += bytes;
        else hostK += bytes;
      }
      const computeEach = mem.gpu.compute > 0 ? mem.gpu.compute : 0;
      devices = perDev.map((p, i) => {
        const used = p.layers > 0 || p.weights > 0;
        const compute = used ? computeEach : 0;
        return { device: `${backendName}${i}`, weights_bytes: p.weights, kv_cache_bytes: p.kv, compute_bytes: compute, layers: p.layers, total_bytes: p.weights + p.kv + compute + context.bytes + reserve };
      });
      const fullest = devices.reduce((a, b) => (b.total_bytes > a.total_bytes ? b : a));
      gpuWeights = fullest.weights_bytes;
      gpuKv = fullest.kv_cache_bytes;
      gpuCompute = fullest.compute_bytes;
      hostWeights = hostW;
      hostKv = hostK;
      offloaded = layerDev.filter((d) => d >= 0).length;
      dev = nDev > 1 ? `${fullest.device}, the fullest of ${nDev}` : dev;
      if (nDev > 1) assumptions.push(`layers split over ${nDev} GPUs ${split ? `in the proportions ${split.join(":")}` : "evenly (llama.cpp splits by free memory: identical GPUs)"}: ${devices.map((d) => `${d.device} ${d.layers} layers`).join(", ")}`);
      if (overriddenBytes > 0) assumptions.push(`${overrides.map((o) => `${o.pattern}=${o.buft}`).slice(0, 3).join(", ")}${overrides.length > 3 ? ` (+${overrides.length - 3} more)` : ""}: ${formatBytesShort(overriddenBytes)} of tensors kept in host memory`);
      if (overrides.length > 0 && overriddenBytes === 0) warnings.push(`no tensor matches the --override-tensor patterns (${overrides.slice(0, 3).map((o) => o.pattern).join(", ")})`);
    }
    const ctxText = `n_ctx ${ctx.nCtx}${ctx.nSeq > 1 ? ` over ${ctx.nSeq} sequences` : ""}`;
    const components: Component[] = [
      {
        id: "weights",
        label: `Model buffer (${dev})`,
        bytes: gpuWeights,
        formula: `${tensors ? "tensor table of the GGUF file" : `tensors typed as llama.cpp's quantizer does for ${w.quant} (llama-quant.cpp)`}; ${offloaded}/${mem.totalLayers} layers on the GPU${nDev > 1 ? `s (${nDev})` : ""}`,
        level: "allocated",
      },
      {
        id: "kv_cache",
        label: `KV cache (${dev})`,
        bytes: gpuKv,
        formula: `llama.cpp KV cache: ${ctxText}, K ${typeK} / V ${typeV}, cells padded to 256 (llama-kv-cache.cpp)${w.no_kv_offload ? "; --no-kv-offload keeps it in host memory" : ""}`,
        level: "allocated",
      },
      {
        id: "compute_buffer",
        label: `Compute buffer (${dev})`,
        bytes: gpuCompute,
        formula: `ggml graph scratch for a ubatch of ${w.ubatch_size ?? 512} tokens, flash attention ${flashAttn ? "on" : "off"}; peak in the ${mem.computePeak}`,
        level: "allocated",
      },
      { ...context },
    ];
    if (runtime === "ollama") {
      components.push({
        id: "ollama_reserve",
        label: "Ollama free-memory reserve",
        bytes: reserve,
        formula: `Ollama keeps 457 MiB free on every CUDA/ROCm GPU (discover/gpu.go) + OLLAMA_GPU_OVERHEAD (${w.gpu_overhead ?? 0})`,
        level: "device",
      });
    }
    const host: Component[] = [
      { id: "weights_host", label: "Model buffer (host)", bytes: hostWeights, formula: `token embedding and layers not offloaded (llama.cpp keeps token_embd in host memory)${overriddenBytes > 0 ? ", and tensors an override keeps on the CPU" : ""}`, level: "allocated", location: "cpu" },
      { id: "kv_cache_host", label: "KV cache (host)", bytes: hostKv, formula: w.no_kv_offload ? "--no-kv-offload: every layer's KV rows" : "KV rows of layers left on the CPU", level: "allocated", location: "cpu" },
      { id: "output_buffer", label: "Output buffer (host)", bytes: mem.host.output, formula: `vocab ${shape.vocab} × ${ctx.nSeq} outputs × 4 B f32 logits`, level: "allocated", location: "cpu" },
    ];
    // Recurrent / hybrid models: the fixed-size state of their recurrent layers (llama_memory_recurrent), per layer on its device.
    if (shape.state) {
      const firstGpu = shape.layers - Math.min(shape.layers, offloaded);
      const rs = llamaCppStateSplit(shape, { nSeq: ctx.nSeq, onGpu: (il) => !w.no_kv_offload && il >= firstGpu });
      const rsText = `${rs.layers} ${shape.state.kind} layers × ${Math.max(1, ctx.nSeq)} sequence(s) × ${rs.perLayerBytes / Math.max(1, ctx.nSeq)} B (r: conv (K−1)×channels, s: state; f32), independent of n_ctx (llama-memory-recurrent.cpp)`;
      if (rs.gpuBytes > 0) components.splice(2, 0, { id: "state_cache", label: `Recurrent state (${dev})`, bytes: rs.gpuBytes, formula: rsText, level: "allocated" });
      host.push({ id: "state_cache_host", label: "Recurrent state (host)", bytes: rs.hostBytes, formula: rsText, level: "allocated", location: "cpu" });
    }
    components.push(...host.filter((c) => c.bytes > 0));
    if (offloaded < mem.totalLayers) warnings.push(`only ${offloaded} of ${mem.totalLayers} layers on the GPU: the rest run on the CPU`);
    if (runtime === "ollama") assumptions.push(`Ollama: num_ctx ${w.seq}, ${ctx.nSeq} parallel slot(s) (OLLAMA_NUM_PARALLEL), KV ${typeK}`);
    const cpuBytes = host.reduce((a, c) => a + c.bytes, 0);
    return {
      components,
      peak: { phase: "prompt processing", description: "model buffer + KV cache + compute buffer, allocated at load time" },
      warnings,
      assumptions,
      ...(cpuBytes > 0 ? { cpu_bytes: cpuBytes } : {}),
      ...(devices ? { extra: { devices } } : {}),
    };
  };
}

function formatBytesShort(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** GGUF files and GGUF quant types run in llama.cpp unless the user names another runtime. */
function claimsGguf(model: TransformerModel, input: { quant?: unknown }): string | undefined {
  if (model.source.kind === "gguf") return "runtime llama.cpp inferred from the GGUF file";
  if (typeof input.quant === "string" && isGgufQuant(input.quant)) return "runtime llama.cpp inferred from the GGUF quantization";
  return undefined;
}

// Both keep their KV cache in f16 unless told otherwise; Ollama picks num_ctx by the GPU's memory.
export const llamaCppRuntime: RuntimeProfile<LlamaCppFlags> = {
  id: "llama.cpp",
  label: "llama.cpp",
  category: "llamacpp",
  allowsLongContext: true,
  options: LLAMA_CPP_OPTIONS,
  claims: claimsGguf,
  defaults: () => ({ kv_dtype: "fp16" }),
  estimate: engine("llama.cpp"),
};

export const ollamaRuntime: RuntimeProfile<LlamaCppFlags> = {
  id: "ollama",
  label: "Ollama",
  category: "llamacpp",
  allowsLongContext: true,
  options: LLAMA_CPP_OPTIONS,
  defaults: (model, gpu, given) => ({
    kv_dtype: "fp16",
    ...(gpu ? { seq: ollamaAtLeast(typeof given.ollama_version === "string" ? given.ollama_version : undefined, "0.15.5") ? ollamaDefaultContext(gpu.usable_bytes ?? gpu.memory_bytes, model.transformer.maxPositions || undefined) : Math.min(4096, model.transformer.maxPositions || 4096) } : {}),
  }),
  estimate: engine("ollama"),
};
