/**
 * Web page size and speed benchmark (not a test): builds web/dist, then reports each asset raw, gzip -9
 * and brotli, split into what the first load fetches and what loads only when a file is dropped; when
 * Debian's Chromium is installed, also the time from navigation start to the first estimate on screen
 * (median of 5 cold page loads). Exits 1 when the first-load JavaScript is over its budget (bench/web-budget.ts).
 *   npx tsx bench/web-size.ts [--no-build] [--json]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { FIRST_LOAD_JS_BUDGET_GZIP, initialAssets } from "./web-budget.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "web/dist");
const args = new Set(process.argv.slice(2));

if (!args.has("--no-build")) {
  const { build } = await import("vite");
  await build({ configFile: path.join(root, "web/vite.config.ts"), logLevel: "error" });
}
if (!existsSync(path.join(dist, "index.html"))) throw new Error("web/dist is not built: run `npm run build:web`");

const html = readFileSync(path.join(dist, "index.html"), "utf8");
// What index.html loads up front: the entry script, modulepreloads and stylesheets.
const initial = new Set(initialAssets(html));

interface Row {
  file: string;
  initial: boolean;
  raw: number;
  gzip: number;
  brotli: number;
}
const rows: Row[] = [{ file: "index.html", initial: true, ...sizes(Buffer.from(html)) }];
for (const f of readdirSync(path.join(dist, "assets")).sort()) {
  const rel = `assets/${f}`;
  rows.push({ file: rel, initial: initial.has(rel), ...sizes(readFileSync(path.join(dist, rel))) });
}

function sizes(b: Buffer) {
  return {
    raw: b.length,
    gzip: gzipSync(b, { level: 9 }).length,
    brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
const sum = (rs: Row[], k: "raw" | "gzip" | "brotli") => rs.reduce((a, r) => a + r[k], 0);
const first = rows.filter((r) => r.initial);
const lazy = rows.filter((r) => !r.initial);
const firstJs = first.filter((r) => r.file.endsWith(".js"));

let firstEstimateMs: number | undefined;
if (existsSync("/usr/bin/chromium")) firstEstimateMs = await timeFirstEstimate();

if (args.has("--json")) {
  console.log(JSON.stringify({ rows, first_load: { raw: sum(first, "raw"), gzip: sum(first, "gzip"), brotli: sum(first, "brotli") }, first_load_js_gzip: sum(firstJs, "gzip"), first_load_js_budget_gzip: FIRST_LOAD_JS_BUDGET_GZIP, lazy: { raw: sum(lazy, "raw"), gzip: sum(lazy, "gzip") }, first_estimate_ms: firstEstimateMs }, null, 2));
} else {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
  console.log(`${"file".padEnd(44)} ${"raw".padStart(10)} ${"gzip".padStart(10)} ${"brotli".padStart(10)}  loaded`);
  for (const r of rows) console.log(`${r.file.padEnd(44)} ${kb(r.raw)} ${kb(r.gzip)} ${kb(r.brotli)}  ${r.initial ? "first load" : "lazy (on demand)"}`);
  console.log(`${"first load (html + js + css)".padEnd(44)} ${kb(sum(first, "raw"))} ${kb(sum(first, "gzip"))} ${kb(sum(first, "brotli"))}`);
  console.log(`${"  of which JavaScript".padEnd(44)} ${kb(sum(firstJs, "raw"))} ${kb(sum(firstJs, "gzip"))} ${kb(sum(firstJs, "brotli"))}`);
  console.log(`${"lazy chunks (loaded on demand)".padEnd(44)} ${kb(sum(lazy, "raw"))} ${kb(sum(lazy, "gzip"))} ${kb(sum(lazy, "brotli"))}`);
  console.log(`first-load JavaScript budget: ${kb(FIRST_LOAD_JS_BUDGET_GZIP).trim()} gzip; ${sum(firstJs, "gzip") <= FIRST_LOAD_JS_BUDGET_GZIP ? "under" : "OVER"} by ${kb(Math.abs(FIRST_LOAD_JS_BUDGET_GZIP - sum(firstJs, "gzip"))).trim()}`);
  if (firstEstimateMs !== undefined) console.log(`first estimate on screen: ${firstEstimateMs.toFixed(0)} ms after navigation start (median of 5, headless Chromium, served on 127.0.0.1)`);
  else console.log("first estimate timing skipped: /usr/bin/chromium not installed");
}

if (sum(firstJs, "gzip") > FIRST_LOAD_JS_BUDGET_GZIP) {
  console.error(`over budget: the first load's JavaScript is ${(sum(firstJs, "gzip") / 1024).toFixed(1)} KiB gzip, the budget ${FIRST_LOAD_JS_BUDGET_GZIP / 1024} KiB (load the heavy part lazily)`);
  process.exitCode = 1;
}

async function timeFirstEstimate(): Promise<number> {
  const { chromium } = await import("playwright-core");
  const { serveWeb } = await import("../src/cli/serve.js");
  const server = await serveWeb({ port: 0, log: () => {} });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"] });
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const ctx = await browser.newContext(); // cold cache each time
      const page = await ctx.newPage();
      // The page marks the moment the first estimate is in the DOM (a MutationObserver set before any script runs).
      await page.addInitScript(() => {
        new MutationObserver((_m, obs) => {
          if (document.querySelector("[data-testid=total-device]")) {
            (window as unknown as { __firstEstimate: number }).__firstEstimate = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { __firstEstimate?: number }).__firstEstimate !== undefined);
      times.push(await page.evaluate(() => (window as unknown as { __firstEstimate: number }).__firstEstimate));
      await ctx.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  times.sort((a, b) => a - b);
  return times[2];
}
