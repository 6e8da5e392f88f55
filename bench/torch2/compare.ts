/**
 * vramfit's per-layer formulas against the torch 2 CPU ground truth of bench/torch2/blocks.py
 * (bench/accuracy/llm-cpu-torch2-blocks.jsonl). Changes nothing in src/: it imports the formula modules of
 * the vramfit tree at ROOT (default: this repository) and prints markdown tables, one row per configuration.
 *
 *   npx tsx bench/torch2/compare.ts [ROOT] > /tmp/tables.md
 *
 * To compare a fixed commit: git archive <commit> src | tar -x -C /tmp/vf && ln -s $PWD/node_modules /tmp/vf/
 * && npx tsx bench/torch2/compare.ts /tmp/vf.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const root = path.resolve(process.argv[2] ?? repo);

async function load(...candidates: string[]) {
  for (const c of candidates) {
    const p = path.join(root, c);
    if (existsSync(p)) return import(pathToFileURL(p).href);
  }
  throw new Error(`none of ${candidates.join(", ")} under ${root}`);
}

const acts = await load("src/training/activations.ts", "src/core/training/activations.ts");
const loraMod = await load("src/training/lora.ts", "src/core/training/lora.ts");
const prefill = await load("src/core/prefill-activations.ts");
const ll = await load("src/training/logits-loss.ts", "src/core/training/logits-loss.ts");
const hf = await load("src/models/hf-config.ts");

interface Rec {
  id: string;
  config: Record<string, any>;
  [k: string]: any;
}
const recs: Rec[] = readFileSync(path.join(repo, "bench/accuracy/llm-cpu-torch2-blocks.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

function hfConfig(c: Record<string, any>): Record<string, unknown> {
  const base: Record<string, unknown> = {
    hidden_size: c.hidden,
    num_hidden_layers: 1,
    vocab_size: c.vocab ?? 32000,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    max_position_embeddings: 4096,
    torch_dtype: "float32",
  };
  if (c.arch === "head") return { ...base, model_type: "llama", architectures: ["LlamaForCausalLM"], intermediate_size: 4 * c.hidden, num_attention_heads: 8, num_key_value_heads: 8, hidden_act: "silu" };
  Object.assign(base, { intermediate_size: c.intermediate, num_attention_heads: c.heads, num_key_value_heads: c.kv_heads, head_dim: c.head_dim });
  if (c.arch === "mixtral") return { ...base, model_type: "mixtral", architectures: ["MixtralForCausalLM"], num_local_experts: c.experts, num_experts_per_tok: c.top_k, hidden_act: "silu" };
  if (c.arch === "gemma2")
    return {
      ...base,
      model_type: "gemma2",
      architectures: ["Gemma2ForCausalLM"],
      hidden_activation: "gelu_pytorch_tanh",
      query_pre_attn_scalar: c.query_pre_attn_scalar,
      attn_logit_softcapping: c.attn_logit_softcapping,
      final_logit_softcapping: null,
      sliding_window: 4096,
      tie_word_embeddings: true,
    };
  if (c.qkv_bias) return { ...base, model_type: "qwen2", architectures: ["Qwen2ForCausalLM"], hidden_act: "silu" };
  return { ...base, model_type: "llama", architectures: ["LlamaForCausalLM"], hidden_act: "silu" };
}

const pct = (v: number, m: number) => (m === 0 ? (v === 0 ? 0 : Infinity) : ((v - m) / m) * 100);
const fmtPct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(1)} %` : "n/a");
const flag = (x: number) => (Math.abs(x) > 2 ? " **" : "");
const kib = (b: number) => (b / 1024).toFixed(0);

interface Row {
  id: string;
  cls: string;
  cells: string[];
}
const tables: Record<string, { head: string[]; rows: Row[] }> = {
  saved: { head: ["config", "measured saved KiB", "vramfit perLayer KiB", "Δ", "vramfit (flash: K/V unexpanded) Δ", "weight copies meas. KiB", "vramfit cast KiB", "Δ"], rows: [] },
  ckpt: { head: ["config", "retained KiB", "vramfit checkpointPerLayer KiB", "Δ", "bwd act peak KiB", "vramfit ckpt+layer+transient KiB", "Δ"], rows: [] },
  bwd: { head: ["config", "bwd act peak KiB", "vramfit saved+cast+transient KiB", "Δ", "param grads KiB", "vramfit grads KiB", "Δ"], rows: [] },
  infer: { head: ["config", "infer peak KiB (incl. input)", "vramfit prefill KiB", "Δ", "vramfit + this layer's K,V KiB", "Δ", "phase"], rows: [] },
  head: { head: ["config", "saved KiB", "vramfit outside+4TV+cast KiB", "Δ", "fwd peak KiB", "vramfit fwd KiB", "Δ", "bwd act peak KiB", "vramfit bwd KiB", "Δ"], rows: [] },
};

const summary: { key: string; delta: number; id: string }[] = [];

for (const r of recs) {
  const c = r.config;
  const model = hf.modelFromHfConfig(hfConfig(c), { kind: "config", ref: r.id });
  const shape = model.transformer;
  const lora = c.lora_rank != null;
  const prec = c.precision as string;
  const e = prec === "fp32" ? 4 : 2;
  const autocast = prec === "amp-bf16";
  const base = c.base_dtype as string;
  const residual = lora ? (base === "fp32" ? 4 : 2) : prec === "bf16" ? 2 : 4;
  const adapterBytes = prec === "bf16" ? 2 : 4; // vramfit engine: PEFT autocast_adapter_dtype except pure bf16
  const plan = lora ? loraMod.loraPlan(model, c.lora_rank, c.lora_targets) : null;
  const adapted = new Set<string>(plan ? plan.adapters.map((a: any) => a.group.name) : []);
  const att = c.attention === "eager" ? "eager" : "sdpa";
  const ctx = (attention: string) => ({
    batch: c.batch,
    seq: c.seq,
    compute: e,
    residual,
    autocast,
    attention,
    fullFineTune: !lora,
    adapted,
    adapterBytes,
    loraDropout: lora ? c.lora_dropout : 0,
    softmaxSavesInput: false,
  });
  const a = acts.savedActivations(model, ctx(att));
  const aFlash = c.attention === "sdpa" ? acts.savedActivations(model, ctx("flash")) : null;
  const T = c.batch * c.seq;

  // autocast weight copies of this layer (engine.ts: every matmul weight stored in another dtype, + adapters)
  let castLayer = 0;
  let castHead = 0;
  if (autocast) {
    const stored = lora ? (base === "fp32" ? 4 : 2) : 4;
    for (const g of model.tensors) {
      const n = g.shape.reduce((x: number, y: number) => x * y, 1);
      const isLin = loraMod.isLinearWeight(g);
      const isHead = g.kind === "lm_head";
      if (!isLin && !isHead) continue;
      if (stored === e) continue;
      if (g.name.includes("{L}")) castLayer += n * e * g.count;
      else if (isHead) castHead += n * e;
    }
    if (plan) castLayer += plan.trainableParams * e;
  }
  let gradsLayer = 0;
  if (plan) gradsLayer = plan.trainableParams * adapterBytes;
  else for (const g of model.tensors) if (g.name.includes("{L}")) gradsLayer += g.shape.reduce((x: number, y: number) => x * y, 1) * g.count * (prec === "bf16" ? 2 : 4);

  const cls = `${c.arch}${c.qkv_bias ? "(qwen2)" : ""} ${c.attention ?? ""} ${prec}${c.checkpointing ? " ckpt" : ""}${lora ? ` lora:${c.lora_targets}${c.lora_dropout ? " drop" : ""}${c.adapter_dtype === "bf16" ? " bf16-adapters" : ""}${c.cpu_dropout ? " cpu-dropout" : ""}` : ""}`;

  if (c.arch === "head") {
    const TV = ll.logitsLoss(T, c.vocab, e, "standard", false);
    const outside = a.outsideBytes;
    const vSaved = outside + 4 * T * c.vocab + castHead;
    const vF = outside + castHead + TV.forwardBytes;
    const vB = outside + castHead + TV.backwardBytes;
    const d1 = pct(vSaved, r.saved_bytes);
    const d2 = pct(vF, r.fwd_peak_bytes);
    const d3 = pct(vB, r.bwd_act_peak_bytes);
    tables.head.rows.push({ id: r.id, cls, cells: [r.id, kib(r.saved_bytes), kib(vSaved), fmtPct(d1) + flag(d1), kib(r.fwd_peak_bytes), kib(vF), fmtPct(d2) + flag(d2), kib(r.bwd_act_peak_bytes), kib(vB), fmtPct(d3) + flag(d3)] });
    summary.push({ key: `head saved ${prec}${lora ? " lora" : ""}`, delta: d1, id: r.id });
    summary.push({ key: `head fwd peak ${prec}${lora ? " lora" : ""}`, delta: d2, id: r.id });
    summary.push({ key: `head bwd peak ${prec}${lora ? " lora" : ""}`, delta: d3, id: r.id });
    continue;
  }

  const transient = a.layerBackwardTransient;
  if (!c.checkpointing) {
    const meas = r.saved_bytes - r.saved_weight_copy_bytes;
    const d = pct(a.perLayerBytes, meas);
    const dF = aFlash ? pct(aFlash.perLayerBytes, meas) : NaN;
    const dC = pct(castLayer, r.saved_weight_copy_bytes);
    tables.saved.rows.push({
      id: r.id,
      cls,
      cells: [r.id, kib(meas), kib(a.perLayerBytes), fmtPct(d) + flag(d), aFlash ? fmtPct(dF) + flag(dF) : "", kib(r.saved_weight_copy_bytes), kib(castLayer), autocast ? fmtPct(dC) + flag(dC) : ""],
    });
    summary.push({ key: `saved ${cls}`, delta: d, id: r.id });
    if (aFlash) summary.push({ key: `saved(flash formula) ${cls}`, delta: dF, id: r.id });
    if (autocast) summary.push({ key: `cast ${cls}`, delta: dC, id: r.id });
    const vB = a.perLayerBytes + castLayer + transient;
    const dB = pct(vB, r.bwd_act_peak_bytes);
    const dG = pct(gradsLayer, r.param_grad_bytes);
    tables.bwd.rows.push({ id: r.id, cls, cells: [r.id, kib(r.bwd_act_peak_bytes), kib(vB), fmtPct(dB) + flag(dB), kib(r.param_grad_bytes), kib(gradsLayer), fmtPct(dG) + flag(dG)] });
    summary.push({ key: `bwd ${cls}`, delta: dB, id: r.id });
    summary.push({ key: `grads ${cls}`, delta: dG, id: r.id });
  } else {
    const d = pct(a.checkpointPerLayer, r.retained_bytes);
    const vB = a.checkpointPerLayer + a.perLayerBytes + transient;
    const dB = pct(vB, r.bwd_act_peak_bytes);
    tables.ckpt.rows.push({ id: r.id, cls, cells: [r.id, kib(r.retained_bytes), kib(a.checkpointPerLayer), fmtPct(d) + flag(d), kib(r.bwd_act_peak_bytes), kib(vB), fmtPct(dB) + flag(dB)] });
    summary.push({ key: `ckpt retained ${cls}`, delta: d, id: r.id });
    summary.push({ key: `ckpt bwd ${cls}`, delta: dB, id: r.id });
  }
  if (prec !== "amp-bf16" && !lora && !c.checkpointing && r.infer_peak_bytes != null) {
    const p = prefill.prefillActivationPeak(shape, { batch: c.batch, tokens: c.seq, bytesPerValue: e, attention: att });
    const meas = r.infer_peak_bytes + (c.attention === "eager" ? r.shared_bytes.mask : 0);
    const kv = T * 2 * shape.kvHeads * shape.headDim * e;
    const d = pct(p.bytes, meas);
    const withKv = Math.max(p.attentionBytes + kv, p.mlpBytes);
    const d2 = pct(withKv, meas);
    tables.infer.rows.push({ id: r.id, cls, cells: [r.id, kib(meas), kib(p.bytes), fmtPct(d) + flag(d), kib(withKv), fmtPct(d2) + flag(d2), p.phase] });
    summary.push({ key: `infer ${cls}`, delta: d, id: r.id });
  }
}

const out: string[] = [];
const titles: Record<string, string> = {
  saved: "Saved for backward per layer (no checkpointing; autocast weight copies apart)",
  ckpt: "Activation checkpointing (torch.utils.checkpoint)",
  bwd: "Backward of one layer: live peak with accumulated parameter gradients left out",
  infer: "Inference (no_grad) live peak of one layer, its input included (eager: + the 4-D mask)",
  head: "Final norm + lm_head + ForCausalLMLoss",
};
for (const [k, t] of Object.entries(tables)) {
  out.push(`### ${titles[k]}\n`);
  out.push(`| ${t.head.join(" | ")} |`);
  out.push(`|${t.head.map(() => "---").join("|")}|`);
  for (const row of t.rows) out.push(`| ${row.cells.join(" | ")} |`);
  out.push("");
}
// Per class: range of deltas.
const byKey = new Map<string, number[]>();
for (const s of summary) {
  const list = byKey.get(s.key) ?? [];
  list.push(s.delta);
  byKey.set(s.key, list);
}
out.push("### Per configuration class: vramfit vs measured (min … max over shapes)\n");
out.push("| class | n | Δ min | Δ max |");
out.push("|---|---:|---:|---:|");
for (const [k, v] of [...byKey.entries()].sort()) {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  out.push(`| ${k} | ${v.length} | ${fmtPct(lo)} | ${fmtPct(hi)}${Math.max(Math.abs(lo), Math.abs(hi)) > 2 ? " **" : ""} |`);
}
console.log(out.join("\n"));
