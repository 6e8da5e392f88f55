import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { llamaCppEmbdR, llamaCppEmbdS, llamaCppStateCache, mamba2State, gatedDeltaNetState, kdaState, mambaState, rwkvState, shortConvState } from "../../core/state-cache.js";
import { hybridLayout } from "../../core/hybrid-config.js";
import { readCatalogConfig, shapeFromConfig, textConfig } from "../../test-support/hybrid-models.js";
import { llamaCppKvCache } from "./kv-cache.js";
import { printfMiB, readJsonl } from "./test-data.js";
import { modelFromHfConfig } from "../../models/hf-config.js";

// llama.cpp's own lines for recurrent and hybrid models (bench/llamacpp/recurrent_measure.py; specs in
// bench/llamacpp/specs; configs in src/catalog/models).
const records = readJsonl("bench/accuracy/llamacpp-recurrent-cpu.jsonl");
const CONFIGS: Record<string, () => Record<string, any>> = {
  "mamba-2.8b": () => readCatalogConfig("mamba-2.8b.json"),
  "nemotron-h-56b": () => readCatalogConfig("nemotron-h-56b.json"),
  "qwen3.5-27b": () => ({ ...textConfig(readCatalogConfig("qwen3.5-27b.json")) }),
  "lfm2-1.2b": () => readCatalogConfig("lfm2-1.2b.json"),
};

describe("llama.cpp recurrent-state (RS) buffer and hybrid KV cache vs llama.cpp's own lines (bench/accuracy/llamacpp-recurrent-cpu.jsonl)", () => {
  it("covers four architectures (mamba, nemotron_h, qwen35, lfm2) and every run loaded", () => {
    expect(new Set(records.map((r) => r.arch))).toEqual(new Set(["mamba", "nemotron_h", "qwen35", "lfm2"]));
    expect(records.length).toBeGreaterThanOrEqual(40);
    expect(records.filter((r) => r.error)).toEqual([]);
  });

  for (const rec of records) {
    it(rec.id, () => {
      const cfg = CONFIGS[rec.spec]();
      const shape = shapeFromConfig(cfg);
      // The RS buffer: r and s per recurrent layer, f32, one row per sequence; not a function of n_ctx.
      const rs = llamaCppStateCache(shape, { nSeq: rec.n_seq });
      expect(rs.rows).toBe(rec.rs.cells);
      expect(printfMiB(rs.rBytes)).toBe(rec.rs.r_mib);
      expect(printfMiB(rs.sBytes)).toBe(rec.rs.s_mib);
      expect(printfMiB(rs.totalBytes)).toBe(rec.rs.size_mib);
      // The KV cache holds only the attention layers (none for pure Mamba).
      const kv = llamaCppKvCache(shape, { nCtx: rec.n_ctx, nSeq: rec.n_seq, flashAttn: rec.config.fa, nUbatch: rec.n_ubatch, architecture: rec.arch });
      if (!rec.kv) {
        expect(kv.totalBytes).toBe(0);
        return;
      }
      expect(kv.perLayer.length).toBe(rec.kv.layers);
      expect(kv.cells).toBe(rec.kv.cells);
      expect(printfMiB(kv.kBytes)).toBe(rec.kv.k_mib);
      expect(printfMiB(kv.vBytes)).toBe(rec.kv.v_mib);
      expect(printfMiB(kv.totalBytes)).toBe(rec.kv.size_mib);
    });
  }
});

describe("the config reader's descriptions give the same bytes (src/models fills layerMixers / state from core/hybrid-config.ts)", () => {
  const FILES: Record<string, string> = { "mamba-2.8b": "mamba-2.8b.json", "nemotron-h-56b": "nemotron-h-56b.json", "qwen3.5-27b": "qwen3.5-27b.json", "lfm2-1.2b": "lfm2-1.2b.json" };
  for (const rec of records.filter((r) => r.config.seqs > 1 || r.config.ctx_per_seq === 4096)) {
    it(rec.id, () => {
      const shape = modelFromHfConfig(readCatalogConfig(FILES[rec.spec]), { kind: "config", ref: rec.spec }).transformer;
      expect(printfMiB(llamaCppStateCache(shape, { nSeq: rec.n_seq }).totalBytes)).toBe(rec.rs.size_mib);
      const kv = llamaCppKvCache(shape, { nCtx: rec.n_ctx, nSeq: rec.n_seq, flashAttn: rec.config.fa, nUbatch: rec.n_ubatch, architecture: rec.arch });
      expect(printfMiB(kv.totalBytes)).toBe(rec.kv?.size_mib ?? "0.00");
    });
  }
});

