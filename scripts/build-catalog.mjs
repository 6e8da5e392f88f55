#!/usr/bin/env node
// Bundles the catalog data (src/catalog/models/*.json, src/catalog/gpus.json) into one JSON module that
// both Node and the web bundle import. Run after editing catalog data; a test checks it is current.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "src/catalog/models");

export function buildCatalog() {
  const models = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))
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
