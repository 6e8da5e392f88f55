import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { estimate } from "../index.js";
import { catalogModel } from "../catalog/models.js";
import { REPO_ROOT } from "../test-support/paths.js";
import { cli } from "../test-support/cli.js";


describe("vramfit estimate", () => {
  it("with --json an error is one JSON object carrying its code", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--gpu", "rtx-4090", "--seq", "999999", "--json"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.err);
    expect(j.error.code).toBe("does_not_run");
    expect(j.error.details).toEqual({ key: "seq", max: 131072 });
    const u = JSON.parse((await cli(["estimate", "llama-3.1-8q", "--json"])).err);
    expect(u.error.code).toBe("unknown_model");
    expect(u.error.suggestion).toMatch(/llama-3.1-8b/);
  });
  it("--json prints the same object as the library", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--gpu", "rtx-4090", "--seq", "8k", "--batch", "2", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toEqual(JSON.parse(JSON.stringify(estimate("llama-3.1-8b", { gpu: "rtx-4090", seq: 8192, batch: 2 }))));
    // The contract's keys.
    expect(Object.keys(j.model)).toEqual(expect.arrayContaining(["id", "parameters"]));
    expect(Object.keys(j.totals)).toEqual(["allocated_bytes", "reserved_bytes", "device_bytes", "allocated_range", "reserved_range", "device_range"]);
    for (const level of ["allocated", "reserved", "device"]) {
      const [lo, hi] = j.totals[`${level}_range`];
      expect(lo).toBeLessThanOrEqual(j.totals[`${level}_bytes`]);
      expect(hi).toBeGreaterThanOrEqual(j.totals[`${level}_bytes`]);
    }
    expect(["fits", "tight", "does_not_fit"]).toContain(j.gpu.verdict);
    expect(Object.keys(j.gpu)).toEqual(expect.arrayContaining(["id", "memory_bytes", "fits", "headroom_bytes"]));
    for (const c of j.components) {
      expect(c.id).toMatch(/^[a-z0-9_]+$/);
      expect(Number.isSafeInteger(c.bytes)).toBe(true);
      expect(typeof c.formula).toBe("string");
    }
    expect(j.components.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(["weights", "kv_cache", "activations", "logits", "cuda_context"]));
  });

  it("the human table shows the totals and the verdict", async () => {
    const r = await cli(["estimate", "llama-3.1-70b", "--gpu", "rtx-4090"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Device total/);
    expect(r.out).toMatch(/does not fit/);
  });

  it("resolves Hugging Face ids and parameter counts", async () => {
    expect((await cli(["estimate", "meta-llama/Llama-3.1-8B", "--json"])).code).toBe(0);
    const r = await cli(["estimate", "7b", "--json"]);
    expect(JSON.parse(r.out).model.parameters).toBe(7e9);
  });
});

