/**
 * Support for the reader specs (not a test itself: vitest collects *.spec.ts, the build skips *.test.ts).
 * Locates ../shared/fixtures relative to the repository root.
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

export const SHARED = resolve(repoRoot(), "..", "shared");
export const FIXTURES = join(SHARED, "fixtures");
export const fixture = (...p: string[]) => join(FIXTURES, ...p);
