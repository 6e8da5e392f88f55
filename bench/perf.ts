/**
 * Speed benchmark (not a test): one estimate, the solvers, the planner's largest search, and CLI
 * start-to-answer. `npm run bench` builds first and times the compiled library (dist/), as users run it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist/index.js");
const lib: typeof import("../src/index.js") = await import(fs.existsSync(dist) ? dist : "../src/index.js");
const { estimate, maxBatch, maxSeq, plan } = lib;
console.log(`timing ${fs.existsSync(dist) ? "dist/ (compiled)" : "src/ through tsx (slower: run npm run build)"}`);

/** Best of five rounds after a warm-up long enough for the JIT to settle. */
function time(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.max(200, n / 4); i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n / 1e6);
  }
  console.log(`${label.padEnd(52)} ${best < 1 ? `${(best * 1000).toFixed(1)} µs` : `${best.toFixed(2)} ms`} per call (best of 5 × ${n})`);
}

time("estimate llama-3.1-8b infer", 2000, () => estimate("llama-3.1-8b", { seq: 8192, gpu: "rtx-4090" }));
time("estimate deepseek-v3 infer (MoE + MLA)", 2000, () => estimate("deepseek-v3", { seq: 8192, gpu: "h200" }));
time("estimate llama-3.1-8b train (if available)", 500, () => {
  try {
    estimate("llama-3.1-8b", { mode: "train", seq: 2048, gpu: "a100-80gb" });
  } catch {
    /* training engine not built */
  }
});
time("max-batch llama-3.1-8b on a100-80gb", 200, () => maxBatch("llama-3.1-8b", { seq: 4096, gpu: "a100-80gb" }));
time("max-seq qwen2.5-7b on rtx-4090", 200, () => maxSeq("qwen2.5-7b", { gpu: "rtx-4090" }));

{
  // The planner's largest search: Llama 3.1 405B over 1024 H100s (first call, as the CLI makes it).
  const o = { gpu: "h100-sxm", gpus: 1024, mode: "train" as const, batch: 2048, seq: 4096 };
  const t0 = process.hrtime.bigint();
  const r = plan("llama-3.1-405b", o);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${"plan llama-3.1-405b on 1024 × h100 (first call)".padEnd(52)} ${ms.toFixed(0)} ms (${r.evaluated} configurations)`);
}

const bin = path.join(root, "bin/vramfit.js");
const runs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, "estimate", "llama-3.1-8b", "--gpu", "rtx-4090", "--json"], { encoding: "utf8" });
  if (r.status !== 0) {
    console.log("CLI: not built (run npm run build)");
    break;
  }
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
if (runs.length) console.log(`${"CLI start to answer (node bin/vramfit.js estimate)".padEnd(52)} ${Math.min(...runs).toFixed(0)} ms best of ${runs.length}`);
