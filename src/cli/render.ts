/** Human output: a table of components, the three totals, and a bar against the GPU. */
import pc from "picocolors";
import type { Estimate } from "../core/estimate-types.js";
import { formatBytes, formatCount, GiB } from "../core/units.js";

const BAR = 40;

export function renderEstimate(e: Estimate, opts: { formulas?: boolean; lever?: string } = {}): string {
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
  out.push(`  ${"Tensors allocated".padEnd(labelW)}  ${fmt(t.allocated_bytes).padStart(11)}${range(t.allocated_range)}  ${pc.dim("torch max_memory_allocated")}`);
  out.push(`  ${"Allocator reserved".padEnd(labelW)}  ${fmt(t.reserved_bytes).padStart(11)}${range(t.reserved_range)}  ${pc.dim("torch max_memory_reserved")}`);
  out.push(pc.bold(`  ${"Device total".padEnd(labelW)}  ${fmt(t.device_bytes).padStart(11)}`) + `${range(t.device_range)}  ${pc.dim("nvidia-smi, incl. CUDA context")}`);

  if (e.gpu) {
    const g = e.gpu;
    const used = Math.min(1, e.totals.device_bytes / g.memory_bytes);
    const filled = Math.round(used * BAR);
    const bar = (g.fits ? pc.green : pc.red)("█".repeat(filled)) + pc.dim("░".repeat(BAR - filled));
    out.push("");
    out.push(`  ${g.name}${g.count > 1 ? ` ×${g.count}` : ""}: ${fmt(g.memory_bytes)} per GPU`);
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
          : pc.red(`  ✘ does not fit: ${fmt(-g.headroom_bytes)} over`),
      );
    }
  }
  if (e.serving) {
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
  for (const warn of e.warnings) out.push(pc.yellow(`  warning: ${warn}`));
  if (!opts.formulas) out.push(pc.dim("  (--formulas shows how each line is computed, --json the full object)"));
  return out.join("\n");
}

function rangeText(r: [number, number]): string {
  return r[0] >= GiB ? `${(r[0] / GiB).toFixed(1)}–${(r[1] / GiB).toFixed(1)}` : `${formatBytes(r[0])}–${formatBytes(r[1])}`;
}

function fmt(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : formatBytes(bytes);
}
