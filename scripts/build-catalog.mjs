#!/usr/bin/env node
// Bundles the catalog data (src/catalog/models/*.json, src/catalog/gpus.json) into one JSON module that
// both Node and the web bundle import. Run after editing catalog data; a test checks it is current.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "src/catalog/models");

/** Leaves out what src/catalog/bundle-omit.json lists (keys no reader uses), to keep the web bundle small. */
function slim(entry, omit) {
  const dropKeys = new Set(omit.configKeys);
  const strip = (v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !dropKeys.has(k)).map(([k, x]) => [k, strip(x)])) : v);
  const out = { ...entry, config: strip(entry.config) };
  for (const f of omit.entryFields) delete out[f];
  if (out.source) out.source = Object.fromEntries(Object.entries(out.source).filter(([k]) => !omit.sourceFields.includes(k)));
  return out;
}

export function buildCatalog() {
  const omitFile = path.join(root, "src/catalog/bundle-omit.json");
  const omit = fs.existsSync(omitFile) ? JSON.parse(fs.readFileSync(omitFile, "utf8")) : { configKeys: [], entryFields: [], sourceFields: [] };
  const models = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => slim(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")), omit))
    : [];
  const gpuFile = path.join(root, "src/catalog/gpus.json");
  const gpus = fs.existsSync(gpuFile) ? JSON.parse(fs.readFileSync(gpuFile, "utf8")) : [];
  return JSON.stringify({ models, gpus }) + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.join(root, "src/catalog/catalog.generated.json");
  fs.writeFileSync(out, buildCatalog());
  console.log(`wrote ${path.relative(root, out)}`);
}
