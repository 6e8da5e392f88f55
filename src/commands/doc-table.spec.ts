import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINE_DOCS, renderBlocks } from "./doc-table.js";

const root = resolve(__dirname, "../..");

/** The spellings in the first column of the doc's memory table. */
function docMemorySpellings(doc: string): Set<string> {
  const block = doc.slice(doc.indexOf("<!-- memory-flags:start -->"), doc.indexOf("<!-- memory-flags:end -->"));
  const out = new Set<string>();
  for (const line of block.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const first = line.split(" | ")[0].replace(/\(env `[^`]+`\)/, "");
    for (const m of first.matchAll(/`([^`]+)`/g)) out.add(m[1]);
  }
  return out;
}

describe("docs/engines agree with the parser tables", () => {
  for (const { file, flags } of ENGINE_DOCS) {
    it(`${file} is up to date (npx tsx src/commands/doc-table.ts)`, () => {
      const doc = readFileSync(resolve(root, file), "utf8");
      expect(renderBlocks(doc, flags)).toBe(doc);
    });

    it(`${file}: every memory flag in the doc is in the parser table and vice versa`, () => {
      const doc = readFileSync(resolve(root, file), "utf8");
      const inDoc = docMemorySpellings(doc);
      const inTable = new Set(flags.filter((f) => f.memory).flatMap((f) => [...f.names, ...(f.negNames ?? [])]));
      expect([...inDoc].filter((s) => !inTable.has(s))).toEqual([]);
      expect([...inTable].filter((s) => !inDoc.has(s))).toEqual([]);
    });
  }
});
