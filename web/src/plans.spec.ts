/**
 * The "Multi-GPU plans" panel shows what the library's planner says for the page's inputs: the rows must be
 * plan()'s own plans (called here with hand-written PlanOptions that spell out the page's meaning), and the
 * engine configuration the same text `vramfit plan` prints (planCommand, the CLI's entry).
 */
import { describe, expect, it } from "vitest";
import { plan, planCommand, vllmServeFlags, type PlanJson, type ServingConfig } from "../../src/planner/index.js";
import { findPlans, PLANS_SHOWN, type PlansData } from "./plans.js";

const ok = (d: PlansData) => {
  if (!d.ok) throw new Error(`panel error: ${d.message}`);
  return d;
};
const rowsOf = (plans: ReturnType<typeof plan>["plans"]) =>
  plans.map((p) => ({ summary: p.summary, perGpuBytes: p.totals.device_bytes, speedFactor: p.speedFactor, costs: p.costs.map((c) => c.what) }));

describe("multi-GPU plans panel data", () => {
  it("training: the library's top plans for effective batch = batch × accumulation, and plan 1's config as the CLI prints it", async () => {
    const d = ok(await findPlans({ model: "llama-3.1-70b", gpu: "a100-80gb", opts: { mode: "train", batch: 4, grad_accum: 2, seq: 2048 } }, 4));
    const lib = plan("llama-3.1-70b", { mode: "train", gpu: "a100-80gb", gpus: 4, batch: 8, seq: 2048, limit: PLANS_SHOWN });
    expect(lib.plans.length).toBeGreaterThan(0);
    expect(d.rows.map(({ summary, perGpuBytes, speedFactor, costs }) => ({ summary, perGpuBytes, speedFactor, costs }))).toEqual(rowsOf(lib.plans));
    expect([d.batch, d.seq, d.gpus, d.evaluated]).toEqual([8, 2048, 4, lib.evaluated]);
    const cli = planCommand("llama-3.1-70b", { mode: "train", gpu: "a100-80gb", gpus: 4, batch: 8, seq: 2048, limit: PLANS_SHOWN }).json as PlanJson;
    expect(d.rows[0].engine.text).toBe(cli.engine_config!.text);
    expect(d.rows[0].engine.kind).toBe(cli.engine_config!.kind);
  });

  it("serving: vLLM plans with the page's KV dtype and sequences, each with its own vllm serve flags", async () => {
    const d = ok(await findPlans({ model: "llama-3.1-70b", gpu: "a100-80gb", opts: { batch: 16, seq: 8192, kv_dtype: "fp8" } }, 8));
    const lib = plan("llama-3.1-70b", { mode: "infer", gpu: "a100-80gb", gpus: 8, batch: 16, seq: 8192, kvDtype: "fp8", limit: PLANS_SHOWN });
    expect(lib.plans.length).toBeGreaterThan(1);
    expect(d.rows.map(({ summary, perGpuBytes, speedFactor, costs }) => ({ summary, perGpuBytes, speedFactor, costs }))).toEqual(rowsOf(lib.plans));
    // Every plan's flags, not only the first: replicas = GPUs / tensor-parallel size.
    lib.plans.forEach((p, i) => {
      const c = p.config as ServingConfig;
      expect(d.rows[i].engine.text).toBe(vllmServeFlags(lib.model, c, 8 / c.tp).text);
      expect(d.rows[i].engine.text).toContain(`--tensor-parallel-size ${c.tp}`);
    });
  });

  it("says why when the model cannot be planned", async () => {
    const d = await findPlans({ model: "file:gone.gguf", gpu: "a100-80gb", opts: { mode: "train" } }, 4);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.message).toMatch(/gone\.gguf is not loaded/);
  });
});
