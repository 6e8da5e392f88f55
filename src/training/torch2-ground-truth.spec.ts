/**
 * vramfit's per-layer training and inference rules against exact torch 2 ground truth:
 * bench/accuracy/llm-cpu-torch2-blocks.jsonl (186 configurations of Llama / Qwen2 / Mixtral / Gemma2 decoder
 * layers, LoRA, LM head + ForCausalLMLoss, measured storage by storage on CPU under torch 2.13.0 by
 * bench/torch2/blocks.py; fields in bench/torch2/README.md, mechanisms in bench/torch2/COMPARISON.md).
 *
 * Each record is rebuilt as a one-layer model from its config and evaluated with the functions the estimate
 * uses (savedActivations, headBackwardBytes, logitsLoss, prefillActivationPeak), with the context the training
 * engine derives from the same workload (torch ≥ 2.5, full-length batches: SDPA passes grouped K/V unexpanded;
 * PEFT's fp32 adapters unless the record kept them in bf16; autocast copies of weights stored in fp32).
 * Records are grouped by configuration class; each class has the tolerance it earns: exact (±0.05 %, for
 * int64 labels and the loss scalar) where the rule is exact, otherwise the measured spread with its reason.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { numel, type TransformerModel } from "../core/model.js";
import { prefillActivationPeak } from "../core/prefill-activations.js";
import { modelFromHfConfig } from "../models/hf-config.js";
import { headBackwardBytes, savedActivations, type ActivationContext } from "./activations.js";
import { COMMON_OPTIONS, parseWorkload, workloadSchema, type WorkloadInput } from "../core/workload.js";
import { trainingEstimate } from "./engine.js";
import { logitsLoss } from "./logits-loss.js";
import { isLinearWeight, loraPlan } from "./lora.js";
import { TRAINING_OPTIONS, type TrainingWorkload } from "./options.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const FILE = path.join(here, "../../bench/accuracy/llm-cpu-torch2-blocks.jsonl");

interface BlockConfig {
  arch: "llama" | "mixtral" | "gemma2" | "head";
  hidden: number;
  heads?: number;
  kv_heads?: number;
  head_dim?: number;
  intermediate?: number;
  experts?: number;
  top_k?: number;
  qkv_bias?: boolean;
  attention?: "sdpa" | "sdpa_repeat" | "eager";
  batch: number;
  seq: number;
  vocab?: number;
  precision: "fp32" | "amp-bf16" | "bf16";
  base_dtype: "fp32" | "bf16";
  checkpointing?: boolean;
  use_reentrant?: boolean;
  lora_rank?: number;
  lora_targets?: string;
  lora_dropout?: number;
  adapter_dtype?: "fp32" | "bf16";
  cpu_dropout?: boolean;
  query_pre_attn_scalar?: number;
  attn_logit_softcapping?: number;
}

interface BlockRecord {
  id: string;
  config: BlockConfig;
  saved_bytes: number;
  saved_weight_copy_bytes: number;
  retained_bytes: number;
  fwd_peak_bytes: number;
  bwd_peak_bytes: number;
  bwd_act_peak_bytes: number;
  param_grad_bytes: number;
  input_bytes: number;
  input_saved: boolean;
  infer_peak_bytes?: number;
  shared_bytes: Record<string, number>;
}

const records: BlockRecord[] = readFileSync(FILE, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

/** The config.json of a one-layer model with the record's shapes (transformers' field names). */
function hfConfig(c: BlockConfig): Record<string, unknown> {
  const base: Record<string, unknown> = { hidden_size: c.hidden, num_hidden_layers: 1, vocab_size: c.vocab ?? 32000, rms_norm_eps: 1e-6, tie_word_embeddings: false, max_position_embeddings: 4096 };
  if (c.arch === "head") return { ...base, model_type: "llama", intermediate_size: 4 * c.hidden, num_attention_heads: 8, num_key_value_heads: 8, hidden_act: "silu" };
  Object.assign(base, { intermediate_size: c.intermediate, num_attention_heads: c.heads, num_key_value_heads: c.kv_heads, head_dim: c.head_dim, hidden_act: "silu" });
  if (c.arch === "mixtral") return { ...base, model_type: "mixtral", num_local_experts: c.experts, num_experts_per_tok: c.top_k };
  if (c.arch === "gemma2") {
    return { ...base, model_type: "gemma2", hidden_activation: "gelu_pytorch_tanh", query_pre_attn_scalar: c.query_pre_attn_scalar, attn_logit_softcapping: c.attn_logit_softcapping, final_logit_softcapping: null, sliding_window: 4096, tie_word_embeddings: true };
  }
  return { ...base, model_type: c.qkv_bias ? "qwen2" : "llama" };
}

