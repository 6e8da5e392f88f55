/**
 * Writes bench/accuracy/BASELINE.md: the accuracy of the formulas of one commit, measured on the case
 * suite before formula changes land, so each change's effect can be read against it. It states, per
 * category, the out-of-source coverage under calibrate.ts's protocol, the median and worst error, the rule
 * of thumb, and how often the band then committed (min/max envelopes, leave-one-case-out) held the figure.
 *   npx tsx bench/accuracy/baseline.ts <commit> [bands.json of that commit] > bench/accuracy/BASELINE.md
 * Run it on a tree whose src/ is that commit's (e.g. `git archive <commit>` with this bench/accuracy copied
 * in): the numbers are of the formulas, the cases are today's.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { Band } from "../../src/core/uncertainty.js";
import { DEFAULT_BAND } from "../../src/core/uncertainty.js";
import { calibrateAll, inside, observe } from "./calibrate.js";
import { evaluateAll, REPO_ROOT } from "./cases.js";
import { ignoringTable, pendingSummary, summarize, summaryTable } from "./report.js";

const commit = process.argv[2];
if (!commit) throw new Error("usage: baseline.ts <commit>");
const oldBands = JSON.parse(
  process.argv[3] ? fs.readFileSync(process.argv[3], "utf8") : execFileSync("git", ["show", `${commit}:src/core/bands.json`], { cwd: REPO_ROOT, encoding: "utf8" }),
) as Record<string, Band>;

const ev = evaluateAll();
const obs = ev.results.map(observe);
const cals = calibrateAll(obs);
const rows = summarize(ev, cals);

const old = ["| category | calibrating cases | inside the band committed at that commit |", "|---|---:|---:|"];
let n = 0;
let k = 0;
for (const r of rows) {
  const o = obs.filter((x) => x.category === r.category && x.excluded === null);
  const band = oldBands[r.category] ?? DEFAULT_BAND;
  const inBand = o.filter((x) => inside(x, band)).length;
  n += o.length;
  k += inBand;
  old.push(`| ${r.category} | ${o.length} | ${inBand}/${o.length} (${((inBand / Math.max(1, o.length)) * 100).toFixed(0)}%)${oldBands[r.category] ? "" : " (default band)"} |`);
}
old.push(`| **all** | ${n} | ${k}/${n} (${((k / Math.max(1, n)) * 100).toFixed(1)}%) |`);

const pend = pendingSummary(ev);
const out = [
  "# Accuracy baseline (before the issue #16 formula changes)",
  "",
  `Formulas of commit \`${commit}\` (src/ at that commit), measured on the case suite as loaded by`,
  "`bench/accuracy/cases.ts` when this file was written; produced by `npx tsx bench/accuracy/baseline.ts " + commit + "`.",
  "Do not regenerate it on later formulas: `npm run accuracy` (REPORT.md) shows the same table live, and the",
  "difference between the two is the effect of the changes.",
  "",
  `${ev.results.length + ev.pending.length} cases; ${ev.results.length} active, ${ev.pending.length} pending (top reasons: ${pend
    .slice(0, 6)
    .map((p) => `${p.key} ${p.cases}`)
    .join(", ")}).`,
  "",
  "## Per category, out-of-source protocol",
  "",
  "Median and worst over the calibrating cases (not low confidence, not engine estimates, not flagged",
  "impossible, not in-sample for a fitted constant); coverage: each checked against the band fitted with its",
  "whole source left out (bench/accuracy/calibrate.ts). ‡ fewer than 3 sources: wide default band.",
  "Rule of thumb: weights × 1.2 (inference), × 4 (training), on totals only.",
  "",
  ...summaryTable(rows),
  "",
  "## The bands committed at that commit, on the same cases",
  "",
  "Min/max envelopes calibrated leave-one-case-out on 67 cases (which claimed 60/67 = 89.6 % inside); here",
  "checked as the estimator applies them on every calibrating active case.",
  "",
  ...old,
  "",
  "## Cases waiting on an option, estimated without it",
  "",
  "Cases whose model resolves but which state a condition vramfit has no option for, estimated with that",
  "condition dropped: what a user got who could not state it. Quality cases only; against the bands committed",
  "at that commit.",
  "",
  ...ignoringTable(ev, oldBands),
  "",
];
process.stdout.write(out.join("\n"));
