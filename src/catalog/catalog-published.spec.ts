import { describe, expect, it } from "vitest";
import { catalogModel, catalogModelEntries } from "./models.js";

const BYTES: Record<string, number> = { fp32: 4, fp16: 2, bf16: 2 };

/**
 * Published totals that count something the loaded model does not hold, each with the reason.
 * Everything else in the catalog with a published figure must match exactly.
 */
const EXPLAINED: Record<string, string> = {
  "deepseek-v3": "published count includes the multi-token-prediction layer and fp8 scale tensors, which transformers does not load",
  "deepseek-r1": "as deepseek-v3",
  "falcon-180b": "checkpoint stores lm_head.weight, which FalconForCausalLM ties to the embeddings",
};

describe("catalog parameter counts equal published totals", () => {
  const entries = catalogModelEntries().filter((e) => e.published && !(e.id in EXPLAINED));
  it("has at least ten models with a published figure to check", () => {
    expect(entries.length).toBeGreaterThanOrEqual(10);
  });
  for (const e of entries) {
    it(e.id, () => {
      const m = catalogModel(e.id);
      const p = e.published!;
      if (p.total_size && p.dtype && BYTES[p.dtype]) {
        expect(m.parameters * BYTES[p.dtype]).toBe(p.total_size);
      } else if (p.parameters) {
        // Safetensors `total_parameters` counts a tied lm_head a second time when the file stores it.
        const tiedExtra = m.transformer!.tiedEmbeddings ? m.transformer!.vocab * m.transformer!.hidden : 0;
        expect([m.parameters, m.parameters + tiedExtra]).toContain(p.parameters);
      }
    });
  }
});

describe("catalog resolves every entry", () => {
  for (const e of catalogModelEntries()) {
    it(`${e.id} parses without fallback`, () => {
      const m = catalogModel(e.id);
      expect(m.parameters).toBeGreaterThan(1e6);
      expect(m.warnings.filter((w) => w.includes("not modelled exactly"))).toEqual([]);
    });
  }
});
