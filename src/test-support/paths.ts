/** Paths tests share: the repo root and the real model files copied into fixtures/ (fixtures/SOURCES.md). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO_ROOT, "fixtures");
export const hasShared = fs.existsSync(FIXTURES);

export function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
