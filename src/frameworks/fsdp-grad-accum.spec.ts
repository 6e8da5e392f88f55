/**
 * FSDP1 gradient memory under gradient accumulation and frozen parameters (issue #16): no_sync() keeps every unit's
 * gradient unsharded until the synchronising micro-batch, and use_orig_params=True with frozen and LoRA weights in one
 * unit gives the frozen weights gradients too (PyTorch FullyShardedDataParallel docstring, pytorch@6d71f74c; Lightning
 * Fabric's no_backward_sync, LitGPT finetune/*.py). Measured: lit-gpt resource tables (bench/accuracy/incoming/
 * training-multi-gpu.jsonl, litgpt-rt-*-2xa100) print per-rank peaks above the 1-GPU figure, as these mechanisms say.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate } from "../index.js";

const bytesOf = (e: { components: { id: string; bytes: number; location?: string }[] }, id: string) => e.components.filter((c) => c.id === id && c.location !== "cpu").reduce((s, c) => s + c.bytes, 0);
const train = (o: Record<string, unknown>) => estimate("llama-2-7b", { mode: "train", seq: 512, batch: 1, gpus: 2, fsdp: "full_shard", ...o } as never);

describe("FSDP gradients under no_sync and use_orig_params", () => {
  it("no_sync with accumulation keeps the full (unsharded) gradients; without accumulation it changes nothing", () => {
    const base = { framework: "transformers", precision: "bf16", grad_accum: 8 };
    const sharded = train({ ...base, fsdp_no_sync: false });
    const unsharded = train({ ...base, fsdp_no_sync: true });
    expect(bytesOf(unsharded, "gradients")).toBeGreaterThanOrEqual(2 * bytesOf(sharded, "gradients") - 2);
    expect(unsharded.components.some((c) => c.id === "fsdp_unsharded_grads")).toBe(false);
    const ga1 = train({ ...base, grad_accum: 1, fsdp_no_sync: true });
    const ga1off = train({ ...base, grad_accum: 1, fsdp_no_sync: false });
    expect(ga1.totals.allocated_bytes).toBe(ga1off.totals.allocated_bytes);
  });

  it("use_orig_params with LoRA: gradients for every decoder-layer parameter, not only the adapters", () => {
    const lora = { framework: "transformers", precision: "bf16", lora_rank: 8, grad_accum: 1 };
    const frozenApart = train({ ...lora, fsdp_use_orig_params: false });
    const mixed = train({ ...lora, fsdp_use_orig_params: true });
    // Llama 2 7B: 32 layers of 202M parameters, bf16 gradients sharded over 2 GPUs ≈ 6.5 GB per GPU.
    expect(bytesOf(mixed, "gradients")).toBeGreaterThan(6e9);
    expect(bytesOf(frozenApart, "gradients")).toBeLessThan(0.1e9);
  });

  it("LitGPT on several devices accumulates under no_backward_sync by default", () => {
    const e = train({ framework: "litgpt", lora_rank: 8, grad_accum: 4 });
    expect(e.workload.fsdp_no_sync).toBe(true);
    const one = estimate("llama-2-7b", { mode: "train", framework: "litgpt", seq: 512 } as never);
    expect(one.workload.fsdp_no_sync).toBe(false);
  });

  it("law: turning either switch on never lowers the per-GPU total", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.constantFrom(2, 4, 8), fc.boolean(), fc.constantFrom("full_shard", "shard_grad_op", "hybrid_shard"), (ga, gpus, lora, fsdp) => {
        const o = { framework: "transformers", precision: "bf16", grad_accum: ga, gpus, fsdp, ...(lora ? { lora_rank: 8 } : {}) };
        const off = train({ ...o, fsdp_no_sync: false, fsdp_use_orig_params: false }).totals.allocated_bytes;
        const sync = train({ ...o, fsdp_no_sync: true, fsdp_use_orig_params: false }).totals.allocated_bytes;
        const both = train({ ...o, fsdp_no_sync: true, fsdp_use_orig_params: true }).totals.allocated_bytes;
        expect(sync).toBeGreaterThanOrEqual(off);
        expect(both).toBeGreaterThanOrEqual(sync);
      }),
      { numRuns: 40 },
    );
  });
});
