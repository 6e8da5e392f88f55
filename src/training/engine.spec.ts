/**
 * The training engine: component bytes against hand-derived figures from the sources, phase logic, clear
 * errors, and properties (more batch/seq never less memory; checkpointing never more activation memory;
 * LoRA never more than full fine-tuning).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { estimate } from "../index.js";
import { VramfitError } from "../core/errors.js";
import { COMMON_OPTIONS, parseWorkload as parseCommon, workloadSchema, type WorkloadInput } from "../core/workload.js";
import { TRAINING_OPTIONS, type TrainingWorkload } from "./options.js";

const schema = workloadSchema([...COMMON_OPTIONS, ...TRAINING_OPTIONS]);
const parseWorkload = (input: WorkloadInput, d: { seq: number }) => parseCommon(schema, input, d) as TrainingWorkload;
import { trainingEstimate } from "./engine.js";
import { logitsLoss } from "./logits-loss.js";

function train(model: string, input: WorkloadInput) {
  const m = catalogModel(model);
  return { m, r: trainingEstimate(m, parseWorkload({ mode: "train", ...input }, { seq: 2048 })) };
}
const bytesOf = (r: { components: { id: string; bytes: number }[] }, id: string) => r.components.filter((c) => c.id === id).reduce((s, c) => s + c.bytes, 0);
const phase = (r: { phases: { phase: string; allocated_bytes: number }[] }, name: string) => r.phases.find((p) => p.phase.startsWith(name))!.allocated_bytes;

describe("training state per parameter (transformers 'Model training anatomy': 18 B/param with mixed-precision AdamW)", () => {
  it("AMP AdamW at the optimizer step: 4 B master + 4 B grads + 8 B states (+ a foreach temporary of 4 B)", () => {
    const { m, r } = train("qwen2.5-1.5b", { batch: 1, seq: 16, precision: "amp-bf16" });
    expect(r.peak.phase).toBe("optimizer step");
    expect(bytesOf(r, "weights")).toBe(4 * m.parameters);
    expect(bytesOf(r, "gradients")).toBe(4 * m.parameters);
    expect(bytesOf(r, "optimizer_states")).toBe(8 * m.parameters);
    expect(bytesOf(r, "optimizer_step_temporaries")).toBe(4 * m.parameters);
  });
  it("AMP keeps 2-byte copies of the matmul weights for backward (the doc's '6 bytes per parameter')", () => {
    // Long sequence: the loss backward is the peak, with every layer's casts still saved.
    const { m, r } = train("qwen2.5-1.5b", { batch: 1, seq: 4096, optimizer: "sgd" });
    expect(r.peak.phase).toBe("backward (loss)");
    // Every linear weight plus the tied embedding used as lm_head; embeddings lookups and norms are not cast.
    const linear = m.tensors.filter((g) => g.kind === "linear").reduce((s, g) => s + g.shape[0] * g.shape[1] * g.count, 0);
    const emb = m.tensors.filter((g) => g.kind === "embedding").reduce((s, g) => s + g.shape[0] * g.shape[1] * g.count, 0);
    expect(bytesOf(r, "amp_weight_copies")).toBe(2 * (linear + emb));
  });
  it("pure bf16: weights, grads and AdamW states all in bf16 (2+2+4 B/param)", () => {
    const { m, r } = train("qwen2.5-1.5b", { batch: 1, seq: 16, precision: "bf16", optimizer_impl: "fused" });
    expect(bytesOf(r, "weights")).toBe(2 * m.parameters);
    expect(bytesOf(r, "optimizer_states")).toBe(4 * m.parameters);
    expect(bytesOf(r, "gradients")).toBe(2 * m.parameters);
  });
  it("optimizer offload puts states on the CPU and reports the host memory", () => {
    const { m, r } = train("qwen2.5-1.5b", { batch: 1, seq: 128, offload: "optimizer" });
    const cpu = r.components.filter((c) => c.location === "cpu");
    expect(cpu.find((c) => c.id === "optimizer_states")!.bytes).toBe(8 * m.parameters);
    expect(r.cpu_bytes).toBe(cpu.reduce((s, c) => s + c.bytes, 0));
    expect(r.components.some((c) => c.id === "optimizer_states" && c.location !== "cpu")).toBe(false);
  });
});

describe("logits and loss (transformers loss_utils.py ForCausalLMLoss)", () => {
  it("bf16 logits + fp32 upcast + log-softmax = 10·T·V inside the loss; CE backward 12·T·V", () => {
    const l = logitsLoss(1000, 128_256, 2, "standard");
    expect(l.forwardBytes).toBe(10 * 1000 * 128_256);
    expect(l.backwardBytes).toBe(12 * 1000 * 128_256);
  });
  it("fp32 logits need no upcast copy", () => {
    expect(logitsLoss(10, 100, 4, "standard").forwardBytes).toBe(8 * 1000);
  });
  it("a large vocabulary at long sequence makes the loss backward the peak of LoRA training", () => {
    const { r } = train("llama-3.1-8b", { batch: 1, seq: 8192, lora_rank: 16, checkpointing: true });
    expect(r.peak.phase).toBe("backward (loss)");
    expect(bytesOf(r, "logits")).toBe(12 * 8192 * 128_256);
  });
});

describe("phases", () => {
  it("reports the largest phase and lists only what is live then", () => {
    const { r } = train("llama-3.2-1b", { batch: 4, seq: 2048 });
    const max = Math.max(...r.phases.map((p) => p.allocated_bytes));
    const alloc = r.components.filter((c) => c.level === "allocated" && c.location !== "cpu").reduce((s, c) => s + c.bytes, 0);
    expect(alloc).toBe(max);
    // Forward-end peak has no gradients without accumulation (zero_grad(set_to_none=True)).
    const { r: f } = train("llama-3.2-1b", { batch: 8, seq: 4096, optimizer: "sgd" });
    expect(f.peak.phase.startsWith("backward") || f.peak.phase.startsWith("end of forward")).toBe(true);
    expect(f.components.some((c) => c.id === "optimizer_step_temporaries")).toBe(false);
  });
  it("gradient accumulation keeps gradients during forward and echoes the effective batch", () => {
    const a = estimate("llama-3.2-1b", { mode: "train", batch: 2, seq: 1024, grad_accum: 8 });
    const b = estimate("llama-3.2-1b", { mode: "train", batch: 2, seq: 1024, grad_accum: 1 });
    expect(a.workload.effective_batch).toBe(16);
    expect(a.totals.allocated_bytes).toBeGreaterThanOrEqual(b.totals.allocated_bytes);
    // Memory follows the micro-batch: accumulation over 8 is far below a batch of 16.
    const c = estimate("llama-3.2-1b", { mode: "train", batch: 16, seq: 1024 });
    expect(a.totals.allocated_bytes).toBeLessThan(c.totals.allocated_bytes);
  });
  it("paged optimizer states sit outside the allocator (device level)", () => {
    const { r } = train("llama-3.2-1b", { batch: 1, seq: 512, optimizer: "paged-adamw-8bit" });
    expect(r.components.find((c) => c.id === "optimizer_states")!.level).toBe("device");
  });
});

describe("bad input", () => {
  it("gives one clear error", () => {
    expect(() => estimate("llama-3.2-1b", { mode: "train", optimizer: "adamz" as never })).toThrow(/unknown optimizer 'adamz'/);
    expect(() => estimate("llama-3.2-1b", { mode: "train", quant: "nf4" })).toThrow(VramfitError);
    // Several GPUs without a sharding setting answer per GPU as DDP (src/frameworks/kit.ts); offloading DeepSpeed's
    // optimizer needs ZeRO stage 1 or more.
    expect(() => estimate("llama-3.2-1b", { mode: "train", gpus: 2, zero_stage: 0, offload: "optimizer" })).toThrow(VramfitError);
    expect(() => estimate("llama-3.2-1b", { mode: "train", framework: "nope" })).toThrow(/unknown framework 'nope'/);
    expect(() => estimate("llama-3.2-1b", { mode: "train", grad_accum: 0 })).toThrow(VramfitError);
    expect(() => estimate("llama-3.2-1b", { mode: "train", lora_rank: 8, lora_targets: "nope" })).toThrow(VramfitError);
  });
});

describe("properties", () => {
  const models = ["llama-3.2-1b", "qwen2.5-1.5b", "gpt2", "qwen3-0.6b", "bert-base-uncased"];
  const workload = fc.record({
    model: fc.constantFrom(...models),
    batch: fc.integer({ min: 1, max: 8 }),
    seq: fc.integer({ min: 16, max: 512 }),
    precision: fc.constantFrom("fp32", "amp-fp16", "amp-bf16", "bf16" as const),
    optimizer: fc.constantFrom("adamw", "sgd", "sgd-momentum", "adamw-8bit", "adafactor", "lion" as const),
    optimizer_impl: fc.constantFrom("foreach", "fused", "for-loop" as const),
    attention: fc.constantFrom("sdpa", "flash", "eager" as const),
    checkpointing: fc.boolean(),
    grad_accum: fc.integer({ min: 1, max: 4 }),
    lora: fc.boolean(),
  });
  const run = (x: { model: string; lora: boolean } & Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const { model, lora, ...rest } = x;
    return estimate(model, { mode: "train", ...(rest as WorkloadInput), ...(lora ? { lora_rank: 8, lora_targets: "all-linear" } : {}), ...extra });
  };

  it("more batch or a longer sequence never needs less memory", () => {
    fc.assert(
      fc.property(workload, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 256 }), (x, db, ds) => {
        const base = run(x).totals.allocated_bytes;
        expect(run(x, { batch: x.batch + db }).totals.allocated_bytes).toBeGreaterThanOrEqual(base);
        const maxSeq = x.model === "gpt2" ? 1024 : 512;
        expect(run(x, { seq: Math.min(maxSeq, x.seq + ds) }).totals.allocated_bytes).toBeGreaterThanOrEqual(base);
      }),
      { numRuns: 60 },
    );
  });

  it("checkpointing never needs more activation memory (nor more memory)", () => {
    fc.assert(
      fc.property(workload, (x) => {
        const on = run(x, { checkpointing: true });
        const off = run(x, { checkpointing: false });
        const m = catalogModel(x.model);
        const w = (ck: boolean) => parseWorkload({ mode: "train", ...(x as unknown as WorkloadInput), checkpointing: ck, ...(x.lora ? { lora_rank: 8, lora_targets: "all-linear" } : {}) }, { seq: x.seq });
        const fwdOn = phase(trainingEstimate(m, w(true)), "end of forward");
        const fwdOff = phase(trainingEstimate(m, w(false)), "end of forward");
        expect(fwdOn).toBeLessThanOrEqual(fwdOff);
        expect(on.totals.allocated_bytes).toBeLessThanOrEqual(off.totals.allocated_bytes);
      }),
      { numRuns: 60 },
    );
  });

  it("LoRA never needs more than full fine-tuning of the same model and settings", () => {
    // With plain SGD (no state) or Adafactor (factored, sublinear state) in fp32, full fine-tuning's peak can
    // be the loss backward over the same activations LoRA saves (LayerNorm models save nothing more for
    // trainable norms), and a rank-64 all-linear LoRA on GPT-2/BERT-base then exceeds it by the adapters'
    // bytes, which is real. The property holds whenever the optimizer keeps state per parameter.
    // In pure bf16/fp16 PEFT keeps the adapters in fp32 and casts each target's input to fp32 before lora_A,
    // and that copy is saved for backward: on a small model at long sequences those copies can outweigh the
    // optimizer state LoRA avoids (the next test), so this law is stated for fp32 and mixed precision.
    const stateful = fc.constantFrom("adamw", "adamw-8bit", "lion", "sgd-momentum" as const);
    const sameDtype = fc.constantFrom("fp32", "amp-fp16", "amp-bf16" as const);
    fc.assert(
      fc.property(workload, stateful, sameDtype, fc.integer({ min: 1, max: 64 }), (x, optimizer, precision, rank) => {
        const full = run({ ...x, optimizer, precision, lora: false });
        const lora = run({ ...x, optimizer, precision, lora: false }, { lora_rank: rank, lora_targets: "all-linear" });
        expect(lora.totals.allocated_bytes).toBeLessThanOrEqual(full.totals.allocated_bytes);
      }),
      { numRuns: 60 },
    );
  });

  it("in pure bf16, fp32 adapters save fp32 copies of their inputs: LoRA can then exceed full fine-tuning", () => {
    // The counterexample fast-check found (seed -1845520510): BERT-base, batch 2, 491 tokens, SGD with momentum.
    const x = { model: "bert-base-uncased", batch: 2, seq: 491, precision: "bf16", optimizer: "sgd-momentum", optimizer_impl: "foreach", attention: "sdpa", checkpointing: false, grad_accum: 1, lora: false };
    const full = run(x);
    const lora = run(x, { lora_rank: 3, lora_targets: "all-linear" });
    const acts = (r: typeof full) => r.components.find((c) => c.id === "activations")!.bytes;
    expect(acts(lora)).toBeGreaterThan(acts(full));
    // The same workload in mixed precision (fp32 master weights, fp32 adapters, no cast) obeys the law.
    const ampFull = run({ ...x, precision: "amp-bf16" });
    const ampLora = run({ ...x, precision: "amp-bf16" }, { lora_rank: 3, lora_targets: "all-linear" });
    expect(ampLora.totals.allocated_bytes).toBeLessThan(ampFull.totals.allocated_bytes);
  });
});

describe("offload", () => {
  it("parameter offload keeps two layers of weights and one layer of gradients on the GPU", () => {
    const { m, r } = train("llama-3.2-1b", { batch: 1, seq: 512, offload: "params" });
    const cpu = r.components.filter((c) => c.location === "cpu");
    expect(cpu.find((c) => c.id === "weights")!.bytes).toBe(4 * m.parameters);
    expect(cpu.find((c) => c.id === "optimizer_states")!.bytes).toBe(8 * m.parameters);
    const gpuWeights = r.components.find((c) => c.id === "weights" && c.location !== "cpu")!.bytes;
    expect(gpuWeights).toBeLessThan((4 * m.parameters) / 4);
    const { r: none } = train("llama-3.2-1b", { batch: 1, seq: 512 });
    expect(r.components.filter((c) => c.location !== "cpu" && c.level === "allocated").reduce((s, c) => s + c.bytes, 0)).toBeLessThan(none.components.filter((c) => c.level === "allocated").reduce((s, c) => s + c.bytes, 0) / 3);
  });
});
