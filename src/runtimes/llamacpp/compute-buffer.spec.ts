import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { TransformerShape } from "../../core/model.js";
import { llamaCppComputeBuffer } from "./compute-buffer.js";
import { transformerShapeFromGguf } from "../../ggml/shape.js";
import { readJsonl, readSpec } from "./test-data.js";

const MiB = 2 ** 20;

describe("llamaCppComputeBuffer vs the CPU compute buffer llama.cpp reserves (bench/accuracy/llamacpp-cpu.jsonl)", () => {
  const recs = readJsonl("bench/accuracy/llamacpp-cpu.jsonl").filter((r) => !r.error && r.compute_buffer_mib_4dp);
  const errors = recs.map((r) => {
    const spec = readSpec(r.spec);
    const shape = transformerShapeFromGguf(spec.metadata, { tensors: spec.tensors.map(([name]) => ({ name })), vocab: r.n_vocab }).shape;
    const c = llamaCppComputeBuffer(
      shape,
      {
        nCtx: r.n_ctx, nSeq: r.n_seq, kvUnified: r.kv_unified, flashAttn: r.flash_attn, swaFull: r.swa_full,
        nUbatch: r.n_ubatch, nBatch: r.n_batch, architecture: r.arch,
        fusedQkv: spec.tensors.some(([name]) => name.includes("attn_qkv")),
      },
      "cpu",
    );
    const measured = Number(r.compute_buffer_mib_4dp) * MiB;
    return { id: r.id as string, err: (c.bytes - measured) / measured };
  });
  const within = (t: number) => errors.filter((e) => Math.abs(e.err) <= t).length / errors.length;

  it("has measurements on every architecture", () => {
    expect(errors.length).toBeGreaterThan(250);
  });
  // Stated tolerance: within 1% on 60% of runs (64% measured), 10% on 85%, never off by more than 20%.
  // The misses are all under-estimates: MLA attention (DeepSeek-V2-Lite), Mistral-Nemo's q width != n_embd,
  // and Llama-2's small vocabulary where the feed-forward block, not the logits, sets the size.
  it("is within 1% on at least 60% of runs", () => expect(within(0.01)).toBeGreaterThanOrEqual(0.6));
  it("is within 10% on at least 85% of runs", () => expect(within(0.1)).toBeGreaterThanOrEqual(0.85));
  it("is never off by more than 20%", () => {
    const worst = errors.reduce((a, b) => (Math.abs(b.err) > Math.abs(a.err) ? b : a));
    expect(Math.abs(worst.err), worst.id).toBeLessThanOrEqual(0.2);
  });
});

describe("llamaCppComputeBuffer vs published CUDA logs", () => {
  const base: TransformerShape = {
    layers: 32, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, vocab: 32000, intermediate: 14336,
    mlp: "gated", activation: "silu", norm: "rms", tiedEmbeddings: false, maxPositions: 32768,
    layerTypes: [], slidingWindow: null, moe: null, mla: null, encoderOnly: false, attentionDropout: 0, hiddenDropout: 0,
  };
  const cuda = (shape: TransformerShape, o: Parameters<typeof llamaCppComputeBuffer>[1]) => llamaCppComputeBuffer(shape, o, "cuda").bytes / MiB;
  it("Mistral-7B, no flash attention: 164.00 MiB at n_ctx 2048, 2144.00 MiB at 32768 (logdetective PR #106)", () => {
    expect(cuda(base, { nCtx: 2048 })).toBeCloseTo(164.0, 1);
    expect(cuda(base, { nCtx: 32768 })).toBeCloseTo(2144.0, 1);
  });
  it("pythia-2.8b (fused QKV), n_ctx 2048, no flash attention: 162.00 MiB (ggml-org/ci V100)", () => {
    const pythia = { ...base, hidden: 2560, heads: 32, kvHeads: 32, headDim: 80, vocab: 50304, intermediate: 10240, mlp: "plain" as const };
    expect(cuda(pythia, { nCtx: 2048, fusedQkv: true })).toBeCloseTo(162.0, 1);
  });
  it("phi-2, n_ctx 512: 105.00 MiB, set by the logits (llama.cpp eval-callback README)", () => {
    const phi2 = { ...base, hidden: 2560, heads: 32, kvHeads: 32, headDim: 80, vocab: 51200, intermediate: 10240, mlp: "plain" as const };
    expect(cuda(phi2, { nCtx: 512, fusedQkv: true })).toBeCloseTo(105.0, 1);
  });
  it("Qwen3-Coder-30B-A3B, 64k unified x4, flash attention: 300.75 MiB (yuy4o/llm b7342)", () => {
    const q = {
      ...base, layers: 48, hidden: 2048, heads: 32, kvHeads: 4, vocab: 151936, intermediate: 6144,
      moe: { experts: 128, expertsPerToken: 8, sharedExperts: 0, expertIntermediate: 768, moeLayers: 48 },
    };
    expect(cuda(q, { nCtx: 65536, nSeq: 4, kvUnified: true, flashAttn: true })).toBeCloseTo(300.75, 1);
  });
});

describe("llamaCppComputeBuffer properties", () => {
  const shape: TransformerShape = {
    layers: 42, hidden: 3584, heads: 16, kvHeads: 8, headDim: 256, vocab: 256000, intermediate: 14336,
    mlp: "gated", activation: "gelu", norm: "rms", tiedEmbeddings: true, maxPositions: 8192,
    layerTypes: [], slidingWindow: 4096, moe: null, mla: null, encoderOnly: false, attentionDropout: 0, hiddenDropout: 0,
  };
  it("a longer context, more sequences or a larger ubatch never need a smaller buffer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 0, max: 2048 }), fc.boolean(), fc.constantFrom<"cpu" | "cuda">("cpu", "cuda"),
        (ctx, dCtx, seq, ub, dUb, fa, backend) => {
          const f = (c: number, s: number, u: number) =>
            llamaCppComputeBuffer(shape, { nCtx: c * s, nSeq: s, nUbatch: u, nBatch: 8192, flashAttn: fa, architecture: "gemma2" }, backend).bytes;
          const b = f(ctx, seq, ub);
          return f(ctx + dCtx, seq, ub) >= b && f(ctx, seq + 1, ub) >= b && f(ctx, seq, ub + dUb) >= b;
        },
      ),
      { numRuns: 300 },
    );
  });
});
