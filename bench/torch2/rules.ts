/**
 * The corrected per-layer rules of COMPARISON.md checked against llm-cpu-torch2-blocks.jsonl: prints, per
 * configuration, (vramfit formula + the named correction) / measured. 1.0000 = exact.
 *
 *   npx tsx bench/torch2/rules.ts [ROOT]
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const root = path.resolve(process.argv[2] ?? repo);
async function load(...c: string[]) {
  for (const p of c) if (existsSync(path.join(root, p))) return import(pathToFileURL(path.join(root, p)).href);
  throw new Error(c.join(", "));
}
const { savedActivations } = await load("src/training/activations.ts", "src/core/training/activations.ts");
const { loraPlan } = await load("src/training/lora.ts", "src/core/training/lora.ts");
const { modelFromHfConfig } = await load("src/models/hf-config.ts");

const recs = readFileSync(path.join(repo, "bench/accuracy/llm-cpu-torch2-blocks.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const out: Record<string, number[]> = {};
const note = (k: string, v: number) => (out[k] ??= []).push(v);

function model(c: any) {
  const cfg: any = { model_type: c.arch === "head" ? "llama" : c.arch, hidden_size: c.hidden, num_hidden_layers: 1, vocab_size: c.vocab ?? 32000, tie_word_embeddings: c.arch === "gemma2" };
  if (c.arch === "head") Object.assign(cfg, { intermediate_size: 4 * c.hidden, num_attention_heads: 8, num_key_value_heads: 8, hidden_act: "silu" });
  else Object.assign(cfg, { intermediate_size: c.intermediate, num_attention_heads: c.heads, num_key_value_heads: c.kv_heads, head_dim: c.head_dim, hidden_act: "silu" });
  if (c.qkv_bias) cfg.model_type = "qwen2";
  if (c.arch === "mixtral") Object.assign(cfg, { num_local_experts: c.experts, num_experts_per_tok: c.top_k });
  if (c.arch === "gemma2") Object.assign(cfg, { hidden_activation: "gelu_pytorch_tanh", query_pre_attn_scalar: c.query_pre_attn_scalar, attn_logit_softcapping: c.attn_logit_softcapping, final_logit_softcapping: null, sliding_window: 4096 });
  return modelFromHfConfig(cfg, { kind: "config", ref: "rules" });
}

for (const r of recs) {
  const c = r.config;
  const p = c.precision;
  const e = p === "fp32" ? 4 : 2;
  const autocast = p === "amp-bf16";
  const lora = c.lora_rank != null;
  const res = lora ? (c.base_dtype === "fp32" ? 4 : 2) : p === "bf16" ? 2 : 4;
  const T = c.batch * c.seq;
  const h = c.hidden;
  const m = model(c);
  const ab = c.adapter_dtype === "bf16" ? 2 : 4;
  let adapted = new Set<string>();
  let plan: any = null;
  if (lora) {
    plan = loraPlan(m, c.lora_rank, c.lora_targets);
    adapted = new Set(plan.adapters.filter((x: any) => !/\.gate\.weight$/.test(x.group.name)).map((x: any) => x.group.name));
  }
  const att = c.attention === "eager" ? "eager" : c.attention === "sdpa" ? "flash" : "sdpa";
  const a = savedActivations(m, { batch: c.batch, seq: c.seq, compute: e, residual: res, autocast, attention: att, fullFineTune: !lora, adapted, adapterBytes: ab, loraDropout: lora ? c.lora_dropout : 0 });
  const meas = r.saved_bytes - r.saved_weight_copy_bytes;

  if (c.arch === "head") {
    const g = lora ? 0 : p === "bf16" ? 2 : 4;
    const eIn = autocast || res === 2 ? 2 : 4;
    const cast = autocast && !lora ? c.vocab * h * 2 : 0;
    const rule = a.outsideBytes + cast + Math.max(12 * T * c.vocab, g * c.vocab * h + eIn * T * h + (e === 4 ? 4 * T * c.vocab : 0));
    note("8 head backward peak", rule / r.bwd_act_peak_bytes);
    continue;
  }
  if (!c.checkpointing && !c.cpu_dropout) {
    let extra = 0;
    if (c.arch === "gemma2") extra += T * 4 * (4 - res) * h + (c.attention === "eager" ? T * c.heads * c.seq * e : 0) + 16 * h;
    if (c.arch === "mixtral" && !lora) {
      const rIn = autocast ? 2 : res, eo = autocast ? 4 : e, ew = p === "bf16" ? 2 : 4, k = c.top_k;
      extra += T * (rIn * h + k * (eo * h + 16 + ew) + 8 * k + 4 * k + 4);
    }
    if (lora && c.arch === "llama") for (const x of plan.adapters) extra += T * x.group.count * c.lora_rank * (autocast ? 2 : ab);
    if (!(lora && c.arch === "mixtral")) note(`saved ${c.arch}${lora ? " lora" : ""} (1,4,5,6)`, (a.perLayerBytes + extra) / meas);
  }
  if (c.arch === "llama" && !lora && !c.checkpointing && p !== "amp-bf16") {
    const I = c.intermediate;
    const rule = Math.max(T * (e * h + 2 * e * I), T * (e * h + e * I) + e * h * I);
    note(`2 backward transient llama ${c.attention === "eager" ? "eager" : "sdpa"}`, (r.bwd_act_peak_bytes - r.saved_bytes) / rule);
  }
  if ((c.arch === "llama" || c.arch === "gemma2") && !lora && !c.checkpointing && p !== "amp-bf16") {
    const mlp = T * (3 * h + 3 * c.intermediate) * e;
    const rule = c.attention === "eager" && c.arch === "llama" ? Math.max(c.batch * c.heads * c.seq * c.seq * (e === 4 ? 8 : 10) + T * 5 * h * e, mlp) : mlp;
    if (c.attention !== "eager" || c.arch === "llama") note(`7 inference ${c.attention === "eager" ? "eager" : "sdpa"}`, rule / r.infer_peak_bytes);
  }
}
for (const [k, v] of Object.entries(out).sort()) console.log(`${k.padEnd(40)} n=${String(v.length).padStart(3)}  min ${Math.min(...v).toFixed(4)}  max ${Math.max(...v).toFixed(4)}`);
