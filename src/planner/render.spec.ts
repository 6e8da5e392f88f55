/**
 * Engine configurations follow the engines' own rules, and planCommand gives JSON and text in one call.
 */
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { VramfitError } from "../core/errors.js";
import { accelerateConfig, deepspeedConfig, megatronArgs, vllmServeFlags } from "./configs.js";
import { planCommand, type PlanJson } from "./render.js";
import type { TrainingConfig } from "./types.js";

const llama = catalogModel("llama-3.1-8b");
const base: TrainingConfig = { dataParallel: "zero3", dp: 8, tp: 1, pp: 1, ep: 1, cp: 1, microBatch: 2, gradAccum: 4, checkpointing: true, precision: "amp-bf16", optimizer: "adamw", method: "full", loraRank: 16, offload: "optimizer+params", offloadDevice: "cpu", gpusPerNode: 8 };

describe("engine configurations", () => {
  it("DeepSpeed: train_batch_size = micro × accumulation × data-parallel GPUs (DeepSpeed's batch rule), stage and offload sections", () => {
    const cfg = JSON.parse(deepspeedConfig(llama, base).text);
    expect(cfg.train_batch_size).toBe(2 * 4 * 8);
    expect(cfg.train_micro_batch_size_per_gpu).toBe(2);
    expect(cfg.gradient_accumulation_steps).toBe(4);
    expect(cfg.zero_optimization.stage).toBe(3);
    expect(cfg.zero_optimization.offload_optimizer.device).toBe("cpu");
    expect(cfg.zero_optimization.offload_param.device).toBe("cpu");
    expect(cfg.bf16.enabled).toBe(true);
    // HF's "auto": reduce_bucket_size = hidden², prefetch = 0.9·hidden², persistence = 10·hidden
    expect(cfg.zero_optimization.reduce_bucket_size).toBe(4096 * 4096);
    expect(cfg.zero_optimization.stage3_param_persistence_threshold).toBe(40960);
    const z2 = JSON.parse(deepspeedConfig(llama, { ...base, dataParallel: "zero2", offload: "none" }).text);
    expect(z2.zero_optimization.stage).toBe(2);
    expect(z2.zero_optimization.offload_optimizer).toBeUndefined();
  });

  it("accelerate FSDP: sharding strategy, the decoder layer to wrap, offload and process count", () => {
    const y = accelerateConfig(llama, { ...base, dataParallel: "fsdp_hybrid", dp: 16, offload: "none" }).text;
    expect(y).toMatch(/distributed_type: FSDP/);
    expect(y).toMatch(/fsdp_sharding_strategy: HYBRID_SHARD/);
    expect(y).toMatch(/fsdp_transformer_layer_cls_to_wrap: LlamaDecoderLayer/);
    expect(y).toMatch(/fsdp_offload_params: false/);
    expect(y).toMatch(/num_processes: 16/);
    expect(y).toMatch(/num_machines: 2/);
    expect(accelerateConfig(llama, { ...base, dataParallel: "ddp", offload: "none" }).text).toMatch(/distributed_type: MULTI_GPU/);
  });

  it("Megatron: parallel sizes, global batch and recomputation", () => {
    const a = megatronArgs(llama, { ...base, dataParallel: "zero1", tp: 4, pp: 2, dp: 1, offload: "none" }).text;
    expect(a).toMatch(/--tensor-model-parallel-size 4/);
    expect(a).toMatch(/--pipeline-model-parallel-size 2/);
    expect(a).toMatch(/--global-batch-size 8/);
    expect(a).toMatch(/--sequence-parallel/);
    expect(a).toMatch(/--use-distributed-optimizer/);
  });

  it("vLLM: serve flags", () => {
    const f = vllmServeFlags(llama, { runtime: "vllm", tp: 2, quant: "fp8", kvDtype: "fp8", maxModelLen: 16384, gpuMemoryUtilization: 0.9, enforceEager: false }).text;
    expect(f).toMatch(/^vllm serve meta-llama\/Llama-3.1-8B/);
    expect(f).toMatch(/--tensor-parallel-size 2 --max-model-len 16384 --gpu-memory-utilization 0.9 --quantization fp8 --kv-cache-dtype fp8/);
  });
});

describe("planCommand", () => {
  it("search: JSON lists plans that fit with per-GPU bytes and an engine config; text says the same", () => {
    const { json, text } = planCommand("llama-3.1-8b", { mode: "train", gpu: "a100-80gb-sxm", gpus: 8, batch: 32, seq: 2048, limit: 3 });
    const j = json as PlanJson;
    expect(j.plans.length).toBe(3);
    for (const p of j.plans) expect(p.per_gpu_bytes).toBeLessThanOrEqual(j.gpu.memory_bytes);
    expect(j.engine_config).toBeDefined();
    expect(text).toContain(j.plans[0].summary);
    expect(text).toContain("Engine configuration for plan 1");
  });

  it("check one configuration that does not fit: advice with savings", () => {
    const { json, text } = planCommand("llama-3.1-8b", { mode: "train", gpu: "rtx-4090", gpus: 2, batch: 8, seq: 2048, strategy: "ddp", microBatch: 1, checkpointing: true });
    const j = json as PlanJson;
    expect(j.plans.length).toBe(0);
    expect(j.nearest).toBeDefined();
    expect(j.advice.length).toBeGreaterThan(0);
    expect(text).toMatch(/To make it fit/);
  });

  it("bad options give one clear error", () => {
    expect(() => planCommand("llama-3.1-8b", { mode: "train", gpu: "a100-80gb-sxm", gpus: 8, methods: "full,dora" })).toThrow(VramfitError);
    expect(() => planCommand("llama-3.1-8b", { mode: "train", gpu: "a100-80gb-sxm", gpus: 3, batch: 4 })).toThrow(/batch/);
    expect(() => planCommand("llama-3.1-8b", { mode: "train", gpu: "a100-80gb-sxm", gpus: 8, strategy: "zero9" as never })).toThrow(/strategy/);
  });
});

describe("planCommand for one serving configuration", () => {
  it("Qwen2.5-72B bf16 on one 80 GB GPU: vLLM does not start; the advice includes 4-bit weights or more TP", () => {
    const { json, text } = planCommand("qwen2.5-72b", { mode: "infer", gpu: "a100-80gb-sxm", gpus: 2, tp: 1, batch: 8, seq: 8192 });
    const j = json as PlanJson;
    expect(j.plans.length).toBe(0);
    expect(j.advice.some((a) => a.fits && /tensor-parallel-size 2|AWQ/.test(a.change))).toBe(true);
    expect(text).toMatch(/To make it fit/);
  });
});
