/**
 * `vramfit check <log>`: a real run's printed memory beside vramfit's estimate for the same settings.
 *   vramfit check server.log                       # llama.cpp / Ollama / vLLM / SGLang log, memory_summary, nvidia-smi
 *   vramfit check vllm.log --model qwen2.5-32b     # when the log names only a local path
 *   vramfit check sglang.log --model qwen2.5-32b --case --source my-run --url https://...   # as accuracy cases (JSON lines)
 * `-` reads standard input.
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import pc from "picocolors";
import { VramfitError } from "../core/errors.js";
import type { CheckResult } from "../check/index.js";

const MAX = 64 * 1024 * 1024;

async function readText(path: string): Promise<string> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of process.stdin) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
      n += b.length;
      if (n > MAX) throw new VramfitError("invalid_file", "standard input is over 64 MiB; cut the log to its startup lines");
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new VramfitError("not_found", `no such file: ${path.slice(0, 200)}`);
  }
  if (size > MAX) throw new VramfitError("invalid_file", `${path.slice(0, 200)} is ${Math.round(size / 2 ** 20)} MiB; at most 64 MiB is read`, { suggestion: "cut the log to its startup lines" });
  return readFileSync(path, "utf8");
}

export function addCheckCommand(program: Command, print: (s: string) => void): void {
  program
    .command("check")
    .argument("<log>", "a log file (or - for standard input): llama.cpp, Ollama, vLLM, SGLang, torch.cuda.memory_summary(), nvidia-smi")
    .description("a real run's printed memory beside vramfit's estimate for the same settings, component by component")
    .option("--model <spec>", "the model, when the log names only a path vramfit cannot read")
    .option("--gpu <id>", "the GPU, when the log does not print its total")
    .option("--case", "print the log's components as accuracy cases (JSON lines) instead")
    .option("--source <id>", "with --case: the source id")
    .option("--url <url>", "with --case: the source URL")
    .option("--id <prefix>", "with --case: the case id prefix")
    .option("--json", "as JSON")
    .action(async (file: string, o: { model?: string; gpu?: string; case?: boolean; source?: string; url?: string; id?: string; json?: boolean }) => {
      const text = await readText(file);
      const check = await import("../check/index.js");
      if (o.case) {
        if (!o.source || !o.url || !o.model) throw new VramfitError("invalid_option", "--case needs --model (a vramfit model reference), --source and --url");
        const cases = check.logToCases(text, { idPrefix: o.id ?? o.source, source: o.source, source_url: o.url, model: o.model, ...(o.gpu ? { gpu: o.gpu } : {}) });
        print(cases.map((c) => JSON.stringify(c)).join("\n"));
        return;
      }
      const { resolveModelArg } = await import("./model-source.js");
      const r = await check.checkLog(text, { model: o.model, gpu: o.gpu, resolveModel: (s) => resolveModelArg(s) });
      print(o.json ? JSON.stringify(r, null, 2) : renderCheck(r, check.fmt));
    });
}

export function renderCheck(r: CheckResult, fmt: (b: number | null) => string): string {
  const out: string[] = [];
  out.push(pc.bold(`${r.engine ?? "log"}${r.version ? ` ${r.version}` : ""}`) + pc.dim(` · model ${r.model ?? "not known (give --model)"} · ${r.gpu ?? "GPU not known (give --gpu)"}`));
  const set = Object.entries(r.settings).map(([k, v]) => `${k}=${String(v)}`);
  if (set.length) out.push(pc.dim(`  settings read from the log: ${set.join(", ")}`));
  out.push("");
  out.push(pc.bold(`  ${"component".padEnd(20)} ${"device".padEnd(11)} ${"printed".padStart(11)} ${"vramfit".padStart(11)} ${"diff".padStart(8)}  likely cause`));
  for (const row of r.rows) {
    const d = row.diff === null ? "" : `${row.diff >= 0 ? "+" : ""}${(row.diff * 100).toFixed(1)}%`;
    const color = row.diff === null ? pc.dim : Math.abs(row.diff) < 0.05 ? pc.green : Math.abs(row.diff) < 0.2 ? pc.yellow : pc.red;
    out.push(`  ${(row.component + (row.predicted ? "*" : "")).padEnd(20)} ${(row.device ?? "").padEnd(11)} ${fmt(row.printed_bytes).padStart(11)} ${fmt(row.estimate_bytes).padStart(11)} ${color(d.padStart(8))}  ${pc.dim(row.cause)}`);
  }
  if (r.rows.some((x) => x.predicted)) out.push(pc.dim("  * the engine's own prediction, not an allocation"));
  if (r.notes.length) out.push("");
  for (const n of r.notes) out.push(pc.dim(`  note: ${n}`));
  return out.join("\n");
}
