/**
 * The web page's first-load budget: the JavaScript index.html loads before anything is asked (its entry
 * script and modulepreloads), gzip -9, must stay under 150 KiB (docs/brief: issue #20). Checked by
 * `npm run bench:web` (exit status 1 when over) and by web/e2e/web.spec.ts on the page it builds.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export const FIRST_LOAD_JS_BUDGET_GZIP = 150 * 1024;

/** The assets index.html loads up front ("assets/…" paths): the entry script, modulepreloads and stylesheets. */
export function initialAssets(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1]))];
}

/** gzip -9 bytes of each first-load JavaScript file of a built page (web/dist). */
export function firstLoadJs(dist: string): { file: string; gzip: number }[] {
  const html = readFileSync(path.join(dist, "index.html"), "utf8");
  return initialAssets(html)
    .filter((f) => f.endsWith(".js"))
    .map((file) => ({ file, gzip: gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length }));
}
