/**
 * The advisor's promises: listed plans fit (by the planner and, for one GPU, by the core estimator), keep
 * the effective batch, more GPUs never need more memory per GPU, and suggestions do what they say.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpus.js";
import { catalogModel } from "../catalog/models.js";
import { estimate } from "../index.js";
import { gpuUsableBytes } from "../core/gpu.js";
import { makeItFit, plan } from "./advisor.js";
import { evaluateServingPlan } from "./serving-plan.js";
import { evaluateTrainingPlan, trainingCosts } from "./training-plan.js";
import type { ServingConfig, TrainingConfig } from "./types.js";
import type { DataParallel } from "./zero.js";

const llama8b = catalogModel("llama-3.1-8b");
const a100 = findGpu("a100-80gb-sxm");
const base: TrainingConfig = { dataParallel: "zero2", dp: 8, tp: 1, pp: 1, ep: 1, cp: 1, microBatch: 1, gradAccum: 1, checkpointing: true, precision: "amp-bf16", optimizer: "adamw", method: "full", loraRank: 16, offload: "none", offloadDevice: "cpu", gpusPerNode: 8 };

describe("more GPUs never need more memory per GPU for the same plan", () => {
  it("holds for every data-parallel strategy, offload, method and micro-batch (dp ≥ 2)", () => {
    const strategies: DataParallel[] = ["ddp", "zero1", "zero2", "zero3", "fsdp_full", "fsdp_hybrid", "fsdp_grad_op"];
    fc.assert(
      fc.property(
        fc.constantFrom(...strategies),
        fc.constantFrom("none", "optimizer", "optimizer+params"),
        fc.constantFrom("full", "lora", "qlora"),
        fc.constantFrom(1, 2, 4),
        fc.boolean(),
        fc.constantFrom(1, 2),
        fc.constantFrom(1, 2),
        (dpS, offload, method, micro, ckpt, tp, pp) => {
          if (offload === "optimizer" && !dpS.startsWith("zero")) return;
          if (offload === "optimizer+params" && !["zero3", "fsdp_full", "fsdp_hybrid"].includes(dpS)) return;
          let prev = Infinity;
          for (const dp of [2, 4, 8, 16, 64]) {
            const c = { ...base, dataParallel: dpS, offload, method, microBatch: micro, checkpointing: ckpt, tp, pp, dp } as TrainingConfig;
            const bytes = evaluateTrainingPlan(llama8b, c, a100, { seq: 1024 }).totals.device_bytes;
            expect(bytes).toBeLessThanOrEqual(prev);
            prev = bytes;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("serving: a larger tensor-parallel degree never needs more per GPU nor holds fewer sequences", () => {
    const m = catalogModel("qwen2.5-32b");
    let prevBytes = Infinity;
    let prevSeqs = -1;
    for (const tp of [1, 2, 4, 8]) {
      const c: ServingConfig = { runtime: "vllm", tp, quant: null, kvDtype: "bf16", maxModelLen: 8192, gpuMemoryUtilization: 0.9, enforceEager: false };
      const r = evaluateServingPlan(m, c, a100, tp);
      const weights = r.components.find((x) => x.id === "weights")!.bytes;
      expect(weights).toBeLessThanOrEqual(prevBytes);
      expect(r.maxSequences!).toBeGreaterThanOrEqual(prevSeqs);
      prevBytes = weights;
      prevSeqs = r.maxSequences!;
    }
  });
});

describe("every plan listed as fitting fits", () => {
  const scenarios = [
    { model: "llama-3.1-8b", gpu: "a100-80gb-sxm", gpus: 8, batch: 64, seq: 4096 },
    { model: "qwen2.5-14b", gpu: "rtx-4090", gpus: 4, batch: 16, seq: 2048 },
    { model: "llama-3.1-8b", gpu: "rtx-4090", gpus: 1, batch: 8, seq: 2048 },
  ];
  for (const s of scenarios) {
    it(`${s.model} on ${s.gpus} × ${s.gpu}: fits by re-evaluation, keeps the effective batch, and one-GPU plans fit by estimate()`, () => {
      const r = plan(s.model, { mode: "train", gpu: s.gpu, gpus: s.gpus, batch: s.batch, seq: s.seq, limit: 50 });
      expect(r.plans.length).toBeGreaterThan(0);
      const gpu = findGpu(s.gpu);
      for (const p of r.plans) {
        const c = p.config as TrainingConfig;
        expect(c.microBatch * c.gradAccum * c.dp).toBe(s.batch);
        expect(c.dp * c.tp * c.pp * c.cp).toBe(s.gpus);
        const again = evaluateTrainingPlan(r.model, c, gpu, { seq: s.seq });
        expect(again.totals.device_bytes).toBeLessThanOrEqual(gpuUsableBytes(gpu));
        if (c.dp * c.tp * c.pp === 1 && c.dataParallel === "ddp" && c.offload === "none") {
          const e = estimate(s.model, { mode: "train", gpu: s.gpu, batch: c.microBatch, grad_accum: c.gradAccum, seq: s.seq, checkpointing: c.checkpointing, precision: c.precision, optimizer: c.optimizer as never, ...(c.method !== "full" ? { lora_rank: c.loraRank, lora_targets: "all-linear", qlora: c.method === "qlora" } : {}) });
          expect(e.gpu!.fits).toBe(true);
        }
      }
      // ranked: fidelity never decreases down the list
      for (let i = 1; i < r.plans.length; i++) expect(r.plans[i].fidelity).toBeGreaterThanOrEqual(r.plans[i - 1].fidelity);
    });
  }

  it("serving plans hold the wanted sequences by the vLLM estimator", () => {
    const r = plan("llama-3.1-70b", { mode: "infer", gpu: "a100-80gb-sxm", gpus: 4, batch: 32, seq: 8192 });
    expect(r.plans.length).toBeGreaterThan(0);
    for (const p of r.plans) {
      const c = p.config as ServingConfig;
      const e = estimate("llama-3.1-70b", { runtime: "vllm", gpu: "a100-80gb-sxm", gpus: c.tp, quant: c.quant as never, kv_dtype: c.kvDtype as never, max_model_len: c.maxModelLen, seq: c.maxModelLen });
      const replicas = Math.floor(4 / c.tp);
      expect(Math.min(e.serving!.max_sequences, e.serving!.max_num_seqs) * replicas).toBeGreaterThanOrEqual(32);
    }
  });
});

describe("make it fit", () => {
  const rtx = findGpu("rtx-4090");
  it("full fine-tuning Llama-3.1-8B with DDP on two 24 GB cards: each suggestion saves what it says, and QLoRA fits", () => {
    const c: TrainingConfig = { ...base, dataParallel: "ddp", dp: 2, microBatch: 1, gradAccum: 4, checkpointing: true };
    const now = evaluateTrainingPlan(llama8b, c, rtx, { seq: 2048 });
    expect(now.fits).toBe(false);
    const advice = makeItFit(llama8b, c, rtx, { seq: 2048 });
    expect(advice.length).toBeGreaterThan(3);
    for (const a of advice) {
      expect(a.perGpuBytes).toBe(now.totals.device_bytes - a.savingBytes);
      expect(a.savingBytes).toBeGreaterThan(0);
    }
    expect(advice.some((a) => a.fits && /QLoRA/.test(a.change))).toBe(true);
    // fitting changes come first
    const firstNonFit = advice.findIndex((a) => !a.fits);
    if (firstNonFit >= 0) expect(advice.slice(firstNonFit).every((a) => !a.fits)).toBe(true);
  });

  it("8-bit AdamW saves 6 bytes per trainable parameter of optimizer state under DDP (8 → 2 B, bitsandbytes)", () => {
    const c: TrainingConfig = { ...base, dataParallel: "ddp", dp: 2, checkpointing: true };
    const s32 = evaluateTrainingPlan(llama8b, c, rtx, { seq: 512 }).components.find((x) => x.id === "optimizer_states")!.bytes;
    const s8 = evaluateTrainingPlan(llama8b, { ...c, optimizer: "adamw-8bit" }, rtx, { seq: 512 }).components.find((x) => x.id === "optimizer_states")!.bytes;
    expect((s32 - s8) / llama8b.parameters).toBeCloseTo(6, 1);
  });
});

describe("parallel layouts", () => {
  it("pipeline bubble is (p − 1)/(m + p − 1) of the step (GPipe; Narayanan et al. 2021 §2.2)", () => {
    const cost = trainingCosts({ ...base, pp: 4, gradAccum: 4 }).find((c) => /pipeline/.test(c.what))!;
    expect(1 - 1 / cost.factor).toBeCloseTo(3 / 7, 6);
  });

  it("tensor parallel t splits model states and activations by t (sequence parallel)", () => {
    // a long, un-checkpointed micro-batch so that forward/backward is the peak on both
    const c: TrainingConfig = { ...base, dataParallel: "ddp", dp: 1, microBatch: 8, checkpointing: false };
    const one = evaluateTrainingPlan(llama8b, c, a100, { seq: 4096 });
    const four = evaluateTrainingPlan(llama8b, { ...c, tp: 4 }, a100, { seq: 4096 });
    expect(one.peak).toBe("forward/backward");
    expect(four.peak).toBe("forward/backward");
    const get = (r: typeof one, id: string) => r.components.find((x) => x.id === id)?.bytes ?? 0;
    let norms = 0;
    for (const g of llama8b.tensors) if (g.kind === "norm") norms += g.shape.reduce((a, b) => a * b, 1) * g.count;
    const share = norms / llama8b.parameters; // replicated on every TP rank
    expect(get(four, "optimizer_states") / get(one, "optimizer_states")).toBeCloseTo((1 - share) / 4 + share, 4);
    expect(share).toBeGreaterThan(0);
    expect(get(four, "activations") / get(one, "activations")).toBeCloseTo(0.25, 3);
  });

  it("expert parallel divides only the expert weights (Qwen3-30B-A3B)", () => {
    const moe = catalogModel("qwen3-30b-a3b");
    const h100 = findGpu("h100-sxm");
    const c: TrainingConfig = { ...base, dataParallel: "ddp", dp: 8, method: "full" };
    const e1 = evaluateTrainingPlan(moe, c, h100, { seq: 1024 }).components.find((x) => x.id === "optimizer_states")!.bytes;
    const e8 = evaluateTrainingPlan(moe, { ...c, ep: 8 }, h100, { seq: 1024 }).components.find((x) => x.id === "optimizer_states")!.bytes;
    let expert = 0;
    for (const g of moe.tensors) if (g.expert) expert += g.shape.reduce((a, b) => a * b, 1) * g.count;
    const f = expert / moe.parameters;
    expect(e8 / e1).toBeCloseTo(1 - f + f / 8, 3);
    expect(f).toBeGreaterThan(0.9);
  });
});
