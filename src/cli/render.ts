/** Human output: a table of components, the three totals, and a bar against the GPU. */
import pc from "picocolors";
import type { Estimate } from "../core/estimate-types.js";
import { formatBytes, formatCount, GiB } from "../core/units.js";

const BAR = 40;

/** A change that makes a configuration fit and what it saves (src/fit/levers.ts). */
export interface RenderedLever {
  change: string;
  saves_bytes?: number;
  device_bytes?: number;
}

function renderLevers(levers: readonly RenderedLever[] | undefined): string[] {
  if (levers === undefined) return [];
  if (levers.length === 0) return [pc.dim("    no single change found; try vramfit plan for combinations")];
  return [
    pc.yellow("    changes that make it fit, gentlest first:"),
    ...levers.map((l) => pc.yellow(`      ${l.change}${l.saves_bytes !== undefined && l.saves_bytes > 0 ? ` (saves ${fmt(l.saves_bytes)})` : ""}`)),
  ];
}

export function renderEstimate(e: Estimate, opts: { formulas?: boolean; lever?: string; levers?: readonly RenderedLever[] } = {}): string {
  const out: string[] = [];
  const w = e.workload;
  const params = e.model.active_parameters !== e.model.parameters ? `${formatCount(e.model.parameters)} params (${formatCount(e.model.active_parameters)} active)` : `${formatCount(e.model.parameters)} params`;
  out.push(pc.bold(`${e.model.id}`) + pc.dim(` · ${e.model.architecture} · ${params}`));
  const wl = [`${w.mode === "train" ? "training" : "inference"}`];
  if (w.runtime) wl.push(`runtime ${w.runtime}`);
  wl.push(`batch ${w.batch}`);
  if (typeof w.seq === "number") wl.push(`seq ${w.seq}`);
  if (Array.isArray(w.image)) wl.push(`image ${w.image[1]}x${w.image[0]}`);
  if (w.mode === "train" && w.precision) wl.push(String(w.precision));
  else if (w.dtype) wl.push(String(w.dtype));
  if (w.quant) wl.push(`quant ${w.quant}`);
  if (w.kv_dtype && w.mode !== "train") wl.push(`kv ${w.kv_dtype}`);
  if (w.gpus > 1) wl.push(`${w.gpus} GPUs (per GPU below)`);
  out.push(pc.dim(wl.join(" · ")));
  out.push("");

  const rows = e.components.filter((c) => c.bytes > 0);
  const labelW = Math.max(...rows.map((c) => c.label.length), 10);
  const total = e.totals.device_bytes || 1;
  for (const c of rows) {
    const share = c.bytes / total;
    const bar = "█".repeat(Math.max(share > 0.005 ? 1 : 0, Math.round(share * 20)));
    const where = c.location === "cpu" ? pc.dim(" (CPU)") : "";
    out.push(`  ${c.label.padEnd(labelW)}  ${fmt(c.bytes).padStart(11)}  ${pc.cyan(bar.padEnd(20))}${where}`);
    if (opts.formulas) out.push(pc.dim(`  ${" ".repeat(labelW)}  ${c.formula}`));
  }
  out.push("");
  const t = e.totals;
  const range = (r?: [number, number]) => (r ? pc.dim(` (${rangeText(r)})`) : "");
  // Totals in the runtime's terms: llama.cpp / Ollama allocate ggml backend buffers, not through PyTorch's allocator.
  const ggml = w.mode !== "train" && (w.runtime === "llama.cpp" || w.runtime === "ollama");
  if (ggml) {
    out.push(`  ${"Buffers allocated".padEnd(labelW)}  ${fmt(t.allocated_bytes).padStart(11)}${range(t.allocated_range)}  ${pc.dim("llama.cpp model + KV + compute buffers on the GPU (llama_memory_breakdown_print)")}`);
  } else {
    out.push(`  ${"Tensors allocated".padEnd(labelW)}  ${fmt(t.allocated_bytes).padStart(11)}${range(t.allocated_range)}  ${pc.dim("torch max_memory_allocated")}`);
    out.push(`  ${"Allocator reserved".padEnd(labelW)}  ${fmt(t.reserved_bytes).padStart(11)}${range(t.reserved_range)}  ${pc.dim("torch max_memory_reserved")}`);
  }
  const apple = e.gpu && /^apple/.test(e.gpu.id);
  out.push(pc.bold(`  ${"Device total".padEnd(labelW)}  ${fmt(t.device_bytes).padStart(11)}`) + `${range(t.device_range)}  ${pc.dim(apple ? "Metal working set (recommendedMaxWorkingSetSize is the limit)" : ggml ? "nvidia-smi, incl. CUDA context" + (w.runtime === "ollama" ? " and Ollama's reserve" : "") : "nvidia-smi, incl. CUDA context")}`);

  if (e.gpu) {
    const g = e.gpu;
    const used = Math.min(1, e.totals.device_bytes / g.memory_bytes);
    const filled = Math.round(used * BAR);
    const bar = (g.fits ? pc.green : pc.red)("█".repeat(filled)) + pc.dim("░".repeat(BAR - filled));
    out.push("");
    // A label value overstates what software sees (1–8 % less on the catalog's measured cards: 23.65 of 24 GiB on an
    // RTX 4090, 44.40 of 48 GiB on an L40), so say which it is.
    out.push(`  ${g.name}${g.count > 1 ? ` ×${g.count}` : ""}: ${fmt(g.memory_bytes)} per GPU${g.memory_source === "label" ? pc.dim(" (the box label: no measured total yet; software sees 1–8 % less)") : ""}`);
    out.push(`  [${bar}] ${((e.totals.device_bytes / g.memory_bytes) * 100).toFixed(0)}%`);
    if (g.verdict === "tight") {
      out.push(
        pc.yellow(`  ~ tight: the estimate fits with ${fmt(g.headroom_bytes)} headroom, but the high bound is ${fmt(-(g.headroom_high_bytes ?? 0))} over`),
      );
      out.push(
        opts.lever
          ? pc.yellow(`    closes the gap: ${opts.lever}`)
          : pc.dim(`    no single change found; try vramfit plan for combinations`),
      );
    } else {
      out.push(
        g.fits
          ? pc.green(`  ✔ fits, ${fmt(g.headroom_bytes)} headroom (${fmt(g.headroom_high_bytes ?? g.headroom_bytes)} at the high bound)`)
          : pc.red(g.reason ? `  ✘ does not fit: ${g.reason}` : `  ✘ does not fit: ${fmt(-g.headroom_bytes)} over`),
      );
      if (!g.fits) out.push(...renderLevers(opts.levers));
    }
  }
  if (e.serving && e.serving.num_blocks === 0 && e.serving.kv_budget_bytes === 0 && e.serving.block_size === undefined) {
    // vLLM's pooling runner (embedding / reranker models): no KV cache, one forward of the batched tokens.
    const sv = e.serving;
    out.push("");
    out.push(`  vLLM pooling runner: no KV cache; each step embeds up to ${sv.max_num_batched_tokens?.toLocaleString("en-US")} tokens (${pc.bold(String(sv.sequences_per_batch))} sequences of ${sv.max_model_len} tokens)`);
  } else if (e.serving && w.runtime === "sglang") {
    const sv = e.serving;
    out.push("");
    out.push(
      `  SGLang token pool ${fmt(sv.kv_budget_bytes)} (--mem-fraction-static ${sv.mem_fraction_static}): ${sv.max_total_num_tokens?.toLocaleString("en-US")} tokens; ` +
        `${pc.bold(String(Math.max(0, sv.max_sequences)))} requests of ${sv.context_length} tokens at once`,
    );
  } else if (e.serving) {
    const sv = e.serving as Record<string, number>;
    out.push("");
    out.push(
      `  vLLM KV budget ${fmt(sv.kv_budget_bytes)}: ${sv.num_blocks?.toLocaleString("en-US")} blocks of ${sv.block_size} tokens = ${sv.kv_tokens?.toLocaleString("en-US")} tokens; ` +
        `${pc.bold(String(sv.max_sequences))} sequences of ${sv.max_model_len ?? w.seq} tokens at once`,
    );
  }
  if (e.cpu_bytes) out.push(`  ${"Host (CPU) memory".padEnd(labelW)}  ${fmt(e.cpu_bytes).padStart(11)}  ${pc.dim("offloaded to the CPU, not on the GPU")}`);
  out.push("");
  out.push(pc.dim(`  peak: ${e.peak.phase}`));
  if (e.phases && e.phases.length > 1) out.push(pc.dim(`  phases: ${e.phases.map((p) => `${p.phase} ${fmt(p.allocated_bytes)}`).join(" · ")}`));
  if (e.trainable_parameters !== undefined) out.push(pc.dim(`  trainable parameters: ${e.trainable_parameters.toLocaleString("en-US")}`));
  for (const a of e.assumptions) out.push(pc.dim(`  assumes: ${a}`));
  if (e.uncertainty) {
    const u = e.uncertainty;
    out.push(pc.dim(`  range: ${u.source === "measured" ? `from ${u.cases} measured ${u.category} cases` : `default band for ${u.category} (${u.note ?? "few measurements"})`}`));
  }
  for (const warn of e.warnings) if (warn !== e.gpu?.reason) out.push(pc.yellow(`  warning: ${warn}`));
  if (!opts.formulas) out.push(pc.dim("  (--formulas shows how each line is computed, --json the full object)"));
  return out.join("\n");
}

function rangeText(r: [number, number]): string {
  return r[0] >= GiB ? `${(r[0] / GiB).toFixed(1)}–${(r[1] / GiB).toFixed(1)}` : `${formatBytes(r[0])}–${formatBytes(r[1])}`;
}

function fmt(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : formatBytes(bytes);
}

/** What max-batch / max-seq answer, in the runtime's own terms (issue #15, point 2). */
export function solveWhat(key: "batch" | "seq", e: Estimate): string {
  const rt = e.workload.mode === "train" ? undefined : e.workload.runtime;
  if (rt === "vllm") return key === "batch" ? "number of concurrent sequences (KV blocks and --max-num-seqs)" : "--max-model-len";
  if (rt === "sglang") return key === "batch" ? "number of concurrent requests (token pool and --max-running-requests)" : "--context-length";
  if (rt === "llama.cpp") return key === "batch" ? "number of parallel slots (-np, each with --seq tokens)" : e.workload.parallel !== undefined ? "context (-c, shared by the slots)" : "context per slot (-c ÷ -np)";
  if (rt === "ollama") return key === "batch" ? "number of parallel slots (OLLAMA_NUM_PARALLEL)" : "context per slot (num_ctx)";
  return key === "batch" ? "batch size" : "sequence length";
}
