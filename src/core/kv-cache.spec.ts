import { describe, expect, it } from "vitest";
import { modelFromHfConfig } from "../models/hf-config.js";
import { kvCacheBytes } from "./kv-cache.js";
import { MiB } from "./units.js";

const llama2_7b = modelFromHfConfig(
  { model_type: "llama", hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, intermediate_size: 11008, vocab_size: 32000 },
  { kind: "config", ref: "llama-2-7b" },
).transformer!;

describe("KV cache", () => {
  it("Llama-2-7B, 2048 tokens, f16 = 1024 MiB (llama.cpp: 'KV buffer size = 1024.00 MiB', shared/tools/README.md)", () => {
    expect(kvCacheBytes(llama2_7b, { batch: 1, seq: 2048, kvDtype: "fp16", runtime: "llama.cpp" })).toBe(1024 * MiB);
  });
  it("q8_0 stores 34 bytes per 32 values; q4_0 18 bytes (ggml-common.h block structs)", () => {
    const values = 2 * 32 * 4096 * 2048;
    expect(kvCacheBytes(llama2_7b, { batch: 1, seq: 2048, kvDtype: "q8_0", runtime: "llama.cpp" })).toBe((values / 32) * 34);
    expect(kvCacheBytes(llama2_7b, { batch: 1, seq: 2048, kvDtype: "q4_0", runtime: "llama.cpp" })).toBe((values / 32) * 18);
  });
  it("GQA shrinks the cache by heads / kv_heads (Llama-3-8B: 8 of 32 heads → 128 KiB per token in bf16)", () => {
    const l3 = modelFromHfConfig(
      { model_type: "llama", hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256 },
      { kind: "config", ref: "l3" },
    ).transformer!;
    expect(kvCacheBytes(l3, { batch: 1, seq: 1, kvDtype: "bf16", runtime: "transformers" })).toBe(128 * 1024);
  });
  it("MLA caches 576 values per token per layer in vLLM/llama.cpp: DeepSeek-V3 = 70,272 B/token in bf16 (mechanics.md §4.1)", () => {
    const ds = modelFromHfConfig(
      {
        model_type: "deepseek_v3", hidden_size: 7168, num_hidden_layers: 61, num_attention_heads: 128, intermediate_size: 18432, vocab_size: 129280,
        kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, qk_nope_head_dim: 128, v_head_dim: 128,
        n_routed_experts: 256, num_experts_per_tok: 8, n_shared_experts: 1, moe_intermediate_size: 2048, first_k_dense_replace: 3,
      },
      { kind: "config", ref: "dsv3" },
    ).transformer!;
    expect(kvCacheBytes(ds, { batch: 1, seq: 1, kvDtype: "bf16", runtime: "vllm" })).toBe(70_272);
    // transformers' reference attention caches decompressed per-head K (192) and V (128): 71× more.
    expect(kvCacheBytes(ds, { batch: 1, seq: 1, kvDtype: "bf16", runtime: "transformers" })).toBe(61 * 128 * (192 + 128) * 2);
  });
  it("sliding-window layers hold at most the window", () => {
    const g2 = modelFromHfConfig(
      { model_type: "gemma2", hidden_size: 2304, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, intermediate_size: 9216, vocab_size: 256000, sliding_window: 4096 },
      { kind: "config", ref: "g2" },
    ).transformer!;
    const perLayerToken = 2 * 4 * 256 * 2;
    expect(kvCacheBytes(g2, { batch: 1, seq: 8192, kvDtype: "bf16", runtime: "transformers" })).toBe(perLayerToken * (13 * 8192 + 13 * 4096));
  });
  it("encoders have no KV cache", () => {
    const bert = modelFromHfConfig(
      { model_type: "bert", hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 30522 },
      { kind: "config", ref: "bert" },
    ).transformer!;
    expect(kvCacheBytes(bert, { batch: 8, seq: 512, kvDtype: "fp16", runtime: "transformers" })).toBe(0);
  });
});
