/**
 * Builds the static page (web/index.html → web/dist/). The page runs the same core as the CLI in the
 * browser; the few Node built-ins that reader modules import for their file/HTTP paths are replaced by
 * stubs that throw (the page reads dropped files through File.slice instead). The catalog's config.json
 * files, but the default model's, move to a module loaded on demand (./catalog-split.ts).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import { splitCatalog } from "./catalog-split.js";
import { DEFAULT_MODEL } from "./src/defaults.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const CATALOG = here("../src/catalog/catalog.generated.json");
const CONFIGS_ID = "virtual:vramfit-catalog-configs";

function catalogSplit(): Plugin {
  const split = () => splitCatalog(JSON.parse(readFileSync(CATALOG, "utf8")), [DEFAULT_MODEL]);
  return {
    name: "vramfit-catalog-split",
    enforce: "pre",
    resolveId: (id) => (id === CONFIGS_ID ? `\0${CONFIGS_ID}` : undefined),
    load(id) {
      if (id === `\0${CONFIGS_ID}`) return `export default ${JSON.stringify(split().configs)};`;
      if (id.split("?")[0] === CATALOG) return JSON.stringify(split().first);
      return undefined;
    },
  };
}

export default defineConfig({
  plugins: [catalogSplit()],
  root: here("."),
  base: "./",
  publicDir: false,
  resolve: {
    alias: [
      { find: /^node:fs\/promises$/, replacement: here("./src/node-stub.ts") },
      { find: /^node:fs$/, replacement: here("./src/node-stub.ts") },
      { find: /^node:path$/, replacement: here("./src/node-stub.ts") },
      { find: /^node:os$/, replacement: here("./src/node-stub.ts") },
      { find: /^node:crypto$/, replacement: here("./src/node-stub.ts") },
    ],
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: here("./dist"),
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  server: { host: "127.0.0.1" },
});
