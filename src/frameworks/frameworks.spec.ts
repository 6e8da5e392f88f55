/**
 * Training framework profiles: each framework's defaults and mechanisms as its sources state them
 * (docs/frameworks/<name>.md), trainable counts equal to what the framework prints, the losses and kernels moving
 * memory the way their code says, and multi-GPU answers per GPU through the planner's sharding.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { estimate } from "../index.js";
import { VramfitError } from "../core/errors.js";
import { TRAINING } from "../profiles.js";
import { planCommand } from "../planner/render.js";

const G = 2 ** 30;
const bytesOf = (e: { components: { id: string; bytes: number; location?: string }[] }, id: string) => e.components.filter((c) => c.id === id && c.location !== "cpu").reduce((s, c) => s + c.bytes, 0);
const train = (model: string, o: Record<string, unknown>) => estimate(model, { mode: "train", ...o } as never);

describe("profiles", () => {
  it("every framework is listed, names its version and its note, and echoes itself in the workload", () => {
    expect(TRAINING.map((t) => t.id)).toEqual(["transformers", "trl", "torchtune", "litgpt", "unsloth", "axolotl", "llama-factory"]);
    for (const t of TRAINING) {
      const e = train("llama-3.2-1b", { framework: t.id, seq: 512 });
      expect(e.workload.framework).toBe(t.id);
      expect(e.workload.framework_version).toBe(t.version);
      expect(e.assumptions.some((a) => a.startsWith(`framework: ${t.label} ${t.version} (docs/frameworks/`))).toBe(true);
    }
  });

  it("aliases select the Trainer profile and say so", () => {
    for (const alias of ["peft", "ms-swift", "deepspeed", "fsdp", "accelerate"]) {
      const e = train("llama-3.2-1b", { framework: alias, seq: 512 });
      expect(e.workload.framework).toBe("transformers");
      expect(e.assumptions).toContain(`framework ${alias}: modelled as transformers (transformers Trainer + PEFT)`);
    }
    try {
      train("llama-3.2-1b", { framework: "unslot" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VramfitError);
      expect((e as VramfitError).suggestion).toBe("did you mean unsloth?");
    }
  });

  it("framework defaults apply only to what the user left out, and are listed as such", () => {
    const e = train("llama-3.2-1b", { framework: "trl" });
    expect(e.workload.checkpointing).toBe(true);
    expect(e.workload.seq).toBe(1024);
    expect(e.workload.loss).toBe("chunked-lm-head");
    expect(e.assumptions).toContain("checkpointing true: trl's default");
    const off = train("llama-3.2-1b", { framework: "trl", checkpointing: false, loss: "standard", seq: 2048 });
    expect([off.workload.checkpointing, off.workload.loss, off.workload.seq]).toEqual([false, "standard", 2048]);
    expect(train("llama-3.2-1b", { framework: "torchtune" }).workload.precision).toBe("bf16");
    expect(train("llama-3.2-1b", { framework: "llama-factory" }).workload.checkpointing).toBe(true);
    expect(train("llama-3.2-1b", { framework: "axolotl" }).workload.precision).toBe("bf16");
    expect(train("llama-3.2-1b", { framework: "axolotl", lora_rank: 16 }).workload.precision).toBe("amp-bf16");
  });
});

describe("LoRA counts as each framework prints them", () => {
  it("Unsloth: r=16 on the 7 projections of Llama 3.1 8B = 41,943,040, QLoRA by default", () => {
    const e = train("llama-3.1-8b", { framework: "unsloth", seq: 2048 });
    expect(e.trainable_parameters).toBe(41_943_040);
    expect(e.workload.qlora).toBe(true);
  });
  it("LLaMA-Factory: lora_target all, rank 8 = every linear but the head (Llama 3.1 8B: 20,971,520)", () => {
    expect(train("llama-3.1-8b", { framework: "llama-factory", seq: 512 }).trainable_parameters).toBe(20_971_520);
    expect(train("llama-3.1-8b", { framework: "llama-factory", seq: 512, lora_rank: null }).trainable_parameters).toBe(catalogModel("llama-3.1-8b").parameters);
  });
  it("LitGPT: query+value slices of a fused QKV count r·k·in + r·Σ out, as PEFT on separate q/v projections", () => {
    const m = catalogModel("phi-3-mini");
    const s = m.transformer;
    const r = 8;
    const L = s.layers;
    const want = L * (r * 2 * s.hidden + r * (s.heads * s.headDim + s.kvHeads * s.headDim));
    expect(train("phi-3-mini", { framework: "litgpt", lora_rank: r, seq: 512 }).trainable_parameters).toBe(want);
    // A model with separate projections: the same count as PEFT's q_proj,v_proj.
    const lit = train("llama-2-7b", { framework: "litgpt", lora_rank: 8, seq: 512 }).trainable_parameters;
    const peft = train("llama-2-7b", { lora_rank: 8, lora_targets: "q_proj,v_proj", seq: 512 }).trainable_parameters;
    expect(lit).toBe(peft);
    expect(lit).toBe(4_194_304);
  });
});

describe("losses (logits-loss.ts)", () => {
  const loss = (o: Record<string, unknown>) => {
    const e = train("llama-3.1-8b", { lora_rank: 16, lora_targets: "q_proj,v_proj", optimizer: "adamw", optimizer_impl: "foreach", batch: 2, seq: 4096, checkpointing: true, ...o });
    return e.phases!.find((p) => p.phase === "backward (loss)")!.allocated_bytes;
  };
  it("orders the implementations by what they keep: standard > chunked eager > chunked compiled > fused", () => {
    const std = loss({});
    const eager = loss({ framework: "torchtune", precision: "amp-bf16", loss: "chunked" });
    const compiled = loss({ framework: "torchtune", precision: "amp-bf16", loss: "chunked", compile: true });
    const trl = loss({ loss: "chunked-lm-head" });
    const liger = loss({ loss: "fused-linear" });
    const cce = loss({ loss: "cut-cross-entropy" });
    expect(std).toBeGreaterThan(eager);
    expect(eager).toBeGreaterThan(compiled);
    expect(compiled).toBeGreaterThan(liger);
    // TRL's chunks keep no logits but copy a 16-bit lm_head weight to fp32 (w.float(): 4·V·H = 2.1 GB here).
    const m = catalogModel("llama-3.1-8b");
    expect(trl - liger).toBeGreaterThan(4 * m.transformer.vocab * m.transformer.hidden);
    expect(std).toBeGreaterThan(trl);
    // Neither keeps logits: both hold the input gradient T × H in backward.
    expect(Math.abs(liger - cce)).toBeLessThan(2 ** 20);
    // T·V = 8192 × 128256: the standard loss's backward holds 12·T·V, Liger about T·H·2 + one chunk.
    expect((std - liger) / G).toBeGreaterThan(10);
  });
  it("LitGPT's bf16-true chunked loss keeps bf16 log-probs, bf16-mixed fp32 ones", () => {
    const at = (precision: string) => bytesOf(train("llama-3.2-1b", { framework: "litgpt", precision, lora_rank: 8, seq: 1024, batch: 2 }), "logits");
    const m = catalogModel("llama-3.2-1b");
    const TV = 2048 * m.transformer.vocab;
    expect(at("bf16")).toBeGreaterThanOrEqual(4 * TV);
    expect(at("bf16")).toBeLessThan(4.6 * TV);
  });
});

describe("kernels and offloading", () => {
  const acts = (o: Record<string, unknown>) => bytesOf(train("llama-3.1-8b", { seq: 2048, batch: 1, optimizer: "sgd", loss: "standard", ...o }), "activations");
  it("Liger and torch.compile save less than transformers' modules: no fp32 norm copy, no SiLU output", () => {
    const eager = acts({ lora_rank: 16 });
    expect(acts({ lora_rank: 16, liger: true })).toBeLessThan(eager);
    expect(acts({ lora_rank: 16, compile: true })).toBe(acts({ lora_rank: 16, liger: true }));
  });
  it("fused LoRA ops (foak) save X once for q/k/v and X, gate, up for the MLP", () => {
    const all = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";
    expect(acts({ lora_rank: 16, lora_targets: all, foak: true })).toBeLessThan(acts({ lora_rank: 16, lora_targets: all, foak: false }));
  });
  it("activation offloading keeps two layers on the GPU and the rest in host memory", () => {
    const on = train("llama-3.1-8b", { lora_rank: 16, seq: 2048, checkpointing: true, activation_offload: true });
    const off = train("llama-3.1-8b", { lora_rank: 16, seq: 2048, checkpointing: true });
    const cpu = on.components.find((c) => c.id === "offloaded_activations")!;
    expect(cpu.location).toBe("cpu");
    expect(cpu.bytes).toBe(30 * 2048 * 4096 * 2);
    expect(on.totals.allocated_bytes).toBeLessThan(off.totals.allocated_bytes);
  });
});

describe("library versions behind QLoRA memory", () => {
  it("bitsandbytes < 0.43.2 keeps every 4-bit linear's input; prepare_model_for_kbit_training makes the checkpoints fp32", () => {
    const o = { qlora: true, lora_rank: 16, lora_targets: "q_proj,v_proj", seq: 2048, batch: 2, checkpointing: false, optimizer: "sgd", loss: "standard" };
    const act = (x: Record<string, unknown>) => bytesOf(train("llama-2-7b", { ...o, ...x }), "activations");
    expect(act({ bitsandbytes_version: "0.42.0" })).toBeGreaterThan(act({ bitsandbytes_version: "0.43.2" }));
    const ckpt = (x: Record<string, unknown>) => train("llama-2-7b", { ...o, checkpointing: true, ...x }).phases!.find((p) => p.phase === "end of forward (loss)")!.allocated_bytes;
    const m = catalogModel("llama-2-7b");
    // 32 checkpointed layer inputs of 4096 tokens: 4 B instead of 2 B per value, plus fp32 embeddings, norms and head.
    expect(ckpt({ kbit_fp32_upcast: true }) - ckpt({})).toBeGreaterThanOrEqual(32 * 4096 * m.transformer.hidden * 2);
  });
});

describe("multi-GPU per rank (the planner's sharding)", () => {
  it("8 × A100, ZeRO-3, LoRA r=16 on a 70B: one answer per GPU, the frozen base sharded eight ways", () => {
    const e = train("llama-3.1-70b", { gpus: 8, zero_stage: 3, lora_rank: 16, seq: 2048, checkpointing: true, gpu: "a100-80gb" });
    const m = catalogModel("llama-3.1-70b");
    // bf16 base + the adapters, sharded eight ways.
    expect(bytesOf(e, "weights") / ((2 * m.parameters) / 8)).toBeCloseTo(1, 2);
    expect(e.gpu?.fits).toBe(true);
    expect(e.uncertainty?.category).toBe("multi_gpu_training");
    expect(e.assumptions.some((a) => a.startsWith("8 GPUs, DeepSpeed ZeRO-3"))).toBe(true);
  });
  it("ZeRO stages shard more and more; FSDP full shard matches ZeRO-3's model states; offload moves them to the CPU", () => {
    const per = (o: Record<string, unknown>) => train("llama-3.1-8b", { gpus: 8, seq: 2048, checkpointing: true, ...o }).totals.allocated_bytes;
    const z1 = per({ zero_stage: 1 });
    const z2 = per({ zero_stage: 2 });
    const z3 = per({ zero_stage: 3 });
    expect(z1).toBeGreaterThan(z2);
    expect(z2).toBeGreaterThan(z3);
    expect(per({ zero_stage: 3, offload: "optimizer+params" })).toBeLessThan(z3);
    expect(per({ fsdp: "full_shard", cpu_offload: true })).toBeLessThan(per({ fsdp: "full_shard" }));
    expect(() => per({ fsdp: "shard_grad_op", cpu_offload: true })).toThrow(VramfitError);
  });
  it("without a sharding setting several GPUs are DDP: every GPU holds the whole model", () => {
    const one = train("llama-3.2-1b", { seq: 512 });
    const ddp = train("llama-3.2-1b", { seq: 512, gpus: 4 });
    expect(bytesOf(ddp, "weights")).toBe(bytesOf(one, "weights"));
    expect(ddp.assumptions.some((a) => a.includes("DDP"))).toBe(true);
  });
});

describe("the advisor proposes what the framework can change", () => {
  const advice = (framework: string) =>
    (planCommand("llama-3.1-8b", { mode: "train", gpu: "rtx-4090", gpus: 1, strategy: "ddp", method: "lora", microBatch: 2, batch: 2, seq: 4096, framework }).json as { advice: { change: string }[] }).advice.map((a) => a.change);
  it("TRL: offloaded activations; transformers: Liger's fused loss; torchtune: activation offloading", () => {
    expect(advice("trl").some((c) => c.startsWith("TRL SFTTrainer: offload activations"))).toBe(true);
    expect(advice("transformers").some((c) => c.startsWith("transformers Trainer + PEFT: Liger kernels"))).toBe(true);
    expect(advice("torchtune").some((c) => c.startsWith("torchtune: offload activations"))).toBe(true);
  });
});

describe("properties", () => {
  it("for every framework, a larger micro-batch never needs less memory", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRAINING.map((t) => t.id)), fc.integer({ min: 1, max: 4 }), fc.boolean(), (framework, batch, lora) => {
        const o = { framework, seq: 512, ...(lora ? { lora_rank: 8 } : {}) };
        const a = train("llama-3.2-1b", { ...o, batch }).totals.allocated_bytes;
        const b = train("llama-3.2-1b", { ...o, batch: batch + 1 }).totals.allocated_bytes;
        return b >= a;
      }),
      { numRuns: 25 },
    );
  });
});
