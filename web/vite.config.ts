/**
 * Builds the static page (web/index.html → web/dist/). The page runs the same core as the CLI in the
 * browser; the few Node built-ins that reader modules import for their file/HTTP paths are replaced by
 * stubs that throw (the page reads dropped files through File.slice instead).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
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
