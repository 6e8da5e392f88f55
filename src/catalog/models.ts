/** The built-in model catalog: real config.json files, addressable by short id, HF id or alias. */
import { closest, VramfitError } from "../core/errors.js";
import type { TransformerModel } from "../core/model.js";
import { modelFromHfConfig } from "../models/hf-config.js";
import data from "./catalog.generated.json" with { type: "json" };

export interface CatalogModelEntry {
  id: string;
  hf_id: string;
  name?: string;
  aliases?: string[];
  source?: { repo?: string; path?: string; commit?: string; note?: string };
  published?: { total_size?: number; dtype?: string; parameters?: number; source?: string };
  config: Record<string, unknown>;
}

const entries = (data as { models: CatalogModelEntry[] }).models;
const byKey = new Map<string, CatalogModelEntry>();
for (const e of entries) {
  for (const k of [e.id, e.hf_id, ...(e.aliases ?? [])]) if (k) byKey.set(k.toLowerCase(), e);
}
const parsed = new Map<string, TransformerModel>();

export function catalogModelEntries(): readonly CatalogModelEntry[] {
  return entries;
}

export function findCatalogModel(spec: string): CatalogModelEntry | undefined {
  return byKey.get(spec.trim().toLowerCase());
}

/** The model description of a catalog entry (parsed once). */
export function catalogModel(spec: string): TransformerModel {
  const entry = findCatalogModel(spec);
  if (!entry) {
    const hint = closest(spec, entries.map((e) => e.id));
    throw new VramfitError("unknown_model", `unknown model '${spec}'`, { suggestion: hint.length ? `did you mean ${hint.join(", ")}? (vramfit models lists them all)` : "run `vramfit models` for the catalog, or give a Hugging Face id, a path or a parameter count like 7b" });
  }
  let m = parsed.get(entry.id);
  if (!m) {
    const origin = entry.source ? [entry.source.repo, entry.source.path, entry.source.commit].filter(Boolean).join(" ") : undefined;
    m = modelFromHfConfig(entry.config, { kind: "catalog", ref: entry.id, origin }, { id: entry.id, hfId: entry.hf_id });
    parsed.set(entry.id, m);
  }
  return m;
}
