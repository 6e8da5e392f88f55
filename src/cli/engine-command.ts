/**
 * `vramfit estimate [options] -- <engine command>`: the pasted vLLM / SGLang / llama.cpp / Ollama command after `--`.
 * runCli splits argv at the first `--`; the words after it are the engine's, untouched by vramfit's own parser.
 */
import pc from "picocolors";
import type { EstimateInput } from "../core/profile.js";
import { formatBytes } from "../core/units.js";
import type { CommandEstimate } from "../commands/estimate.js";
import { renderEstimate } from "./render.js";

/** vramfit's own options given before `--` (only those the user typed): they win over the command's. */
export function userOptions(o: Record<string, unknown>, toOptions: (o: Record<string, unknown>) => EstimateInput): EstimateInput {
  const given = toOptions(o);
  const { gpu: _gpu, ...rest } = given;
  return rest;
}

export async function runEstimateCommand(engineArgv: string[], o: Record<string, unknown>, options: EstimateInput, print: (s: string) => void): Promise<void> {
  const { estimateCommand } = await import("../commands/estimate.js");
  const r = await estimateCommand(engineArgv.length === 1 ? engineArgv[0] : engineArgv, {
    env: process.env as Record<string, string>,
    gpu: typeof o.gpu === "string" ? o.gpu : undefined,
    options,
  });
  if (o.json) return print(JSON.stringify(r, null, 2));
  print(renderCommandEstimate(r, Boolean(o.formulas)));
}

export function renderCommandEstimate(r: CommandEstimate, formulas = false): string {
  const out: string[] = [];
  const w = r.workload;
  out.push(pc.bold(`${r.command.program}`) + pc.dim(` · ${w.model}${w.gpusTotal > 1 ? ` · ${w.gpusTotal} GPUs` : ""}`));
  const given = r.settings.filter((s) => s.given).map((s) => s.text);
  const assumed = r.settings.filter((s) => !s.given).map((s) => s.text);
  if (given.length) out.push(`  your flags:      ${given.join("  ")}`);
  if (assumed.length) out.push(pc.dim(`  engine defaults: ${assumed.join("  ")}`));
  for (const n of w.notModelled) out.push(pc.yellow(`  not modelled: ${n}`));
  if (w.unknown.length) out.push(pc.yellow(`  unknown to ${r.command.engine}: ${w.unknown.join(" ")}`));
  for (const n of w.notes) out.push(pc.dim(`  note: ${n}`));
  out.push("");
  out.push(renderEstimate(r.estimate, { formulas }));
  const devices = (r.estimate as unknown as { devices?: { device: string; total_bytes: number; layers: number }[] }).devices;
  if (devices && devices.length > 1) out.push(pc.dim(`  per device: ${devices.map((d) => `${d.device} ${formatBytes(d.total_bytes)} (${d.layers} layers)`).join(", ")}`));
  return out.join("\n");
}
