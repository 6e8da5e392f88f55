/**
 * vramfit's vision engine (torch-2 semantics: GraphBuilder without `torch1`, SDPA attention) against the
 * torch 2 CPU ground truth (bench/accuracy/vision-cpu-torch2-*.jsonl), beside the torch-1 build against the
 * torch 1.13 files. Prints markdown. Changes nothing in src/.
 *
 *   npx tsx bench/torch2/compare_vision.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { backwardPeak, inferencePeak, savedActivations, trainingForwardPeak } from "../../src/vision/analysis.js";
import { GraphBuilder } from "../../src/vision/builder.js";
import { getVisionModel } from "../../src/vision/registry.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (f: string) =>
  fs
    .readFileSync(path.join(repo, "bench/accuracy", f), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

function build(model: string, shape: number[], training: boolean, torch1: boolean, precision: "fp32" | "amp-bf16" = "fp32") {
  const m = getVisionModel(model);
  const b = new GraphBuilder(precision, { torch1 });
  const outs = m.build(b, b.input(shape), { training, attention: torch1 ? "eager" : "sdpa", classes: m.classes });
  return b.finish(outs);
}
const pct = (v: number, m: number) => ((v - m) / m) * 100;
const f = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)} %${Math.abs(x) > 2 ? " **" : ""}`;

const out: string[] = [];
out.push("| model | batch | image | saved t2 (MiB) | vramfit torch-2 build | saved t1.13 (MiB) | vramfit torch-1 build | infer t2 | vramfit t2 build |");
out.push("|---|---:|---|---:|---:|---:|---:|---:|---:|");
const t1 = read("vision-cpu-autograd.jsonl");
const t2 = read("vision-cpu-torch2-autograd.jsonl");
for (let i = 0; i < t2.length; i++) {
  const r = t2[i];
  const o = t1[i];
  if (!r.batch) continue;
  const shape = [r.batch, 3, r.image[0], r.image[1]];
  const s2 = savedActivations(build(r.model, shape, true, false)).bytes;
  const s1 = savedActivations(build(r.model, shape, true, true)).bytes;
  const inf2 = inferencePeak(build(r.model, shape, false, false), "cpu").bytes;
  out.push(
    `| ${r.model} | ${r.batch} | ${r.image.join("x")} | ${(r.saved_bytes / 2 ** 20).toFixed(2)} | ${f(pct(s2, r.saved_bytes))} | ${(o.saved_bytes / 2 ** 20).toFixed(2)} | ${f(pct(s1, o.saved_bytes))} | ${(r.infer_peak_bytes / 2 ** 20).toFixed(2)} | ${f(pct(inf2, r.infer_peak_bytes))} |`,
  );
}
out.push("");
out.push("| model (train step, fwd+bwd) | measured t2 (MiB) | vramfit torch-2 build |");
out.push("|---|---:|---:|");
for (const r of read("vision-cpu-torch2-train-peak.jsonl")) {
  const g = build(r.model, [r.batch, 3, r.image[0], r.image[1]], true, false);
  const est = Math.max(trainingForwardPeak(g).allocated, backwardPeak(g, 4).bytes);
  out.push(`| ${r.model} b${r.batch} | ${(r.train_peak_bytes / 2 ** 20).toFixed(2)} | ${f(pct(est, r.train_peak_bytes))} |`);
}
out.push("");
out.push("| model (amp-bf16 saved incl. weight copies) | measured t2 (MiB) | vramfit torch-2 build |");
out.push("|---|---:|---:|");
for (const r of read("vision-cpu-torch2-autocast.jsonl")) {
  const g = build(r.model, [r.batch, 3, r.image[0], r.image[1]], true, false, "amp-bf16");
  const casts = g.nodes.filter((n) => n.op === "conv2d" || n.op === "linear").reduce((s, n) => s + n.params[0].reduce((p, d) => p * d, 1) * 2, 0);
  const est = savedActivations(g).bytes + casts;
  out.push(`| ${r.model} b${r.batch}${r.new_in_torch2 ? " (new)" : ""} | ${(r.saved_bytes / 2 ** 20).toFixed(2)} | ${f(pct(est, r.saved_bytes))} |`);
}
console.log(out.join("\n"));
