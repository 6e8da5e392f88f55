/**
 * The accuracy report: every case estimated, per band category the median and worst error of vramfit and of
 * the rule of thumb, the out-of-source coverage of the error bands, the cases vramfit cannot express yet
 * (per reason), every miss over 10 % with its likely mechanism, and the fitted constants.
 *   npm run accuracy     writes bench/accuracy/REPORT.md and the README's accuracy table
 */
import fs from "node:fs";
import path from "node:path";
import type { Band } from "../../src/core/uncertainty.js";
import { DEFAULT_BAND } from "../../src/core/uncertainty.js";
import { bandsOf, calibrateAll, inside, observe, type CategoryCalibration } from "./calibrate.js";
import { ACCURACY_DIR, evaluateAll, median, REPO_ROOT, type CaseResult, type Evaluation } from "./cases.js";
import { APPROXIMATE, FITTED } from "./fitted.js";
import { frameworkTable } from "./frameworks-table.js";
import { mechanismFor } from "./mechanisms.js";

const GiB = 2 ** 30;
/** Where the README's block goes in the report, so the two always agree. */
const README_TEXT_MARK = "@@README@@";
export const pct = (x: number | null) => (x == null || Number.isNaN(x) ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`);
export const absPct = (x: number) => (Number.isNaN(x) ? "—" : `${(Math.abs(x) * 100).toFixed(1)}%`);
const gib = (b: number) => (b / GiB).toFixed(2);
const range = (r: [number, number], digits = 2) => `${r[0].toFixed(digits)}–${r[1].toFixed(digits)}`;
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export interface CategoryRow {
  category: string;
  /** Calibrating cases, and scored-only ones (low confidence, in-sample, engine estimates). */
  cases: number;
  scoredOnly: number;
  sources: number;
  sourceIds: string[];
  medianAbs: number;
  worst: CaseResult | null;
  inside: number;
  checked: number;
  wideDefault: boolean;
  ruleMedian: number;
}

const levelOf = (r: CaseResult) => (r.case.measured.level === "component" ? `component:${r.case.measured.component}` : r.case.measured.level);

export function summarize(ev: Evaluation, cals: CategoryCalibration[]): CategoryRow[] {
  const cats = [...new Set(ev.results.map((r) => r.bandCategory))].sort();
  return cats.map((category) => {
    const all = ev.results.filter((r) => r.bandCategory === category);
    const cal = all.filter((r) => r.excluded === null);
    const scored = cal.length ? cal : all;
    const worst = scored.reduce<CaseResult | null>((a, r) => (!a || Math.abs(r.error) > Math.abs(a.error) ? r : a), null);
    const c = cals.find((x) => x.category === category);
    const base = scored.filter((r) => r.baselineError != null).map((r) => Math.abs(r.baselineError!));
    return {
      category,
      cases: cal.length,
      scoredOnly: all.length - cal.length,
      sources: new Set(cal.map((r) => r.case.source)).size,
      sourceIds: [...new Set(cal.map((r) => r.case.source))],
      medianAbs: median(scored.map((r) => Math.abs(r.error))),
      worst,
      inside: c?.covered ?? 0,
      checked: c?.n ?? 0,
      wideDefault: c?.band.source === "default",
      ruleMedian: base.length ? median(base) : NaN,
    };
  });
}

/**
 * Cases that wait only on options, estimated with those options dropped: what a user gets who cannot state
 * them. Quality cases only (as calibration would take them); checked against the given bands.
 */
export function ignoringTable(ev: Evaluation, bands: Record<string, Band | undefined>): string[] {
  const shadows = ev.pending.map((p) => p.shadow).filter((r): r is CaseResult => !!r && r.excluded === null);
  const out = ["| category | cases | sources | median \\|error\\| | worst | inside the band |", "|---|---:|---:|---:|---:|---:|"];
  let n = 0;
  let k = 0;
  for (const cat of [...new Set(shadows.map((r) => r.bandCategory))].sort()) {
    const rs = shadows.filter((r) => r.bandCategory === cat);
    const band = bands[cat] ?? DEFAULT_BAND;
    const inBand = rs.filter((r) => inside(observe(r), band)).length;
    n += rs.length;
    k += inBand;
    const worst = rs.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
    out.push(`| ${cat} | ${rs.length} | ${new Set(rs.map((r) => r.case.source)).size} | ${absPct(median(rs.map((r) => Math.abs(r.error))))} | ${pct(worst.error)} | ${inBand}/${rs.length} (${((inBand / rs.length) * 100).toFixed(0)}%)${bands[cat] ? "" : " (default band)"} |`);
  }
  out.push(`| **all** | ${n} | ${new Set(shadows.map((r) => r.case.source)).size} | | | ${k}/${n} (${((k / Math.max(1, n)) * 100).toFixed(1)}%) |`);
  return out;
}

/** The per-category table shared by REPORT.md, the README and BASELINE.md. */
export function summaryTable(rows: CategoryRow[]): string[] {
  const out = [
    "| category | cases (+ scored only) | sources | median \\|error\\| | worst | inside the band, out of source | rule of thumb median \\|error\\| |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  let n = 0;
  let inside = 0;
  for (const r of rows) {
    n += r.checked;
    inside += r.inside;
    const cov = r.checked ? `${r.inside}/${r.checked} (${((r.inside / r.checked) * 100).toFixed(0)}%)${r.wideDefault ? " ‡" : ""}` : "—";
    out.push(
      `| ${r.category} | ${r.cases}${r.scoredOnly ? ` (+${r.scoredOnly})` : ""} | ${r.sources} | ${absPct(r.medianAbs)} | ${r.worst ? pct(r.worst.error) : "—"} | ${cov} | ${absPct(r.ruleMedian)} |`,
    );
  }
  out.push(`| **all** | ${rows.reduce((a, r) => a + r.cases, 0)} (+${rows.reduce((a, r) => a + r.scoredOnly, 0)}) | ${new Set(rows.flatMap((r) => r.sourceIds)).size} | | | ${inside}/${n} (${((inside / Math.max(1, n)) * 100).toFixed(1)}%) | |`);
  return out;
}

export interface PendingRow {
  key: string;
  cases: number;
  categories: string[];
  example: string;
  /** Errors of the cases that wait on this option alone, estimated with it dropped. */
  ignoring: number[];
}

export function pendingSummary(ev: Evaluation): PendingRow[] {
  const by = new Map<string, { cases: number; categories: Set<string>; example: string; ignoring: number[] }>();
  for (const p of ev.pending) {
    for (const r of p.reasons) {
      const e = by.get(r.key) ?? { cases: 0, categories: new Set<string>(), example: r.detail, ignoring: [] };
      e.cases++;
      e.categories.add(p.case.category);
      if (p.reasons.length === 1 && p.shadow) e.ignoring.push(p.shadow.error);
      by.set(r.key, e);
    }
  }
  return [...by]
    .map(([key, v]) => ({ key, cases: v.cases, categories: [...v.categories].sort(), example: v.example, ignoring: v.ignoring }))
    .sort((a, b) => b.cases - a.cases || a.key.localeCompare(b.key));
}

function bandLine(c: CategoryCalibration): string {
  const b = c.band;
  const comps = b.components ? Object.entries(b.components).map(([id, r]) => `${id} ×${range(r, 3)}`).join(", ") : "—";
  return `| ${c.category} | ${b.source}${b.source === "default" ? " ‡" : ""} | ${c.sources} | ${c.quantile[0]}×${c.stretch[0]} / ${c.quantile[1]}×${c.stretch[1]} | ×${range(b.uncertain)} | ${pct(b.exact[0])} … ${pct(b.exact[1])} | ${comps} | ${c.outside.length ? c.outside.slice(0, 6).join(", ") + (c.outside.length > 6 ? ` … and ${c.outside.length - 6} more` : "") : "—"} | ${cell(b.note ?? "")} |`;
}

export function buildReport(ev: Evaluation, cals: CategoryCalibration[]): { report: string; readme: string } {
  const rows = summarize(ev, cals);
  const summary = summaryTable(rows);
  const total = ev.results.length + ev.pending.length;
  const allSources = new Set([...ev.results, ...ev.pending].map((r) => r.case.source));
  const activeSources = new Set(ev.results.map((r) => r.case.source));
  const pend = pendingSummary(ev);

  // Per level.
  const levels = ["| category | level | cases | median \\|error\\| | worst |", "|---|---|---:|---:|---:|"];
  for (const cat of rows.map((r) => r.category)) {
    const list = ev.results.filter((r) => r.bandCategory === cat && r.excluded === null);
    const byLevel = new Map<string, CaseResult[]>();
    for (const r of list) byLevel.set(levelOf(r), [...(byLevel.get(levelOf(r)) ?? []), r]);
    for (const [lv, rs] of [...byLevel].sort()) {
      const worst = rs.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
      levels.push(`| ${cat} | ${lv} | ${rs.length} | ${absPct(median(rs.map((r) => Math.abs(r.error))))} | ${pct(worst.error)} (${worst.case.id}) |`);
    }
  }

  // Scored only.
  const excl = new Map<string, CaseResult[]>();
  for (const r of ev.results) {
    if (!r.excluded) continue;
    const why = r.excluded.startsWith("in-sample") ? r.excluded : r.excluded.replace(/:.*/, "");
    excl.set(why, [...(excl.get(why) ?? []), r]);
  }
  const exclLines = ["| why not calibrated | cases | median \\|error\\| | inside the committed band |", "|---|---:|---:|---:|"];
  const obsById = new Map(ev.results.map((r) => [r.case.id, observe(r)]));
  for (const [why, rs] of [...excl].sort((a, b) => b[1].length - a[1].length)) {
    const inBand = rs.filter((r) => {
      const c = cals.find((x) => x.category === r.bandCategory);
      return c ? inside(obsById.get(r.case.id)!, c.band) : false;
    }).length;
    exclLines.push(`| ${cell(why)} | ${rs.length} | ${absPct(median(rs.map((r) => Math.abs(r.error))))} | ${inBand}/${rs.length} |`);
  }

  // Misses over 10 %, grouped by likely mechanism.
  const misses = ev.results.filter((r) => Math.abs(r.error) > 0.1).sort((a, b) => Math.abs(b.error) - Math.abs(a.error));
  const byMech = new Map<string, CaseResult[]>();
  for (const r of misses) {
    const m = mechanismFor(r.case.id, r.error) ?? "unexplained (see the case's notes)";
    byMech.set(m, [...(byMech.get(m) ?? []), r]);
  }
  const unexplained = byMech.get("unexplained (see the case's notes)")?.length ?? 0;
  const missLines = ["| likely mechanism | cases | errors | the cases (level, error; * not calibrated) |", "|---|---:|---|---|"];
  for (const [m, rs] of [...byMech].sort((a, b) => b[1].length - a[1].length)) {
    const errs = rs.map((r) => r.error);
    const list = rs.map((r) => `${r.case.id}${r.excluded ? "*" : ""} (${levelOf(r).replace("component:", "")}, ${pct(r.error)})`).join(", ");
    missLines.push(`| ${cell(m)} | ${rs.length} | ${pct(Math.min(...errs))} … ${pct(Math.max(...errs))} | ${list} |`);
  }

  // Pending.
  const pendLines = [
    "| why vramfit cannot express it yet | cases | categories | e.g. | waiting on this alone: median (worst) error with it ignored |",
    "|---|---:|---|---|---|",
  ];
  for (const p of pend) {
    const ig = p.ignoring.length ? `${absPct(median(p.ignoring.map(Math.abs)))} (${pct(p.ignoring.reduce((a, x) => (Math.abs(x) > Math.abs(a) ? x : a), 0))}) on ${p.ignoring.length}` : "—";
    pendLines.push(`| ${cell(p.key)} | ${p.cases} | ${p.categories.join(", ")} | ${cell(p.example.slice(0, 90))} | ${ig} |`);
  }
  const pendCats = new Map<string, [number, number]>();
  for (const r of ev.results) pendCats.set(r.case.category, [(pendCats.get(r.case.category)?.[0] ?? 0) + 1, pendCats.get(r.case.category)?.[1] ?? 0]);
  for (const p of ev.pending) pendCats.set(p.case.category, [pendCats.get(p.case.category)?.[0] ?? 0, (pendCats.get(p.case.category)?.[1] ?? 0) + 1]);
  const catLines = ["| case category | active | pending |", "|---|---:|---:|", ...[...pendCats].sort().map(([c, [a, p]]) => `| ${c} | ${a} | ${p} |`)];

  // Fitted constants.
  const fitted = ["| constant | where | how | in-sample cases (scored, not calibrated) |", "|---|---|---|---|"];
  for (const f of FITTED) {
    const ids = ev.results.filter((r) => r.excluded?.startsWith(`in-sample: ${f.constant}`)).map((r) => `${r.case.id} (${pct(r.error)})`);
    fitted.push(`| ${cell(f.constant)} | ${f.where} | ${cell(f.how)} | ${ids.length ? ids.join(", ") : "none active"} |`);
  }
  for (const a of APPROXIMATE) fitted.push(`| ${cell(a.constant)} | ${a.where} | ${cell(a.how)} (approximate, not fitted) | — |`);

  // Every case.
  const detail = ["| case | source | level | measured GiB | vramfit GiB | error | rule of thumb |", "|---|---|---|---:|---:|---:|---:|"];
  for (const r of [...ev.results].sort((a, b) => a.bandCategory.localeCompare(b.bandCategory) || a.case.source.localeCompare(b.case.source) || a.case.id.localeCompare(b.case.id))) {
    detail.push(`| ${r.case.id}${r.excluded ? " *" : ""} | ${r.case.source} | ${levelOf(r)} | ${gib(r.measuredBytes)} | ${gib(r.estimateBytes)} | ${pct(r.error)} | ${pct(r.baselineError)} |`);
  }

  const report = [
    "# vramfit accuracy report",
    "",
    "Generated by `npm run accuracy` (bench/accuracy/report.ts) from every case in `bench/accuracy/*.jsonl` and",
    "`bench/accuracy/incoming/*.jsonl` (each with its source, the quoted line and the stated settings; format in",
    "`bench/accuracy/README.md`). Error = (estimate − measured) / measured at the level the source measured.",
    "Rule of thumb: weights × 1.2 for inference, × 4 for training.",
    "",
    `${total} measured cases from ${allSources.size} sources. **${ev.results.length} active** (vramfit expresses them: model and every`,
    `workload option known) from ${activeSources.size} sources; **${ev.pending.length} pending** (a model or an option vramfit does not have yet;`,
    "they activate by themselves when it does). Active cases that are low confidence, engine estimates, flagged",
    "impossible by their record, or in-sample for a fitted constant are scored but do not calibrate (marked *).",
    "",
    "## Summary",
    "",
    "Per error-band category (the one the estimate reports). Median and worst over the calibrating cases;",
    "coverage: each calibrating case checked against the band fitted with its whole source left out.",
    "‡ rests on fewer than 3 sources: the estimate carries a wide default band and says so.",
    "",
    README_TEXT_MARK,
    "",
    "### Per level",
    "",
    ...levels,
    "",
    "## Error bands, calibrated out of source",
    "",
    "`bench/accuracy/calibrate.ts` writes `src/core/bands.json`. For each category, every source in turn is left",
    "out (all its cases together), the band is fitted on the others by source-weighted quantiles at level q and",
    "stretched by s, and the left-out cases are checked against it exactly as the estimator applies it. The low",
    "and high sides are chosen apart: the narrowest pair reaching 90 % is committed, fitted on all sources.",
    "Components measured on their own by at least 3 sources get their own multiplier range (per component",
    "rather than per total); a pool on fewer than 3 sources keeps the wide default.",
    "",
    "| category | band | sources | low / high side: q×s | uncertain × | exact slack | own component ranges | outside (out of source) | note |",
    "|---|---|---:|---|---|---|---|---|---|",
    ...cals.map(bandLine),
    "",
    "### Cases waiting on an option, estimated without it",
    "",
    "What a user gets who cannot state the condition (the option is dropped): not calibrated, shown against the",
    "committed bands.",
    "",
    ...ignoringTable(ev, bandsOf(cals)),
    "",
    "### Scored, not calibrated",
    "",
    ...exclLines,
    "",
    "## Misses over 10 %",
    "",
    `${misses.length} cases (* = not calibrated); ${unexplained} without a named mechanism. Mechanisms from the case notes, the`,
    "collectors' notes and checks on the data (bench/accuracy/mechanisms.ts).",
    "",
    ...missLines,
    "",
    "## Fitted constants",
    "",
    "Constants read off, or chosen on, cases of this suite (bench/accuracy/fitted.ts). Their cases are in-sample:",
    "scored here, kept out of calibration; every other case of the same component scores them out of sample.",
    "",
    ...fitted,
    "",
    "## Pending cases",
    "",
    ...catLines,
    "",
    "A case can wait on several things; each is counted.",
    "",
    ...pendLines,
    "",
    "## Every active case",
    "",
    ...detail,
    "",
  ].join("\n");

  const readme = [
    ...summary,
    "",
    `${total} measured cases from ${allSources.size} sources; ${ev.results.length} active, ${ev.pending.length} pending on a model or option vramfit lacks (top: ${pend
      .slice(0, 4)
      .map((p) => `${p.key} ${p.cases}`)
      .join(", ")}). ‡ fewer than 3 sources: a wide default band, labelled in the output.`,
    "",
    "Training answers by the framework each measurement was made with (scored with that framework's `--framework` profile where vramfit has one; PEFT, ms-swift and accelerate FSDP runs use the transformers profile):",
    "",
    ...frameworkTable(ev, cals),
  ].join("\n");
  return { report: report.replace(README_TEXT_MARK, readme), readme };
}

export const README_START = "<!-- accuracy-table:start -->";
export const README_END = "<!-- accuracy-table:end -->";
export const README_FILE = path.join(REPO_ROOT, "README.md");
export const REPORT_FILE = path.join(ACCURACY_DIR, "REPORT.md");

/** The README's block between the markers, or null. */
export function readmeBlock(text: string): string | null {
  const a = text.indexOf(README_START);
  const b = text.indexOf(README_END);
  if (a < 0 || b < 0) return null;
  return text.slice(a + README_START.length, b).trim();
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ACCURACY_DIR, "report.ts")) {
  const ev = evaluateAll();
  const cals = calibrateAll(ev.results.map(observe));
  const { report, readme } = buildReport(ev, cals);
  fs.writeFileSync(REPORT_FILE, report);
  const current = fs.readFileSync(README_FILE, "utf8");
  if (readmeBlock(current) !== null) {
    fs.writeFileSync(README_FILE, current.slice(0, current.indexOf(README_START) + README_START.length) + "\n" + readme + "\n" + current.slice(current.indexOf(README_END)));
  }
  process.stdout.write(report);
}
