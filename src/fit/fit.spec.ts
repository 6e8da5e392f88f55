import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultEstimator } from "../default-estimator.js";
import { estimate } from "../index.js";
import type { TransformerModel } from "../core/model.js";
import { GiB } from "../core/units.js";
import { isVramfitError } from "../core/errors.js";
import { fitCommand, fitModel, parseBytes, parseDevices } from "./command.js";
import { MAX_FRACTION } from "./index.js";

const model = (id: string) => defaultEstimator.resolveModel(id) as TransformerModel;
const serving = (e: unknown) => (e as { serving: Record<string, number> }).serving;

describe("fit: llama.cpp", () => {
  it("keeps everything on a big GPU at the model's full context", () => {
    const r = fitModel(model("llama-3.1-8b"), { engine: "llama.cpp", devices: parseDevices(["h100-sxm"]), fixed: { quant: "q4_k_m" } });
    expect(r.fits).toBe(true);
    expect(r.context).toBe(131072);
    expect(r.flags.map((f) => f.flag)).toContain("-c 131072");
  });

  it("moves MoE experts to host memory before whole layers, and respects host RAM", () => {
    const r = fitModel(model("qwen3-30b-a3b"), { engine: "llama.cpp", devices: parseDevices(["rtx-3060"]), fixed: { quant: "q4_k_m" }, context: 32768, hostRamBytes: 64 * GiB });
    expect(r.fits).toBe(true);
    expect(r.options.n_cpu_moe ?? r.options.cpu_moe).toBeDefined();
    expect(r.options.n_gpu_layers).toBeUndefined();
    expect(r.host.needed_bytes).toBeLessThanOrEqual(64 * GiB);
    // With almost no host RAM nothing may move off the GPU: it does not fit.
    const tight = fitModel(model("qwen3-30b-a3b"), { engine: "llama.cpp", devices: parseDevices(["rtx-3060"]), fixed: { quant: "q4_k_m" }, context: 32768, hostRamBytes: 1 * GiB });
    expect(tight.fits).toBe(false);
  });

  it("splits layers over mixed cards in proportion to their budgets", () => {
    const r = fitModel(model("llama-3.1-70b"), { engine: "llama.cpp", devices: parseDevices(["rtx-4090,rtx-3060"]), fixed: { quant: "q4_k_m" }, context: 8192, hostRamBytes: 128 * GiB });
    expect(r.options.tensor_split).toBe("24,12");
    expect(r.devices).toHaveLength(2);
    for (const d of r.devices) expect(d.used_high_bytes).toBeLessThanOrEqual(d.budget_bytes);
  });

  it("answers a pasted llama-server command in its own flags, keeping the context it asks for", async () => {
    const r = await fitCommand("llama-server -m llama-3.1-70b --ctx-size 8192 -np 1", { devices: parseDevices(["rtx-4090"]), options: { quant: "q4_k_m" } });
    expect(r.context).toBe(8192);
    expect(r.flags[0].flag).toBe("--ctx-size 8192");
    expect(r.flags.some((f) => f.flag.startsWith("-ngl "))).toBe(true);
  });

  it("Ollama: num_ctx by the budget", async () => {
    const r = await fitCommand("ollama run qwen2.5:32b", { devices: parseDevices(["rtx-4090"]) });
    expect(r.fits).toBe(true);
    expect(r.flags[0].flag).toMatch(/^PARAMETER num_ctx \d+$/);
    expect(r.context).toBeLessThan(32768);
  });

  it("every plan that fits keeps each device under its budget at the high bound (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 6, max: 48 }), { minLength: 1, maxLength: 3 }), (gibs) => {
        const r = fitModel(model("qwen2.5-14b"), { engine: "llama.cpp", devices: parseDevices(gibs.map((g) => `${g}gb`)), fixed: { quant: "q4_k_m" }, hostRamBytes: 64 * GiB });
        if (!r.fits) return true;
        return r.devices.every((d) => d.used_high_bytes <= d.budget_bytes) && r.host.needed_bytes <= 64 * GiB;
      }),
      { numRuns: 12 },
    );
  });
});

describe("fit: vLLM and SGLang", () => {
  it("vLLM: the smallest tensor-parallel group that serves the full context, utilization at most 0.95", async () => {
    const r = await fitCommand("vllm serve llama-3.1-70b", { devices: parseDevices(["4xa100-80gb-sxm"]) });
    expect(r.fits).toBe(true);
    expect(r.context).toBe(131072);
    expect(Number(r.options.gpu_memory_utilization)).toBeLessThanOrEqual(MAX_FRACTION);
    const e = estimate("llama-3.1-70b", { ...r.options, gpu: "a100-80gb-sxm" });
    expect(serving(e).num_blocks * 16).toBeGreaterThanOrEqual(131072);
    expect(r.flags.map((f) => f.flag)).toContain(`--tensor-parallel-size ${r.options.gpus}`);
  });

  it("vLLM: a context asked for is kept; when it cannot fit, it says so", async () => {
    const r = await fitCommand("vllm serve llama-3.1-8b --max-model-len 131072", { devices: parseDevices(["rtx-4090"]) });
    expect(r.fits).toBe(false);
    expect(r.context).toBe(131072);
  });

  it("vLLM: an open context is lowered to what fits", async () => {
    const r = await fitCommand("vllm serve llama-3.1-8b", { devices: parseDevices(["rtx-4090"]) });
    expect(r.fits).toBe(true);
    expect(r.context).toBeLessThan(131072);
    expect(r.context).toBeGreaterThanOrEqual(4096);
  });

  it("SGLang: --mem-fraction-static and --context-length that fit, with the pool holding the context", async () => {
    const r = await fitCommand("python -m sglang.launch_server --model-path qwen2.5-32b --mem-frac 0.9", { devices: parseDevices(["2xh100-sxm"]), options: {} });
    expect(r.fits).toBe(true);
    expect(r.flags.find((f) => f.key === "mem_fraction_static")!.flag).toBe("--mem-frac 0.9");
    const open = await fitCommand("python -m sglang.launch_server --model-path qwen2.5-32b", { devices: parseDevices(["2xh100-sxm"]) });
    expect(open.fits).toBe(true);
    const e = estimate("qwen2.5-32b", { ...open.options, gpu: "h100-sxm" });
    expect(serving(e).max_total_num_tokens).toBeGreaterThanOrEqual(open.context);
  });
});

describe("fit: input", () => {
  it("reads GPU lists, counts and budgets", () => {
    expect(parseDevices(["2xh100-sxm", "rtx-4090"]).map((d) => d.gpu)).toEqual(["h100-sxm", "h100-sxm", "rtx-4090"]);
    expect(parseDevices(["rtx-4090,rtx-3090"], "20gb,10gb").map((d) => d.budgetBytes)).toEqual([20 * GiB, 10 * GiB]);
    expect(parseBytes("512mb", "x")).toBe(512 * 2 ** 20);
    for (const bad of [() => parseDevices([]), () => parseDevices(["999xh100-sxm"]), () => parseDevices(["a,b,c"], "1gb,2gb"), () => parseBytes("lots", "x")]) {
      try {
        bad();
        expect.unreachable();
      } catch (e) {
        expect(isVramfitError(e, "invalid_option")).toBe(true);
      }
    }
  });
});
