/**
 * End-to-end: the built page in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core), served by serveWeb on 127.0.0.1. The numbers the page shows must equal the library's
 * estimate() for the same inputs, read here through the Node entry point (src/index.ts) — the page gets
 * its models from its own picker, file reader and URL parser, so those paths are what is checked.
 *
 * Builds web/dist first (vite, ~1 s) so the page tested is the current source; set
 * VRAMFIT_E2E_NO_BUILD=1 to test an existing build. Skips, saying why, when Chromium is not installed.
 * Screenshots go to test-results/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveWeb, type WebServer } from "../../src/cli/serve.js";
import { estimate, maxBatch, maxSeq, type EstimateOptions } from "../../src/index.js";
import { modelFromHfConfig, readLocalConfig } from "../../src/readers/index.js";
import { plan } from "../../src/planner/index.js";
import { visionModelDescription } from "../../src/vision/family.js";
import { FIRST_LOAD_JS_BUDGET_GZIP, firstLoadJs } from "../../bench/web-budget.js";

const CHROMIUM = "/usr/bin/chromium";
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// The real model files copied into the repository (fixtures/SOURCES.md); tests never read ../shared.
const fixtures = resolve(repo, "fixtures");
const results = join(repo, "test-results");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`web e2e skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);

let browser: Browser;
let server: WebServer;

type TotalsSeen = { allocated: number; reserved: number; device: number };
async function totalsOn(page: Page): Promise<TotalsSeen> {
  const get = async (k: string) => Number(await page.getAttribute(`[data-testid=total-${k}]`, "data-bytes"));
  return { allocated: await get("allocated"), reserved: await get("reserved"), device: await get("device") };
}
function totalsOf(model: Parameters<typeof estimate>[0], opts: EstimateOptions): TotalsSeen {
  const e = estimate(model, opts);
  return { allocated: e.totals.allocated_bytes, reserved: e.totals.reserved_bytes, device: e.totals.device_bytes };
}
async function open(query = "", viewport = { width: 1280, height: 900 }, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const page = await browser.newPage({ viewport, colorScheme });
  // A failing step names itself inside the test's own timeout (60 s); a step may wait 20 s, as the whole suite
  // shares a 2-core CI machine with the browser (a page that loads the lazy training code waited past 10 s there).
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(server.url + query);
  await page.waitForSelector("[data-testid=total-device], [data-testid=error]");
  return page;
}
const pageErrors = (p: Page) => (p as Page & { errors: string[] }).errors;

// One build for the whole file (the size check below needs no browser).
beforeAll(async () => {
  if (!process.env.VRAMFIT_E2E_NO_BUILD || !existsSync(join(repo, "web/dist/index.html"))) {
    const { build } = await import("vite");
    await build({ configFile: join(repo, "web/vite.config.ts"), logLevel: "error" });
  }
}, 120_000);

describe("web page first load", () => {
  it(`loads at most ${FIRST_LOAD_JS_BUDGET_GZIP / 1024} KiB gzip of JavaScript before anything is asked (the rest loads on demand)`, () => {
    const files = firstLoadJs(join(repo, "web/dist"));
    const total = files.reduce((a, f) => a + f.gzip, 0);
    const list = files.map((f) => `${f.file} ${(f.gzip / 1024).toFixed(1)} KiB`).join(", ");
    expect(files.length).toBeGreaterThan(0);
    expect(total, `first-load JavaScript ${(total / 1024).toFixed(1)} KiB gzip (${list}); budget ${FIRST_LOAD_JS_BUDGET_GZIP / 1024} KiB`).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET_GZIP);
  });
});

describe.skipIf(!hasChromium)("web calculator in headless Chromium", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    server = await serveWeb({ port: 0, log: () => {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows the library's estimate for the default link on load", async () => {
    const page = await open();
    // Time from navigation start to the first estimate on screen (the page's own clock).
    const ms = await page.evaluate(() => performance.now());
    console.log(`first estimate visible ${ms.toFixed(0)} ms after navigation start`);
    // Load speed is measured by bench/web-size.ts (a benchmark), not asserted here.
    expect(await totalsOn(page)).toEqual(totalsOf("llama-3.1-8b", { gpu: "rtx-4090" }));
    expect(await page.textContent("[data-testid=verdict]")).toMatch(/^Fits/);
    expect(pageErrors(page)).toEqual([]);
    await page.screenshot({ path: join(results, "web-default.png"), fullPage: true });
    await page.close();
  });

  it("the first estimate needs none of the on-demand code; a vision model from the search loads it and gives the library's numbers", async () => {
    const page = await browser.newPage();
    const scripts: string[] = [];
    page.on("request", (r) => {
      if (r.resourceType() === "script") scripts.push(new URL(r.url()).pathname.replace(/^.*\/assets\//, ""));
    });
    await page.goto(server.url);
    await page.waitForSelector("[data-testid=total-device]");
    const html = readFileSync(join(repo, "web/dist/index.html"), "utf8");
    const initial = [...html.matchAll(/(?:src|href)="\.?\/?assets\/([^"]+\.js)"/g)].map((m) => m[1]);
    expect(scripts.filter((s) => !initial.includes(s))).toEqual(scripts.filter((s) => /^uPlot/.test(s))); // only the charts' library follows
    // The charts draw once uPlot arrives.
    await page.waitForSelector("[data-testid=chart-batch] canvas");
    await page.fill("#model-input", "yolov8s");
    await page.waitForSelector("#model-list [role=option]:has-text('yolov8s')");
    await page.press("#model-input", "Enter");
    await page.waitForSelector("[data-testid=max-image]");
    await expect.poll(() => totalsOn(page)).toEqual(totalsOf(visionModelDescription("yolov8s"), { gpu: "rtx-4090" }));
    expect(page.url()).toContain("model=yolov8s");
    await page.close();
  });

  it("choosing a model (search-as-you-type) and a GPU gives the library's numbers; the link reproduces them", async () => {
    const page = await open();
    await page.fill("#model-input", "qwen2.5 7b");
    await page.waitForSelector("#model-list [role=option]");
    expect(await page.textContent("#model-list [role=option]")).toContain("qwen2.5-7b");
    await page.press("#model-input", "Enter");
    await page.selectOption("#gpu-select", "l4");
    await page.fill("#opt-batch", "4");
    await page.fill("#opt-seq", "8192");
    await page.selectOption("#opt-kv_dtype", "fp8");
    const opts: EstimateOptions = { gpu: "l4", batch: 4, seq: 8192, kv_dtype: "fp8" };
    const want = totalsOf("qwen2.5-7b", opts);
    await expect.poll(() => totalsOn(page)).toEqual(want);
    // Components, one by one, and the largest batch / context that fit.
    const e = estimate("qwen2.5-7b", opts);
    for (const c of e.components) {
      expect(Number(await page.getAttribute(`[data-testid=comp-${c.id}]`, "data-bytes"))).toBe(c.bytes);
    }
    expect(Number(await page.getAttribute("[data-testid=max-batch]", "data-value"))).toBe(maxBatch("qwen2.5-7b", opts, 1 << 14).value);
    expect(Number(await page.getAttribute("[data-testid=max-seq]", "data-value"))).toBe(maxSeq("qwen2.5-7b", opts).value);
    // A formula opens on demand.
    await page.click("[data-testid=comp-kv_cache] summary");
    expect(await page.isVisible("[data-testid=comp-kv_cache] .formula")).toBe(true);

    const link = page.url();
    expect(link).toContain("model=qwen2.5-7b");
    const again = await browser.newPage();
    await again.goto(link);
    await again.waitForSelector("[data-testid=total-device]");
    expect(await totalsOn(again)).toEqual(want);
    expect(await again.isVisible("[data-testid=link-notes]")).toBe(false);
    expect(await again.inputValue("#opt-batch")).toBe("4");
    await again.close();
    await page.close();
  });

  it("training options (QLoRA) give the library's numbers", async () => {
    const page = await open("?model=llama-3.1-8b&gpu=rtx-4090");
    await page.selectOption("#opt-mode", "train");
    await page.check("#opt-qlora");
    await page.fill("#opt-lora_rank", "16");
    await page.check("#opt-checkpointing");
    await page.fill("#opt-seq", "2048");
    const want = totalsOf("llama-3.1-8b", { gpu: "rtx-4090", mode: "train", qlora: true, lora_rank: 16, checkpointing: true, seq: 2048 });
    await expect.poll(() => totalsOn(page)).toEqual(want);
    expect(page.url()).toMatch(/mode=train.*qlora=1/);
    await page.close();
  });

  it("runtime options (vLLM) give the library's numbers and its serving figures", async () => {
    const page = await open("?model=qwen3-8b&gpu=l40s");
    await page.selectOption("#opt-runtime", "vllm");
    await page.fill("#opt-gpu_memory_utilization", "0.8");
    await page.fill("#opt-max_model_len", "16384");
    const opts = { gpu: "l40s", runtime: "vllm", gpu_memory_utilization: 0.8, max_model_len: 16384 } as EstimateOptions;
    await expect.poll(() => totalsOn(page)).toEqual(totalsOf("qwen3-8b", opts));
    const serving = estimate("qwen3-8b", opts).serving!;
    expect(await page.textContent("[data-testid=serving]")).toContain(`max sequences${serving.max_sequences.toLocaleString("en-US")}`);
    expect(page.url()).toMatch(/runtime=vllm.*gpu_memory_utilization=0.8/);
    await page.close();
  });

  it("a Hugging Face id outside the catalog is read from the Hub only on request (Hub stubbed), and its link re-reads it", async () => {
    const cfgPath = join(fixtures, "hf/llama-3.2-1b/config.json");
    const requests: string[] = [];
    const stubHub = async (p: Page) =>
      p.route("https://huggingface.co/**", (route) => {
        requests.push(route.request().url());
        return route.request().url().includes("acme/tiny-llama")
          ? route.fulfill({ status: 200, contentType: "application/json", body: readFileSync(cfgPath, "utf8") })
          : route.fulfill({ status: 404, body: "Entry not found" });
      });
    const page = await open("?gpu=rtx-3060-12gb");
    await stubHub(page);
    await page.fill("#model-input", "acme/tiny-llama");
    await page.keyboard.press("Escape"); // close the (empty) suggestion list, keep the text
    await page.fill("#model-input", "acme/tiny-llama");
    await page.press("#model-input", "Enter");
    await page.waitForSelector("[data-testid=hub-fetch]");
    expect(await page.textContent("[data-testid=error]")).toMatch(/not in the offline catalog/);
    expect(requests).toEqual([]); // nothing is fetched until asked
    await page.click("[data-testid=hub-fetch]");
    const model = modelFromHfConfig(JSON.parse(readFileSync(cfgPath, "utf8")), { kind: "hub", ref: "acme/tiny-llama" }, { id: "tiny-llama", hfId: "acme/tiny-llama" });
    await page.waitForSelector("[data-testid=total-device]");
    expect(await totalsOn(page)).toEqual(totalsOf(model, { gpu: "rtx-3060-12gb" }));
    expect(requests).toEqual(["https://huggingface.co/acme/tiny-llama/resolve/main/config.json"]);
    const link = page.url();
    expect(link).toContain("model=hf%3Aacme%2Ftiny-llama");

    const again = await browser.newPage();
    await stubHub(again);
    await again.goto(link);
    await again.waitForSelector("[data-testid=total-device]");
    expect(await totalsOn(again)).toEqual(totalsOf(model, { gpu: "rtx-3060-12gb" }));
    await again.goto(`${server.url}?model=hf:acme/missing-model`);
    expect(await (await again.waitForSelector("[data-testid=error]")).textContent()).toMatch(/no public config\.json on the Hub/);
    await again.close();
    await page.close();
  });

  it("a dropped config.json is read in the browser and estimated like the CLI reads it", async () => {
    const page = await open("?gpu=rtx-3090");
    const file = join(fixtures, "hf/llama-3.2-3b/config.json");
    await page.setInputFiles("#file-input", file);
    await page.waitForSelector("[data-testid=file-note]:has-text('Nothing was uploaded')");
    const fromDisk = (await readLocalConfig(file)).model;
    await expect.poll(() => totalsOn(page)).toEqual(totalsOf(fromDisk, { gpu: "rtx-3090" }));
    expect(page.url()).toContain("model=file%3A");
    await page.close();
  });

  it("a file dropped by drag and drop goes through the same reader; a bad file gives one clear message", async () => {
    const page = await open();
    const bytes = readFileSync(join(fixtures, "gguf/ggml-vocab-gpt-2.gguf")).toString("base64");
    await page.evaluate(async (b64) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bin], "ggml-vocab-gpt-2.gguf"));
      window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    const note = page.locator("[data-testid=file-note].error");
    await note.waitFor();
    expect(await note.textContent()).toMatch(/no tensors .*vocabulary-only/);
    // The previous estimate stays on screen.
    expect(await totalsOn(page)).toEqual(totalsOf("llama-3.1-8b", { gpu: "rtx-4090" }));
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it("a bad or old link falls back to defaults with a visible note, never a blank page", async () => {
    const page = await open("?v=0&model=gpt-17&gpu=rtx-9090&batch=lots&2.model=file:x.gguf");
    const notes = await page.textContent("[data-testid=link-notes]");
    expect(notes).toMatch(/Unknown model 'gpt-17'/);
    expect(notes).toMatch(/Unknown GPU 'rtx-9090'/);
    expect(notes).toMatch(/'batch=lots'/);
    expect(notes).toMatch(/drop it again/);
    expect(await totalsOn(page)).toEqual(totalsOf("llama-3.1-8b", { gpu: "rtx-4090" }));
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it("make it fit: applying a suggestion gives the library's estimate of that change, and it fits", async () => {
    const page = await open("?model=llama-3.1-8b&gpu=rtx-4060-ti-8gb");
    expect(await page.getAttribute("[data-testid=verdict]", "data-fits")).toBe("false");
    const first = page.locator("[data-testid=suggestions] li").first();
    expect(await first.locator(".dot").getAttribute("class")).toContain("yes");
    await first.locator("button").click();
    await expect.poll(() => page.getAttribute("[data-testid=verdict]", "data-fits")).toBe("true");
    // Whatever was applied is in the URL: estimate it here from the link's own keys.
    const q = new URL(page.url()).searchParams;
    const opts: Record<string, unknown> = { gpu: "rtx-4060-ti-8gb" };
    for (const [k, v] of q) if (k !== "model" && k !== "gpu") opts[k] = /^\d+$/.test(v) ? Number(v) : v;
    expect(await totalsOn(page)).toEqual(totalsOf("llama-3.1-8b", opts as EstimateOptions));
    await page.close();
  });

  it("compares configurations side by side, each equal to the library", async () => {
    const page = await open("?model=mistral-7b-v0.3&gpu=a100-80gb-sxm");
    await page.click("[data-testid=add-compare]");
    await page.selectOption("#opt-quant", "awq");
    await page.click("[data-testid=add-compare]");
    await page.fill("#opt-batch", "16");
    const a = estimate("mistral-7b-v0.3", { gpu: "a100-80gb-sxm" }).totals.device_bytes;
    const b = estimate("mistral-7b-v0.3", { gpu: "a100-80gb-sxm", quant: "awq" }).totals.device_bytes;
    const c = estimate("mistral-7b-v0.3", { gpu: "a100-80gb-sxm", quant: "awq", batch: 16 }).totals.device_bytes;
    const gibText = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    await expect.poll(() => page.textContent("[data-testid=compare-device-3]")).toBe(gibText(c));
    expect(await page.textContent("[data-testid=compare-device-1]")).toBe(gibText(a));
    expect(await page.textContent("[data-testid=compare-device-2]")).toBe(gibText(b));
    expect(page.url()).toMatch(/2\.quant=awq.*3\.batch=16/);
    await page.screenshot({ path: join(results, "web-compare.png"), fullPage: true });
    await page.close();
  });

  it("works at phone width and in dark mode (screenshots)", async () => {
    const phone = await open("?model=qwen3-8b&gpu=rtx-4070&seq=16384", { width: 390, height: 844 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(results, "web-phone.png"), fullPage: true });
    await phone.close();
    const dark = await open("?model=resnet50&gpu=t4&mode=train&batch=64", { width: 1280, height: 900 }, "dark");
    const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe("rgb(17, 19, 22)");
    expect(await totalsOn(dark)).toEqual(totalsOf(visionModelDescription("resnet50"), { gpu: "t4", mode: "train", batch: 64 }));
    await dark.screenshot({ path: join(results, "web-dark.png"), fullPage: true });
    await dark.close();
  });

  it("lists the library's multi-GPU training plans for llama-3.1-70b on 4 × A100 80GB, loading the planner only on request", async () => {
    const page = await open("?model=llama-3.1-70b&gpu=a100-80gb&mode=train&batch=4&gpus=4");
    const planner: string[] = [];
    page.on("request", (r) => {
      if (/\/assets\/planner-[^/]*\.js$/.test(r.url())) planner.push(r.url());
    });
    expect(await page.isVisible("[data-testid=plan]")).toBe(false);
    expect(planner).toEqual([]);
    await page.click("[data-testid=plans-find]");
    await page.waitForSelector("[data-testid=plan]");
    expect(planner.length).toBe(1);
    const lib = plan("llama-3.1-70b", { mode: "train", gpu: "a100-80gb", gpus: 4, batch: 4, limit: 5 });
    expect(lib.plans.length).toBeGreaterThan(0);
    const gibText = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    expect(await page.locator("[data-testid=plan-per-gpu]").allTextContents()).toEqual(lib.plans.map((p) => gibText(p.totals.device_bytes)));
    expect(await page.textContent("[data-testid=plan] .plan-summary")).toBe(lib.plans[0].summary);
    // Plan 1's engine configuration is shown, ready to copy (DeepSpeed JSON or an accelerate YAML).
    expect(await page.textContent("[data-testid=plan-config] pre")).toMatch(/train_micro_batch_size_per_gpu|distributed_type/);
    expect(pageErrors(page)).toEqual([]);
    await page.screenshot({ path: join(results, "web-plans.png"), fullPage: true });
    await page.close();
  });
});
