/**
 * The table against transformers itself: reference/transformers-counts.json holds the parameter counts
 * transformers 5.18.0 builds (meta device) for every catalog config and for each config class's defaults
 * (reference/defaults/<model_type>.json), written by reference/transformers-counts.py. Exact published totals
 * from index files are checked in src/catalog/catalog-published.spec.ts; this checks the layouts of every type,
 * including the ones without an index file here.
 *
 * Our count may exceed transformers' parameters by its persistent buffers (score-correction biases, BART's
 * final_logits_bias), which checkpoints store and the GPU holds; every other difference is listed with its reason.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { catalogModelEntries } from "../../catalog/models.js";
import { modelFromHfConfig, SUPPORTED_ARCHITECTURES } from "../hf-config.js";
import { tableTypes } from "./table.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const REF = path.join(here, "reference");
interface Count {
  class: string;
  parameters: number;
  persistent_buffers: number;
}
const ref = JSON.parse(fs.readFileSync(path.join(REF, "transformers-counts.json"), "utf8")) as { transformers: string; configs: Record<string, Count>; defaults: Record<string, Count> };

/** Where we differ from transformers on purpose, by how much, and why. */
const DIFFERENCES: Record<string, { reason: string; delta: (c: Record<string, unknown>) => number }> = {
  "t5-v1.1-xxl": {
    reason: "T5 v1.1 checkpoints store an untied lm_head (tie_word_embeddings: false); transformers 5.18 T5Config forces the tie, so it builds none",
    delta: (c) => (c.vocab_size as number) * (c.d_model as number),
  },
  "bart-base": {
    reason: "facebook/bart-base's config names BartModel, so transformers builds the bare encoder-decoder; we lay out the generation model (BartForConditionalGeneration), whose final_logits_bias buffer [1, vocab] the GPU holds",
    delta: (c) => c.vocab_size as number,
  },
};

/** Catalog entries whose config transformers reads differently from the model the catalog names. */
const NOT_COMPARED: Record<string, string> = {
  "ministral-3-3b": "the copy's top-level model_type is ministral3, which transformers maps to the text-only Ministral3Config (no tower); with model_type mistral3 transformers builds 3,849,090,048 parameters, our count",
  "deepseek-v2-lite": "the copied config lacks q_lora_rank (null in DeepSeek-V2-Lite's config.json); transformers then applies DeepseekV2Config's default 1536, we read it as null",
};

describe(`parameter counts equal transformers ${ref.transformers}'s`, () => {
  const entries = new Map(catalogModelEntries().map((e) => [`${e.id}.json`, e]));
  const check = (name: string, cfg: Record<string, unknown>, r: Count, id: string) => {
    const m = modelFromHfConfig(cfg, { kind: "config", ref: name });
    const diff = DIFFERENCES[id];
    if (diff) expect(m.parameters).toBe(r.parameters + diff.delta(cfg));
    else expect([r.parameters, r.parameters + r.persistent_buffers]).toContain(m.parameters);
  };
  for (const [file, r] of Object.entries(ref.configs)) {
    const e = entries.get(file);
    const id = file.replace(/\.json$/, "");
    if (!e || id in NOT_COMPARED) continue;
    it(`catalog ${id} (${r.class})`, () => check(file, e.config, r, id));
  }
  for (const [t, r] of Object.entries(ref.defaults)) {
    it(`${t} defaults (${r.class})`, () => {
      const cfg = JSON.parse(fs.readFileSync(path.join(REF, "defaults", `${t}.json`), "utf8")) as Record<string, unknown>;
      check(`${t} defaults`, cfg, r, t);
    });
  }

  it("covers most of the table and most of the catalog", () => {
    expect(Object.keys(ref.defaults).length).toBeGreaterThanOrEqual(75);
    const compared = Object.keys(ref.configs).filter((f) => entries.has(f)).length;
    expect(compared).toBeGreaterThanOrEqual(110);
  });
});

describe("the table", () => {
  it("reads at least 60 model_types exactly, with the ones the issue names", () => {
    expect(SUPPORTED_ARCHITECTURES.length).toBeGreaterThanOrEqual(60);
    for (const t of ["phi", "gptj", "mpt", "stablelm", "starcoder2", "cohere", "cohere2", "olmo", "olmo2", "internlm2", "chatglm", "glm", "glm4", "glm4_moe", "granite", "granitemoe", "exaone", "exaone4", "ernie4_5", "ernie4_5_moe", "hunyuan_v1_dense", "hunyuan_v1_moe", "smollm3", "bloom", "llama4", "minimax", "kimi_k2", "deepseek_v3", "bert", "xlm-roberta", "modernbert", "mamba", "jamba", "falcon_h1", "bamba", "granitemoehybrid", "nemotron_h", "qwen3_next", "lfm2", "rwkv", "t5", "bart", "whisper", "llava", "qwen2_vl", "qwen2_5_vl", "gemma3", "mistral3"]) {
      expect(SUPPORTED_ARCHITECTURES, t).toContain(t);
    }
  });

  it("every model_type has a test config: a catalog entry, or its config class's defaults checked above", () => {
    const catalogTypes = new Set<string>();
    for (const e of catalogModelEntries()) {
      catalogTypes.add(String(e.config.model_type));
      const text = (e.config.text_config ?? e.config.language_config) as Record<string, unknown> | undefined;
      if (text?.model_type) catalogTypes.add(String(text.model_type));
    }
    const tested = new Set([...catalogTypes, ...Object.keys(ref.defaults)]);
    // Aliases that share their entry's layout with a tested type.
    const aliases = new Set(["stablelm_epoch", "mixformer-sequential", "deci", "camembert", "ministral", "RefinedWebModel", "exaone", "nomic_bert"]);
    const untested = tableTypes().filter((t) => !tested.has(t) && !aliases.has(t));
    expect(untested).toEqual([]);
  });
});

describe("EXAONE 3 (remote code): the module tree transformers prints for EXAONE-3.0-7.8B-Instruct", () => {
  // ExaoneForCausalLM(transformer: wte Embedding(102400, 4096); h: 32 × ExaoneBlock(ln_1 RMSNorm; attn.attention
  // q_proj 4096→4096, k_proj/v_proj 4096→1024, out_proj 4096→4096, no bias; ln_2; mlp c_fc_0/c_fc_1 4096→14336,
  // c_proj 14336→4096); ln_f; lm_head 4096→102400) — quoted in a public model-notes README found by code search.
  it("lays out those modules with those shapes", () => {
    const m = modelFromHfConfig(
      { model_type: "exaone", activation_function: "silu", hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32, num_key_value_heads: 8, num_layers: 32, vocab_size: 102400, tie_word_embeddings: false, max_position_embeddings: 4096 },
      { kind: "config", ref: "exaone-3.0-7.8b" },
    );
    const h = 4096, I = 14336, L = 32, V = 102400;
    expect(m.parameters).toBe(V * h + L * (2 * h + h * h * 2 + 2 * h * 1024 + 3 * h * I) + h + V * h);
    expect(m.tensors.map((g) => g.name)).toContain("transformer.h.{L}.attn.attention.out_proj.weight");
    expect(m.tensors.map((g) => g.name)).toContain("transformer.h.{L}.mlp.c_fc_0.weight");
  });
});
