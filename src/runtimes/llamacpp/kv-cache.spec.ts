import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VramfitError } from "../../core/errors.js";
import type { TransformerShape } from "../../core/model.js";
import { llamaCppContextParams } from "./context-params.js";
import { transformerShapeFromGguf } from "../../ggml/shape.js";
import { llamaCppKvCache } from "./kv-cache.js";
import { printfMiB, readJsonl, readSpec } from "./test-data.js";

const MiB = 2 ** 20;
const records = readJsonl("bench/accuracy/llamacpp-cpu.jsonl");

function shapeOf(rec: Record<string, any>): TransformerShape {
  const spec = readSpec(rec.spec);
  return transformerShapeFromGguf(spec.metadata, { tensors: spec.tensors.map(([name]) => ({ name })), vocab: rec.n_vocab ?? 32000 }).shape;
}

describe("llamaCppKvCache vs llama.cpp's own KV lines (bench/accuracy/llamacpp-cpu.jsonl)", () => {
  it("covers at least ten architectures and a few hundred runs", () => {
    expect(new Set(records.map((r) => r.arch)).size).toBeGreaterThanOrEqual(10);
    expect(records.length).toBeGreaterThan(200);
  });

  for (const rec of records.filter((r) => !r.error)) {
    it(rec.id, () => {
      const opts = {
        nCtx: rec.n_ctx,
        nSeq: rec.n_seq,
        kvUnified: rec.kv_unified,
        typeK: rec.type_k,
        typeV: rec.type_v,
        flashAttn: rec.flash_attn,
        swaFull: rec.swa_full,
        nUbatch: rec.n_ubatch,
        nBatch: rec.n_batch,
        architecture: rec.arch,
      };
      expect(llamaCppContextParams(opts).nCtxSeq).toBe(rec.n_ctx_seq);
      // from what node-llama-cpp asked for (ctx x seqs padded to 256) to what llama.cpp used: each
      // sequence's share padded to 256 again (300 x 5 -> 1536 asked -> 5 x 512 = 2560 cells)
      const asked = Math.ceil((rec.config.ctx_per_seq * rec.config.seqs) / 256) * 256;
      const p = llamaCppContextParams({ nCtx: asked, nSeq: rec.n_seq, kvUnified: rec.kv_unified });
      expect([p.nCtx, p.nCtxSeq]).toEqual([rec.n_ctx, rec.n_ctx_seq]);
      const kv = llamaCppKvCache(shapeOf(rec), opts);
      expect(kv.cells).toBe(rec.kv_cells);
      expect(kv.swaCells).toBe(rec.kv_cells_swa ?? null);
      // one cache line per llama.cpp cache (non-SWA first, then SWA), each compared as llama.cpp prints it
      for (const cache of rec.kv_caches) {
        const layers = kv.perLayer.filter((l) => (cache.kind === "SWA" ? l.sliding : !l.sliding));
        expect(layers.length).toBe(cache.layers);
        const k = layers.reduce((s, l) => s + l.kBytes, 0);
        const v = layers.reduce((s, l) => s + l.vBytes, 0);
        expect(printfMiB(k)).toBe(cache.k_mib);
        expect(printfMiB(v)).toBe(cache.v_mib);
        expect(printfMiB(k + v)).toBe(cache.size_mib);
      }
      expect(rec.kv_buffer_mib.map(Number).reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(kv.totalBytes / MiB, 1);
    });
  }

  for (const rec of records.filter((r) => r.error)) {
    it(`${rec.id} is refused, as llama.cpp refused it`, () => {
      const c = rec.config;
      const opts = {
        nCtx: c.ctx_per_seq * c.seqs,
        nSeq: c.seqs,
        typeK: c.k,
        typeV: c.v,
        flashAttn: c.fa,
        nUbatch: c.ubatch,
        architecture: rec.arch,
      };
      expect(() => llamaCppKvCache(shapeOf(rec), opts)).toThrow(VramfitError);
    });
  }
});

describe("llamaCppKvCache vs published CUDA logs (bench/accuracy/llamacpp-published.jsonl)", () => {
  const base: TransformerShape = {
    layers: 32, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, vocab: 32000, intermediate: 14336,
    mlp: "gated", activation: "silu", norm: "rms", tiedEmbeddings: false, maxPositions: 32768,
    layerTypes: [], slidingWindow: null, moe: null, mla: null, encoderOnly: false, attentionDropout: 0, hiddenDropout: 0,
  };
  it("Mistral-7B-v0.2 at n_ctx 2048 and 32768: 'CUDA0 KV buffer size = 256.00 MiB' / '4096.00 MiB' (logdetective PR #106)", () => {
    expect(printfMiB(llamaCppKvCache(base, { nCtx: 2048, architecture: "llama" }).totalBytes)).toBe("256.00");
    expect(printfMiB(llamaCppKvCache(base, { nCtx: 32768, architecture: "llama" }).totalBytes)).toBe("4096.00");
  });
  it("Qwen3-Coder-30B-A3B, -c 65536, 4 slots, unified: '6144.00 MiB ( 65536 cells, 48 layers, 4/1 seqs)' (yuy4o/llm b7342)", () => {
    const kv = llamaCppKvCache({ ...base, layers: 48, hidden: 2048, heads: 32, kvHeads: 4 }, {
      nCtx: 65536, nSeq: 4, kvUnified: true, flashAttn: true, architecture: "qwen3moe",
    });
    expect(kv.cells).toBe(65536);
    expect(kv.nStream).toBe(1);
    expect(printfMiB(kv.totalBytes)).toBe("6144.00");
    expect(printfMiB(kv.kBytes)).toBe("3072.00");
  });
  it("pythia-2.8b at n_ctx 2048: 'KV self size = 640.00 MiB' (ggml-org/ci, V100)", () => {
    const kv = llamaCppKvCache({ ...base, hidden: 2560, heads: 32, kvHeads: 32, headDim: 80 }, { nCtx: 2048, architecture: "gptneox" });
    expect(printfMiB(kv.totalBytes)).toBe("640.00");
  });
});

describe("llamaCppKvCache properties", () => {
  const gemma3: TransformerShape = {
    layers: 48, hidden: 3840, heads: 16, kvHeads: 8, headDim: 256, vocab: 262208, intermediate: 15360,
    mlp: "gated", activation: "gelu", norm: "rms", tiedEmbeddings: true, maxPositions: 131072,
    layerTypes: [], slidingWindow: 1024, moe: null, mla: null, encoderOnly: false, attentionDropout: 0, hiddenDropout: 0,
  };
  it("more sequences or a longer context never need less KV memory", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(32, 128, 512, 2048),
        (ctx, dCtx, seq, dSeq, unified, swaFull, ub) => {
          const perSeq = (c: number, s: number) =>
            llamaCppKvCache(gemma3, { nCtx: c * s, nSeq: s, kvUnified: unified, swaFull, nUbatch: ub, architecture: "gemma3" }).totalBytes;
          // per-sequence context held fixed while sequences grow, and context grown at fixed sequences
          return perSeq(ctx, seq + dSeq) >= perSeq(ctx, seq) && perSeq(ctx + dCtx, seq) >= perSeq(ctx, seq);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("a quantized V cache without flash attention is one clear VramfitError", () => {
    expect(() => llamaCppKvCache(gemma3, { nCtx: 4096, typeV: "q8_0" })).toThrow(/flash attention/);
    expect(() => llamaCppKvCache(gemma3, { nCtx: 4096, typeK: "q3_k" })).toThrow(VramfitError);
  });
});
