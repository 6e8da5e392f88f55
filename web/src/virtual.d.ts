/** The catalog's config.json files but the default model's, by entry id (made by web/vite.config.ts from src/catalog). */
declare module "virtual:vramfit-catalog-configs" {
  const configs: Record<string, Record<string, unknown>>;
  export default configs;
}
