/**
 * Turns the <model> argument into a model description: catalog id / HF id in the catalog, a parameter
 * count, or a local config.json / folder. (Hub ids and model files are handled by src/readers/.)
 */
import fs from "node:fs";
import path from "node:path";
import { findCatalogModel } from "../catalog/models.js";
import { resolveModelSync } from "../core/estimate.js";
import { VramfitError } from "../core/errors.js";
import type { ModelDescription } from "../core/model.js";
import { modelFromHfConfig } from "../models/hf-config.js";
import { parseParameterCount } from "../models/param-count.js";

export async function resolveModelArg(spec: string): Promise<ModelDescription> {
  if (findCatalogModel(spec) || parseParameterCount(spec) != null) return resolveModelSync(spec);
  if (fs.existsSync(spec)) return readLocalConfig(spec);
  return resolveModelSync(spec); // unknown: throws with suggestions
}

function readLocalConfig(p: string): ModelDescription {
  const file = fs.statSync(p).isDirectory() ? path.join(p, "config.json") : p;
  if (!fs.existsSync(file)) throw new VramfitError(`${p}: no config.json in this folder`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new VramfitError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return modelFromHfConfig(raw, { kind: "config", ref: file }, { id: path.basename(path.dirname(path.resolve(file))) });
}