interface Prediction {
  model: TransformerModel;
  ctx: ActivationContext;
  saved: number;
  cast: number;
  grads: number;
  bwdPersist: number;
  bwdFresh: number;
  ckptRetained: number;
  ckptBwd: number;
  infer: number | null;
  head?: { saved: number; fwd: number; bwd: number };
}

/** The record's workload through the same rules as the training engine (engine.ts). */
function predict(r: BlockRecord): Prediction {
  const c = r.config;
  const model = modelFromHfConfig(hfConfig(c), { kind: "config", ref: r.id }) as TransformerModel;
  const lora = c.lora_rank != null;
  const e = c.precision === "fp32" ? 4 : 2;
  const autocast = c.precision === "amp-bf16";
  // The engine: full fine-tuning keeps the residual stream in the trainable weights' dtype; LoRA in the base's.
  const residual = lora ? (c.base_dtype === "fp32" ? 4 : 2) : c.precision === "bf16" ? 2 : 4;
  const adapterBytes = c.adapter_dtype === "bf16" ? 2 : 4; // lora.ts loraAdapterBytes (PEFT default fp32)
  const gradElem = lora ? adapterBytes : c.precision === "bf16" ? 2 : 4;
  const storedBytes = lora ? (c.base_dtype === "fp32" ? 4 : 2) : c.precision === "bf16" ? 2 : 4;
  let plan = lora ? loraPlan(model, c.lora_rank!, c.lora_targets!) : null;
  // blocks.py adapts the named q/k/v/o/gate/up/down (w1/w2/w3) linears; PEFT's all-linear also adapts Mixtral's
  // router `gate` (COMPARISON.md 6c: a measurement-side omission): leave it out to compare like with like.
  if (plan) plan = { ...plan, adapters: plan.adapters.filter((a) => a.group.kind !== "router") };
  const adapted = new Set(plan ? plan.adapters.map((a) => a.group.name) : []);
  const ctx: ActivationContext = {
    batch: c.batch,
    seq: c.seq,
    compute: e,
    residual,
    autocast,
    attention: c.attention === "eager" ? "eager" : "sdpa",
    kvExpanded: c.attention !== "sdpa", // sdpa_repeat: a padding mask or torch/transformers before enable_gqa
    fullFineTune: !lora,
    adapted,
    adapterBytes,
    loraDropout: lora ? c.lora_dropout! : 0,
    loraRank: lora ? c.lora_rank : 0,
    softmaxSavesInput: false,
    gradBytes: gradElem,
    weightCast: (g) => (autocast && (isLinearWeight(g) || g.kind === "lm_head") && storedBytes !== e ? e : 0),
  };
  const a = savedActivations(model, ctx);
  const T = c.batch * c.seq;
  let grads = 0;
  if (plan) for (const ad of plan.adapters) grads += ad.paramsEach * ad.group.count * gradElem;
  else for (const g of model.tensors) if (g.name.includes("{L}")) grads += numel(g.shape) * g.count * gradElem;
  const layer = a.perLayerBytes + a.castPerLayer;
  const pred: Prediction = {
    model,
    ctx,
    saved: a.perLayerBytes,
    cast: a.castPerLayer,
    grads,
    bwdPersist: layer + a.layerBackwardTransient,
    bwdFresh: Math.max(layer + a.layerBackwardTransientFresh, grads),
    ckptRetained: a.checkpointPerLayer,
    // engine.ts sweep, one layer: its checkpointed input, the recomputed layer (the input it saves as itself
    // counted once), its weight copies made again, the working set, and the reentrant input gradient.
    ckptBwd: a.checkpointPerLayer + a.perLayerBytes - a.checkpointInputShared + a.castPerLayer + a.layerBackwardTransient + (c.use_reentrant ? a.checkpointPerLayer : 0),
    infer: null,
  };
  if (c.arch === "head") {
    const V = c.vocab!;
    const TV = logitsLoss(T, V, e, "standard", false);
    const castHead = autocast && !lora ? V * c.hidden * e : 0;
    const headGrad = lora ? 0 : V * c.hidden * gradElem;
    pred.head = {
      saved: a.outsideBytes + 4 * T * V + castHead,
      fwd: a.outsideBytes + castHead + TV.forwardBytes,
      bwd: a.outsideBytes + castHead + headBackwardBytes(T, V, c.hidden, e, TV.backwardBytes, headGrad),
    };
  }
  if (c.arch !== "head" && !autocast && !lora) {
    const shape = model.transformer;
    // The block has no KV cache: it holds the layer's own K and V while attention runs, except where
    // blocks.py's repeat_kv reassigns them in the same function (grouped K/V under eager or sdpa_repeat; in
    // transformers the caller keeps them, as the cache does). The 4-D mask is a shared input, not counted.
    const kvCache = c.attention !== "sdpa" && shape.kvHeads < shape.heads;
    const p = prefillActivationPeak(shape, { batch: c.batch, tokens: c.seq, bytesPerValue: e, attention: ctx.attention, kvExpanded: ctx.kvExpanded, kvCache });
    pred.infer = p.bytes - (c.attention === "eager" ? c.batch * c.seq * c.seq * e : 0);
  }
  return pred;
}

