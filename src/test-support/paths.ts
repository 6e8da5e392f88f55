/** Paths tests share: the repo root and the reference material beside it (../shared). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SHARED = path.resolve(REPO_ROOT, "..", "shared");
export const FIXTURES = path.join(SHARED, "fixtures");
export const hasShared = fs.existsSync(FIXTURES);

export function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
