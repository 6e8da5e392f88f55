/** The built-in model catalog: real config.json files, addressable by short id, HF id or alias. */
import { closest, VramfitError } from "../core/errors.js";
import type { TransformerModel } from "../core/model.js";
import { modelFromHfConfig } from "../models/hf-config.js";
import data from "./catalog.generated.json" with { type: "json" };

/**
 * Another checkpoint that shares this entry's config.json (the same shapes, context length and vocabulary):
 * an Instruct/chat/base sibling or a re-release. It keeps its own id and Hub id in every answer and
 * generated command; its description is built from the entry's config. A sibling whose config differs
 * (another context length or vocabulary) is an entry of its own, never a variant.
 */
export interface CatalogVariant {
  id: string;
  hf_id: string;
  aliases?: string[];
  note?: string;
}

export interface CatalogModelEntry {
  id: string;
  hf_id: string;
  name?: string;
  aliases?: string[];
  variants?: CatalogVariant[];
  /** Set on the entry findCatalogModel returns for a variant: the id of the entry whose config it shares. */
  variant_of?: string;
  source?: { repo?: string; path?: string; commit?: string; note?: string };
  published?: { total_size?: number; dtype?: string; parameters?: number; source?: string };
  /** Always present in the library; the web page's first load has only its default model's (see addCatalogConfigs). */
  config: Record<string, unknown>;
}

const entries = (data as { models: CatalogModelEntry[] }).models;
const byKey = new Map<string, CatalogModelEntry>();
for (const e of entries) {
  for (const k of [e.id, e.hf_id, ...(e.aliases ?? [])]) if (k) byKey.set(k.toLowerCase(), e);
  for (const v of e.variants ?? []) {
    // The variant as an entry of its own name, sharing the config (and nothing else: no published figure).
    const ve: CatalogModelEntry = {
      id: v.id, hf_id: v.hf_id, name: v.id, aliases: v.aliases ?? [], variant_of: e.id, source: e.source,
      get config() {
        return e.config;
      },
    };
    for (const k of [v.id, v.hf_id, ...(v.aliases ?? [])]) if (k) byKey.set(k.toLowerCase(), ve);
  }
}
const parsed = new Map<string, TransformerModel>();

export function catalogModelEntries(): readonly CatalogModelEntry[] {
  return entries;
}

/** Every variant with the entry it shares its config with. */
export function catalogVariants(): readonly { variant: CatalogVariant; entry: CatalogModelEntry }[] {
  return entries.flatMap((entry) => (entry.variants ?? []).map((variant) => ({ variant, entry })));
}

/** The entry for a catalog id, Hub id or alias; for a variant, an entry named as the variant (variant_of says whose config). */
export function findCatalogModel(spec: string): CatalogModelEntry | undefined {
  return byKey.get(spec.trim().toLowerCase());
}

/**
 * The web page's first load ships the catalog's names with only its default model's config.json (a build
 * step, web/catalog-split.ts, keeps the bundle small) and adds the others here when another model is asked
 * for. The library's catalog has every config from the start, so there this is never needed.
 */
export function catalogConfigLoaded(spec: string): boolean {
  const e = findCatalogModel(spec);
  return e === undefined || e.config !== undefined;
}

/** Gives entries without a config.json theirs (by entry id); variants follow their entry. */
export function addCatalogConfigs(configs: Readonly<Record<string, Record<string, unknown>>>): void {
  for (const e of entries) if (e.config === undefined && configs[e.id] !== undefined) e.config = configs[e.id];
}

/** The model description of a catalog entry or variant (parsed once), named as the user's spec names it. */
export function catalogModel(spec: string): TransformerModel {
  const entry = findCatalogModel(spec);
  if (!entry) {
    const hint = closest(spec, entries.map((e) => e.id));
    throw new VramfitError("unknown_model", `unknown model '${spec}'`, { suggestion: hint.length ? `did you mean ${hint.join(", ")}? (vramfit models lists them all)` : "run `vramfit models` for the catalog, or give a Hugging Face id, a path or a parameter count like 7b" });
  }
  if (entry.config === undefined) throw new VramfitError("network", `reading the catalog's config.json of ${entry.id}…`);
  let m = parsed.get(entry.id);
  if (!m) {
    const from = entry.source ? [entry.source.repo, entry.source.path, entry.source.commit].filter(Boolean).join(" ") : undefined;
    const base = entry.variant_of ? entries.find((e) => e.id === entry.variant_of) : undefined;
    const origin = base ? `config.json of ${base.hf_id}, which ${entry.hf_id} shares${from ? `; ${from}` : ""}` : from;
    m = modelFromHfConfig(entry.config, { kind: "catalog", ref: entry.id, origin }, { id: entry.id, hfId: entry.hf_id });
    parsed.set(entry.id, m);
  }
  return m;
}