const ratio = (v: number, m: number) => v / m;

interface Check {
  cls: string;
  id: string;
  got: number;
  want: number;
}

function classOf(r: BlockRecord): string {
  const c = r.config;
  const lora = c.lora_rank != null ? ` lora:${c.lora_targets}${c.lora_dropout ? " drop" : ""}${c.adapter_dtype === "bf16" ? " bf16-adapters" : ""}${c.cpu_dropout ? " cpu-dropout" : ""}` : "";
  return `${c.arch}${c.qkv_bias ? "(qwen2)" : ""} ${c.attention ?? ""} ${c.precision}${c.checkpointing ? (c.use_reentrant ? " ckpt-reentrant" : " ckpt") : ""}${lora}`.replace(/\s+/g, " ");
}

function collect(): Check[] {
  const out: Check[] = [];
  for (const r of records) {
    const c = r.config;
    const p = predict(r);
    const cls = classOf(r);
    const add = (kind: string, got: number, want: number) => out.push({ cls: `${kind} | ${cls}`, id: r.id, got, want });
    if (p.head) {
      add("head saved", p.head.saved, r.saved_bytes);
      add("head fwd peak", p.head.fwd, r.fwd_peak_bytes);
      add("head bwd peak", p.head.bwd, r.bwd_act_peak_bytes);
      continue;
    }
    if (c.checkpointing) {
      add("ckpt retained", p.ckptRetained, r.retained_bytes);
      add("ckpt bwd", p.ckptBwd, r.bwd_act_peak_bytes);
      continue;
    }
    add("saved", p.saved, r.saved_bytes - r.saved_weight_copy_bytes);
    add("cast", p.cast, r.saved_weight_copy_bytes);
    add("grads", p.grads, r.param_grad_bytes);
    add("bwd", p.bwdPersist, r.bwd_act_peak_bytes);
    add("bwd fresh", p.bwdFresh, r.bwd_peak_bytes);
    if (p.infer != null && r.infer_peak_bytes != null) add("infer", p.infer, r.infer_peak_bytes);
  }
  return out;
}

const checks = collect();

/**
 * Tolerance per configuration class: [min, max] of estimate / measured, first match wins. Everything not listed
 * is exact (±0.05 %). Each wider entry names the mechanism that is not itemised.
 */
