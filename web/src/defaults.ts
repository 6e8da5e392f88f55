/** The model a page without a link shows (url-state.ts), and whose config.json the first load carries (web/catalog-split.ts). */
export const DEFAULT_MODEL = "llama-3.1-8b";
export const DEFAULT_GPU = "rtx-4090";
