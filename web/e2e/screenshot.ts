/**
 * Regenerates docs/screenshot.png (the README's picture of the page) from the built page in headless
 * Chromium:  npm run build:web && npx tsx web/e2e/screenshot.ts [query] [out.png]
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serveWeb } from "../../src/cli/serve.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const query = process.argv[2] ?? "?model=qwen2.5-14b&gpu=rtx-4090&batch=2&seq=16384";
const out = path.resolve(process.argv[3] ?? path.join(repo, "docs/screenshot.png"));
const scheme = (process.env.SCHEME as "light" | "dark" | undefined) ?? "light";

const server = await serveWeb({ port: 0, log: () => {} });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: Number(process.env.HEIGHT ?? 1040) }, colorScheme: scheme, deviceScaleFactor: 1 });
  await page.goto(server.url + query);
  await page.waitForSelector("[data-testid=total-device]");
  await page.waitForTimeout(300); // charts draw on the next frame
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
