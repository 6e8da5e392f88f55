/**
 * The labelled fallback (fallback.ts): exact for ordinary dense and MoE decoders whose model_type has no entry,
 * explicit about every assumption, and refusing what it cannot read.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { catalogModelEntries } from "../../catalog/models.js";
import { isVramfitError } from "../../core/errors.js";
import { modelFromHfConfig } from "../hf-config.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const read = (cfg: Record<string, unknown>, ref = "x") => modelFromHfConfig(cfg, { kind: "config", ref });

describe("an unknown model_type with an ordinary layout is read exactly", () => {
  // Real configs whose layout is Llama's (dense or Mixtral-style experts), renamed to a model_type vramfit has
  // no entry for: the fallback must find every width, bias flag and expert key by itself.
  // (Not here: SmolLM3, whose configs leave tie_word_embeddings to the class default, and Orion, whose LayerNorms
  // sit under an rms_norm_eps key; the fallback reads both the common way and says so.)
  const ordinary = new Set(["llama", "mistral", "granite", "internlm", "ernie4_5", "mixtral", "phi3"]);
  const entries = catalogModelEntries().filter((e) => ordinary.has(String(e.config.model_type)));
  it("has real configs of several families to try", () => {
    expect(entries.length).toBeGreaterThanOrEqual(30);
    expect(new Set(entries.map((e) => e.config.model_type)).size).toBeGreaterThanOrEqual(5);
  });
  for (const e of entries) {
    it(`${e.id} (${String(e.config.model_type)}) as "my_new_model"`, () => {
      const exact = read(e.config, e.id);
      const guessed = read({ ...e.config, model_type: "my_new_model" }, e.id);
      expect(guessed.parameters).toBe(exact.parameters);
      expect(guessed.transformer.kvHeads).toBe(exact.transformer.kvHeads);
      expect(guessed.transformer.headDim).toBe(exact.transformer.headDim);
      expect(guessed.transformer.moe?.experts ?? 0).toBe(exact.transformer.moe?.experts ?? 0);
      expect(guessed.warnings.join(" ")).toMatch(/my_new_model" is not modelled exactly: read as a Llama-style decoder \(.*gated MLP/);
    });
  }
});

describe("the fallback reads the keys other families use and says what it assumed", () => {
  it("GPT-style keys: n_embd, n_layer, n_head, n_inner, activation_function → a plain MLP of n_inner, learned positions", () => {
    const m = read({ model_type: "gptish", n_embd: 1024, n_layer: 4, n_head: 16, n_inner: 3000, vocab_size: 5000, n_positions: 512, activation_function: "gelu_new", layer_norm_epsilon: 1e-5 });
    expect(m.transformer.mlp).toBe("plain");
    expect(m.transformer.intermediate).toBe(3000);
    expect(m.transformer.norm).toBe("layer");
    const w = m.warnings.join(" ");
    expect(w).toMatch(/plain MLP \(up, down\) for gelu_new/);
    expect(w).toMatch(/learned absolute positions/);
    expect(w).toMatch(/untied lm_head \(no tie_word_embeddings\)/);
    // 4 layers × (attention 4h² + biases-free MLP 2·h·I + 2 LayerNorms) + embeddings, positions, head, final norm.
    const h = 1024;
    expect(m.parameters).toBe(4 * (4 * h * h + 2 * h * 3000 + 4 * h) + 5000 * h + 512 * h + 5000 * h + 2 * h);
  });

  it("a per-layer MLP width list, multi_query, rotary fraction and expert keys", () => {
    const m = read({ model_type: "mixed", hidden_size: 512, num_hidden_layers: 2, num_attention_heads: 8, multi_query: true, intermediate_size: [1024, 2048], vocab_size: 1000, rotary_dim: 32, rms_norm_eps: 1e-6, tie_word_embeddings: true });
    expect(m.transformer.kvHeads).toBe(1);
    expect(m.transformer.intermediate).toBe(1536);
    const w = m.warnings.join(" ");
    expect(w).toMatch(/1 KV head\(s\) from multi_query/);
    expect(w).toMatch(/per-layer MLP widths averaged to 1536/);
    expect(w).toMatch(/rotary on part of each head \(rotary_dim 32\)/);
    const moe = read({ model_type: "moeish", hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, vocab_size: 100, num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 64, intermediate_size: 512, first_k_dense_replace: 1, n_shared_experts: 1, rms_norm_eps: 1e-6 });
    expect(moe.transformer.moe).toMatchObject({ experts: 8, expertsPerToken: 2, expertIntermediate: 64, moeLayers: 3, sharedExperts: 1 });
    expect(moe.warnings.join(" ")).toMatch(/8 experts of moe_intermediate_size \(num_experts\) with shared experts \(n_shared_experts\), layers: after first_k_dense_replace/);
  });

  it("refuses layer kinds it cannot lay out (recurrent / linear attention) instead of answering wrong", () => {
    const base = { model_type: "hybridish", hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, vocab_size: 100, intermediate_size: 512 };
    expect(() => read({ ...base, layer_types: ["linear_attention", "linear_attention", "linear_attention", "full_attention"] })).toThrow(/3 of 4 layers of kind linear_attention/);
    // Kimi-Linear's layout key (kimi_linear has no entry yet)
    expect(() => read({ ...base, model_type: "kimi_linear", linear_attn_config: { kda_layers: [1, 2, 3], full_attn_layers: [4] } })).toThrow(/hybrid layer pattern/);
    // sliding windows are still read
    expect(read({ ...base, layer_types: ["sliding_attention", "full_attention", "sliding_attention", "full_attention"], sliding_window: 64 }).transformer).toBeDefined();
  });

  it("real configs of types without an entry are labelled, with their assumptions", () => {
    for (const f of ["deepseek-v4-flash", "gemma-4-31b-it-nvfp4", "minimax-m3", "step-3.7-flash"]) {
      const e = JSON.parse(fs.readFileSync(path.join(here, "../../catalog/incoming", `${f}.json`), "utf8")) as { config: Record<string, unknown> };
      const m = read(e.config, f);
      expect(m.warnings.join(" "), f).toMatch(/is not modelled exactly: read as a Llama-style decoder \(.+\)/);
      expect(m.parameters).toBeGreaterThan(1e9);
    }
  });

  it("refuses a config without attention heads with one clear error", () => {
    try {
      read({ model_type: "rwkv5", hidden_size: 2560, num_hidden_layers: 32, vocab_size: 65536 });
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "unsupported")).toBe(true);
      expect(String((e as Error).message)).toMatch(/no attention heads/);
    }
  });
});
