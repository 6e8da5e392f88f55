/**
 * Accuracy per training framework (issue #17 item 3): each training profile scored on the measurements of
 * the framework it models, with the out-of-source coverage of its category's band. A case counts for the
 * framework vramfit applied to it (the workload's `framework`, else the case's own).
 */
import type { CategoryCalibration } from "./calibrate.js";
import { median, type CaseResult, type Evaluation } from "./cases.js";

const TRAINING_CATEGORIES = new Set(["llm_training", "lora_qlora", "multi_gpu_training"]);

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const absPct = (x: number) => `${(Math.abs(x) * 100).toFixed(1)}%`;

export function frameworkOf(r: CaseResult): string {
  const w = r.case.workload as Record<string, unknown> | undefined;
  const given = typeof w?.framework === "string" ? w.framework : undefined;
  return (given ?? r.case.framework ?? "transformers").toLowerCase();
}

/** Rows for every framework with calibrating training cases: cases, sources, median and worst error, inside out of source. */
export function frameworkTable(ev: Evaluation, cals: readonly CategoryCalibration[]): string[] {
  const outside = new Set(cals.flatMap((c) => c.outside));
  const training = ev.results.filter((r) => TRAINING_CATEGORIES.has(r.bandCategory) && r.excluded === null);
  const byFramework = new Map<string, CaseResult[]>();
  for (const r of training) byFramework.set(frameworkOf(r), [...(byFramework.get(frameworkOf(r)) ?? []), r]);
  const out = ["| training framework | cases | sources | median \\|error\\| | worst | inside the band, out of source |", "|---|---:|---:|---:|---:|---:|"];
  for (const [fw, rs] of [...byFramework].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))) {
    const worst = rs.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
    const ins = rs.filter((r) => !outside.has(r.case.id)).length;
    out.push(`| ${fw} | ${rs.length} | ${new Set(rs.map((r) => r.case.source)).size} | ${absPct(median(rs.map((r) => Math.abs(r.error))))} | ${pct(worst.error)} | ${ins}/${rs.length} (${((ins / rs.length) * 100).toFixed(0)}%) |`);
  }
  return out;
}
