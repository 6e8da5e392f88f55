/**
 * Loaders for the measured llama.cpp records (bench/accuracy/llamacpp-*.jsonl) and the SPEC files they were
 * made from (bench/llamacpp/specs). Used by the tests only; reads files, so it is no part of the library.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function readJsonl<T = Record<string, any>>(rel: string): T[] {
  return readFileSync(path.join(REPO_ROOT, rel), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export interface SynthSpec {
  metadata: Record<string, unknown>;
  tensors: [string, number[], string][];
}

const specs = new Map<string, SynthSpec>();
export function readSpec(id: string): SynthSpec {
  let s = specs.get(id);
  if (!s) {
    s = JSON.parse(readFileSync(path.join(REPO_ROOT, "bench/llamacpp/specs", `${id}.json`), "utf8")) as SynthSpec;
    specs.set(id, s);
  }
  return s;
}

/** llama.cpp's "%.2f" of a MiB figure (printf rounds exact ties to even), from exact bytes. */
export function printfMiB(bytes: number, digits = 2): string {
  const scale = 10n ** BigInt(digits);
  const num = BigInt(Math.round(bytes)) * scale;
  const den = 1n << 20n;
  let q = num / den;
  const r = num % den;
  if (r * 2n > den || (r * 2n === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, "0");
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}
