import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { FIXTURES, hasShared, readJson } from "../test-support/paths.js";
import { modelFromHfConfig } from "./hf-config.js";

const BYTES: Record<string, number> = { fp32: 4, fp16: 2, bf16: 2 };

/**
 * Fixtures whose index total is not "parameters × one dtype", each for a stated reason (see
 * ../shared/fixtures/SOURCES.md): quantized saves, mixed-dtype saves, tied weights stored twice,
 * non-parameter buffers saved, or architectures handled by the generic fallback.
 */
const NOT_COMPARABLE: Record<string, string> = {
  "llama-2-13b-bnb-nf4": "bitsandbytes nf4 save",
  "llama-3.1-8b-instruct-bnb-int8": "bitsandbytes int8 save",
  "qwen3-14b-mlx-4bit": "MLX 4-bit save",
  "llama-3-8b-lexi": "some tensors saved in fp32 (total_size/2 exceeds the 8.03B parameters)",
  "llama-7b-pygmalion": "saves 32 rotary inv_freq buffers (2,048 values) that are not parameters",
  "falcon-180b-chat": "stores lm_head.weight although FalconForCausalLM ties it to the embeddings",
  "deepseek-ocr-2-deepseekv2-moe": "vision-language model (deepseek_vl_v2): its vision tower has no entry",
  "minimax-m1-456b": "router weights stored in fp32 (checked in src/catalog/catalog-published.spec.ts)",
  "llama-2-70b-lzlv": "index has no total_size",
  "qwen1-72b": "config has no torch_dtype (its count is checked exactly through the catalog entry qwen-72b)",
};

const dirs = hasShared ? fs.readdirSync(path.join(FIXTURES, "hf")) : [];

describe.skipIf(!hasShared)("parameter counts equal the safetensors index totals", () => {
  for (const d of dirs) {
    const cfgFile = path.join(FIXTURES, "hf", d, "config.json");
    const idxFile = path.join(FIXTURES, "hf", d, "model.safetensors.index.json");
    if (!fs.existsSync(cfgFile) || !fs.existsSync(idxFile) || d in NOT_COMPARABLE) continue;
    it(d, () => {
      const m = modelFromHfConfig(readJson(cfgFile), { kind: "config", ref: d });
      const idx = readJson(idxFile) as { metadata: { total_size: number } };
      const bytes = BYTES[m.storedDtype ?? ""];
      expect(bytes, "stored dtype known").toBeDefined();
      expect(m.parameters * bytes).toBe(idx.metadata.total_size);
    });
  }

  it("covers the families the index fixtures have", () => {
    const covered = dirs.filter((d) => fs.existsSync(path.join(FIXTURES, "hf", d, "model.safetensors.index.json")) && !(d in NOT_COMPARABLE));
    expect(covered.length).toBeGreaterThanOrEqual(12);
  });
});

describe("parameter counts equal published figures", () => {
  it("bert-base-uncased BertModel = 109,482,240 (torchinfo / HF model card 110M)", () => {
    const m = modelFromHfConfig(
      { model_type: "bert", architectures: ["BertModel"], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2 },
      { kind: "config", ref: "bert" },
    );
    expect(m.parameters).toBe(109_482_240);
  });
  it("gpt2 = 124,439,808", () => {
    const m = modelFromHfConfig({ model_type: "gpt2", n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257, n_positions: 1024 }, { kind: "config", ref: "gpt2" });
    expect(m.parameters).toBe(124_439_808);
  });
  it("opt-125m = 125,239,296 (OPT paper table 1 family, HF count)", () => {
    const m = modelFromHfConfig(
      { model_type: "opt", hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, ffn_dim: 3072, vocab_size: 50272, max_position_embeddings: 2048, word_embed_proj_dim: 768, do_layer_norm_before: true },
      { kind: "config", ref: "opt" },
    );
    expect(m.parameters).toBe(125_239_296);
  });
});

describe("model shapes", () => {
  it("DeepSeek-V3: MLA latent, 58 MoE layers of 256 experts, 671B total / 37B active", () => {
    if (!hasShared) return;
    const m = modelFromHfConfig(readJson(path.join(FIXTURES, "hf/deepseek-v3.1-base/config.json")), { kind: "config", ref: "dsv3" });
    expect(m.transformer!.mla!.kvLoraRank).toBe(512);
    expect(m.transformer!.moe!.moeLayers).toBe(58);
    expect(m.parameters).toBe(671_026_419_200);
    expect(Math.round(m.activeParameters / 1e9)).toBe(38);
  });
  it("Gemma 3 text has 5 sliding layers per full one", () => {
    if (!hasShared) return;
    const m = modelFromHfConfig(readJson(path.join(FIXTURES, "hf/medgemma-27b-it-gemma3/config.json")), { kind: "config", ref: "g3" });
    const types = m.transformer!.layerTypes;
    expect(types.filter((t) => t === "full").length).toBe(Math.floor(types.length / 6));
  });
  it("unknown model_type falls back with a warning, never silently", () => {
    const m = modelFromHfConfig({ model_type: "brand_new", hidden_size: 1024, num_hidden_layers: 4, num_attention_heads: 8, vocab_size: 1000, intermediate_size: 4096 }, { kind: "config", ref: "x" });
    expect(m.warnings.join(" ")).toMatch(/not modelled exactly/);
  });
  it("rejects nonsense with a clear error", () => {
    expect(() => modelFromHfConfig([], { kind: "config", ref: "x" })).toThrow(VramfitError);
    expect(() => modelFromHfConfig({ model_type: "llama", hidden_size: -5 }, { kind: "config", ref: "x" })).toThrow(/hidden_size/);
    expect(() => modelFromHfConfig({ model_type: "llama", hidden_size: 64 }, { kind: "config", ref: "x" })).toThrow(/num_hidden_layers/);
    expect(() => modelFromHfConfig({ model_type: "mystery" }, { kind: "config", ref: "x" })).toThrow(/unknown model_type/);
  });
});

describe.skipIf(!hasShared)("the generic fallback is labelled and still in the right range", () => {
  // deepseek_vl_v2 has no entry: the fallback reads its language_config (a DeepSeek-V2 MoE without MLA) and
  // says the vision tower is not counted; the index total includes the tower (SigLIP + SAM, ~0.45B).
  it("deepseek-ocr-2 (deepseek_vl_v2): language model exact, tower named as missing", () => {
    const d = "deepseek-ocr-2-deepseekv2-moe";
    const m = modelFromHfConfig(readJson(path.join(FIXTURES, "hf", d, "config.json")), { kind: "config", ref: d });
    const idx = readJson(path.join(FIXTURES, "hf", d, "model.safetensors.index.json")) as { metadata: { total_size: number } };
    expect(m.warnings.join(" ")).toMatch(/vision tower and projector are not/);
    expect(m.parameters).toBeLessThan(idx.metadata.total_size / 2);
    expect(m.parameters).toBeGreaterThan(0.85 * (idx.metadata.total_size / 2));
  });
});
