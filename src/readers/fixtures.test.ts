/**
 * Support for the reader specs (not a test itself: vitest collects *.spec.ts, the build skips *.test.ts).
 * Locates the real model files in fixtures/ (copied from the team's reference material; fixtures/SOURCES.md).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

export const FIXTURES = resolve(repoRoot(), "fixtures");
export const fixture = (...p: string[]) => join(FIXTURES, ...p);