describe("llama.cpp n_embd_r / n_embd_s (llama-hparams.cpp) for the mixers without a measured file", () => {
  it("Mamba-1: (d_conv − 1)·d_inner and d_state·d_inner", () => {
    const s = mambaState({ inner: 5120, dState: 16, dConv: 4 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([3 * 5120, 16 * 5120]);
  });
  it("Mamba-2: (d_conv − 1)·(d_inner + 2·n_group·d_state) and d_state·d_inner", () => {
    const s = mamba2State({ inner: 4096, heads: 64, headDim: 64, groups: 8, dState: 128, dConv: 4 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([3 * (4096 + 2 * 8 * 128), 128 * 4096]);
  });
  it("gated DeltaNet as llama.cpp maps it (d_inner = value_dim, d_state = k_head_dim, n_group = k_heads)", () => {
    const s = gatedDeltaNetState({ kHeads: 16, vHeads: 32, kDim: 128, vDim: 128, dConv: 4 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([3 * (4096 + 2 * 16 * 128), 128 * 4096]);
  });
  it("KDA: 3·(d_conv − 1)·n_head·head_dim and head_dim²·n_head", () => {
    const s = kdaState({ heads: 32, headDim: 128, dConv: 4 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([3 * 3 * 4096, 128 * 128 * 32]);
  });
  it("LFM2 short conv: n_embd·(L_cache − 1), no s", () => {
    const s = shortConvState({ hidden: 2048, lCache: 3 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([2 * 2048, 0]);
  });
  it("RWKV-6: token_shift_count·n_embd and n_embd·head_size", () => {
    const s = rwkvState({ version: 6, hidden: 2048, headSize: 64 });
    expect([llamaCppEmbdR(s), llamaCppEmbdS(s)]).toEqual([2 * 2048, 2048 * 64]);
  });
  it("the RS buffer never depends on the context and grows linearly with sequences", () => {
    const shape = shapeFromConfig(readCatalogConfig("nemotron-3-nano-30b-a3b.json"));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), (n) => {
        const one = llamaCppStateCache(shape, { nSeq: 1 }).totalBytes;
        expect(llamaCppStateCache(shape, { nSeq: n }).totalBytes).toBe(one * n);
      }),
    );
  });
});

describe("hybridLayout reads the layer pattern from real configs", () => {
  it("Nemotron-H-56B: 118 layers = 54 Mamba-2 + 10 attention + 54 MLP", () => {
    const l = hybridLayout("nemotron_h", readCatalogConfig("nemotron-h-56b.json"))!;
    expect(l.layers).toBe(118);
    expect(["state", "attention", "none"].map((k) => l.layerMixers.filter((m) => m === k).length)).toEqual([54, 10, 54]);
  });
  it("Nemotron-3-Nano keeps its SSM state in fp32 (mamba_ssm_cache_dtype)", () => {
    expect(hybridLayout("nemotron_h", readCatalogConfig("nemotron-3-nano-30b-a3b.json"))!.state.ssmDtype).toBe("fp32");
  });
  it("Qwen3.5-27B: every 4th layer full attention, 48 gated-DeltaNet layers, fp32 state (mamba_ssm_dtype)", () => {
    const l = hybridLayout("qwen3_5_text", textConfig(readCatalogConfig("qwen3.5-27b.json")))!;
    expect(l.layerMixers.filter((m) => m === "state").length).toBe(48);
    expect(l.state.recurrentShape).toEqual([48, 128, 128]);
    expect(l.state.ssmDtype).toBe("fp32");
  });
  it("LFM2-1.2B: attention at full_attn_idxs, 10 short-conv layers", () => {
    const l = hybridLayout("lfm2", readCatalogConfig("lfm2-1.2b.json"))!;
    expect(l.layerMixers.map((m, i) => (m === "attention" ? i : -1)).filter((i) => i >= 0)).toEqual([2, 5, 8, 10, 12, 14]);
  });
  it("plain transformers have no layout", () => {
    expect(hybridLayout("llama", { num_hidden_layers: 32, hidden_size: 4096 })).toBeNull();
  });
  it("a hostile pattern is one invalid_file error", () => {
    expect(() => hybridLayout("nemotron_h", { hybrid_override_pattern: "MX*" })).toThrow(/hybrid_override_pattern/);
    expect(() => hybridLayout("lfm2", { num_hidden_layers: 4, hidden_size: 8, full_attn_idxs: [9] })).toThrow(/layer indices/);
    expect(() => hybridLayout("mamba", { num_hidden_layers: -3, hidden_size: 8 })).toThrow(/layer count/);
  });
});

describe("GGUF metadata → layout (core/hybrid-config.ts hybridLayoutFromGguf), on the very metadata llama.cpp loaded", async () => {
  const { hybridLayoutFromGguf } = await import("../../core/hybrid-config.js");
  const { readSpec } = await import("./test-data.js");
  for (const rec of records.filter((r) => r.config.ctx_per_seq === 4096 && r.config.ubatch === 512 && !r.config.fa)) {
    it(rec.id, () => {
      const meta = readSpec(rec.spec).metadata;
      const layout = hybridLayoutFromGguf(rec.arch, meta)!;
      const shape = { ...shapeFromConfig(CONFIGS[rec.spec]()), layerMixers: layout.layerMixers, state: layout.state };
      const rs = llamaCppStateCache(shape, { nSeq: rec.n_seq });
      expect([printfMiB(rs.rBytes), printfMiB(rs.sBytes)]).toEqual([rec.rs.r_mib, rec.rs.s_mib]);
      expect(rs.layers.length).toBe(shapeFromConfig(CONFIGS[rec.spec]()).layerMixers!.filter((m) => m === "state").length);
    });
  }
  it("other architectures have no layout; a short per-layer array is refused", () => {
    expect(hybridLayoutFromGguf("llama", { "llama.block_count": 32 })).toBeNull();
    expect(() => hybridLayoutFromGguf("lfm2", { "lfm2.block_count": 4, "lfm2.attention.head_count_kv": [0, 8], "lfm2.embedding_length": 8, "lfm2.shortconv.l_cache": 3 })).toThrow(/2 values for 4 layers/);
  });
});
