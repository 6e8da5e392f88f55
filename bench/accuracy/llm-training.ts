/**
 * Accuracy of the training estimate against published measurements (llm-training-published.jsonl).
 * Prints, per case, the estimate at the measured level, the measurement and the relative error, then the
 * median and the worst. Run: npx tsx bench/accuracy/llm-training.ts
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { estimate } from "../../src/index.js";
import type { ModelDescription } from "../../src/core/model.js";
import { modelFromHfConfig } from "../../src/models/hf-config.js";

const here = path.dirname(fileURLToPath(import.meta.url));

export interface TrainingCase {
  id: string;
  source_url: string;
  quote: string;
  model: string;
  gpu?: string;
  workload: Record<string, unknown>;
  measured: { level: "allocated" | "reserved" | "device"; bytes: number };
  notes: string;
  confidence?: string;
}

export interface TrainingRow {
  id: string;
  level: string;
  estimate: number;
  measured: number;
  error: number;
  peak: string;
}

export function loadTrainingCases(): TrainingCase[] {
  const text = readFileSync(path.join(here, "llm-training-published.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as TrainingCase);
}

function modelOf(spec: string): string | ModelDescription {
  if (!spec.startsWith("configs/")) return spec;
  const raw = JSON.parse(readFileSync(path.join(here, spec), "utf8"));
  return modelFromHfConfig(raw, { kind: "config", ref: `bench/accuracy/${spec}` });
}

export function trainingAccuracyRows(cases: TrainingCase[] = loadTrainingCases()): TrainingRow[] {
  return cases.map((c) => {
    const est = estimate(modelOf(c.model), { ...(c.workload as object), gpu: c.gpu });
    const key = `${c.measured.level}_bytes` as "allocated_bytes" | "reserved_bytes" | "device_bytes";
    const e = est.totals[key];
    return { id: c.id, level: c.measured.level, estimate: e, measured: c.measured.bytes, error: (e - c.measured.bytes) / c.measured.bytes, peak: est.peak.phase };
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main() {
  const rows = trainingAccuracyRows();
  const GiB = 2 ** 30;
  console.log("| case | level | estimate (GiB) | measured (GiB) | error | peak |");
  console.log("|---|---|---:|---:|---:|---|");
  for (const r of rows) {
    console.log(`| ${r.id} | ${r.level} | ${(r.estimate / GiB).toFixed(2)} | ${(r.measured / GiB).toFixed(2)} | ${(r.error * 100).toFixed(1)}% | ${r.peak} |`);
  }
  const abs = rows.map((r) => Math.abs(r.error));
  console.log(`\nmedian |error| ${(median(abs) * 100).toFixed(1)}%, worst ${(Math.max(...abs) * 100).toFixed(1)}% over ${rows.length} cases`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
