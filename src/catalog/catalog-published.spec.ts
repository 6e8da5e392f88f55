import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TransformerModel } from "../core/model.js";
import { type CatalogModelEntry, catalogModel, catalogModelEntries } from "./models.js";

// The published figures live in models/*.json (the bundled catalog leaves them out: bundle-omit.json).
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "models");
const files: CatalogModelEntry[] = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as CatalogModelEntry);

const BYTES: Record<string, number> = { fp32: 4, fp16: 2, bf16: 2 };

/**
 * Published totals that count something the loaded model does not hold, each with the reason.
 * Everything else in the catalog with a published figure must match exactly.
 */
const EXPLAINED: Record<string, string> = {
  "deepseek-v3": "published count includes the multi-token-prediction layer and fp8 scale tensors, which transformers does not load",
  "deepseek-r1": "as deepseek-v3",
};

/**
 * Published totals that differ from the model by an amount the checkpoint explains exactly: the test checks
 * published = parameters + extra, so the explanation itself is tested.
 */
const tiedHeadStored = (m: TransformerModel) => m.transformer.vocab * m.transformer.hidden;
const STORED_EXTRA: Record<string, { reason: string; extra: (m: TransformerModel) => number }> = {
  "falcon-180b": { reason: "the checkpoint stores lm_head.weight, which FalconForCausalLM ties to the embeddings", extra: tiedHeadStored },
  "falcon-40b": { reason: "the checkpoint (pytorch_model.bin) stores lm_head.weight although the head is tied", extra: tiedHeadStored },
  "falcon-7b": { reason: "the checkpoint (pytorch_model.bin) stores lm_head.weight although the head is tied", extra: tiedHeadStored },
  "llama-7b": { reason: "the checkpoint saves each layer's rotary inv_freq buffer (head_dim/2 values), which are not parameters", extra: (m) => m.transformer.layers * (m.transformer.headDim / 2) },
  "openpangu-embedded-7b": { reason: "the checkpoint saves each layer's rotary inv_freq buffer in fp32 (counted twice in total_size / 2 bytes)", extra: (m) => 2 * m.transformer.layers * (m.transformer.headDim / 2) },
  "minimax-m1": { reason: "the router weights (block_sparse_moe.gate, [experts, hidden] per layer) are stored in fp32 (counted twice in total_size / 2 bytes)", extra: (m) => m.transformer.moe!.moeLayers * m.transformer.moe!.experts * m.transformer.hidden },
};

describe("catalog parameter counts equal published totals", () => {
  const entries = files.filter((e) => e.published && !(e.id in EXPLAINED) && !(e.id in STORED_EXTRA));
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

describe("published totals that count stored extras match exactly once the extra is added", () => {
  for (const [id, { reason, extra }] of Object.entries(STORED_EXTRA)) {
    it(`${id}: ${reason}`, () => {
      const m = catalogModel(id);
      const p = files.find((e) => e.id === id)!.published!;
      const published = p.total_size && p.dtype && BYTES[p.dtype] ? p.total_size / BYTES[p.dtype] : p.parameters!;
      expect(m.parameters + extra(m)).toBe(published);
    });
  }
});

describe("catalog resolves every entry", () => {
  it("bundles every entry of models/", () => {
    expect(catalogModelEntries().map((e) => e.id).sort()).toEqual(files.map((e) => e.id).sort());
  });
  for (const e of catalogModelEntries()) {
    it(`${e.id} parses without fallback`, () => {
      const m = catalogModel(e.id);
      expect(m.parameters).toBeGreaterThan(1e6);
      expect(m.warnings.filter((w) => w.includes("not modelled exactly"))).toEqual([]);
    });
  }
});
