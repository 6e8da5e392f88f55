/**
 * The vision cases (bench/accuracy/incoming/vision*.jsonl, bench/accuracy/vision-published.jsonl) through the
 * accuracy loader: per framework the median and worst error of the active cases, every case's error, and why
 * the others are pending. Prints markdown.
 *
 *   npx tsx bench/vision/accuracy.ts [--cases]
 */
import { evaluateCase, isResult, loadCases, median, modelLabel } from "../accuracy/cases.js";

const all = loadCases().filter((c) => c.category.startsWith("vision") || /vision/.test(c.file));
const rows: { fw: string; id: string; model: string; err: number; est: number; meas: number; level: string; peak: string }[] = [];
const pending = new Map<string, { n: number; ex: string }>();
for (const c of all) {
  const r = evaluateCase(c);
  const fw = c.framework ?? "?";
  if (isResult(r)) rows.push({ fw, id: c.id, model: modelLabel(c.model), err: r.error, est: r.estimateBytes, meas: r.measuredBytes, level: c.measured.level + (c.measured.component ? `:${c.measured.component}` : ""), peak: r.estimate.peak?.phase ?? "" });
  else for (const p of r.reasons.slice(0, 1)) {
    const k = `${fw}: ${p.key}`;
    const e = pending.get(k) ?? { n: 0, ex: p.detail };
    e.n++;
    pending.set(k, e);
  }
}
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
console.log("| framework | active | median |error| | worst |\n|---|---:|---:|---:|");
const fws = [...new Set(rows.map((r) => r.fw))].sort();
for (const fw of fws) {
  const rs = rows.filter((r) => r.fw === fw);
  const worst = rs.reduce((a, b) => (Math.abs(b.err) > Math.abs(a.err) ? b : a));
  console.log(`| ${fw} | ${rs.length} | ${(median(rs.map((r) => Math.abs(r.err))) * 100).toFixed(1)}% | ${pct(worst.err)} (${worst.id}) |`);
}
console.log(`| all | ${rows.length} | ${(median(rows.map((r) => Math.abs(r.err))) * 100).toFixed(1)}% | |`);
console.log(`\n${all.length - rows.length} pending:\n`);
for (const [k, v] of [...pending].sort((a, b) => b[1].n - a[1].n)) console.log(`- ${k} (${v.n}), e.g. ${v.ex}`);
if (process.argv.includes("--cases")) {
  console.log("\n| case | model | level | measured GiB | vramfit GiB | error | peak |\n|---|---|---|---:|---:|---:|---|");
  for (const r of rows.sort((a, b) => a.fw.localeCompare(b.fw) || a.id.localeCompare(b.id)))
    console.log(`| ${r.id} | ${r.model} | ${r.level} | ${(r.meas / 2 ** 30).toFixed(2)} | ${(r.est / 2 ** 30).toFixed(2)} | ${pct(r.err)} | ${r.peak} |`);
}
