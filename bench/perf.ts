/**
 * Speed benchmark (not a test): one estimate, a max-batch solve, and CLI start-to-answer.
 *   npm run bench        (run `npm run build` first for the CLI timing)
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { estimate, maxBatch, maxSeq } from "../src/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function time(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(50, n); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const per = Number(process.hrtime.bigint() - t0) / n / 1e6;
  console.log(`${label.padEnd(52)} ${per < 1 ? `${(per * 1000).toFixed(1)} µs` : `${per.toFixed(2)} ms`} per call (${n} runs)`);
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