const TOLERANCES: { match: RegExp; range: [number, number]; why: string }[] = [
  {
    match: /cpu-dropout/,
    range: [0.6, 1.0005],
    why: "F.dropout's CPU path saves a float noise tensor instead of CUDA's 1-byte mask (native_dropout); vramfit models CUDA",
  },
  { match: /^head fwd peak/, range: [0.993, 1.0005], why: "the int64 labels, their shifted copy and the loss scalar are not counted" },
  {
    match: /^ckpt bwd .*lora/,
    range: [0.71, 1.0005],
    why: "LoRA + checkpointing: the recomputed forward's transient (PEFT's result + lora_B(lora_A(x))·scale, the adapters' fp32 input copies) sets the peak; not itemised",
  },
  {
    match: /^bwd( fresh)? \| llama sdpa (amp-bf16|bf16) lora:all-linear/,
    range: [0.89, 1.016],
    why: "LoRA on down_proj with a dtype cast or dropout: the adapter's input-gradient chain (cast, dropout backward, sum with the base path) is not itemised",
  },
  { match: /^bwd( fresh)? \| mixtral/, range: [0.86, 1.02], why: "the seeded random router routes unevenly; vramfit assumes even routing (T·k/E rows per expert)" },
  {
    match: /^bwd( fresh)? \| (llama|gemma2) eager/,
    range: [0.96, 1.028],
    why: "eager attention's backward at s = 512: the per-score working set (8 B/score less the freed 16-bit probabilities) is approximate",
  },
  { match: /^bwd \| gemma2/, range: [0.975, 1.0005], why: "b = 1, s = 256: a norm's backward on the attention side is not itemised" },
  {
    match: /^bwd fresh \| (llama|gemma2|llama\(qwen2\)) (sdpa|sdpa_repeat) (amp-bf16|bf16)$/,
    range: [0.929, 1.019],
    why: "T = 128 with gradients made during backward: the layer's end (its input RMSNorm's backward) in 16-bit keeps one more cast of the gradient; amp frees weight copies gradually",
  },
];

function toleranceOf(cls: string): { range: [number, number]; why: string } {
  return TOLERANCES.find((t) => t.match.test(cls)) ?? { range: [0.9995, 1.0005], why: "exact" };
}

/** The training engine on a record's one-layer model: the activations it reports at the loss's backward. */
describe("the training engine derives the same context from the workload", () => {
  const schema = workloadSchema([...COMMON_OPTIONS, ...TRAINING_OPTIONS]);
  const run = (id: string, extra: WorkloadInput = {}, vocab?: number) => {
    const r = records.find((x) => x.id === id)!;
    const c = r.config;
    const model = modelFromHfConfig(hfConfig({ ...c, vocab: vocab ?? c.vocab }), { kind: "config", ref: id }) as TransformerModel;
    const input: WorkloadInput = { mode: "train", batch: c.batch, seq: c.seq, precision: c.precision, attention: c.attention === "eager" ? "eager" : "sdpa", optimizer: "sgd", ...extra };
    if (c.lora_rank != null) Object.assign(input, { lora_rank: c.lora_rank, lora_targets: c.lora_targets, lora_dropout: c.lora_dropout, dtype: c.base_dtype });
    const w = parseWorkload(schema, input, { seq: c.seq }) as TrainingWorkload;
    const est = trainingEstimate(model, w);
    const p = predict(r);
    const outside = savedActivations(model, p.ctx).outsideBytes;
    const acts = est.components.find((x) => x.id === "activations");
    return { r, est, p, outside, acts };
  };

  it("SDPA with grouped K/V under torch 2.5: K/V saved at kv_heads (the sdpa record)", () => {
    const { r, est, outside, acts } = run("llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-full");
    expect(est.peak.phase).toBe("backward (loss)");
    expect(acts!.bytes - outside).toBe(r.saved_bytes - r.saved_weight_copy_bytes);
  });

  it("torch 2.4: transformers expands grouped K/V (the sdpa_repeat record)", () => {
    const { acts, outside } = run("llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-full", { torch_version: "2.4" });
    const repeat = records.find((x) => x.id === "llama-h256-a8kv2d32-i688-sdpa_repeat-b2s512-fp32-full")!;
    expect(acts!.bytes - outside).toBe(repeat.saved_bytes);
  });

  it("rows padded to the longest in a batch need an attention mask: repeat_kv expands K/V again", () => {
    const { acts, outside } = run("llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-full", { seq_padding: "longest-in-batch" });
    const repeat = records.find((x) => x.id === "llama-h256-a8kv2d32-i688-sdpa_repeat-b2s512-fp32-full")!;
    expect(acts!.bytes - outside).toBe(repeat.saved_bytes);
  });

  it("checkpointing: reentrant (transformers' default) keeps one more layer-input-sized gradient than non-reentrant", () => {
    const id = "llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-full";
    const phase = (x: { est: { phases: { phase: string; allocated_bytes: number }[] } }) => x.est.phases.find((p) => p.phase.startsWith("backward (layer"))?.allocated_bytes ?? 0;
    // A small vocabulary, so that the layer's backward, not the loss or the embedding's gradient, is the sweep's peak.
    const re = run(id, { checkpointing: true }, 64);
    const non = run(id, { checkpointing: true, use_reentrant: false }, 64);
    expect(phase(re) - phase(non)).toBe(4 * 256 * 1024);
    const a = records.find((x) => x.id === "llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-ckpt-reentrant-full")!;
    const b = records.find((x) => x.id === "llama-h256-a8kv2d32-i688-sdpa-b2s512-fp32-ckpt-full")!;
    expect(a.bwd_act_peak_bytes - b.bwd_act_peak_bytes).toBe(4 * 256 * 1024);
  });

  it("pure bf16 LoRA keeps PEFT's fp32 adapters: weights, gradients and saved inputs", () => {
    const { r, est, outside, acts } = run("llama-h256-a8kv2d32-i688-sdpa-b2s512-bf16-lora16-all-linear-p0.0-fp32");
    const lora = est.components.find((x) => x.id === "lora_weights")!;
    expect(lora.bytes).toBe(r.param_grad_bytes); // fp32 adapters: weights and gradients both 4 B per parameter
    expect(acts!.bytes - outside).toBe(r.saved_bytes);
  });

  it("amp-bf16: the weight copies the layer saves", () => {
    const { r, est } = run("llama-h1024-a8kv2d128-i2752-sdpa-b2s512-amp-bf16-full");
    const copies = est.components.find((x) => x.id === "amp_weight_copies")!;
    const head = 32000 * 1024 * 2;
    expect(copies.bytes - head).toBe(r.saved_weight_copy_bytes);
  });
});