describe("bad input gives one clear line and a non-zero exit", () => {
  const cases: [string[], RegExp][] = [
    [["estimate", "llama-3.1-8x"], /unknown model 'llama-3.1-8x'[\s\S]*did you mean llama-3.1-8b/],
    [["estimate", "llama-3.1-8b", "--batch", "-3"], /batch/],
    [["estimate", "llama-3.1-8b", "--batch", "abc"], /--batch must be a positive whole number/],
    [["estimate", "llama-3.1-8b", "--dtype", "fp12"], /unknown dtype 'fp12'/],
    [["estimate", "llama-3.1-8b", "--gpu", "rtx-4099"], /unknown GPU 'rtx-4099'/],
    [["estimate", "llama-3.1-8b", "--runtime", "transformers", "--quant", "q4_k_m"], /llama\.cpp|GGUF/],
    [["estimate", "llama-3.1-8b", "--frobnicate"], /unknown option/],
    [["max-batch", "llama-3.1-8b"], /needs a GPU/],
  ];
  for (const [args, msg] of cases) {
    it(args.join(" "), async () => {
      const r = await cli(args);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it("malformed config.json", async () => {
    const r = await cli(["estimate", path.join(REPO_ROOT, "package.json")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/model_type|hidden_size/);
  });
});

describe("max-batch and max-seq", () => {
  it("max-batch answers the largest batch whose estimate fits, and the next one does not", async () => {
    const r = await cli(["max-batch", "llama-3.1-8b", "--gpu", "a100-80gb", "--seq", "4096", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.max_batch).toBeGreaterThan(1);
    expect(j.estimate.gpu.fits).toBe(true);
    expect(j.estimate.gpu.verdict).toBe("fits");
    const next = estimate("llama-3.1-8b", { gpu: "a100-80gb", seq: 4096, batch: j.max_batch + 1 });
    expect(next.gpu!.verdict).not.toBe("fits");
    expect(j.max_batch_central).toBeGreaterThanOrEqual(j.max_batch);
  });
  it("max-seq stops at the model's context length when memory allows more", async () => {
    const r = await cli(["max-seq", "qwen2.5-1.5b", "--gpu", "h100-sxm", "--json"]);
    expect(r.code).toBe(0);
    const max = catalogModel("qwen2.5-1.5b").transformer!.maxPositions;
    expect(JSON.parse(r.out).max_seq).toBe(max);
  });
  it("max-seq finds the memory limit for a big model", async () => {
    const r = await cli(["max-seq", "llama-3.1-8b", "--gpu", "rtx-4090", "--json"]);
    const j = JSON.parse(r.out);
    expect(j.max_seq).toBeGreaterThan(1000);
    expect(estimate("llama-3.1-8b", { gpu: "rtx-4090", seq: j.max_seq + 1 }).gpu!.verdict).not.toBe("fits");
  });
});

const distBuilt = fs.existsSync(path.join(REPO_ROOT, "dist/cli/main.js"));
describe.skipIf(!distBuilt)("the installed binary (needs `npm run build`)", () => {
  it("runs from bin/ after the build and exits 1 on bad input", () => {
    const bin = path.join(REPO_ROOT, "bin/vramfit.js");
    expect(execFileSync(process.execPath, [bin, "estimate", "llama-3.2-1b", "--json"], { encoding: "utf8" })).toMatch(/"device_bytes"/);
    const bad = spawnSync(process.execPath, [bin, "estimate", "nope-model"], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
  });
});

describe("runtimes in the CLI", () => {
  it("a GGUF quant type means llama.cpp, with its own buffers, and says so", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--quant", "q4_k_m", "--ctx-size", "8192", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.workload.runtime).toBe("llama.cpp");
    expect(j.assumptions.join(" ")).toMatch(/llama\.cpp inferred/);
    expect(j.components.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(["weights", "kv_cache", "compute_buffer"]));
    // llama.cpp keeps its KV cache in f16: 32 layers × 2 × 8 × 128 × 8192 × 2 B = 1 GiB.
    expect(j.components.find((c: { id: string }) => c.id === "kv_cache").bytes).toBe(2 ** 30);
  });
  it("quantized V without flash attention is refused with one clear line", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--quant", "q4_k_m", "--ctv", "q8_0", "--fa", "off"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/flash attention/);
  });
  it("llama.cpp cannot run AWQ weights", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--runtime", "llama.cpp", "--quant", "awq"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GGUF/);
  });
  it("--ctx-size and --seq cannot disagree", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--quant", "q4_k_m", "--ctx-size", "8k", "--seq", "4096"]);
    expect(r.code).toBe(1);
  });
  it("ollama picks its context by the GPU's memory", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--runtime", "ollama", "--quant", "q4_k_m", "--gpu", "rtx-4090", "--json"]);
    const j = JSON.parse(r.out);
    expect(j.workload.seq).toBe(32768); // ≥ 23 GiB tier (ollama server/routes.go, PR #13946)
    expect(j.components.some((c: { id: string }) => c.id === "ollama_reserve")).toBe(true);
  });
});

describe("vramfit inspect", () => {
  it("prints parameters by dtype and where the facts came from", async () => {
    const r = await cli(["inspect", "qwen2.5-7b"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/parameters by dtype/);
    expect(r.out).toMatch(/7,615,616,512/);
  });
});
