import { describe, expect, it } from "vitest";
import path from "node:path";
import { createEstimator } from "../../core/estimator.js";
import { modelFromHfConfig } from "../../models/hf-config.js";
import { DEFAULT_PROFILES } from "../../profiles.js";
import { FIXTURES, readJson } from "../../test-support/paths.js";
import { readCatalogConfig } from "../../test-support/hybrid-models.js";

const est = createEstimator(DEFAULT_PROFILES);
const GiB = 2 ** 30;
const bert = modelFromHfConfig(readJson(path.join(FIXTURES, "hf/bert-base-uncased/config.json")), { kind: "config", ref: "bert-base-uncased" }, { id: "bert-base-uncased" });
const arctic = modelFromHfConfig(readCatalogConfig("snowflake-arctic-embed-m.json"), { kind: "config", ref: "snowflake-arctic-embed-m" }, { id: "snowflake-arctic-embed-m" });

describe("embedding and reranker models are served in batches, without a KV cache", () => {
  for (const m of [bert, arctic]) {
    it(`${m.id} (${(m.parameters / 1e6).toFixed(0)}M) in vLLM: weights + profile run, no cache blocks — not 90 % of the GPU`, () => {
      const e = est.estimate(m, { runtime: "vllm", gpu: "rtx-4090" });
      expect(e.components.find((c) => c.id === "kv_cache")).toBeUndefined();
      expect(e.totals.device_bytes).toBeLessThan(3 * GiB);
      expect(e.totals.device_bytes).toBeGreaterThan(m.parameters * 2);
      expect((e as any).serving.max_num_batched_tokens).toBe(32768);
      expect(e.assumptions.join(" ")).toMatch(/pooling runner/);
    });
    it(`${m.id} in transformers: last_hidden_state for the batch, no vocabulary logits, no KV cache`, () => {
      const e = est.estimate(m, { runtime: "transformers", batch: 64, seq: 512, dtype: "fp16" });
      expect(e.components.find((c) => c.id === "kv_cache")).toBeUndefined();
      const out = e.components.find((c) => c.id === "logits")!;
      expect(out.bytes).toBe(64 * 512 * m.transformer.hidden * 2 + 64 * m.transformer.hidden * 4);
      expect(e.totals.device_bytes).toBeLessThan(3 * GiB);
    });
  }
  it("a batch past the encoder's positions is refused with one clear error", () => {
    expect(() => est.estimate(bert, { runtime: "vllm", gpu: "rtx-4090", seq: 4096 })).toThrow(/512 positions/);
  });
  it("--task embed on a decoder warns that vLLM still pre-allocates its KV budget", () => {
    const qwen = modelFromHfConfig(readJson(path.join(FIXTURES, "hf/qwen2.5-3b/config.json")), { kind: "config", ref: "qwen2.5-3b" }, { id: "qwen2.5-3b" });
    const e = est.estimate(qwen, { runtime: "vllm", gpu: "rtx-4090", task: "embed", seq: 8192 });
    expect(e.warnings.join(" ")).toMatch(/pre-allocates KV blocks/);
    const t = est.estimate(qwen, { runtime: "transformers", task: "embed", seq: 2048, batch: 8 });
    expect(t.components.find((c) => c.id === "logits")!.label).toMatch(/pooled/);
  });
});
