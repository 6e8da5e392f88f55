/**
 * The flag tables of docs/engines/*.md are generated from the parser tables, so the docs and the parser
 * cannot disagree: `npx tsx src/commands/doc-table.ts` rewrites the blocks between the markers, and
 * doc-table.spec.ts fails when a doc is out of date.
 */
import { LLAMACPP_FLAGS } from "./llamacpp.js";
import { OLLAMA_CLI_FLAGS, OLLAMA_ENV_FLAGS, OLLAMA_PARAM_FLAGS } from "./ollama.js";
import { SGLANG_FLAGS } from "./sglang.js";
import type { FlagSpec } from "./types.js";
import { VLLM_FLAGS } from "./vllm.js";

export const ENGINE_DOCS: { file: string; flags: FlagSpec[] }[] = [
  { file: "docs/engines/vllm.md", flags: VLLM_FLAGS },
  { file: "docs/engines/sglang.md", flags: SGLANG_FLAGS },
  { file: "docs/engines/llama.cpp.md", flags: LLAMACPP_FLAGS },
  { file: "docs/engines/ollama.md", flags: [...OLLAMA_ENV_FLAGS, ...OLLAMA_PARAM_FLAGS, ...OLLAMA_CLI_FLAGS] },
];

const esc = (s: string) => s.replace(/\|/g, "\\|");
const code = (s: string) => `\`${s}\``;

function spellings(f: FlagSpec): string {
  const all = [...f.names, ...(f.negNames ?? [])].map(code).join(", ");
  return f.env && !f.names.includes(f.env) ? `${all} (env ${code(f.env)})` : all;
}

function typeOf(f: FlagSpec): string {
  const t = f.type === "hint" ? "int (1k, 1K)" : f.type === "list" ? (f.values === 2 ? "list of pairs" : f.multi ? "list (nargs +)" : "list (repeatable)") : f.type;
  const words = f.words ? ` or ${f.words.join("/")}` : "";
  const choices = f.type === "enum" && f.choices ? `: ${f.choices.join(", ")}` : "";
  return `${t}${words}${choices}`;
}

/** The memory-relevant flags as a markdown table. */
export function memoryTable(flags: readonly FlagSpec[]): string {
  const rows = flags
    .filter((f) => f.memory)
    .map((f) => `| ${spellings(f)} | ${code(f.name)} | ${esc(typeOf(f))} | ${esc(f.default)} | ${esc(f.effect)}${f.since ? ` (since ${esc(f.since)})` : ""} | ${esc(f.source)} |`);
  return ["| flag | canonical | type | default | what it changes in memory | source |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

/** The known flags that do not change memory, as one list. */
export function otherFlagsList(flags: readonly FlagSpec[]): string {
  return flags
    .filter((f) => !f.memory)
    .map((f) => [...f.names, ...(f.negNames ?? [])].map(code).join("/"))
    .join(", ");
}

export function renderBlocks(doc: string, flags: readonly FlagSpec[]): string {
  return replaceBlock(replaceBlock(doc, "memory-flags", memoryTable(flags)), "other-flags", otherFlagsList(flags));
}

function replaceBlock(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`missing ${start} … ${end}`);
  return `${doc.slice(0, a + start.length)}\n${body}\n${doc.slice(b)}`;
}

/** Rewrite the generated blocks in place (run from the repository root). */
async function main(): Promise<void> {
  const { readFileSync, writeFileSync } = await import("node:fs");
  for (const d of ENGINE_DOCS) {
    const before = readFileSync(d.file, "utf8");
    const after = renderBlocks(before, d.flags);
    if (after !== before) {
      writeFileSync(d.file, after);
      console.log(`updated ${d.file}`);
    }
  }
}

if (typeof process !== "undefined" && process.argv[1]?.endsWith("doc-table.ts")) void main();
