/** The web build's catalog split (./catalog-split.ts) and the library's side of it (src/catalog/models.ts). */
import { describe, expect, it, vi } from "vitest";
import type catalogJson from "../src/catalog/catalog.generated.json";
import { splitCatalog } from "./catalog-split.js";
import { DEFAULT_MODEL } from "./src/defaults.js";

// src/catalog/models.ts as the web's first load sees it: the catalog without the configs but the default model's.
vi.mock("../src/catalog/catalog.generated.json", async () => {
  const { splitCatalog: split } = await import("./catalog-split.js");
  const real = (await vi.importActual<{ default: typeof catalogJson }>("../src/catalog/catalog.generated.json")).default;
  return { default: structuredClone(split(real, ["llama-3.1-8b"]).first) };
});
// The real catalog (this file's own import of the JSON is mocked too).
const full = structuredClone((await vi.importActual<{ default: typeof catalogJson }>("../src/catalog/catalog.generated.json")).default);

describe("catalog split for the web page's first load", () => {
  it("keeps every name and the default model's config; the rest of the configs go to the on-demand module", () => {
    const { first, configs } = splitCatalog(structuredClone(full), [DEFAULT_MODEL]);
    expect(first.models.map((m) => m.id)).toEqual(full.models.map((m) => m.id));
    expect(first.gpus).toEqual(full.gpus);
    expect(Object.keys(configs).length).toBe(full.models.length - 1);
    const kept = first.models.filter((m) => "config" in m).map((m) => m.id);
    expect(kept).toEqual([DEFAULT_MODEL]);
    for (const m of full.models) {
      const f = first.models.find((x) => x.id === m.id)!;
      expect({ ...f, config: "config" in f ? f.config : configs[m.id] }).toEqual(m);
    }
  });

  it("the library refuses a model whose config is not loaded yet, and gives the full catalog's model once it is", async () => {
    const models = await import("../src/catalog/models.js");
    expect(models.catalogConfigLoaded(DEFAULT_MODEL)).toBe(true);
    expect(models.catalogModel(DEFAULT_MODEL).parameters).toBeGreaterThan(8e9);
    const other = full.models.find((m) => m.id !== DEFAULT_MODEL && m.variants?.length)!;
    const variant = other.variants![0].id;
    expect(models.catalogConfigLoaded(other.id)).toBe(false);
    expect(models.catalogConfigLoaded(variant)).toBe(false);
    expect(models.catalogConfigLoaded("not-a-model")).toBe(true); // nothing to load: unknown names fail as before
    expect(() => models.catalogModel(other.id)).toThrow(/^reading the catalog's config\.json of /);
    models.addCatalogConfigs(splitCatalog(structuredClone(full), [DEFAULT_MODEL]).configs);
    expect(models.catalogConfigLoaded(variant)).toBe(true);
    const { modelFromHfConfig } = await import("../src/models/hf-config.js");
    expect(models.catalogModel(other.id).parameters).toBe(modelFromHfConfig(other.config, { kind: "catalog", ref: other.id }).parameters);
    expect(models.catalogModel(variant).hfId).toBe(other.variants![0].hf_id);
  });
});