if (process.env.T2_DEBUG) {
  const byCls = new Map<string, Check[]>();
  for (const k of checks) byCls.set(k.cls, [...(byCls.get(k.cls) ?? []), k]);
  for (const [cls, list] of [...byCls].sort()) {
    const rs = list.map((k) => ratio(k.got, k.want));
    console.log(`${cls.padEnd(75)} n=${String(rs.length).padStart(2)} ${Math.min(...rs).toFixed(4)} … ${Math.max(...rs).toFixed(4)}`);
  }
}

describe("torch 2 ground truth: every record of llm-cpu-torch2-blocks.jsonl", () => {
  it("reads all 186 configurations", () => {
    expect(records.length).toBe(186);
  });

  const byCls = new Map<string, Check[]>();
  for (const k of checks) if (k.want > 0) byCls.set(k.cls, [...(byCls.get(k.cls) ?? []), k]);
  for (const [cls, list] of [...byCls].sort()) {
    const tol = toleranceOf(cls);
    it(`${cls} (${list.length}): ${tol.why}`, () => {
      for (const k of list) {
        const q = ratio(k.got, k.want);
        expect.soft(q, `${k.id}: ${k.got} vs ${k.want}`).toBeGreaterThanOrEqual(tol.range[0]);
        expect.soft(q, `${k.id}: ${k.got} vs ${k.want}`).toBeLessThanOrEqual(tol.range[1]);
      }
    });
  }

  it("autocast weight copies are zero where nothing is cast", () => {
    for (const k of checks) if (k.cls.startsWith("cast") && k.want === 0) expect(k.got, k.id).toBe(0);
  });

  it("most checks are exact", () => {
    const exact = checks.filter((k) => k.want > 0 && Math.abs(ratio(k.got, k.want) - 1) <= 0.0005).length;
    const all = checks.filter((k) => k.want > 0).length;
    // 688 of 800 at the time of writing; a change that loses exactness somewhere shows here first.
    expect(exact / all).toBeGreaterThanOrEqual(0.86);
  });
});

if (process.env.T2_IDS) {
  const re = new RegExp(process.env.T2_IDS);
  for (const k of checks) if (re.test(k.cls)) console.log(`${k.cls.split(" | ")[0].padEnd(10)} ${k.id.padEnd(80)} ${(k.got / k.want).toFixed(4)} got ${k.got} want ${k.want} diff ${k.got - k.want}`);
}
if (process.env.T2_COUNT) {
  const all = checks.filter((k) => k.want > 0);
  console.log(`exact ${all.filter((k) => Math.abs(ratio(k.got, k.want) - 1) <= 0.0005).length} of ${all.length}`);
}
