/**
 * Build step of the web page (web/vite.config.ts): the catalog's config.json files are two thirds of its
 * compressed size and a page needs one at a time, so the first load gets the catalog with every name but
 * only the configs of the models in `keep` (the default model), and the rest become a module the page
 * imports when another catalog model is asked for (src/catalog/models.ts addCatalogConfigs).
 */
interface Entry {
  id: string;
  hf_id: string;
  aliases?: string[];
  variants?: { id: string; hf_id: string; aliases?: string[] }[];
  config?: Record<string, unknown>;
}

export function splitCatalog<T extends { models: Entry[] }>(catalog: T, keep: readonly string[]): { first: T; configs: Record<string, Record<string, unknown>> } {
  const wanted = new Set(keep.map((k) => k.toLowerCase()));
  const names = (e: Entry) => [e.id, e.hf_id, ...(e.aliases ?? []), ...(e.variants ?? []).flatMap((v) => [v.id, v.hf_id, ...(v.aliases ?? [])])].map((n) => n.toLowerCase());
  const configs: Record<string, Record<string, unknown>> = {};
  const models = catalog.models.map((e) => {
    if (names(e).some((n) => wanted.has(n))) return e;
    if (e.config !== undefined) configs[e.id] = e.config;
    const { config: _config, ...rest } = e;
    return rest;
  });
  return { first: { ...catalog, models }, configs };
}
