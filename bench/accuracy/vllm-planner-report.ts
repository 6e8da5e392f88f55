/**
 * Prints the vLLM and planner accuracy tables (markdown) from bench/accuracy/vllm-published.jsonl and
 * planner-published.jsonl. Run: npx tsx bench/accuracy/vllm-planner-report.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findGpu } from "../../src/catalog/gpus.js";
import { catalogModel } from "../../src/catalog/models.js";
import { evaluateTrainingPlan } from "../../src/planner/training-plan.js";
import type { TrainingConfig } from "../../src/planner/types.js";
import { readVllmCases, runVllmCase } from "../../src/runtimes/vllm/published-cases.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pct = (p: number, m: number) => `${((p / m - 1) * 100).toFixed(1)}%`;
const out: string[] = ["## vLLM startup logs", "", "| case | weights GiB (pred / log / err) | activation GiB (pred / log) | blocks from logged KV (pred / log) | KV GiB from util×total (pred / log) |", "|---|---|---|---|---|"];
for (const c of readVllmCases(root)) {
  const r = runVllmCase(c);
  const m = c.measured;
  const blocks = m.num_blocks ?? (m.kv_tokens ? m.kv_tokens / c.block_size : undefined);
  out.push(
    `| ${c.id} | ${m.weights_gib !== undefined ? `${r.weightsGib.toFixed(2)} / ${m.weights_gib} / ${pct(r.weightsGib, m.weights_gib)}` : `${r.weightsGib.toFixed(2)} / – `} | ${m.activation_gib !== undefined ? `${r.activationGib!.toFixed(2)} / ${m.activation_gib}` : "–"} | ${r.blocksFromStatedKv !== undefined && blocks !== undefined ? `${r.blocksFromStatedKv} / ${blocks}` : "–"} | ${r.kvGibPredicted !== undefined && m.kv_gib !== undefined ? `${r.kvGibPredicted.toFixed(2)} / ${m.kv_gib}` : "–"} |`,
  );
}
out.push("", "## Planner vs published multi-GPU fine-tuning", "", "| case | predicted GB | published GB | error |", "|---|---|---|---|");
const defaults: TrainingConfig = { dataParallel: "zero3", dp: 8, tp: 1, pp: 1, ep: 1, cp: 1, microBatch: 1, gradAccum: 1, checkpointing: true, precision: "amp-bf16", optimizer: "adamw", method: "full", loraRank: 8, offload: "none", offloadDevice: "cpu", gpusPerNode: 8 };
for (const l of fs.readFileSync(path.join(root, "bench/accuracy/planner-published.jsonl"), "utf8").split("\n").filter((x) => x.trim())) {
  const c = JSON.parse(l);
  const r = evaluateTrainingPlan(catalogModel(c.model), { ...defaults, ...c.config }, findGpu(c.gpu), { seq: c.seq, attention: c.attention });
  const pred = c.compare === "device" ? r.totals.device_bytes : r.totals.reserved_bytes;
  out.push(`| ${c.id} | ${(pred / 1e9).toFixed(1)} | ${(c.value_bytes / 1e9).toFixed(1)} | ${pct(pred, c.value_bytes)} |`);
}
console.log(out.join("\n"));
