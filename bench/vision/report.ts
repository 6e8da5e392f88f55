/**
 * Vision accuracy report: every case of bench/accuracy/vision-published.jsonl estimated with
 * estimateVision and compared with the total it measured (allocated or reserved).
 * Run: npx tsx bench/vision/report.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { estimateVision } from "../../src/vision/estimate.js";
import { getVisionModel } from "../../src/vision/registry.js";

export interface VisionCaseResult {
  id: string;
  model: string;
  level: "allocated" | "reserved";
  measured: number;
  estimated: number;
  error: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function visionPublishedResults(file = path.resolve(HERE, "../accuracy/vision-published.jsonl")): VisionCaseResult[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map((c) => {
      const e = estimateVision(getVisionModel(c.model), c.workload);
      const level = c.measured.level as "allocated" | "reserved";
      const estimated = e.totals[`${level}_bytes`];
      return { id: c.id, model: c.model, level, measured: c.measured.bytes, estimated, error: (estimated - c.measured.bytes) / c.measured.bytes };
    });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = visionPublishedResults();
  const GiB = 2 ** 30;
  console.log("| case | model | level | measured GiB | vramfit GiB | error |\n|---|---|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.id} | ${r.model} | ${r.level} | ${(r.measured / GiB).toFixed(2)} | ${(r.estimated / GiB).toFixed(2)} | ${(r.error * 100).toFixed(1)} % |`);
  const abs = rows.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
  console.log(`\nmedian |error| ${(abs[Math.floor(abs.length / 2)] * 100).toFixed(1)} % over ${rows.length} cases`);
}
