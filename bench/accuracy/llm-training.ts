/**
 * Accuracy of the training estimate on the published single-GPU training measurements of
 * llm-training-published.jsonl (the transformers perf-doc BERT-large runs and torchtune's README rows),
 * through the one case loader: active cases are scored at the level the source measured; cases that state a
 * condition vramfit cannot express yet (torch.compile, packing, a framework) are listed as pending.
 *   npx tsx bench/accuracy/llm-training.ts
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { evaluateCase, isResult, loadCases, median, type CaseResult, type PendingCase } from "./cases.js";

export function trainingResults(): { results: CaseResult[]; pending: PendingCase[] } {
  const results: CaseResult[] = [];
  const pending: PendingCase[] = [];
  for (const c of loadCases().filter((x) => x.file === "llm-training-published.jsonl")) {
    const r = evaluateCase(c);
    if (isResult(r)) results.push(r);
    else pending.push(r);
  }
  return { results, pending };
}

export { median };

function main() {
  const { results, pending } = trainingResults();
  const GiB = 2 ** 30;
  console.log("| case | level | estimate (GiB) | measured (GiB) | error | peak |");
  console.log("|---|---|---:|---:|---:|---|");
  for (const r of results) {
    console.log(`| ${r.case.id} | ${r.case.measured.level} | ${(r.estimateBytes / GiB).toFixed(2)} | ${(r.measuredBytes / GiB).toFixed(2)} | ${(r.error * 100).toFixed(1)}% | ${r.estimate.peak.phase} |`);
  }
  const abs = results.map((r) => Math.abs(r.error));
  console.log(`\nmedian |error| ${(median(abs) * 100).toFixed(1)}%, worst ${(Math.max(...abs) * 100).toFixed(1)}% over ${results.length} cases`);
  for (const p of pending) console.log(`pending: ${p.case.id} (${p.reasons.map((x) => x.key).join(", ")})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
